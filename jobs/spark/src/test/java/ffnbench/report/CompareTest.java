package ffnbench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.cli.CompareCommand;
import ffnbench.cli.Main;
import ffnbench.spark.RunWriter;
import ffnbench.spark.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** compare on two synthetic runs with a known difference: the numbers, the verdicts and the exit code. */
class CompareTest {
    @TempDir
    Path tmp;

    /** A minimal valid run directory whose timings hold the given tokens/s per case and iteration. */
    private Path run(String id, Map<String, double[]> tokensPerS) throws Exception {
        return run(id, tokensPerS, "");
    }

    /** As above, with more fields of summary.json ({@code ", \"cases\": […]"}). */
    private Path run(String id, Map<String, double[]> tokensPerS, String summaryFields) throws Exception {
        Path dir = tmp.resolve(id);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("summary.json"), "{\"format_version\": " + RunWriter.FORMAT_VERSION + ", \"run_id\": \"" + id + "\""
                + summaryFields + "}");
        List<Row> rows = new ArrayList<>();
        tokensPerS.forEach((c, v) -> {
            for (int i = 0; i < v.length; i++) rows.add(RowFactory.create(c, i, v[i], v[i] * 1e-3, 1e4 / v[i]));
        });
        StructType schema = new StructType().add("case_id", DataTypes.StringType).add("iteration", DataTypes.IntegerType)
                .add("tokens_per_s", DataTypes.DoubleType).add("gflops_per_s", DataTypes.DoubleType).add("wall_s", DataTypes.DoubleType);
        TestSpark.session().createDataFrame(rows, schema).write().parquet(dir.resolve("timings.parquet").toString());
        return dir;
    }

    @Test
    void knownDifferenceIsMeasuredAndFlagged() throws Exception {
        Path base = run("before", Map.of("m.swiglu.serial", new double[] {100, 102, 98}, "m.swiglu.parallel", new double[] {100, 110, 90},
                "m.gelu.serial", new double[] {50, 50, 50}));
        Path slower = run("after", Map.of("m.swiglu.serial", new double[] {80, 81.6, 78.4}, "m.swiglu.parallel", new double[] {101, 89, 112},
                "m.relu.serial", new double[] {1, 2, 3}));
        Path out = tmp.resolve("cmp");
        TestSpark.session();
        int code = Main.run("compare", base.toString(), slower.toString(), "--output", out.toString(), "--threshold", "5",
                "--master", "local[2]");
        assertEquals(CompareCommand.REGRESSION_EXIT, code, "a 20% significant slowdown beyond 5% is a regression");

        List<Row> rows = TestSpark.session().read().parquet(out.resolve("compare.parquet").toString())
                .filter("metric = 'tokens_per_s'").orderBy("case_id").collectAsList();
        assertEquals(2, rows.size(), "only the cases both runs have");
        Row parallel = rows.get(0), serial = rows.get(1);
        assertEquals("m.swiglu.serial", serial.getAs("case_id"));
        assertEquals(-20.0, (double) serial.getAs("change_pct"), 1e-9);          // 80 / 100 − 1
        assertTrue((boolean) serial.getAs("significant") && (boolean) serial.getAs("regression"));
        assertTrue((double) serial.getAs("ci_high_pct") < 0);
        assertEquals(0.667, (double) parallel.getAs("change_pct"), 1e-3);        // 100.67 / 100 − 1
        assertFalse((boolean) parallel.getAs("significant"), "noise of ±10% over 3 iterations is not significant");
        // wall_s is lower-is-better: the same slowdown shows as +25% wall time, also a regression
        Row wall = TestSpark.session().read().parquet(out.resolve("compare.parquet").toString())
                .filter("metric = 'wall_s' and case_id = 'm.swiglu.serial'").first();
        assertTrue((double) wall.getAs("change_pct") > 20 && (boolean) wall.getAs("regression"));

        String md = Files.readString(out.resolve("compare.md"));
        assertTrue(md.contains("| m.swiglu.serial | 100 | 80 | -20.0% |") && md.contains("**REGRESSION**"), md);
        assertTrue(md.contains("m.gelu.serial") && md.contains("m.relu.serial"), "unmatched cases are named: " + md);
        assertTrue(Files.readString(out.resolve("compare.json")).contains("\"regression\" : true"));

        // the other way round it is a significant improvement: exit 0
        assertEquals(0, Main.run("compare", slower.toString(), base.toString(), "--output", tmp.resolve("cmp2").toString(),
                "--metrics", "tokens_per_s", "--master", "local[2]"));
        // serial vs parallel inside one run: "after" has m.swiglu.serial at 80 and m.swiglu.parallel at 100.67 tokens/s
        Path within = tmp.resolve("within");
        assertEquals(0, Main.run("compare", slower.toString(), "--within", "serial=parallel", "--metrics", "tokens_per_s",
                "--output", within.toString(), "--master", "local[2]"));
        Row pair = TestSpark.session().read().parquet(within.resolve("compare.parquet").toString()).first();
        assertEquals("m.swiglu.{parallel|serial}", pair.getAs("case_id"));
        assertEquals("after:serial", pair.getAs("base_run"));
        assertEquals((100.0 + 2.0 / 3) / 80 * 100 - 100, (double) pair.getAs("change_pct"), 1e-9);
        // bad input: one directory, or an unknown metric, is a usage error
        assertEquals(2, Main.run("compare", base.toString(), "--output", tmp.resolve("x").toString()));
        assertEquals(2, Main.run("compare", base.toString(), slower.toString(), "--metrics", "speed"));
        // compare.* written before: refused without --overwrite, replaced with it
        assertEquals(2, Main.run("compare", slower.toString(), base.toString(), "--output", tmp.resolve("cmp").toString()));
        assertEquals(0, Main.run("compare", slower.toString(), base.toString(), "--output", tmp.resolve("cmp").toString(), "--overwrite"));
        // a truncated summary.json: the error names the file
        Path damaged = Files.createDirectories(tmp.resolve("damaged"));
        Files.writeString(damaged.resolve("summary.json"), "{\"format_version\": 2, \"cas");
        var err = new java.io.ByteArrayOutputStream();
        var old = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        try {
            assertEquals(2, Main.run("compare", base.toString(), damaged.toString()));
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString().contains(damaged.resolve("summary.json") + " is not valid JSON"), err.toString());
    }

    /** Two runs that read different data: the slowdown is not a regression, and the verdict says why; the BLAS kernel is named. */
    @Test
    void differentInputsAreNeverARegression() throws Exception {
        String cases = ", \"cases\": [{\"case_id\": \"m.swiglu.serial\", \"d_model\": 512, \"input\": \"%s\"},"
                + " {\"case_id\": \"m.gelu.serial\", \"d_model\": 512, \"input\": \"/data/same.parquet\"}],"
                + " \"inputs\": {\"%s\": {\"bytes\": %d, \"fingerprint\": \"%s\", \"path_in_run\": \"data/t.parquet\"},"
                + " \"/data/same.parquet\": {\"bytes\": 10, \"fingerprint\": \"ab\"}},"
                + " \"environment\": {\"blas\": {\"kernel\": \"%s\"}}";
        Path base = run("a", Map.of("m.swiglu.serial", new double[] {100, 101, 99}, "m.gelu.serial", new double[] {100, 101, 99}),
                String.format(cases, "/runs/a/data/t.parquet", "/runs/a/data/t.parquet", 1000, "f00d", "SkylakeX"));
        Path other = run("b", Map.of("m.swiglu.serial", new double[] {50, 51, 49}, "m.gelu.serial", new double[] {50, 51, 49}),
                String.format(cases, "/runs/b/data/t.parquet", "/runs/b/data/t.parquet", 4000, "beef", "Haswell"));
        Path out = tmp.resolve("cmp-inputs");
        assertEquals(CompareCommand.REGRESSION_EXIT, Main.run("compare", base.toString(), other.toString(), "--output", out.toString(),
                "--metrics", "tokens_per_s", "--master", "local[2]"), "the case on the same data still regressed");
        List<Row> rows = TestSpark.session().read().parquet(out.resolve("compare.parquet").toString()).orderBy("case_id").collectAsList();
        Row gelu = rows.get(0), swiglu = rows.get(1);
        assertFalse((boolean) swiglu.getAs("regression"));
        assertTrue(((String) swiglu.getAs("verdict")).startsWith("not comparable: inputs differ (data fingerprint f00d vs beef, data bytes 1000 vs 4000)"),
                (String) swiglu.getAs("verdict"));
        assertTrue(((String) swiglu.getAs("inputs_differ")).contains("fingerprint f00d vs beef"));
        assertTrue((boolean) gelu.getAs("regression"));
        assertEquals("other worse: REGRESSION; environment differs (BLAS kernel SkylakeX vs Haswell)", gelu.getAs("verdict"));
        assertTrue(Files.readString(out.resolve("compare.md")).contains("not comparable: inputs differ"));
    }
}
