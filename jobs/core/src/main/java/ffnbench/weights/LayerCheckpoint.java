package ffnbench.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ffnbench's own checkpoint: layers in canonical names (see {@link LayerWeights}), one
 * {@code layer-N.safetensors} each, and {@code ffnbench-layers.json} with the {@link ModelConfig}.
 * What a saved Spark ML transformer keeps beside its params; readable by {@link ModelSource} like a
 * Hugging Face directory.
 */
public final class LayerCheckpoint {
    public static final String MANIFEST = "ffnbench-layers.json";
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LayerCheckpoint() {}

    public static boolean isCheckpoint(Path dir) {
        return Files.isRegularFile(dir.resolve(MANIFEST));
    }

    /** Writes the layers (float32) and the manifest. */
    public static void write(Path dir, ModelConfig config, Map<Integer, LayerWeights> layers) throws IOException {
        Files.createDirectories(dir);
        Map<String, int[]> shapes = LayerWeights.expectedShapes(config);
        for (Map.Entry<Integer, LayerWeights> e : layers.entrySet()) {
            Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, int[]> s : shapes.entrySet()) {
                long[] shape = java.util.Arrays.stream(s.getValue()).asLongStream().toArray();
                tensors.put(s.getKey(), new Safetensors.Tensor(shape, e.getValue().validate(config).get(s.getKey())));
            }
            Safetensors.write(dir.resolve("layer-" + e.getKey() + ".safetensors"), tensors, Safetensors.DType.F32);
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", "ffnbench-layers");
        manifest.put("version", FORMAT_VERSION);
        manifest.put("model_config", config.describe());
        manifest.put("layers", List.copyOf(layers.keySet()));
        JSON.writeValue(dir.resolve(MANIFEST).toFile(), manifest);
    }

    public static ModelConfig config(Path dir) throws IOException {
        JsonNode m = manifest(dir);
        Map<String, String> fields = new LinkedHashMap<>();
        m.path("model_config").fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().asText()));
        String arch = fields.remove("arch");
        if (arch == null) throw new IOException(dir.resolve(MANIFEST) + " has no model_config.arch");
        return ModelConfig.preset(arch).with(fields);
    }

    public static LayerWeights layer(Path dir, int layer) throws IOException {
        ModelConfig c = config(dir);
        Path file = dir.resolve("layer-" + layer + ".safetensors");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("checkpoint " + dir + " holds no layer " + layer + " (layers: "
                    + manifest(dir).path("layers") + ")");
        }
        Map<String, float[]> tensors = new LinkedHashMap<>();
        try (Safetensors st = Safetensors.open(file)) {
            for (String name : LayerWeights.expectedShapes(c).keySet()) tensors.put(name, st.read(name));
        }
        return new LayerWeights(tensors).validate(c);
    }

    private static JsonNode manifest(Path dir) throws IOException {
        JsonNode m = ffnbench.data.JsonFile.read(dir.resolve(MANIFEST));
        if (!"ffnbench-layers".equals(m.path("format").asText()) || m.path("version").asInt(-1) != FORMAT_VERSION) {
            throw new IOException(dir.resolve(MANIFEST) + " is not an ffnbench-layers checkpoint of version " + FORMAT_VERSION
                    + " (found format '" + m.path("format").asText() + "', version " + m.path("version") + ")");
        }
        return m;
    }
}
