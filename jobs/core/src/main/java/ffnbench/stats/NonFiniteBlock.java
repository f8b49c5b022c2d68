package ffnbench.stats;

/**
 * The rare block with NaN or ±∞ values: counted apart, and every statistic taken over the finite
 * values only, in double (slower than {@link BlockPass}, which assumes finite values).
 */
final class NonFiniteBlock {
    private NonFiniteBlock() {}

    /** The rare block with NaN/±∞ values: counted apart, every statistic taken over the finite values, in double. */
    static void add(SiteStats s, float[] data, int offset, int rows, int stride, BlockScratch a) {
        StatsConfig config = s.config;
        int width = s.width;
        Thresholds t = Thresholds.of(config);
        float eps = t.nearZeroEps(), threshold = t.outlier();
        CompensatedSum sum = new CompensatedSum();
        long finite = 0;
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            for (int c = 0; c < width; c++) {
                float v = data[row + c];
                if (!Float.isFinite(v)) {
                    if (Float.isNaN(v)) s.nan++; else s.inf++;
                    continue;
                }
                finite++;
                sum.add(v);
                float abs = Math.abs(v);
                s.min = Math.min(s.min, v);
                s.max = Math.max(s.max, v);
                s.maxAbs = Math.max(s.maxAbs, abs);
                if (v == 0f) s.zeros++;
                if (abs < eps) s.nearZero++;
                if (v < 0f) s.negatives++;
                if (v > 0f) s.firing[c]++;
                if (abs >= threshold) s.overThreshold[c]++;
                s.channelMaxAbs[c] = Math.max(s.channelMaxAbs[c], abs);
                s.channelSumSq[c] += (double) v * v;
                s.histogram[t.bin(v)]++;
            }
        }
        s.tokens += rows;
        if (finite > 0) {
            double mean = sum.value() / finite;
            double s2 = 0, s3 = 0, s4 = 0;
            for (int r = 0; r < rows; r++) {
                int row = offset + r * stride;
                for (int c = 0; c < width; c++) {
                    float v = data[row + c];
                    if (!Float.isFinite(v)) continue;
                    double d = v - mean, d2 = d * d;
                    s2 += d2; s3 += d2 * d; s4 += d2 * d2;
                }
            }
            s.moments.merge(finite, sum, s2, s3, s4);
        }
        // the quantile sample was taken by the pass (NaN and ±∞ are not counted there)
        if (s.perTokenRatio) TokenRatios.add(s, rows, a);   // the pass's per-token max and median (NaN and ±∞ included)
    }
}
