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
 * did not always inline, and then ran the whole loop on boxed vectors (3–5× slower, in about half of
 * the JVMs started): ~b is −1 − b, a ^ b is (a | b) − (a &amp; b). Every accumulator lives in an
 * array, loaded and stored in each step: JDK 17's C2 boxes a vector carried from one loop iteration
 * to the next (a heap object per step — JFR showed 10 GB of such garbage in one short run).
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
     * {@code reinterpretAsInts()}: C2 then knows the result's exact class without a type profile. With
     * the latter, a JVM whose JDK vector methods happened to be profiled at tier 2 (no receiver types,
     * when the C2 queue is long at start-up: common on 2 cores) compiled these loops with boxed
     * vectors and Java fallbacks, 3–10× slower, in about one run in four.
     */
    private static IntVector bitsOf(FloatVector v) {
        return (IntVector) v.reinterpretShape(I, 0);
    }

    private static IntVector lshr31(IntVector v) {
        return v.lanewise(VectorOperators.LSHR, 31);
    }

    /**
     * Pass 1 over the block's rows, channels [0, end): per channel the firing and outlier counts, max
     * |x| (as bits), Σx and Σx² (float, moved into {@code sum}, {@code sq} every
     * {@link SiteStats#FLUSH_TOKENS} tokens); per lane the min and max (as order keys) and the negative
     * and near-zero counts; with {@code tokenMax}, each row's max |x| per lane (as bits) into
     * {@code tokenMaxLanes}. With {@code a = |x|}'s bits: x &gt; 0 ⇔ sign clear and a &gt; 0; x &lt; 0 ⇔
     * sign set and a &gt; 0; |x| ≥ t ⇔ bits(t) − 1 − a &lt; 0; |x| &lt; eps ⇔ a − bits(eps) &lt; 0 (no
     * overflow: all are below 2^31); the sign bit of each is the 0/1 count. The scalar tail in
     * {@link SiteStats} computes the same with comparisons.
     */
    static void firstPass(float[] x, int offset, int rows, int stride, int end, int epsBits, int thresholdBits,
                          boolean tokenMax, SiteStats.Scratch a, double[] sum, double[] sq) {
        IntVector belowThreshold = IntVector.broadcast(I, thresholdBits - 1);
        int l = S.length();
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride, top = r * l;
            ZERO_I.intoArray(a.tokenMaxLanes, top);
            for (int c = 0; c < end; c += l) {
                FloatVector v = FloatVector.fromArray(S, x, row + c);
                IntVector bits = bitsOf(v);
                IntVector abs = bits.and(0x7fffffff);
                IntVector minusAbs = ZERO_I.sub(abs);
                IntVector.fromArray(I, a.fire, c).add(lshr31(MINUS_ONE.sub(bits).and(minusAbs))).intoArray(a.fire, c);   // ~bits & −a
                IntVector.fromArray(I, a.over, c).add(lshr31(belowThreshold.sub(abs))).intoArray(a.over, c);
                IntVector.fromArray(I, a.maxAbs, c).max(abs).intoArray(a.maxAbs, c);
                FloatVector.fromArray(S, a.sum, c).add(v).intoArray(a.sum, c);
                FloatVector.fromArray(S, a.sq, c).add(v.mul(v)).intoArray(a.sq, c);
                IntVector.fromArray(I, a.neg, 0).add(lshr31(bits.and(minusAbs))).intoArray(a.neg, 0);
                IntVector.fromArray(I, a.near, 0).add(lshr31(abs.sub(epsBits))).intoArray(a.near, 0);
                IntVector flip = bits.lanewise(VectorOperators.ASHR, 31).and(0x7fffffff);   // orderKey: bits ^ flip
                IntVector key = bits.or(flip).sub(bits.and(flip));   // a ^ b = (a | b) − (a & b)
                IntVector.fromArray(I, a.lo, 0).min(key).intoArray(a.lo, 0);
                IntVector.fromArray(I, a.hi, 0).max(key).intoArray(a.hi, 0);
                if (tokenMax) IntVector.fromArray(I, a.tokenMaxLanes, top).max(abs).intoArray(a.tokenMaxLanes, top);
            }
            if ((r + 1) % SiteStats.FLUSH_TOKENS == 0 || r == rows - 1) {
                SiteStats.flush(a.sum, sum, 0, end);
                SiteStats.flush(a.sq, sq, 0, end);
            }
        }
    }

    /**
     * Pass 2 over the block's rows, channels [0, end): Σd², Σd³, Σd⁴ per channel, d = x − mean (moved
     * into c2, c3, c4 every {@link SiteStats#FLUSH_TOKENS} tokens), and the histogram: bin
     * {@code 1 + floor((x + range)·binsPerUnit)} clamped to {@code [0, bins + 1]} (0 and bins + 1:
     * under- and overflow), computed in SIMD into {@code bin}, then counted. Floor and float→int
     * without masks or conversions (not intrinsified on JDK 17): round with the 1.5·2^23 trick, read
     * the integer from the bits, and step down one where rounding went up.
     */
    static void secondPass(float[] x, int offset, int rows, int stride, int end, float mean, float range, float binsPerUnit,
                           int bins, SiteStats.Scratch a, double[] c2, double[] c3, double[] c4, long[] histogram) {
        FloatVector magic = FloatVector.broadcast(S, ffnbench.math.FastMath.ROUND_MAGIC);
        int magicBits = ffnbench.math.FastMath.ROUND_MAGIC_BITS - 1;   // − 1: bin 0 is the underflow
        FloatVector rangeV = FloatVector.broadcast(S, range), scale = FloatVector.broadcast(S, binsPerUnit);
        FloatVector lowest = FloatVector.broadcast(S, -1f), highest = FloatVector.broadcast(S, (float) bins);
        int[] bin = a.bin;
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            for (int c = 0; c < end; c += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, row + c);
                FloatVector d = v.sub(mean);
                FloatVector d2 = d.mul(d);
                FloatVector.fromArray(S, a.c2, c).add(d2).intoArray(a.c2, c);
                FloatVector.fromArray(S, a.c3, c).add(d2.mul(d)).intoArray(a.c3, c);
                FloatVector.fromArray(S, a.c4, c).add(d2.mul(d2)).intoArray(a.c4, c);
                FloatVector pos = v.add(rangeV).mul(scale).max(lowest).min(highest);
                FloatVector shifted = pos.add(magic);
                IntVector up = bitsOf(shifted.sub(magic).sub(pos));   // rounded − pos: > 0 where it rounded up
                IntVector roundedUp = lshr31(MINUS_ONE.sub(up).and(ZERO_I.sub(up)));   // ~up & −up: up > 0
                bitsOf(shifted).sub(magicBits).sub(roundedUp).intoArray(bin, c);
            }
            for (int c = 0; c < end; c++) histogram[bin[c]]++;
            if ((r + 1) % SiteStats.FLUSH_TOKENS == 0 || r == rows - 1) {
                SiteStats.flush(a.c2, c2, 0, end);
                SiteStats.flush(a.c3, c3, 0, end);
                SiteStats.flush(a.c4, c4, 0, end);
            }
        }
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

    /** At most this many values left after the top 11 bits are sorted rather than counted through. */
    private static final int SORT_KEPT = 48;

    /** Ints the selection below needs per value array: a multiple of four SIMD widths. */
    static int selectionLength(int n) {
        int step = 4 * I.length();
        return (n + step - 1) / step * step;
    }

    /**
     * {@link Select#kthOfNonNegative} with the counting passes in SIMD lanes. {@code bits} holds the n
     * values followed by {@code Integer.MAX_VALUE} up to {@link #selectionLength} (never below a
     * candidate); {@code acc} is scratch of four SIMD widths; {@code kept} scratch of
     * {@code selectionLength(n)} ints. The top 11 bits (sign, exponent, 3 mantissa bits) are decided
     * over all values; then only the values sharing them (typically a tenth) are kept and sorted, or
     * when many remain, the other 20 bits are decided over those. The selection is latency-bound (each
     * bit waits for the last), so fewer passes matter more than narrower ones.
     */
    static float kthOfNonNegative(int[] bits, int length, int k, int[] acc, int[] kept) {
        int r = decideBits(bits, length, k, 30, 20, 0, acc);
        int prefix = r >>> 20, below = 0, n = 0;
        for (int i = 0; i < length; i++) {   // branch-free: count the values below the prefix, keep the equal ones
            int b = bits[i], high = b >>> 20;
            below += (high - prefix) >>> 31;
            kept[n] = b;
            n += ((high ^ prefix) - 1) >>> 31;
        }
        if (n <= SORT_KEPT) {   // a few values left: sorting them beats 20 more counting passes
            java.util.Arrays.sort(kept, 0, n);
            return Float.intBitsToFloat(kept[k - below]);
        }
        int keptLength = selectionLength(n);
        java.util.Arrays.fill(kept, n, keptLength, Integer.MAX_VALUE);
        return Float.intBitsToFloat(decideBits(kept, keptLength, k - below, 19, 0, r, acc));
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
