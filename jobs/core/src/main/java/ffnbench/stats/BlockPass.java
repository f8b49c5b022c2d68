package ffnbench.stats;

import java.util.Arrays;

/**
 * One pass over a block of a site's rows into its {@link BlockScratch}: the SIMD kernels
 * ({@link ChannelKernels}) over the leading channels, scalar loops over the rest, then the lanes'
 * partial results combined.
 */
final class BlockPass {
    private BlockPass() {}

    /**
     * The pass into the scratch (see {@link ChannelKernels#pass}, which runs channels [0, end)): per
     * channel the firing and outlier counts, max |x| (as bits) and Σd..Σd⁴ (into s1..s4); the block's
     * min, max, negative and near-zero counts and histogram; per token max |x| when the site keeps
     * ratios. After each {@link BlockScratch#FLUSH_TOKENS} rows, while they are still in cache: their
     * share of the quantile sample and, when the site keeps ratios, their median |x|.
     */
    static void pass(SiteStats site, float[] data, int offset, int rows, int stride, int end, BlockScratch a,
                     double[] s1, double[] s2, double[] s3, double[] s4) {
        StatsConfig config = site.config;
        int width = site.width;
        boolean perTokenRatio = site.perTokenRatio;
        Thresholds t = Thresholds.of(config);
        float eps = t.nearZeroEps(), threshold = t.outlier();
        int lanes = end > 0 ? ChannelKernels.lanes() : 0;
        if (perTokenRatio) Arrays.fill(a.tokenMaxLanes, 0, rows * lanes, 0);
        a.quantileSample.start(rows, width, config.quantileSample());
        site.quantiles.prefetchCounts();
        for (int first = 0; first < rows; first += BlockScratch.FLUSH_TOKENS) {
            int last = Math.min(rows, first + BlockScratch.FLUSH_TOKENS);
            if (end > 0) {
                ChannelKernels.pass(data, offset, first, last, stride, end, Float.floatToRawIntBits(eps),
                        Float.floatToRawIntBits(threshold), perTokenRatio, t.binOffset(), t.binsPerUnit(), t.bins(), a, s1, s2, s3, s4);
            }
            a.quantileSample.addUntil(data, offset, stride, last, site.quantiles);
            if (perTokenRatio) TokenRatios.medians(data, offset, first, last, stride, a);
        }
        Arrays.fill(a.tokenMax, 0, rows, 0f);
        for (int r = 0; r < rows && end < width; r++) {
            int row = offset + r * stride;
            for (int c = end; c < width; c++) {
                float v = data[row + c], abs = Math.abs(v);
                if (v > 0f) a.fire[c]++;
                if (v < 0f) a.negatives++;
                if (abs < eps) a.nearZero++;
                if (abs >= threshold) a.over[c]++;
                a.maxAbs[c] = Math.max(a.maxAbs[c], Float.floatToRawIntBits(abs));
                a.min = Math.min(a.min, v);
                a.max = Math.max(a.max, v);
                a.tokenMax[r] = Math.max(a.tokenMax[r], abs);
                float d = v - a.shift[c], d2 = d * d;
                a.s1[c] += d;
                a.s2[c] += d2;
                a.s3[c] = Math.fma(d2, d, a.s3[c]);
                a.s4[c] = Math.fma(d2, d2, a.s4[c]);
                a.laneHistogram[t.bin(v)]++;   // lane 0's copy
            }
            if (BlockScratch.flushAfter(r, rows)) a.flushSums(end, width, s1, s2, s3, s4);
        }
        for (int l = 0; l < lanes; l++) {
            a.min = Math.min(a.min, ChannelKernels.minOf(a.lowestBits[l], a.negatedBits[l]));
            a.max = Math.max(a.max, ChannelKernels.maxOf(a.highestBits[l], a.lowestBits[l]));
            a.negatives += a.neg[l];
            a.nearZero += a.near[l];
        }
        if (perTokenRatio && lanes > 0) ChannelKernels.foldTokenMaxima(a.tokenMaxLanes, a.tokenMax, rows);
    }
}
