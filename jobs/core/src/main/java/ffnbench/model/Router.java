package ffnbench.model;

import ffnbench.math.Gemm;
import java.util.Arrays;

/**
 * The MoE router: a linear map d → E (no bias), scores from the logits, and each token's top-k experts.
 * <pre>
 * logits  l = x·W_router                                   [tokens × E]
 * scores  s = softmax(l) over the experts, or sigmoid(l)
 * choose  c = s + b (DeepSeek-V3's selection bias b; else c = s)
 * groups  with n_group &gt; 1: a group's score is the sum of its two largest c; experts outside the
 *         topk_group best groups cannot be chosen
 * top-k   the k eligible experts of largest c; ties go to the lower expert index
 * weights w_r = s[e_r] (not c); with norm_topk_prob w_r /= Σ w; then w_r ·= routed_scaling_factor
 * </pre>
 * Capacity ({@link MoeSpec#capacityFactor} C &gt; 0): a micro-batch is one call (one sequence); each
 * expert keeps at most ⌈C·tokens·k/E⌉ of its assignments, those of the largest weights (ties: the
 * earlier token, then the token's higher-ranked choice). A dropped assignment adds nothing; the
 * token's other weights are not renormalised.
 */
public final class Router {
    /**
     * The routing of a micro-batch: token t's rank-r choice is {@code expert[t·k + r]} with
     * {@code weight[t·k + r]}, and {@code kept[t·k + r]} is false when capacity dropped it.
     */
    public record Routing(int tokens, int k, float[] logits, float[] scores, int[] expert, float[] weight, boolean[] kept) {
        /** Assignments each expert received before capacity, and those it kept. */
        public long[] load(int experts, boolean keptOnly) {
            long[] n = new long[experts];
            for (int i = 0; i < expert.length; i++) if (!keptOnly || kept[i]) n[expert[i]]++;
            return n;
        }
    }

    private final MoeSpec spec;
    private final int d;
    private final float[] weightOutIn;   // [E × d]
    private final float[] selectionBias; // [E] or null

    public Router(MoeSpec spec, int dModel, float[] weightOutIn, float[] selectionBias) {
        if (weightOutIn == null || weightOutIn.length != (long) spec.experts() * dModel) {
            throw new IllegalArgumentException("tensor mlp.gate.weight has " + (weightOutIn == null ? "no" : weightOutIn.length)
                    + " values, expected experts × d_model = " + spec.experts() + " × " + dModel);
        }
        if (spec.selectionBias() && (selectionBias == null || selectionBias.length != spec.experts())) {
            throw new IllegalArgumentException("tensor mlp.gate.e_score_correction_bias has " + (selectionBias == null ? "no"
                    : selectionBias.length) + " values, expected one per expert (" + spec.experts() + ")");
        }
        this.spec = spec;
        this.d = dModel;
        this.weightOutIn = weightOutIn;
        this.selectionBias = spec.selectionBias() ? selectionBias : null;
    }

    public Routing route(float[] x, int tokens) {
        int experts = spec.experts(), k = spec.topK();
        float[] logits = new float[tokens * experts];
        Gemm.linearOutIn(x, tokens, d, weightOutIn, null, experts, logits);
        float[] scores = new float[logits.length];
        int[] expert = new int[tokens * k];
        float[] weight = new float[tokens * k];
        double[] choice = new double[experts];
        for (int t = 0; t < tokens; t++) {
            score(logits, t * experts, scores);
            for (int e = 0; e < experts; e++) {
                choice[e] = scores[t * experts + e] + (selectionBias == null ? 0 : selectionBias[e]);
            }
            if (spec.groups() > 1) excludeGroups(choice);
            choose(choice, k, expert, t * k);
            double sum = 0;
            for (int r = 0; r < k; r++) sum += scores[t * experts + expert[t * k + r]];
            for (int r = 0; r < k; r++) {
                double w = scores[t * experts + expert[t * k + r]];
                if (spec.normTopK()) w /= sum;
                weight[t * k + r] = (float) (w * spec.routedScaling());
            }
        }
        boolean[] kept = new boolean[tokens * k];
        Arrays.fill(kept, true);
        if (spec.capacityFactor() > 0) applyCapacity(tokens, expert, weight, kept);
        return new Routing(tokens, k, logits, scores, expert, weight, kept);
    }

    /** The most assignments one expert keeps in a micro-batch of {@code tokens} tokens: ⌈C·tokens·k/E⌉. */
    public long capacity(int tokens) {
        return capacity(spec.capacityFactor(), tokens, spec.topK(), spec.experts());
    }

    public static long capacity(double capacityFactor, int tokens, int k, int experts) {
        return (long) Math.ceil(capacityFactor * tokens * k / experts - 1e-9);
    }

    /** Token t's scores from its logits {@code logits[at, at + E)} into {@code scores[at, at + E)}. */
    private void score(float[] logits, int at, float[] scores) {
        int experts = spec.experts();
        if (spec.scoring() == MoeSpec.Scoring.SIGMOID) {
            for (int e = 0; e < experts; e++) scores[at + e] = (float) (1 / (1 + Math.exp(-logits[at + e])));
            return;
        }
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int e = 0; e < experts; e++) max = Math.max(max, logits[at + e]);
        for (int e = 0; e < experts; e++) sum += Math.exp(logits[at + e] - max);
        for (int e = 0; e < experts; e++) scores[at + e] = (float) (Math.exp(logits[at + e] - max) / sum);
    }

    /** Sets the choice scores of experts outside the {@code topk_group} best groups to −∞. */
    private void excludeGroups(double[] choice) {
        int size = spec.experts() / spec.groups();
        double[] groupScore = new double[spec.groups()];
        for (int g = 0; g < spec.groups(); g++) {
            double first = Double.NEGATIVE_INFINITY, second = Double.NEGATIVE_INFINITY;
            for (int e = g * size; e < (g + 1) * size; e++) {
                if (choice[e] > first) {
                    second = first;
                    first = choice[e];
                } else if (choice[e] > second) {
                    second = choice[e];
                }
            }
            groupScore[g] = size == 1 ? first : first + second;
        }
        int[] best = new int[spec.topKGroups()];
        choose(groupScore, best.length, best, 0);
        boolean[] eligible = new boolean[spec.groups()];
        for (int g : best) eligible[g] = true;
        for (int e = 0; e < spec.experts(); e++) if (!eligible[e / size]) choice[e] = Double.NEGATIVE_INFINITY;
    }

    /** The indices of the {@code k} largest {@code values}, largest first, ties to the lower index, into {@code into[at, at + k)}. */
    static void choose(double[] values, int k, int[] into, int at) {
        boolean[] taken = new boolean[values.length];
        for (int r = 0; r < k; r++) {
            int best = -1;
            for (int i = 0; i < values.length; i++) {
                if (!taken[i] && (best < 0 || values[i] > values[best])) best = i;
            }
            taken[best] = true;
            into[at + r] = best;
        }
    }

    /** Drops each expert's assignments beyond its capacity, the smallest weights first. */
    private void applyCapacity(int tokens, int[] expert, float[] weight, boolean[] kept) {
        long cap = capacity(tokens);
        int k = spec.topK();
        Integer[] order = new Integer[expert.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        // largest weight first; ties: earlier token, then higher-ranked choice (= lower index i = t·k + r)
        Arrays.sort(order, (a, b) -> weight[a] != weight[b] ? Float.compare(weight[b], weight[a]) : Integer.compare(a, b));
        long[] taken = new long[spec.experts()];
        for (int i : order) {
            if (taken[expert[i]] < cap) taken[expert[i]]++;
            else kept[i] = false;
        }
    }
}
