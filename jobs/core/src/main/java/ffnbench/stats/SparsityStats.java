package ffnbench.stats;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * Mergeable activation-sparsity statistics of one (layer, site), fed one sequence at a time.
 * Everything is an integer count, so merged results do not depend on partitioning or merge order.
 * Pure Java: no Spark here.
 *
 * <ul>
 *   <li>Every site: a {@link LogHistogram} of |x| over all values, from which the threshold tₛ of each
 *       target sparsity s is read ({@link LogHistogram#cutBelow}).</li>
 *   <li>At the FFN hidden ({@code neurons}) also, with a neuron active on a token when |x| &gt; the
 *       active threshold:
 *     <ul>
 *       <li>aggregated sparsity: for each window length w, Σ over the sequence's consecutive,
 *           non-overlapping w-token windows of the neurons active on at least one of its tokens
 *           (a trailing part shorter than w is not a window; w = 0 is the whole sequence);</li>
 *       <li>contextual overlap: each token's k largest |x| (ties to the lower channel) form its
 *           top-k set; the Jaccard index between consecutive tokens' sets is a function of their
 *           intersection i, i/(2k − i), so it is kept as counts of i; the Jaccard index between a token's
 *           set and the union U of the sequence's sets is k/|U|, kept as counts of |U| per token.</li>
 *     </ul></li>
 * </ul>
 */
public final class SparsityStats {
    final int width;
    final LogHistogram magnitudes;
    final LogHistogram calibration;   // |x| of the calibration sequences only, when the error is measured; else null
    // at the FFN hidden only (windows.length == 0 elsewhere)
    final float activeThreshold;
    final int[] windows;
    final long[] activeInWindows, windowCount;
    final int topK;
    final long[] intersections;   // [k + 1]: consecutive token pairs whose top-k sets share i channels
    final long[] unionSizes;      // [width + 1]: tokens whose sequence's top-k union has u channels

    private transient float[] scratch;

    private SparsityStats(int width, int bits, boolean calibrating, float activeThreshold, int[] windows, int topK) {
        this.width = width;
        this.magnitudes = new LogHistogram(bits);
        this.calibration = calibrating ? new LogHistogram(bits) : null;
        this.activeThreshold = activeThreshold;
        this.windows = windows;
        this.activeInWindows = new long[windows.length];
        this.windowCount = new long[windows.length];
        this.topK = topK;
        this.intersections = new long[windows.length == 0 ? 0 : topK + 1];
        this.unionSizes = new long[windows.length == 0 ? 0 : width + 1];
    }

    /** Magnitudes only: a threshold site that is not the FFN hidden. */
    public static SparsityStats magnitudes(SparsityConfig config, int width) {
        return new SparsityStats(width, config.magnitudeBits(), config.measureError(), 0f, new int[0], 0);
    }

    /** Magnitudes, aggregated sparsity over {@code windows} (0: the whole sequence) and contextual overlap. */
    public static SparsityStats neurons(SparsityConfig config, int width, int[] windows) {
        if (windows.length == 0) throw new IllegalArgumentException("the FFN hidden's sparsity needs at least one window");
        return new SparsityStats(width, config.magnitudeBits(), config.measureError(), (float) config.activeThreshold(), windows.clone(),
                config.topK(width));
    }

    /** An empty one of the same shape and settings. */
    public SparsityStats emptyLike() {
        return new SparsityStats(width, magnitudes.bits(), calibration != null, activeThreshold, windows, topK);
    }

    public boolean hasNeurons() {
        return windows.length > 0;
    }

    /** Adds one sequence: {@code data[offset + r·stride + c]}, {@code r < rows}, {@code c < width}. */
    public void addSequence(float[] data, int offset, int rows, int stride) {
        addSequence(data, offset, rows, stride, false);
    }

    /** As above; a {@code calibrationSequence} also counts towards the thresholds of the measured error. */
    public void addSequence(float[] data, int offset, int rows, int stride, boolean calibrationSequence) {
        if (rows == 0) return;
        LogHistogram alsoInto = calibrationSequence ? calibration : null;
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            for (int c = 0; c < width; c++) {
                float m = Math.abs(data[row + c]);
                magnitudes.add(m);
                if (alsoInto != null) alsoInto.add(m);
            }
        }
        if (!hasNeurons()) return;
        int words = (width + 63) >>> 6;
        long[] active = new long[rows * words];   // token r's active neurons: bits of active[r·words, (r+1)·words)
        long[] top = new long[rows * words];      // token r's top-k set
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            for (int c = 0; c < width; c++) {
                if (Math.abs(data[row + c]) > activeThreshold) active[r * words + (c >>> 6)] |= 1L << c;
            }
            topSet(data, row, top, r * words);
        }
        for (int i = 0; i < windows.length; i++) addWindows(i, active, rows, words);
        long[] union = new long[words];
        for (int r = 0; r < rows; r++) {
            for (int w = 0; w < words; w++) union[w] |= top[r * words + w];
            if (r > 0) intersections[common(top, (r - 1) * words, top, r * words, words)]++;
        }
        unionSizes[common(union, 0, union, 0, words)] += rows;
    }

    /** Σ over the w-token windows of the sequence (window i of {@link #windows}) of their active neurons. */
    private void addWindows(int i, long[] active, int rows, int words) {
        int w = windows[i] == 0 ? rows : windows[i];
        long[] any = new long[words];
        for (int start = 0; start + w <= rows; start += w) {
            Arrays.fill(any, 0L);
            for (int r = start; r < start + w; r++) {
                for (int k = 0; k < words; k++) any[k] |= active[r * words + k];
            }
            activeInWindows[i] += common(any, 0, any, 0, words);
            windowCount[i]++;
        }
    }

    /** Sets the bits of row {@code row}'s k largest |x| in {@code into[at, at + words)}. */
    private void topSet(float[] data, int row, long[] into, int at) {
        if (scratch == null) scratch = new float[width];
        for (int c = 0; c < width; c++) scratch[c] = Math.abs(data[row + c]);
        float kth = Select.kth(scratch, width - topK);   // the k-th largest |x|
        int taken = 0;
        for (int c = 0; c < width; c++) {
            if (Math.abs(data[row + c]) > kth) {
                into[at + (c >>> 6)] |= 1L << c;
                taken++;
            }
        }
        for (int c = 0; c < width && taken < topK; c++) {   // ties at the k-th value: the lower channels
            if (Math.abs(data[row + c]) == kth) {
                into[at + (c >>> 6)] |= 1L << c;
                taken++;
            }
        }
    }

    /** The number of bits set in both {@code a[ai, ai + words)} and {@code b[bi, bi + words)}. */
    private static int common(long[] a, int ai, long[] b, int bi, int words) {
        int n = 0;
        for (int k = 0; k < words; k++) n += Long.bitCount(a[ai + k] & b[bi + k]);
        return n;
    }

    public void merge(SparsityStats o) {
        if (o.width != width || !Arrays.equals(o.windows, windows) || o.topK != topK || (o.calibration == null) != (calibration == null)) {
            throw new IllegalArgumentException("cannot merge sparsity statistics of different shapes");
        }
        magnitudes.merge(o.magnitudes);
        if (calibration != null) calibration.merge(o.calibration);
        for (int i = 0; i < windows.length; i++) {
            activeInWindows[i] += o.activeInWindows[i];
            windowCount[i] += o.windowCount[i];
        }
        for (int i = 0; i < intersections.length; i++) intersections[i] += o.intersections[i];
        for (int i = 0; i < unionSizes.length; i++) unionSizes[i] += o.unionSizes[i];
    }

    // ---- derived results -------------------------------------------------------------------

    public int width() {
        return width;
    }

    /** Values counted in the |x| histogram. */
    public long count() {
        return magnitudes.count();
    }

    /** The threshold of sparsity s and the exact share of |x| below it ({@link LogHistogram#cutBelow}). */
    public LogHistogram.Cut threshold(double s) {
        return magnitudes.cutBelow(s);
    }

    /** The threshold of sparsity s over the calibration sequences only (the measured error's); null when not measured. */
    public LogHistogram.Cut calibrationThreshold(double s) {
        return calibration == null ? null : calibration.cutBelow(s);
    }

    /** Window lengths, 0 for the whole sequence. */
    public int[] windows() {
        return windows.clone();
    }

    /** Windows of length {@code windows()[i]} counted. */
    public long windowCount(int i) {
        return windowCount[i];
    }

    /** Mean over windows of length {@code windows()[i]} of the fraction of neurons active in the window. */
    public double activeFraction(int i) {
        return windowCount[i] == 0 ? Double.NaN : (double) activeInWindows[i] / ((double) windowCount[i] * width);
    }

    public int topK() {
        return topK;
    }

    /** Consecutive token pairs compared. */
    public long consecutivePairs() {
        return Arrays.stream(intersections).sum();
    }

    /** Mean Jaccard index of consecutive tokens' top-k sets. */
    public double consecutiveOverlap() {
        double sum = 0;
        for (int i = 0; i < intersections.length; i++) sum += intersections[i] * ((double) i / (2 * topK - i));
        long n = consecutivePairs();
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Tokens compared with their sequence's union. */
    public long unionTokens() {
        return Arrays.stream(unionSizes).sum();
    }

    /** Mean over tokens of the Jaccard index between a token's top-k set and its sequence's union of them. */
    public double sequenceOverlap() {
        double sum = 0;
        for (int u = 1; u < unionSizes.length; u++) sum += unionSizes[u] * ((double) topK / u);
        long n = unionTokens();
        return n == 0 ? Double.NaN : sum / n;
    }

    // ---- serialisation (the per-task partial) ------------------------------------------------

    void write(DataOutputStream out) throws IOException {
        out.writeInt(width);
        out.writeInt(magnitudes.bits());
        magnitudes.write(out);
        out.writeBoolean(calibration != null);
        if (calibration != null) calibration.write(out);
        out.writeFloat(activeThreshold);
        out.writeInt(windows.length);
        for (int i = 0; i < windows.length; i++) {
            out.writeInt(windows[i]);
            LogHistogram.writeVarLong(out, activeInWindows[i]);
            LogHistogram.writeVarLong(out, windowCount[i]);
        }
        if (windows.length == 0) return;
        out.writeInt(topK);
        for (long c : intersections) LogHistogram.writeVarLong(out, c);
        for (long c : unionSizes) LogHistogram.writeVarLong(out, c);
    }

    static SparsityStats read(DataInputStream in) throws IOException {
        int width = in.readInt(), bits = in.readInt();
        if (width < 1 || bits < 1 || bits > 16) throw new IOException("corrupt sparsity statistics: width " + width + ", bits " + bits);
        LogHistogram magnitudes = new LogHistogram(bits);
        magnitudes.read(in);
        LogHistogram calibration = null;
        if (in.readBoolean()) {
            calibration = new LogHistogram(bits);
            calibration.read(in);
        }
        float activeThreshold = in.readFloat();
        int n = in.readInt();
        if (n < 0 || n > 1024) throw new IOException("corrupt sparsity statistics: " + n + " windows");
        int[] windows = new int[n];
        long[] active = new long[n], count = new long[n];
        for (int i = 0; i < n; i++) {
            windows[i] = in.readInt();
            active[i] = LogHistogram.readVarLong(in);
            count[i] = LogHistogram.readVarLong(in);
        }
        int topK = n == 0 ? 0 : in.readInt();
        if (n > 0 && (topK < 1 || topK > width)) throw new IOException("corrupt sparsity statistics: top-k " + topK);
        SparsityStats s = new SparsityStats(width, bits, calibration != null, activeThreshold, windows, topK);
        s.magnitudes.merge(magnitudes);
        if (calibration != null) s.calibration.merge(calibration);
        System.arraycopy(active, 0, s.activeInWindows, 0, n);
        System.arraycopy(count, 0, s.windowCount, 0, n);
        for (int i = 0; i < s.intersections.length; i++) s.intersections[i] = LogHistogram.readVarLong(in);
        for (int i = 0; i < s.unionSizes.length; i++) s.unionSizes[i] = LogHistogram.readVarLong(in);
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SparsityStats s && s.width == width && s.magnitudes.equals(magnitudes)
                && java.util.Objects.equals(s.calibration, calibration) && s.activeThreshold == activeThreshold
                && Arrays.equals(s.windows, windows) && Arrays.equals(s.activeInWindows, activeInWindows)
                && Arrays.equals(s.windowCount, windowCount) && s.topK == topK && Arrays.equals(s.intersections, intersections)
                && Arrays.equals(s.unionSizes, unionSizes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(count()) * 31 + width;
    }
}
