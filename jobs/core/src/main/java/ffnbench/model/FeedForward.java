package ffnbench.model;

import ffnbench.math.Activation;
import ffnbench.math.Gemm;
import ffnbench.math.Matrices;

/**
 * The FFN (MLP) sublayer, in three steps that every variant shares:
 * <ol>
 *   <li>input projection {@code P = x·W_in + b_in} ({@code [tokens × inputWidth]}): one GEMM;</li>
 *   <li>{@link #activate}: the element-wise part turning P into the hidden {@code H [tokens × d_ff]};</li>
 *   <li>output projection {@code y = H·W_out + b_out}: one GEMM.</li>
 * </ol>
 * Keeping step 1 separate lets a parallel block fuse it with the attention's input projection into
 * a single GEMM. The weights come in canonical {@code [in × out]} ({@code y = x·W}, see
 * {@link LayerWeights}) and are held {@code [out × in]} ({@code y = x·Wᵀ}, PyTorch's {@code nn.Linear}
 * layout): OpenBLAS runs the short GEMMs of one sequence faster that way (docs/PERFORMANCE.md).
 */
public abstract class FeedForward {
    protected final int dModel;
    protected final int dFf;
    protected final Activation activation;
    private final float[] inputWeight;   // [inputWidth × dModel] (out × in)
    private final float[] inputBias;     // [inputWidth] or null
    private final float[] outputWeight;  // [dModel × dFf] (out × in)
    private final float[] outputBias;    // [dModel] or null

    /** {@link Workspace} slots of an FFN: its input projection, its output and the dense hidden H. */
    static final int PROJ_SLOT = 0, OUT_SLOT = 1, HIDDEN_SLOT = 2;

    /** From weights already {@code [out × in]} (held as given, not copied). */
    protected FeedForward(int dModel, int dFf, Activation activation,
                          float[] inputWeight, float[] inputBias, float[] outputWeight, float[] outputBias) {
        this.dModel = dModel;
        this.dFf = dFf;
        this.activation = activation;
        this.inputWeight = inputWeight;
        this.inputBias = inputBias;
        this.outputWeight = outputWeight;
        this.outputBias = outputBias;
        requireLength("mlp.in.weight", inputWeight, (long) dModel * inputWidth());
        if (inputBias != null) requireLength("mlp.in.bias", inputBias, inputWidth());
        requireLength("mlp.out.weight", outputWeight, (long) dFf * dModel);
        if (outputBias != null) requireLength("mlp.out.bias", outputBias, dModel);
    }

    /** Builds the FFN of a variant from its canonical {@code [in × out]} weights (see {@link LayerWeights}); copies them. */
    public static FeedForward create(FfnVariant variant, int dModel, int dFf,
                                     float[] inputWeight, float[] inputBias, float[] outputWeight, float[] outputBias) {
        int inputWidth = (variant.gated() ? 2 : 1) * dFf;
        requireLength("mlp.in.weight", inputWeight, (long) dModel * inputWidth);
        requireLength("mlp.out.weight", outputWeight, (long) dFf * dModel);
        return createOutIn(variant, dModel, dFf, Matrices.transpose(inputWeight, dModel, inputWidth), inputBias,
                Matrices.transpose(outputWeight, dFf, dModel), outputBias);
    }

    /** As {@link #create}, from weights already {@code [out × in]} (held as given). */
    public static FeedForward createOutIn(FfnVariant variant, int dModel, int dFf,
                                          float[] inputWeight, float[] inputBias, float[] outputWeight, float[] outputBias) {
        return variant.gated()
                ? new GatedFfn(dModel, dFf, variant.activation(), inputWeight, inputBias, outputWeight, outputBias)
                : new StandardFfn(dModel, dFf, variant.activation(), inputWeight, inputBias, outputWeight, outputBias);
    }

    static void requireLength(String tensor, float[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException("tensor " + tensor + " has " + (a == null ? "no" : a.length)
                    + " values, expected " + expected);
        }
    }

    /** Width of the input projection: d_ff, or 2·d_ff for gated FFNs (gate and up side by side). */
    public abstract int inputWidth();

    /** Whether this FFN is gated (its input projection holds gate and up side by side). */
    public boolean gated() {
        return inputWidth() == 2 * dFf;
    }

    /**
     * Element-wise step: reads {@code P} ({@code tokens} rows of stride {@code projStride} starting at
     * {@code projOffset}; may be modified) and returns the dense hidden {@code H [tokens × d_ff]}:
     * {@code P} itself, activated in place, when it already has that layout, else an array from {@code ws}.
     */
    public abstract float[] activate(float[] proj, int projOffset, int projStride, int tokens, SiteRecorder sites,
                                     Workspace ws);

    public int dModel() {
        return dModel;
    }

    public int dFf() {
        return dFf;
    }

    public Activation activation() {
        return activation;
    }

    /** The input projection's weights, {@code [inputWidth × dModel]} (out × in). */
    public float[] inputWeightOutIn() {
        return inputWeight;
    }

    /** The output projection's weights, {@code [dModel × dFf]} (out × in). */
    public float[] outputWeightOutIn() {
        return outputWeight;
    }

    public float[] inputBias() {
        return inputBias;
    }

    public float[] outputBias() {
        return outputBias;
    }

    /** The sublayer alone, no norm, no residual: {@code y[tokens × d] = FFN(x)}. */
    public float[] forward(float[] x, int tokens, SiteRecorder sites) {
        return forward(x, tokens, sites, new StageTimes());
    }

    /** As {@link #forward(float[], int, SiteRecorder)}, adding the time of each stage to {@code times}. */
    public float[] forward(float[] x, int tokens, SiteRecorder sites, StageTimes times) {
        return forward(x, tokens, sites, times, Workspace.fresh());
    }

    /** As above, with intermediates (and the returned output) taken from {@code ws}. */
    public float[] forward(float[] x, int tokens, SiteRecorder sites, StageTimes times, Workspace ws) {
        if (sites.wants(Site.FFN_IN)) sites.record(Site.FFN_IN, x, 0, tokens, dModel, dModel);
        long t = times.now();
        float[] proj = ws.get(this, PROJ_SLOT, tokens * inputWidth());
        Gemm.linearOutIn(x, tokens, dModel, inputWeight, inputBias, inputWidth(), proj);
        t = times.lap(StageTimes.Stage.FFN_GEMM, t);
        float[] hidden = activate(proj, 0, inputWidth(), tokens, sites, ws);
        t = times.lap(StageTimes.Stage.ACTIVATION, t);
        float[] out = ws.get(this, OUT_SLOT, tokens * dModel);
        project(hidden, tokens, out, sites);
        times.lap(StageTimes.Stage.FFN_GEMM, t);
        return out;
    }

    /** Output projection {@code out = H·W_out + b_out}, recorded as {@link Site#FFN_OUT}. */
    public void project(float[] hidden, int tokens, float[] out, SiteRecorder sites) {
        Gemm.linearOutIn(hidden, tokens, dFf, outputWeight, outputBias, dModel, out);
        if (sites.wants(Site.FFN_OUT)) sites.record(Site.FFN_OUT, out, 0, tokens, dModel, dModel);
    }

    /** FLOPs per token ({@link Flops#ffn}): 2·d·inputWidth + element-wise + 2·d_ff·d (+ biases). */
    public long flopsPerToken() {
        return Flops.ffn(dModel, dFf, inputWidth(), inputBias != null, outputBias != null, Flops.ffnElementwise(activation, gated(), dFf));
    }

    /** Number of parameters. */
    public long parameters() {
        return inputWeight.length + outputWeight.length
                + (inputBias == null ? 0 : inputBias.length) + (outputBias == null ? 0 : outputBias.length);
    }
}
