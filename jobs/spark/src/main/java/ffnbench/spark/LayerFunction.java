package ffnbench.spark;

import ffnbench.runtime.LayerCache;
import ffnbench.runtime.LayerStack;
import ffnbench.model.Formulation;
import ffnbench.model.Part;
import ffnbench.weights.ModelSource;
import java.io.Serializable;
import java.util.List;

/**
 * One layer (or its MLP alone) applied to one row's {@code [seq_len × d]} hidden states, returning
 * the output hidden states: the computation behind the SQL functions and the ML transformer.
 * Layers come from {@link LayerCache}: built once per JVM, never per row.
 */
public final class LayerFunction implements Serializable {
    private final ModelSource.Spec spec;
    private final List<Integer> layers;
    private final boolean mlpOnly;
    private final Formulation formulation;

    public LayerFunction(ModelSource.Spec spec, List<Integer> layers, boolean mlpOnly, Formulation formulation) {
        if (layers.isEmpty()) throw new IllegalArgumentException("at least one layer is needed");
        this.spec = spec;
        this.layers = List.copyOf(layers);
        this.mlpOnly = mlpOnly;
        this.formulation = formulation;
        if (!mlpOnly) {
            try {
                formulation.requireFits(ModelSource.config(spec.source(), spec.overrides()));   // the config alone: no weights loaded
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    public static LayerFunction parse(String model, int layer, String part, String formulation) {
        return new LayerFunction(ModelSource.parseSpec(model), List.of(layer), Part.parse(part) == Part.MLP, Formulation.parse(formulation));
    }

    /** d_model of the model (loads its layers into the cache). */
    public int dModel() {
        return stack().dModel();
    }

    private LayerStack stack() {
        return LayerCache.stack(spec.source(), spec.seed(), spec.overrides(), layers);
    }

    public float[] apply(float[] hidden, int seqLen) {
        if (hidden == null) return null;
        SparkBackends.ensureChosen();
        int d = dModel();
        if (hidden.length % d != 0 || (!mlpOnly && hidden.length != (long) seqLen * d)) {
            throw new IllegalArgumentException("hidden holds " + hidden.length + " values; expected "
                    + (mlpOnly ? "a multiple of d_model " + d : "seq_len × d_model = " + seqLen + " × " + d));
        }
        int tokens = hidden.length / d;
        return mlpOnly ? stack().mlp(hidden, tokens) : stack().forward(hidden, tokens, formulation);
    }
}
