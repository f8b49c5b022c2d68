package ffnbench.stats;

/**
 * Count, mean and central moment sums M2..M4 of a set of values, mergeable with the parallel
 * formulas of Chan et al. and Pébay (2008), so any split of the data gives the same result up to
 * rounding. Accumulated in double; the plain sum is carried with Neumaier compensation, so the mean
 * stays exact to rounding even when it is tiny next to the values (then it no longer depends on how
 * the data was split, to ~1e-15).
 */
public final class Moments {
    long n;
    final CompensatedSum sum = new CompensatedSum();
    double m2;
    double m3;
    double m4;

    /** Adds a block of values summarised by its count, its (compensated) sum and its central sums. */
    void merge(long nb, CompensatedSum sumB, double m2b, double m3b, double m4b) {
        if (nb == 0) return;
        if (n == 0) {
            n = nb; sum.add(sumB); m2 = m2b; m3 = m3b; m4 = m4b;
            return;
        }
        double mean = mean();
        double meanB = sumB.value() / nb;
        long na = n;
        double total = na + nb;
        double delta = meanB - mean;
        double d2 = delta * delta;
        double newM4 = m4 + m4b
                + d2 * d2 * na * nb * ((double) na * na - (double) na * nb + (double) nb * nb) / (total * total * total)
                + 6 * d2 * ((double) na * na * m2b + (double) nb * nb * m2) / (total * total)
                + 4 * delta * (na * m3b - nb * m3) / total;
        double newM3 = m3 + m3b
                + d2 * delta * na * nb * (na - nb) / (total * total)
                + 3 * delta * (na * m2b - nb * m2) / total;
        double newM2 = m2 + m2b + d2 * na * nb / total;
        sum.add(sumB);
        m2 = newM2;
        m3 = newM3;
        m4 = newM4;
        n = na + nb;
    }

    public void merge(Moments o) {
        merge(o.n, o.sum, o.m2, o.m3, o.m4);
    }

    public long count() {
        return n;
    }

    public double mean() {
        return n == 0 ? Double.NaN : sum.value() / n;
    }

    /** Population variance. */
    public double variance() {
        return n == 0 ? Double.NaN : m2 / n;
    }

    /** Skewness g1 = √n·M3 / M2^1.5. */
    public double skewness() {
        return m2 == 0 ? Double.NaN : Math.sqrt(n) * m3 / Math.pow(m2, 1.5);
    }

    /** Kurtosis (Pearson, a normal distribution gives 3) = n·M4 / M2². */
    public double kurtosis() {
        return m2 == 0 ? Double.NaN : n * m4 / (m2 * m2);
    }

    /** Moments of a plain array (two passes in double). */
    public static Moments of(double[] values) {
        Moments m = new Moments();
        if (values.length == 0) return m;
        CompensatedSum sum = new CompensatedSum();
        for (double v : values) sum.add(v);
        double mean = sum.value() / values.length;
        double s2 = 0, s3 = 0, s4 = 0;
        for (double v : values) {
            double c = v - mean, c2 = c * c;
            s2 += c2; s3 += c2 * c; s4 += c2 * c2;
        }
        m.merge(values.length, sum, s2, s3, s4);
        return m;
    }
}
