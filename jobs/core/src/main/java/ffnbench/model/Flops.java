package ffnbench.model;

/**
 * FLOPs per token, counted one way for every caller (docs/RESULTS.md, "FLOP counting"): every GEMM
 * {@code [m×k]·[k×n]} counts {@code 2·m·n·k}, a bias 1 per output, element-wise work as
 * {@link ffnbench.math.Activation#flopsPerElement} says. The layers count with their own weights'
 * shapes; {@link #block(ModelConfig, Formulation, int)} counts from a config alone, where no weights
 * are built (the driver's progress estimate).
 */
public final class Flops {
    private Flops() {}

    /** An FFN: input projection {@code d → inputWidth}, element-wise work, output projection {@code d_ff → d}. */
    static long ffn(int dModel, int dFf, int inputWidth, boolean inputBias, boolean outputBias, long elementwise) {
        long gemms = 2L * dModel * inputWidth + 2L * dFf * dModel;
        long biases = (inputBias ? inputWidth : 0) + (outputBias ? dModel : 0);
        return gemms + biases + elementwise;
    }

    /** Element-wise work of an FFN's hidden: the activation, and for a gated FFN the gating product. */
    static long ffnElementwise(ffnbench.math.Activation activation, boolean gated, int dFf) {
        return (long) (activation.flopsPerElement() + (gated ? 1 : 0)) * dFf;
    }

    /** Attention over a sequence of {@code seqLen} tokens (the full score matrix is computed, causal or not). */
    static long attention(int dModel, int heads, int kvHeads, int headDim, int rotaryDim, int seqLen, boolean qkvBias,
                          boolean outBias) {
        int qkvWidth = (heads + 2 * kvHeads) * headDim;
        long projections = 2L * dModel * qkvWidth + 2L * heads * headDim * dModel;
        long scoresAndValues = 4L * heads * headDim * seqLen;
        long softmax = 5L * heads * seqLen;
        long rotary = 6L * (heads + kvHeads) * (rotaryDim / 2);
        long biases = (qkvBias ? qkvWidth : 0) + (outBias ? dModel : 0);
        return projections + scoresAndValues + softmax + rotary + biases;
    }

    /** A norm over {@code d} values: LayerNorm 8 per value, RMSNorm 4. */
    public static long norm(NormType type, int d) {
        return (long) (type == NormType.RMSNORM ? ffnbench.math.RmsNorm.FLOPS_PER_VALUE : ffnbench.math.LayerNorm.FLOPS_PER_VALUE) * d;
    }

    /** A whole block: attention, FFN, the norms the formulation applies (the parallel form shares one) and two residual adds. */
    static long block(long attention, long ffn, long norm1, long norm2, Formulation formulation, int dModel) {
        long norms = formulation == Formulation.PARALLEL ? norm1 : norm1 + norm2;
        return attention + ffn + norms + 2L * dModel;
    }

    /** A block of {@code c} from its config alone (biases as {@code attn_bias} and {@code mlp_bias} say). */
    public static long block(ModelConfig c, Formulation formulation, int seqLen) {
        int inputWidth = c.ffn().gated() ? 2 * c.dFf() : c.dFf();
        long ffn = ffn(c.dModel(), c.dFf(), inputWidth, c.mlpBias(), c.mlpBias(), ffnElementwise(c.ffn().activation(), c.ffn().gated(), c.dFf()));
        long attention = attention(c.dModel(), c.heads(), c.kvHeads(), c.dModel() / c.heads(), c.rotaryDim(), seqLen,
                c.attnBias(), c.attnBias());
        long norm = norm(c.norm(), c.dModel());
        return block(attention, ffn, norm, norm, formulation, c.dModel());
    }
}
