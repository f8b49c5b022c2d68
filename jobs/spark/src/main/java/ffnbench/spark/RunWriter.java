package ffnbench.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ffnbench.bench.BenchCase;
import ffnbench.bench.BenchConfig;
import ffnbench.analysis.Ci;
import ffnbench.study.IterationResult;
import ffnbench.model.Formulation;
import ffnbench.model.StageTimes;
import ffnbench.stats.CaseStats;
import ffnbench.stats.SiteStats;
import ffnbench.stats.StatsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a run directory: {@code timings.parquet} (one row per case and iteration),
 * {@code stats.parquet} (one row per case, layer and site), {@code summary.json} (environment,
 * config, per-case throughput with confidence intervals, serial/parallel ratios) and
 * {@code summary.md} (the headline tables). Column meanings: {@code docs/RESULTS.md}.
 */
public final class RunWriter {
    /**
     * Version of the run directory layout. 2: {@code environment.blas} is an object (implementation,
     * version, kernel, threads, …), with {@code environment.executors} and {@code environment.warnings};
     * in 1 it was a class name. Readers take both ({@link #OLDEST_READABLE_VERSION}).
     */
    public static final int FORMAT_VERSION = 2;
    public static final int OLDEST_READABLE_VERSION = 1;
    static final double[] QUANTILES = {0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999};
    /** LLM.int8 (Dettmers et al. 2022): |x| ≥ 6 on ≥ 6% of positions in ≥ 25% of layers. */
    static final double INT8_POSITION_FRACTION = 0.06;
    static final double INT8_LAYER_FRACTION = 0.25;
    private static final Pattern SECRET = Pattern.compile("(?i).*(secret|password|token|credential|key).*");

    private RunWriter() {}

    /**
     * Writes the run's files into {@code dir} (the run's working directory), naming paths as they
     * will be once {@code dir} is renamed to {@code finalDir}.
     */
    static void write(SparkSession spark, Path dir, Path finalDir, String runId, BenchConfig config, List<BenchCase> cases,
                      List<IterationResult> iterations, Map<String, CaseStats> stats,
                      Map<String, TokenBatches.Shape> inputs, List<Map<String, Object>> executors) throws IOException {
        spark.createDataFrame(TIMINGS.rows(iterations), TIMINGS.schema()).coalesce(1)
                .write().parquet(dir.resolve("timings.parquet").toString());
        if (!stats.isEmpty()) {
            spark.createDataFrame(STATS.rows(siteRows(cases, stats)), STATS.schema()).coalesce(1)
                    .write().parquet(dir.resolve("stats.parquet").toString());
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("format_version", FORMAT_VERSION);
        summary.put("run_id", runId);
        Map<String, Object> environment = environment(spark, executors);
        summary.put("environment", environment);
        summary.put("config", config.describe());
        summary.put("inputs", inputs(inputs, dir, finalDir));
        List<Map<String, Object>> caseSummaries = new ArrayList<>();
        for (BenchCase c : cases) caseSummaries.add(caseSummary(c, iterations, stats.get(c.id())));
        summary.put("cases", caseSummaries);
        List<Map<String, Object>> ratios = ratios(cases, iterations);
        summary.put("parallel_vs_serial", ratios);
        summary.put("retried_tasks", iterations.stream().anyMatch(IterationResult::retried));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("summary.json").toFile(), summary);
        @SuppressWarnings("unchecked")
        List<String> warnings = (List<String>) environment.get("warnings");
        Files.writeString(dir.resolve("summary.md"), markdown(runId, caseSummaries, ratios, stats, cases, warnings));
    }

    /** Each input's shape (snake_case fields), keyed by its path as it will be after the rename (generated data lives inside the run). */
    static Map<String, Object> inputs(Map<String, TokenBatches.Shape> inputs, Path dir, Path finalDir) {
        Map<String, Object> out = new LinkedHashMap<>();
        inputs.forEach((path, shape) -> {
            Path p = Path.of(path);
            String named = p.isAbsolute() && p.startsWith(dir) ? finalDir.resolve(dir.relativize(p)).toString() : path;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sequences", shape.sequences());
            m.put("tokens", shape.tokens());
            m.put("d_model", shape.dModel());
            m.put("min_seq_len", shape.minSeqLen());
            m.put("max_seq_len", shape.maxSeqLen());
            out.put(named, m);
        });
        return out;
    }

    // ---- timings ----------------------------------------------------------------------------

    /** {@code timings.parquet}: one row per case and measured iteration (docs/RESULTS.md). */
    static final Columns<IterationResult> TIMINGS = timingColumns();

    private static Columns<IterationResult> timingColumns() {
        Columns<IterationResult> t = new Columns<IterationResult>()
                .add("case_id", DataTypes.StringType, r -> r.benchCase().id())
                .add("model", DataTypes.StringType, r -> r.benchCase().model())
                .add("variant", DataTypes.StringType, r -> r.benchCase().variant())
                .add("formulation", DataTypes.StringType, r -> r.benchCase().formulation().id())
                .add("placement", DataTypes.StringType, r -> r.benchCase().placement().id())
                .add("d_model", DataTypes.IntegerType, r -> r.benchCase().dModel())
                .add("d_ff", DataTypes.IntegerType, r -> r.benchCase().config().dFf())
                .add("layers", DataTypes.StringType, r -> r.benchCase().layers().toString())
                .add("weights_dtype", DataTypes.StringType, r -> r.benchCase().weightsDtype())
                .add("seq_len", DataTypes.IntegerType, r -> r.benchCase().input() == null ? r.benchCase().seqLen() : null)
                .add("shards", DataTypes.IntegerType, r -> r.benchCase().shards())
                .add("sweep", DataTypes.StringType, r -> sweepLabel(r.benchCase()))
                .add("iteration", DataTypes.IntegerType, IterationResult::iteration)
                .add("wall_s", DataTypes.DoubleType, r -> r.wallNs() / 1e9)
                .add("tokens", DataTypes.LongType, IterationResult::tokens)
                .add("skipped_sequences", DataTypes.LongType, IterationResult::skippedSequences)
                .add("tokens_per_s", DataTypes.DoubleType, IterationResult::tokensPerSecond)
                .add("flops", DataTypes.LongType, IterationResult::flops)
                .add("gflops_per_s", DataTypes.DoubleType, IterationResult::gflops);
        for (StageTimes.Stage st : StageTimes.Stage.values()) t.add(st.id() + "_s", DataTypes.DoubleType, r -> r.stage(st) / 1e9);
        return t.add("function_s", DataTypes.DoubleType, r -> r.taskTotalNs() / 1e9)
                .add("tasks", DataTypes.LongType, IterationResult::tasks)
                .add("failed_task_attempts", DataTypes.LongType, IterationResult::failedAttempts)
                .add("retried", DataTypes.BooleanType, IterationResult::retried)
                .add("executor_run_s", DataTypes.DoubleType, r -> r.executorRunTimeMs() / 1e3)
                .add("executor_cpu_s", DataTypes.DoubleType, r -> r.executorCpuTimeNs() / 1e9)
                .add("gc_s", DataTypes.DoubleType, r -> r.gcTimeMs() / 1e3)
                .add("executors", DataTypes.IntegerType, IterationResult::executors);
    }

    /** The swept values of a case as "field=value,…" (empty when nothing is swept). */
    static String sweepLabel(BenchCase c) {
        return c.sweep().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(java.util.stream.Collectors.joining(","));
    }

    // ---- statistics -------------------------------------------------------------------------

    static String quantileColumn(double q) {
        return "p" + (q * 100 == Math.rint(q * 100) ? String.valueOf((int) (q * 100)) : String.valueOf(q * 100).replace('.', '_'));
    }

    /** One row of {@code stats.parquet}: a case's site in one layer, with the case's statistics settings. */
    record SiteRow(BenchCase benchCase, int layer, String site, SiteStats s, StatsConfig config) {
        double fraction(long count) {
            return (double) count / Math.max(1, s.count());
        }

        /** The channels with the largest max |x| and those maxima. */
        int[] topChannels() {
            return s.topChannels(config.topK());
        }

        float[] topChannelMaxAbs() {
            int[] top = topChannels();
            float[] maxAbs = s.channelMaxAbs(), out = new float[top.length];
            for (int i = 0; i < top.length; i++) out[i] = maxAbs[top[i]];
            return out;
        }

        Object ifRatios(java.util.function.Supplier<Object> value) {
            return s.hasTokenRatios() ? value.get() : null;
        }
    }

    /** {@code stats.parquet}: one row per case, layer and site (docs/RESULTS.md). */
    static final Columns<SiteRow> STATS = statsColumns();

    private static Columns<SiteRow> statsColumns() {
        Columns<SiteRow> t = new Columns<SiteRow>()
                .add("case_id", DataTypes.StringType, r -> r.benchCase().id())
                .add("model", DataTypes.StringType, r -> r.benchCase().model())
                .add("variant", DataTypes.StringType, r -> r.benchCase().variant())
                .add("formulation", DataTypes.StringType, r -> r.benchCase().formulation().id())
                .add("placement", DataTypes.StringType, r -> r.benchCase().placement().id())
                .add("layer", DataTypes.IntegerType, SiteRow::layer)
                .add("site", DataTypes.StringType, SiteRow::site)
                .add("width", DataTypes.IntegerType, r -> r.s().width())
                .add("tokens", DataTypes.LongType, r -> r.s().tokens())
                .add("count", DataTypes.LongType, r -> r.s().count())
                .add("mean", DataTypes.DoubleType, r -> r.s().moments().mean())
                .add("variance", DataTypes.DoubleType, r -> r.s().moments().variance())
                .add("std", DataTypes.DoubleType, r -> Math.sqrt(r.s().moments().variance()))
                .add("skewness", DataTypes.DoubleType, r -> r.s().moments().skewness())
                .add("kurtosis", DataTypes.DoubleType, r -> r.s().moments().kurtosis())
                .add("min", DataTypes.FloatType, r -> r.s().min())
                .add("max", DataTypes.FloatType, r -> r.s().max())
                .add("max_abs", DataTypes.FloatType, r -> r.s().maxAbs())
                .add("zero_frac", DataTypes.DoubleType, r -> r.fraction(r.s().zeros()))
                .add("near_zero_frac", DataTypes.DoubleType, r -> r.fraction(r.s().nearZero()))
                .add("negative_frac", DataTypes.DoubleType, r -> r.fraction(r.s().negatives()))
                .add("nan_count", DataTypes.LongType, r -> r.s().nanCount())
                .add("inf_count", DataTypes.LongType, r -> r.s().infCount());
        for (double q : QUANTILES) t.add(quantileColumn(q), DataTypes.FloatType, r -> r.s().quantile(q));
        return t.add("histogram", DataTypes.createArrayType(DataTypes.LongType), r -> boxed(r.s().histogram()))
                .add("histogram_low", DataTypes.DoubleType, r -> -r.config().histogramRange())
                .add("histogram_high", DataTypes.DoubleType, r -> r.config().histogramRange())
                .add("dead_neurons", DataTypes.IntegerType, r -> r.s().deadChannels())
                .add("dead_frac", DataTypes.DoubleType, r -> (double) r.s().deadChannels() / r.s().width())
                .add("mean_firing_rate", DataTypes.DoubleType, r -> r.s().meanFiringRate())
                .add("firing_counts", DataTypes.createArrayType(DataTypes.LongType), r -> boxed(r.s().firing()))
                .add("top_channels", DataTypes.createArrayType(DataTypes.IntegerType), r -> boxed(r.topChannels()))
                .add("top_channel_max_abs", DataTypes.createArrayType(DataTypes.FloatType), r -> boxed(r.topChannelMaxAbs()))
                .add("frequent_outlier_channels", DataTypes.createArrayType(DataTypes.IntegerType),
                        r -> boxed(r.s().frequentOutlierChannels(INT8_POSITION_FRACTION)))
                .add("max_token_ratio", DataTypes.DoubleType, r -> r.ifRatios(r.s()::maxTokenRatio))
                .add("mean_token_ratio", DataTypes.DoubleType, r -> r.ifRatios(r.s()::meanTokenRatio))
                .add("massive_tokens", DataTypes.LongType, r -> r.ifRatios(r.s()::massiveTokens))
                .add("channel_rms_kurtosis", DataTypes.DoubleType, r -> r.s().channelRmsKurtosis());
    }

    /** Every case's sites, in the cases' order. */
    static List<SiteRow> siteRows(List<BenchCase> cases, Map<String, CaseStats> stats) {
        List<SiteRow> rows = new ArrayList<>();
        for (BenchCase c : cases) {
            CaseStats cs = stats.get(c.id());
            if (cs == null) continue;
            for (Map.Entry<String, SiteStats> e : cs.sites().entrySet()) {
                String[] key = e.getKey().split("/", 2);
                rows.add(new SiteRow(c, Integer.parseInt(key[0]), key[1], e.getValue(), cs.config()));
            }
        }
        return rows;
    }

    private static List<Long> boxed(long[] a) {
        List<Long> l = new ArrayList<>(a.length);
        for (long x : a) l.add(x);
        return l;
    }

    private static List<Integer> boxed(int[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (int x : a) l.add(x);
        return l;
    }

    private static List<Float> boxed(float[] a) {
        List<Float> l = new ArrayList<>(a.length);
        for (float x : a) l.add(x);
        return l;
    }

    // ---- summary ----------------------------------------------------------------------------

    static double[] tokensPerSecond(List<IterationResult> iterations, String caseId) {
        return iterations.stream().filter(r -> r.benchCase().id().equals(caseId))
                .mapToDouble(IterationResult::tokensPerSecond).toArray();
    }

    static Map<String, Object> caseSummary(BenchCase c, List<IterationResult> iterations, CaseStats stats) {
        List<IterationResult> mine = iterations.stream().filter(r -> r.benchCase().id().equals(c.id())).toList();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("case_id", c.id());
        m.put("model", c.model());
        m.put("variant", c.variant());
        m.put("formulation", c.formulation().id());
        m.put("placement", c.placement().id());
        m.put("layers", c.layers());
        m.put("sweep", c.sweep());
        m.put("d_model", c.dModel());
        m.put("weights_dtype", c.weightsDtype());
        m.put("shards", c.shards());
        if (c.input() == null) {
            m.put("sequences", c.sequences());
            m.put("seq_len", c.seqLen());
        }
        m.put("model_config", c.config().describe());
        Ci.Interval tps = Ci.of(mine.stream().mapToDouble(IterationResult::tokensPerSecond).toArray());
        Ci.Interval gf = Ci.of(mine.stream().mapToDouble(IterationResult::gflops).toArray());
        m.put("tokens", mine.isEmpty() ? 0 : mine.get(0).tokens());
        m.put("tokens_per_s", tps.mean());
        m.put("tokens_per_s_ci95", tps.halfWidth());
        m.put("gflops_per_s", gf.mean());
        m.put("gflops_per_s_ci95", gf.halfWidth());
        Map<String, Double> stages = new LinkedHashMap<>();
        for (StageTimes.Stage s : StageTimes.Stage.values()) {
            stages.put(s.id() + "_s", mine.stream().mapToDouble(r -> r.stage(s) / 1e9).average().orElse(0));
        }
        stages.put("function_s", mine.stream().mapToDouble(r -> r.taskTotalNs() / 1e9).average().orElse(0));
        m.put("stage_seconds_summed_over_tasks", stages);
        m.put("retried", mine.stream().anyMatch(IterationResult::retried));
        m.put("skipped_sequences", mine.isEmpty() ? 0 : mine.get(0).skippedSequences());
        if (stats != null) m.put("llm_int8_outlier_channels", int8Outliers(c, stats));
        return m;
    }

    /** Per site: channels with |x| ≥ 6 on ≥ 6% of positions in ≥ 25% of the case's layers. */
    static Map<String, List<Integer>> int8Outliers(BenchCase c, CaseStats stats) {
        Map<String, int[]> layerCounts = new LinkedHashMap<>();
        for (Map.Entry<String, SiteStats> e : stats.sites().entrySet()) {
            String site = e.getKey().split("/", 2)[1];
            int[] counts = layerCounts.computeIfAbsent(site, k -> new int[e.getValue().width()]);
            for (int ch : e.getValue().frequentOutlierChannels(INT8_POSITION_FRACTION)) counts[ch]++;
        }
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        double need = Math.max(1, Math.ceil(INT8_LAYER_FRACTION * c.layers().size()));
        layerCounts.forEach((site, counts) -> {
            List<Integer> chans = new ArrayList<>();
            for (int ch = 0; ch < counts.length; ch++) if (counts[ch] >= need) chans.add(ch);
            if (!chans.isEmpty()) out.put(site, chans);
        });
        return out;
    }

    /** Parallel-over-serial throughput ratios (with 95% CI) for cases that differ only in formulation. */
    static List<Map<String, Object>> ratios(List<BenchCase> cases, List<IterationResult> iterations) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (BenchCase serial : cases) {
            if (serial.formulation() != Formulation.SERIAL) continue;
            for (BenchCase other : cases) {
                if (other.formulation() == Formulation.SERIAL || !other.model().equals(serial.model())
                        || !other.variant().equals(serial.variant()) || other.placement() != serial.placement()
                        || !other.sweep().equals(serial.sweep())) {
                    continue;
                }
                Ci.Interval r = Ci.ratio(tokensPerSecond(iterations, other.id()), tokensPerSecond(iterations, serial.id()));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", serial.model());
                m.put("variant", serial.variant());
                m.put("placement", serial.placement().id());
                m.put("formulation", other.formulation().id());
                m.put("d_model", serial.dModel());
                m.put("sweep", serial.sweep());
                m.put("serial_case", serial.id());
                m.put("speedup_over_serial", r.mean());
                m.put("ci95_low", r.low());
                m.put("ci95_high", r.high());
                out.add(m);
            }
        }
        return out;
    }

    /**
     * The run's environment. {@code blas} is the driver's; {@code executors} holds one record per
     * executor that ran tasks (its id, host, Java, CPU and BLAS); {@code warnings} joins the driver's
     * and the executors' backend warnings (each said once, with where it applies).
     */
    static Map<String, Object> environment(SparkSession spark, List<Map<String, Object>> executors) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("spark_version", spark.version());
        env.put("spark_master", spark.sparkContext().master());
        env.put("default_parallelism", spark.sparkContext().defaultParallelism());
        env.put("java_version", System.getProperty("java.version"));
        env.put("java_vm", System.getProperty("java.vm.name"));
        Map<String, Object> driver = SparkBackends.describeThisJvm();
        env.put("blas", driver.get("blas"));
        env.put("blas_native", ffnbench.backend.Blas.info().isNative());
        env.put("block_function", SparkBackends.backend(spark.sparkContext().getConf()));
        env.put("simd", ffnbench.backend.Simd.describe());
        env.put("executors", executors);
        env.put("warnings", warnings(driver, executors));
        env.put("cpu_model", cpuModel());
        env.put("driver_cores", Runtime.getRuntime().availableProcessors());
        env.put("git_revision", gitRevision());
        Map<String, String> conf = new java.util.TreeMap<>();
        for (scala.Tuple2<String, String> kv : spark.sparkContext().getConf().getAll()) {
            conf.put(kv._1(), SECRET.matcher(kv._1()).matches() ? "*********(redacted)" : kv._2());
        }
        env.put("spark_conf", conf);
        return env;
    }

    /** Each distinct warning once, naming the JVMs it applies to ("driver", "executor 1", …). */
    @SuppressWarnings("unchecked")
    static List<String> warnings(Map<String, Object> driver, List<Map<String, Object>> executors) {
        Map<String, List<String>> where = new LinkedHashMap<>();
        List<Map<String, Object>> jvms = new ArrayList<>();
        jvms.add(driver);
        jvms.addAll(executors);
        for (Map<String, Object> jvm : jvms) {
            String id = String.valueOf(jvm.get("executor_id"));
            String name = id.equals("driver") ? "driver" : "executor " + id;
            for (String w : (List<String>) jvm.getOrDefault("warnings", List.of())) {
                List<String> names = where.computeIfAbsent(w, k -> new ArrayList<>());
                if (!names.contains(name)) names.add(name);
            }
        }
        List<String> out = new ArrayList<>();
        where.forEach((w, names) -> out.add(String.join(", ", names) + ": " + w));
        return out;
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    static String gitRevision() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? out : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }

    // ---- Markdown ---------------------------------------------------------------------------

    static String markdown(String runId, List<Map<String, Object>> cases, List<Map<String, Object>> ratios,
                           Map<String, CaseStats> stats, List<BenchCase> benchCases, List<String> warnings) {
        StringBuilder md = new StringBuilder("# ffnbench run " + runId + "\n\n");
        if (!warnings.isEmpty()) {
            md.append("## Warnings\n\n");
            for (String w : warnings) md.append("- **warning**: ").append(w).append('\n');
            md.append('\n');
        }
        md.append("## Throughput\n\n");
        md.append("| case | tokens | tokens/s (±95% CI) | GFLOP/s | retried |\n|---|---:|---:|---:|---|\n");
        for (Map<String, Object> c : cases) {
            md.append(String.format("| %s | %,d | %,.0f ± %,.0f | %.1f | %s |%n", c.get("case_id"), (Long) c.get("tokens"),
                    (Double) c.get("tokens_per_s"), nanToZero((Double) c.get("tokens_per_s_ci95")),
                    (Double) c.get("gflops_per_s"), (Boolean) c.get("retried") ? "yes" : "no"));
        }
        if (!ratios.isEmpty()) {
            md.append("\n## Parallel vs serial (throughput ratio)\n\n| model | variant | formulation | sweep point | speedup | 95% CI |\n"
                    + "|---|---|---|---|---:|---|\n");
            for (Map<String, Object> r : ratios) {
                String point = ((Map<?, ?>) r.get("sweep")).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(java.util.stream.Collectors.joining(", "));
                md.append(String.format("| %s | %s | %s | %s | %.3f | [%.3f, %.3f] |%n", r.get("model"), r.get("variant"),
                        r.get("formulation"), point.isEmpty() ? "—" : point, (Double) r.get("speedup_over_serial"),
                        (Double) r.get("ci95_low"), (Double) r.get("ci95_high")));
            }
        }
        if (!stats.isEmpty()) {
            md.append("\n## Activations at ffn_act (after the non-linearity / gating)\n\n")
                    .append("| case | layer | zero | near-zero | negative | kurtosis | max abs | dead neurons | p50 | p99 |\n")
                    .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (BenchCase c : benchCases) {
                CaseStats cs = stats.get(c.id());
                if (cs == null) continue;
                cs.sites().forEach((key, s) -> {
                    if (!key.endsWith("/ffn_act")) return;
                    long n = Math.max(1, s.count());
                    md.append(String.format("| %s | %s | %.3f | %.3f | %.3f | %.1f | %.2f | %d/%d | %.3g | %.3g |%n", c.id(),
                            key.split("/")[0], (double) s.zeros() / n, (double) s.nearZero() / n, (double) s.negatives() / n,
                            s.moments().kurtosis(), s.maxAbs(), s.deadChannels(), s.width(), s.quantile(0.5), s.quantile(0.99)));
                });
            }
        }
        return md.toString();
    }

    private static double nanToZero(Double d) {
        return d == null || d.isNaN() ? 0 : d;
    }
}
