package ffnbench.stats;

/** Per-token max|x| / median|x| of a d_model-wide site (massive activations, Sun et al. 2024). */
final class TokenRatios {
    private TokenRatios() {}

    /**
     * Per token: max|x| over all channels ({@code a.tokenMax}, from the pass) / median|x|
     * ({@code a.tokenMedian}, from {@link #medians}), into the site's totals.
     */
    static void add(SiteStats s, int rows, BlockScratch a) {
        for (int r = 0; r < rows; r++) {
            float top = a.tokenMax[r], median = a.tokenMedian[r];
            double ratio = median > 0 ? top / median : (top > 0 ? Double.POSITIVE_INFINITY : 1.0);
            if (!Double.isFinite(ratio)) ratio = Double.MAX_VALUE;
            if (ratio > s.maxTokenRatio) s.maxTokenRatio = ratio;
            s.sumTokenRatio += Math.min(ratio, 1e30);
            if (ratio >= SiteStats.MASSIVE_RATIO) s.massiveTokens++;
        }
    }

    /**
     * The median |x| of rows [first, last) into {@code a.tokenMedian}. It is taken over at most
     * {@link SiteStats#MEDIAN_CHANNELS} evenly spaced channels (all of them when the site is narrower): an
     * exact median per token over every channel costs more than everything else in the statistics
     * together. With SIMD, four rows at a time (a last group of fewer repeats its last row), their
     * selections side by side.
     */
    static void medians(float[] data, int offset, int first, int last, int stride, BlockScratch a) {
        int[] channels = a.medianChannels;
        int m = channels.length, k = (m - 1) / 2;   // the lower median
        if (!BlockScratch.VECTORIZED) {
            for (int r = first; r < last; r++) {
                gather(data, offset + r * stride, channels, a.medianBits, 0);
                a.tokenMedian[r] = Select.kthOfNonNegative(a.medianBits, m, k);
            }
            return;
        }
        int length = a.medianBits.length / 4;
        float[] four = a.medians;
        for (int r = first; r < last; r += 4) {
            for (int t = 0; t < 4; t++) gather(data, offset + Math.min(r + t, last - 1) * stride, channels, a.medianBits, t * length);
            ChannelKernels.kthOfNonNegative4(a.medianBits, length, k, a.medianKept, four);
            for (int t = 0; t < 4 && r + t < last; t++) a.tokenMedian[r + t] = four[t];
        }
    }

    /** The sampled channels' |x| bits of the row starting at {@code row}, into {@code bits[at ..]}. */
    private static void gather(float[] data, int row, int[] channels, int[] bits, int at) {
        for (int i = 0; i < channels.length; i++) bits[at + i] = Float.floatToRawIntBits(data[row + channels[i]]) & 0x7fffffff;
    }
}
