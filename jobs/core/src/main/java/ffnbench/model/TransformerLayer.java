package ffnbench.model;

import ffnbench.math.Gemm;
import ffnbench.math.LayerNorm;
import ffnbench.math.Matrices;
import ffnbench.math.Norm;
import ffnbench.math.RmsNorm;
import ffnbench.math.Rope;

/**
 * One transformer layer (two norms, attention, FFN) that runs over a sequence {@code x[tokens × d]}
 * in any {@link Formulation}:
 * <pre>
 * serial, pre-LN     h = x + Attn(N₁(x));          y = h + MLP(N₂(h))
 * serial, post-LN    h = N₁(x + Attn(x));          y = N₂(h + MLP(h))        (BERT)
 * parallel, pre-LN   n = N₁(x);                    y = x + Attn(n) + MLP(n)  (GPT-J, PaLM)
 * parallel, post-LN                                y = N₁(x + Attn(x) + MLP(x))
 * parallel-two-norms                               y = x + Attn(N₁(x)) + MLP(N₂(x))  (GPT-NeoX; pre-LN only)
 * </pre>
 * In the parallel form attention and MLP read the same input, so their input projections run as
 * <b>one GEMM</b> over the concatenated weights {@code [W_qkv | W_in]}: that fusion is the point of it.
 */
public final class TransformerLayer {
    private final ModelConfig config;
    private final LayerWeights outIn;    // the tensors it computes with: matrices [out × in], shared with the sublayers
    private final Norm norm1;
    private final Norm norm2;
    private final MultiHeadAttention attention;
    private final FeedForward ffn;       // the dense FFN, or null for a mixture of experts
    private final MoeFfn moe;   // the mixture of experts, or null
    private final int fusedWidth;
    private final float[] fusedWeight;   // [(qkvWidth + ffnInputWidth) × d]: W_qkvᵀ stacked on W_inᵀ
    private final float[] fusedBias;     // or null when neither side has biases

    /** {@link Workspace} slots of the parallel block (attention, FFN and norms have their own). */
    private static final int FUSED_SLOT = 0, CONTEXT_SLOT = 1, Y_SLOT = 2, MLP_SLOT = 3;

    /** From canonical weights ({@code [in × out]} matrices); the matrices are transposed once, here. */
    public TransformerLayer(ModelConfig config, LayerWeights weights) {
        this(config, weights.validate(config).withMatricesTransposed(config, true), true);
    }

    /**
     * From weights whose matrices are already {@code [out × in]} ({@link LayerWeights#withMatricesTransposed}),
     * held as given: executors build layers from a broadcast in this layout without a second copy.
     */
    public static TransformerLayer ofOutIn(ModelConfig config, LayerWeights outIn) {
        return new TransformerLayer(config, outIn.validate(config), true);
    }

    /** {@code validated}: only tells this constructor apart from the public one. */
    private TransformerLayer(ModelConfig config, LayerWeights outIn, boolean validated) {
        this.config = config;
        this.outIn = outIn;
        this.norm1 = norm(config, outIn, "attn_norm");
        this.norm2 = norm(config, outIn, "mlp_norm");
        Rope rope = config.rotaryDim() > 0 ? new Rope(config.rotaryDim(), config.ropeTheta()) : null;
        this.attention = new MultiHeadAttention(config.dModel(), config.heads(), config.kvHeads(), config.causal(), rope,
                outIn.get("attn.qkv.weight"), outIn.get("attn.qkv.bias"),
                outIn.get("attn.out.weight"), outIn.get("attn.out.bias"));
        this.moe = config.isMoe() ? moe(config, outIn) : null;
        this.ffn = config.isMoe() ? null : FeedForward.createOutIn(config.ffn(), config.dModel(), config.dFf(),
                outIn.get("mlp.in.weight"), outIn.get("mlp.in.bias"),
                outIn.get("mlp.out.weight"), outIn.get("mlp.out.bias"));
        // a parallel block fuses the FFN's input projection with the attention's; an MoE's experts each have their own
        int qkvWidth = attention.qkvWidth();
        if (moe != null) {
            this.fusedWidth = qkvWidth;
            this.fusedWeight = attention.qkvWeightOutIn();
            this.fusedBias = attention.qkvBias();
            return;
        }
        int ffnWidth = ffn.inputWidth();
        this.fusedWidth = qkvWidth + ffnWidth;
        this.fusedWeight = Matrices.concatRows(attention.qkvWeightOutIn(), ffn.inputWeightOutIn());
        this.fusedBias = (attention.qkvBias() == null && ffn.inputBias() == null) ? null
                : Matrices.concatColumns(1, orZeros(attention.qkvBias(), qkvWidth), orZeros(ffn.inputBias(), ffnWidth));
    }

    /** The MoE sublayer from weights already {@code [out × in]} (held as given). */
    private static MoeFfn moe(ModelConfig c, LayerWeights w) {
        MoeSpec spec = c.moe();
        int d = c.dModel();
        FeedForward[] experts = new FeedForward[spec.experts()];
        for (int e = 0; e < experts.length; e++) {
            experts[e] = FeedForward.createOutIn(c.ffn(), d, c.dFf(), w.get("mlp.experts." + e + ".in.weight"), null,
                    w.get("mlp.experts." + e + ".out.weight"), null);
        }
        FeedForward shared = spec.dFfShared() == 0 ? null : FeedForward.createOutIn(c.ffn(), d, spec.dFfShared(),
                w.get("mlp.shared.in.weight"), null, w.get("mlp.shared.out.weight"), null);
        return new MoeFfn(spec, d, new Router(spec, d, w.get("mlp.router.weight"),
                w.get("mlp.router.selection_bias")), experts, shared, w.get("mlp.shared_gate.weight"));
    }

    private static Norm norm(ModelConfig c, LayerWeights w, String prefix) {
        return c.norm() == NormType.RMSNORM
                ? new RmsNorm(w.get(prefix + ".weight"), c.normEps())
                : new LayerNorm(w.get(prefix + ".weight"), w.get(prefix + ".bias"), c.normEps());
    }

    private static float[] orZeros(float[] a, int n) {
        return a != null ? a : new float[n];
    }

    public ModelConfig config() {
        return config;
    }

    /** The weights this layer was built from, canonical names and layout (rebuilt from what it holds: a copy). */
    public LayerWeights weights() {
        return outIn.withMatricesTransposed(config, false);
    }

    /** The dense FFN; null when the MLP is a mixture of experts ({@link #moe}). */
    public FeedForward ffn() {
        return ffn;
    }

    /** The mixture-of-experts MLP; null for a dense FFN. */
    public MoeFfn moe() {
        return moe;
    }

    public MultiHeadAttention attention() {
        return attention;
    }

    /** The MLP sublayer alone ({@code forward --part mlp}): no norm, no residual. */
    public float[] mlp(float[] x, int tokens, SiteRecorder sites) {
        return mlp(x, tokens, sites, new StageTimes());
    }

    /** As {@link #mlp(float[], int, SiteRecorder)}, adding each stage's time to {@code times}. */
    public float[] mlp(float[] x, int tokens, SiteRecorder sites, StageTimes times) {
        return moe != null ? moeMlp(sites, times).apply(x, tokens) : ffn.forward(x, tokens, sites, times);
    }

    /** The MoE sublayer as the block's MLP, recording its input, output and routing, timed as router and FFN GEMMs. */
    private Mlp moeMlp(SiteRecorder sites, StageTimes times) {
        return (in, tokens) -> {
            if (sites.wants(Site.FFN_IN)) sites.record(Site.FFN_IN, in, 0, tokens, config.dModel(), config.dModel());
            MoeFfn.Result r = moe.forwardRouted(in, tokens, sites, times);
            float[] y = r.out();
            recordRouting(r.routing(), tokens, sites);
            if (sites.wants(Site.FFN_OUT)) sites.record(Site.FFN_OUT, y, 0, tokens, config.dModel(), config.dModel());
            return y;
        };
    }

    /** A mixture-of-experts layer's router sites for one sequence: the logits, the scores and the routing itself. */
    public void recordRouting(Router.Routing routing, int tokens, SiteRecorder sites) {
        int experts = moe.spec().experts();
        if (sites.wants(Site.ROUTER_LOGITS)) sites.record(Site.ROUTER_LOGITS, routing.logits(), 0, tokens, experts, experts);
        if (sites.wants(Site.ROUTER_PROBS)) {
            sites.record(Site.ROUTER_PROBS, routing.scores(), 0, tokens, experts, experts);
            sites.recordRouting(routing);
        }
    }

    /** Runs the whole block over one sequence of {@code tokens} tokens; returns {@code y[tokens × d]}. */
    public float[] forward(float[] x, int tokens, Formulation formulation, SiteRecorder sites) {
        return forward(x, tokens, formulation, sites, new StageTimes());
    }

    /** As {@link #forward(float[], int, Formulation, SiteRecorder)}, adding each stage's time to {@code times}. */
    public float[] forward(float[] x, int tokens, Formulation formulation, SiteRecorder sites, StageTimes times) {
        return forward(x, tokens, formulation, sites, times, Workspace.fresh());
    }

    /**
     * An MLP sublayer computed another way than this layer's FFN: {@code y [tokens × d]} from the FFN's
     * input, in an array the block may change. The sparsity analysis passes its sparsified FFN.
     */
    @FunctionalInterface
    public interface Mlp {
        float[] apply(float[] ffnInput, int tokens);
    }

    /** The block with its MLP sublayer replaced by {@code mlp}; no sites, fresh arrays. */
    public float[] forward(float[] x, int tokens, Formulation formulation, Mlp mlp) {
        return forward(x, tokens, formulation, SiteRecorder.NONE, new StageTimes(), Workspace.fresh(), mlp);
    }

    /**
     * As above, with every intermediate taken from {@code ws}: a task that runs many rows passes one
     * reusing workspace and allocates nothing large per row. The returned array belongs to {@code ws}.
     */
    public float[] forward(float[] x, int tokens, Formulation formulation, SiteRecorder sites, StageTimes times,
                           Workspace ws) {
        return forward(x, tokens, formulation, sites, times, ws, null);
    }

    /** The block, with the MLP sublayer computed by {@code mlp} when it is not null. */
    private float[] forward(float[] x, int tokens, Formulation formulation, SiteRecorder sites, StageTimes times,
                            Workspace ws, Mlp mlp) {
        int d = config.dModel();
        if (x.length != tokens * d) {
            throw new IllegalArgumentException("input has " + x.length + " values, expected " + tokens + " tokens × d_model " + d);
        }
        if (mlp == null && moe != null) mlp = moeMlp(sites, times);
        float[] y;
        if (formulation == Formulation.PARALLEL && mlp == null) {
            y = parallelFused(x, tokens, sites, times, ws);
        } else {
            BeforeMlp b = beforeMlp(x, tokens, formulation, sites, times, ws);
            float[] m = mlp != null ? mlp.apply(b.mlpInput(), tokens) : ffn.forward(b.mlpInput(), tokens, sites, times, ws);
            y = afterMlp(b, m, tokens, formulation, sites, times, ws);
        }
        if (sites.wants(Site.BLOCK_OUT)) sites.record(Site.BLOCK_OUT, y, 0, tokens, d, d);
        return y;
    }

    /**
     * A block stopped at its MLP sublayer: what the MLP reads, and what the block adds to the MLP's
     * output afterwards. {@code attention} is null in a serial block (its attention is already in
     * {@code residual}); in a parallel one the block ends as {@code (attention + mlp) + residual}.
     */
    public record BeforeMlp(float[] mlpInput, float[] attention, float[] residual) { }

    /**
     * The block up to its MLP sublayer, for a caller that computes the MLP elsewhere (expert
     * parallelism sends the MLP input to the experts' executors). The arrays belong to {@code ws}.
     * {@link #afterMlp} finishes the block; together they compute what {@link #forward} does, operation
     * for operation, except a dense parallel block's fused FFN projection.
     * <pre>
     * serial, pre-LN     h = x + Attn(N₁(x));   MLP input N₂(h);  residual h
     * serial, post-LN    h = N₁(x + Attn(x));   MLP input h;      residual h
     * parallel           n = N₁(x) (pre-LN) or x;   MLP input n;  attention Attn(n);  residual x
     * parallel-two-norms MLP input N₂(x);  attention Attn(N₁(x));  residual x
     * </pre>
     */
    public BeforeMlp beforeMlp(float[] x, int tokens, Formulation formulation, SiteRecorder sites, StageTimes times, Workspace ws) {
        switch (formulation) {
            case SERIAL -> {
                if (config.placement() == NormPlacement.PRE) {
                    float[] h = attend(normalise(norm1, Site.ATTN_NORM, x, tokens, sites, times, ws), tokens, sites, times, ws);
                    addInPlace(h, x, times);
                    return new BeforeMlp(normalise(norm2, Site.MLP_NORM, h, tokens, sites, times, ws), null, h);
                }
                float[] a = attend(x, tokens, sites, times, ws);
                addInPlace(a, x, times);
                float[] h = normalise(norm1, Site.ATTN_NORM, a, tokens, sites, times, ws);
                return new BeforeMlp(h, null, h);
            }
            case PARALLEL -> {
                float[] in = config.placement() == NormPlacement.PRE ? normalise(norm1, Site.ATTN_NORM, x, tokens, sites, times, ws) : x;
                return new BeforeMlp(in, projectedAttention(in, tokens, sites, times, ws), x);
            }
            case PARALLEL_TWO_NORMS -> {
                Formulation.PARALLEL_TWO_NORMS.requireFits(config);
                float[] n1 = normalise(norm1, Site.ATTN_NORM, x, tokens, sites, times, ws);
                float[] n2 = normalise(norm2, Site.MLP_NORM, x, tokens, sites, times, ws);
                return new BeforeMlp(n2, attend(n1, tokens, sites, times, ws), x);
            }
            default -> throw new IllegalArgumentException("unknown formulation " + formulation);
        }
    }

    /**
     * The rest of the block after {@link #beforeMlp}, from the MLP's output {@code m} (changed in place):
     * serial pre-LN {@code m + h}; serial post-LN {@code N₂(m + h)}; parallel {@code (attention + m) + x},
     * then {@code N₁} when post-LN; parallel-two-norms {@code (attention + m) + x}.
     */
    public float[] afterMlp(BeforeMlp b, float[] m, int tokens, Formulation formulation, SiteRecorder sites, StageTimes times,
                            Workspace ws) {
        if (b.attention() == null) {
            addInPlace(m, b.residual(), times);
            boolean post = formulation == Formulation.SERIAL && config.placement() == NormPlacement.POST;
            return post ? normalise(norm2, Site.MLP_NORM, m, tokens, sites, times, ws) : m;
        }
        float[] y = b.attention();
        addInPlace(y, m, times);
        addInPlace(y, b.residual(), times);
        boolean post = formulation == Formulation.PARALLEL && config.placement() == NormPlacement.POST;
        return post ? normalise(norm1, Site.ATTN_NORM, y, tokens, sites, times, ws) : y;
    }

    /** Attention over {@code in} through its output projection, with the QKV projection alone (the MLP runs elsewhere). */
    private float[] projectedAttention(float[] in, int tokens, SiteRecorder sites, StageTimes times, Workspace ws) {
        int d = config.dModel();
        long t = times.now();
        float[] fused = ws.get(this, FUSED_SLOT, tokens * fusedWidth);
        Gemm.linearOutIn(in, tokens, d, fusedWeight, fusedBias, fusedWidth, fused);
        t = times.lap(StageTimes.Stage.FUSED_GEMM, t);
        float[] context = ws.get(this, CONTEXT_SLOT, tokens * attention.heads() * attention.headDim());
        attention.attend(fused, 0, fusedWidth, tokens, context, ws);
        float[] y = ws.get(this, Y_SLOT, tokens * d);
        attention.project(context, tokens, y, sites);
        times.lap(StageTimes.Stage.ATTENTION, t);
        return y;
    }

    /** The dense parallel block: one GEMM for attention's and the FFN's input projections, y = x + Attn(n) + MLP(n). */
    private float[] parallelFused(float[] x, int tokens, SiteRecorder sites, StageTimes times, Workspace ws) {
        int d = config.dModel();
        boolean pre = config.placement() == NormPlacement.PRE;
        float[] in = pre ? normalise(norm1, Site.ATTN_NORM, x, tokens, sites, times, ws) : x;

        // One GEMM for both input projections: [QKV | P] = in · [W_qkv | W_in] + [b_qkv | b_in].
        long t = times.now();
        float[] fused = ws.get(this, FUSED_SLOT, tokens * fusedWidth);
        Gemm.linearOutIn(in, tokens, d, fusedWeight, fusedBias, fusedWidth, fused);
        t = times.lap(StageTimes.Stage.FUSED_GEMM, t);

        float[] context = ws.get(this, CONTEXT_SLOT, tokens * attention.heads() * attention.headDim());
        attention.attend(fused, 0, fusedWidth, tokens, context, ws);
        float[] y = ws.get(this, Y_SLOT, tokens * d);
        attention.project(context, tokens, y, sites);
        t = times.lap(StageTimes.Stage.ATTENTION, t);

        if (sites.wants(Site.FFN_IN)) sites.record(Site.FFN_IN, in, 0, tokens, d, d);
        float[] hidden = ffn.activate(fused, attention.qkvWidth(), fusedWidth, tokens, sites, ws);
        t = times.lap(StageTimes.Stage.ACTIVATION, t);
        float[] m = ws.get(this, MLP_SLOT, tokens * d);
        ffn.project(hidden, tokens, m, sites);
        times.lap(StageTimes.Stage.FFN_GEMM, t);

        addInPlace(y, m, times);
        addInPlace(y, x, times);
        return pre ? y : normalise(norm1, Site.ATTN_NORM, y, tokens, sites, times, ws);
    }

    private float[] attend(float[] x, int tokens, SiteRecorder sites, StageTimes times, Workspace ws) {
        long t = times.now();
        float[] y = attention.forward(x, tokens, sites, ws);
        times.lap(StageTimes.Stage.ATTENTION, t);
        return y;
    }

    private float[] normalise(Norm norm, Site site, float[] x, int tokens, SiteRecorder sites, StageTimes times,
                              Workspace ws) {
        long t = times.now();
        float[] out = ws.get(norm, 0, x.length);   // each norm has its own buffer: serial blocks keep both outputs
        norm.apply(x, out, tokens);
        times.lap(StageTimes.Stage.NORM, t);
        if (sites.wants(site)) sites.record(site, out, 0, tokens, config.dModel(), config.dModel());
        return out;
    }

    private static void addInPlace(float[] acc, float[] b, StageTimes times) {
        long t = times.now();
        for (int i = 0; i < acc.length; i++) acc[i] += b[i];
        times.lap(StageTimes.Stage.RESIDUAL, t);
    }

    /**
     * FLOPs per token of the block for sequences of {@code seqLen} tokens: GEMMs as 2·m·n·k,
     * attention over the full score matrix, norms, activations and residual adds (see docs).
     */
    public long flopsPerToken(Formulation formulation, int seqLen) {
        long mlp = moe != null ? moe.flopsPerToken() : ffn.flopsPerToken();
        return Flops.block(attention.flopsPerToken(seqLen), mlp, norm1.flopsPerToken(), norm2.flopsPerToken(),
                formulation, config.dModel());
    }
}
