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

    private ChannelKernels() {}

    /**
     * 1 where {@code x > 0}, else 0, for finite x, with arithmetic instead of a mask blend (which costs
     * ~3× more on JDK 17): any positive float times 2^126·2^126 saturates past 1, any other stays ≤ 0.
     */
    private static FloatVector isPositive(FloatVector x) {
        return x.mul(0x1p126f).mul(0x1p126f).max(0f).min(1f);
    }

    /** 1 where {@code x ≥ 0}, else 0, for finite x (a negative x saturates to −∞ before the + 1). */
    private static FloatVector isNonNegative(FloatVector x) {
        return x.mul(0x1p126f).mul(0x1p126f).add(1f).max(0f).min(1f);
    }

    /** Where the scalar tail of a width-long row starts. */
    static int vectorEnd(int width) {
        return S.loopBound(width);
    }

    /**
     * Pass 1 over one token row: per channel the firing and outlier counts, max |x|, Σx and Σx²; for
     * the row its min, max, max |x| and its negative and near-zero counts (held in registers).
     */
    static void firstPass(float[] x, int row, int end, float eps, float threshold, SiteStats.Scratch a, int r) {
        FloatVector lo = FloatVector.broadcast(S, Float.POSITIVE_INFINITY), hi = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector top = ZERO, neg = ZERO, near = ZERO;
        for (int c = 0; c < end; c += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, row + c);
            FloatVector abs = v.abs();
            // Counts: v > 0, |v| ≥ threshold (the differences below are exact in sign, so counts are exact)
            FloatVector.fromArray(S, a.fire, c).add(isPositive(v)).intoArray(a.fire, c);
            FloatVector.fromArray(S, a.over, c).add(isNonNegative(abs.sub(threshold))).intoArray(a.over, c);
            FloatVector.fromArray(S, a.maxAbs, c).max(abs).intoArray(a.maxAbs, c);
            FloatVector.fromArray(S, a.sum, c).add(v).intoArray(a.sum, c);
            FloatVector.fromArray(S, a.sq, c).add(v.mul(v)).intoArray(a.sq, c);
            neg = neg.add(isPositive(v.neg()));
            near = near.add(isPositive(abs.neg().add(eps)));   // eps − |v| > 0
            lo = lo.min(v);
            hi = hi.max(v);
            top = top.max(abs);
        }
        a.min = Math.min(a.min, lo.reduceLanes(VectorOperators.MIN));
        a.max = Math.max(a.max, hi.reduceLanes(VectorOperators.MAX));
        a.tokenMax[r] = top.reduceLanes(VectorOperators.MAX);
        a.negatives += (long) neg.reduceLanes(VectorOperators.ADD);   // exact: at most width/lanes per lane
        a.nearZero += (long) near.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Histogram bin of each value, {@code 1 + floor((x + range)·binsPerUnit)} clamped to
     * {@code [0, bins + 1]} (0 and bins + 1: under- and overflow), into {@code bin[0, end)}. The floor
     * is taken with the 1.5·2^23 rounding trick: the Vector API of JDK 17 has no fast float→int.
     */
    static void bins(float[] x, int row, int end, float range, float binsPerUnit, int bins, int[] bin) {
        float magic = ffnbench.math.FastMath.ROUND_MAGIC;
        int magicBits = ffnbench.math.FastMath.ROUND_MAGIC_BITS;
        for (int c = 0; c < end; c += S.length()) {
            FloatVector pos = FloatVector.fromArray(S, x, row + c).add(range).mul(binsPerUnit).max(-1f).min((float) bins);
            FloatVector shifted = pos.add(magic);
            FloatVector rounded = shifted.sub(magic);
            // round-to-nearest went up where rounded > pos: step down one to get the floor
            jdk.incubator.vector.IntVector k = shifted.reinterpretAsInts().sub(magicBits)
                    .sub(jdk.incubator.vector.IntVector.zero(jdk.incubator.vector.IntVector.SPECIES_PREFERRED)
                            .blend(1, rounded.compare(VectorOperators.GT, pos).cast(jdk.incubator.vector.IntVector.SPECIES_PREFERRED)));
            k.add(1).intoArray(bin, c);
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

    /** True when every value of the row is finite (NaN and ±∞ turn x·0 into NaN). */
    static boolean allFinite(float[] x, int row, int end) {
        FloatVector acc = ZERO;
        for (int c = 0; c < end; c += S.length()) acc = acc.add(FloatVector.fromArray(S, x, row + c).mul(0f));
        return acc.reduceLanes(VectorOperators.ADD) == 0f;
    }
}
