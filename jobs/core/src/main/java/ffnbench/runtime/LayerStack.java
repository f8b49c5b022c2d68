package ffnbench.runtime;

import ffnbench.model.Formulation;
import ffnbench.model.SiteRecorder;
import ffnbench.model.StageTimes;
import ffnbench.model.TransformerLayer;
import ffnbench.model.Workspace;
import java.util.List;

/**
 * A case's layers in order, and the one loop that runs a sequence through them,
 * {@code y = L_n(… L_1(L_0(x)))}: the Spark block function, the SQL functions, the ML transformer and
 * the benchmarks all run sequences this way.
 *
 * @param ids    each layer's index in its model (statistics are keyed by it)
 * @param layers the layers, built once per JVM ({@link LayerCache})
 */
public record LayerStack(List<Integer> ids, TransformerLayer[] layers) {

    /**
     * One sequence {@code x [tokens × d_model]} through every block in {@code formulation}. Before each
     * layer the recorder learns the layer's index and records its input (the {@code input} site); its
     * time goes to {@code times}. The result belongs to {@code ws} (a reusing workspace hands the same
     * arrays to the next sequence).
     */
    public float[] forward(float[] x, int tokens, Formulation formulation, StatsRecorder recorder, StageTimes times, Workspace ws) {
        for (int i = 0; i < layers.length; i++) {
            recorder.layer(ids.get(i));
            recorder.recordInput(x, tokens);
            x = layers[i].forward(x, tokens, formulation, recorder, times, ws);
        }
        return x;
    }

    /** As above without statistics or timing, in fresh arrays the caller keeps. */
    public float[] forward(float[] x, int tokens, Formulation formulation) {
        for (TransformerLayer layer : layers) x = layer.forward(x, tokens, formulation, SiteRecorder.NONE);
        return x;
    }

    /** Every layer's MLP sublayer alone (no norm, no residual), on {@code tokens} tokens, in fresh arrays. */
    public float[] mlp(float[] x, int tokens) {
        for (TransformerLayer layer : layers) x = layer.mlp(x, tokens, SiteRecorder.NONE);
        return x;
    }

    /** FLOPs of one sequence of {@code tokens} tokens through every block. */
    public long flops(Formulation formulation, int tokens) {
        long flops = 0;
        for (TransformerLayer layer : layers) flops += tokens * layer.flopsPerToken(formulation, tokens);
        return flops;
    }

    /** d_model of the stack (its first layer's). */
    public int dModel() {
        return layers[0].config().dModel();
    }
}
