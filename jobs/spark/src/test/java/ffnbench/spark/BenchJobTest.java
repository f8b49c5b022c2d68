package ffnbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.bench.BenchCase;
import ffnbench.bench.BenchConfig;
import ffnbench.study.IterationResult;
import ffnbench.data.TokenGenerator;
import ffnbench.stats.CaseStats;
import ffnbench.stats.SiteStats;
import ffnbench.stats.SparsityConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench job end to end on local Spark with tiny data. */
class BenchJobTest {
    static SparkSession spark;

    @TempDir
    static Path dir;
    static String tokens;

    static final String MODEL = "{\"name\": \"tiny\", \"source\": \"preset:llama\", \"seed\": 3,"
            + " \"set\": {\"d_model\": 64, \"heads\": 4, \"kv_heads\": 2, \"d_ff\": 96}, \"layers\": [0, 1]";

    @BeforeAll
    static void data() {
        spark = TestSpark.session();
        tokens = dir.resolve("tokens.parquet").toString();
        TokenBatches.generate(spark, 14, 16, 64, TokenGenerator.Distribution.LLM, 5, 3).write().parquet(tokens);
    }

    static BenchConfig config(String models, Map<String, String> overrides) throws Exception {
        String json = "{\"name\": \"t\", \"output\": \"" + dir.resolve("runs") + "\", \"data\": {\"input\": \"" + tokens + "\"},"
                + " \"shards\": 2, \"models\": [" + models + "], \"iterations\": {\"warmup\": 0, \"measured\": 2}}";
        return BenchConfig.parse(new ObjectMapper().readTree(json), overrides);
    }

    static BenchJob.Run run(BenchConfig cfg) throws Exception {
        return new BenchJob(spark, cfg, new PrintStream(new ByteArrayOutputStream())).run();
    }

    /** A case reads hidden with Spark's vectorized reader: Spark 3.5 reads nested columns row by row by default. */
    @Test
    void tokensAreReadWithTheVectorizedReader() throws Exception {
        BenchCase c = BenchCase.expand(config(MODEL + "}", Map.of())).get(0);
        BlockFunction f = SparkBackends.blockFunction(c, spark.sparkContext().getConf());
        BenchJob.caseQuery(spark, f, c, tokens, TokenBatches.shape(TokenBatches.read(spark, tokens), tokens));
        String plan = TokenBatches.read(spark, tokens).queryExecution().executedPlan().toString();
        assertTrue(plan.contains("FileScan parquet") && plan.contains("Batched: true"), plan);
    }

    @Test
    void endToEndWritesEveryStatisticWithExactCounts() throws Exception {
        BenchConfig cfg = config(MODEL + ", \"variants\": [\"swiglu\", \"relu\"], \"formulations\": [\"serial\", \"parallel\", \"parallel-two-norms\"]}", Map.of());
        long before = BlockFunction.CALLS.sum();
        BenchJob.Run run = run(cfg);
        // 6 cases × 2 iterations × 14 rows: the function ran exactly once per row and iteration
        assertEquals(6 * 2 * 14, BlockFunction.CALLS.sum() - before, "the Spark function must run once per row");
        assertTrue(Files.isRegularFile(run.dir().resolve("summary.json")));
        assertTrue(Files.isRegularFile(run.dir().resolve("summary.md")));
        assertEquals(12, run.iterations().size());
        for (IterationResult r : run.iterations()) {
            assertEquals(14 * 16, r.tokens());
            assertTrue(r.flops() > 0 && r.wallNs() > 0 && r.tasks() >= 2);
            assertFalse(r.retried());
        }
        for (Map.Entry<String, CaseStats> e : run.stats().entrySet()) {
            // input + 8 sites per layer; a standard FFN has no ffn_up, the shared-norm parallel block no mlp_norm
            int sites = 9 - (e.getKey().contains("relu") ? 1 : 0) - (e.getKey().endsWith(".parallel") ? 1 : 0);
            assertEquals(2 * sites, e.getValue().sites().size(), e.getKey() + ": " + e.getValue().sites().keySet());
        }
        CaseStats relu = run.stats().get("tiny.relu.serial");
        assertNotNull(relu);
        for (Map.Entry<String, SiteStats> e : relu.sites().entrySet()) {
            SiteStats s = e.getValue();
            assertEquals(14L * 16, s.tokens(), e.getKey());
            assertEquals(14L * 16 * s.width(), s.count() + s.nanCount() + s.infCount(), e.getKey());
        }
        // parquet tables: one row per case × iteration, one per case × layer × site, all columns filled
        Dataset<Row> timings = spark.read().parquet(run.dir().resolve("timings.parquet").toString());
        assertEquals(12, timings.count());
        Dataset<Row> stats = spark.read().parquet(run.dir().resolve("stats.parquet").toString());
        assertEquals(2 * (9 + 8 + 9 + 8 + 7 + 8), stats.count());
        for (String column : new String[] {"mean", "variance", "skewness", "kurtosis", "p0_1", "p50", "p99_9", "histogram",
                "dead_neurons", "mean_firing_rate", "top_channels", "channel_rms_kurtosis"}) {
            assertEquals(0, stats.filter(functions.col(column).isNull()).count(), column);
        }
        assertFalse(Files.exists(run.dir().resolve("sparsity.parquet")), "the sparsity analysis is off unless asked for");
        String summary = Files.readString(run.dir().resolve("summary.json"));
        assertTrue(summary.contains("\"spark_version\"") && summary.contains("speedup_over_serial"));
        // what ran, for the driver and for every executor that ran tasks (local mode: the driver itself)
        var env = new com.fasterxml.jackson.databind.ObjectMapper().readTree(summary).path("environment");
        assertEquals(ffnbench.backend.Blas.info().implementation(), env.path("blas").path("implementation").asText(), env.toString());
        assertTrue(env.path("blas").has("kernel") && env.path("blas").has("version") && env.path("blas").has("threads"), env.toString());
        assertEquals(1, env.path("executors").size(), env.toString());
        assertEquals("driver", env.path("executors").get(0).path("executor_id").asText());
        assertEquals(env.path("blas"), env.path("executors").get(0).path("blas"));
        assertTrue(env.path("warnings").isArray(), env.toString());
    }

    /**
     * sparsity.parquet: every measure of every analysed site, and for ReLU the figures that follow
     * from stats.parquet's exact zero counts (an independent code path): the share active in 1-token
     * windows is 1 − zero_frac, and a target the zeros alone reach has the threshold 0⁺ at exactly zero_frac.
     */
    @Test
    void sparsityTableAgreesWithTheExactZeroCounts() throws Exception {
        BenchConfig cfg = config(MODEL + ", \"variants\": [\"swiglu\", \"relu\"], \"formulations\": [\"serial\"]}",
                Map.of("sparsity.windows", "[1, 4, \"sequence\"]", "sparsity.measure_error", "true"));
        BenchJob.Run run = run(cfg);
        Dataset<Row> sparsity = spark.read().parquet(run.dir().resolve("sparsity.parquet").toString());
        // per layer: sites × 9 targets × (threshold, achieved_sparsity, 7 error measures) + 3 windows + 2 overlaps at ffn_act
        assertEquals(2 * (3 * 9 * 9 + 5), sparsity.filter("case_id = 'tiny.swiglu.serial'").count());
        assertEquals(2 * (2 * 9 * 9 + 5), sparsity.filter("case_id = 'tiny.relu.serial'").count());
        // the error is measured on the sequences the seeded split holds out, and only on them
        SparsityConfig split = cfg.sparsity();
        long heldOut = TokenBatches.read(spark, tokens).select("seq_id").collectAsList().stream()
                .filter(r -> !split.isCalibration(r.getLong(0))).count();
        assertTrue(heldOut > 0 && heldOut < 14, "both sides of the split have sequences: " + heldOut);
        for (Row r : sparsity.filter("measure = 'ffn_out_error'").collectAsList()) {
            assertEquals(heldOut * 16, r.<Long>getAs("count"), r.toString());
            assertTrue(r.<Double>getAs("value") > 0 && r.<Double>getAs("value") < 2, r.toString());
        }
        // zeroing ReLU's exact zeros changes nothing: below the share of zeros, the error is 0 (to rounding)
        for (Row r : sparsity.filter("case_id = 'tiny.relu.serial' AND site = 'ffn_act' AND measure = 'ffn_out_error' AND target <= 0.3")
                .collectAsList()) {
            assertTrue(r.<Double>getAs("value") < 1e-6, r.toString());
        }
        Dataset<Row> stats = spark.read().parquet(run.dir().resolve("stats.parquet").toString());
        for (int layer : new int[] {0, 1}) {
            String where = "case_id = 'tiny.relu.serial' AND layer = " + layer + " AND site = 'ffn_act'";
            double zeroFrac = stats.filter(where).first().getAs("zero_frac");
            assertTrue(zeroFrac > 0.3 && zeroFrac < 0.7, "ReLU zeros about half: " + zeroFrac);
            Row oneToken = sparsity.filter(where + " AND measure = 'active_fraction' AND window = 1").first();
            assertEquals(1 - zeroFrac, oneToken.<Double>getAs("value"), 1e-12);
            assertEquals(14L * 16, oneToken.<Long>getAs("count"));
            for (Row r : sparsity.filter(where + " AND measure = 'achieved_sparsity'").collectAsList()) {
                double target = r.getAs("target"), achieved = r.getAs("value");
                assertTrue(achieved >= target, r.toString());
                if (target <= zeroFrac) assertEquals(zeroFrac, achieved, 1e-12, r.toString());
            }
            Row half = sparsity.filter(where + " AND measure = 'threshold' AND target = 0.3").first();
            assertEquals(Float.MIN_VALUE, (float) (double) half.<Double>getAs("value"), "30% of a ReLU hidden are exact zeros");
            // the FFN input of a serial pre-LN block is mlp_norm's tensor: the same number of values
            long ffnIn = sparsity.filter("case_id = 'tiny.relu.serial' AND layer = " + layer + " AND site = 'ffn_in' AND measure = 'threshold'")
                    .first().getAs("count");
            assertEquals(stats.filter("case_id = 'tiny.relu.serial' AND layer = " + layer + " AND site = 'mlp_norm'").first().<Long>getAs("count"), ffnIn);
        }
        // the gate of SwiGLU has no exact zeros, so every neuron is active in a window of any length
        Row swiglu = sparsity.filter("case_id = 'tiny.swiglu.serial' AND layer = 0 AND measure = 'active_fraction' AND window = 0").first();
        assertEquals(1.0, swiglu.<Double>getAs("value"), 1e-12);
        assertEquals(14L, swiglu.<Long>getAs("count"), "one whole-sequence window per sequence");
        String md = Files.readString(run.dir().resolve("summary.md"));
        assertTrue(md.contains("## Activation sparsity: magnitude thresholds") && md.contains("| tiny.relu.serial | 0 | ffn_act | 0⁺ |"), md);
        assertTrue(md.contains("## Activation sparsity: measured error on held-out sequences"), md);
        // the report draws the three sparsity charts
        Path out = dir.resolve("sparsity-report-" + System.nanoTime());
        String page = Files.readString(ffnbench.report.ReportJob.write(spark, List.of(run.dir()), out));
        for (String chart : new String[] {"sparsity-vs-threshold.png", "sparsity-error.png", "aggregated-sparsity.png"}) {
            assertTrue(Files.size(out.resolve(chart)) > 1000, chart);
        }
        assertTrue(page.contains("against the share zeroed, on held-out sequences"), "the error chart's caption");
    }

    /** The ReLU exact-zero fraction equals an independent count on the collected FFN pre-activations. */
    @Test
    void reluZeroFractionMatchesIndependentComputation() throws Exception {
        BenchConfig cfg = config(MODEL.replace("[0, 1]", "[0]") + ", \"variants\": [\"relu\"], \"formulations\": [\"serial\"]}", Map.of());
        BenchJob.Run run = run(cfg);
        SiteStats act = run.stats().get("tiny.relu.serial").sites().get("0/ffn_act");
        SiteStats pre = run.stats().get("tiny.relu.serial").sites().get("0/ffn_preact");
        // ReLU output is exactly zero where the pre-activation is ≤ 0
        assertEquals(pre.negatives() + pre.zeros(), act.zeros());
        // and directly from the collected tokens through the library
        ffnbench.bench.BenchCase c = run.iterations().get(0).benchCase();
        ffnbench.model.TransformerLayer layer = ffnbench.runtime.LayerCache.get(c.weights().source(), c.weights().seed(), c.weights().overrides(), 0);
        long zeros = 0;
        for (Row r : TokenBatches.read(spark, tokens).collectAsList()) {
            List<Float> h = r.getList(3);
            float[] x = new float[h.size()];
            for (int i = 0; i < x.length; i++) x[i] = h.get(i);
            ffnbench.model.SiteCapture cap = new ffnbench.model.SiteCapture(java.util.EnumSet.of(ffnbench.model.Site.FFN_ACT));
            layer.forward(x, 16, ffnbench.model.Formulation.SERIAL, cap);
            for (float v : cap.get(ffnbench.model.Site.FFN_ACT).data()) if (v == 0f) zeros++;
        }
        assertEquals(zeros, act.zeros());
    }

    @Test
    void statisticsDoNotDependOnPartitioning() throws Exception {
        Map<Integer, CaseStats> byShards = new HashMap<>();
        for (int shards : new int[] {1, 3, 7, BenchJob.TREE_MERGE_ABOVE + 6}) {   // the last merges in two levels
            BenchConfig cfg = config(MODEL + ", \"variants\": [\"swiglu\"], \"formulations\": [\"parallel\"]}",
                    Map.of("shards", Integer.toString(shards), "sparsity.windows", SPARSITY_WINDOWS, "sparsity.measure_error", "true"));
            byShards.put(shards, run(cfg).stats().get("tiny.swiglu.parallel"));
        }
        CaseStats one = byShards.get(1);
        for (int shards : new int[] {3, 7, BenchJob.TREE_MERGE_ABOVE + 6}) assertSameStats(one, byShards.get(shards));
    }

    /** A mixture-of-experts layer runs data-parallel like a dense one: every block, statistics free of the partitioning. */
    @Test
    void mixtureOfExpertsRunsWithStatisticsFreeOfThePartitioning() throws Exception {
        String moe = "{\"name\": \"moe\", \"source\": \"preset:mixtral\", \"seed\": 3, \"set\": {\"d_model\": 64, \"heads\": 4,"
                + " \"kv_heads\": 2, \"d_ff\": 32, \"experts\": 4, \"layers\": 2}, \"layers\": [0, 1],"
                + " \"formulations\": [\"serial\", \"parallel\", \"parallel-two-norms\"]}";
        BenchJob.Run one = run(config(moe, Map.of("shards", "1")));
        BenchJob.Run three = run(config(moe, Map.of("shards", "3")));
        for (String id : List.of("moe.swiglu.serial", "moe.swiglu.parallel", "moe.swiglu.parallel-two-norms")) {
            assertSameStats(one.stats().get(id), three.stats().get(id));
            assertTrue(one.stats().get(id).sites().containsKey("1/ffn_out"), id + ": " + one.stats().get(id).sites().keySet());
        }
        assertTrue(one.iterations().stream().allMatch(r -> r.tokens() == 14 * 16 && r.flops() > 0
                && r.stage(ffnbench.model.StageTimes.Stage.ROUTER) > 0 && r.stage(ffnbench.model.StageTimes.Stage.FFN_GEMM) > 0));
        // routing: every token's k = 2 choices counted, once per layer
        ffnbench.stats.RouterStats router = one.stats().get("moe.swiglu.serial").routers().get("1");
        assertEquals(14L * 16, router.tokens());
        assertEquals(14L * 16 * 2, java.util.Arrays.stream(router.routed()).sum());
        // each expert's hidden over its own tokens: the experts' tokens add up to k per token
        long expertTokens = 0;
        for (int e = 0; e < 4; e++) {
            ffnbench.stats.SiteStats act = one.stats().get("moe.swiglu.serial").sites().get("1/expert" + e + ".ffn_act");
            if (act != null) expertTokens += act.tokens();
        }
        assertEquals(14L * 16 * 2, expertTokens);
        Dataset<Row> moeTable = spark.read().parquet(one.dir().resolve("moe.parquet").toString());
        assertEquals(3 * 2, moeTable.count(), "a row per case and layer");
        Row first = moeTable.filter("case_id = 'moe.swiglu.serial' AND layer = 1").first();
        assertEquals(router.auxiliaryLoss(), first.<Double>getAs("aux_loss"), 0.0);
        assertEquals(List.of(1.0, 1.25, 2.0), first.getList(first.fieldIndex("capacity_factors")));
        assertTrue(Files.readString(one.dir().resolve("summary.md")).contains("## Mixture of experts: routing"));
        Path report = dir.resolve("moe-report-" + System.nanoTime());
        ffnbench.report.ReportJob.write(spark, List.of(one.dir()), report);
        for (String chart : new String[] {"moe-load.png", "moe-balance.png"}) assertTrue(Files.size(report.resolve(chart)) > 1000, chart);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchCase.expand(config(moe, Map.of("sparsity.measure_error", "true"))));
        assertTrue(e.getMessage().contains("mixture-of-experts") && e.getMessage().contains("sparsity"), e.getMessage());
    }

    /**
     * Expert parallelism (two shuffles per layer) computes the data-parallel results: identical counts
     * and first-layer routing, the rest within float32 rounding (an expert's GEMM batches other tokens);
     * and its own statistics are identical over 1, 3 and 7 shards and after an injected task failure.
     */
    @Test
    void expertParallelGivesTheDataParallelResults() throws Exception {
        String moe = "{\"name\": \"moe\", \"source\": \"preset:mixtral\", \"seed\": 3, \"set\": {\"d_model\": 64, \"heads\": 4,"
                + " \"kv_heads\": 2, \"d_ff\": 32, \"experts\": 4, \"layers\": 2, \"capacity_factor\": [0, 1.0]}, \"layers\": [0, 1],"
                + " \"formulations\": [\"serial\", \"parallel\"], \"moe_strategy\": [\"data_parallel\", \"expert_parallel\"],"
                + " \"expert_partitions\": 3}";
        BenchJob.Run both = run(config(moe, Map.of("shards", "3")));
        for (String stem : List.of("moe.swiglu.serial", "moe.swiglu.parallel")) {
            for (String capacity : List.of("0", "1.0")) {
                String tail = ".capacity_factor-" + capacity + ".moe_strategy-";
                CaseStats dp = both.stats().get(stem + tail + "data_parallel"), ep = both.stats().get(stem + tail + "expert_parallel");
                assertEquals(dp.routers().get("0"), ep.routers().get("0"), stem + tail + ": layer 0's routing is identical");
                assertEquals(dp.sites().keySet(), ep.sites().keySet());
                for (String key : dp.sites().keySet()) {
                    SiteStats x = dp.sites().get(key), y = ep.sites().get(key);
                    assertEquals(x.count(), y.count(), key);
                    assertEquals(x.moments().mean(), y.moments().mean(), 1e-5 * Math.max(1e-3, Math.abs(x.moments().mean())), key);
                    assertEquals(x.moments().variance(), y.moments().variance(), 1e-5 * x.moments().variance(), key);
                    assertEquals(x.max(), y.max(), 1e-5 * Math.abs(x.max()), key);
                }
            }
        }
        java.util.function.Function<String, List<IterationResult>> iterationsOf = id -> both.iterations().stream()
                .filter(r -> r.benchCase().id().equals(id)).toList();
        String ep = "moe.swiglu.serial.capacity_factor-0.moe_strategy-expert_parallel";
        String dp = "moe.swiglu.serial.capacity_factor-0.moe_strategy-data_parallel";
        assertTrue(iterationsOf.apply(ep).stream().allMatch(r -> r.tokens() == 14 * 16 && r.shuffle().bytesWritten() > 0
                && r.stage(ffnbench.model.StageTimes.Stage.COMBINE) > 0 && r.stage(ffnbench.model.StageTimes.Stage.ROUTER) > 0));
        assertEquals(iterationsOf.apply(dp).get(0).flops(), iterationsOf.apply(ep).get(0).flops());
        assertTrue(iterationsOf.apply(ep).get(0).shuffle().bytesWritten() > 2 * iterationsOf.apply(dp).get(0).shuffle().bytesWritten(),
                "tokens travel to their experts and back");
        BenchCase epCase = iterationsOf.apply(ep).get(0).benchCase();
        double planned = ffnbench.bench.MemoryPlan.expertPlan(epCase, 14 * 16).shuffleBytes();
        double written = iterationsOf.apply(ep).get(0).shuffle().bytesWritten();
        assertTrue(written > 0.3 * planned && written < 1.5 * planned, "the planner's shuffle volume " + planned + " vs " + written);
        assertEquals(2, ffnbench.bench.MemoryPlan.expertPlan(epCase, 1).expertsPerPartition(), "4 experts on 3 partitions");

        // with the experts' GEMMs over one sequence at a time, as data parallelism runs them, the
        // shuffles and the combine change nothing: the statistics are identical
        String perSequence = moe.replace("\"expert_partitions\": 3", "\"expert_partitions\": 3, \"expert_batches\": \"per_sequence\"");
        BenchJob.Run batchedLikeDp = run(config(perSequence, Map.of("shards", "3")));
        for (String stem : List.of("moe.swiglu.serial", "moe.swiglu.parallel")) {
            String tail = ".capacity_factor-1.0.moe_strategy-";
            assertSameStats(batchedLikeDp.stats().get(stem + tail + "data_parallel"), batchedLikeDp.stats().get(stem + tail + "expert_parallel"));
        }

        String epOnly = moe.replace("\"data_parallel\", ", "").replace("[0, 1.0]", "[1.0]");
        String id = "moe.swiglu.serial";
        BenchJob.Run one = run(config(epOnly, Map.of("shards", "1")));
        for (String shards : List.of("3", "7")) assertSameStats(one.stats().get(id), run(config(epOnly, Map.of("shards", shards))).stats().get(id));
        BenchJob.Run faulty = run(config(epOnly, Map.of("shards", "3", "fault.fail_first_attempt_of_partition", "1")));
        assertTrue(faulty.iterations().stream().allMatch(IterationResult::retried));
        assertSameStats(one.stats().get(id), faulty.stats().get(id));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchCase.expand(config(moe.replace("\"expert_partitions\": 3", "\"expert_partitions\": 5"), Map.of())));
        assertTrue(e.getMessage().contains("expert_partitions") && e.getMessage().contains("4 experts"), e.getMessage());
    }

    @Test
    void checkpointWeightsAreBroadcastOnceAndGiveTheSameResults() throws Exception {
        // an ffnbench-layers checkpoint holding exactly the seeded weights of MODEL's two layers
        java.util.Map<String, String> set = Map.of("d_model", "64", "heads", "4", "kv_heads", "2", "d_ff", "96");
        java.util.Map<Integer, ffnbench.model.LayerWeights> layers = new HashMap<>();
        for (int l : new int[] {0, 1}) layers.put(l, ffnbench.weights.ModelSource.load("preset:llama", l, 3, set).weights());
        Path ckpt = dir.resolve("ckpt-" + System.nanoTime());
        ffnbench.weights.LayerCheckpoint.write(ckpt, ffnbench.weights.ModelSource.config("preset:llama", set), layers);
        long before = ffnbench.runtime.LayerCache.BUILT_FROM_SHIPPED.sum();
        BenchConfig fromCheckpoint = config("{\"name\": \"tiny\", \"source\": \"" + ckpt + "\", \"layers\": [0, 1], "
                + "\"formulations\": [\"serial\"]}", Map.of());
        CaseStats shipped = run(fromCheckpoint).stats().get("tiny.swiglu.serial");
        assertEquals(2, ffnbench.runtime.LayerCache.BUILT_FROM_SHIPPED.sum() - before, "both layers built from the broadcast");
        CaseStats seeded = run(config(MODEL + ", \"formulations\": [\"serial\"]}", Map.of())).stats().get("tiny.swiglu.serial");
        assertSameStats(seeded, shipped);
    }

    @Test
    void injectedTaskFailureIsRetriedAndMarked() throws Exception {
        String m = MODEL + ", \"variants\": [\"swiglu\"], \"formulations\": [\"serial\"]}";
        Map<String, String> sparsity = Map.of("sparsity.windows", SPARSITY_WINDOWS, "sparsity.measure_error", "true");
        BenchJob.Run clean = run(config(m, sparsity));
        Map<String, String> withFault = new HashMap<>(sparsity);
        withFault.put("fault.fail_first_attempt_of_partition", "1");
        BenchJob.Run faulty = run(config(m, withFault));
        assertTrue(faulty.iterations().stream().allMatch(IterationResult::retried));
        assertFalse(clean.iterations().stream().anyMatch(IterationResult::retried));
        assertSameStats(clean.stats().get("tiny.swiglu.serial"), faulty.stats().get("tiny.swiglu.serial"));
        assertTrue(Files.readString(faulty.dir().resolve("summary.json")).contains("\"retried_tasks\" : true"));
    }

    /**
     * Cases that differ only in formulation are measured interleaved, an iteration of each in turn
     * (warm-ups too), and the next group starts when both have stopped.
     */
    @Test
    void comparedCasesAreMeasuredInterleaved() throws Exception {
        String m = MODEL + ", \"layers\": [0], \"variants\": [\"swiglu\", \"gelu\"], \"formulations\": [\"serial\", \"parallel\"]}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BenchJob.Run r = new BenchJob(spark, config(m, Map.of("iterations.warmup", "1")), new PrintStream(out, true, "UTF-8")).run();
        List<String> steps = out.toString("UTF-8").lines().map(String::trim)
                .filter(l -> l.matches("tiny\\.\\S+ (warm-up|iteration) \\d+: .*")).map(l -> l.substring(0, l.indexOf(':'))).toList();
        List<String> expected = new java.util.ArrayList<>();
        for (String variant : List.of("swiglu", "gelu")) {
            for (String step : List.of("warm-up 1", "iteration 1", "iteration 2")) {
                for (String f : List.of("serial", "parallel")) expected.add("tiny." + variant + "." + f + " " + step);
            }
        }
        assertEquals(expected, steps);
        assertEquals(8, r.iterations().size(), "2 measured iterations of each of the 4 cases");
        String summary = Files.readString(r.dir().resolve("summary.md"));
        assertTrue(summary.indexOf("| tiny.swiglu.serial |") < summary.indexOf("| tiny.gelu.parallel |"), "tables keep the config's case order");
    }

    /** Windows of the sparsity analysis in the partitioning and retry tests (the sequences have 16 tokens). */
    static final String SPARSITY_WINDOWS = "[1, 3, 8, \"sequence\"]";

    static void assertSameStats(CaseStats a, CaseStats b) {
        assertEquals(a.sparsity(), b.sparsity(), "sparsity statistics are integer counts: identical");
        assertEquals(a.errors(), b.errors(), "measured sparsity errors are exact sums: identical");
        assertEquals(a.routers(), b.routers(), "router statistics are counts and exact sums: identical");
        assertEquals(a.sites().keySet(), b.sites().keySet());
        for (String key : a.sites().keySet()) {
            SiteStats x = a.sites().get(key), y = b.sites().get(key);
            assertEquals(x.count(), y.count(), key);
            assertEquals(x.zeros(), y.zeros(), key);
            assertEquals(x.nearZero(), y.nearZero(), key);
            assertEquals(x.negatives(), y.negatives(), key);
            org.junit.jupiter.api.Assertions.assertArrayEquals(x.histogram(), y.histogram(), key);
            org.junit.jupiter.api.Assertions.assertArrayEquals(x.firing(), y.firing(), key);
            org.junit.jupiter.api.Assertions.assertArrayEquals(x.overThreshold(), y.overThreshold(), key);
            assertEquals(x.min(), y.min(), key);
            assertEquals(x.max(), y.max(), key);
            for (double q : new double[] {0, 0.001, 0.01, 0.5, 0.99, 0.999, 1}) assertEquals(x.quantile(q), y.quantile(q), 0, key + " q" + q);
            assertRelative(x.moments().mean(), y.moments().mean(), key + " mean");
            assertRelative(x.moments().variance(), y.moments().variance(), key + " variance");
            assertRelative(x.moments().skewness(), y.moments().skewness(), key + " skewness");
            assertRelative(x.moments().kurtosis(), y.moments().kurtosis(), key + " kurtosis");
        }
    }

    static void assertRelative(double a, double b, String what) {
        assertEquals(a, b, 1e-9 * Math.max(Math.abs(a), 1e-300), what);
    }

    // ---- bad inputs: clear errors, and no run directory left behind ---------------------------

    private static String badRun(BenchConfig cfg) {
        Path runs = dir.resolve("runs");
        List<Path> before = listing(runs);
        Exception e = assertThrows(Exception.class, () -> run(cfg));
        assertEquals(before, listing(runs), "a failed run leaves no directory behind");
        return e.getMessage();
    }

    private static List<Path> listing(Path p) {
        if (!Files.isDirectory(p)) return List.of();
        try (Stream<Path> s = Files.list(p)) {
            return s.sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String writeRows(String name, List<Row> rows) {
        String path = dir.resolve(name).toString();
        spark.createDataFrame(rows, TokenBatches.SCHEMA).write().parquet(path);
        return path;
    }

    private static String model(String extra) {
        return MODEL + ", \"variants\": [\"swiglu\"], \"formulations\": [\"serial\"]" + extra + "}";
    }

    @Test
    void missingColumnIsNamed() throws Exception {
        String path = dir.resolve("renamed.parquet").toString();
        TokenBatches.read(spark, tokens).withColumnRenamed("hidden", "hidden_states").write().parquet(path);
        String msg = badRun(config(model(""), Map.of("data.input", "\"" + path + "\"")));
        assertTrue(msg.contains("hidden") && msg.contains("hidden_states"), msg);
    }

    @Test
    void dModelMismatchIsRefusedBeforeWork() throws Exception {
        String msg = badRun(config(model("").replace("\"d_model\": 64", "\"d_model\": 128"), Map.of()));
        assertTrue(msg.contains("d_model") && msg.contains("64") && msg.contains("128"), msg);
    }

    @Test
    void raggedSequenceIsNamed() throws Exception {
        List<Row> rows = new ArrayList<>();
        rows.add(RowFactory.create(0L, 16, 64, new float[16 * 64]));
        rows.add(RowFactory.create(1L, 16, 64, new float[16 * 64 - 3]));
        String path = writeRows("ragged.parquet", rows);
        String msg = badRun(config(model(""), Map.of("data.input", "\"" + path + "\"")));
        assertTrue(msg.contains("ragged") && msg.contains("sequence 1"), msg);
    }

    /** The CPU path reads Spark's internal rows directly (no typed-UDF conversion): a null value must still be an error. */
    @Test
    void nullValueInHiddenIsNamed() throws Exception {
        Float[] hidden = new Float[16 * 64];
        java.util.Arrays.fill(hidden, 0.5f);
        hidden[7] = null;
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType();
        for (org.apache.spark.sql.types.StructField f : TokenBatches.SCHEMA.fields()) {
            schema = schema.add(f.name().equals("hidden")
                    ? new org.apache.spark.sql.types.StructField("hidden", org.apache.spark.sql.types.DataTypes.createArrayType(
                            org.apache.spark.sql.types.DataTypes.FloatType, true), f.nullable(), f.metadata())
                    : f);
        }
        String path = dir.resolve("nulls.parquet").toString();
        spark.createDataFrame(List.of(RowFactory.create(3L, 16, 64, java.util.Arrays.asList(hidden))), schema).write().parquet(path);
        String msg = badRun(config(model(""), Map.of("data.input", "\"" + path + "\"")));
        assertTrue(msg.contains("null") && msg.contains("sequence 3") && msg.contains("index 7"), msg);
    }

    @Test
    void nonFiniteInputsAreCountedAndSkippedOrFail() throws Exception {
        List<Row> rows = new ArrayList<>();
        float[] good = TokenGenerator.class.isAnnotation() ? null : new TokenGenerator(1, 64, TokenGenerator.Distribution.GAUSSIAN).sequence(0, 16);
        float[] bad = good.clone();
        bad[5] = Float.NaN;
        float[] inf = good.clone();
        inf[9] = Float.NEGATIVE_INFINITY;
        rows.add(RowFactory.create(0L, 16, 64, good));
        rows.add(RowFactory.create(1L, 16, 64, bad));
        rows.add(RowFactory.create(2L, 16, 64, inf));
        String path = writeRows("nan.parquet", rows);
        BenchJob.Run run = run(config(model(""), Map.of("data.input", "\"" + path + "\"", "max_skipped_fraction", "0.7")));
        assertEquals(2, run.iterations().get(0).skippedSequences());
        assertEquals(16, run.iterations().get(0).tokens());
        assertEquals(2, run.stats().get("tiny.swiglu.serial").rowsSkipped());
        // said where a user looks: summary.json's warnings, summary.md
        String warning = "case tiny.swiglu.serial skipped 2 sequence(s) with NaN/Inf in hidden";
        assertTrue(Files.readString(run.dir().resolve("summary.json")).contains(warning));
        assertTrue(Files.readString(run.dir().resolve("summary.md")).contains(warning));
        // more than max_skipped_fraction (default 1%) skipped: the case fails, with the counts
        String msg = badRun(config(model(""), Map.of("data.input", "\"" + path + "\"")));
        assertTrue(msg.contains("skipped 2 of 3 sequences") && msg.contains("max_skipped_fraction 0.01"), msg);
        msg = badRun(config(model(""), Map.of("data.input", "\"" + path + "\"", "on_nonfinite", "fail")));
        assertTrue(msg.contains("NaN") && msg.contains("sequence"), msg);
    }

    /**
     * Finite weights and a finite input whose product overflows float32 inside the layers (attention
     * scores of 1e30-scale weights) are an error of the case, naming the layer and the site.
     */
    @Test
    void nonFiniteValuesAppearingInsideTheLayersFailTheCase() throws Exception {
        int d = 64, f = 96;
        Map<String, ffnbench.weights.Safetensors.Tensor> w = new java.util.LinkedHashMap<>();
        String p = "model.layers.0.";
        java.util.function.BiConsumer<String, long[]> put = (name, shape) -> {
            float[] a = new float[(int) java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
            java.util.Arrays.fill(a, name.endsWith("norm.weight") ? 1f : 1e30f);
            w.put(p + name, new ffnbench.weights.Safetensors.Tensor(shape, a));
        };
        put.accept("input_layernorm.weight", new long[] {d});
        put.accept("post_attention_layernorm.weight", new long[] {d});
        for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "o_proj"}) put.accept("self_attn." + proj + ".weight", new long[] {d, d});
        put.accept("mlp.gate_proj.weight", new long[] {f, d});
        put.accept("mlp.up_proj.weight", new long[] {f, d});
        put.accept("mlp.down_proj.weight", new long[] {d, f});
        Path ckpt = Files.createDirectories(dir.resolve("overflowing-checkpoint"));
        Files.writeString(ckpt.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":96,"
                + "\"num_attention_heads\":4,\"num_key_value_heads\":4,\"rms_norm_eps\":1e-5,\"hidden_act\":\"silu\",\"num_hidden_layers\":1}");
        ffnbench.weights.Safetensors.write(ckpt.resolve("model.safetensors"), w, ffnbench.weights.Safetensors.DType.F32);
        String path = writeRows("d64.parquet", List.of(RowFactory.create(0L, 16, 64,
                new TokenGenerator(1, 64, TokenGenerator.Distribution.GAUSSIAN).sequence(0, 16))));
        String msg = badRun(config("{\"name\": \"big\", \"source\": \"" + ckpt + "\"}", Map.of("data.input", "\"" + path + "\"")));
        assertTrue(msg.contains("sequence 0 is finite, but layer 0 produced") && msg.contains("at site "), msg);
    }

    @Test
    void emptyInputIsRefused() throws Exception {
        String path = writeRows("empty.parquet", List.of());
        String msg = badRun(config(model(""), Map.of("data.input", "\"" + path + "\"")));
        assertTrue(msg.contains("no sequences"), msg);
    }

    @Test
    void unknownVariantIsRefusedBeforeWork() throws Exception {
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> config(MODEL + ", \"variants\": [\"swishglu\"]}", Map.of()));
        assertTrue(e.getMessage().contains("variants") && e.getMessage().contains("swishglu") && e.getMessage().contains("swiglu"),
                e.getMessage());
    }

    @Test
    void unreadableParquetIsNamed() throws Exception {
        Path junk = dir.resolve("junk.parquet");
        Files.createDirectories(junk);
        Files.writeString(junk.resolve("part-0.parquet"), "this is not parquet");
        String msg = badRun(config(model(""), Map.of("data.input", "\"" + junk + "\"")));
        assertTrue(msg.contains(junk.toString()), msg);
    }
}
