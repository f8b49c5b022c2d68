package ffnbench.analysis;

import org.apache.commons.math3.distribution.TDistribution;

/** Means and 95% confidence intervals over iterations (Student t), and of a ratio of means (delta method). */
public final class Ci {
    private Ci() {}

    /** mean ± half-width. */
    public record Interval(double mean, double halfWidth, int n) {
        public double low() { return mean - halfWidth; }
        public double high() { return mean + halfWidth; }
    }

    public static Interval of(double[] xs) {
        int n = xs.length;
        double mean = 0;
        for (double x : xs) mean += x;
        mean /= n;
        if (n < 2) return new Interval(mean, Double.NaN, n);
        double var = 0;
        for (double x : xs) var += (x - mean) * (x - mean);
        var /= (n - 1);
        return new Interval(mean, t(n - 1) * Math.sqrt(var / n), n);
    }

    /** mean(a) / mean(b), with the delta-method interval for independent samples. */
    public static Interval ratio(double[] a, double[] b) {
        Interval ia = of(a), ib = of(b);
        double r = ia.mean() / ib.mean();
        if (a.length < 2 || b.length < 2) return new Interval(r, Double.NaN, Math.min(a.length, b.length));
        double sa = ia.halfWidth() / t(a.length - 1), sb = ib.halfWidth() / t(b.length - 1); // standard errors
        double se = Math.abs(r) * Math.sqrt(Math.pow(sa / ia.mean(), 2) + Math.pow(sb / ib.mean(), 2));
        int dof = Math.min(a.length, b.length) - 1;
        return new Interval(r, t(dof) * se, Math.min(a.length, b.length));
    }

    static double t(int dof) {
        return new TDistribution(dof).inverseCumulativeProbability(0.975);
    }
}
