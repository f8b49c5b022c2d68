package ffnbench.math;

/**
 * Rotary position embeddings in the Hugging Face "rotate-half" convention (LLaMA, GPT-NeoX):
 * within the first {@code rotaryDim} dimensions of a head, dimension {@code i} pairs with
 * {@code i + rotaryDim/2} and both rotate by {@code pos·θ^(−2i/rotaryDim)}. Dimensions beyond
 * {@code rotaryDim} (GPT-NeoX's partial rotary) pass through.
 */
public final class Rope {
    private final int rotaryDim;
    private final double[] inverseFrequency;

    public Rope(int rotaryDim, double theta) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be even and positive, got " + rotaryDim);
        }
        this.rotaryDim = rotaryDim;
        int half = rotaryDim / 2;
        inverseFrequency = new double[half];
        for (int i = 0; i < half; i++) {
            // HF computes inv_freq in float32: 1 / theta^(arange(0, dim, 2) / dim)
            inverseFrequency[i] = (float) (1.0 / Math.pow(theta, (2.0 * i) / rotaryDim));
        }
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    /**
     * Rotates, in place, each head of each token: {@code x} holds {@code tokens} rows of stride
     * {@code rowStride}; heads start at {@code colOffset + h·headDim} for {@code h < heads}; token
     * {@code t} has position {@code t}.
     */
    public void apply(float[] x, int tokens, int rowStride, int colOffset, int heads, int headDim) {
        int half = rotaryDim / 2;
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) (t * inverseFrequency[i]);
                // StrictMath: the same bits interpreted or JIT-compiled (Math.cos may differ by an ulp)
                float cos = (float) StrictMath.cos(angle);
                float sin = (float) StrictMath.sin(angle);
                for (int h = 0; h < heads; h++) {
                    int base = t * rowStride + colOffset + h * headDim;
                    float a = x[base + i];
                    float b = x[base + i + half];
                    x[base + i] = a * cos - b * sin;
                    x[base + i + half] = b * cos + a * sin;
                }
            }
        }
    }
}
