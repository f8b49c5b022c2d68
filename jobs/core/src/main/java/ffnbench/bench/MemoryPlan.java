package ffnbench.bench;

import ffnbench.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Memory planning before anything runs: from a case's shapes, what one executor needs (its layers'
 * weights, held once per executor JVM by {@link ffnbench.runtime.LayerCache}, plus each concurrent task's
 * activations and workspace for one row), compared with the executor heap. An impossible case is
 * refused with the numbers and the fix; a tight one is reported as a warning.
 *
 * <p>The estimate follows the code: a layer holds its attention and FFN matrices (once, transposed
 * {@code [out × in]}; a checkpoint's broadcast is that same copy) plus the fused
 * {@code [W_qkv | W_in]} copy the parallel formulation multiplies by; a task holds the row as Spark's
 * array and as {@code float[]}, the normalised input, the fused or separate input projections, the
 * FFN hidden and activated matrices, one head's scores ({@code seq_len²}), the attention output
 * and residuals, and per-channel statistics accumulators for every recorded site.
 */
public final class MemoryPlan {
    /** Spark's reserved system memory (spark.memory: RESERVED_SYSTEM_MEMORY_BYTES). */
    public static final long SPARK_RESERVED = 300L << 20;
    /** Share of the heap Spark leaves to user data structures (1 − spark.memory.fraction). */
    public static final double USER_FRACTION = 0.4;

    private MemoryPlan() {}

    /** What one case needs: weights per executor, and per concurrent task. */
    public record Estimate(long weightBytes, long perTaskBytes) {
        public long perExecutor(int tasks) {
            return weightBytes + tasks * perTaskBytes;
        }
    }

    /** An executor's heap and how many tasks share it, with where those numbers came from. */
    public record Budget(long heapBytes, int tasksPerExecutor, String heapSource, String fix) {
        long usable() {
            return Math.max(0, heapBytes - SPARK_RESERVED);
        }
    }

    /** fp32 weights of one layer as {@link ffnbench.model.TransformerLayer} holds them (incl. the fused copy). */
    public static long layerWeightBytes(ModelConfig c) {
        long d = c.dModel();
        long kvWidth = (long) c.kvHeads() * c.headDim();
        long qkv = d * (d + 2 * kvWidth);
        long ffnIn = d * (long) c.dFf() * (c.ffn().gated() ? 2 : 1);
        long ffnOut = (long) c.dFf() * d;
        long attnOut = d * d;
        long fused = qkv + ffnIn;
        return 4 * (qkv + attnOut + ffnIn + ffnOut + fused);
    }

    /** fp32 bytes of the FFN matrices alone (what "an FFN layer's weights" usually means). */
    public static long ffnWeightBytes(ModelConfig c) {
        return 4L * c.dModel() * c.dFf() * (c.ffn().gated() ? 3 : 2);
    }

    /** Activations and workspace of one task running one row of {@code seqLen} tokens. */
    public static long taskBytes(ModelConfig c, int seqLen, int sites) {
        long t = seqLen;
        long d = c.dModel();
        long f = c.dFf();
        long g = c.ffn().gated() ? 2 : 1;
        long qkvWidth = d + 2L * c.kvHeads() * c.headDim();
        long floats = t * (9 * d + qkvWidth + 2 * g * f + f) + t * t + 4 * t * c.headDim();
        long statistics = (long) sites * Math.max(d, f) * 64;   // per-channel moments, counts and extremes
        // the Parquet reader: a batch (BenchJob caps it at ~8 MiB, growing by doubling) and a row group
        // of the input column (32 MiB for data ffnbench writes; others' files may hold more)
        long reader = 3 * Math.max(4 * t * d, 8L << 20) + (32L << 20);
        return 4 * floats + statistics + reader;
    }

    public static Estimate estimate(BenchCase c, int seqLen) {
        int sites = c.statistics().enabled() ? c.statistics().sites().size() : 0;
        return new Estimate(c.layers().size() * layerWeightBytes(c.config()), taskBytes(c.config(), seqLen, sites));
    }

    /** Refuses the first case that cannot fit; returns warnings for cases that fit only tightly. */
    public static List<String> check(List<BenchCase> cases, java.util.function.ToIntFunction<BenchCase> seqLen, Budget b) {
        List<String> warnings = new ArrayList<>();
        for (BenchCase c : cases) {
            int len = seqLen.applyAsInt(c);
            Estimate e = estimate(c, len);
            long need = e.perExecutor(b.tasksPerExecutor());
            String breakdown = String.format(Locale.ROOT, "weights %s fp32 for %d layer(s) (held once per executor; the FFN "
                            + "matrices alone are %s per layer) + %d concurrent task(s) × %s of activations and workspace for "
                            + "seq_len %d", bytes(e.weightBytes()), c.layers().size(), bytes(ffnWeightBytes(c.config())),
                    b.tasksPerExecutor(), bytes(e.perTaskBytes()), len);
            if (need > b.usable()) {
                long suggest = (long) Math.ceil((need + SPARK_RESERVED) * 1.25 / (1L << 30));
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "case %s cannot run: it needs ~%s per executor (%s), but an executor heap is %s (%s), of which %s "
                                + "is usable after Spark's reserve. Fix: %s to at least %dg, or shrink the case (fewer layers, "
                                + "smaller d_model/d_ff, shorter seq_len, fewer tasks per executor).",
                        c.id(), bytes(need), breakdown, bytes(b.heapBytes()), b.heapSource(), bytes(b.usable()), b.fix(), suggest));
            }
            if (need > USER_FRACTION * b.usable()) {
                warnings.add(String.format(Locale.ROOT, "case %s needs ~%s per executor (%s): more than Spark's user-memory "
                        + "share (%s of a %s heap); it may run, but garbage collection will be heavy. Consider %s.",
                        c.id(), bytes(need), breakdown, bytes((long) (USER_FRACTION * b.usable())), bytes(b.heapBytes()), b.fix()));
            }
        }
        return warnings;
    }

    static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    }
}
