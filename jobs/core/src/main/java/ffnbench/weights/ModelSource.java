package ffnbench.weights;

import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import ffnbench.model.TransformerLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where a layer's weights come from, as written on command lines and in configs:
 * <ul>
 *   <li>{@code minilm}: the built-in real all-MiniLM-L6-v2 weights;</li>
 *   <li>{@code preset:<bert|gpt2|llama|neox|minilm|mixtral|qwen2_moe|deepseek_v3>}: seeded random weights of a preset shape
 *       (fields overridable, e.g. d_model=1024);</li>
 *   <li>a directory: a Hugging Face checkpoint ({@code config.json} + {@code *.safetensors}).</li>
 * </ul>
 */
public final class ModelSource {

    /** A loaded layer: its config and weights. */
    public record Layer(String model, int index, ModelConfig config, LayerWeights weights) { }

    private ModelSource() {}

    /** A model named in one string, as SQL functions and ML params take it. */
    public record Spec(String source, long seed, Map<String, String> overrides) implements java.io.Serializable { }

    /**
     * Parses {@code minilm}, a directory, or {@code preset:<name>?field=value&...} where {@code seed}
     * sets the weight seed (default 1) and the other fields override the preset
     * (e.g. {@code preset:llama?d_model=512&heads=8&d_ff=1408&seed=3}).
     */
    public static Spec parseSpec(String spec) {
        String s = spec.trim();
        int q = s.indexOf('?');
        if (q < 0) return new Spec(s, 1, Map.of());
        Map<String, String> overrides = new java.util.LinkedHashMap<>();
        long seed = 1;
        for (String kv : s.substring(q + 1).split("&")) {
            if (kv.isBlank()) continue;
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("model spec '" + spec + "': '" + kv + "' is not field=value");
            String key = kv.substring(0, eq).trim(), value = kv.substring(eq + 1).trim();
            if (key.equals("seed")) {
                try {
                    seed = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("model spec '" + spec + "': seed '" + value + "' is not an integer");
                }
            } else {
                overrides.put(key, value);
            }
        }
        return new Spec(s.substring(0, q), seed, Map.copyOf(overrides));
    }

    /** The config alone (cheap for presets; loads the config file of a checkpoint). */
    public static ModelConfig config(String model, Map<String, String> overrides) throws IOException {
        String m = model.trim();
        if (isPreset(m)) return ModelConfig.preset(m.substring("preset:".length())).with(overrides);
        // Real weights fix the shape; only where the norms sit may change (a formulation study).
        Map<String, String> shapeOverrides = new java.util.LinkedHashMap<>(overrides);
        String placement = shapeOverrides.remove("placement");
        Map<String, String> placementOnly = placement == null ? Map.of() : Map.of("placement", placement);
        if (!shapeOverrides.isEmpty()) {
            throw new IllegalArgumentException("model " + m + " has fixed weights: its shape cannot be overridden (" + shapeOverrides.keySet()
                    + "); drop the overrides, or use preset:<name> for seeded weights of a changed shape");
        }
        if (m.equalsIgnoreCase(MiniLm.NAME)) return MiniLm.config().with(placementOnly);
        Path dir = checkpointDir(model);
        if (LayerCheckpoint.isCheckpoint(dir)) return LayerCheckpoint.config(dir).with(placementOnly);
        Path configFile = dir.resolve("config.json");
        return HfCheckpoint.mapConfig(configFile, ffnbench.data.JsonFile.read(configFile)).with(placementOnly);
    }

    /** A layer's config (as {@link #config}) and its weights: seeded, built in, or read from a checkpoint. */
    public static Layer load(String model, int layer, long seed, Map<String, String> overrides) throws IOException {
        ModelConfig c = config(model, overrides);
        String m = model.trim();
        c.requireLayer(layer);
        if (isPreset(m)) return new Layer(m, layer, c, SeededInit.layer(c, seed, layer));
        if (m.equalsIgnoreCase(MiniLm.NAME)) return new Layer(m, layer, c, MiniLm.layer(layer));
        Path dir = checkpointDir(model);
        if (LayerCheckpoint.isCheckpoint(dir)) return new Layer(m, layer, c, LayerCheckpoint.layer(dir, layer));
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            return new Layer(m, layer, c, ckpt.layer(layer));
        }
    }

    /**
     * A layer ready to run, its weights rounded to {@code weightsDtype} (f32, bf16 or f16). Seeded
     * presets are drawn straight into the layout the layer computes with; other sources are read in
     * the canonical layout and transposed once.
     */
    public static TransformerLayer build(String model, int layer, long seed, Map<String, String> overrides, String weightsDtype)
            throws IOException {
        if (isPreset(model.trim())) {
            ModelConfig c = config(model, overrides);
            c.requireLayer(layer);
            return TransformerLayer.ofOutIn(c, SeededInit.layerOutIn(c, seed, layer).roundedTo(weightsDtype));
        }
        Layer l = load(model, layer, seed, overrides);
        return new TransformerLayer(l.config(), l.weights().roundedTo(weightsDtype));
    }

    /** Whether the source is a seeded preset (its layers are built without a canonical copy). */
    public static boolean isPreset(String m) {
        return m.toLowerCase(Locale.ROOT).startsWith("preset:");
    }

    private static Path checkpointDir(String model) {
        Path dir = Path.of(model.trim());
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model '" + model + "' is neither minilm, preset:<" + ModelConfig.PRESETS
                    + "> nor a checkpoint directory (Hugging Face or ffnbench-layers)");
        }
        return dir;
    }
}
