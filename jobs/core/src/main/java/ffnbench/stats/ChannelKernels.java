package ffnbench.stats;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-element work of {@link SiteStats} as SIMD loops over channels (JDK Vector API): every
 * channel owns its accumulators, so a SIMD lane does exactly what the scalar tail does for its
 * channel and results are bit-identical either way. Only loaded when the Vector API is present.
 *
 * <p>Comparisons, counts and extremes work on the float's bits as integers (for x ≥ 0 the int bits
 * order like the floats; {@link #orderKey} orders all finite floats): one
 * integer instruction each, where JDK 17 compiles a Java-semantics float {@code min}/{@code max} to
 * a several-instruction sequence and a mask blend costs more still. No {@code not()} and no
 * {@code lanewise(XOR, …)}: JDK 17 builds {@code not()} from an XOR with a broadcast vector that C2
 * does not always inline, leaving the loop on boxed vectors: ~b is −1 − b, a ^ b is
 * (a | b) − (a &amp; b). Every accumulator lives in an array, loaded and stored in each step: JDK 17's
 * C2 boxes a vector carried from one loop iteration to the next (a heap object per step).
 */
final class ChannelKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;   // same lanes as S
    /** Doubles, and the floats that widen into as many of them. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final IntVector MINUS_ONE = IntVector.broadcast(I, -1);

    private ChannelKernels() {}

    /** Where the scalar tail of a width-long row starts. */
    static int vectorEnd(int width) {
        return S.loopBound(width);
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
     * [0, end), one strip of a SIMD width's channels at a time, its accumulators held in registers. Per
     * channel: the firing and outlier counts, max |x| (as bits), and Σd, Σd², Σd³, Σd⁴ of d = x − shift[c]
     * (float over the rows, stored in the scratch's float sums, then added into s1..s4). Per lane: the min and max (as order keys), the
     * negative and near-zero counts and, in lane l's own copy of the histogram
     * ({@code laneHistogram[l·binStride + b]}), the bin counts; with {@code tokenMax}, each row's max |x|
     * per lane (as bits) into {@code tokenMaxLanes}, which the caller cleared. Each channel sums its rows
     * in row order and moves the float sums into double after the same rows as {@link BlockPass}'s
     * scalar loop: the results are the same bits either way.
     *
     * <p>Two loops per strip (counts, then sums and bins), each reading the strip's rows while they are
     * in L1: one loop carrying all eleven accumulators grows past C2's inlining limits and leaves the
     * Vector API calls boxed. Accumulators start from {@code IntVector.zero(I)} or a broadcast made in the
     * method: a loop variable that starts as a static final vector is boxed on JDK 17 (a heap object per
     * step).
     */
    static void pass(float[] x, int offset, int first, int last, int stride, int end, int epsBits, int thresholdBits,
                     boolean tokenMax, float binOffset, float binsPerUnit, int bins, BlockScratch a,
                     double[] s1, double[] s2, double[] s3, double[] s4) {
        for (int c = 0; c < end; c += S.length()) {
            countStrip(x, offset + c, first, last, stride, c, epsBits, thresholdBits, tokenMax, a);
            sumAndBinStrip(x, offset + c, first, last, stride, c, binOffset, binsPerUnit, bins, a);
        }
        addIntoDoubles(a.s1, s1, end);
        addIntoDoubles(a.s2, s2, end);
        addIntoDoubles(a.s3, s3, end);
        addIntoDoubles(a.s4, s4, end);
    }

    /** {@code into[c] += sums[c]} for c &lt; end, a multiple of the SIMD width: float to double a vector at a time (C2 leaves the loop scalar). */
    private static void addIntoDoubles(float[] sums, double[] into, int end) {
        for (int c = 0; c < end; c += D.length()) {
            DoubleVector widened = (DoubleVector) FloatVector.fromArray(HALF, sums, c).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector.fromArray(D, into, c).add(widened).intoArray(into, c);
        }
    }

    /**
     * Counts, extremes and max |x| of channels [c, c + lanes) over rows [first, last); {@code column}
     * is the strip's first value in row 0.
     *
     * <p>Counts from the bits: with {@code a = |x|}'s bits, x &gt; 0 ⇔ sign clear and a &gt; 0; x &lt; 0 ⇔
     * sign set and a &gt; 0; |x| ≥ t ⇔ bits(t) − 1 − a &lt; 0; |x| &lt; eps ⇔ a − bits(eps) &lt; 0 (no
     * overflow: all are below 2^31); the sign bit of each is the 0/1 count.
     */
    private static void countStrip(float[] x, int column, int first, int last, int stride, int c, int epsBits,
                                   int thresholdBits, boolean tokenMax, BlockScratch a) {
        int l = S.length();
        IntVector belowThreshold = IntVector.broadcast(I, thresholdBits - 1);
        IntVector zero = IntVector.zero(I);
        IntVector fire = zero, over = zero, maxAbs = zero, negative = zero, near = zero;
        IntVector lo = IntVector.broadcast(I, Integer.MAX_VALUE), hi = IntVector.broadcast(I, Integer.MIN_VALUE);
        for (int r = first; r < last; r++) {
            IntVector bits = bitsOf(FloatVector.fromArray(S, x, column + r * stride));
            IntVector abs = bits.and(0x7fffffff);
            IntVector minusAbs = zero.sub(abs);
            fire = fire.add(lshr31(MINUS_ONE.sub(bits).and(minusAbs)));   // ~bits & −a
            over = over.add(lshr31(belowThreshold.sub(abs)));
            maxAbs = maxAbs.max(abs);
            negative = negative.add(lshr31(bits.and(minusAbs)));
            near = near.add(lshr31(abs.sub(epsBits)));
            IntVector flip = bits.lanewise(VectorOperators.ASHR, 31).and(0x7fffffff);   // orderKey: bits ^ flip
            IntVector key = bits.or(flip).sub(bits.and(flip));   // a ^ b = (a | b) − (a & b)
            lo = lo.min(key);
            hi = hi.max(key);
            if (tokenMax) IntVector.fromArray(I, a.tokenMaxLanes, r * l).max(abs).intoArray(a.tokenMaxLanes, r * l);
        }
        IntVector.fromArray(I, a.fire, c).add(fire).intoArray(a.fire, c);
        IntVector.fromArray(I, a.over, c).add(over).intoArray(a.over, c);
        IntVector.fromArray(I, a.maxAbs, c).max(maxAbs).intoArray(a.maxAbs, c);
        IntVector.fromArray(I, a.neg, 0).add(negative).intoArray(a.neg, 0);
        IntVector.fromArray(I, a.near, 0).add(near).intoArray(a.near, 0);
        IntVector.fromArray(I, a.lo, 0).min(lo).intoArray(a.lo, 0);
        IntVector.fromArray(I, a.hi, 0).max(hi).intoArray(a.hi, 0);
    }

    /**
     * Power sums about the channels' shifts, and the histogram bins, of channels [c, c + lanes) over
     * rows [first, last).
     *
     * <p>The bin is {@link Thresholds#bin}: {@code floor(x·binsPerUnit + binOffset)}, at least 0 and at
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
        IntVector topBin = IntVector.broadcast(I, bins + 1);
        IntVector laneBase = IntVector.fromArray(I, a.laneBase, 0);
        FloatVector shift = FloatVector.fromArray(S, a.shift, c);
        FloatVector s1 = FloatVector.zero(S), s2 = s1, s3 = s1, s4 = s1;
        int[] bin = a.bin;
        for (int r = first; r < last; r++) {
            FloatVector v = FloatVector.fromArray(S, x, column + r * stride);
            FloatVector d = v.sub(shift);
            FloatVector d2 = d.mul(d);
            s1 = s1.add(d);
            s2 = s2.add(d2);
            s3 = s3.add(d2.mul(d));
            s4 = s4.add(d2.mul(d2));
            FloatVector position = floatsOf(bitsOf(v.mul(scale).add(firstEdge)).max(zero));   // negative → +0
            FloatVector shifted = position.add(magic);
            IntVector up = bitsOf(shifted.sub(magic).sub(position));   // rounded − position: > 0 where it rounded up, never −0
            bitsOf(shifted).sub(ffnbench.math.FastMath.ROUND_MAGIC_BITS).sub(lshr31(zero.sub(up)))
                    .min(topBin).add(laneBase).intoArray(bin, (r - first) * l);
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

    /** An int that orders finite floats as the floats order (−0 before +0, as Math.min): flip a negative's magnitude bits. */
    static int orderKey(float v) {
        int bits = Float.floatToRawIntBits(v);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /** The float of an {@link #orderKey} (the flip is its own inverse). */
    static float fromOrderKey(int key) {
        return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7fffffff));
    }

    /** The selection decides bits 30..SPLIT_BIT over all values, then the rest over those left. */
    private static final int SPLIT_BIT = 18;
    /** At most this many values left after the split are ranked directly rather than counted through. */
    private static final int RANK_KEPT = 48;

    /** Ints the selection below needs per value array: a multiple of four SIMD widths. */
    static int selectionLength(int n) {
        int step = 4 * I.length();
        return (n + step - 1) / step * step;
    }

    /**
     * {@link Select#kthOfNonNegative} with the counting passes in SIMD lanes. {@code bits} holds the n
     * values followed by {@code Integer.MAX_VALUE} up to {@link #selectionLength} (never below a
     * candidate); {@code kept} is scratch of {@code selectionLength(n)} ints. Bits 30..18 (the exponent
     * and 5 mantissa bits) are decided over all values; then only the values sharing them (typically
     * 1–3 of 255) are kept and ranked (no sort: docs/PERFORMANCE.md, "Statistics").
     */
    static float kthOfNonNegative(int[] bits, int length, int k, int[] kept) {
        return kthSharingTopBits(bits, 0, length, k, decideBits(bits, 0, length, k, 30, SPLIT_BIT, 0), kept);
    }

    /**
     * {@link #kthOfNonNegative} of four rows of values at once, row t at {@code bits[t·length ..]}, into
     * {@code kth[0..3]}: the four rows' bit decisions run side by side, so that one row's count (a sum
     * across lanes, a long chain of dependent steps) does not wait for the previous one's.
     */
    static void kthOfNonNegative4(int[] bits, int length, int k, int[] kept, float[] kth) {
        int l = I.length();
        int r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        for (int bit = 30; bit >= SPLIT_BIT; bit--) {
            IntVector c0 = IntVector.broadcast(I, r0 | (1 << bit)), c1 = IntVector.broadcast(I, r1 | (1 << bit));
            IntVector c2 = IntVector.broadcast(I, r2 | (1 << bit)), c3 = IntVector.broadcast(I, r3 | (1 << bit));
            IntVector below0 = IntVector.zero(I), below1 = below0, below2 = below0, below3 = below0;
            for (int i = 0; i < length; i += l) {
                below0 = below0.add(lshr31(IntVector.fromArray(I, bits, i).sub(c0)));
                below1 = below1.add(lshr31(IntVector.fromArray(I, bits, length + i).sub(c1)));
                below2 = below2.add(lshr31(IntVector.fromArray(I, bits, 2 * length + i).sub(c2)));
                below3 = below3.add(lshr31(IntVector.fromArray(I, bits, 3 * length + i).sub(c3)));
            }
            r0 |= keepBit(below0, k, bit);
            r1 |= keepBit(below1, k, bit);
            r2 |= keepBit(below2, k, bit);
            r3 |= keepBit(below3, k, bit);
        }
        kth[0] = kthSharingTopBits(bits, 0, length, k, r0, kept);
        kth[1] = kthSharingTopBits(bits, length, length, k, r1, kept);
        kth[2] = kthSharingTopBits(bits, 2 * length, length, k, r2, kept);
        kth[3] = kthSharingTopBits(bits, 3 * length, length, k, r3, kept);
    }

    /** The candidate's bit when at most k values lie below it (the lanes' counts summed), without a branch. */
    private static int keepBit(IntVector below, int k, int bit) {
        return ((below.reduceLanes(VectorOperators.ADD) - k - 1) >>> 31) << bit;
    }

    /**
     * The k-th smallest of {@code bits[from, from + length)} given its bits 30..SPLIT_BIT in {@code r}:
     * the values sharing them are kept, found a SIMD vector at a time (most vectors hold none and are
     * skipped), and ranked directly, or when many remain, the other bits are decided over those.
     */
    private static float kthSharingTopBits(int[] bits, int from, int length, int k, int r, int[] kept) {
        int prefix = r >>> SPLIT_BIT, n = 0, l = I.length();
        IntVector prefixV = IntVector.broadcast(I, prefix);
        IntVector belowPrefix = IntVector.zero(I);
        for (int i = from; i < from + length; i += l) {   // count the values below the prefix; keep the equal ones
            IntVector high = IntVector.fromArray(I, bits, i).lanewise(VectorOperators.LSHR, SPLIT_BIT);
            belowPrefix = belowPrefix.add(lshr31(high.sub(prefixV)));
            if (high.compare(VectorOperators.EQ, prefixV).anyTrue()) {
                for (int j = i; j < i + l; j++) {
                    int b = bits[j];
                    kept[n] = b;
                    n += (((b >>> SPLIT_BIT) ^ prefix) - 1) >>> 31;
                }
            }
        }
        int below = belowPrefix.reduceLanes(VectorOperators.ADD);
        if (n <= RANK_KEPT) return Float.intBitsToFloat(kthByRank(kept, n, k - below));
        int keptLength = selectionLength(n);
        java.util.Arrays.fill(kept, n, keptLength, Integer.MAX_VALUE);
        return Float.intBitsToFloat(decideBits(kept, 0, keptLength, k - below, SPLIT_BIT - 1, 0, r));
    }

    /**
     * The k-th smallest of a few non-negative ints by counting, for each, how many lie below it and
     * how many are not above it (the answer is the one whose range holds k): n² branch-free steps,
     * cheaper than a sort's mispredicted branches for the few values left here.
     */
    private static int kthByRank(int[] values, int n, int k) {
        for (int i = 0; i < n; i++) {
            int v = values[i], below = 0, notAbove = 0;
            for (int j = 0; j < n; j++) {
                int w = values[j];
                below += (w - v) >>> 31;          // w < v (both ≥ 0: no overflow)
                notAbove += (w - v - 1) >>> 31;   // w ≤ v
            }
            if (below <= k && k < notAbove) return v;
        }
        throw new IllegalStateException("no " + k + "-th of " + n + " values");   // unreachable for 0 ≤ k < n
    }

    /**
     * Bits {@code high} down to {@code low} of the k-th smallest of {@code bits[from, from + length)},
     * given those above already in {@code r}: each bit is kept when at most k values lie below the
     * candidate. Four partial counts, so consecutive SIMD steps do not wait on each other.
     */
    private static int decideBits(int[] bits, int from, int length, int k, int high, int low, int r) {
        int l = I.length(), step = 4 * l;
        for (int bit = high; bit >= low; bit--) {
            IntVector candidate = IntVector.broadcast(I, r | (1 << bit));
            IntVector below0 = IntVector.zero(I), below1 = below0, below2 = below0, below3 = below0;
            for (int i = from; i < from + length; i += step) {
                below0 = below0.add(lshr31(IntVector.fromArray(I, bits, i).sub(candidate)));
                below1 = below1.add(lshr31(IntVector.fromArray(I, bits, i + l).sub(candidate)));
                below2 = below2.add(lshr31(IntVector.fromArray(I, bits, i + 2 * l).sub(candidate)));
                below3 = below3.add(lshr31(IntVector.fromArray(I, bits, i + 3 * l).sub(candidate)));
            }
            r |= keepBit(below0.add(below1).add(below2.add(below3)), k, bit);
        }
        return r;
    }
}
