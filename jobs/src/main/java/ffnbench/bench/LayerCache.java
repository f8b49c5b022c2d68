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
    private record Key(String source, long seed, Map<String, String> overrides, int layer) { }

    private static final Map<Key, TransformerLayer> LAYERS = new ConcurrentHashMap<>();

    private LayerCache() {}

    public static TransformerLayer get(String source, long seed, Map<String, String> overrides, int layer) {
        return LAYERS.computeIfAbsent(new Key(source, seed, overrides, layer), k -> {
            try {
                ModelSource.Layer l = ModelSource.load(k.source, k.layer, k.seed, k.overrides);
                return new TransformerLayer(l.config(), l.weights());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static TransformerLayer[] layers(BenchCase c) {
        List<Integer> idx = c.layers();
        TransformerLayer[] out = new TransformerLayer[idx.size()];
        for (int i = 0; i < out.length; i++) out[i] = get(c.source(), c.seed(), c.overrides(), idx.get(i));
        return out;
    }
}
