package ffnbench.math;

/** A per-token normalisation over the model dimension: LayerNorm or RMSNorm. */
public interface Norm {

    /** Normalises each of the {@code tokens} rows of {@code x[tokens×d]} into {@code out} (may be x). */
    void apply(float[] x, float[] out, int tokens);

    /** Model dimension d. */
    int dim();

    /** FLOPs counted per token (for GFLOP/s reports). */
    long flopsPerToken();

    /** "layernorm" or "rmsnorm". */
    String kind();
}
