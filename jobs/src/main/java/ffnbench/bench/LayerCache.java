package ffnbench.bench;

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

    public static TransformerLayer[] layers(BenchCase c) {
        List<Integer> idx = c.layers();
        TransformerLayer[] out = new TransformerLayer[idx.size()];
        for (int i = 0; i < out.length; i++) out[i] = get(c.source(), c.seed(), c.overrides(), idx.get(i), c.weightsDtype());
        return out;
    }
}
