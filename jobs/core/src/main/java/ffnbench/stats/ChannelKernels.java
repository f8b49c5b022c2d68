package ffnbench.stats;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-element work of {@link SiteStats} as SIMD loops over channels (JDK Vector API): every
 * channel owns its accumulators, so a SIMD lane does exactly what the scalar tail does for its
 * channel and results are bit-identical either way. Only loaded when the Vector API is present.
 *
 * <p>Comparisons, counts and extremes work on the float's bits as integers (for x ≥ 0 the int bits
 * order like the floats; {@link #maxOf} and {@link #minOf} recover the extremes of any sign): one
 * integer instruction each, where JDK 17 compiles a Java-semantics float {@code min}/{@code max} to
 * a several-instruction sequence and a mask blend costs more still. No {@code not()}: JDK 17 builds
 * it from an XOR with a broadcast vector that C2 does not always inline, leaving the loop on boxed
 * vectors; ~b is −1 − b.
 *
 * <p>The accumulators of a strip of channels are vectors carried through its row loop, held in
 * registers. JDK 17's C2 boxes such a vector (a heap object per step) when it starts as a static final
 * vector, when a condition inside the loop chooses between two vectors, or when one loop carries too
 * many: so they start from vectors made in the method, and the work is split into small loops.
 */
final class ChannelKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;   // same lanes as S
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, I.vectorShape());   // twice the lanes
    /** Doubles, and the floats that widen into as many of them. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final IntVector MINUS_ONE = IntVector.broadcast(I, -1);

    private ChannelKernels() {}

    /** Where the scalar tail of a width-long row starts: the SIMD pass takes two SIMD widths at a time. */
    static int vectorEnd(int width) {
        return width - width % (2 * S.length());
    }

    static int lanes() {
        return S.length();
    }

    /**
     * The float lanes' bits as ints. Through {@code reinterpretShape} with the constant species, not
     * {@code reinterpretAsInts()}: C2 then knows the result's exact class without a type profile; with
     * the latter, a JVM whose JDK vector methods were compiled without receiver types (tier 2, when the
     * C2 queue is long at start-up) runs these loops on boxed vectors and Java fallbacks.
     */
    private static IntVector bitsOf(FloatVector v) {
        return (IntVector) v.reinterpretShape(I, 0);
    }

    private static IntVector lshr31(IntVector v) {
        return v.lanewise(VectorOperators.LSHR, 31);
    }

    /**
     * The pass over rows [first, last) of a block (at most {@link BlockScratch#FLUSH_TOKENS}), channels
     * [0, end), one strip of two SIMD widths' channels at a time, its accumulators held in registers. Per
     * channel: the firing and outlier counts, max |x| (as bits), and Σd, Σd², Σd³, Σd⁴ of d = x − shift[c]
     * (float over the rows, stored in the scratch's float sums, then added into s1..s4). Per lane: what
     * gives the min and max ({@link #minOf}, {@link #maxOf}), the negative and near-zero counts and, in
     * lane l's own copy of the histogram ({@code laneHistogram[l·binStride + b]}), the bin counts; with
     * {@code tokenMax}, each row's max |x| per lane (as bits) into {@code tokenMaxLanes}, which the caller
     * cleared. Each channel sums its rows in row order and moves the float sums into double after the
     * same rows as {@link BlockPass}'s scalar loop: the results are the same bits either way.
     *
     * <p>Two loops per strip (counts, then sums and bins), the second reading the strip's rows from L1:
     * one loop carrying all eleven accumulators grows past C2's inlining limits and leaves the Vector
     * API calls boxed.
     */
    static void pass(float[] x, int offset, int first, int last, int stride, int end, int epsBits, int thresholdBits,
                     boolean tokenMax, float binOffset, float binsPerUnit, int bins, BlockScratch a,
                     double[] s1, double[] s2, double[] s3, double[] s4) {
        int l = S.length();
        for (int c = 0; c < end; c += 2 * l) {   // end is a multiple of two SIMD widths
            countStrip(x, offset + c, first, last, stride, c, epsBits, thresholdBits, tokenMax, a);
            sumAndBinStrip(x, offset + c, first, last, stride, c, binOffset, binsPerUnit, bins, a);
            sumAndBinStrip(x, offset + c + l, first, last, stride, c + l, binOffset, binsPerUnit, bins, a);
        }
        boolean firstRows = first == 0;
        addIntoDoubles(a.s1, s1, end, firstRows);
        addIntoDoubles(a.s2, s2, end, firstRows);
        addIntoDoubles(a.s3, s3, end, firstRows);
        addIntoDoubles(a.s4, s4, end, firstRows);
    }

    /**
     * {@code into[c] += sums[c]} for c &lt; end, a multiple of the SIMD width (with {@code store}, the
     * block's first rows: {@code into[c] = sums[c]}): float to double a vector at a time (C2 leaves the
     * loop scalar).
     */
    private static void addIntoDoubles(float[] sums, double[] into, int end, boolean store) {
        if (store) {   // two loops: a vector chosen by a condition inside one would be boxed on JDK 17
            for (int c = 0; c < end; c += D.length()) widened(sums, c).intoArray(into, c);
        } else {
            for (int c = 0; c < end; c += D.length()) DoubleVector.fromArray(D, into, c).add(widened(sums, c)).intoArray(into, c);
        }
    }

    private static DoubleVector widened(float[] sums, int c) {
        return (DoubleVector) FloatVector.fromArray(HALF, sums, c).convertShape(VectorOperators.F2D, D, 0);
    }

    /**
     * Counts, extremes and max |x| of channels [c, c + 2·lanes) over rows [first, last): two SIMD
     * widths of each row per step, which gives the hardware prefetcher longer runs of each row to
     * follow (this loop is the first to read the block's rows). {@code column} is the strip's first
     * value in row 0.
     *
     * <p>Counts from the bits: with {@code a = |x|}'s bits, x &gt; 0 ⇔ sign clear and a &gt; 0; x &lt; 0 ⇔
     * sign set and a &gt; 0; |x| ≥ t ⇔ bits(t) − 1 − a &lt; 0; |x| &lt; eps ⇔ a − bits(eps) &lt; 0 (no
     * overflow: all are below 2^31); the sign bit of each is the 0/1 count. The extremes are three
     * integer maxima and minima of the bits ({@link #maxOf}, {@link #minOf}).
     */
    private static void countStrip(float[] x, int column, int first, int last, int stride, int c, int epsBits,
                                   int thresholdBits, boolean tokenMax, BlockScratch a) {
        int l = S.length();
        IntVector belowThreshold = IntVector.broadcast(I, thresholdBits - 1);
        IntVector zero = IntVector.zero(I);
        // per channel, for the strip's low and high SIMD width; per lane, for both
        IntVector fireLow = zero, overLow = zero, maxAbsLow = zero, fireHigh = zero, overHigh = zero, maxAbsHigh = zero;
        IntVector negative = zero, near = zero;
        IntVector highest = IntVector.broadcast(I, Integer.MIN_VALUE), lowest = IntVector.broadcast(I, Integer.MAX_VALUE);
        IntVector mostNegative = highest;
        for (int r = first; r < last; r++) {
            IntVector low = bitsOf(FloatVector.fromArray(S, x, column + r * stride));
            IntVector high = bitsOf(FloatVector.fromArray(S, x, column + l + r * stride));
            IntVector absLow = low.and(0x7fffffff), absHigh = high.and(0x7fffffff);
            IntVector minusAbsLow = zero.sub(absLow), minusAbsHigh = zero.sub(absHigh);
            fireLow = fireLow.add(lshr31(MINUS_ONE.sub(low).and(minusAbsLow)));   // ~bits & −a
            fireHigh = fireHigh.add(lshr31(MINUS_ONE.sub(high).and(minusAbsHigh)));
            overLow = overLow.add(lshr31(belowThreshold.sub(absLow)));
            overHigh = overHigh.add(lshr31(belowThreshold.sub(absHigh)));
            maxAbsLow = maxAbsLow.max(absLow);
            maxAbsHigh = maxAbsHigh.max(absHigh);
            negative = negative.add(lshr31(low.and(minusAbsLow))).add(lshr31(high.and(minusAbsHigh)));
            near = near.add(lshr31(absLow.sub(epsBits))).add(lshr31(absHigh.sub(epsBits)));
            highest = highest.max(low).max(high);
            lowest = lowest.min(low).min(high);
            mostNegative = mostNegative.max(low.add(Integer.MIN_VALUE)).max(high.add(Integer.MIN_VALUE));   // sign flipped: −x's bits
            if (tokenMax) IntVector.fromArray(I, a.tokenMaxLanes, r * l).max(absLow).max(absHigh).intoArray(a.tokenMaxLanes, r * l);
        }
        if (first == 0) {   // the block's first rows: the per-channel totals start here (the scratch is not cleared)
            fireLow.intoArray(a.fire, c);
            fireHigh.intoArray(a.fire, c + l);
            overLow.intoArray(a.over, c);
            overHigh.intoArray(a.over, c + l);
            maxAbsLow.intoArray(a.maxAbs, c);
            maxAbsHigh.intoArray(a.maxAbs, c + l);
        } else {
            IntVector.fromArray(I, a.fire, c).add(fireLow).intoArray(a.fire, c);
            IntVector.fromArray(I, a.fire, c + l).add(fireHigh).intoArray(a.fire, c + l);
            IntVector.fromArray(I, a.over, c).add(overLow).intoArray(a.over, c);
            IntVector.fromArray(I, a.over, c + l).add(overHigh).intoArray(a.over, c + l);
            IntVector.fromArray(I, a.maxAbs, c).max(maxAbsLow).intoArray(a.maxAbs, c);
            IntVector.fromArray(I, a.maxAbs, c + l).max(maxAbsHigh).intoArray(a.maxAbs, c + l);
        }
        IntVector.fromArray(I, a.neg, 0).add(negative).intoArray(a.neg, 0);
        IntVector.fromArray(I, a.near, 0).add(near).intoArray(a.near, 0);
        IntVector.fromArray(I, a.highestBits, 0).max(highest).intoArray(a.highestBits, 0);
        IntVector.fromArray(I, a.lowestBits, 0).min(lowest).intoArray(a.lowestBits, 0);
        IntVector.fromArray(I, a.negatedBits, 0).max(mostNegative).intoArray(a.negatedBits, 0);
    }

    /**
     * Power sums about the channels' shifts, and the histogram bins, of channels [c, c + lanes) over
     * rows [first, last).
     *
     * <p>Σd³ and Σd⁴ add d²·d and d²·d² with one rounding each (fused multiply-add), as the scalar loop
     * does. The bin is {@link Thresholds#bin}: {@code floor(x·binsPerUnit + binOffset)} (fused), at least 0 and at
     * most bins + 1 (0 and bins + 1: under- and overflow). A negative position becomes +0 by an integer
     * max on its bits (a negative float's bits are a negative int); the floor is the 1.5·2^23 rounding
     * trick with one step down where it rounded up (a float→int conversion is not intrinsified on JDK
     * 17); positions past the top, +∞ and NaN round to ints above bins + 1 and are clamped (a block with
     * NaN/±∞ is counted again apart). The bins are stored, then counted by scalar increments into each
     * lane's own copy of the histogram: activations crowd into a few bins, and one shared counter would
     * make neighbouring increments wait on each other's store.
     */
    private static void sumAndBinStrip(float[] x, int column, int first, int last, int stride, int c, float binOffset,
                                       float binsPerUnit, int bins, BlockScratch a) {
        int l = S.length();
        IntVector zero = IntVector.zero(I);
        FloatVector magic = FloatVector.broadcast(S, ffnbench.math.FastMath.ROUND_MAGIC);
        FloatVector scale = FloatVector.broadcast(S, binsPerUnit), firstEdge = FloatVector.broadcast(S, binOffset);
        IntVector laneBase = IntVector.fromArray(I, a.laneBase, 0);
        // a lane's bins start at laneBase; its top bin (overflow) is bins + 1 after that
        IntVector laneTop = laneBase.add(bins + 1), roundedBase = laneBase.sub(ffnbench.math.FastMath.ROUND_MAGIC_BITS);
        FloatVector shift = FloatVector.fromArray(S, a.shift, c);
        FloatVector s1 = FloatVector.zero(S), s2 = s1, s3 = s1, s4 = s1;
        int[] bin = a.bin;
        for (int r = first; r < last; r++) {
            FloatVector v = FloatVector.fromArray(S, x, column + r * stride);
            FloatVector d = v.sub(shift);
            FloatVector d2 = d.mul(d);
            s1 = s1.add(d);
            s2 = s2.add(d2);
            s3 = d2.fma(d, s3);
            s4 = d2.fma(d2, s4);
            FloatVector position = floatsOf(bitsOf(v.fma(scale, firstEdge)).max(zero));   // negative → +0
            FloatVector shifted = position.add(magic);   // the nearest integer, in the low mantissa bits
            IntVector roundedUp = lshr31(bitsOf(position).sub(bitsOf(shifted.sub(magic))));   // non-negative floats order as their bits
            bitsOf(shifted).add(roundedBase).sub(roundedUp).min(laneTop).intoArray(bin, (r - first) * l);
        }
        s1.intoArray(a.s1, c);
        s2.intoArray(a.s2, c);
        s3.intoArray(a.s3, c);
        s4.intoArray(a.s4, c);
        int[] histogram = a.laneHistogram;
        for (int i = 0, n = (last - first) * l; i < n; i++) histogram[bin[i]]++;
    }

    private static FloatVector floatsOf(IntVector v) {
        return (FloatVector) v.reinterpretShape(S, 0);
    }

    /**
     * A lane's max, from the largest and smallest of its values' bits as signed ints: non-negative
     * floats (+0 included) order as their bits; when every value has its sign set, the largest float is
     * the one of smallest magnitude, whose bits are the smallest int.
     */
    static float maxOf(int highestBits, int lowestBits) {
        return Float.intBitsToFloat(highestBits >= 0 ? highestBits : lowestBits);
    }

    /**
     * A lane's min: when some value has its sign set, the one of largest magnitude, whose sign-flipped
     * bits ({@code bits + MIN_VALUE}) are the largest int among them (−0 included, as Math.min); when
     * none has, the smallest non-negative float, whose bits are the smallest int.
     */
    static float minOf(int lowestBits, int negatedBits) {
        return Float.intBitsToFloat(lowestBits < 0 ? negatedBits + Integer.MIN_VALUE : lowestBits);
    }

    /** Each row's max |x| over its lanes ({@code lanes[r·lanes ..]}, as bits) and the scalar channels' ({@code tokenMax[r]}), into {@code tokenMax[r]}. */
    static void foldTokenMaxima(int[] lanes, float[] tokenMax, int rows) {
        int l = I.length();
        for (int r = 0; r < rows; r++) {
            int top = IntVector.fromArray(I, lanes, r * l).reduceLanes(VectorOperators.MAX);
            tokenMax[r] = Float.intBitsToFloat(Math.max(top, Float.floatToRawIntBits(tokenMax[r])));
        }
    }

    /** |x|'s bits of {@code x[from, from + n)} into {@code bits[at ..]}; n is a multiple of the SIMD width. */
    static void copyMagnitudeBits(float[] x, int from, int[] bits, int at, int n) {
        for (int i = 0; i < n; i += S.length()) bitsOf(FloatVector.fromArray(S, x, from + i)).and(0x7fffffff).intoArray(bits, at + i);
    }

    /** Ints the selection below needs per row of values: a multiple of four SIMD widths. */
    static int selectionLength(int n) {
        int step = 4 * I.length();
        return (n + step - 1) / step * step;
    }

    /**
     * The bin, on the grid of {@link TokenRatios#MEDIAN_BIN_SHIFT}, of the k-th smallest of each of four
     * rows of non-negative float bits, decided in SIMD lanes: row t's n values at
     * {@code bits[t·length ..]}, followed by {@code Integer.MAX_VALUE} up to
     * {@code length = }{@link #selectionLength}(n) (never below a candidate), into {@code key[0..3]}.
     * {@code packed} is scratch of {@code 2·length} ints. The same bins as
     * {@code Select.kthOfNonNegative(...) >>> MEDIAN_BIN_SHIFT} (no sort: docs/PERFORMANCE.md, "Statistics").
     *
     * <p>A value's bin is its top 16 bits (sign clear: 15 bits, so a bin minus a candidate cannot
     * overflow a short), packed two to an int lane: twice the values per SIMD step. Each bit of the bin
     * is kept when at most k values lie below the candidate. The four rows' decisions run side by
     * side, so that one row's count (a sum across lanes, a long chain of dependent steps) does not wait
     * for the previous one's.
     */
    static void kthBinOfNonNegative4(int[] bits, int length, int k, int[] packed, int[] key) {
        int l = I.length(), half = length / 2;
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < length; i += 2 * l) {   // value i + j's bin in the low half of lane j, value i + l + j's in the high half
                IntVector low = IntVector.fromArray(I, bits, t * length + i), high = IntVector.fromArray(I, bits, t * length + i + l);
                low.lanewise(VectorOperators.LSHR, 16).or(high.and(0xffff0000)).intoArray(packed, t * half + i / 2);
            }
        }
        int r0 = 0, r1 = 0, r2 = 0, r3 = 0;   // the bins' bits decided so far
        for (int bit = 14; bit >= 0; bit--) {
            ShortVector c0 = candidate(r0, bit), c1 = candidate(r1, bit), c2 = candidate(r2, bit), c3 = candidate(r3, bit);
            ShortVector below0 = ShortVector.zero(H), below1 = below0, below2 = below0, below3 = below0;
            for (int i = 0; i < half; i += l) {
                below0 = below0.add(binsOf(packed, i).sub(c0).lanewise(VectorOperators.LSHR, 15));
                below1 = below1.add(binsOf(packed, half + i).sub(c1).lanewise(VectorOperators.LSHR, 15));
                below2 = below2.add(binsOf(packed, 2 * half + i).sub(c2).lanewise(VectorOperators.LSHR, 15));
                below3 = below3.add(binsOf(packed, 3 * half + i).sub(c3).lanewise(VectorOperators.LSHR, 15));
            }
            r0 |= keepBit(below0.reduceLanes(VectorOperators.ADD), k, bit);
            r1 |= keepBit(below1.reduceLanes(VectorOperators.ADD), k, bit);
            r2 |= keepBit(below2.reduceLanes(VectorOperators.ADD), k, bit);
            r3 |= keepBit(below3.reduceLanes(VectorOperators.ADD), k, bit);
        }
        key[0] = r0;
        key[1] = r1;
        key[2] = r2;
        key[3] = r3;
    }

    private static ShortVector candidate(int decided, int bit) {
        return ShortVector.broadcast(H, (short) (decided | (1 << bit)));
    }

    /** Two int lanes' worth of packed 16-bit bins. Each short lane counts at most length / (2·lanes) values: no overflow. */
    private static ShortVector binsOf(int[] packed, int i) {
        return (ShortVector) IntVector.fromArray(I, packed, i).reinterpretShape(H, 0);
    }

    /** The candidate's bit when at most k values lie below it, without a branch. */
    private static int keepBit(int below, int k, int bit) {
        return ((below - k - 1) >>> 31) << bit;
    }
}
