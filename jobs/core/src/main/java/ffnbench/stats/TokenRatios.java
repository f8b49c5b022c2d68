package ffnbench.stats;

/** Per-token max|x| / median|x| of a d_model-wide site (massive activations, Sun et al. 2024). */
final class TokenRatios {
    private TokenRatios() {}

    /**
     * Per token: max|x| over all channels / median|x|. The median is taken over at most
     * {@link SiteStats#MEDIAN_CHANNELS} evenly spaced channels (all of them when the site is narrower): an exact
     * median per token costs more than everything else in the statistics together.
     */
    static void add(SiteStats s, float[] data, int offset, int rows, int stride, float[] tokenMax, BlockScratch a) {
        int width = s.width;
        int[] channels = a.medianChannels, bits = a.medianBits;
        int m = channels.length, k = (m - 1) / 2;   // the lower median
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            float top = 0;
            if (tokenMax != null) {
                top = tokenMax[r];
            } else {
                for (int c = 0; c < width; c++) top = Math.max(top, Math.abs(data[row + c]));
            }
            for (int i = 0; i < m; i++) bits[i] = Float.floatToRawIntBits(data[row + channels[i]]) & 0x7fffffff;
            float median = BlockScratch.VECTORIZED ? ChannelKernels.kthOfNonNegative(bits, bits.length, k, a.medianKept)
                    : Select.kthOfNonNegative(bits, m, k);
            double ratio = median > 0 ? top / median : (top > 0 ? Double.POSITIVE_INFINITY : 1.0);
            if (!Double.isFinite(ratio)) ratio = Double.MAX_VALUE;
            if (ratio > s.maxTokenRatio) s.maxTokenRatio = ratio;
            s.sumTokenRatio += Math.min(ratio, 1e30);
            if (ratio >= SiteStats.MASSIVE_RATIO) s.massiveTokens++;
        }
    }
}
