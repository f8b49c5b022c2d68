package ffnbench.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.bench.BenchCase;
import ffnbench.bench.BenchConfig;
import ffnbench.spark.BenchJob;
import ffnbench.spark.SparkBackends;
import ffnbench.spark.TestSpark;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a CPU machine, the real RAPIDS Accelerator (on the test classpath: 25.04.0 on the Spark 3.5
 * build, 26.08.1 on the Spark 4 build) tells which parts
 * of the real bench plan would run on a GPU: the Parquet scan, the block function (recognised as a
 * RAPIDS UDF) and the projections around it. The CPU fallbacks that remain are pinned here and
 * explained in docs/GPU.md; a new one fails this test.
 */
class GpuPlanTest {
    @TempDir
    Path tmp;

    /** Operators RAPIDS leaves on the CPU in the bench plan, and why (docs/GPU.md, "CPU fallbacks"). */
    static final TreeSet<String> PINNED_FALLBACKS = new TreeSet<>(List.of(
            // the statistics merge: a typed Aggregator (udaf) over the per-row partials — one row per batch carries bytes
            "ObjectHashAggregateExec",
            "ScalaAggregator",
            // the exchange between partial and final aggregation: one row per partition, follows its CPU child
            "ShuffleExchangeExec"));

    @Test
    void benchPlanRunsOnTheGpuExceptThePinnedMerge() throws Exception {
        var spark = TestSpark.session();
        String data = tmp.resolve("tokens.parquet").toString();
        ffnbench.spark.TokenBatches.generate(spark, 8, 16, 64, ffnbench.data.TokenGenerator.Distribution.GAUSSIAN, 3, 2)
                .write().parquet(data);
        BenchConfig cfg = BenchConfig.parse(new ObjectMapper().readTree("""
                {"models": [{"name": "m", "source": "preset:llama", "set": {"d_model": 64, "heads": 4, "d_ff": 128},
                             "formulations": ["parallel"]}]}"""), Map.of());
        BenchCase c = BenchCase.expand(cfg).get(0);
        String aqe = spark.conf().get("spark.sql.adaptive.enabled");
        spark.conf().set("spark.sql.adaptive.enabled", "false");
        try {
            Dataset<Row> plan = BenchJob.caseQuery(spark, SparkBackends.gpuBlockFunction(c, "fp32"), c, data,
                    ffnbench.spark.TokenBatches.shape(ffnbench.spark.TokenBatches.read(spark, data), data));
            String explain = com.nvidia.spark.rapids.ExplainPlan.explainPotentialGpuPlan(plan, "ALL");
            assertTrue(explain.contains("*Exec <FileSourceScanExec> will run on GPU"), explain);
            assertTrue(explain.lines().anyMatch(l -> l.contains("<ScalaUDF>") && l.contains("will run on GPU")), explain);
            assertTrue(explain.lines().anyMatch(l -> l.contains("<ProjectExec>") && l.contains("will run on GPU")), explain);
            TreeSet<String> fallbacks = new TreeSet<>();
            explain.lines().map(String::trim).filter(l -> l.startsWith("!")).forEach(l -> {
                int a = l.indexOf('<'), b = l.indexOf('>');
                fallbacks.add(l.substring(a + 1, b));
            });
            assertEquals(PINNED_FALLBACKS, fallbacks, "CPU fallbacks changed; update docs/GPU.md and this list:\n" + explain);
        } finally {
            spark.conf().set("spark.sql.adaptive.enabled", aqe);
        }
    }

    /**
     * The whole bench job with the RAPIDS plugin loaded in explain-only mode (a separate JVM: the
     * plugin is set when Spark starts). Catches configuration mistakes — plugin loading, shims,
     * class loaders — and shows that the session picks the GPU class of the block function.
     */
    @Test
    void benchRunsWithThePluginInExplainOnlyMode() throws Exception {
        Path config = tmp.resolve("c.json");
        java.nio.file.Files.writeString(config, """
                {"name": "explain", "output": "%s", "data": {"sequences": 4, "seq_len": 8}, "shards": 2,
                 "models": [{"name": "m", "source": "preset:gpt2", "set": {"d_model": 32, "heads": 2, "d_ff": 64},
                             "formulations": ["serial"]}],
                 "iterations": {"warmup": 0, "measured": 1}}""".formatted(tmp.resolve("runs").toString().replace("\\", "/")));
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-")).toList());
        cmd.addAll(List.of("-Xmx2g", "-Dlog4j2.configurationFile=" + Path.of(System.getProperty("ffnbench.repo", "."))
                        .resolve("conf/log4j2.properties").toAbsolutePath(), "-Dspark.plugins=" + SparkBackends.PLUGIN, "-Dspark.rapids.sql.mode=explainOnly",
                "-Dspark.rapids.sql.explain=ALL", "-Dspark.rapids.skipGpuArchitectureCheck=true",
                "-cp", System.getProperty("java.class.path"), "ffnbench.cli.Main", "bench", "--config", config.toString(),
                "--master", "local[2]"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        int code = p.waitFor();
        assertEquals(0, code, log);
        assertTrue(log.contains("RAPIDS Accelerator") || log.contains("SQLPlugin") || log.contains("explainOnly"),
                "the plugin was loaded: " + log);
        assertTrue(log.lines().anyMatch(l -> l.contains("ScalaUDF") && l.contains("will run on GPU")), log);
        assertTrue(log.contains("Results: "), log);
    }
}
