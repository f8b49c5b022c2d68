package ffnbench.spark;

import ffnbench.bench.BenchCase;
import ffnbench.runtime.LayerCache;
import ffnbench.runtime.LayerStack;
import ffnbench.runtime.SparsityErrorPass;
import ffnbench.runtime.StatsRecorder;
import ffnbench.model.StageTimes;
import ffnbench.model.Workspace;
import ffnbench.stats.CaseStats;
import ffnbench.stats.SiteStats;
import java.io.Serializable;
import java.util.Map;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import scala.runtime.AbstractFunction4;

/**
 * The Spark SQL function that does the heavy work: {@code block(seq_id, seq_len, d_model, hidden)}
 * runs a case's layers over one sequence (a {@code [seq_len × d]} matrix, as batched GEMMs) and
 * returns the per-row partial result ({@link BlockResult}): token count, nanoseconds per stage and the
 * serialised partial statistics, which a Spark aggregation merges. The CPU bench path calls
 * {@link #applyInto} instead, adding every row of a task to one set of statistics.
 *
 * <p>It is a Scala function with a typed input encoder (see {@code SparkFunctions}), so {@code hidden}
 * arrives as a primitive {@code float[]} copied straight from Spark's array, with no boxing.
 */
public class BlockFunction extends AbstractFunction4<Object, Object, Object, float[], Row> implements Serializable {

    /** The function's result type: {@link BlockResult#SCHEMA}. */
    public static final StructType RESULT = BlockResult.SCHEMA;

    /** Calls in this JVM: a diagnostic (tests check that Spark evaluates the function once per row). */
    public static final java.util.concurrent.atomic.LongAdder CALLS = new java.util.concurrent.atomic.LongAdder();

    /**
     * Each task thread's intermediates, reused from row to row (see {@link Workspace}: per-row arrays
     * of megabytes made garbage collection a tenth of task time). Dropped when the thread moves on to
     * another case's layers.
     */
    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::reusing);

    private final BenchCase benchCase;
    /** Checkpoint weights the driver broadcast (layer → tensors), or null: the layers come from the case's source. */
    private org.apache.spark.broadcast.Broadcast<java.util.Map<Integer, java.util.Map<String, float[]>>> shippedWeights;

    /** Calibration thresholds (layer/site → tₛ per target) when this function measures the sparsity error; else null. */
    private java.util.HashMap<String, float[]> sparsityThresholds;

    /** Where each task reports its executor's backends (the bench job's accumulator), or null. */
    private org.apache.spark.util.CollectionAccumulator<String> executorReport;

    public BlockFunction(BenchCase benchCase) {
        this.benchCase = benchCase;
    }

    /** Uses weights shipped by a Spark broadcast (read once by the driver, sent once per executor). */
    public BlockFunction withShippedWeights(org.apache.spark.broadcast.Broadcast<java.util.Map<Integer, java.util.Map<String, float[]>>> w) {
        this.shippedWeights = w;
        return this;
    }

    /** Reports each executor's backends into {@code report} ({@link SparkBackends#reportExecutor}). */
    public BlockFunction withExecutorReport(org.apache.spark.util.CollectionAccumulator<String> report) {
        this.executorReport = report;
        return this;
    }

    /**
     * Makes this the sparsity error pass: each held-out sequence's error at these thresholds goes into
     * the statistics' errors ({@link SparsityErrorPass}); calibration sequences are passed over.
     */
    public BlockFunction withSparsityThresholds(java.util.Map<String, float[]> thresholds) {
        this.sparsityThresholds = new java.util.HashMap<>(thresholds);
        return this;
    }

    /** Chooses this JVM's backends (first call) and reports them once per task. */
    protected void prepareTask() {
        SparkBackends.ensureChosen();
        SparkBackends.reportExecutor(executorReport);
    }

    /** The sparsity error pass over one sequence: held-out ones are measured, calibration ones counted as none. */
    private BlockResult measureSparsityError(BenchCase c, CaseStats stats, long seqId, int seqLen, float[] hidden, long start) {
        StageTimes times = new StageTimes();
        if (c.statistics().sparsity().settings().isCalibration(seqId)) {
            return new BlockResult(0, 0, 0, times.all(), System.nanoTime() - start, null);
        }
        try {
            SparsityErrorPass.addSequence(layers(), c.formulation(), c.statistics().sparsity(), sparsityThresholds, hidden, seqLen, stats);
        } catch (OutOfMemoryError e) {
            throw new CaseOutOfMemory(c.id(), e);
        }
        return new BlockResult(seqLen, 0, 0, times.all(), System.nanoTime() - start, null);
    }

    /** The case's layers in this JVM (built once, cached by LayerCache). */
    protected LayerStack layers() {
        return LayerCache.stack(benchCase, shippedWeights == null ? null : shippedWeights::value);
    }

    public BenchCase benchCase() {
        return benchCase;
    }

    /**
     * Whether the bench job calls this as a SQL function over columnar batches (the GPU class: the
     * RAPIDS Accelerator runs it that way) rather than over Spark's internal rows (the CPU class).
     */
    public boolean columnar() {
        return false;
    }

    /** The SQL function: one sequence, with its own partial statistics serialised into the result row. */
    @Override
    public Row apply(Object seqIdObj, Object seqLenObj, Object dModelObj, float[] hidden) {
        long start = System.nanoTime();
        CaseStats stats = new CaseStats(benchCase.statistics().config());
        BlockResult r = applyInto(stats, (Long) seqIdObj, (Integer) seqLenObj, (Integer) dModelObj, hidden);
        byte[] partials = benchCase.statistics().enabled() ? stats.toBytes() : null;
        return new BlockResult(r.tokens(), r.skipped(), r.flops(), r.stageNs(), System.nanoTime() - start, partials).toRow();
    }

    /**
     * One sequence through the case's layers, its statistics added to {@code stats}: a new one per row
     * for the SQL function, or the task's own on the CPU bench path ({@link SparkFunctions#applyToRows}),
     * which serialises it once per task. The result carries no partials.
     */
    BlockResult applyInto(CaseStats stats, long seqId, int seqLen, int dModel, float[] hidden) {
        long start = System.nanoTime();
        CALLS.increment();
        BenchCase c = benchCase;
        StageTimes times = new StageTimes();
        if (!admit(stats, seqId, seqLen, dModel, hidden)) return new BlockResult(0, 1, 0, times.all(), System.nanoTime() - start, null);
        if (sparsityThresholds != null) return measureSparsityError(c, stats, seqId, seqLen, hidden, start);
        Set<String> sites = c.statistics().enabled() ? c.statistics().sites() : Set.of();
        StatsRecorder recorder = new StatsRecorder(stats, sites, c.statistics().sparsity(), dModel, times);
        recorder.sequence(seqId);
        LayerStack layers;
        float[] out;
        try {
            layers = layers();
            Workspace ws = WORKSPACE.get().scopedTo(layers.layers()[0]);   // LayerCache keeps layer objects, not the stack
            out = layers.forward(hidden, seqLen, c.formulation(), recorder, times, ws);
        } catch (OutOfMemoryError e) {
            throw new CaseOutOfMemory(c.id(), e);
        }
        requireFiniteInside(c, seqId, stats, out);
        long flops = layers.flops(c.formulation(), seqLen);
        return new BlockResult(seqLen, 0, flops, times.all(), System.nanoTime() - start, null);
    }

    /**
     * Prepares the task, then checks one input sequence: its d_model and length are an error when
     * wrong; NaN or Inf in it fail the case ({@code on_nonfinite: fail}) or skip the sequence, counted
     * in {@code stats} (then false).
     */
    boolean admit(CaseStats stats, long seqId, int seqLen, int dModel, float[] hidden) {
        prepareTask();
        BenchCase c = benchCase;
        injectFaultIfAsked(c);
        if (dModel != c.dModel()) {
            throw new IllegalArgumentException("sequence " + seqId + " has d_model " + dModel + " but case " + c.id()
                    + " needs d_model " + c.dModel());
        }
        if (hidden == null || (long) seqLen * dModel != hidden.length) {
            throw new IllegalArgumentException("sequence " + seqId + " is ragged: hidden holds " + (hidden == null ? 0 : hidden.length)
                    + " values but seq_len × d_model = " + seqLen + " × " + dModel + " = " + (long) seqLen * dModel);
        }
        if (ffnbench.math.Matrices.allFinite(hidden)) return true;
        if (c.statistics().failOnNonFinite()) {
            throw new IllegalArgumentException("sequence " + seqId + " contains NaN or Inf values (on_nonfinite: fail)");
        }
        stats.skipRow();
        return false;
    }

    /**
     * NaN or Inf that appear inside the layers from a finite input (overflow, or weights that make it)
     * are an error of the case, naming the first (layer, site) where the statistics saw them, or the
     * output when no recorded site did. Skipping would hide that the model itself is broken.
     */
    static void requireFiniteInside(BenchCase c, long seqId, CaseStats stats, float[] out) {
        for (Map.Entry<String, SiteStats> e : stats.sites().entrySet()) {
            SiteStats s = e.getValue();
            if (s.nanCount() + s.infCount() > 0) {
                String[] layerSite = e.getKey().split("/", 2);
                throw new IllegalStateException("case " + c.id() + ": sequence " + seqId + " is finite, but layer " + layerSite[0]
                        + " produced " + s.nanCount() + " NaN and " + s.infCount() + " Inf values at site " + layerSite[1]
                        + " (the first site where they appear): the weights or the input's scale overflow float32");
            }
        }
        if (!ffnbench.math.Matrices.allFinite(out)) {
            throw new IllegalStateException("case " + c.id() + ": sequence " + seqId + " is finite, but the last layer's output holds"
                    + " NaN or Inf values: the weights or the input's scale overflow float32");
        }
    }

    /** Test hook (config fault.fail_first_attempt_of_partition): the first attempt of one task throws. */
    private static void injectFaultIfAsked(BenchCase c) {
        TaskContext task = TaskContext.get();
        if (c.failFirstAttemptOfPartition() >= 0 && task != null
                && task.partitionId() == c.failFirstAttemptOfPartition() && task.attemptNumber() == 0) {
            throw new IllegalStateException("injected failure (fault.fail_first_attempt_of_partition="
                    + c.failFirstAttemptOfPartition() + "), first attempt of partition " + task.partitionId());
        }
    }
}
