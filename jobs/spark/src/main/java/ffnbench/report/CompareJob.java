package ffnbench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ffnbench.analysis.Comparison;
import ffnbench.report.ReportJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code compare} job: the first run (or study) directory is the base, every further one is
 * compared with it, case by case (matched by case id), for each metric. Writes
 * {@code compare.md}, {@code compare.json} and {@code compare.parquet} (one row per metric, pair
 * and case) and returns the rows; the caller turns regressions into an exit code.
 */
public final class CompareJob {
    private CompareJob() {}

    /** Everything one comparison produced. */
    public record Result(List<Comparison.Row> rows, Map<String, List<String>> unmatched, String markdown) {
        public List<Comparison.Row> regressions() {
            return rows.stream().filter(Comparison.Row::regression).toList();
        }
    }

    public static Result run(SparkSession spark, List<Path> runDirs, List<Comparison.Metric> metrics, double thresholdPct,
                             Path out) throws IOException {
        return run(spark, runDirs, metrics, thresholdPct, out, null);
    }

    /**
     * As above; with {@code within = {A, B}} each run is compared with itself instead: every case whose
     * id has the segment A (e.g. {@code serial}) against the case with B in its place (e.g.
     * {@code parallel}), so the typical pair "serial vs parallel" needs one run.
     */
    public static Result run(SparkSession spark, List<Path> runDirs, List<Comparison.Metric> metrics, double thresholdPct,
                             Path out, String[] within) throws IOException {
        if (within == null && runDirs.size() < 2) {
            throw new IllegalArgumentException("compare needs a base run and at least one other run directory (or --within A=B)");
        }
        List<ReportJob.RunDir> runs = new ArrayList<>();
        for (Path p : runDirs) runs.add(ReportJob.open(p));
        List<Comparison.Row> rows = new ArrayList<>();
        Map<String, List<String>> unmatched = new LinkedHashMap<>();
        ReportJob.RunDir base = runs.get(0);
        // each run's timings read once, all metrics at a time: metric → case → iterations
        List<Map<String, Map<String, double[]>>> timings = new ArrayList<>();
        for (ReportJob.RunDir r : runs) timings.add(iterations(spark, r, metrics));
        for (Comparison.Metric m : metrics) {
            if (within != null) {
                for (int i = 0; i < runs.size(); i++) {
                    ReportJob.RunDir r = runs.get(i);
                    Map<String, double[]> all = timings.get(i).get(m.column());
                    Map<String, double[]> a = withSegment(all, within[0], within[1]), b = withSegment(all, within[1], within[0]);
                    rows.addAll(Comparison.compare(m, r.id() + ":" + within[0], a, r.id() + ":" + within[1], b, thresholdPct));
                    unmatched.put(r.id() + ": " + within[0] + " only", Comparison.unmatched(a, b));
                    unmatched.put(r.id() + ": " + within[1] + " only", Comparison.unmatched(b, a));
                }
                continue;
            }
            Map<String, double[]> b = timings.get(0).get(m.column());
            for (int i = 1; i < runs.size(); i++) {
                ReportJob.RunDir other = runs.get(i);
                Map<String, double[]> o = timings.get(i).get(m.column());
                rows.addAll(Comparison.compare(m, base.id(), b, other.id(), o, thresholdPct,
                        RunDifferences.between(base.summary(), other.summary())));
                unmatched.put(base.id() + " only (vs " + other.id() + ")", Comparison.unmatched(b, o));
                unmatched.put(other.id() + " only", Comparison.unmatched(o, b));
            }
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("the runs share no case id, so nothing can be compared (case ids: "
                    + unmatched + "); compare runs of the same config");
        }
        StringBuilder md = new StringBuilder(Comparison.markdown(rows, thresholdPct));
        unmatched.forEach((k, v) -> { if (!v.isEmpty()) md.append("\nCases in ").append(k).append(": ").append(v).append('\n'); });
        Files.createDirectories(out);
        Files.writeString(out.resolve("compare.md"), md);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("threshold_pct", thresholdPct);
        json.put("base", base.id());
        json.put("rows", rows);
        json.put("unmatched", unmatched);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("compare.json").toFile(), json);
        spark.createDataFrame(rows.stream().map(CompareJob::toRow).toList(), SCHEMA).coalesce(1).write().mode("overwrite")
                .parquet(out.resolve("compare.parquet").toString());
        return new Result(rows, unmatched, md.toString());
    }

    static final StructType SCHEMA = new StructType()
            .add("metric", DataTypes.StringType).add("case_id", DataTypes.StringType)
            .add("base_run", DataTypes.StringType).add("other_run", DataTypes.StringType)
            .add("n_base", DataTypes.IntegerType).add("n_other", DataTypes.IntegerType)
            .add("base_mean", DataTypes.DoubleType).add("other_mean", DataTypes.DoubleType)
            .add("change_pct", DataTypes.DoubleType).add("ci_low_pct", DataTypes.DoubleType).add("ci_high_pct", DataTypes.DoubleType)
            .add("significant", DataTypes.BooleanType).add("regression", DataTypes.BooleanType)
            .add("inputs_differ", DataTypes.StringType).add("environment_differs", DataTypes.StringType)
            .add("verdict", DataTypes.StringType);

    private static Row toRow(Comparison.Row r) {
        return RowFactory.create(r.metric(), r.caseId(), r.baseRun(), r.otherRun(), r.nBase(), r.nOther(), r.baseMean(),
                r.otherMean(), r.changePct(), r.ciLowPct(), r.ciHighPct(), r.significant(), r.regression(), r.inputsDiffer(),
                r.environmentDiffers(), r.verdict());
    }

    /** The cases whose id has the dot-separated segment {@code seg}, keyed by the id with it written "seg|other". */
    static Map<String, double[]> withSegment(Map<String, double[]> byCase, String seg, String other) {
        Map<String, double[]> out = new LinkedHashMap<>();
        byCase.forEach((id, v) -> {
            List<String> parts = new ArrayList<>(List.of(id.split("\\.")));
            int i = parts.indexOf(seg);
            if (i < 0) return;
            String pair = seg.compareTo(other) < 0 ? seg + "|" + other : other + "|" + seg;
            parts.set(i, "{" + pair + "}");
            out.put(String.join(".", parts), v);
        });
        return out;
    }

    /**
     * Per metric and case, the metric's value in each clean measured iteration (iteration order), from
     * one read; iterations marked disturbed are left out, as in the run's own summary.
     */
    private static Map<String, Map<String, double[]>> iterations(SparkSession spark, ReportJob.RunDir run,
                                                                 List<Comparison.Metric> metrics) {
        List<org.apache.spark.sql.Column> columns = new ArrayList<>(List.of(functions.col("case_id"), functions.col("iteration")));
        for (Comparison.Metric m : metrics) columns.add(functions.col(m.column()));
        org.apache.spark.sql.Dataset<Row> timings = spark.read().parquet(run.dir().resolve("timings.parquet").toString());
        if (java.util.Arrays.asList(timings.columns()).contains("disturbed")) timings = timings.filter(functions.col("disturbed").isNull());
        List<Row> rows = timings
                .select(columns.toArray(new org.apache.spark.sql.Column[0])).orderBy("case_id", "iteration").collectAsList();
        Map<String, Map<String, double[]>> out = new LinkedHashMap<>();
        for (int k = 0; k < metrics.size(); k++) {
            Map<String, List<Double>> byCase = new LinkedHashMap<>();
            for (Row r : rows) byCase.computeIfAbsent(r.getString(0), x -> new ArrayList<>()).add(((Number) r.get(2 + k)).doubleValue());
            Map<String, double[]> values = new LinkedHashMap<>();
            byCase.forEach((id, v) -> values.put(id, v.stream().mapToDouble(Double::doubleValue).toArray()));
            out.put(metrics.get(k).column(), values);
        }
        return out;
    }
}
