package ffnbench.analysis;

import ffnbench.analysis.Ci;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compares the measured iterations of two runs case by case: the percentage change of each
 * metric's mean with a 95% confidence interval (ratio of means, delta method over the iterations),
 * whether the change is significant (the interval excludes 0) and whether it is a regression
 * (significant and worse than the threshold). A case whose inputs differ between the two runs (data,
 * model, shapes) is never called a regression: its verdict names the difference. Differences of the
 * environment (Spark line, BLAS, hardware) are named in every verdict. Spark-free: {@code CompareJob}
 * feeds it.
 */
public final class Comparison {
    private Comparison() {}

    /** A timings column and which way is better. */
    public record Metric(String column, boolean higherIsBetter) {
        public static Metric parse(String name) {
            return switch (name) {
                case "tokens_per_s", "gflops_per_s" -> new Metric(name, true);
                case "wall_s", "function_s", "executor_cpu_s", "gc_s" -> new Metric(name, false);
                default -> throw new IllegalArgumentException("unknown metric '" + name + "': use tokens_per_s, gflops_per_s, "
                        + "wall_s, function_s, executor_cpu_s or gc_s");
            };
        }
    }

    /** One case of one metric: base vs other. NaN interval (and not significant) with fewer than 2 iterations. */
    public record Row(String metric, String caseId, String baseRun, String otherRun, int nBase, int nOther,
                      double baseMean, double otherMean, double changePct, double ciLowPct, double ciHighPct,
                      boolean significant, boolean regression, String inputsDiffer, String environmentDiffers,
                      String verdict) { }

    /** What differs between the two runs besides the code: per case, its inputs (null when the same); the environment for all. */
    public record Context(java.util.function.Function<String, String> inputsDiffer, String environmentDiffers) {
        public static final Context SAME = new Context(id -> null, null);
    }

    /** The rows of one metric for the cases both runs have; cases in only one run are left to {@link #unmatched}. */
    public static List<Row> compare(Metric metric, String baseRun, Map<String, double[]> base, String otherRun,
                                    Map<String, double[]> other, double thresholdPct) {
        return compare(metric, baseRun, base, otherRun, other, thresholdPct, Context.SAME);
    }

    public static List<Row> compare(Metric metric, String baseRun, Map<String, double[]> base, String otherRun,
                                    Map<String, double[]> other, double thresholdPct, Context context) {
        List<Row> rows = new ArrayList<>();
        for (String id : new TreeSet<>(base.keySet())) {
            double[] b = base.get(id), o = other.get(id);
            if (o == null) continue;
            Ci.Interval ratio = Ci.ratio(o, b);
            double change = (ratio.mean() - 1) * 100;
            double low = (ratio.low() - 1) * 100, high = (ratio.high() - 1) * 100;
            boolean significant = !Double.isNaN(low) && (low > 0 || high < 0);
            double worse = metric.higherIsBetter() ? -change : change;
            String inputs = context.inputsDiffer().apply(id);
            boolean regression = inputs == null && significant && worse > thresholdPct;
            String verdict;
            if (inputs != null) {
                verdict = "not comparable: inputs differ (" + inputs + ")";
            } else if (Double.isNaN(low)) {
                verdict = Verdict.TOO_FEW;
            } else {
                verdict = !significant ? Verdict.NO_DIFFERENCE : (worse > 0 ? "other worse" : "other better")
                        + (regression ? ": REGRESSION" : "");
            }
            if (context.environmentDiffers() != null) verdict += "; environment differs (" + context.environmentDiffers() + ")";
            rows.add(new Row(metric.column(), id, baseRun, otherRun, b.length, o.length, Ci.of(b).mean(), Ci.of(o).mean(),
                    change, low, high, significant, regression, inputs, context.environmentDiffers(), verdict));
        }
        return rows;
    }

    /** Case ids present in one run but not the other (named in the output so nothing is silently dropped). */
    public static List<String> unmatched(Map<String, double[]> a, Map<String, double[]> b) {
        return a.keySet().stream().filter(k -> !b.containsKey(k)).sorted().toList();
    }

    /** One Markdown table per metric and pair of runs. */
    public static String markdown(List<Row> rows, double thresholdPct) {
        StringBuilder md = new StringBuilder("# ffnbench compare\n\n");
        md.append(String.format(Locale.ROOT, "Change = other / base − 1 of the per-case mean over each run's clean iterations; 95%% CI "
                + "by the delta method; significant when the CI excludes 0; REGRESSION when significant and worse than %.1f%%; a case "
                + "whose inputs (data, model, shapes) differ is not comparable and never a regression.%n",
                thresholdPct));
        String section = null;
        for (Row r : rows) {
            String s = r.metric() + ": " + r.otherRun() + " vs " + r.baseRun();
            if (!s.equals(section)) {
                section = s;
                md.append("\n## ").append(r.metric()).append(": `").append(r.otherRun()).append("` vs base `").append(r.baseRun())
                        .append("`\n\n| case | base | other | change | 95% CI | n | verdict |\n|---|---:|---:|---:|---|---:|---|\n");
            }
            String verdict = r.regression() ? r.verdict().replace("REGRESSION", "**REGRESSION**") : r.verdict();
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %+.1f%% | %s | %d/%d | %s |%n", r.caseId(), number(r.baseMean()),
                    number(r.otherMean()), r.changePct(), Double.isNaN(r.ciLowPct()) ? "n/a (1 iteration)"
                            : String.format(Locale.ROOT, "[%+.1f%%, %+.1f%%]", r.ciLowPct(), r.ciHighPct()),
                    r.nBase(), r.nOther(), verdict));
        }
        return md.toString();
    }

    /** 4 significant digits without trailing zeros (100, 80, 0.1234, 12,345). */
    static String number(double x) {
        if (!Double.isFinite(x)) return String.valueOf(x);
        if (Math.abs(x) >= 1e4) return String.format(Locale.ROOT, "%,.0f", x);
        return new java.math.BigDecimal(x).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }
}
