package ffnbench.runtime;

import ffnbench.bench.BenchCase;
import ffnbench.model.TransformerLayer;
import ffnbench.weights.ModelSource;
import ffnbench.bench.MemoryPlan;
import ffnbench.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Layers built once per JVM (driver or executor) and shared by its tasks: weights are re-created
 * from the seed (presets) or read from the model (minilm, checkpoints) on first use, never per row.
 */
public final class LayerCache {
    private record Key(String source, long seed, Map<String, String> overrides, int layer, String weightsDtype) { }

    /** A cached layer and when it was last asked for (the order in which layers are dropped). */
    private static final class Cached {
        final TransformerLayer layer;
        volatile long lastUsedNs;

        Cached(TransformerLayer layer) {
            this.layer = layer;
        }

        TransformerLayer use() {
            lastUsedNs = System.nanoTime();
            return layer;
        }
    }

    private static final Map<Key, Cached> LAYERS = new ConcurrentHashMap<>();

    private LayerCache() {}

    public static TransformerLayer get(String source, long seed, Map<String, String> overrides, int layer) {
        return get(source, seed, overrides, layer, "f32");
    }

    /**
     * A layer whose weights are rounded to {@code weightsDtype} (f32, bf16 or f16) once, when built;
     * the arithmetic stays fp32, so a dtype sweep measures the precision's effect on activations.
     */
    public static TransformerLayer get(String source, long seed, Map<String, String> overrides, int layer, String weightsDtype) {
        Key key = new Key(source, seed, overrides, layer, weightsDtype);
        return built(key, Set.of(key));
    }

    /** The layer of {@code key} built from its source; {@code keep}: the layers the caller needs with it. */
    private static TransformerLayer built(Key key, Set<Key> keep) {
        return cached(key, keep, () -> {
            try {
                return ModelSource.config(key.source(), key.overrides());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, () -> {
            try {
                return ModelSource.build(key.source(), key.layer(), key.seed(), key.overrides(), key.weightsDtype());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * The cached layer, or one built now. Layers are built one at a time per JVM (tasks that need the
     * same layer wait for it rather than build it twice), and before a build, layers not in
     * {@code keep} are dropped, least recently used first, until those held and the new one
     * ({@link MemoryPlan#layerPeakBytes}) fit in the heap's space for long-lived arrays
     * ({@link MemoryPlan#largeArrayCapacity}). A sweep then holds the layers of the case it runs,
     * which is what the memory planner counts, not those of every earlier case.
     */
    private static TransformerLayer cached(Key key, Set<Key> keep, Supplier<ModelConfig> config, Supplier<TransformerLayer> build) {
        Cached hit = LAYERS.get(key);
        if (hit != null) return hit.use();
        synchronized (LayerCache.class) {
            hit = LAYERS.get(key);
            if (hit == null) {
                dropLeastRecentlyUsed(keep, MemoryPlan.layerPeakBytes(config.get(), key.source(), key.weightsDtype()));
                hit = new Cached(build.get());
                LAYERS.put(key, hit);
            }
            return hit.use();
        }
    }

    private static void dropLeastRecentlyUsed(Set<Key> keep, long newLayerBytes) {
        long room = MemoryPlan.largeArrayCapacity() - newLayerBytes;
        long held = 0;
        for (Cached c : LAYERS.values()) held += MemoryPlan.layerWeightBytes(c.layer.config());
        List<Key> oldestFirst = new ArrayList<>(LAYERS.keySet());
        oldestFirst.sort(Comparator.comparingLong(k -> LAYERS.get(k).lastUsedNs));
        for (Key k : oldestFirst) {
            if (held <= room) return;
            if (keep.contains(k)) continue;
            held -= MemoryPlan.layerWeightBytes(LAYERS.remove(k).layer.config());
        }
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
    public static LayerStack stack(BenchCase c, Supplier<Map<Integer, Map<String, float[]>>> shipped) {
        List<Integer> idx = c.layers();
        TransformerLayer[] out = new TransformerLayer[idx.size()];
        BenchCase.Weights w = c.weights();
        Set<Key> keep = new HashSet<>();
        for (int layer : idx) keep.add(new Key(w.source(), w.seed(), w.overrides(), layer, w.dtype()));
        for (int i = 0; i < out.length; i++) {
            int layer = idx.get(i);
            Key key = new Key(w.source(), w.seed(), w.overrides(), layer, w.dtype());
            if (shipped == null) {
                out[i] = built(key, keep);   // never drops another layer of this case
                continue;
            }
            out[i] = cached(key, keep, c::config, () -> {
                BUILT_FROM_SHIPPED.increment();
                return TransformerLayer.ofOutIn(c.config(), new ffnbench.model.LayerWeights(shipped.get().get(layer)).roundedTo(w.dtype()));
            });
        }
        return new LayerStack(idx, out);
    }

    /** The layers {@code ids} of a model (as {@link #get}), in order. */
    public static LayerStack stack(String source, long seed, Map<String, String> overrides, List<Integer> ids) {
        TransformerLayer[] out = new TransformerLayer[ids.size()];
        Set<Key> keep = new HashSet<>();
        for (int id : ids) keep.add(new Key(source, seed, overrides, id, "f32"));
        for (int i = 0; i < out.length; i++) out[i] = built(new Key(source, seed, overrides, ids.get(i), "f32"), keep);
        return new LayerStack(List.copyOf(ids), out);
    }
}
