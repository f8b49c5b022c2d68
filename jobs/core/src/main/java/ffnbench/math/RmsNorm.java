package ffnbench.math;

/** RMSNorm (LLaMA): {@code y = x / sqrt(mean(x²) + ε) · γ} per token. */
public final class RmsNorm implements Norm {
    /** FLOPs counted per normalised value (docs/RESULTS.md, "FLOP counting"). */
    public static final int FLOPS_PER_VALUE = 4;

    private final float[] gamma;
    private final float eps;

    public RmsNorm(float[] gamma, double eps) {
        this.gamma = gamma;
        this.eps = (float) eps;
    }

    @Override
    public void apply(float[] x, float[] out, int tokens) {
        int d = gamma.length;
        for (int t = 0; t < tokens; t++) {
            int off = t * d;
            double sq = 0;
            for (int i = 0; i < d; i++) sq += (double) x[off + i] * x[off + i];
            float inv = (float) (1.0 / Math.sqrt(sq / d + eps));
            for (int i = 0; i < d; i++) out[off + i] = x[off + i] * inv * gamma[i];
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
        return "rmsnorm";
    }
}
