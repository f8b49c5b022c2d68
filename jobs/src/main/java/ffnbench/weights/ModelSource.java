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

    public static Layer load(String model, int layer, long seed, Map<String, String> overrides) throws IOException {
        String m = model.trim();
        if (m.equalsIgnoreCase(MiniLm.NAME)) {
            if (!overrides.isEmpty()) {
                throw new IllegalArgumentException("the real minilm weights fix the model's shape; drop the overrides "
                        + overrides.keySet() + " or use preset:minilm for seeded weights of a changed shape");
            }
            return new Layer(m, layer, MiniLm.config(), MiniLm.layer(layer));
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
        if (!overrides.isEmpty()) {
            throw new IllegalArgumentException("a checkpoint fixes the model's shape; drop the overrides " + overrides.keySet());
        }
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            return new Layer(m, layer, ckpt.config(), ckpt.layer(layer));
        }
    }
}
