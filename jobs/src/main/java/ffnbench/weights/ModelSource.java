package ffnbench.weights;

import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where a layer's weights come from, as written on command lines and in configs:
 * <ul>
 *   <li>{@code minilm}: the built-in real all-MiniLM-L6-v2 weights;</li>
 *   <li>{@code preset:<bert|gpt2|llama|neox|minilm>}: seeded random weights of a preset shape
 *       (fields overridable, e.g. d_model=1024);</li>
 *   <li>a directory: a Hugging Face checkpoint ({@code config.json} + {@code *.safetensors}).</li>
 * </ul>
 */
public final class ModelSource {

    /** A loaded layer: its config and weights. */
    public record Layer(String model, int index, ModelConfig config, LayerWeights weights) { }

    private ModelSource() {}

    /** The config alone (cheap for presets; loads the config file of a checkpoint). */
    public static ModelConfig config(String model, Map<String, String> overrides) throws IOException {
        String m = model.trim();
        Map<String, String> shapeOverrides = new java.util.LinkedHashMap<>(overrides);
        String placement = shapeOverrides.remove("placement");
        Map<String, String> placementOnly = placement == null ? Map.of() : Map.of("placement", placement);
        if (m.toLowerCase(Locale.ROOT).startsWith("preset:")) {
            return ModelConfig.preset(m.substring("preset:".length())).with(overrides);
        }
        if (!shapeOverrides.isEmpty()) {
            throw new IllegalArgumentException("model " + m + " has fixed weights: its shape cannot be overridden (" + shapeOverrides.keySet()
                    + "); use variants only with preset:<name> models");
        }
        if (m.equalsIgnoreCase(MiniLm.NAME)) return MiniLm.config().with(placementOnly);
        Path dir = Path.of(m);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model '" + model + "' is neither minilm, preset:<" + ModelConfig.PRESETS
                    + "> nor a checkpoint directory");
        }
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile());
        return HfCheckpoint.mapConfig(json).with(placementOnly);
    }

    public static Layer load(String model, int layer, long seed, Map<String, String> overrides) throws IOException {
        String m = model.trim();
        // Real weights fix the shape; only where the norms sit may change (a formulation study).
        Map<String, String> shapeOverrides = new java.util.LinkedHashMap<>(overrides);
        String placement = shapeOverrides.remove("placement");
        Map<String, String> placementOnly = placement == null ? Map.of() : Map.of("placement", placement);
        if (m.equalsIgnoreCase(MiniLm.NAME)) {
            if (!shapeOverrides.isEmpty()) {
                throw new IllegalArgumentException("the real minilm weights fix the model's shape; drop the overrides "
                        + shapeOverrides.keySet() + " or use preset:minilm for seeded weights of a changed shape");
            }
            return new Layer(m, layer, MiniLm.config().with(placementOnly), MiniLm.layer(layer));
        }
        if (m.toLowerCase(Locale.ROOT).startsWith("preset:")) {
            ModelConfig c = ModelConfig.preset(m.substring("preset:".length())).with(overrides);
            if (layer < 0 || layer >= c.layers()) {
                throw new IllegalArgumentException("layer " + layer + " does not exist: " + m + " has layers 0.." + (c.layers() - 1));
            }
            return new Layer(m, layer, c, SeededInit.layer(c, seed, layer));
        }
        Path dir = Path.of(m);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model '" + model + "' is neither minilm, preset:<" + ModelConfig.PRESETS
                    + "> nor a checkpoint directory");
        }
        if (!shapeOverrides.isEmpty()) {
            throw new IllegalArgumentException("a checkpoint fixes the model's shape; drop the overrides " + shapeOverrides.keySet());
        }
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            return new Layer(m, layer, ckpt.config().with(placementOnly), ckpt.layer(layer));
        }
    }
}
