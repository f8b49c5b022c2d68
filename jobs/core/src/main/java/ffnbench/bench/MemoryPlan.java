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
 * {@code [W_qkv | W_in]} copy the parallel formulation multiplies by. Building a layer from a
 * checkpoint holds its canonical copy too while it is transposed, and rounding to bf16/f16 one more
 * copy; seeded presets are drawn in place ({@link #buildBytes}). Layers are built one at a time, and
 * {@link ffnbench.runtime.LayerCache} drops earlier cases' layers to make room, so an executor holds
 * one case's layers plus one build. Those arrays are long-lived: they must fit where the collector
 * keeps such arrays ({@link Budget#largeArrayBytes}: with the parallel collector the old generation,
 * about 2/3 of the heap). A task holds the row as Spark's
 * array and as {@code float[]}, the normalised input, the fused or separate input projections, the
 * FFN hidden and activated matrices, one head's scores ({@code seq_len²}), the attention output
 * and residuals, and per-channel statistics accumulators for every recorded site.
 */
public final class MemoryPlan {
    /** Spark's reserved system memory (spark.memory: RESERVED_SYSTEM_MEMORY_BYTES). */
    public static final long SPARK_RESERVED = 300L << 20;
    /**
     * What Spark's own objects take of an executor heap, kept free of ffnbench's arrays when the
     * planner refuses a case (in local mode a 1 GiB heap ran 686 MiB of weights and two tasks' 66 MiB
     * each: Spark took less than 100 MiB there).
     */
    public static final long SPARK_OWN = 160L << 20;
    /** Share of the heap Spark leaves to user data structures (1 − spark.memory.fraction). */
    public static final double USER_FRACTION = 0.4;

    private MemoryPlan() {}

    /**
     * What one case needs: its layers' weights per executor, the transient copy while one layer is
     * built, and per concurrent task.
     */
    public record Estimate(long weightBytes, long buildBytes, long perTaskBytes) {
        public long longLived() {
            return weightBytes + buildBytes;
        }

        public long perExecutor(int tasks) {
            return longLived() + tasks * perTaskBytes;
        }
    }

    /**
     * An executor's heap, the part of it that can hold long-lived large arrays, and how many tasks
     * share it, with where those numbers came from.
     */
    public record Budget(long heapBytes, long largeArrayBytes, int tasksPerExecutor, String heapSource, String fix) {
        /** A heap whose collector can put large arrays anywhere in it (G1, as in tests). */
        public Budget(long heapBytes, int tasksPerExecutor, String heapSource, String fix) {
            this(heapBytes, heapBytes, tasksPerExecutor, heapSource, fix);
        }

        /** The heap less Spark's own objects. */
        long usable() {
            return Math.max(0, heapBytes - SPARK_OWN);
        }

        /** Where long-lived large arrays go, less Spark's own objects (which are long-lived too). */
        long usableForLargeArrays() {
            return Math.max(0, Math.min(largeArrayBytes, heapBytes) - SPARK_OWN);
        }

        /** Spark's user-memory share (what its unified memory manager leaves to user data structures). */
        long userShare() {
            return (long) (USER_FRACTION * Math.max(0, heapBytes - SPARK_RESERVED));
        }
    }

    /**
     * G1 puts an array of more than half a region in whole regions of its own, so such arrays fill
     * about this share of its heap (measured: 800 MiB of 200 MiB arrays in a 1 GiB heap).
     */
    static final double G1_LARGE_ARRAY_SHARE = 0.8;

    /**
     * Where this JVM's collector keeps long-lived large arrays: the old generation's maximum size
     * (with the parallel or serial collector about 2/3 of -Xmx; with G1 most of the heap).
     */
    public static long largeArrayCapacity() {
        long heap = Runtime.getRuntime().maxMemory();
        for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            String name = pool.getName();
            long max = pool.getUsage().getMax();
            if (pool.getType() != java.lang.management.MemoryType.HEAP || max <= 0) continue;
            if (name.startsWith("G1")) return (long) (G1_LARGE_ARRAY_SHARE * heap);
            if (name.contains("Old Gen") || name.contains("Tenured")) return Math.min(max, heap);
        }
        return heap;
    }

    /**
     * The same for an executor started with {@code javaOptions} and a heap of {@code heapBytes}:
     * the parallel and serial collectors' old generation is {@code NewRatio/(NewRatio+1)} of the
     * heap (NewRatio 2 unless set); G1, Java's default, {@link #G1_LARGE_ARRAY_SHARE} of it.
     */
    public static long largeArrayCapacity(long heapBytes, String javaOptions) {
        String opts = javaOptions == null ? "" : javaOptions;
        if (!opts.contains("-XX:+UseParallelGC") && !opts.contains("-XX:+UseSerialGC")) return (long) (G1_LARGE_ARRAY_SHARE * heapBytes);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-XX:NewRatio=(\\d+)").matcher(opts);
        int newRatio = m.find() ? Integer.parseInt(m.group(1)) : 2;
        return heapBytes / (newRatio + 1) * newRatio;
    }

    /** fp32 weights of one layer as {@link ffnbench.model.TransformerLayer} holds them (incl. the fused copy). */
    public static long layerWeightBytes(ModelConfig c) {
        return matrixBytes(c) + 4 * (qkvFloats(c) + (c.isMoe() ? 0 : ffnInFloats(c)));   // + the fused [W_qkv | W_in] copy
    }

    /** fp32 bytes of a layer's four matrices in one layout (what a transposed or rounded copy costs). */
    static long matrixBytes(ModelConfig c) {
        long d = c.dModel();
        return 4 * (qkvFloats(c) + d * d + mlpFloats(c));
    }

    /** The MLP's weights: a dense FFN's two matrices, or an MoE's router, experts and shared expert. */
    private static long mlpFloats(ModelConfig c) {
        long d = c.dModel();
        if (!c.isMoe()) return ffnInFloats(c) + (long) c.dFf() * d;
        return d * c.moe().experts() + 3L * d * c.dFf() * c.moe().experts() + 3L * d * c.moe().dFfShared() + d;
    }

    private static long qkvFloats(ModelConfig c) {
        long d = c.dModel();
        return d * (d + 2L * c.kvHeads() * c.headDim());
    }

    private static long ffnInFloats(ModelConfig c) {
        return (long) c.dModel() * c.dFf() * (c.ffn().gated() ? 2 : 1);
    }

    /**
     * The transient copies while one layer is built ({@link ffnbench.weights.ModelSource#build}): a
     * checkpoint's canonical matrices while they are transposed, and the unrounded ones while they are
     * rounded to bf16/f16; seeded presets are drawn in the layer's own layout.
     */
    public static long buildBytes(ModelConfig c, String source, String weightsDtype) {
        int copies = (ffnbench.weights.ModelSource.isPreset(source) ? 0 : 1) + (weightsDtype.equals("f32") ? 0 : 1);
        return copies * matrixBytes(c);
    }

    /** What building one more layer needs at its peak: what it holds, and its build's transient copies. */
    public static long layerPeakBytes(ModelConfig c, String source, String weightsDtype) {
        return layerWeightBytes(c) + buildBytes(c, source, weightsDtype);
    }

    /** fp32 bytes of the FFN matrices alone (what "an FFN layer's weights" usually means). */
    public static long ffnWeightBytes(ModelConfig c) {
        return c.isMoe() ? 4 * mlpFloats(c) : 4L * c.dModel() * c.dFf() * (c.ffn().gated() ? 3 : 2);
    }

    /** Activations and workspace of one task running one row of {@code seqLen} tokens. */
    public static long taskBytes(ModelConfig c, int seqLen, int sites) {
        long t = seqLen;
        long d = c.dModel();
        long f = c.isMoe() ? (long) c.moe().topK() * c.dFf() + c.moe().dFfShared() : c.dFf();   // hidden floats per token
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
        return new Estimate(c.layers().size() * layerWeightBytes(c.config()), buildBytes(c.config(), c.weights().source(),
                c.weights().dtype()), taskBytes(c.config(), seqLen, sites));
    }

    /** Refuses the first case that cannot fit; returns warnings for cases that fit only tightly. */
    public static List<String> check(List<BenchCase> cases, java.util.function.ToIntFunction<BenchCase> seqLen, Budget b) {
        return check(cases, seqLen, b, true);
    }

    /**
     * As {@link #check(List, java.util.function.ToIntFunction, Budget)}; with {@code refuse} false
     * (config {@code memory_check: warn}) a case that cannot fit is a warning too.
     */
    public static List<String> check(List<BenchCase> cases, java.util.function.ToIntFunction<BenchCase> seqLen, Budget b,
                                     boolean refuse) {
        List<String> warnings = new ArrayList<>();
        for (BenchCase c : cases) {
            try {
                warnings.addAll(check(c, seqLen.applyAsInt(c), b));
            } catch (IllegalArgumentException e) {
                if (refuse) throw e;
                warnings.add(e.getMessage() + " (memory_check: warn, so it runs anyway)");
            }
        }
        return warnings;
    }

    /**
     * Expert parallelism's layout and traffic for {@code tokens} tokens: how many experts each
     * dispatch partition runs, and the bytes both shuffles of every layer carry (before compression).
     * Each kept assignment travels out with its MLP input row and back with its output (d floats and
     * {@link #RECORD_BYTES} of fields each way); each sequence's pending record (the residual, plus the
     * parallel block's attention and the shared expert's output: d floats per token each) travels
     * through both shuffles. Dropless: with a capacity factor fewer assignments travel. Every
     * executor still holds every expert's weights: the dispatch and combine steps of any sequence
     * can run on it.
     */
    public record ExpertPlan(int partitions, int expertsPerPartition, long shuffleBytes) { }

    /** An expert-parallel shuffle record's fields other than its float vector, as Spark's rows store them. */
    static final long RECORD_BYTES = 160;

    public static ExpertPlan expertPlan(BenchCase c, long tokens) {
        ModelConfig m = c.config();
        int d = m.dModel(), experts = m.moe().experts(), parts = c.expertPartitions();
        long pendingFloatsPerToken = d * (1L + (c.formulation() == ffnbench.model.Formulation.SERIAL ? 0 : 1)
                + (m.moe().dFfShared() > 0 ? 1 : 0));
        long assignment = 4L * d + RECORD_BYTES;
        long perLayer = 2 * (tokens * m.moe().topK() * assignment + tokens * 4 * pendingFloatsPerToken);
        return new ExpertPlan(parts, (experts + parts - 1) / parts, perLayer * c.layers().size());
    }

    /** The estimate of one case against a budget, in words (for a case that ran out of memory anyway). */
    public static String describe(BenchCase c, int seqLen, Budget b) {
        Estimate e = estimate(c, seqLen);
        return String.format(Locale.ROOT, "the memory planner estimated ~%s per executor (%s of long-lived arrays, %d task(s) × %s) "
                        + "for a %s heap (%s) with %s for long-lived arrays", bytes(e.perExecutor(b.tasksPerExecutor())),
                bytes(e.longLived()), b.tasksPerExecutor(), bytes(e.perTaskBytes()), bytes(b.heapBytes()), b.heapSource(),
                bytes(b.largeArrayBytes()));
    }

    /** Refuses a case that cannot fit (an IllegalArgumentException with the numbers and the fix); warns of a tight one. */
    private static List<String> check(BenchCase c, int len, Budget b) {
        Estimate e = estimate(c, len);
        long need = e.perExecutor(b.tasksPerExecutor());
        String weights = String.format(Locale.ROOT, "weights %s fp32 for %d layer(s) (held once per executor; the FFN "
                        + "matrices alone are %s per layer)%s", bytes(e.weightBytes()), c.layers().size(),
                bytes(ffnWeightBytes(c.config())), e.buildBytes() > 0 ? " + " + bytes(e.buildBytes()) + " while a layer is built" : "");
        String breakdown = String.format(Locale.ROOT, "%s + %d concurrent task(s) × %s of activations and workspace for seq_len %d",
                weights, b.tasksPerExecutor(), bytes(e.perTaskBytes()), len);
        if (e.longLived() > b.usableForLargeArrays()) {
            double heapPerLargeArrayByte = b.heapBytes() / (double) Math.min(b.largeArrayBytes(), b.heapBytes());
            long suggest = (long) Math.ceil((e.longLived() + SPARK_OWN) * heapPerLargeArrayByte * 1.25 / (1L << 30));
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "case %s cannot run: it needs ~%s of long-lived arrays per executor (%s), but the collector keeps "
                            + "those in %s of the %s heap (%s), of which %s is left after Spark's own. Fix: %s to at least %dg, "
                            + "or shrink the case (fewer layers, smaller d_model/d_ff).",
                    c.id(), bytes(e.longLived()), weights, bytes(b.largeArrayBytes()), bytes(b.heapBytes()), b.heapSource(),
                    bytes(b.usableForLargeArrays()), b.fix(), suggest));
        }
        if (need > b.usable()) {
            long suggest = (long) Math.ceil((need + SPARK_OWN) * 1.25 / (1L << 30));
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "case %s cannot run: it needs ~%s per executor (%s), but an executor heap is %s (%s), of which %s "
                            + "is left after Spark's own. Fix: %s to at least %dg, or shrink the case (fewer layers, "
                            + "smaller d_model/d_ff, shorter seq_len, fewer tasks per executor).",
                    c.id(), bytes(need), breakdown, bytes(b.heapBytes()), b.heapSource(), bytes(b.usable()), b.fix(), suggest));
        }
        if (need > b.userShare()) {
            return List.of(String.format(Locale.ROOT, "case %s needs ~%s per executor (%s): more than Spark's user-memory "
                    + "share (%s of a %s heap); it may run, but garbage collection will be heavy. Consider %s.",
                    c.id(), bytes(need), breakdown, bytes(b.userShare()), bytes(b.heapBytes()), b.fix()));
        }
        return List.of();
    }

    public static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    }
}
