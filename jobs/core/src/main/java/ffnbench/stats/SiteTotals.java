package ffnbench.stats;

/**
 * A site's statistics as totals computed elsewhere (the GPU path reads them off the device):
 * moments as count, mean and central sums; counts; the histogram; per-channel totals.
 *
 * @param width         channels
 * @param tokens        rows seen
 * @param count         finite values summed
 * @param mean          their mean
 * @param m2            Σ(x − mean)², and m3, m4 the third and fourth central sums
 * @param histogram     [underflow, bins…, overflow]
 * @param firing        per channel: values &gt; 0
 * @param overThreshold per channel: |x| ≥ the outlier threshold
 */
public record SiteTotals(int width, long tokens, long count, double mean, double m2, double m3, double m4,
                         float min, float max, float maxAbs, long zeros, long nearZero, long negatives, long nan, long inf,
                         long[] histogram, long[] firing, long[] overThreshold, float[] channelMaxAbs, double[] channelSumSq) { }
