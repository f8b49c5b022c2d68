package ffnbench.weights;

import ffnbench.math.Gaussian;
import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Reproducible random weights (GPT-2 scheme): matrices ~ N(0, 0.02²), the output projections
 * ({@code attn.out.weight}, {@code mlp.out.weight}, and each expert's {@code out.weight}) ~
 * N(0, (0.02/√(2·layers))²), norm weights 1, biases 0 (also the router's selection bias).
 *
 * <p>Each tensor has its own random stream, seeded from (seed, layer, tensor name), and normals come
 * from {@link Gaussian} (Box–Muller with StrictMath), so a tensor's values depend only on those three
 * and are the same bit for bit on every JVM, interpreted or compiled, whatever else is initialised.
 */
public final class SeededInit {
    public static final double STD = 0.02;

    private SeededInit() {}

    /** A layer's weights in the canonical layout ({@link LayerWeights}: matrices {@code [in × out]}). */
    public static LayerWeights layer(ModelConfig config, long seed, int layer) {
        return layer(config, seed, layer, false);
    }

    /**
     * The same values with the four matrices already {@code [out × in]}, the layout a
     * {@link ffnbench.model.TransformerLayer#ofOutIn layer} computes with: each matrix is drawn a few
     * rows at a time and written transposed, so building a layer never holds a second copy of it.
     */
    public static LayerWeights layerOutIn(ModelConfig config, long seed, int layer) {
        return layer(config, seed, layer, true);
    }

    private static LayerWeights layer(ModelConfig config, long seed, int layer, boolean outIn) {
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
                double std = name.endsWith("out.weight") ? outputStd : STD;   // the residual branches' output projections
                if (outIn && e.getValue().length == 2) {
                    fillNormalTransposed(t, e.getValue()[0], e.getValue()[1], std, streamSeed(seed, layer, name));
                } else {
                    fillNormal(t, std, streamSeed(seed, layer, name));
                }
            }
            tensors.put(name, t);
        }
        return new LayerWeights(tensors);
    }

    /**
     * Fills {@code t[cols × rows]} with the transpose of what {@link #fillNormal} puts in a
     * {@code [rows × cols]} matrix: the stream is drawn in chunks of an even number of rows, so the
     * Box–Muller pairs fall exactly as in one fill of the whole matrix.
     */
    static void fillNormalTransposed(float[] t, int rows, int cols, double std, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int chunkRows = 64;
        float[] chunk = new float[chunkRows * cols];
        for (int r0 = 0; r0 < rows; r0 += chunkRows) {
            int n = Math.min(chunkRows, rows - r0);
            float[] part = n == chunkRows ? chunk : new float[n * cols];
            Gaussian.fill(part, std, random);
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < cols; c++) t[c * rows + r0 + r] = part[r * cols + c];
            }
        }
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
