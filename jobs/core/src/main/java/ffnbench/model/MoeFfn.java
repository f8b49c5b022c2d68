package ffnbench.model;


/**
 * A mixture-of-experts FFN sublayer (no norm, no residual):
 * <pre>
 * y_t = Σ_r w_{t,r} · Expert_{e_{t,r}}(x_t)  +  σ(x_t·w_sg) · Shared(x_t)
 * </pre>
 * with the routing of {@link Router}, each expert and the shared expert a gated FFN, and the sigmoid
 * gate σ(x·w_sg) only with {@link MoeSpec#sharedGate} (else the shared expert adds in full). Each
 * expert runs once per call on all the tokens routed to it, gathered into one matrix: one GEMM per
 * projection and expert.
 */
public final class MoeFfn {
    private final MoeSpec spec;
    private final int d;
    private final Router router;
    private final FeedForward[] experts;
    private final FeedForward shared;        // or null
    private final float[] sharedGateWeight;  // [d] or null

    /** The output and the routing it used (for statistics). */
    public record Result(float[] out, Router.Routing routing) { }

    public MoeFfn(MoeSpec spec, int dModel, Router router, FeedForward[] experts, FeedForward shared, float[] sharedGateWeight) {
        if (experts.length != spec.experts()) {
            throw new IllegalArgumentException("moe: " + experts.length + " experts given, the spec has " + spec.experts());
        }
        for (int e = 0; e < experts.length; e++) {
            if (experts[e].dModel() != dModel || experts[e].dFf() != spec.dFfExpert() || !experts[e].gated()) {
                throw new IllegalArgumentException("moe: expert " + e + " is not a gated FFN of d_model " + dModel + " and d_ff_expert "
                        + spec.dFfExpert());
            }
        }
        if ((shared != null) != (spec.dFfShared() > 0) || (shared != null && shared.dFf() != spec.dFfShared())) {
            throw new IllegalArgumentException("moe: the shared expert does not match d_ff_shared " + spec.dFfShared());
        }
        if (spec.sharedGate() && (sharedGateWeight == null || sharedGateWeight.length != dModel)) {
            throw new IllegalArgumentException("tensor mlp.shared_expert_gate.weight has " + (sharedGateWeight == null ? "no"
                    : sharedGateWeight.length) + " values, expected d_model = " + dModel);
        }
        this.spec = spec;
        this.d = dModel;
        this.router = router;
        this.experts = experts.clone();
        this.shared = shared;
        this.sharedGateWeight = spec.sharedGate() ? sharedGateWeight : null;
    }

    public MoeSpec spec() {
        return spec;
    }

    public float[] forward(float[] x, int tokens) {
        return forwardRouted(x, tokens).out();
    }

    /** {@code y [tokens × d]} of {@code x [tokens × d]}, with the routing. */
    public Result forwardRouted(float[] x, int tokens) {
        return forwardRouted(x, tokens, SiteRecorder.NONE);
    }

    /** As above, each expert recording its sites over its own tokens into {@code sites.forExpert(e)}. */
    public Result forwardRouted(float[] x, int tokens, SiteRecorder sites) {
        return forwardRouted(x, tokens, sites, new StageTimes());
    }

    /**
     * As above, adding the router's time to {@link StageTimes.Stage#ROUTER}, the experts' GEMMs to
     * FFN_GEMM and the weighted sums to COMBINE.
     */
    public Result forwardRouted(float[] x, int tokens, SiteRecorder sites, StageTimes times) {
        if (x.length != tokens * d) throw new IllegalArgumentException("input has " + x.length + " values, expected " + tokens + " × " + d);
        Router.Routing routing = route(x, tokens, times);
        int k = spec.topK();
        float[] y = new float[tokens * d];
        int[] rows = new int[tokens * k];
        for (int e = 0; e < experts.length; e++) {
            int n = 0;   // this expert's kept assignments, as indices t·k + r
            for (int i = 0; i < rows.length; i++) if (routing.kept()[i] && routing.expert()[i] == e) rows[n++] = i;
            if (n == 0) continue;
            long started = times.now();
            float[] gathered = new float[n * d];
            for (int j = 0; j < n; j++) System.arraycopy(x, (rows[j] / k) * d, gathered, j * d, d);
            float[] out = experts[e].forward(gathered, n, sites.forExpert(e));
            started = times.lap(StageTimes.Stage.FFN_GEMM, started);
            for (int j = 0; j < n; j++) addWeighted(y, (rows[j] / k) * d, routing.weight()[rows[j]], out, j * d, d);
            times.lap(StageTimes.Stage.COMBINE, started);
        }
        float[] shared = sharedOutput(x, tokens, times);
        if (shared != null) {
            long started = times.now();
            for (int i = 0; i < y.length; i++) y[i] += shared[i];
            times.lap(StageTimes.Stage.COMBINE, started);
        }
        return new Result(y, routing);
    }

    /** The routing of {@code x [tokens × d]} (one sequence: capacity counts per call), timed as ROUTER. */
    public Router.Routing route(float[] x, int tokens, StageTimes times) {
        long started = times.now();
        Router.Routing routing = router.route(x, tokens);
        times.lap(StageTimes.Stage.ROUTER, started);
        return routing;
    }

    /** Expert {@code e}'s FFN. */
    public FeedForward expert(int e) {
        return experts[e];
    }

    /**
     * The shared expert's part of {@code y}, {@code σ(x_t·w_sg) · Shared(x_t)} (or {@code Shared(x_t)}
     * without the gate), {@code [tokens × d]}; null without a shared expert. Timed as FFN_GEMM.
     */
    public float[] sharedOutput(float[] x, int tokens, StageTimes times) {
        if (shared == null) return null;
        long started = times.now();
        float[] s = shared.forward(x, tokens, SiteRecorder.NONE);
        if (sharedGateWeight != null) {
            for (int t = 0; t < tokens; t++) {
                double z = 0;
                for (int c = 0; c < d; c++) z += (double) x[t * d + c] * sharedGateWeight[c];
                float g = (float) (1 / (1 + Math.exp(-z)));
                for (int c = 0; c < d; c++) s[t * d + c] = g * s[t * d + c];
            }
        }
        times.lap(StageTimes.Stage.FFN_GEMM, started);
        return s;
    }

    /**
     * {@code y[yOffset..+d] += w · out[outOffset..+d]}: one routed expert's output added to its token.
     * Each token's experts are added in ascending expert order, whichever strategy runs them.
     */
    public static void addWeighted(float[] y, int yOffset, float w, float[] out, int outOffset, int d) {
        for (int c = 0; c < d; c++) y[yOffset + c] += w * out[outOffset + c];
    }

    /**
     * Parameters a token uses: the router, k experts, the shared expert and its gate (each weight
     * counted once; no biases in an MoE FFN).
     */
    public long activeParameters() {
        long expert = 3L * d * spec.dFfExpert();
        return (long) spec.experts() * d + spec.topK() * expert + 3L * d * spec.dFfShared() + (spec.sharedGate() ? d : 0);
    }

    /** Every parameter: the router, all E experts, the shared expert and its gate. */
    public long totalParameters() {
        return (long) spec.experts() * d + spec.experts() * 3L * d * spec.dFfExpert() + 3L * d * spec.dFfShared()
                + (spec.sharedGate() ? d : 0);
    }

    /**
     * FLOPs per token, dropless: the router GEMM 2·d·E, k experts' FFNs (each as {@link FeedForward#flopsPerToken}),
     * the weighted sum 2·d per expert, and the shared expert with its gate (2·d + the product d) and its add d.
     * Scoring and top-k selection are O(E) comparisons and exponentials, not counted.
     */
    public long flopsPerToken() {
        long f = 2L * d * spec.experts() + spec.topK() * (experts[0].flopsPerToken() + 2L * d);
        if (shared != null) f += shared.flopsPerToken() + d + (sharedGateWeight != null ? 2L * d + d : 0);
        return f;
    }
}
