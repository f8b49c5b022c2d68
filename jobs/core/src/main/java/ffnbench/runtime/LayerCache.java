package ffnbench.runtime;

import ffnbench.bench.BenchCase;
import ffnbench.model.TransformerLayer;
import ffnbench.weights.ModelSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Layers built once per JVM (driver or executor) and shared by its tasks: weights are re-created
 * from the seed (presets) or read from the model (minilm, checkpoints) on first use, never per row.
 */
public final class LayerCache {
    private record Key(String source, long seed, Map<String, String> overrides, int layer, String weightsDtype) { }

    private static final Map<Key, TransformerLayer> LAYERS = new ConcurrentHashMap<>();

    private LayerCache() {}

    public static TransformerLayer get(String source, long seed, Map<String, String> overrides, int layer) {
        return get(source, seed, overrides, layer, "f32");
    }

    /**
     * A layer whose weights are rounded to {@code weightsDtype} (f32, bf16 or f16) once, when built;
     * the arithmetic stays fp32, so a dtype sweep measures the precision's effect on activations.
     */
    public static TransformerLayer get(String source, long seed, Map<String, String> overrides, int layer, String weightsDtype) {
        return LAYERS.computeIfAbsent(new Key(source, seed, overrides, layer, weightsDtype), k -> {
            try {
                ModelSource.Layer l = ModelSource.load(k.source, k.layer, k.seed, k.overrides);
                return new TransformerLayer(l.config(), l.weights().roundedTo(k.weightsDtype));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static LayerStack stack(BenchCase c) {
        return stack(c, null);
    }

    /** Layers built from shipped weights (a Spark broadcast), in this JVM. A diagnostic for tests. */
    public static final java.util.concurrent.atomic.LongAdder BUILT_FROM_SHIPPED = new java.util.concurrent.atomic.LongAdder();

    /**
     * A case's layers. With {@code shipped} (layer index → tensors with the matrices {@code [out × in]},
     * e.g. the value of a Spark broadcast of a checkpoint the driver read) the layers are built from
     * those tensors, without copying them, and the case's resolved config, so executors never read the
     * checkpoint themselves; else from the case's source.
     */
    public static LayerStack stack(BenchCase c, java.util.function.Supplier<Map<Integer, Map<String, float[]>>> shipped) {
        List<Integer> idx = c.layers();
        TransformerLayer[] out = new TransformerLayer[idx.size()];
        BenchCase.Weights w = c.weights();
        for (int i = 0; i < out.length; i++) {
            int layer = idx.get(i);
            if (shipped == null) {
                out[i] = get(w.source(), w.seed(), w.overrides(), layer, w.dtype());
                continue;
            }
            out[i] = LAYERS.computeIfAbsent(new Key(w.source(), w.seed(), w.overrides(), layer, w.dtype()), k -> {
                BUILT_FROM_SHIPPED.increment();
                return TransformerLayer.ofOutIn(c.config(), new ffnbench.model.LayerWeights(shipped.get().get(k.layer)).roundedTo(k.weightsDtype));
            });
        }
        return new LayerStack(idx, out);
    }

    /** The layers {@code ids} of a model (as {@link #get}), in order. */
    public static LayerStack stack(String source, long seed, Map<String, String> overrides, List<Integer> ids) {
        TransformerLayer[] out = new TransformerLayer[ids.size()];
        for (int i = 0; i < out.length; i++) out[i] = get(source, seed, overrides, ids.get(i));
        return new LayerStack(List.copyOf(ids), out);
    }
}
