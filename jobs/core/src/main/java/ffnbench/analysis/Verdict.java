package ffnbench.analysis;

/**
 * The words said beside every ratio: whether its 95% confidence interval shows a difference. A ratio
 * whose interval contains 1 is "no significant difference", however far its mean is from 1.
 */
public final class Verdict {
    private Verdict() {}

    public static final String TOO_FEW = "no verdict: fewer than 2 clean iterations on a side";
    public static final String NO_DIFFERENCE = "no significant difference";

    /** For a throughput ratio {@code name / base}: "{@code name} faster", "{@code name} slower" or no difference. */
    public static String ofRatio(Ci.Interval ratio, String name) {
        if (Double.isNaN(ratio.halfWidth())) return TOO_FEW;
        if (ratio.low() > 1) return name + " faster";
        if (ratio.high() < 1) return name + " slower";
        return NO_DIFFERENCE;
    }
}
