package ffnbench.study;

import ffnbench.bench.BenchCase;
import ffnbench.model.StageTimes;

/**
 * One measured iteration of one case: driver wall time of the Spark action, what it processed,
 * the per-stage time summed over tasks, and Spark's task metrics.
 */
public record IterationResult(BenchCase benchCase, int iteration, long wallNs, long tokens, long skippedSequences,
                              long flops, long[] stageNs, long taskTotalNs, long tasks, long failedAttempts,
                              long retriedSuccesses, long executorRunTimeMs, long executorCpuTimeNs, long gcTimeMs,
                              int executors) {

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
}
