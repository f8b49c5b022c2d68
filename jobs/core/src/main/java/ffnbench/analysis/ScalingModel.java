package ffnbench.analysis;

import java.util.Locale;

/**
 * A model of one case's wall time on N executors × C cores, calibrated on one measured run.
 *
 * <pre>
 *   wall(N, C, P, T) = J                                  job overhead (driver: planning, scheduling, result)
 *                    + max( waves · (T / P) · s ,          compute: per-slot seconds per token × tokens per task
 *                           T · b / B_storage )            input bandwidth of the shared storage
 *                    + M(P) · (m + q / B_net)              statistics partials merged one after another
 *   M(P) = P up to 64 partitions; above, 2·ceil(√P): BenchJob merges in two levels (√P groups in parallel, then the groups)
 *                    + ceil(log2(N + 1)) · W / B_net       checkpoint weights: read by the driver, sent by torrent broadcast
 *                                                          (each executor fetches W once, from the driver or peers that
 *                                                          already have it, so the senders double every round)
 *   waves = ceil(P / (N · C)),  s = executor run time / tokens  (Parquet decode, conversion, layers, statistics)
 * </pre>
 * With k = min(P, N·C) slots busy, compute is divided by the effective parallelism
 * {@code 1 + (k − 1)·η} instead of k: η (slot efficiency, 1 = linear) is fitted on a second
 * calibration run with more slots on the same kind of host, when one is given (memory bandwidth and
 * the driver share the cores of a small host).
 *
 * J and s are measured on the calibration run (J = wall − executor run time / slots used); m is
 * measured by merging the case's real statistics partial q bytes; B_storage and B_net are stated
 * assumptions (defaults in {@link Assumptions}). The model says which term bounds the prediction.
 */
public final class ScalingModel {
    private ScalingModel() {}

    /** Environment figures that are assumed, not measured here. */
    public record Assumptions(double storageBytesPerSecond, double networkBytesPerSecond) {
        /** A cloud object store or HDFS serving ~10 GB/s in aggregate; 1 GB/s per link for shuffle/result bytes. */
        public static final Assumptions DEFAULT = new Assumptions(10e9, 1e9);
    }

    /**
     * What one calibration run measured for a case.
     *
     * @param jobOverheadSeconds    J: wall time not spent in tasks
     * @param slotSecondsPerToken   s: executor run time (all task work) per token
     * @param mergeSecondsPerPartial m: time to merge one statistics partial (measured by merging it)
     * @param partialBytes          q: serialised statistics partial of one task
     * @param inputBytesPerToken    b: Parquet bytes per token (d_model × 4, plus list overhead)
     * @param weightBytesPerExecutor W: checkpoint bytes each executor receives (0 for seeded weights)
     */
    public record Calibration(double jobOverheadSeconds, double slotSecondsPerToken, double mergeSecondsPerPartial,
                              long partialBytes, double inputBytesPerToken, long weightBytesPerExecutor, double slotEfficiency) {
        /** The same calibration with a slot efficiency η fitted on a run with more slots. */
        public Calibration withEfficiency(double eta) {
            return new Calibration(jobOverheadSeconds, slotSecondsPerToken, mergeSecondsPerPartial, partialBytes,
                    inputBytesPerToken, weightBytesPerExecutor, eta);
        }

        /**
         * η from a run that had {@code slots} slots, {@code partitions} partitions and {@code tokens}
         * tokens and took {@code wallSeconds}: the compute part it measured against the linear ideal.
         */
        public double fitEfficiency(double wallSeconds, int slots, long partitions, long tokens) {
            long busy = Math.min(partitions, slots);
            if (busy < 2) return 1;
            long waves = (partitions + slots - 1) / slots;
            double ideal = waves * (tokens / (double) partitions) * slotSecondsPerToken;
            double measured = wallSeconds - jobOverheadSeconds - mergedInSeries(partitions) * mergeSecondsPerPartial;
            return Math.max(0.05, Math.min(1.0, (busy * ideal / measured - 1) / (busy - 1)));
        }
    }

    /** A prediction and the term that bounds it. */
    public record Prediction(double wallSeconds, double tokensPerSecond, String bound, double computeSeconds,
                             double inputSeconds, double mergeSeconds, double weightSeconds, double overheadSeconds) {
        public String describe() {
            return String.format(Locale.ROOT, "%.3g s (%,.0f tokens/s), bound by %s [overhead %.2f s, compute %.3g s, input %.3g s, "
                    + "merge %.3g s, weights %.3g s]", wallSeconds, tokensPerSecond, bound, overheadSeconds, computeSeconds,
                    inputSeconds, mergeSeconds, weightSeconds);
        }
    }

    /**
     * Calibrates from one run's iteration means: wall and executor run time (seconds), tokens,
     * tasks, and the number of task slots the run had (local[N]: N; a cluster: executors × cores).
     */
    public static Calibration calibrate(double wallSeconds, double executorRunSeconds, long tokens, long tasks, int slots,
                                        double mergeSecondsPerPartial, long partialBytes, double inputBytesPerToken,
                                        long weightBytesPerExecutor) {
        // tasks run in waves of `slots`: the busiest slot's time is the executor time divided evenly
        double perTask = executorRunSeconds / tasks;
        double busiestSlot = Math.ceil(tasks / (double) slots) * perTask;
        double overhead = Math.max(0, wallSeconds - busiestSlot - mergedInSeries(tasks) * mergeSecondsPerPartial);
        return new Calibration(overhead, executorRunSeconds / tokens, mergeSecondsPerPartial, partialBytes,
                inputBytesPerToken, weightBytesPerExecutor, 1.0);
    }

    /** Partials merged one after another on the critical path for P partitions (see BenchJob's two-level merge). */
    public static long mergedInSeries(long partitions) {
        return partitions <= 64 ? partitions : 2 * (long) Math.ceil(Math.sqrt(partitions));
    }

    public static Prediction predict(Calibration c, Assumptions a, int executors, int coresPerExecutor, long partitions,
                                     long tokens) {
        long slots = (long) executors * coresPerExecutor;
        long waves = (partitions + slots - 1) / slots;
        long busy = Math.min(partitions, slots);
        double parallelLoss = busy / (1 + (busy - 1) * c.slotEfficiency());   // 1 when η = 1 (linear)
        double compute = waves * (tokens / (double) partitions) * c.slotSecondsPerToken() * parallelLoss;
        double input = tokens * c.inputBytesPerToken() / a.storageBytesPerSecond();
        double merge = mergedInSeries(partitions) * (c.mergeSecondsPerPartial() + c.partialBytes() / a.networkBytesPerSecond());
        // torrent broadcast: the number of executors holding the weights doubles every round of W / B_net
        double weights = Math.ceil(Math.log(executors + 1.0) / Math.log(2)) * c.weightBytesPerExecutor() / a.networkBytesPerSecond();
        double wall = c.jobOverheadSeconds() + Math.max(compute, input) + merge + weights;
        String bound = "compute";
        double biggest = compute;
        if (input > biggest) { bound = "input bandwidth"; biggest = input; }
        if (merge > biggest) { bound = "statistics merge (one task)"; biggest = merge; }
        if (weights > biggest) { bound = "weight loading"; biggest = weights; }
        if (c.jobOverheadSeconds() > biggest) bound = "driver/job overhead";
        return new Prediction(wall, tokens / wall, bound, compute, input, merge, weights, c.jobOverheadSeconds());
    }
}
