package ffnbench.stats;

/** Per-token max|x| / median|x| of a d_model-wide site (massive activations, Sun et al. 2024). */
final class TokenRatios {
    /**
     * The per-token median is reported with its mantissa cut to 7 bits (its bits' low 16 cleared: the
     * lower edge of its bin on the quantile histogram's grid, {@link LogHistogram}), so it is at most a
     * relative 2^−7 (0.78%) below the exact median of the sampled channels, and a ratio max/median is
     * never below 1.
     */
    static final int MEDIAN_BIN_SHIFT = 16;
    /** Adjacent channels in each of the median's runs. */
    private static final int RUN = SiteStats.MEDIAN_CHANNELS / SiteStats.MEDIAN_RUNS;

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
     * The channels of a site of this width that the per-token median reads: {@link SiteStats#MEDIAN_RUNS}
     * runs of adjacent channels spread evenly across the width, {@link SiteStats#MEDIAN_CHANNELS} in all
     * (every channel of a narrower site). Runs of adjacent channels are read a SIMD vector at a time,
     * where single channels spread over the row would each be a load of their own.
     */
    static int[] medianChannels(int width) {
        if (width <= SiteStats.MEDIAN_CHANNELS) return java.util.stream.IntStream.range(0, width).toArray();
        int[] channels = new int[SiteStats.MEDIAN_CHANNELS];
        for (int j = 0; j < SiteStats.MEDIAN_RUNS; j++) {
            int start = RUN * (int) ((long) j * width / SiteStats.MEDIAN_CHANNELS);
            for (int i = 0; i < RUN; i++) channels[j * RUN + i] = start + i;
        }
        return channels;
    }

    /**
     * The lower median |x| over {@link #medianChannels} of rows [first, last), on the grid of
     * {@link #MEDIAN_BIN_SHIFT}, into {@code a.tokenMedian}: an exact median per token over every channel
     * costs more than everything else in the statistics together. With SIMD, four rows at a time (a last
     * group of fewer repeats its last row), their selections side by side.
     */
    static void medians(float[] data, int offset, int first, int last, int stride, BlockScratch a) {
        int[] channels = a.medianChannels;
        int m = channels.length, k = (m - 1) / 2;   // the lower median
        if (!BlockScratch.VECTORIZED) {
            for (int r = first; r < last; r++) {
                gather(data, offset + r * stride, channels, a.medianBits, 0);
                int bin = Float.floatToRawIntBits(Select.kthOfNonNegative(a.medianBits, m, k)) >>> MEDIAN_BIN_SHIFT;
                a.tokenMedian[r] = Float.intBitsToFloat(bin << MEDIAN_BIN_SHIFT);
            }
            return;
        }
        int length = a.medianBits.length / 4;
        int[] bins = a.medianBins;
        for (int r = first; r < last; r += 4) {
            for (int t = 0; t < 4; t++) gather(data, offset + Math.min(r + t, last - 1) * stride, channels, a.medianBits, t * length);
            ChannelKernels.kthBinOfNonNegative4(a.medianBits, length, k, a.medianPacked, bins);
            for (int t = 0; t < 4 && r + t < last; t++) a.tokenMedian[r + t] = Float.intBitsToFloat(bins[t] << MEDIAN_BIN_SHIFT);
        }
    }

    /** The sampled channels' |x| bits of the row starting at {@code row}, into {@code bits[at ..]}: a run at a time with SIMD. */
    private static void gather(float[] data, int row, int[] channels, int[] bits, int at) {
        if (BlockScratch.VECTORIZED && channels.length == SiteStats.MEDIAN_CHANNELS && RUN % ChannelKernels.lanes() == 0) {
            for (int i = 0; i < channels.length; i += RUN) ChannelKernels.copyMagnitudeBits(data, row + channels[i], bits, at + i, RUN);
            return;
        }
        for (int i = 0; i < channels.length; i++) bits[at + i] = Float.floatToRawIntBits(data[row + channels[i]]) & 0x7fffffff;
    }
}
