package ffnbench.weights;

import ffnbench.math.Gaussian;
import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Reproducible random weights (GPT-2 scheme): matrices ~ N(0, 0.02²), the two output projections
 * ({@code attn.out.weight}, {@code mlp.out.weight}) ~ N(0, (0.02/√(2·layers))²), norm weights 1,
 * biases 0.
 *
 * <p>Each tensor has its own random stream, seeded from (seed, layer, tensor name), and normals come
 * from {@link Gaussian} (Box–Muller with StrictMath), so a tensor's values depend only on those three
 * and are the same bit for bit on every JVM, interpreted or compiled, whatever else is initialised.
 */
public final class SeededInit {
    public static final double STD = 0.02;

    private SeededInit() {}

    public static LayerWeights layer(ModelConfig config, long seed, int layer) {
        Map<String, float[]> tensors = new LinkedHashMap<>();
        double outputStd = STD / Math.sqrt(2.0 * config.layers());
        for (Map.Entry<String, int[]> e : LayerWeights.expectedShapes(config).entrySet()) {
            String name = e.getKey();
            int n = 1;
            for (int dim : e.getValue()) n = Math.multiplyExact(n, dim);
            float[] t = new float[n];
            if (name.endsWith("norm.weight")) {
                java.util.Arrays.fill(t, 1f);
            } else if (name.endsWith(".weight")) {
                double std = name.equals("attn.out.weight") || name.equals("mlp.out.weight") ? outputStd : STD;
                fillNormal(t, std, streamSeed(seed, layer, name));
            }
            tensors.put(name, t);
        }
        return new LayerWeights(tensors);
    }

    static long streamSeed(long seed, int layer, String name) {
        long h = seed * 0x9E3779B97F4A7C15L + layer;
        for (int i = 0; i < name.length(); i++) h = h * 31 + name.charAt(i);
        return h;
    }

    /** Fills with N(0, std²) from the stream seeded by {@code seed} ({@link Gaussian}: bit-reproducible). */
    public static void fillNormal(float[] t, double std, long seed) {
        Gaussian.fill(t, std, new SplittableRandom(seed));
    }
}
