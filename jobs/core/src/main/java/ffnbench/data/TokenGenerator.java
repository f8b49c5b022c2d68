package ffnbench.data;

import ffnbench.math.Gaussian;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Reproducible synthetic hidden states, one sequence at a time. Each sequence's values depend only
 * on (seed, seq_id), so the same seed gives the same data whatever the partitioning.
 *
 * <ul>
 *   <li>{@code gaussian}: every value ~ N(0, 1).</li>
 *   <li>{@code llm}: shaped like real residual-stream hidden states: a few fixed outlier channels
 *       (⌈d/128⌉ of them, chosen by the seed, each with a constant offset of ±20..60), a heavy-tailed
 *       per-token scale (log-normal, σ = 0.5), and a massive first token (the BOS / attention-sink
 *       token: its outlier channels ×10), on top of N(0, 1) noise.</li>
 * </ul>
 */
public final class TokenGenerator {

    /** The distributions the generator knows. */
    public enum Distribution {
        GAUSSIAN, LLM;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Distribution parse(String s) {
            for (Distribution d : values()) if (d.id().equals(s.trim().toLowerCase(Locale.ROOT))) return d;
            throw new IllegalArgumentException("unknown distribution '" + s + "': use gaussian or llm");
        }
    }

    private final long seed;
    private final int dModel;
    private final Distribution distribution;
    private final int[] outlierChannels;
    private final float[] outlierOffsets;

    public TokenGenerator(long seed, int dModel, Distribution distribution) {
        if (dModel <= 0) throw new IllegalArgumentException("d_model must be positive, got " + dModel);
        this.seed = seed;
        this.dModel = dModel;
        this.distribution = distribution;
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int k = (dModel + 127) / 128;
        outlierChannels = r.ints(0, dModel).distinct().limit(Math.min(k, dModel)).sorted().toArray();
        outlierOffsets = new float[outlierChannels.length];
        for (int i = 0; i < outlierOffsets.length; i++) {
            outlierOffsets[i] = (float) ((r.nextBoolean() ? 1 : -1) * (20 + 40 * r.nextDouble()));
        }
    }

    public int[] outlierChannels() {
        return outlierChannels.clone();
    }

    /** The {@code [seqLen × d]} hidden states of sequence {@code seqId}, row-major. */
    public float[] sequence(long seqId, int seqLen) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + seqId);
        float[] x = new float[seqLen * dModel];
        Gaussian.fill(x, 1.0, r);
        if (distribution == Distribution.LLM) {
            for (int t = 0; t < seqLen; t++) {
                float scale = (float) StrictMath.exp(0.5 * Gaussian.next(r));
                float sink = t == 0 ? 10f : 1f;
                int row = t * dModel;
                for (int i = 0; i < outlierChannels.length; i++) x[row + outlierChannels[i]] += sink * outlierOffsets[i];
                for (int c = 0; c < dModel; c++) x[row + c] *= scale;
            }
        }
        return x;
    }
}
