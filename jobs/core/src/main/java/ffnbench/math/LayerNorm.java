package ffnbench.math;

/**
 * LayerNorm: {@code y = (x − mean) / sqrt(var + ε) · γ + β} per token, biased variance (as PyTorch).
 * Sums are taken in double so that a large common offset (real hidden states have them) does not
 * cost precision.
 */
public final class LayerNorm implements Norm {
    /** FLOPs counted per normalised value (docs/RESULTS.md, "FLOP counting"). */
    public static final int FLOPS_PER_VALUE = 8;

    private final float[] gamma;
    private final float[] beta;
    private final float eps;

    /** @param beta may be null (no bias) */
    public LayerNorm(float[] gamma, float[] beta, double eps) {
        if (beta != null && beta.length != gamma.length) {
            throw new IllegalArgumentException("LayerNorm bias has " + beta.length + " values, weight " + gamma.length);
        }
        this.gamma = gamma;
        this.beta = beta;
        this.eps = (float) eps;
    }

    @Override
    public void apply(float[] x, float[] out, int tokens) {
        int d = gamma.length;
        for (int t = 0; t < tokens; t++) {
            int off = t * d;
            double sum = 0;
            for (int i = 0; i < d; i++) sum += x[off + i];
            double mean = sum / d;
            double sq = 0;
            for (int i = 0; i < d; i++) {
                double c = x[off + i] - mean;
                sq += c * c;
            }
            double inv = 1.0 / Math.sqrt(sq / d + eps);
            // Centre in double: a large common offset would otherwise cost float precision.
            if (beta == null) {
                for (int i = 0; i < d; i++) out[off + i] = (float) ((x[off + i] - mean) * inv) * gamma[i];
            } else {
                for (int i = 0; i < d; i++) out[off + i] = (float) ((x[off + i] - mean) * inv) * gamma[i] + beta[i];
            }
        }
    }

    @Override
    public int dim() {
        return gamma.length;
    }

    @Override
    public long flopsPerToken() {
        return (long) FLOPS_PER_VALUE * gamma.length;
    }

    @Override
    public String kind() {
        return "layernorm";
    }
}
