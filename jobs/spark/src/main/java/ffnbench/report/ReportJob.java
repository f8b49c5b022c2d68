package ffnbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import ffnbench.report.Charts;
import ffnbench.spark.RunWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code report} job: one or several run directories → PNG charts and one self-contained HTML
 * page (charts embedded, opens offline) plus the runs' Markdown summaries. Charts: throughput per
 * case with 95% CIs, parallel/serial speedup with CIs, per-stage time, {@code ffn_act} histograms,
 * per-neuron firing frequency (dead-neuron view), and the input's top outlier channels.
 */
public final class ReportJob {

    /** One run directory, validated. */
    public record RunDir(Path dir, JsonNode summary) {
        String id() {
            return summary.path("run_id").asText(dir.getFileName().toString());
        }
    }

    private ReportJob() {}

    public static RunDir open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("run directory " + dir + " does not exist");
        Path summary = dir.resolve("summary.json");
        if (!Files.isRegularFile(summary)) {
            throw new IllegalArgumentException(dir + " is not an ffnbench run directory (no summary.json)");
        }
        JsonNode s = ffnbench.data.JsonFile.read(summary);
        int version = s.path("format_version").asInt(-1);
        if (version < RunWriter.OLDEST_READABLE_VERSION || version > RunWriter.FORMAT_VERSION) {
            throw new IllegalArgumentException("run directory " + dir + " has format version " + (version < 0 ? "none" : version)
                    + "; this ffnbench reads versions " + RunWriter.OLDEST_READABLE_VERSION + " to " + RunWriter.FORMAT_VERSION
                    + " (re-run the bench with this version)");
        }
        return new RunDir(dir, s);
    }

    /** Writes {@code report.html}, the PNG charts and {@code report.md} into {@code out}; returns the HTML file. */
    public static Path write(SparkSession spark, List<Path> runDirs, Path out) throws IOException {
        if (runDirs.isEmpty()) throw new IllegalArgumentException("report needs at least one run directory");
        List<RunDir> runs = new ArrayList<>();
        for (Path p : runDirs) runs.add(open(p));
        boolean several = runs.size() > 1;
        Files.createDirectories(out);

        List<Charts.Bar> throughput = new ArrayList<>();
        List<Charts.Bar> speedups = new ArrayList<>();
        Map<String, Map<String, Double>> stages = new LinkedHashMap<>();
        for (RunDir r : runs) {
            for (JsonNode c : r.summary().path("cases")) {
                String cat = (several ? r.id() + ": " : "") + c.path("model").asText() + "." + c.path("variant").asText();
                throughput.add(new Charts.Bar(c.path("formulation").asText(), cat, c.path("tokens_per_s").asDouble(),
                        c.path("tokens_per_s_ci95").asDouble(Double.NaN)));
                Map<String, Double> parts = new LinkedHashMap<>();
                c.path("stage_seconds_summed_over_tasks").fields().forEachRemaining(e -> {
                    if (!e.getKey().equals("function_s")) parts.put(e.getKey().replace("_s", ""), e.getValue().asDouble());
                });
                stages.put((several ? r.id() + ": " : "") + c.path("case_id").asText(), parts);
            }
            for (JsonNode p : r.summary().path("parallel_vs_serial")) {
                double mean = p.path("speedup_over_serial").asDouble();
                speedups.add(new Charts.Bar(p.path("formulation").asText(),
                        (several ? r.id() + ": " : "") + p.path("model").asText() + "." + p.path("variant").asText(),
                        mean, (p.path("ci95_high").asDouble() - p.path("ci95_low").asDouble()) / 2));
            }
        }
        Map<String, byte[]> charts = new LinkedHashMap<>();
        charts.put("throughput.png", Charts.barsWithErrors("Throughput per case (mean ± 95% CI over clean iterations)", "tokens/s", throughput));
        if (!speedups.isEmpty()) {
            charts.put("speedup.png", Charts.barsWithErrors("Parallel over serial throughput (± 95% CI)", "speedup", speedups));
        }
        sweepCharts(runs, several, charts);
        sparsityCharts(spark, runs, several, charts);
        moeCharts(spark, runs, several, charts);
        charts.put("stages.png", Charts.stackedBars("Time per stage, summed over tasks (mean of iterations)", "seconds", stages));

        Map<String, double[][]> histograms = new LinkedHashMap<>();
        Map<String, double[][]> firing = new LinkedHashMap<>();
        List<Charts.Bar> outliers = new ArrayList<>();
        for (RunDir r : runs) {
            Path stats = r.dir().resolve("stats.parquet");
            if (!Files.isDirectory(stats)) continue;
            for (Row row : spark.read().parquet(stats.toString()).collectAsList()) {
                String name = (several ? r.id() + ": " : "") + row.getAs("case_id") + " L" + row.getAs("layer");
                String site = row.getAs("site");
                if (site.equals("ffn_act")) {
                    histograms.put(name, histogram(row));
                    firing.put(name, firingCurve(row));
                } else if (site.equals("input")) {
                    List<Integer> top = row.getList(row.fieldIndex("top_channels"));
                    List<Float> max = row.getList(row.fieldIndex("top_channel_max_abs"));
                    for (int i = 0; i < Math.min(5, top.size()); i++) {
                        outliers.add(new Charts.Bar("rank " + (i + 1), name, max.get(i), 0));
                    }
                }
            }
        }
        if (!histograms.isEmpty()) {
            charts.put("histograms.png", Charts.lines("ffn_act: share of values per histogram bin", "value", "share (log)", histograms, true));
            charts.put("firing.png", Charts.lines("ffn_act: per-neuron firing frequency, sorted (0 = dead neuron)",
                    "neuron rank", "fraction of tokens with x > 0", firing, false));
        }
        if (!outliers.isEmpty()) {
            charts.put("outliers.png", Charts.barsWithErrors("Input: max |x| of the 5 largest channels", "max |x|", outliers));
        }
        for (Map.Entry<String, byte[]> e : charts.entrySet()) Files.write(out.resolve(e.getKey()), e.getValue());

        StringBuilder md = new StringBuilder();
        for (RunDir r : runs) {
            Path summaryMd = r.dir().resolve("summary.md");
            if (Files.isRegularFile(summaryMd)) md.append(Files.readString(summaryMd)).append("\n");
        }
        Files.writeString(out.resolve("report.md"), md.toString());
        Path html = out.resolve("report.html");
        Files.writeString(html, html(runs, charts, md.toString()));
        return html;
    }

    /**
     * Charts of sweeps: throughput against tokens per row (seq_len) with each curve's knee marked,
     * and the parallel/serial ratio against d_model. A curve is the set of cases that differ only in
     * the swept field.
     */
    static void sweepCharts(List<RunDir> runs, boolean several, Map<String, byte[]> charts) {
        Map<String, java.util.TreeMap<Double, Double>> throughput = new LinkedHashMap<>();
        Map<String, java.util.TreeMap<Double, double[]>> ratios = new LinkedHashMap<>();   // x → [speedup, CI low, CI high]
        for (RunDir r : runs) {
            String prefix = several ? r.id() + ": " : "";
            for (JsonNode c : r.summary().path("cases")) {
                JsonNode x = c.path("sweep").path("seq_len");
                if (x.isMissingNode()) continue;
                String curve = prefix + c.path("case_id").asText().replaceAll("\\.seq_len-\\d+", "");
                double tokensPerS = c.path("tokens_per_s").asDouble(Double.NaN);
                // A case without clean iterations has no throughput (its summary says why): no point.
                if (Double.isFinite(tokensPerS)) throughput.computeIfAbsent(curve, k -> new java.util.TreeMap<>()).put(x.asDouble(), tokensPerS);
            }
            for (JsonNode p : r.summary().path("parallel_vs_serial")) {
                JsonNode x = p.path("sweep").path("d_model");
                if (x.isMissingNode()) continue;
                String curve = prefix + p.path("serial_case").asText().replace(".serial", "." + p.path("formulation").asText())
                        .replaceAll("\\.d_model-\\d+", "");
                double speedup = p.path("speedup_over_serial").asDouble(Double.NaN);
                if (!Double.isFinite(speedup)) continue;
                ratios.computeIfAbsent(curve, k -> new java.util.TreeMap<>()).put(x.asDouble(), new double[] {
                        speedup, p.path("ci95_low").asDouble(Double.NaN), p.path("ci95_high").asDouble(Double.NaN)});
            }
        }
        if (!throughput.isEmpty()) {
            Map<String, Double> knees = new LinkedHashMap<>();
            throughput.forEach((curve, pts) -> {
                double k = knee(pts);
                if (!Double.isNaN(k)) knees.put("knee " + (throughput.size() > 1 ? curve + " " : "") + "(" + (long) k + ")", k);
            });
            charts.put("throughput-vs-seq-len.png", Charts.lines("Throughput vs tokens per row (knee: first size within 10% of "
                    + "the best)", "seq_len (tokens per row)", "tokens/s", xy(throughput), false, knees));
        }
        if (!ratios.isEmpty()) {
            Map<String, double[][]> withIntervals = new LinkedHashMap<>();
            ratios.forEach((curve, pts) -> withIntervals.put(curve, pts.entrySet().stream()
                    .map(e -> new double[] {e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2]}).toArray(double[][]::new)));
            charts.put("ratio-vs-d-model.png", Charts.linesWithIntervals("Parallel / serial throughput vs d_model (± 95% CI)", "d_model",
                    "speedup over serial", withIntervals, 1.0));
        }
    }

    /**
     * Charts of the sparsity analysis (runs with {@code sparsity.parquet}): sparsity against the
     * magnitude threshold per case, layer and site; the measured FFN error against the held-out
     * sparsity (the TEAL/CATS trade-off); aggregated sparsity against the window length.
     */
    static void sparsityCharts(SparkSession spark, List<RunDir> runs, boolean several, Map<String, byte[]> charts) {
        Map<String, java.util.TreeMap<Double, Double>> byThreshold = new LinkedHashMap<>();
        Map<String, java.util.TreeMap<Double, Double>> errors = new LinkedHashMap<>();
        Map<String, java.util.TreeMap<Double, Double>> windows = new LinkedHashMap<>();
        for (RunDir r : runs) {
            Path table = r.dir().resolve("sparsity.parquet");
            if (!Files.isDirectory(table)) continue;
            // curve@target → tₛ and → the held-out sparsity, to pair with the rows of the same target
            Map<String, Double> thresholdOf = new java.util.HashMap<>(), heldOutOf = new java.util.HashMap<>();
            List<Row> rows = spark.read().parquet(table.toString()).collectAsList();
            for (Row row : rows) {
                String curve = (several ? r.id() + ": " : "") + row.getAs("case_id") + " L" + row.getAs("layer") + " " + row.getAs("site");
                String measure = row.getAs("measure");
                double value = row.getAs("value");
                switch (measure) {
                    case "threshold" -> thresholdOf.put(curve + "@" + row.getAs("target"), value);
                    case "held_out_sparsity" -> heldOutOf.put(curve + "@" + row.getAs("target"), value);
                    case "active_fraction" -> {
                        int w = row.getAs("window");
                        long count = row.getAs("count");
                        if (w > 0 && count > 0) {
                            windows.computeIfAbsent(curve, k -> new java.util.TreeMap<>()).put((double) w, 1 - value);
                        }
                    }
                    default -> { }
                }
            }
            for (Row row : rows) {
                String curve = (several ? r.id() + ": " : "") + row.getAs("case_id") + " L" + row.getAs("layer") + " " + row.getAs("site");
                String measure = row.getAs("measure");
                double value = row.getAs("value");
                if (measure.equals("achieved_sparsity")) {
                    Double t = thresholdOf.get(curve + "@" + row.getAs("target"));
                    if (t != null && t > Float.MIN_VALUE) byThreshold.computeIfAbsent(curve, k -> new java.util.TreeMap<>()).put(t, value);
                } else if (measure.equals("ffn_out_error")) {
                    errors.computeIfAbsent(curve, k -> new java.util.TreeMap<>()).put(heldOutOf.get(curve + "@" + row.getAs("target")), value);
                }
            }
        }
        if (!byThreshold.isEmpty()) {
            charts.put("sparsity-vs-threshold.png", Charts.lines("Sparsity reached by zeroing |x| below a threshold", "threshold tₛ",
                    "share of values below tₛ", xy(byThreshold), false));
        }
        if (!errors.isEmpty()) {
            charts.put("sparsity-error.png", Charts.lines("Measured FFN output error vs sparsity (held-out sequences)",
                    "share of the site's values zeroed", "relative L2 error of the FFN output", xy(errors), false));
        }
        if (!windows.isEmpty()) {
            charts.put("aggregated-sparsity.png", Charts.lines("Aggregated sparsity at ffn_act: neurons inactive on every token of a window",
                    "window (consecutive tokens)", "share of neurons never active in the window", xy(windows), false));
        }
    }

    /**
     * Charts of mixture-of-experts layers (runs with {@code moe.parquet}): each expert's share of the
     * assignments per case and layer as a heat map, and the balancedness against the layer.
     */
    static void moeCharts(SparkSession spark, List<RunDir> runs, boolean several, Map<String, byte[]> charts) {
        List<String> rows = new ArrayList<>();
        List<double[]> shares = new ArrayList<>();
        Map<String, java.util.TreeMap<Double, Double>> balance = new LinkedHashMap<>();
        for (RunDir r : runs) {
            Path table = r.dir().resolve("moe.parquet");
            if (!Files.isDirectory(table)) continue;
            for (Row row : spark.read().parquet(table.toString()).orderBy("case_id", "layer").collectAsList()) {
                String c = (several ? r.id() + ": " : "") + row.getAs("case_id");
                int layer = row.getAs("layer");
                rows.add(c + " L" + layer);
                shares.add(row.<Double>getList(row.fieldIndex("share")).stream().mapToDouble(Double::doubleValue).toArray());
                balance.computeIfAbsent(c, k -> new java.util.TreeMap<>()).put((double) layer, row.<Double>getAs("balancedness"));
            }
        }
        if (rows.isEmpty()) return;
        charts.put("moe-load.png", Charts.heatMap("Share of the routed assignments per expert", "expert", rows,
                shares.toArray(double[][]::new), "share of assignments"));
        charts.put("moe-balance.png", Charts.lines("Load balance per layer (mean / max assignments per expert)", "layer",
                "balancedness (1 = balanced)", xy(balance), false));
    }

    /**
     * The knee of a throughput curve: the smallest x whose throughput is within 10% of the curve's best.
     * Points without a finite throughput are ignored; NaN when none has one.
     */
    static double knee(java.util.SortedMap<Double, Double> curve) {
        double best = curve.values().stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).max().orElse(Double.NaN);
        return curve.entrySet().stream().filter(e -> Double.isFinite(e.getValue()) && e.getValue() >= 0.9 * best)
                .mapToDouble(java.util.Map.Entry::getKey).findFirst().orElse(Double.NaN);
    }

    private static Map<String, double[][]> xy(Map<String, java.util.TreeMap<Double, Double>> curves) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        curves.forEach((k, pts) -> out.put(k, pts.entrySet().stream().map(e -> new double[] {e.getKey(), e.getValue()})
                .toArray(double[][]::new)));
        return out;
    }

    static double[][] histogram(Row row) {
        List<Long> counts = row.getList(row.fieldIndex("histogram"));
        double low = row.getAs("histogram_low"), high = row.getAs("histogram_high");
        int bins = counts.size() - 2;
        double total = counts.stream().mapToLong(Long::longValue).sum();
        double width = (high - low) / bins;
        double[][] xy = new double[bins][];
        for (int i = 0; i < bins; i++) xy[i] = new double[] {low + (i + 0.5) * width, counts.get(i + 1) / Math.max(1, total)};
        return xy;
    }

    static double[][] firingCurve(Row row) {
        List<Long> counts = row.getList(row.fieldIndex("firing_counts"));
        long tokens = row.getAs("tokens");
        double[] rates = counts.stream().mapToDouble(c -> c / (double) Math.max(1, tokens)).sorted().toArray();
        double[][] xy = new double[rates.length][];
        for (int i = 0; i < rates.length; i++) xy[i] = new double[] {i, rates[i]};
        return xy;
    }

    /** The BLAS as one phrase: an object since format version 2 (e.g. "bundled OpenBLAS 0.3.31, kernel SkylakeX"), a class name before. */
    static String blasText(JsonNode blas) {
        if (!blas.isObject()) return blas.asText();
        String impl = blas.path("implementation").asText();
        if (impl.equals("java")) return "pure-Java (" + blas.path("netlib_class").asText() + ")";
        String version = blas.path("version").isTextual() ? "OpenBLAS " + blas.path("version").asText() : blas.path("library").asText();
        String kernel = blas.path("kernel").isTextual() ? ", kernel " + blas.path("kernel").asText() : "";
        return impl + " " + version + kernel + ", " + blas.path("threads").asInt() + " thread(s)";
    }

    /** The executors' BLAS, grouped: e.g. "; executors 1, 2: bundled OpenBLAS 0.3.31, kernel SkylakeX, 1 thread(s)". */
    static String executorsText(JsonNode executors) {
        Map<String, List<String>> byBlas = new LinkedHashMap<>();
        for (JsonNode e : executors) {
            if (e.path("executor_id").asText().equals("driver")) continue;
            byBlas.computeIfAbsent(blasText(e.path("blas")), k -> new ArrayList<>()).add(e.path("executor_id").asText());
        }
        StringBuilder out = new StringBuilder();
        byBlas.forEach((blas, ids) -> out.append("; executor").append(ids.size() > 1 ? "s " : " ").append(String.join(", ", ids))
                .append(": ").append(blas));
        return out.toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** How to read each chart: one sentence under it. */
    static final Map<String, String> CAPTIONS = Map.ofEntries(Map.entry(
            "throughput.png", "Tokens per second of each case, mean of the clean measured iterations; the whisker is the 95% confidence "
                    + "interval. Bars of one colour share a formulation."),
            Map.entry("speedup.png", "Parallel over serial throughput of the same model and sweep point: above 1, the parallel block is "
                    + "faster; where the whisker crosses 1, the difference is not significant."),
            Map.entry("stages.png", "Where a case's time goes, summed over all tasks (so it can exceed the wall time up to the number of cores)."),
            Map.entry("histograms.png", "The share of ffn_act values in each histogram bin (log scale): a spike at 0 is activation sparsity; "
                    + "long tails are outliers."),
            Map.entry("firing.png", "Each neuron's fraction of tokens with a positive activation, sorted: neurons at 0 never fire (dead)."),
            Map.entry("outliers.png", "The largest |x| of the five largest channels of each layer's input: one tall bar is a massive-activation "
                    + "channel."),
            Map.entry("throughput-vs-seq-len.png", "Throughput against tokens per row; the dashed line marks the knee, the first size within "
                    + "10% of the best."),
            Map.entry("ratio-vs-d-model.png", "Parallel over serial throughput against d_model, one line per formulation and sweep; "
                    + "the whisker is the ratio's 95% confidence interval: where it crosses 1, the difference is not significant."),
            Map.entry("sparsity-vs-threshold.png", "The share of a site's values with |x| below each target's threshold, one line per "
                    + "case, layer and site (ffn_in: TEAL's input sparsity; ffn_gate_act: CATS; ffn_act: the FFN hidden)."),
            Map.entry("sparsity-error.png", "The relative L2 error of the FFN output when the values below the calibration threshold "
                    + "are zeroed, against the share zeroed, on held-out sequences: the lower a line, the cheaper its sparsity."),
            Map.entry("moe-load.png", "Each expert's share of its layer's routed assignments (each token counts k times), one row per "
                    + "case and layer: a uniform row is balanced (1/E each), a dark cell a hot expert."),
            Map.entry("moe-balance.png", "Balancedness per layer: the mean over the maximum of the assignments per expert, 1 when "
                    + "balanced; a low value means one expert's GEMMs decide the layer's time."),
            Map.entry("aggregated-sparsity.png", "The share of FFN neurons inactive on every token of w consecutive tokens: how much "
                    + "of the FFN a batch or window of tokens could skip together."));

    static String html(List<RunDir> runs, Map<String, byte[]> charts, String markdown) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<title>ffnbench report</title><style>body{font-family:sans-serif;max-width:1060px;margin:2em auto;}"
                + "img{max-width:100%;border:1px solid #eee;}figure{margin:1.5em 0;}figcaption{color:#555;font-size:.92em;margin-top:.3em;}"
                + ".warning{background:#fff4e5;border-left:4px solid #e8a33d;padding:.6em 1em;}pre{background:#f6f6f6;padding:1em;overflow-x:auto;}"
                + "</style></head><body>\n<h1>ffnbench report</h1>\n<ul>\n");
        for (RunDir r : runs) {
            JsonNode env = r.summary().path("environment");
            h.append("<li><b>").append(escape(r.id())).append("</b>: Spark ").append(escape(env.path("spark_version").asText()))
                    .append(" (").append(escape(env.path("spark_master").asText())).append("), BLAS ")
                    .append(escape(blasText(env.path("blas")))).append(escape(executorsText(env.path("executors"))))
                    .append(", ").append(escape(env.path("cpu_model").asText()))
                    .append(", git ").append(escape(env.path("git_revision").asText())).append("</li>\n");
        }
        h.append("</ul>\n");
        for (RunDir r : runs) {
            // the backend warnings (environment.warnings) and the run's own (top-level warnings, which repeat
            // the backend ones from format 2 on), each once
            java.util.LinkedHashSet<String> warnings = new java.util.LinkedHashSet<>();
            r.summary().path("environment").path("warnings").forEach(w -> warnings.add(w.asText()));
            r.summary().path("warnings").forEach(w -> warnings.add(w.asText()));
            for (String w : warnings) {
                h.append("<p class=\"warning\"><b>Warning</b> (").append(escape(r.id())).append("): ").append(escape(w))
                        .append("</p>\n");
            }
        }
        for (Map.Entry<String, byte[]> e : charts.entrySet()) {
            h.append("<figure><img alt=\"").append(e.getKey()).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(e.getValue())).append("\">")
                    .append("<figcaption>").append(escape(CAPTIONS.getOrDefault(e.getKey(), ""))).append("</figcaption></figure>\n");
        }
        h.append("<h2>Summaries</h2>\n<pre>").append(escape(markdown)).append("</pre>\n</body></html>\n");
        return h.toString();
    }
}
