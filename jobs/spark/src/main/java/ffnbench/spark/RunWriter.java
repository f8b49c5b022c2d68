package ffnbench.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ffnbench.bench.BenchCase;
import ffnbench.bench.BenchConfig;
import ffnbench.study.IterationResult;
import ffnbench.stats.CaseStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Writes a run directory: {@code timings.parquet} (one row per case and iteration),
 * {@code stats.parquet} (one row per case, layer and site), {@code moe.parquet} (one row per case and
 * mixture-of-experts layer), {@code sparsity.parquet} (the sparsity analysis, when on), {@code summary.json} (environment,
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

    private RunWriter() {}

    /**
     * Writes the run's files into {@code dir} (the run's working directory), naming paths as they
     * will be once {@code dir} is renamed to {@code finalDir}.
     */
    static void write(SparkSession spark, Path dir, Path finalDir, String runId, BenchConfig config, List<BenchCase> cases,
                      BenchJob.Run run, Map<String, String> inputByCase, List<Map<String, Object>> executors) throws IOException {
        List<IterationResult> iterations = run.iterations();
        Map<String, CaseStats> stats = run.stats();
        spark.createDataFrame(RunTables.TIMINGS.rows(iterations), RunTables.TIMINGS.schema()).coalesce(1)
                .write().parquet(dir.resolve("timings.parquet").toString());
        if (!stats.isEmpty()) {
            spark.createDataFrame(RunTables.STATS.rows(RunTables.siteRows(cases, stats)), RunTables.STATS.schema()).coalesce(1)
                    .write().parquet(dir.resolve("stats.parquet").toString());
        }
        List<RunTables.MoeRow> moe = RunTables.moeRows(cases, stats);
        if (!moe.isEmpty()) {
            spark.createDataFrame(RunTables.MOE.rows(moe), RunTables.MOE.schema()).coalesce(1)
                    .write().parquet(dir.resolve("moe.parquet").toString());
        }
        List<RunTables.SparsityRow> sparsity = RunTables.sparsityRows(cases, stats);
        if (!sparsity.isEmpty()) {
            spark.createDataFrame(RunTables.SPARSITY.rows(sparsity), RunTables.SPARSITY.schema()).coalesce(1)
                    .write().parquet(dir.resolve("sparsity.parquet").toString());
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("format_version", FORMAT_VERSION);
        summary.put("run_id", runId);
        Map<String, Object> environment = RunSummary.environment(spark, executors);
        summary.put("environment", environment);
        summary.put("config", config.describe());
        summary.put("inputs", InputIdentity.describe(spark, run.inputs(), dir, finalDir));
        List<Map<String, Object>> caseSummaries = new ArrayList<>();
        for (BenchCase c : cases) {
            Map<String, Object> cs = RunSummary.caseSummary(c, iterations, run.stops().get(c.id()), stats.get(c.id()));
            cs.put("input", InputIdentity.named(inputByCase.get(c.id()), dir, finalDir));
            caseSummaries.add(cs);
        }
        summary.put("cases", caseSummaries);
        List<Map<String, Object>> ratios = RunSummary.ratios(cases, iterations);
        summary.put("parallel_vs_serial", ratios);
        summary.put("retried_tasks", iterations.stream().anyMatch(IterationResult::retried));
        @SuppressWarnings("unchecked")
        List<String> warnings = new ArrayList<>((List<String>) environment.get("warnings"));
        warnings.addAll(skipWarnings(cases, caseSummaries));
        summary.put("warnings", warnings);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("summary.json").toFile(), summary);
        Files.writeString(dir.resolve("summary.md"), RunSummary.markdown(runId, caseSummaries, ratios, stats, cases, warnings));
    }

    /** One warning per case that skipped sequences (NaN/Inf in hidden), with the count. */
    static List<String> skipWarnings(List<BenchCase> cases, List<Map<String, Object>> caseSummaries) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            long skipped = ((Number) caseSummaries.get(i).get("skipped_sequences")).longValue();
            if (skipped > 0) {
                out.add("case " + cases.get(i).id() + " skipped " + skipped + " sequence(s) with NaN/Inf in hidden"
                        + " (on_nonfinite: skip): its figures and statistics cover the others");
            }
        }
        return out;
    }

}
