package ffnbench.bench;

import ffnbench.analysis.Ci;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How many iterations a case runs (config section {@code iterations}): warm-ups, then measured
 * iterations until the answer is known. Each case has {@code warmup} warm-up iterations; in the
 * adaptive mode with at least one, the run's first group of compared cases (measured interleaved)
 * also warms up until the group has spent {@code firstWarmupSeconds}, the time the JVMs take to
 * compile the hot loops.
 *
 * <p>Adaptive (the default), like JMH's and MLPerf's runs: at least {@code minMeasured}, then until the 95% CI half-width of the clean iterations' tokens/s is at most
 * {@code targetHalfWidth} of their mean, until {@code maxMeasured} iterations, or until the measured
 * iterations have taken {@code maxCaseSeconds}. Fixed: exactly {@code fixed} measured iterations,
 * for studies that must repeat the same work.
 *
 * @param fixed 0 for adaptive, else the measured count
 */
public record IterationPlan(int warmup, double firstWarmupSeconds, int fixed, int minMeasured, int maxMeasured, double targetHalfWidth,
                            double maxCaseSeconds) implements java.io.Serializable {

    public static final IterationPlan DEFAULT = new IterationPlan(1, 10, 0, 5, 80, 0.05, 15);

    public IterationPlan {
        if (fixed == 0 && minMeasured > maxMeasured) {
            throw new IllegalArgumentException("config: iterations.min_measured (" + minMeasured + ") is above iterations.max_measured ("
                    + maxMeasured + ")");
        }
    }

    public static IterationPlan fixed(int warmup, double firstWarmupSeconds, int measured) {
        return new IterationPlan(warmup, firstWarmupSeconds, measured, measured, measured, DEFAULT.targetHalfWidth, Double.POSITIVE_INFINITY);
    }

    public boolean adaptive() {
        return fixed == 0;
    }

    /** Whether a case that has run {@code done} warm-ups, its group {@code seconds} so far, warms up once more. */
    public boolean warmsUp(boolean firstGroup, int done, double seconds) {
        return done < warmup || (adaptive() && firstGroup && warmup > 0 && seconds < firstWarmupSeconds);
    }

    /** Why a case stopped measuring, and what its iterations showed then. */
    public record Stop(String reason, int measured, int clean, double relativeHalfWidth, String text) { }

    /**
     * Whether to stop after {@code measured} iterations, {@code clean} of them undisturbed with these
     * tokens/s, the measured ones having taken {@code seconds} of their own: the stop, or null to
     * measure another.
     */
    public Stop next(int measured, double[] cleanTokensPerSecond, double seconds) {
        int clean = cleanTokensPerSecond.length;
        double rel = relativeHalfWidth(cleanTokensPerSecond);
        String ci = Double.isNaN(rel) ? "no CI (fewer than 2 clean iterations)" : String.format(Locale.ROOT, "CI ±%.1f%%", 100 * rel);
        String target = String.format(Locale.ROOT, "%.0f%%", 100 * targetHalfWidth);
        String disturbed = clean < measured ? " (" + (measured - clean) + " disturbed, excluded)" : "";
        if (!adaptive()) {
            return measured < fixed ? null : new Stop("fixed", measured, clean, rel,
                    "fixed count of " + fixed + disturbed + ": " + ci);
        }
        if (clean >= minMeasured && rel <= targetHalfWidth) {
            return new Stop("ci_target", measured, clean, rel, ci + " ≤ " + target + " after " + measured + " iterations" + disturbed);
        }
        if (measured >= maxMeasured) {
            return new Stop("max_measured", measured, clean, rel, "maximum of " + maxMeasured + " iterations" + disturbed + ": " + ci
                    + ", target " + target);
        }
        if (measured >= minMeasured && seconds >= maxCaseSeconds) {
            return new Stop("time_budget", measured, clean, rel, String.format(Locale.ROOT, "time budget of %.0f s spent after %d iterations",
                    maxCaseSeconds, measured) + disturbed + ": " + ci + ", target " + target);
        }
        return null;
    }

    /** The 95% CI half-width over the mean (NaN with fewer than 2 values). */
    public static double relativeHalfWidth(double[] xs) {
        if (xs.length < 2) return Double.NaN;
        Ci.Interval i = Ci.of(xs);
        return i.halfWidth() / Math.abs(i.mean());
    }

    /** As in the config file. */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("warmup", warmup);
        m.put("first_warmup_seconds", firstWarmupSeconds);
        if (!adaptive()) {
            m.put("measured", fixed);
            return m;
        }
        m.put("min_measured", minMeasured);
        m.put("max_measured", maxMeasured);
        m.put("target_ci_half_width", targetHalfWidth);
        m.put("max_case_seconds", maxCaseSeconds);
        return m;
    }
}
