package ffnbench.stats;

import java.util.Arrays;

/**
 * The per-channel accumulators of one block of a site's rows (reused from block to block): what one
 * pass over the block ({@link BlockPass}) fills and {@link SiteStats#add} then folds into the site's
 * totals. Float sums are moved into double every {@link #FLUSH_TOKENS} tokens.
 */
final class BlockScratch {
    /** Whether {@link ChannelKernels} (the Vector API) runs the per-element loops. */
    static final boolean VECTORIZED = ffnbench.math.Activation.VECTORIZED;
    /** Float sums are moved into double every this many tokens (bounds float rounding to ~16 terms). */
    static final int FLUSH_TOKENS = 16;

    final int[] fire, over, maxAbs;          // counts; max |x| as bits (non-negative floats order as ints)
    final float[] s1, s2, s3, s4;            // Σd..Σd⁴, d = x − shift: float, moved into double every FLUSH_TOKENS tokens
    final double[] blockSum1, blockSum2, blockSum3, blockSum4;   // ... the block's totals, in double
    // Each channel's moments are summed about a value near its mean, so that one pass gives them
    // without cancellation: the previous block's channel mean, or in the first block the first row.
    final float[] shift;
    boolean shiftSet;
    final int[] bin;                         // the bins of a strip's rows (SIMD path)
    float[] tokenMax = new float[0], tokenMedian = new float[0];   // per row of the block (sites with ratios)
    // per SIMD lane across a block's rows: the largest and smallest bits, the largest sign-flipped bits
    // (ChannelKernels.maxOf, minOf), negative and near-zero counts;
    // per row and lane: max |x| as bits
    final int[] highestBits = new int[64], lowestBits = new int[64], negatedBits = new int[64], neg = new int[64], near = new int[64];
    int[] tokenMaxLanes = new int[0];
    // the block's histogram, one copy per SIMD lane: lane l counts bin b at laneHistogram[laneBase[l] + b]
    final int binStride;
    final int[] laneBase = new int[64], laneHistogram;
    float min, max;
    long negatives, nearZero;
    // the per-token median: which channels it reads, their |x| bits padded for the SIMD selection
    final int[] medianChannels;
    final int[] medianBits, medianPacked;
    final QuantileSample quantileSample = new QuantileSample();
    final int[] medianBins = new int[4];   // four rows' median bins, as the SIMD selection returns them

    BlockScratch(int width, int binStride) {
        fire = new int[width]; over = new int[width]; maxAbs = new int[width];
        s1 = new float[width]; s2 = new float[width]; s3 = new float[width]; s4 = new float[width];
        blockSum1 = new double[width]; blockSum2 = new double[width]; blockSum3 = new double[width]; blockSum4 = new double[width];
        shift = new float[width];
        bin = new int[FLUSH_TOKENS * 64];   // a strip: FLUSH_TOKENS rows of at most 64 lanes
        this.binStride = binStride;
        int lanes = VECTORIZED ? ChannelKernels.lanes() : 1;
        for (int l = 0; l < lanes; l++) laneBase[l] = l * binStride;
        laneHistogram = new int[lanes * binStride];
        medianChannels = TokenRatios.medianChannels(width);
        int m = medianChannels.length;
        medianBits = new int[VECTORIZED ? 4 * ChannelKernels.selectionLength(m) : m];   // SIMD: four rows at a time
        Arrays.fill(medianBits, Integer.MAX_VALUE);   // padding: never below a candidate
        medianPacked = new int[medianBits.length / 2];
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

    /**
     * Readies the scratch for a block of {@code rows}. The SIMD pass writes channels [0, end) of the
     * per-channel totals from its first rows on ({@link ChannelKernels#pass}), so only the scalar
     * channels [end, width) start from zero here.
     */
    void reset(int rows, int end) {
        for (int[] f : new int[][] {fire, over, maxAbs}) Arrays.fill(f, end, f.length, 0);
        for (float[] f : new float[][] {s1, s2, s3, s4}) Arrays.fill(f, end, f.length, 0f);
        for (double[] f : new double[][] {blockSum1, blockSum2, blockSum3, blockSum4}) Arrays.fill(f, end, f.length, 0.0);
        Arrays.fill(laneHistogram, 0);
        if (tokenMax.length < rows) {
            tokenMax = new float[rows];
            tokenMedian = new float[rows];
        }
        int lanes = VECTORIZED ? ChannelKernels.lanes() : 1;
        if (tokenMaxLanes.length < rows * lanes) tokenMaxLanes = new int[rows * lanes];
        Arrays.fill(highestBits, Integer.MIN_VALUE);
        Arrays.fill(lowestBits, Integer.MAX_VALUE);
        Arrays.fill(negatedBits, Integer.MIN_VALUE);
        Arrays.fill(neg, 0);
        Arrays.fill(near, 0);
        min = Float.POSITIVE_INFINITY;
        max = Float.NEGATIVE_INFINITY;
        negatives = 0;
        nearZero = 0;
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
}
