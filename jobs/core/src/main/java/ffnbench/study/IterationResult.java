package ffnbench.study;

import ffnbench.bench.BenchCase;
import ffnbench.model.StageTimes;

/**
 * One measured iteration of one case: driver wall time of the Spark action, what it processed,
 * the per-stage time summed over tasks, and Spark's task metrics. {@code disturbed} says why the
 * iteration does not show the steady state (a task failure, an executor lost or new to the run, a GC
 * storm), or is null: disturbed iterations are kept in {@code timings.parquet} and left out of every
 * mean and confidence interval.
 */
public record IterationResult(BenchCase benchCase, int iteration, long wallNs, long tokens, long skippedSequences,
                              long flops, long[] stageNs, long taskTotalNs, long tasks, long failedAttempts,
                              long retriedSuccesses, long executorRunTimeMs, long executorCpuTimeNs, long gcTimeMs,
                              int executors, String disturbed, Shuffle shuffle) {

    /**
     * The iteration's shuffles, from Spark's task metrics: bytes and records written, the time spent
     * writing them, bytes read (local and remote) and the time tasks waited for remote blocks.
     */
    public record Shuffle(long bytesWritten, long recordsWritten, long writeNs, long bytesRead, long fetchWaitMs) {
        public static final Shuffle NONE = new Shuffle(0, 0, 0, 0, 0);
    }

    public boolean clean() {
        return disturbed == null;
    }

    public double tokensPerSecond() {
        return tokens / (wallNs / 1e9);
    }

    public double gflops() {
        return flops / (double) wallNs;
    }

    public long stage(StageTimes.Stage s) {
        return stageNs[s.ordinal()];
    }

    public boolean retried() {
        return failedAttempts > 0 || retriedSuccesses > 0;
    }

    /** A GC share of task time above this marks an iteration as disturbed (a GC storm). */
    public static final double GC_STORM_SHARE = 0.25;

    /**
     * Why an iteration's figures would not show the steady state, or null when nothing disturbed it:
     * failed task attempts, executors lost or added while it ran, executors running their first tasks
     * of the run (cold JIT and caches: the iteration after an executor is replaced), GC above
     * {@link #GC_STORM_SHARE} of task time.
     */
    public static String disturbance(long failedAttempts, long retriedSuccesses, long executorsLost, long executorsAdded,
                                     java.util.Collection<String> newExecutors, long gcTimeMs, long executorRunTimeMs) {
        java.util.List<String> why = new java.util.ArrayList<>();
        if (failedAttempts > 0 || retriedSuccesses > 0) why.add("task failures (" + failedAttempts + " failed attempts, retried)");
        if (executorsLost > 0) why.add(executorsLost + " executor(s) lost");
        if (executorsAdded > 0) why.add(executorsAdded + " executor(s) added");
        if (!newExecutors.isEmpty()) why.add("first tasks on executor(s) " + String.join(", ", new java.util.TreeSet<>(newExecutors)));
        if (executorRunTimeMs > 0 && gcTimeMs > GC_STORM_SHARE * executorRunTimeMs) {
            why.add(String.format(java.util.Locale.ROOT, "GC took %.0f%% of task time", 100.0 * gcTimeMs / executorRunTimeMs));
        }
        return why.isEmpty() ? null : String.join("; ", why);
    }
}
