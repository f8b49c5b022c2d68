package ffnbench.stats;

/**
 * A double sum with Neumaier's compensation (Kahan summation that also handles addends larger than
 * the running sum): the result is exact to rounding of the final value, whatever the order of the
 * additions, which keeps means independent of how the data was split.
 */
final class CompensatedSum {
    double sum;
    double compensation;

    void add(double v) {
        double t = sum + v;
        compensation += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum;
        sum = t;
    }

    /** Adds another compensated sum (both of its parts). */
    void add(CompensatedSum o) {
        add(o.sum);
        add(o.compensation);
    }

    double value() {
        return sum + compensation;
    }
}
