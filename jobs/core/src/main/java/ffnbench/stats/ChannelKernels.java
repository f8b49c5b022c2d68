package ffnbench.stats;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
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
    private static final IntVector ZERO_I = IntVector.zero(I);
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
     * The one pass over the block's rows, channels [0, end). Per channel: the firing and outlier counts,
     * max |x| (as bits), and Σd, Σd², Σd³, Σd⁴ of d = x − shift[c] (float, moved into s1..s4 every
     * {@link BlockScratch#FLUSH_TOKENS} tokens). Per lane: the min and max (as order keys), the negative and
     * near-zero counts and, in lane l's own copy of the histogram ({@code laneHistogram[l·binStride + b]}),
     * the bin counts; with {@code tokenMax}, each row's max |x| per lane (as bits) into {@code tokenMaxLanes}.
     *
     * <p>Counts from the bits: with {@code a = |x|}'s bits, x &gt; 0 ⇔ sign clear and a &gt; 0; x &lt; 0 ⇔
     * sign set and a &gt; 0; |x| ≥ t ⇔ bits(t) − 1 − a &lt; 0; |x| &lt; eps ⇔ a − bits(eps) &lt; 0 (no
     * overflow: all are below 2^31); the sign bit of each is the 0/1 count.
     *
     * <p>The histogram bin is {@code 1 + floor((x + range)·binsPerUnit)} clamped to {@code [0, bins + 1]}
     * (0 and bins + 1: under- and overflow). Floor and float→int without masks or conversions (not
     * intrinsified on JDK 17): round with the 1.5·2^23 trick, read the integer from the bits, step down
     * one where rounding went up; then an integer clamp, which also keeps a NaN's bin in range (such a
     * block is counted again apart). Each lane counts into its own copy of the histogram: activations
     * crowd into a few bins, and one shared counter would make neighbouring increments wait on each
     * other's store.
     */
    static void pass(float[] x, int offset, int rows, int stride, int end, int epsBits, int thresholdBits,
                     boolean tokenMax, float range, float binsPerUnit, int bins, BlockScratch a,
                     double[] s1, double[] s2, double[] s3, double[] s4) {
        int l = S.length();
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            // two loops over the row while it is in L1: one loop body doing all of it grows past C2's
            // inlining limits, which leaves Vector API calls boxed
            countRow(x, row, end, epsBits, thresholdBits, tokenMax ? r * l : -1, a);
            sumAndBinRow(x, row, end, range, binsPerUnit, bins, a);
            if (BlockScratch.flushAfter(r, rows)) a.flushSums(0, end, s1, s2, s3, s4);
        }
    }

    /** Counts, extremes and max |x| of one row; {@code top ≥ 0}: also the row's max |x| per lane at tokenMaxLanes[top]. */
    private static void countRow(float[] x, int row, int end, int epsBits, int thresholdBits, int top, BlockScratch a) {
        IntVector belowThreshold = IntVector.broadcast(I, thresholdBits - 1);
        if (top >= 0) ZERO_I.intoArray(a.tokenMaxLanes, top);
        for (int c = 0; c < end; c += S.length()) {
            IntVector bits = bitsOf(FloatVector.fromArray(S, x, row + c));
            IntVector abs = bits.and(0x7fffffff);
            IntVector minusAbs = ZERO_I.sub(abs);
            IntVector.fromArray(I, a.fire, c).add(lshr31(MINUS_ONE.sub(bits).and(minusAbs))).intoArray(a.fire, c);   // ~bits & −a
            IntVector.fromArray(I, a.over, c).add(lshr31(belowThreshold.sub(abs))).intoArray(a.over, c);
            IntVector.fromArray(I, a.maxAbs, c).max(abs).intoArray(a.maxAbs, c);
            IntVector.fromArray(I, a.neg, 0).add(lshr31(bits.and(minusAbs))).intoArray(a.neg, 0);
            IntVector.fromArray(I, a.near, 0).add(lshr31(abs.sub(epsBits))).intoArray(a.near, 0);
            IntVector flip = bits.lanewise(VectorOperators.ASHR, 31).and(0x7fffffff);   // orderKey: bits ^ flip
            IntVector key = bits.or(flip).sub(bits.and(flip));   // a ^ b = (a | b) − (a & b)
            IntVector.fromArray(I, a.lo, 0).min(key).intoArray(a.lo, 0);
            IntVector.fromArray(I, a.hi, 0).max(key).intoArray(a.hi, 0);
            if (top >= 0) IntVector.fromArray(I, a.tokenMaxLanes, top).max(abs).intoArray(a.tokenMaxLanes, top);
        }
    }

    /** Power sums about the channels' shifts, and the histogram bins, of one row. */
    private static void sumAndBinRow(float[] x, int row, int end, float range, float binsPerUnit, int bins, BlockScratch a) {
        FloatVector magic = FloatVector.broadcast(S, ffnbench.math.FastMath.ROUND_MAGIC);
        int magicBits = ffnbench.math.FastMath.ROUND_MAGIC_BITS - 1;   // − 1: bin 0 is the underflow
        FloatVector rangeV = FloatVector.broadcast(S, range), scale = FloatVector.broadcast(S, binsPerUnit);
        FloatVector lowest = FloatVector.broadcast(S, -1f), highest = FloatVector.broadcast(S, (float) bins);
        IntVector topBin = IntVector.broadcast(I, bins + 1);
        IntVector laneBase = IntVector.fromArray(I, a.laneBase, 0);
        int[] bin = a.bin, hist = a.laneHistogram;
        for (int c = 0; c < end; c += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, row + c);
            FloatVector d = v.sub(FloatVector.fromArray(S, a.shift, c));
            FloatVector d2 = d.mul(d);
            FloatVector.fromArray(S, a.s1, c).add(d).intoArray(a.s1, c);
            FloatVector.fromArray(S, a.s2, c).add(d2).intoArray(a.s2, c);
            FloatVector.fromArray(S, a.s3, c).add(d2.mul(d)).intoArray(a.s3, c);
            FloatVector.fromArray(S, a.s4, c).add(d2.mul(d2)).intoArray(a.s4, c);
            FloatVector pos = v.add(rangeV).mul(scale).max(lowest).min(highest);
            FloatVector shifted = pos.add(magic);
            IntVector up = bitsOf(shifted.sub(magic).sub(pos));   // rounded − pos: > 0 where it rounded up
            IntVector roundedUp = lshr31(MINUS_ONE.sub(up).and(ZERO_I.sub(up)));   // ~up & −up: up > 0
            bitsOf(shifted).sub(magicBits).sub(roundedUp).max(ZERO_I).min(topBin).add(laneBase).intoArray(bin, c);
        }
        for (int c = 0; c < end; c++) hist[bin[c]]++;
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
     * candidate); {@code acc} is scratch of four SIMD widths; {@code kept} scratch of
     * {@code selectionLength(n)} ints. Bits 30..18 (the exponent and 5 mantissa bits) are decided over
     * all values; then only the values sharing them (typically 1–3 of 255) are kept, found a SIMD vector
     * at a time (most vectors hold none and are skipped), and ranked directly, or when many remain, the
     * other 18 bits are decided over those (no sort: docs/PERFORMANCE.md, "Statistics").
     */
    static float kthOfNonNegative(int[] bits, int length, int k, int[] acc, int[] kept) {
        int r = decideBits(bits, length, k, 30, SPLIT_BIT, 0, acc);
        int prefix = r >>> SPLIT_BIT, n = 0, l = I.length();
        IntVector prefixV = IntVector.broadcast(I, prefix);
        ZERO_I.intoArray(acc, 0);
        for (int i = 0; i < length; i += l) {   // count the values below the prefix; keep the equal ones
            IntVector high = IntVector.fromArray(I, bits, i).lanewise(VectorOperators.LSHR, SPLIT_BIT);
            IntVector.fromArray(I, acc, 0).add(lshr31(high.sub(prefixV))).intoArray(acc, 0);
            if (high.compare(VectorOperators.EQ, prefixV).anyTrue()) {   // most vectors hold none
                for (int j = i; j < i + l; j++) {
                    int b = bits[j];
                    kept[n] = b;
                    n += (((b >>> SPLIT_BIT) ^ prefix) - 1) >>> 31;
                }
            }
        }
        int below = IntVector.fromArray(I, acc, 0).reduceLanes(VectorOperators.ADD);
        if (n <= RANK_KEPT) return Float.intBitsToFloat(kthByRank(kept, n, k - below));
        int keptLength = selectionLength(n);
        java.util.Arrays.fill(kept, n, keptLength, Integer.MAX_VALUE);
        return Float.intBitsToFloat(decideBits(kept, keptLength, k - below, SPLIT_BIT - 1, 0, r, acc));
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
     * Bits {@code from} down to {@code to} of the k-th smallest value, given those above already in
     * {@code r}: each bit is kept when at most k values lie below the candidate. Four partial counts,
     * so consecutive SIMD steps do not wait on each other's store.
     */
    private static int decideBits(int[] bits, int length, int k, int from, int to, int r, int[] acc) {
        int l = I.length(), step = 4 * l;
        for (int bit = from; bit >= to; bit--) {
            IntVector candidate = IntVector.broadcast(I, r | (1 << bit));
            for (int j = 0; j < step; j += l) ZERO_I.intoArray(acc, j);
            for (int i = 0; i < length; i += step) {
                for (int j = 0; j < step; j += l) {
                    IntVector below = lshr31(IntVector.fromArray(I, bits, i + j).sub(candidate));
                    IntVector.fromArray(I, acc, j).add(below).intoArray(acc, j);
                }
            }
            IntVector count = IntVector.fromArray(I, acc, 0).add(IntVector.fromArray(I, acc, l))
                    .add(IntVector.fromArray(I, acc, 2 * l)).add(IntVector.fromArray(I, acc, 3 * l));
            r |= ((count.reduceLanes(VectorOperators.ADD) - k - 1) >>> 31) << bit;   // count ≤ k, without a branch
        }
        return r;
    }
}
