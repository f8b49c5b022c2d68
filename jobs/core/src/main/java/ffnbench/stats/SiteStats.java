package ffnbench.stats;

import java.util.Arrays;

/**
 * Mergeable statistics of one site's activations (a {@code [tokens × width]} matrix per row).
 * Everything that must be exact across partitionings is an integer count; moments merge with the
 * parallel formulas; quantiles come from a {@link LogHistogram} of a systematic sample, whose counts
 * also merge exactly. Pure Java: no Spark here.
 *
 * <p>Per channel (column) it keeps: how often the value is &gt; 0 ("fires"), how often |x| ≥ the
 * outlier threshold, max |x|, and Σx² (for per-channel RMS). Per token of a {@code d_model}-wide
 * site it keeps max|x| / median|x| (massive activations, Sun et al. 2024).
 */
public final class SiteStats {
    /** Tokens whose max|x| / median|x| reaches this count as massive-activation tokens. */
    public static final double MASSIVE_RATIO = 100.0;
    /**
     * Channels sampled per token for the median |x| of the massive-activation ratio: {@link #MEDIAN_RUNS}
     * runs of adjacent channels spread evenly across the width (all channels of a narrower site).
     */
    public static final int MEDIAN_CHANNELS = 256;
    /** Runs of the median's channels: run j starts at channel (MEDIAN_CHANNELS/MEDIAN_RUNS)·⌊j·width/MEDIAN_CHANNELS⌋. */
    public static final int MEDIAN_RUNS = 16;

    final StatsConfig config;
    final int width;
    final boolean perTokenRatio;
    final Moments moments = new Moments();
    long tokens;
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    float maxAbs;
    long zeros;
    long nearZero;
    long negatives;
    long nan;
    long inf;
    final long[] histogram;          // [underflow, bins..., overflow]
    final long[] firing;             // per channel: x > 0
    final long[] overThreshold;      // per channel: |x| ≥ outlier threshold
    final float[] channelMaxAbs;
    final double[] channelSumSq;
    double maxTokenRatio;
    double sumTokenRatio;
    long massiveTokens;
    final LogHistogram quantiles;

    public SiteStats(StatsConfig config, int width, boolean perTokenRatio) {
        this.config = config;
        this.width = width;
        this.perTokenRatio = perTokenRatio;
        this.histogram = new long[config.histogramBins() + 2];
        this.firing = new long[width];
        this.overThreshold = new long[width];
        this.channelMaxAbs = new float[width];
        this.channelSumSq = new double[width];
        this.quantiles = new LogHistogram(config.quantileBits());
    }

    /**
     * A site's statistics from totals computed elsewhere (the GPU path, {@code ffnbench.gpu}). The
     * quantile histogram and per-token ratios are not part of them (docs/GPU.md lists what the GPU path
     * computes).
     */
    public static SiteStats fromTotals(StatsConfig config, SiteTotals t) {
        SiteStats s = new SiteStats(config, t.width(), false);
        CompensatedSum sum = new CompensatedSum();
        sum.add(t.mean() * t.count());
        s.moments.merge(t.count(), sum, t.m2(), t.m3(), t.m4());
        s.tokens = t.tokens();
        s.min = t.min();
        s.max = t.max();
        s.maxAbs = t.maxAbs();
        s.zeros = t.zeros();
        s.nearZero = t.nearZero();
        s.negatives = t.negatives();
        s.nan = t.nan();
        s.inf = t.inf();
        System.arraycopy(t.histogram(), 0, s.histogram, 0, s.histogram.length);
        System.arraycopy(t.firing(), 0, s.firing, 0, t.width());
        System.arraycopy(t.overThreshold(), 0, s.overThreshold, 0, t.width());
        System.arraycopy(t.channelMaxAbs(), 0, s.channelMaxAbs, 0, t.width());
        System.arraycopy(t.channelSumSq(), 0, s.channelSumSq, 0, t.width());
        return s;
    }

    public int width() {
        return width;
    }

    /**
     * The next block's power sums are about its own first row again, as in a new SiteStats: a task
     * that adds many sequences to one set of statistics calls this per sequence, so each sequence's
     * partial is the same whichever sequences the task saw before it.
     */
    void startSequence() {
        if (scratch != null) scratch.shiftSet = false;
    }

    private transient BlockScratch scratch;

    /**
     * Adds the matrix {@code data[offset + r·stride + c]}, {@code r < rows}, {@code c < width}: one pass
     * over it (counts, extremes, the histogram, each channel's power sums about its shift, and a few
     * rows at a time the quantile sample and per-token medians), the block's central moments from those
     * sums, then the per-token ratios.
     */
    public void add(float[] data, int offset, int rows, int stride) {
        if (rows == 0) return;
        if (scratch == null) scratch = new BlockScratch(width, histogram.length);
        BlockScratch a = scratch;
        int end = BlockScratch.VECTORIZED ? ChannelKernels.vectorEnd(width) : 0;   // SIMD for channels [0, end), scalar after
        a.reset(rows, end);
        if (!a.shiftSet) System.arraycopy(data, offset, a.shift, 0, width);
        double[] s1 = a.blockSum1, s2 = a.blockSum2, s3 = a.blockSum3, s4 = a.blockSum4;
        BlockPass.pass(this, data, offset, rows, stride, end, a, s1, s2, s3, s4);
        if (!a.allFinite()) {   // NaN/±∞ showed up as a max |x| bit pattern ≥ +∞'s: start over, apart
            NonFiniteBlock.add(this, data, offset, rows, stride, a);
            return;
        }
        addMoments(rows, a.shift, s1, s2, s3, s4);
        a.shiftSet = true;

        long blockFiring = 0;
        int blockMaxAbs = 0;
        for (int c = 0; c < width; c++) {   // maxima of non-negative finite floats: as their bits, integer maxima
            long f = a.fire[c];
            firing[c] += f;
            blockFiring += f;
            overThreshold[c] += a.over[c];
            blockMaxAbs = Math.max(blockMaxAbs, a.maxAbs[c]);
            channelMaxAbs[c] = Float.intBitsToFloat(Math.max(Float.floatToRawIntBits(channelMaxAbs[c]), a.maxAbs[c]));
        }
        maxAbs = Math.max(maxAbs, Float.intBitsToFloat(blockMaxAbs));
        for (int lane = 0; lane < a.laneHistogram.length; lane += a.binStride) {
            for (int b = 0; b < a.binStride; b++) histogram[b] += a.laneHistogram[lane + b];
        }
        long n = (long) rows * width;
        zeros += n - blockFiring - a.negatives;   // finite values are > 0, < 0 or = 0
        negatives += a.negatives;
        nearZero += a.nearZero;
        min = Math.min(min, a.min);
        max = Math.max(max, a.max);
        tokens += rows;
        if (perTokenRatio) TokenRatios.add(this, rows, a);
    }

    /**
     * Merges the block's moments and per-channel Σx² from each channel's power sums about its shift K:
     * x = K + d, so Σx = rows·K + Σd, and about the block mean m, with e = K − m,
     * Σ(x − m)^p = Σ(d + e)^p expanded binomially (exact; all in double). Each channel's shift then
     * moves to its mean, for the next block.
     */
    private void addMoments(int rows, float[] shift, double[] s1, double[] s2, double[] s3, double[] s4) {
        // four compensated sums over every fourth channel, then added together: four chains of dependent additions
        CompensatedSum blockSum = new CompensatedSum();
        CompensatedSum[] partial = {blockSum, new CompensatedSum(), new CompensatedSum(), new CompensatedSum()};
        for (int c = 0; c < width; c++) {
            partial[c & 3].add((double) rows * shift[c]);
            partial[c & 3].add(s1[c]);
        }
        for (int p = 1; p < 4; p++) blockSum.add(partial[p]);
        long n = (long) rows * width;
        double mean = blockSum.value() / n;
        double m2 = 0, m3 = 0, m4 = 0;
        for (int c = 0; c < width; c++) {
            double k = shift[c], e = k - mean, e2 = e * e;
            double d1 = s1[c], d2 = s2[c], d3 = s3[c], d4 = s4[c];
            m2 += d2 + 2 * e * d1 + rows * e2;
            m3 += d3 + 3 * e * d2 + 3 * e2 * d1 + rows * e2 * e;
            m4 += d4 + 4 * e * d3 + 6 * e2 * d2 + 4 * e2 * e * d1 + rows * e2 * e2;
            channelSumSq[c] += d2 + 2 * k * d1 + rows * k * k;
            shift[c] = (float) (k + d1 / rows);
        }
        moments.merge(n, blockSum, Math.max(m2, 0), m3, Math.max(m4, 0));
    }

    /** Merges another partial of the same site into this one. */
    public void merge(SiteStats o) {
        if (o.width != width || o.histogram.length != histogram.length) {
            throw new IllegalArgumentException("cannot merge statistics of different shapes: width " + width + " vs " + o.width);
        }
        moments.merge(o.moments);
        tokens += o.tokens;
        min = Math.min(min, o.min);
        max = Math.max(max, o.max);
        maxAbs = Math.max(maxAbs, o.maxAbs);
        zeros += o.zeros;
        nearZero += o.nearZero;
        negatives += o.negatives;
        nan += o.nan;
        inf += o.inf;
        for (int i = 0; i < histogram.length; i++) histogram[i] += o.histogram[i];
        for (int c = 0; c < width; c++) {
            firing[c] += o.firing[c];
            overThreshold[c] += o.overThreshold[c];
            channelMaxAbs[c] = Math.max(channelMaxAbs[c], o.channelMaxAbs[c]);
            channelSumSq[c] += o.channelSumSq[c];
        }
        maxTokenRatio = Math.max(maxTokenRatio, o.maxTokenRatio);
        sumTokenRatio += o.sumTokenRatio;
        massiveTokens += o.massiveTokens;
        quantiles.merge(o.quantiles);
    }

    // ---- derived results -------------------------------------------------------------------

    public Moments moments() {
        return moments;
    }

    public long tokens() {
        return tokens;
    }

    public long count() {
        return moments.n;
    }

    public float min() { return min; }
    public float max() { return max; }
    public float maxAbs() { return maxAbs; }
    public long zeros() { return zeros; }
    public long nearZero() { return nearZero; }
    public long negatives() { return negatives; }
    public long nanCount() { return nan; }
    public long infCount() { return inf; }
    public long[] histogram() { return histogram.clone(); }
    public long[] firing() { return firing.clone(); }
    public long[] overThreshold() { return overThreshold.clone(); }
    public float[] channelMaxAbs() { return channelMaxAbs.clone(); }
    public boolean hasTokenRatios() { return perTokenRatio; }
    public double maxTokenRatio() { return maxTokenRatio; }
    public double meanTokenRatio() { return tokens == 0 ? Double.NaN : sumTokenRatio / tokens; }
    public long massiveTokens() { return massiveTokens; }

    /** Quantile at rank q ∈ [0, 1] of the sampled values, within a relative {@link LogHistogram#relativeError} (NaN if none). */
    public float quantile(double q) {
        return quantiles.quantile(q);
    }

    /** Channels that never fired (x &gt; 0) on any token: dead neurons. */
    public int deadChannels() {
        int dead = 0;
        for (long f : firing) if (f == 0) dead++;
        return dead;
    }

    /** Mean over channels of the fraction of tokens on which the channel fired. */
    public double meanFiringRate() {
        if (tokens == 0) return Double.NaN;
        double s = 0;
        for (long f : firing) s += (double) f / tokens;
        return s / width;
    }

    /** The k channels with the largest max |x|, largest first. */
    public int[] topChannels(int k) {
        Integer[] idx = new Integer[width];
        for (int i = 0; i < width; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Float.compare(channelMaxAbs[b], channelMaxAbs[a]));
        int n = Math.min(k, width);
        int[] top = new int[n];
        for (int i = 0; i < n; i++) top[i] = idx[i];
        return top;
    }

    /** Channels with |x| ≥ threshold on at least {@code fraction} of tokens (LLM.int8: 6%). */
    public int[] frequentOutlierChannels(double fraction) {
        return java.util.stream.IntStream.range(0, width)
                .filter(c -> tokens > 0 && overThreshold[c] >= fraction * tokens).toArray();
    }

    /** Kurtosis of the per-channel RMS values (large: a few channels carry most of the energy). */
    public double channelRmsKurtosis() {
        if (tokens == 0) return Double.NaN;
        double[] rms = new double[width];
        for (int c = 0; c < width; c++) rms[c] = Math.sqrt(channelSumSq[c] / tokens);
        return Moments.of(rms).kurtosis();
    }
}
