package ffnbench.stats;

import ffnbench.model.Router;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Arrays;

/**
 * Mergeable statistics of one MoE layer's routing, fed one micro-batch (sequence) at a time. Counts
 * are integers; the sums of router probabilities and entropies are added per sequence as exact
 * decimals. So merged results do not depend on partitioning or merge order.
 *
 * <ul>
 *   <li>per expert: assignments routed to it (before capacity), Σ of its router probability over tokens;</li>
 *   <li>load balance: balancedness mean/max of the per-expert counts (as vLLM's EPLB reports it), their
 *       coefficient of variation, and the Switch Transformer auxiliary loss E·Σᵢ fᵢ·Pᵢ, with fᵢ the share
 *       of assignments to expert i and Pᵢ its mean router probability;</li>
 *   <li>router: the mean per-token entropy of the probabilities (softmax scores; sigmoid scores
 *       normalised to sum 1), a histogram of the top-1 probability in {@link #TOP1_BINS} equal bins
 *       of [0, 1], and co-selection counts: how often experts i &lt; j are both in a token's top-k;</li>
 *   <li>capacity: for each capacity factor C, the assignments beyond ⌈C·tokens·k/E⌉ per expert and
 *       micro-batch ({@link Router#capacity}), all factors in one pass.</li>
 * </ul>
 */
public final class RouterStats {
    public static final int TOP1_BINS = 20;

    final int experts, k;
    final double[] capacityFactors;
    final long[] routed;
    final long[] coSelected;   // [E × E], i < j in the upper triangle
    final long[] top1;
    final long[] dropped;      // per capacity factor
    long tokens;
    BigDecimal[] probabilitySum;
    BigDecimal entropySum = BigDecimal.ZERO;

    public RouterStats(int experts, int k, double[] capacityFactors) {
        this.experts = experts;
        this.k = k;
        this.capacityFactors = capacityFactors.clone();
        routed = new long[experts];
        coSelected = new long[experts * experts];
        top1 = new long[TOP1_BINS];
        dropped = new long[capacityFactors.length];
        probabilitySum = new BigDecimal[experts];
        Arrays.fill(probabilitySum, BigDecimal.ZERO);
    }

    /** An empty one of the same shape. */
    public RouterStats emptyLike() {
        return new RouterStats(experts, k, capacityFactors);
    }

    public int experts() {
        return experts;
    }

    public int topK() {
        return k;
    }

    public double[] capacityFactors() {
        return capacityFactors.clone();
    }

    /** Adds one micro-batch's routing (before any capacity: {@code expert} lists every token's top-k choices). */
    public void addSequence(Router.Routing r) {
        int n = r.tokens();
        long[] batch = new long[experts];
        double[] probability = new double[experts];
        double entropy = 0;
        for (int t = 0; t < n; t++) {
            double total = 0;
            for (int e = 0; e < experts; e++) total += r.scores()[t * experts + e];
            double best = 0;
            for (int e = 0; e < experts; e++) {
                double p = r.scores()[t * experts + e] / total;
                probability[e] += p;
                if (p > 0) entropy -= p * Math.log(p);
            }
            for (int a = 0; a < k; a++) {
                int ea = r.expert()[t * k + a];
                batch[ea]++;
                best = Math.max(best, r.scores()[t * experts + ea] / total);
                for (int b = a + 1; b < k; b++) {
                    int eb = r.expert()[t * k + b];
                    coSelected[Math.min(ea, eb) * experts + Math.max(ea, eb)]++;
                }
            }
            top1[Math.min(TOP1_BINS - 1, (int) (best * TOP1_BINS))]++;
        }
        for (int e = 0; e < experts; e++) {
            routed[e] += batch[e];
            probabilitySum[e] = probabilitySum[e].add(new BigDecimal(probability[e]));
        }
        for (int c = 0; c < capacityFactors.length; c++) {
            long cap = Router.capacity(capacityFactors[c], n, k, experts);
            for (long b : batch) dropped[c] += Math.max(0, b - cap);
        }
        entropySum = entropySum.add(new BigDecimal(entropy));
        tokens += n;
    }

    public void merge(RouterStats o) {
        if (o.experts != experts || o.k != k || !Arrays.equals(o.capacityFactors, capacityFactors)) {
            throw new IllegalArgumentException("cannot merge router statistics of different shapes");
        }
        for (int e = 0; e < experts; e++) {
            routed[e] += o.routed[e];
            probabilitySum[e] = probabilitySum[e].add(o.probabilitySum[e]);
        }
        for (int i = 0; i < coSelected.length; i++) coSelected[i] += o.coSelected[i];
        for (int i = 0; i < TOP1_BINS; i++) top1[i] += o.top1[i];
        for (int c = 0; c < dropped.length; c++) dropped[c] += o.dropped[c];
        entropySum = entropySum.add(o.entropySum);
        tokens += o.tokens;
    }

    // ---- derived results -------------------------------------------------------------------

    public long tokens() {
        return tokens;
    }

    /** Assignments per expert (each token counts k times). */
    public long[] routed() {
        return routed.clone();
    }

    /** Expert i's share of the assignments, fᵢ. */
    public double share(int e) {
        return tokens == 0 ? Double.NaN : (double) routed[e] / (tokens * k);
    }

    /** Mean over tokens of expert i's router probability, Pᵢ. */
    public double meanProbability(int e) {
        return tokens == 0 ? Double.NaN : probabilitySum[e].doubleValue() / tokens;
    }

    /** Mean over experts of the assignments per expert, over their maximum (1: perfectly balanced). */
    public double balancedness() {
        long max = Arrays.stream(routed).max().orElse(0);
        return max == 0 ? Double.NaN : ((double) Arrays.stream(routed).sum() / experts) / max;
    }

    /** Standard deviation over mean of the assignments per expert. */
    public double coefficientOfVariation() {
        double mean = (double) Arrays.stream(routed).sum() / experts;
        if (mean == 0) return Double.NaN;
        double var = 0;
        for (long r : routed) var += (r - mean) * (r - mean);
        return Math.sqrt(var / experts) / mean;
    }

    /** The Switch Transformer auxiliary loss E·Σᵢ fᵢ·Pᵢ (1 when balanced and uniform). */
    public double auxiliaryLoss() {
        double s = 0;
        for (int e = 0; e < experts; e++) s += share(e) * meanProbability(e);
        return experts * s;
    }

    /** Mean per-token entropy of the router probabilities (nats). */
    public double meanEntropy() {
        return tokens == 0 ? Double.NaN : entropySum.doubleValue() / tokens;
    }

    /** Tokens whose top-1 probability falls in each of the {@link #TOP1_BINS} bins of [0, 1]. */
    public long[] top1Histogram() {
        return top1.clone();
    }

    /** Tokens that chose both experts i and j. */
    public long coSelected(int i, int j) {
        return i == j ? 0 : coSelected[Math.min(i, j) * experts + Math.max(i, j)];
    }

    /** The share of assignments dropped at capacity factor {@code capacityFactors[c]}. */
    public double dropRate(int c) {
        return tokens == 0 ? Double.NaN : (double) dropped[c] / (tokens * k);
    }

    public long droppedAssignments(int c) {
        return dropped[c];
    }

    // ---- serialisation ----------------------------------------------------------------------

    public void write(DataOutputStream out) throws IOException {
        out.writeInt(experts);
        out.writeInt(k);
        out.writeInt(capacityFactors.length);
        for (double c : capacityFactors) out.writeDouble(c);
        out.writeLong(tokens);
        for (long[] a : new long[][] {routed, coSelected, top1, dropped}) for (long v : a) out.writeLong(v);
        for (BigDecimal b : probabilitySum) out.writeUTF(b.toString());
        out.writeUTF(entropySum.toString());
    }

    public static RouterStats read(DataInputStream in) throws IOException {
        int experts = in.readInt(), k = in.readInt(), n = in.readInt();
        if (experts < 1 || experts > 65536 || k < 1 || k > experts || n < 0 || n > 1000) {
            throw new IOException("corrupt router statistics: " + experts + " experts, top-" + k + ", " + n + " capacity factors");
        }
        double[] factors = new double[n];
        for (int i = 0; i < n; i++) factors[i] = in.readDouble();
        RouterStats s = new RouterStats(experts, k, factors);
        s.tokens = in.readLong();
        for (long[] a : new long[][] {s.routed, s.coSelected, s.top1, s.dropped}) for (int i = 0; i < a.length; i++) a[i] = in.readLong();
        try {
            for (int e = 0; e < experts; e++) s.probabilitySum[e] = new BigDecimal(in.readUTF());
            s.entropySum = new BigDecimal(in.readUTF());
        } catch (NumberFormatException bad) {
            throw new IOException("corrupt router statistics: " + bad.getMessage());
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RouterStats s && s.experts == experts && s.k == k && Arrays.equals(s.capacityFactors, capacityFactors)
                && s.tokens == tokens && Arrays.equals(s.routed, routed) && Arrays.equals(s.coSelected, coSelected)
                && Arrays.equals(s.top1, top1) && Arrays.equals(s.dropped, dropped) && Arrays.equals(s.probabilitySum, probabilitySum)
                && s.entropySum.equals(entropySum);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tokens) * 31 + experts;
    }
}
