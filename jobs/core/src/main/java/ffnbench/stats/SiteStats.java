package ffnbench.stats;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.apache.datasketches.kll.KllFloatsSketch;
import org.apache.datasketches.memory.Memory;

/**
 * Mergeable statistics of one site's activations (a {@code [tokens × width]} matrix per row).
 * Everything that must be exact across partitionings is an integer count; moments merge with the
 * parallel formulas; quantiles come from a KLL sketch. Pure Java: no Spark here.
 *
 * <p>Per channel (column) it keeps: how often the value is &gt; 0 ("fires"), how often |x| ≥ the
 * outlier threshold, max |x|, and Σx² (for per-channel RMS). Per token of a {@code d_model}-wide
 * site it keeps max|x| / median|x| (massive activations, Sun et al. 2024).
 */
public final class SiteStats {
    /** Tokens whose max|x| / median|x| reaches this count as massive-activation tokens. */
    public static final double MASSIVE_RATIO = 100.0;
    /** Channels sampled per token for the median |x| of the massive-activation ratio. */
    public static final int MEDIAN_CHANNELS = 255;

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
    KllFloatsSketch sketch;

    public SiteStats(StatsConfig config, int width, boolean perTokenRatio) {
        this.config = config;
        this.width = width;
        this.perTokenRatio = perTokenRatio;
        this.histogram = new long[config.histogramBins() + 2];
        this.firing = new long[width];
        this.overThreshold = new long[width];
        this.channelMaxAbs = new float[width];
        this.channelSumSq = new double[width];
        this.sketch = KllFloatsSketch.newHeapInstance(config.kllK());
    }

    /**
     * A site's statistics from totals computed elsewhere (the GPU path, {@code ffnbench.gpu}): moments
     * as count, mean and central sums; counts; the histogram; per-channel totals. The quantile sketch
     * and per-token ratios are not part of them (docs/GPU.md lists what the GPU path computes).
     */
    public static SiteStats fromTotals(StatsConfig config, int width, long tokens, long n, double mean, double m2, double m3,
                                       double m4, float min, float max, float maxAbs, long zeros, long nearZero, long negatives,
                                       long nan, long inf, long[] histogram, long[] firing, long[] over, float[] channelMaxAbs,
                                       double[] channelSumSq) {
        SiteStats s = new SiteStats(config, width, false);
        CompensatedSum sum = new CompensatedSum();
        sum.add(mean * n);
        s.moments.merge(n, sum, m2, m3, m4);
        s.tokens = tokens;
        s.min = min;
        s.max = max;
        s.maxAbs = maxAbs;
        s.zeros = zeros;
        s.nearZero = nearZero;
        s.negatives = negatives;
        s.nan = nan;
        s.inf = inf;
        System.arraycopy(histogram, 0, s.histogram, 0, s.histogram.length);
        System.arraycopy(firing, 0, s.firing, 0, width);
        System.arraycopy(over, 0, s.overThreshold, 0, width);
        System.arraycopy(channelMaxAbs, 0, s.channelMaxAbs, 0, width);
        System.arraycopy(channelSumSq, 0, s.channelSumSq, 0, width);
        return s;
    }

    public int width() {
        return width;
    }

    /** Whether {@link ChannelKernels} (the Vector API) runs the per-element loops. */
    static final boolean VECTORIZED = ffnbench.math.Activation.VECTORIZED;
    /** Float sums are moved into double every this many tokens (bounds float rounding to ~16 terms). */
    static final int FLUSH_TOKENS = 16;

    /** Per-channel accumulators for one block (reused between blocks of this site). */
    static final class Scratch {
        final int[] fire, over, maxAbs;          // counts; max |x| as bits (non-negative floats order as ints)
        final float[] s1, s2, s3, s4;            // Σd..Σd⁴, d = x − shift: float, moved into double every FLUSH_TOKENS tokens
        // Each channel's moments are summed about a value near its mean, so that one pass gives them
        // without cancellation: the previous block's channel mean, or in the first block the first row.
        final float[] shift;
        boolean shiftSet;
        final int[] bin;
        float[] tokenMax = new float[0];
        // per SIMD lane across a block's rows: min and max as order keys, negative and near-zero counts;
        // per row and lane: max |x| as bits
        final int[] lo = new int[64], hi = new int[64], neg = new int[64], near = new int[64];
        int[] tokenMaxLanes = new int[0];
        // the block's histogram, one copy per SIMD lane: lane l counts bin b at laneHistogram[laneBase[l] + b]
        final int binStride;
        final int[] laneBase = new int[64], laneHistogram;
        float min, max;
        long negatives, nearZero;
        // the per-token median: which channels it reads, their |x| bits padded for the SIMD selection
        final int[] medianChannels;
        final int[] medianBits, medianKept;
        final int[] selectScratch = new int[256];

        Scratch(int width, int binStride) {
            fire = new int[width]; over = new int[width]; maxAbs = new int[width];
            s1 = new float[width]; s2 = new float[width]; s3 = new float[width]; s4 = new float[width];
            shift = new float[width];
            bin = new int[width];
            this.binStride = binStride;
            int lanes = VECTORIZED ? ChannelKernels.lanes() : 1;
            for (int l = 0; l < lanes; l++) laneBase[l] = l * binStride;
            laneHistogram = new int[lanes * binStride];
            int m = Math.min(width, MEDIAN_CHANNELS);
            medianChannels = new int[m];
            for (int i = 0; i < m; i++) medianChannels[i] = (int) ((long) i * width / m);
            medianBits = new int[VECTORIZED ? ChannelKernels.selectionLength(m) : m];
            Arrays.fill(medianBits, Integer.MAX_VALUE);   // padding: never below a candidate
            medianKept = new int[medianBits.length];
        }

        /** Moves the float power sums of channels [from, to) into the block's double totals, and clears them. */
        void flushSums(int from, int to, double[] t1, double[] t2, double[] t3, double[] t4) {
            flush(s1, t1, from, to);
            flush(s2, t2, from, to);
            flush(s3, t3, from, to);
            flush(s4, t4, from, to);
        }

        /** Whether the pass saw only finite values: NaN's and ±∞'s |x| bits are ≥ +∞'s (0x7f800000). */
        boolean allFinite() {
            int top = 0;
            for (int m : maxAbs) top = Math.max(top, m);
            return top < 0x7f800000;
        }

        void reset(int rows) {
            for (int[] f : new int[][] {fire, over, maxAbs, laneHistogram}) Arrays.fill(f, 0);
            for (float[] f : new float[][] {s1, s2, s3, s4}) Arrays.fill(f, 0f);
            if (tokenMax.length < rows) tokenMax = new float[rows];
            if (tokenMaxLanes.length < rows * 64) tokenMaxLanes = new int[rows * 64];
            Arrays.fill(lo, Integer.MAX_VALUE);
            Arrays.fill(hi, Integer.MIN_VALUE);
            Arrays.fill(neg, 0);
            Arrays.fill(near, 0);
            min = Float.POSITIVE_INFINITY;
            max = Float.NEGATIVE_INFINITY;
            negatives = 0;
            nearZero = 0;
        }
    }

    private transient Scratch scratch;

    /**
     * Adds the matrix {@code data[offset + r·stride + c]}, {@code r < rows}, {@code c < width}: one pass
     * over it (counts, extremes, the histogram and each channel's power sums about its shift), the
     * block's central moments from those sums, then the quantile sample and the per-token ratios.
     */
    public void add(float[] data, int offset, int rows, int stride) {
        if (rows == 0) return;
        if (scratch == null) scratch = new Scratch(width, histogram.length);
        Scratch a = scratch;
        a.reset(rows);
        if (!a.shiftSet) System.arraycopy(data, offset, a.shift, 0, width);
        int end = VECTORIZED ? ChannelKernels.vectorEnd(width) : 0;   // SIMD for channels [0, end), scalar after
        double[] s1 = new double[width], s2 = new double[width], s3 = new double[width], s4 = new double[width];
        pass(data, offset, rows, stride, end, a, s1, s2, s3, s4);
        if (!a.allFinite()) {   // NaN/±∞ showed up as a max |x| bit pattern ≥ +∞'s: start over, apart
            addWithNonFinite(data, offset, rows, stride, a);
            return;
        }
        addMoments(rows, a.shift, s1, s2, s3, s4);
        a.shiftSet = true;

        long blockFiring = 0;
        for (int c = 0; c < width; c++) {
            long f = a.fire[c];
            firing[c] += f;
            blockFiring += f;
            overThreshold[c] += a.over[c];
            float channelMax = Float.intBitsToFloat(a.maxAbs[c]);
            channelMaxAbs[c] = Math.max(channelMaxAbs[c], channelMax);
            maxAbs = Math.max(maxAbs, channelMax);
        }
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
        sample(data, offset, rows, stride);
        if (perTokenRatio) tokenRatios(data, offset, rows, stride, a.tokenMax, a);
    }

    /**
     * Merges the block's moments and per-channel Σx² from each channel's power sums about its shift K:
     * x = K + d, so Σx = rows·K + Σd, and about the block mean m, with e = K − m,
     * Σ(x − m)^p = Σ(d + e)^p expanded binomially (exact; all in double). Each channel's shift then
     * moves to its mean, for the next block.
     */
    private void addMoments(int rows, float[] shift, double[] s1, double[] s2, double[] s3, double[] s4) {
        CompensatedSum blockSum = new CompensatedSum();
        for (int c = 0; c < width; c++) {
            blockSum.add((double) rows * shift[c]);
            blockSum.add(s1[c]);
        }
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

    /**
     * The pass into the scratch (see {@link ChannelKernels#pass}, which runs channels [0, end)): per
     * channel the firing and outlier counts, max |x| (as bits) and Σd..Σd⁴ (into s1..s4); the block's
     * min, max, negative and near-zero counts and histogram; per token max |x| when the site keeps ratios.
     */
    private void pass(float[] data, int offset, int rows, int stride, int end, Scratch a,
                      double[] s1, double[] s2, double[] s3, double[] s4) {
        float eps = (float) config.nearZeroEps();
        float threshold = (float) config.outlierThreshold();
        float range = (float) config.histogramRange();
        int bins = config.histogramBins();
        float binsPerUnit = bins / (2 * range);
        if (end > 0) {
            ChannelKernels.pass(data, offset, rows, stride, end, Float.floatToRawIntBits(eps),
                    Float.floatToRawIntBits(threshold), perTokenRatio, range, binsPerUnit, bins, a, s1, s2, s3, s4);
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
                a.s3[c] += d2 * d;
                a.s4[c] += d2 * d2;
                a.laneHistogram[bin(v, range, binsPerUnit, bins)]++;   // lane 0's copy
            }
            if (flushAfter(r, rows)) a.flushSums(end, width, s1, s2, s3, s4);
        }
        int lanes = end > 0 ? ChannelKernels.lanes() : 0;
        for (int l = 0; l < lanes; l++) {
            a.min = Math.min(a.min, ChannelKernels.fromOrderKey(a.lo[l]));
            a.max = Math.max(a.max, ChannelKernels.fromOrderKey(a.hi[l]));
            a.negatives += a.neg[l];
            a.nearZero += a.near[l];
        }
        for (int r = 0; r < rows && lanes > 0 && perTokenRatio; r++) {
            int m = Float.floatToRawIntBits(a.tokenMax[r]);
            for (int l = 0; l < lanes; l++) m = Math.max(m, a.tokenMaxLanes[r * lanes + l]);
            a.tokenMax[r] = Float.intBitsToFloat(m);
        }
    }

    /**
     * A value's histogram bin: {@code 1 + floor((v + range)·binsPerUnit)}, 0 below the range, bins + 1
     * above it ({@link ChannelKernels#pass} computes the same in SIMD lanes).
     */
    private static int bin(float v, float range, float binsPerUnit, int bins) {
        float pos = (v + range) * binsPerUnit;
        return pos < 0 ? 0 : pos >= bins ? bins + 1 : 1 + (int) pos;
    }

    /** Whether the float sums move into double after row r of rows: every FLUSH_TOKENS rows, and after the last. */
    static boolean flushAfter(int r, int rows) {
        return (r + 1) % FLUSH_TOKENS == 0 || r == rows - 1;
    }

    /** Moves the float sums of channels [from, to) into double and clears them. */
    private static void flush(float[] sums, double[] into, int from, int to) {
        for (int c = from; c < to; c++) {
            into[c] += sums[c];
            sums[c] = 0f;
        }
    }

    /** The rare block with NaN/±∞ values: counted apart, every statistic taken over the finite values, in double. */
    private void addWithNonFinite(float[] data, int offset, int rows, int stride, Scratch a) {
        float eps = (float) config.nearZeroEps();
        float threshold = (float) config.outlierThreshold();
        float range = (float) config.histogramRange();
        int bins = config.histogramBins();
        float binsPerUnit = bins / (2 * range);
        CompensatedSum sum = new CompensatedSum();
        long finite = 0;
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            for (int c = 0; c < width; c++) {
                float v = data[row + c];
                if (!Float.isFinite(v)) {
                    if (Float.isNaN(v)) nan++; else inf++;
                    continue;
                }
                finite++;
                sum.add(v);
                float abs = Math.abs(v);
                min = Math.min(min, v);
                max = Math.max(max, v);
                maxAbs = Math.max(maxAbs, abs);
                if (v == 0f) zeros++;
                if (abs < eps) nearZero++;
                if (v < 0f) negatives++;
                if (v > 0f) firing[c]++;
                if (abs >= threshold) overThreshold[c]++;
                channelMaxAbs[c] = Math.max(channelMaxAbs[c], abs);
                channelSumSq[c] += (double) v * v;
                histogram[bin(v, range, binsPerUnit, bins)]++;
            }
        }
        tokens += rows;
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
            moments.merge(finite, sum, s2, s3, s4);
        }
        sample(data, offset, rows, stride);
        if (perTokenRatio) tokenRatios(data, offset, rows, stride, null, a);
    }

    private void sample(float[] data, int offset, int rows, int stride) {
        long n = (long) rows * width;
        long step = Math.max(1, (n + config.quantileSample() - 1) / config.quantileSample());
        // A step sharing a factor with the width would visit only some channels (e.g. step 384 on a
        // 1536-wide site sees 4 channels): take the next step coprime with the width, so the systematic
        // sample cycles through every channel.
        while (gcd(step, width) != 1) step++;
        // walk (row, channel) incrementally: a 64-bit division per sampled value cost as much as the sketch
        int stepRows = (int) (step / width), stepChannels = (int) (step % width);
        for (int r = 0, c = 0; r < rows; ) {
            float v = data[offset + r * stride + c];
            if (Float.isFinite(v)) sketch.update(v);
            r += stepRows;
            c += stepChannels;
            if (c >= width) {
                c -= width;
                r++;
            }
        }
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /**
     * Per token: max|x| over all channels / median|x|. The median is taken over at most
     * {@link #MEDIAN_CHANNELS} evenly spaced channels (all of them when the site is narrower): an exact
     * median per token costs more than everything else in the statistics together.
     */
    private void tokenRatios(float[] data, int offset, int rows, int stride, float[] tokenMax, Scratch a) {
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
            float median = VECTORIZED ? ChannelKernels.kthOfNonNegative(bits, bits.length, k, a.selectScratch, a.medianKept)
                    : Select.kthOfNonNegative(bits, m, k);
            double ratio = median > 0 ? top / median : (top > 0 ? Double.POSITIVE_INFINITY : 1.0);
            if (!Double.isFinite(ratio)) ratio = Double.MAX_VALUE;
            if (ratio > maxTokenRatio) maxTokenRatio = ratio;
            sumTokenRatio += Math.min(ratio, 1e30);
            if (ratio >= MASSIVE_RATIO) massiveTokens++;
        }
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
        sketch.merge(o.sketch);
    }

    void write(DataOutputStream out) throws IOException {
        out.writeInt(width);
        out.writeBoolean(perTokenRatio);
        out.writeLong(moments.n);
        out.writeDouble(moments.sum.sum);
        out.writeDouble(moments.sum.compensation);
        out.writeDouble(moments.m2);
        out.writeDouble(moments.m3);
        out.writeDouble(moments.m4);
        out.writeLong(tokens);
        out.writeFloat(min);
        out.writeFloat(max);
        out.writeFloat(maxAbs);
        for (long v : new long[] {zeros, nearZero, negatives, nan, inf, massiveTokens}) out.writeLong(v);
        out.writeDouble(maxTokenRatio);
        out.writeDouble(sumTokenRatio);
        writeLongs(out, histogram);
        writeLongs(out, firing);
        writeLongs(out, overThreshold);
        for (float v : channelMaxAbs) out.writeFloat(v);
        for (double v : channelSumSq) out.writeDouble(v);
        byte[] sk = sketch.toByteArray();
        out.writeInt(sk.length);
        out.write(sk);
    }

    static SiteStats read(DataInputStream in, StatsConfig config) throws IOException {
        int width = in.readInt();
        SiteStats s = new SiteStats(config, width, in.readBoolean());
        s.moments.n = in.readLong();
        s.moments.sum.sum = in.readDouble();
        s.moments.sum.compensation = in.readDouble();
        s.moments.m2 = in.readDouble();
        s.moments.m3 = in.readDouble();
        s.moments.m4 = in.readDouble();
        s.tokens = in.readLong();
        s.min = in.readFloat();
        s.max = in.readFloat();
        s.maxAbs = in.readFloat();
        s.zeros = in.readLong();
        s.nearZero = in.readLong();
        s.negatives = in.readLong();
        s.nan = in.readLong();
        s.inf = in.readLong();
        s.massiveTokens = in.readLong();
        s.maxTokenRatio = in.readDouble();
        s.sumTokenRatio = in.readDouble();
        readLongs(in, s.histogram);
        readLongs(in, s.firing);
        readLongs(in, s.overThreshold);
        for (int c = 0; c < width; c++) s.channelMaxAbs[c] = in.readFloat();
        for (int c = 0; c < width; c++) s.channelSumSq[c] = in.readDouble();
        byte[] sk = new byte[in.readInt()];
        in.readFully(sk);
        s.sketch = KllFloatsSketch.heapify(Memory.wrap(sk));
        return s;
    }

    private static void writeLongs(DataOutputStream out, long[] a) throws IOException {
        for (long v : a) out.writeLong(v);
    }

    private static void readLongs(DataInputStream in, long[] a) throws IOException {
        for (int i = 0; i < a.length; i++) a[i] = in.readLong();
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

    /** Quantile at rank q ∈ [0, 1] from the sketch (NaN if empty). */
    public float quantile(double q) {
        return sketch.isEmpty() ? Float.NaN : sketch.getQuantile(q);
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
