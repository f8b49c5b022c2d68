package ffnbench.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ffnbench.bench.Comparison;
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
        if (runDirs.size() < 2) throw new IllegalArgumentException("compare needs a base run and at least one other run directory");
        List<ReportJob.RunDir> runs = new ArrayList<>();
        for (Path p : runDirs) runs.add(ReportJob.open(p));
        List<Comparison.Row> rows = new ArrayList<>();
        Map<String, List<String>> unmatched = new LinkedHashMap<>();
        ReportJob.RunDir base = runs.get(0);
        for (Comparison.Metric m : metrics) {
            Map<String, double[]> b = iterations(spark, base, m.column());
            for (ReportJob.RunDir other : runs.subList(1, runs.size())) {
                Map<String, double[]> o = iterations(spark, other, m.column());
                rows.addAll(Comparison.compare(m, base.id(), b, other.id(), o, thresholdPct));
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
            .add("significant", DataTypes.BooleanType).add("regression", DataTypes.BooleanType);

    private static Row toRow(Comparison.Row r) {
        return RowFactory.create(r.metric(), r.caseId(), r.baseRun(), r.otherRun(), r.nBase(), r.nOther(), r.baseMean(),
                r.otherMean(), r.changePct(), r.ciLowPct(), r.ciHighPct(), r.significant(), r.regression());
    }

    /** Per case, the metric's value in each measured iteration (iteration order). */
    private static Map<String, double[]> iterations(SparkSession spark, ReportJob.RunDir run, String column) {
        Map<String, List<Double>> byCase = new LinkedHashMap<>();
        for (Row r : spark.read().parquet(run.dir().resolve("timings.parquet").toString())
                .select("case_id", "iteration", column).orderBy("case_id", "iteration").collectAsList()) {
            byCase.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(((Number) r.get(2)).doubleValue());
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        byCase.forEach((k, v) -> out.put(k, v.stream().mapToDouble(Double::doubleValue).toArray()));
        return out;
    }
}
