package ffnbench.stats;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-element work of {@link SiteStats} as SIMD loops over channels (JDK Vector API): every
 * channel owns float accumulators, so a SIMD lane does exactly what the scalar tail does for its
 * channel and results are bit-identical either way. Only loaded when the Vector API is present.
 */
final class ChannelKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final FloatVector ZERO = FloatVector.zero(S);
    private static final FloatVector BIG = FloatVector.broadcast(S, 0x1p126f);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private ChannelKernels() {}

    /**
     * 1 where {@code x > 0}, else 0, for finite x, with arithmetic instead of a mask blend (which costs
     * ~3× more on JDK 17): any positive float times 2^126·2^126 saturates past 1, any other stays ≤ 0.
     */
    private static FloatVector isPositive(FloatVector x) {
        return x.mul(BIG).mul(BIG).max(ZERO).min(ONE);
    }

    /** 1 where {@code x ≥ 0}, else 0, for finite x (a negative x saturates to −∞ before the + 1). */
    private static FloatVector isNonNegative(FloatVector x) {
        return x.mul(BIG).mul(BIG).add(ONE).max(ZERO).min(ONE);
    }

    /** Where the scalar tail of a width-long row starts. */
    static int vectorEnd(int width) {
        return S.loopBound(width);
    }

    static int lanes() {
        return S.length();
    }

    /**
     * Pass 1 over one token row: per channel the firing and outlier counts, max |x|, Σx and Σx²; per
     * lane the row's min, max and its negative and near-zero counts (kept as vectors in the scratch:
     * JDK 17 does not intrinsify float min/max lane reductions, so nothing is reduced per row); the
     * row's max |x| per lane into {@code tokenMaxLanes}.
     *
     * <p>Every accumulator lives in an array, loaded and stored in each step: JDK 17's C2 boxes a
     * vector carried from one loop iteration to the next (a heap object per step — JFR showed 10 GB
     * of such garbage in one short run and statistics at ~6 ns per value).
     */
    static void firstPass(float[] x, int row, int end, float eps, float threshold, SiteStats.Scratch a, int r) {
        FloatVector thresholdV = FloatVector.broadcast(S, threshold), epsV = FloatVector.broadcast(S, eps);
        int top = r * S.length();
        ZERO.intoArray(a.tokenMaxLanes, top);
        for (int c = 0; c < end; c += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, row + c);
            FloatVector abs = v.abs();
            // Counts: v > 0, |v| ≥ threshold (the differences below are exact in sign, so counts are exact)
            FloatVector.fromArray(S, a.fire, c).add(isPositive(v)).intoArray(a.fire, c);
            FloatVector.fromArray(S, a.over, c).add(isNonNegative(abs.sub(thresholdV))).intoArray(a.over, c);
            FloatVector.fromArray(S, a.maxAbs, c).max(abs).intoArray(a.maxAbs, c);
            FloatVector.fromArray(S, a.sum, c).add(v).intoArray(a.sum, c);
            FloatVector.fromArray(S, a.sq, c).add(v.mul(v)).intoArray(a.sq, c);
            FloatVector.fromArray(S, a.neg, 0).add(isPositive(v.neg())).intoArray(a.neg, 0);
            FloatVector.fromArray(S, a.near, 0).add(isPositive(epsV.sub(abs))).intoArray(a.near, 0);   // eps − |v| > 0
            FloatVector.fromArray(S, a.lo, 0).min(v).intoArray(a.lo, 0);
            FloatVector.fromArray(S, a.hi, 0).max(v).intoArray(a.hi, 0);
            FloatVector.fromArray(S, a.tokenMaxLanes, top).max(abs).intoArray(a.tokenMaxLanes, top);
        }
    }

    /**
     * Histogram bin of each value, {@code 1 + floor((x + range)·binsPerUnit)} clamped to
     * {@code [0, bins + 1]} (0 and bins + 1: under- and overflow), into {@code bin[0, end)}. Floor and
     * float→int without masks or conversions (not intrinsified on JDK 17): round with the 1.5·2^23
     * trick, step down where rounding went up, and read the integer from the bits of floor + 1.5·2^23.
     */
    static void bins(float[] x, int row, int end, float range, float binsPerUnit, int bins, int[] bin) {
        FloatVector magic = FloatVector.broadcast(S, ffnbench.math.FastMath.ROUND_MAGIC);
        int offset = ffnbench.math.FastMath.ROUND_MAGIC_BITS - 1;   // + 1: bin 0 is the underflow
        FloatVector rangeV = FloatVector.broadcast(S, range), scale = FloatVector.broadcast(S, binsPerUnit);
        FloatVector lowest = FloatVector.broadcast(S, -1f), highest = FloatVector.broadcast(S, (float) bins);
        for (int c = 0; c < end; c += S.length()) {
            FloatVector pos = FloatVector.fromArray(S, x, row + c).add(rangeV).mul(scale).max(lowest).min(highest);
            FloatVector rounded = pos.add(magic).sub(magic);
            FloatVector floor = rounded.sub(isPositive(rounded.sub(pos)));
            floor.add(magic).reinterpretAsInts().sub(offset).intoArray(bin, c);
        }
    }

    /** Pass 2 over one token row: Σd², Σd³, Σd⁴ per channel, d = x − mean. */
    static void secondPass(float[] x, int row, int end, float mean, SiteStats.Scratch a) {
        for (int c = 0; c < end; c += S.length()) {
            FloatVector d = FloatVector.fromArray(S, x, row + c).sub(mean);
            FloatVector d2 = d.mul(d);
            FloatVector.fromArray(S, a.c2, c).add(d2).intoArray(a.c2, c);
            FloatVector.fromArray(S, a.c3, c).add(d2.mul(d)).intoArray(a.c3, c);
            FloatVector.fromArray(S, a.c4, c).add(d2.mul(d2)).intoArray(a.c4, c);
        }
    }

    /**
     * True when every value of the block's rows is finite (NaN and ±∞ turn x·0 into NaN). One
     * accumulator for the whole block (in {@code tmp}, not a loop-carried vector: see firstPass),
     * inspected once: lane reductions are slow on JDK 17.
     */
    static boolean allFinite(float[] x, int offset, int rows, int stride, int end, float[] tmp) {
        ZERO.intoArray(tmp, 0);
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            for (int c = 0; c < end; c += S.length()) {
                FloatVector.fromArray(S, tmp, 0).add(FloatVector.fromArray(S, x, row + c).mul(ZERO)).intoArray(tmp, 0);
            }
        }
        float sum = 0f;
        for (int l = 0; l < S.length(); l++) sum += tmp[l];
        return sum == 0f;
    }
}
