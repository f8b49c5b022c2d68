package ffnbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round trip on a real Spark standalone cluster: scripts/cluster starts a Master and two Workers
 * from the Maven-resolved jars, with RPC authentication, scripts/submit sends `generate` and `bench`
 * with two executors in client mode, and the statistics must equal those of the same bench in local mode.
 */
class ClusterIT {
    static final Path REPO = Path.of(System.getProperty("ffnbench.repo", ".")).toAbsolutePath();
    static final String PORT = "7177";
    static final String URL = "spark://127.0.0.1:" + PORT;

    @TempDir
    static Path dir;

    static String run(String... command) throws IOException, InterruptedException {
        return run(Map.of(), command);
    }

    /** A command in the repository with this test's cluster (port, directory and secret) and the suite's BLAS. */
    static ProcessBuilder process(Map<String, String> env, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("FFNBENCH_CLUSTER_PORT", PORT);
        pb.environment().put("FFNBENCH_CLUSTER_DIR", dir.resolve("cluster").toString());
        pb.environment().put("FFNBENCH_BLAS", System.getProperty("ffnbench.blas", "bundled"));   // the suite's BLAS, for driver and executors
        pb.environment().put("FFNBENCH_DRIVER_MEMORY", "2g");
        return pb;
    }

    static String run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        Process p = process(env, List.of(command)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "timed out: " + String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    @BeforeAll
    static void startCluster() throws Exception {
        String out = run("scripts/cluster", "start", "2");
        assertTrue(out.contains(URL), out);
        // RPC authentication on, with a secret only this user can read
        Path auth = dir.resolve("cluster/auth.conf");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(auth)));
        for (String log : new String[] {"master", "worker-1", "worker-2"}) {
            assertTrue(Files.readString(dir.resolve("cluster/logs/" + log + ".log")).contains("authentication enabled"), log);
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        run("scripts/cluster", "stop");
    }

    static Path onlyRun(Path runs) throws IOException {
        try (Stream<Path> s = Files.list(runs)) {
            List<Path> dirs = s.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
            assertEquals(1, dirs.size(), dirs.toString());
            return dirs.get(0);
        }
    }

    @Test
    void generateAndBenchOnTwoExecutorsMatchLocalMode() throws Exception {
        String tokens = dir.resolve("tokens.parquet").toString();
        String config = REPO.resolve("jobs/spark/src/test/resources/cluster-it.json").toString();
        String[] cluster = {"scripts/submit", "--master", URL, "--total-executor-cores", "2", "--executor-cores", "1",
            "--executor-memory", "1g", "--"};
        run(concat(cluster, "generate", "--output", tokens, "--sequences", "24", "--seq-len", "32", "--d-model", "128",
                "--partitions", "4"));
        run(concat(cluster, "bench", "--config", config, "--set", "data.input=\"" + tokens + "\"",
                "--set", "output=\"" + dir.resolve("cluster-runs") + "\""));
        run("scripts/submit", "--master", "local[2]", "--", "bench", "--config", config,
                "--set", "data.input=\"" + tokens + "\"", "--set", "output=\"" + dir.resolve("local-runs") + "\"");

        Path clusterRun = onlyRun(dir.resolve("cluster-runs"));
        Path localRun = onlyRun(dir.resolve("local-runs"));
        SparkSession spark = TestSpark.session();
        for (Row r : spark.read().parquet(clusterRun.resolve("timings.parquet").toString()).collectAsList()) {
            assertEquals(2, r.getInt(r.fieldIndex("executors")), "both executors ran tasks: " + r);
            assertEquals(24L * 32, r.getLong(r.fieldIndex("tokens")));
        }
        assertTrue(Files.readString(clusterRun.resolve("summary.json")).contains(URL));
        var conf = new com.fasterxml.jackson.databind.ObjectMapper().readTree(clusterRun.resolve("summary.json").toFile())
                .path("environment").path("spark_conf");
        assertEquals("true", conf.path("spark.authenticate").asText(), conf.toString());
        assertEquals(Redaction.REDACTED, conf.path("spark.authenticate.secret").asText(), "the secret is not written out");
        // every executor that ran tasks says which BLAS it ran: the one the suite asked for, with version and kernel
        var env = new com.fasterxml.jackson.databind.ObjectMapper().readTree(clusterRun.resolve("summary.json").toFile())
                .path("environment");
        assertEquals(2, env.path("executors").size(), env.toPrettyString());
        for (var e : env.path("executors")) {
            assertTrue(!e.path("executor_id").asText().equals("driver") && e.path("host").isTextual(), e.toString());
            var blas = e.path("blas");
            assertEquals(env.path("blas").path("implementation").asText(), blas.path("implementation").asText(), e.toString());
            if (!blas.path("implementation").asText().equals("java")) {
                assertTrue(blas.path("version").asText().startsWith("0.3.") && !blas.path("kernel").asText().isEmpty(), e.toString());
                assertEquals(1, blas.path("threads").asInt(), e.toString());
            }
        }

        // 2 layers × sites: swiglu serial 9, swiglu parallel 8 (no mlp_norm), gelu serial 8 (no ffn_up), gelu parallel 7
        assertEquals(2 * (9 + 8 + 8 + 7), spark.read().parquet(clusterRun.resolve("stats.parquet").toString()).count());
        assertStatisticsAgree(spark, clusterRun, localRun, true);
    }

    /**
     * kill -9 of one executor in the middle of the final iteration (the one whose statistics are kept):
     * Spark re-runs the lost work, the Worker starts a new executor, the iteration is marked disturbed,
     * and its statistics are those of a clean run, bit for bit.
     */
    @Test
    void killingAnExecutorMidIterationKeepsTheStatisticsAndMarksTheIterationDisturbed() throws Exception {
        String tokens = dir.resolve("kill-tokens.parquet").toString();
        String config = REPO.resolve("jobs/spark/src/test/resources/cluster-it.json").toString();
        String[] oneCase = {"--set", "models.0.variants=[\"swiglu\"]", "--set", "models.0.formulations=[\"serial\"]",
            "--set", "iterations.measured=2", "--set", "data.input=\"" + tokens + "\""};
        run("scripts/ffnbench", "generate", "--output", tokens, "--sequences", "512", "--seq-len", "128", "--d-model", "128",
                "--partitions", "4");
        List<String> submit = new ArrayList<>(List.of("scripts/submit", "--master", URL, "--total-executor-cores", "2",
                "--executor-cores", "1", "--executor-memory", "1g", "--", "bench", "--config", config));
        submit.addAll(List.of(oneCase));
        submit.addAll(List.of("--set", "output=\"" + dir.resolve("kill-runs") + "\""));
        Process p = process(Map.of(), submit).start();
        StringBuilder out = new StringBuilder();
        long killed = -1;
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                out.append(line).append('\n');
                if (killed < 0 && line.contains("iteration 1:")) {
                    ProcessHandle executor = busyExecutor();   // one running a task of the final iteration
                    killed = executor.pid();
                    executor.destroyForcibly();   // SIGKILL
                }
            }
        }
        assertTrue(p.waitFor(10, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out.toString());
        assertTrue(killed > 0, "the executor was killed during the run:\n" + out);
        assertTrue(out.toString().contains("iteration 2:") && out.toString().contains("disturbed: "), out.toString());
        run(concat(new String[] {"scripts/ffnbench", "bench", "--master", "local[2]", "--config", config}, concat(oneCase,
                "--set", "output=\"" + dir.resolve("kill-local-runs") + "\"")));

        Path clusterRun = onlyRun(dir.resolve("kill-runs"));
        SparkSession spark = TestSpark.session();
        List<Row> timings = spark.read().parquet(clusterRun.resolve("timings.parquet").toString()).orderBy("iteration").collectAsList();
        assertEquals(2, timings.size());
        // Spark re-runs the lost work as failed task attempts, or as a resubmitted stage when the executor
        // held only finished map output: either way the iteration is marked disturbed, not clean
        String disturbed = timings.get(1).getString(timings.get(1).fieldIndex("disturbed"));
        assertTrue(disturbed != null && disturbed.contains("executor(s) lost"), timings + "\n" + out);
        assertTrue(Files.readString(clusterRun.resolve("summary.md")).contains("tiny.swiglu.serial iteration 1: "),
                "the summary lists the disturbed iteration");
        assertStatisticsAgree(spark, clusterRun, onlyRun(dir.resolve("kill-local-runs")), true);
    }

    /**
     * The statistics of two runs of cluster-it.json: {@code sameBits}, every value equal and the moments
     * to 1e-9 (relative); otherwise the counts equal and the values to 1e-5.
     */
    static void assertStatisticsAgree(SparkSession spark, Path clusterRun, Path localRun, boolean sameBits) {
        double tolerance = sameBits ? 1e-9 : 1e-5;
        String[] exact = sameBits
                ? new String[] {"case_id", "layer", "site", "tokens", "count", "nan_count", "inf_count", "min", "max",
                    "max_abs", "zero_frac", "near_zero_frac", "negative_frac", "histogram", "dead_neurons", "firing_counts",
                    "frequent_outlier_channels", "top_channels", "p0_1", "p1", "p50", "p99", "p99_9"}
                : new String[] {"case_id", "layer", "site", "tokens", "count", "nan_count", "inf_count"};
        String[] close = sameBits ? new String[] {"mean", "variance", "skewness", "kurtosis"}
                : new String[] {"mean", "variance", "skewness", "kurtosis", "min", "max", "max_abs", "negative_frac"};
        List<Row> c = spark.read().parquet(clusterRun.resolve("stats.parquet").toString()).orderBy("case_id", "layer", "site").collectAsList();
        List<Row> l = spark.read().parquet(localRun.resolve("stats.parquet").toString()).orderBy("case_id", "layer", "site").collectAsList();
        assertTrue(c.size() > 0);
        assertEquals(l.size(), c.size());
        for (int i = 0; i < c.size(); i++) {
            Row a = c.get(i), b = l.get(i);
            String where = a.getString(a.fieldIndex("case_id")) + " layer " + a.get(a.fieldIndex("layer")) + " " + a.get(a.fieldIndex("site"));
            for (String field : exact) assertEquals(b.get(b.fieldIndex(field)), a.get(a.fieldIndex(field)), where + ": " + field);
            for (String field : close) {
                double x = ((Number) a.get(a.fieldIndex(field))).doubleValue(), y = ((Number) b.get(b.fieldIndex(field))).doubleValue();
                assertEquals(y, x, tolerance * Math.max(1e-3, Math.abs(y)), where + ": " + field);
            }
        }
    }

    /**
     * A cluster that refuses executor JVM options and environment (Databricks 19 standard access mode):
     * submitted with none at all, bench still runs on both executors, each executor records which
     * element-wise path its JVM offered (the Vector API only where its module was given), a scalar one
     * comes with a warning, and the statistics agree with local mode.
     */
    @Test
    void benchRunsOnExecutorsStartedWithoutAnyJavaOptions() throws Exception {
        Path tokens = dir.resolve("plain-tokens.parquet");
        String config = REPO.resolve("jobs/spark/src/test/resources/cluster-it.json").toString();
        run("scripts/ffnbench", "generate", "--output", tokens.toString(), "--sequences", "8", "--seq-len", "32",
                "--d-model", "128", "--partitions", "2");
        run(Map.of("FFNBENCH_EXECUTOR_OPTIONS", "none"), "scripts/submit", "--master", URL, "--total-executor-cores", "2",
                "--executor-cores", "1", "--executor-memory", "1g", "--", "bench", "--config", config,
                "--set", "data.input=\"" + tokens + "\"", "--set", "output=\"" + dir.resolve("plain-runs") + "\"");
        run("scripts/ffnbench", "bench", "--master", "local[2]", "--config", config, "--set", "data.input=\"" + tokens + "\"",
                "--set", "output=\"" + dir.resolve("plain-local-runs") + "\"");

        Path clusterRun = onlyRun(dir.resolve("plain-runs"));
        var env = new com.fasterxml.jackson.databind.ObjectMapper().readTree(clusterRun.resolve("summary.json").toFile())
                .path("environment");
        assertTrue(!env.path("spark_conf").path("spark.executor.extraJavaOptions").asText().contains("UseParallelGC"),
                "no executor options of ffnbench's own: " + env.path("spark_conf"));
        assertEquals(2, env.path("executors").size(), env.toPrettyString());
        for (var e : env.path("executors")) {
            int bits = e.path("vector_api_bits").asInt(-1);
            assertTrue(bits == 0 || bits >= 128, e.toString());
            if (bits == 0) assertTrue(e.path("warnings").toString().contains("Vector API is off"), e.toString());
        }
        // the executors may have run scalar loops where local mode ran the Vector API: the same statistics,
        // not necessarily the same last bits
        assertStatisticsAgree(TestSpark.session(), clusterRun, onlyRun(dir.resolve("plain-local-runs")), false);
    }

    @Test
    void aMasterThatDoesNotAnswerFailsFastNamingTheUrl() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("scripts/submit", "--master", "spark://127.0.0.1:7199", "--",
                "generate", "--output", dir.resolve("never").toString()).directory(REPO.toFile()).redirectErrorStream(true);
        long start = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertTrue(p.exitValue() != 0, out);
        assertTrue(out.contains("spark://127.0.0.1:7199"), out);
        assertTrue((System.nanoTime() - start) / 1e9 < 45, "fails fast");
    }

    /**
     * An executor JVM that is running a task: one that used at least a quarter of a core over half a
     * second (an idle one, e.g. waiting for locality, would lose nothing when killed). Polls for up to a minute.
     */
    static ProcessHandle busyExecutor() throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            List<ProcessHandle> executors = ProcessHandle.allProcesses()
                    .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).toList();
            Map<Long, java.time.Duration> before = new java.util.HashMap<>();
            for (ProcessHandle h : executors) before.put(h.pid(), h.info().totalCpuDuration().orElse(java.time.Duration.ZERO));
            Thread.sleep(500);   // the window over which CPU use is measured
            for (ProcessHandle h : executors) {
                java.time.Duration used = h.info().totalCpuDuration().orElse(java.time.Duration.ZERO).minus(before.get(h.pid()));
                if (used.toMillis() >= 125) return h;
            }
        }
        throw new AssertionError("no executor was running a task");
    }

    static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(new String[0]);
    }
}
