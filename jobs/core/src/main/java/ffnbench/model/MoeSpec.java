package ffnbench.model;

import ffnbench.model.FfnVariant;

/**
 * The shape and routing rule of a mixture-of-experts FFN sublayer.
 *
 * @param experts        E, the routed experts
 * @param topK           k, experts per token
 * @param dFfExpert      each routed expert's hidden width
 * @param expertVariant  the experts' gated FFN (SwiGLU by default)
 * @param scoring        router scores from the logits: {@code softmax} over the experts or an element-wise {@code sigmoid}
 * @param normTopK       whether the k selected weights are divided by their sum
 * @param dFfShared      hidden width of the shared expert every token passes through (0: none); DeepSeek's
 *                       n shared experts of width w are one shared expert of width n·w
 * @param sharedGate     Qwen2-MoE: the shared expert's output is scaled by sigmoid(x·w_gate), per token
 * @param groups         DeepSeek-V3 {@code n_group}: the experts in this many equal groups (1: no groups)
 * @param topKGroups     {@code topk_group}: experts are chosen only from this many groups, those of the
 *                       highest group scores (the sum of each group's two largest selection scores)
 * @param selectionBias  DeepSeek-V3: a per-expert bias added to the scores for choosing experts only
 * @param routedScaling  DeepSeek-V3 {@code routed_scaling_factor}: the routed weights' factor (1: none)
 * @param capacityFactor C &gt; 0: each expert takes at most ⌈C·tokens·k/E⌉ of a micro-batch's assignments
 *                       ({@link Router#capacity}); 0: dropless
 */
public record MoeSpec(int experts, int topK, int dFfExpert, FfnVariant expertVariant, Scoring scoring, boolean normTopK,
                      int dFfShared, boolean sharedGate, int groups, int topKGroups, boolean selectionBias, double routedScaling,
                      double capacityFactor) implements java.io.Serializable {

    /** How router logits become scores. */
    public enum Scoring { SOFTMAX, SIGMOID }

    public MoeSpec {
        require(experts >= 1, "experts must be ≥ 1, got " + experts);
        require(topK >= 1 && topK <= experts, "experts per token (top_k) must be in 1..experts (" + experts + "), got " + topK);
        require(dFfExpert >= 1, "d_ff_expert must be ≥ 1, got " + dFfExpert);
        require(expertVariant.gated(), "experts are gated FFNs (glu, reglu, geglu, swiglu), got " + expertVariant.name());
        require(dFfShared >= 0, "the shared expert's width must be ≥ 0, got " + dFfShared);
        require(!sharedGate || dFfShared > 0, "a shared-expert gate needs a shared expert (d_ff_shared > 0)");
        require(groups >= 1 && experts % groups == 0, "expert groups (n_group) must divide the " + experts + " experts, got " + groups);
        require(topKGroups >= 1 && topKGroups <= groups, "topk_group must be in 1..n_group (" + groups + "), got " + topKGroups);
        require(topK <= topKGroups * (experts / groups), "top_k " + topK + " exceeds the experts of the " + topKGroups
                + " chosen group(s) (" + topKGroups * (experts / groups) + ")");
        require(routedScaling > 0, "routed_scaling_factor must be > 0, got " + routedScaling);
        require(capacityFactor >= 0, "the capacity factor must be ≥ 0 (0: dropless), got " + capacityFactor);
    }

    /** Mixtral-8x7B's routing: 8 experts, top-2 of a softmax, renormalised; no shared expert. */
    public static MoeSpec mixtral(int dFfExpert) {
        return new MoeSpec(8, 2, dFfExpert, FfnVariant.parse("swiglu"), Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1.0, 0);
    }

    /** Qwen1.5-MoE-A2.7B's: 60 experts, top-4 of a softmax, not renormalised, a shared expert behind a sigmoid gate. */
    public static MoeSpec qwen2Moe(int dFfExpert, int dFfShared) {
        return new MoeSpec(60, 4, dFfExpert, FfnVariant.parse("swiglu"), Scoring.SOFTMAX, false, dFfShared, true, 1, 1, false, 1.0, 0);
    }

    /**
     * DeepSeek-V3's: 256 experts in 8 groups, sigmoid scores with a selection bias, top-8 from the best
     * 4 groups, renormalised and scaled by 2.5; one shared expert of the routed experts' width.
     */
    public static MoeSpec deepseekV3(int dFfExpert) {
        return new MoeSpec(256, 8, dFfExpert, FfnVariant.parse("swiglu"), Scoring.SIGMOID, true, dFfExpert, false, 8, 4, true, 2.5, 0);
    }

    public MoeSpec withCapacityFactor(double c) {
        return new MoeSpec(experts, topK, dFfExpert, expertVariant, scoring, normTopK, dFfShared, sharedGate, groups, topKGroups,
                selectionBias, routedScaling, c);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("moe: " + message);
    }
}
