package ffnbench.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import ffnbench.analysis.ScalingModel;
import ffnbench.stats.CaseStats;
import ffnbench.stats.StatsConfig;
import ffnbench.study.CaseRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Applies the {@link ScalingModel} to run directories: calibrates every case on one run, checks
 * the predictions against other runs of the same cases (measured tokens/s vs predicted, error in
 * percent), and predicts larger clusters. Reads only {@code summary.json} and the case records, so
 * it needs no Spark.
 */
public final class ScalingStudy {

    private ScalingStudy() {}

    /** What a run measured for one case (means over its measured iterations). */
    public record Measured(String caseId, double wallSeconds, double executorRunSeconds, long tokens, long tasks,
                           int slots, int executors, long partitions, int dModel, Path statsFile) {
        public double tokensPerSecond() {
            return tokens / wallSeconds;
        }
    }

    /** One run directory's cases, with its slot count (default parallelism) and statistics settings. */
    public record Run(Path dir, String id, Map<String, Measured> cases, StatsConfig stats, long checkpointBytes) { }

    public static Run read(Path dir) throws IOException {
        JsonNode summary = ffnbench.data.JsonFile.read(dir.resolve("summary.json"));
        JsonNode env = summary.path("environment");
        int parallelism = env.path("default_parallelism").asInt(-1);
        if (parallelism < 1) throw new IllegalArgumentException(dir + ": summary.json has no environment.default_parallelism");
        // Task slots: local[N] → N. On a cluster Spark's default parallelism is max(total cores, 2), so with a
        // known spark.executor.cores the slots are executors (that ran tasks) × cores.
        boolean local = env.path("spark_master").asText().startsWith("local");
        int executorCores = env.path("spark_conf").path("spark.executor.cores").asInt(-1);
        Map<String, Measured> cases = new LinkedHashMap<>();
        for (JsonNode c : summary.path("cases")) {
            String id = c.path("case_id").asText();
            Path record = dir.resolve(CaseRecords.DIR).resolve(id);
            if (!Files.isRegularFile(record.resolve("iterations.json"))) {
                throw new IllegalArgumentException(dir + " has no case records (cases/" + id + "); re-run it with this ffnbench version");
            }
            JsonNode its = ffnbench.data.JsonFile.read(record.resolve("iterations.json")).path("iterations");
            double wall = 0, run = 0, tasks = 0;
            int executors = 1;
            for (JsonNode it : its) {
                wall += it.path("wall_ns").asLong() / 1e9;
                run += it.path("executor_run_ms").asLong() / 1e3;
                tasks += it.path("tasks").asLong();
                executors = Math.max(executors, it.path("executors").asInt(1));
            }
            int n = its.size();
            int slots = !local && executorCores > 0 ? executors * executorCores : parallelism;
            cases.put(id, new Measured(id, wall / n, run / n, its.get(0).path("tokens").asLong(), Math.round(tasks / n), slots,
                    executors, c.path("shards").asLong(1), c.path("d_model").asInt(), record.resolve("stats.bin")));
        }
        StatsConfig stats = StatsConfig.read(summary.path("config").path("stats"));
        long checkpoint = 0;
        for (JsonNode m : summary.path("config").path("models")) {
            Path src = Path.of(m.path("source").asText());
            if (Files.isDirectory(src)) {
                try (var walk = Files.walk(src)) {
                    checkpoint = Math.max(checkpoint, walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum());
                }
            }
        }
        return new Run(dir, summary.path("run_id").asText(dir.getFileName().toString()), cases, stats, checkpoint);
    }

    /** Median seconds to merge this case's statistics partial into an accumulator (what the final merge does P times). */
    static double mergeSeconds(Measured m, StatsConfig config) throws IOException {
        byte[] bytes = Files.readAllBytes(m.statsFile());
        CaseStats acc = CaseStats.fromBytes(bytes, config);
        double[] t = new double[15];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            acc.merge(CaseStats.fromBytes(bytes, config));   // deserialise + merge, as the aggregation does
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    public static ScalingModel.Calibration calibrate(Run run, Measured m) throws IOException {
        return ScalingModel.calibrate(m.wallSeconds(), m.executorRunSeconds(), m.tokens(), m.tasks(), m.slots(),
                mergeSeconds(m, run.stats()), Files.size(m.statsFile()), m.dModel() * 4.0 + 8, run.checkpointBytes());
    }

    /** A validation row: one case on one run, measured against predicted. */
    public record Check(String caseId, String run, int executors, int cores, double measured, double predicted, String bound) {
        public double errorPct() {
            return (predicted / measured - 1) * 100;
        }
    }

    /**
     * Calibrates a case on the single-slot run, with the slot efficiency η fitted on the multi-slot
     * run when there is one (null: η = 1).
     */
    public static ScalingModel.Calibration calibrate(Run calibration, Run multiSlot, Measured m) throws IOException {
        ScalingModel.Calibration c = calibrate(calibration, m);
        Measured k = multiSlot == null ? null : multiSlot.cases().get(m.caseId());
        return k == null ? c : c.withEfficiency(c.fitEfficiency(k.wallSeconds(), k.slots(), k.partitions(), k.tokens()));
    }

    /**
     * Every case's calibration, computed once (the merge cost is measured, so recomputing it would
     * give the tables slightly different figures).
     */
    public static Map<String, ScalingModel.Calibration> calibrations(Run calibration, Run multiSlot) throws IOException {
        Map<String, ScalingModel.Calibration> out = new LinkedHashMap<>();
        for (Measured m : calibration.cases().values()) out.put(m.caseId(), calibrate(calibration, multiSlot, m));
        return out;
    }

    public static List<Check> validate(Map<String, ScalingModel.Calibration> calibrations, List<Run> others,
                                       ScalingModel.Assumptions a) {
        List<Check> out = new ArrayList<>();
        calibrations.forEach((caseId, c) -> {
            for (Run r : others) {
                Measured v = r.cases().get(caseId);
                if (v == null) continue;
                int cores = Math.max(1, v.slots() / v.executors());
                ScalingModel.Prediction p = ScalingModel.predict(c, a, v.executors(), cores, v.partitions(), v.tokens());
                out.add(new Check(caseId, r.id(), v.executors(), cores, v.tokensPerSecond(), p.tokensPerSecond(), p.bound()));
            }
        });
        return out;
    }

    /** Markdown: validation table, then predictions for the given cluster shapes. */
    public static String markdown(Run calibration, Run multiSlot, Map<String, ScalingModel.Calibration> calibrations,
                                  List<Check> checks, ScalingModel.Assumptions a, List<int[]> clusters, long tokens,
                                  int partitionsPerSlot) {
        StringBuilder md = new StringBuilder("# ffnbench scaling model\n\nCalibrated on `" + calibration.id() + "` ("
                + calibration.cases().values().iterator().next().slots() + " slot(s))"
                + (multiSlot == null ? "" : ", slot efficiency η fitted on `" + multiSlot.id() + "`") + ". Assumed: storage "
                + a.storageBytesPerSecond() / 1e9 + " GB/s aggregate, network " + a.networkBytesPerSecond() / 1e9 + " GB/s.\n\n"
                + "| case | s (µs/token/slot) | J (s) | merge per partial (ms) | partial (KiB) | η |\n|---|---:|---:|---:|---:|---:|\n");
        calibrations.forEach((caseId, c) -> md.append(String.format(Locale.ROOT, "| %s | %.1f | %.2f | %.2f | %.0f | %.2f |%n",
                caseId, c.slotSecondsPerToken() * 1e6, c.jobOverheadSeconds(), c.mergeSecondsPerPartial() * 1e3,
                c.partialBytes() / 1024.0, c.slotEfficiency())));
        if (!checks.isEmpty()) {
            md.append("\n## Validation\n\n| case | run | executors × cores | measured tokens/s | predicted | error | bound |\n"
                    + "|---|---|---|---:|---:|---:|---|\n");
            for (Check c : checks) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %d × %d | %,.0f | %,.0f | %+.1f%% | %s |%n", c.caseId(), c.run(),
                        c.executors(), c.cores(), c.measured(), c.predicted(), c.errorPct(), c.bound()));
            }
            double worst = checks.stream().mapToDouble(c -> Math.abs(c.errorPct())).max().orElse(0);
            md.append(String.format(Locale.ROOT, "%nLargest absolute prediction error: %.1f%%.%n", worst));
        }
        md.append(String.format(Locale.ROOT, "%n## Predictions for %,d tokens (%d partitions per core)%n%n", tokens, partitionsPerSlot));
        md.append("| case | executors × cores | predicted | per slot | bound |\n|---|---|---|---:|---|\n");
        calibrations.forEach((caseId, c) -> {
            for (int[] nc : clusters) {
                long partitions = (long) nc[0] * nc[1] * partitionsPerSlot;
                ScalingModel.Prediction p = ScalingModel.predict(c, a, nc[0], nc[1], partitions, tokens);
                md.append(String.format(Locale.ROOT, "| %s | %d × %d | %s | %,.0f tokens/s | %s |%n", caseId, nc[0], nc[1],
                        p.describe(), p.tokensPerSecond() / (nc[0] * (double) nc[1]), p.bound()));
            }
        });
        return md.toString();
    }
}
