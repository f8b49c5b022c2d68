package ffnbench.stats;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Arrays;

/**
 * The measured cost of zeroing |x| &lt; tₛ at one (layer, site), for each target s: sums over the
 * held-out sequences of the squared L2 norms of the FFN output's and the block output's change and of
 * the dense outputs, and counts of the values zeroed and the multiply-adds skipped. The squared norms
 * are added as exact decimals (a double converts to {@link BigDecimal} exactly and their sum is
 * exact), so the merged sums, like the counts, do not depend on partitioning or merge order. The
 * times are measurements, not part of that identity.
 */
public final class SparsityErrors {
    final float[] thresholds;   // tₛ per target, from the calibration sequences
    final BigDecimal[] ffnError, ffnDense, blockError, blockDense;
    final long[] zeroed, values, skippedIn, inMacs, skippedDown, downMacs;
    final long[] sparseNs;
    long tokens;
    long denseNs;

    public SparsityErrors(float[] thresholds) {
        this.thresholds = thresholds.clone();
        int n = thresholds.length;
        ffnError = zeros(n);
        ffnDense = zeros(n);
        blockError = zeros(n);
        blockDense = zeros(n);
        zeroed = new long[n];
        values = new long[n];
        skippedIn = new long[n];
        inMacs = new long[n];
        skippedDown = new long[n];
        downMacs = new long[n];
        sparseNs = new long[n];
    }

    private static BigDecimal[] zeros(int n) {
        BigDecimal[] a = new BigDecimal[n];
        Arrays.fill(a, BigDecimal.ZERO);
        return a;
    }

    /** One held-out sequence of {@code tokens} tokens, its dense FFN taking {@code denseNs}. */
    public void addSequence(int tokens, long denseNs) {
        this.tokens += tokens;
        this.denseNs += denseNs;
    }

    /**
     * Target {@code i} on one held-out sequence: squared norms of the changes and of the dense outputs,
     * the counts of the sparse pass, and its time.
     */
    public void add(int i, double ffnErrorSq, double ffnDenseSq, double blockErrorSq, double blockDenseSq,
                    long zeroedValues, long siteValues, long skippedInMacs, long allInMacs, long skippedDownMacs, long allDownMacs,
                    long ns) {
        ffnError[i] = ffnError[i].add(new BigDecimal(ffnErrorSq));
        ffnDense[i] = ffnDense[i].add(new BigDecimal(ffnDenseSq));
        blockError[i] = blockError[i].add(new BigDecimal(blockErrorSq));
        blockDense[i] = blockDense[i].add(new BigDecimal(blockDenseSq));
        zeroed[i] += zeroedValues;
        values[i] += siteValues;
        skippedIn[i] += skippedInMacs;
        inMacs[i] += allInMacs;
        skippedDown[i] += skippedDownMacs;
        downMacs[i] += allDownMacs;
        sparseNs[i] += ns;
    }

    public void merge(SparsityErrors o) {
        if (!Arrays.equals(o.thresholds, thresholds)) throw new IllegalArgumentException("cannot merge errors measured at different thresholds");
        for (int i = 0; i < thresholds.length; i++) {
            ffnError[i] = ffnError[i].add(o.ffnError[i]);
            ffnDense[i] = ffnDense[i].add(o.ffnDense[i]);
            blockError[i] = blockError[i].add(o.blockError[i]);
            blockDense[i] = blockDense[i].add(o.blockDense[i]);
            zeroed[i] += o.zeroed[i];
            values[i] += o.values[i];
            skippedIn[i] += o.skippedIn[i];
            inMacs[i] += o.inMacs[i];
            skippedDown[i] += o.skippedDown[i];
            downMacs[i] += o.downMacs[i];
            sparseNs[i] += o.sparseNs[i];
        }
        tokens += o.tokens;
        denseNs += o.denseNs;
    }

    public SparsityErrors emptyLike() {
        return new SparsityErrors(thresholds);
    }

    // ---- derived results -------------------------------------------------------------------

    public int targets() {
        return thresholds.length;
    }

    public float threshold(int i) {
        return thresholds[i];
    }

    /** Held-out tokens measured. */
    public long tokens() {
        return tokens;
    }

    /** ‖FFN_sparse − FFN_dense‖ / ‖FFN_dense‖ over all held-out tokens. */
    public double ffnRelativeError(int i) {
        return ratio(ffnError[i], ffnDense[i]);
    }

    /** ‖block_sparse − block_dense‖ / ‖block_dense‖ over all held-out tokens. */
    public double blockRelativeError(int i) {
        return ratio(blockError[i], blockDense[i]);
    }

    /** The share of the site's held-out values that were zeroed. */
    public double heldOutSparsity(int i) {
        return values[i] == 0 ? Double.NaN : (double) zeroed[i] / values[i];
    }

    /** The share of the input projection's (gate and up) multiply-adds skipped. */
    public double skippedInFraction(int i) {
        return inMacs[i] == 0 ? Double.NaN : (double) skippedIn[i] / inMacs[i];
    }

    /** The share of the down projection's multiply-adds skipped. */
    public double skippedDownFraction(int i) {
        return downMacs[i] == 0 ? Double.NaN : (double) skippedDown[i] / downMacs[i];
    }

    /** Time of the sparse FFN over the dense one's (a measurement: not deterministic). */
    public double sparseTimeRatio(int i) {
        return denseNs == 0 ? Double.NaN : (double) sparseNs[i] / denseNs;
    }

    private static double ratio(BigDecimal error, BigDecimal dense) {
        double d = dense.doubleValue();
        return d == 0 ? Double.NaN : Math.sqrt(error.doubleValue() / d);
    }

    // ---- serialisation ----------------------------------------------------------------------

    void write(DataOutputStream out) throws IOException {
        out.writeInt(thresholds.length);
        for (float t : thresholds) out.writeFloat(t);
        for (int i = 0; i < thresholds.length; i++) {
            for (BigDecimal b : new BigDecimal[] {ffnError[i], ffnDense[i], blockError[i], blockDense[i]}) out.writeUTF(b.toString());
            for (long v : new long[] {zeroed[i], values[i], skippedIn[i], inMacs[i], skippedDown[i], downMacs[i], sparseNs[i]}) {
                LogHistogram.writeVarLong(out, v);
            }
        }
        LogHistogram.writeVarLong(out, tokens);
        LogHistogram.writeVarLong(out, denseNs);
    }

    static SparsityErrors read(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 1 || n > 10_000) throw new IOException("corrupt sparsity errors: " + n + " targets");
        float[] t = new float[n];
        for (int i = 0; i < n; i++) t[i] = in.readFloat();
        SparsityErrors e = new SparsityErrors(t);
        try {
            for (int i = 0; i < n; i++) {
                e.ffnError[i] = new BigDecimal(in.readUTF());
                e.ffnDense[i] = new BigDecimal(in.readUTF());
                e.blockError[i] = new BigDecimal(in.readUTF());
                e.blockDense[i] = new BigDecimal(in.readUTF());
                e.zeroed[i] = LogHistogram.readVarLong(in);
                e.values[i] = LogHistogram.readVarLong(in);
                e.skippedIn[i] = LogHistogram.readVarLong(in);
                e.inMacs[i] = LogHistogram.readVarLong(in);
                e.skippedDown[i] = LogHistogram.readVarLong(in);
                e.downMacs[i] = LogHistogram.readVarLong(in);
                e.sparseNs[i] = LogHistogram.readVarLong(in);
            }
        } catch (NumberFormatException bad) {
            throw new IOException("corrupt sparsity errors: " + bad.getMessage());
        }
        e.tokens = LogHistogram.readVarLong(in);
        e.denseNs = LogHistogram.readVarLong(in);
        return e;
    }

    /** Equal sums and counts (the times are measurements and are left out). */
    @Override
    public boolean equals(Object o) {
        return o instanceof SparsityErrors e && Arrays.equals(e.thresholds, thresholds) && e.tokens == tokens
                && Arrays.equals(e.ffnError, ffnError) && Arrays.equals(e.ffnDense, ffnDense) && Arrays.equals(e.blockError, blockError)
                && Arrays.equals(e.blockDense, blockDense) && Arrays.equals(e.zeroed, zeroed) && Arrays.equals(e.values, values)
                && Arrays.equals(e.skippedIn, skippedIn) && Arrays.equals(e.inMacs, inMacs) && Arrays.equals(e.skippedDown, skippedDown)
                && Arrays.equals(e.downMacs, downMacs);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tokens) * 31 + thresholds.length;
    }
}
