package ffnbench.spark;

import ffnbench.bench.BenchCase;
import ffnbench.analysis.Ci;
import ffnbench.analysis.Verdict;
import ffnbench.study.IterationResult;
import ffnbench.model.Formulation;
import ffnbench.model.StageTimes;
import ffnbench.stats.CaseStats;
import ffnbench.stats.SiteStats;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The run's summary: {@code summary.json}'s environment, per-case figures with confidence intervals and
 * parallel-over-serial ratios, and {@code summary.md}'s headline tables. Fields: {@code docs/RESULTS.md}.
 */
final class RunSummary {
    private RunSummary() {}

    // ---- summary ----------------------------------------------------------------------------

    /** The case's clean (undisturbed) iterations' tokens/s: what every mean, CI and ratio is taken over. */
    static double[] tokensPerSecond(List<IterationResult> iterations, String caseId) {
        return iterations.stream().filter(r -> r.benchCase().id().equals(caseId) && r.clean())
                .mapToDouble(IterationResult::tokensPerSecond).toArray();
    }

    static Map<String, Object> caseSummary(BenchCase c, List<IterationResult> iterations, String stop, CaseStats stats) {
        List<IterationResult> measured = iterations.stream().filter(r -> r.benchCase().id().equals(c.id())).toList();
        List<IterationResult> mine = measured.stream().filter(IterationResult::clean).toList();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("case_id", c.id());
        m.put("model", c.weights().model());
        m.put("variant", c.variant());
        m.put("formulation", c.formulation().id());
        m.put("placement", c.placement().id());
        m.put("layers", c.layers());
        m.put("sweep", c.sweep());
        m.put("d_model", c.dModel());
        m.put("weights_dtype", c.weights().dtype());
        m.put("shards", c.data().shards());
        if (c.data().input() == null) {
            m.put("sequences", c.data().sequences());
            m.put("seq_len", c.data().seqLen());
        }
        m.put("model_config", c.config().describe());
        Ci.Interval tps = Ci.of(mine.stream().mapToDouble(IterationResult::tokensPerSecond).toArray());
        Ci.Interval gf = Ci.of(mine.stream().mapToDouble(IterationResult::gflops).toArray());
        m.put("tokens", mine.isEmpty() ? 0 : mine.get(0).tokens());
        m.put("tokens_per_s", tps.mean());
        m.put("tokens_per_s_ci95", tps.halfWidth());
        m.put("tokens_per_s_ci95_relative", tps.halfWidth() / tps.mean());
        m.put("gflops_per_s", gf.mean());
        m.put("gflops_per_s_ci95", gf.halfWidth());
        Map<String, Double> stages = new LinkedHashMap<>();
        for (StageTimes.Stage s : StageTimes.Stage.values()) {
            stages.put(s.id() + "_s", mine.stream().mapToDouble(r -> r.stage(s) / 1e9).average().orElse(0));
        }
        stages.put("function_s", mine.stream().mapToDouble(r -> r.taskTotalNs() / 1e9).average().orElse(0));
        m.put("stage_seconds_summed_over_tasks", stages);
        m.put("iterations_measured", measured.size());
        m.put("iterations_clean", mine.size());
        Map<String, String> disturbed = new LinkedHashMap<>();
        for (IterationResult r : measured) if (!r.clean()) disturbed.put(Integer.toString(r.iteration()), r.disturbed());
        m.put("disturbed_iterations", disturbed);
        m.put("stop", stop);
        m.put("retried", measured.stream().anyMatch(IterationResult::retried));
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
            for (int ch : e.getValue().frequentOutlierChannels(RunTables.INT8_POSITION_FRACTION)) counts[ch]++;
        }
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        double need = Math.max(1, Math.ceil(RunTables.INT8_LAYER_FRACTION * c.layers().size()));
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
                if (other.formulation() == Formulation.SERIAL || !other.comparisonGroup().equals(serial.comparisonGroup())) continue;
                Ci.Interval r = Ci.ratio(tokensPerSecond(iterations, other.id()), tokensPerSecond(iterations, serial.id()));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", serial.weights().model());
                m.put("variant", serial.variant());
                m.put("placement", serial.placement().id());
                m.put("formulation", other.formulation().id());
                m.put("d_model", serial.dModel());
                m.put("sweep", serial.sweep());
                m.put("serial_case", serial.id());
                m.put("speedup_over_serial", r.mean());
                m.put("ci95_low", r.low());
                m.put("ci95_high", r.high());
                m.put("verdict", Verdict.ofRatio(r, other.formulation().id()));
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
        env.put("scala_version", scala.util.Properties.versionNumberString());
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
        env.put("cpu_model", ffnbench.backend.Cpu.current().model());
        env.put("driver_cores", Runtime.getRuntime().availableProcessors());
        env.put("git_revision", gitRevision());
        env.put("spark_conf", Redaction.of(spark.sparkContext().getConf()));
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
        md.append("Means and 95% CIs over each case's clean iterations (disturbed ones are listed and left out).\n\n");
        md.append("| case | tokens | tokens/s | 95% CI | GFLOP/s | iterations (clean/measured) | stopped | retried |\n"
                + "|---|---:|---:|---:|---:|---:|---|---|\n");
        for (Map<String, Object> c : cases) {
            double rel = (Double) c.get("tokens_per_s_ci95_relative");
            md.append(String.format(java.util.Locale.ROOT, "| %s | %,d | %,.0f | %s | %.1f | %d/%d | %s | %s |%n", c.get("case_id"),
                    (Long) c.get("tokens"), (Double) c.get("tokens_per_s"),
                    Double.isNaN(rel) ? "none (fewer than 2 clean iterations)" : String.format(java.util.Locale.ROOT, "± %,.0f (±%.1f%%)",
                            (Double) c.get("tokens_per_s_ci95"), 100 * rel),
                    (Double) c.get("gflops_per_s"), (Integer) c.get("iterations_clean"), (Integer) c.get("iterations_measured"),
                    c.get("stop"), (Boolean) c.get("retried") ? "yes" : "no"));
        }
        List<String> disturbedLines = new ArrayList<>();
        for (Map<String, Object> c : cases) {
            ((Map<?, ?>) c.get("disturbed_iterations")).forEach((it, why) ->
                    disturbedLines.add("- " + c.get("case_id") + " iteration " + it + ": " + why));
        }
        if (!disturbedLines.isEmpty()) {
            md.append("\nDisturbed iterations (excluded from means and CIs):\n\n").append(String.join("\n", disturbedLines)).append('\n');
        }
        if (!ratios.isEmpty()) {
            md.append("\n## Parallel vs serial (throughput ratio)\n\n| model | variant | formulation | sweep point | speedup | 95% CI | verdict |\n"
                    + "|---|---|---|---|---:|---|---|\n");
            for (Map<String, Object> r : ratios) {
                String point = ((Map<?, ?>) r.get("sweep")).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(java.util.stream.Collectors.joining(", "));
                md.append(String.format(java.util.Locale.ROOT, "| %s | %s | %s | %s | %.3f | %s | %s |%n", r.get("model"), r.get("variant"),
                        r.get("formulation"), point.isEmpty() ? "—" : point, (Double) r.get("speedup_over_serial"),
                        Double.isNaN((Double) r.get("ci95_low")) ? "none" : String.format(java.util.Locale.ROOT, "[%.3f, %.3f]",
                                (Double) r.get("ci95_low"), (Double) r.get("ci95_high")), r.get("verdict")));
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
        moeMarkdown(md, stats, benchCases);
        sparsityMarkdown(md, stats, benchCases);
        return md.toString();
    }

    /** Mixture-of-experts layers: load balance, router entropy and the drop rate at each capacity factor. */
    private static void moeMarkdown(StringBuilder md, Map<String, CaseStats> stats, List<BenchCase> benchCases) {
        List<BenchCase> moe = benchCases.stream().filter(c -> stats.containsKey(c.id()) && !stats.get(c.id()).routers().isEmpty()).toList();
        if (moe.isEmpty()) return;
        md.append("\n## Mixture of experts: routing\n\n")
                .append("Balancedness: mean over max of the assignments per expert (1: balanced). Aux loss: E·Σ fᵢ·Pᵢ (1: balanced and "
                        + "uniform). Drop rate: the share of assignments beyond ⌈C·tokens·k/E⌉ per expert and sequence.\n\n")
                .append("| case | layer | experts | k | balancedness | load CV | aux loss | router entropy | drop rate by capacity factor |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (BenchCase c : moe) {
            stats.get(c.id()).routers().forEach((layer, r) -> {
                StringBuilder drops = new StringBuilder();
                double[] factors = r.capacityFactors();
                for (int i = 0; i < factors.length; i++) {
                    drops.append(i == 0 ? "" : " · ").append(String.format(java.util.Locale.ROOT, "C=%s: %.3f", factors[i], r.dropRate(i)));
                }
                md.append(String.format(java.util.Locale.ROOT, "| %s | %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %s |%n", c.id(), layer,
                        r.experts(), r.topK(), r.balancedness(), r.coefficientOfVariation(), r.auxiliaryLoss(), r.meanEntropy(), drops));
            });
        }
    }

    /** The measured error of the sparsity analysis, when it ran: a row per case, layer, site and target. */
    private static void sparsityErrorMarkdown(StringBuilder md, Map<String, CaseStats> stats, List<BenchCase> analysed) {
        if (analysed.stream().allMatch(c -> stats.get(c.id()).errors().isEmpty())) return;
        md.append("\n## Activation sparsity: measured error on held-out sequences\n\n")
                .append("tₛ from the calibration sequences, applied to the held-out rest; relative L2 errors against the dense layer; "
                        + "skipped: the share of the input (gate/up) and down projections' multiply-adds that the zeros make unnecessary.\n\n")
                .append("| case | layer | site | s | tₛ | held-out sparsity | FFN out error | block out error | skipped in | skipped down | sparse/dense time |\n")
                .append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (BenchCase c : analysed) {
            List<Double> targets = c.statistics().sparsity().settings().targets();
            stats.get(c.id()).errors().forEach((key, e) -> {
                String[] k = key.split("/", 2);
                for (int i = 0; i < e.targets(); i++) {
                    md.append(String.format(java.util.Locale.ROOT, "| %s | %s | %s | %.2f | %s | %.3f | %.4f | %.4f | %.3f | %.3f | %.2f |%n",
                            c.id(), k[0], k[1], targets.get(i), e.threshold(i) == Float.MIN_VALUE ? "0⁺" : String.format(java.util.Locale.ROOT, "%.3g", e.threshold(i)),
                            e.heldOutSparsity(i), e.ffnRelativeError(i), e.blockRelativeError(i), e.skippedInFraction(i),
                            e.skippedDownFraction(i), e.sparseTimeRatio(i)));
                }
            });
        }
    }

    /** The sparsity analysis: each site's threshold per target, then aggregated sparsity and overlap at ffn_act. */
    private static void sparsityMarkdown(StringBuilder md, Map<String, CaseStats> stats, List<BenchCase> benchCases) {
        List<BenchCase> analysed = benchCases.stream()
                .filter(c -> c.statistics().sparsity() != null && stats.containsKey(c.id())).toList();
        if (analysed.isEmpty()) return;
        List<Double> targets = analysed.get(0).statistics().sparsity().settings().targets();
        md.append("\n## Activation sparsity: magnitude thresholds\n\n")
                .append("tₛ: zeroing |x| < tₛ zeroes at least the share s of the site's values (tₛ is a histogram bin edge; "
                        + "sparsity.parquet has the exact share). 0⁺: the exact zeros alone reach s.\n\n")
                .append("| case | layer | site |");
        for (double t : targets) md.append(String.format(java.util.Locale.ROOT, " t(%.0f%%) |", 100 * t));
        md.append("\n|---|---:|---|").append("---:|".repeat(targets.size())).append('\n');
        for (BenchCase c : analysed) {
            stats.get(c.id()).sparsity().forEach((key, s) -> {
                String[] k = key.split("/", 2);
                md.append("| ").append(c.id()).append(" | ").append(k[0]).append(" | ").append(k[1]).append(" |");
                for (double t : c.statistics().sparsity().settings().targets()) {
                    float threshold = s.threshold(t).threshold();
                    md.append(threshold == Float.MIN_VALUE ? " 0⁺ |" : String.format(java.util.Locale.ROOT, " %.3g |", threshold));
                }
                md.append('\n');
            });
        }
        md.append("\n## Activation sparsity: neurons active at ffn_act\n\n")
                .append("Active: |x| above sparsity.active_threshold. Windows: the mean share of neurons active on at least one token "
                        + "of w consecutive tokens. Overlap: mean Jaccard index of top-k neuron sets.\n\n")
                .append("| case | layer | active share by window (tokens) | overlap, consecutive tokens | overlap, token vs sequence | k |\n")
                .append("|---|---:|---|---:|---:|---:|\n");
        for (BenchCase c : analysed) {
            stats.get(c.id()).sparsity().forEach((key, s) -> {
                if (!s.hasNeurons()) return;
                int[] w = s.windows();
                StringBuilder windows = new StringBuilder();
                for (int i = 0; i < w.length; i++) {
                    windows.append(i == 0 ? "" : " · ").append(w[i] == 0 ? "sequence" : String.valueOf(w[i]))
                            .append(s.windowCount(i) == 0 ? ": — (longer than every sequence)"
                                    : String.format(java.util.Locale.ROOT, ": %.3f", s.activeFraction(i)));
                }
                md.append(String.format(java.util.Locale.ROOT, "| %s | %s | %s | %.3f | %.3f | %d |%n", c.id(), key.split("/", 2)[0],
                        windows, s.consecutiveOverlap(), s.sequenceOverlap(), s.topK()));
            });
        }
        sparsityErrorMarkdown(md, stats, analysed);
    }

}
