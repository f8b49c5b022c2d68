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

    public int width() {
        return width;
    }

    /** Adds the matrix {@code data[offset + r·stride + c]}, {@code r < rows}, {@code c < width}. */
    public void add(float[] data, int offset, int rows, int stride) {
        float eps = (float) config.nearZeroEps();
        float threshold = (float) config.outlierThreshold();
        float range = (float) config.histogramRange();
        int bins = config.histogramBins();
        float binsPerUnit = bins / (2 * range);
        double sum = 0, compensation = 0;   // Neumaier-compensated block sum
        long finite = 0;
        float lo = min, hi = max, big = maxAbs;
        long z = 0, nz = 0, neg = 0;
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            for (int c = 0; c < width; c++) {
                float v = data[row + c];
                if (!Float.isFinite(v)) {
                    if (Float.isNaN(v)) nan++; else inf++;
                    continue;
                }
                finite++;
                double t = sum + v;
                compensation += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum;
                sum = t;
                float a = Math.abs(v);
                if (v < lo) lo = v;
                if (v > hi) hi = v;
                if (a > big) big = a;
                if (v == 0f) z++;
                if (a < eps) nz++;
                if (v < 0f) neg++;
                if (v > 0f) firing[c]++;
                if (a >= threshold) overThreshold[c]++;
                if (a > channelMaxAbs[c]) channelMaxAbs[c] = a;
                channelSumSq[c] += (double) v * v;
                float pos = (v + range) * binsPerUnit;
                int bin = pos < 0 ? 0 : pos >= bins ? bins + 1 : 1 + (int) pos;
                histogram[bin]++;
            }
        }
        min = lo; max = hi; maxAbs = big;
        zeros += z; nearZero += nz; negatives += neg;
        tokens += rows;
        if (finite > 0) {
            double mean = (sum + compensation) / finite;
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
            moments.merge(finite, sum, compensation, s2, s3, s4);
        }
        sample(data, offset, rows, stride);
        if (perTokenRatio) tokenRatios(data, offset, rows, stride);
    }

    private void sample(float[] data, int offset, int rows, int stride) {
        long n = (long) rows * width;
        long step = Math.max(1, (n + config.quantileSample() - 1) / config.quantileSample());
        for (long i = 0; i < n; i += step) {
            float v = data[offset + (int) (i / width) * stride + (int) (i % width)];
            if (Float.isFinite(v)) sketch.update(v);
        }
    }

    private void tokenRatios(float[] data, int offset, int rows, int stride) {
        float[] abs = new float[width];
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            float top = 0;
            for (int c = 0; c < width; c++) {
                abs[c] = Math.abs(data[row + c]);
                if (abs[c] > top) top = abs[c];
            }
            float median = Select.median(abs);
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
        out.writeDouble(moments.sum);
        out.writeDouble(moments.sumCompensation);
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
        s.moments.sum = in.readDouble();
        s.moments.sumCompensation = in.readDouble();
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
