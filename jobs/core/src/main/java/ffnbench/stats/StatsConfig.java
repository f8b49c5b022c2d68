package ffnbench.stats;

import java.io.Serializable;

/**
 * Settings of the activation statistics (section {@code stats} of a bench config).
 *
 * @param nearZeroEps      |x| below this counts as near zero
 * @param outlierThreshold |x| at or above this counts towards the LLM.int8 outlier criterion (6)
 * @param histogramRange   the histogram covers [−range, range) in equal bins, plus under/overflow
 * @param histogramBins    number of equal bins
 * @param topK             outlier channels reported by max |x|
 * @param quantileSample   at most this many values per row and site feed the quantile histogram
 *                         (a systematic sample: every ⌈n/quantileSample⌉-th value)
 * @param quantileBits     mantissa bits per bin of the quantile histogram ({@link LogHistogram}):
 *                         quantiles within a relative 2^−(bits+1) of a sampled value's (7: 0.39%)
 * @param capacityFactors  mixture-of-experts layers: the capacity factors whose drop rates the router
 *                         statistics report ({@link RouterStats})
 */
public record StatsConfig(double nearZeroEps, double outlierThreshold, double histogramRange, int histogramBins,
                          int topK, int quantileSample, int quantileBits, java.util.List<Double> capacityFactors) implements Serializable {

    public static final java.util.List<Double> DEFAULT_CAPACITY_FACTORS = java.util.List.of(1.0, 1.25, 2.0);
    public static final StatsConfig DEFAULT = new StatsConfig(1e-3, 6.0, 10.0, 80, 10, 4096, 7);

    /** With the default capacity factors. */
    public StatsConfig(double nearZeroEps, double outlierThreshold, double histogramRange, int histogramBins, int topK,
                       int quantileSample, int quantileBits) {
        this(nearZeroEps, outlierThreshold, histogramRange, histogramBins, topK, quantileSample, quantileBits, DEFAULT_CAPACITY_FACTORS);
    }

    public StatsConfig {
        require(nearZeroEps >= 0, "stats.near_zero_eps must be ≥ 0");
        require(outlierThreshold > 0, "stats.outlier_threshold must be > 0");
        require(histogramRange > 0, "stats.histogram_range must be > 0");
        require(histogramBins >= 1 && histogramBins <= 10000, "stats.histogram_bins must be in 1..10000");
        require(topK >= 1, "stats.top_k must be ≥ 1");
        require(quantileSample >= 1, "stats.quantile_sample must be ≥ 1");
        require(quantileBits >= 1 && quantileBits <= 16, "stats.quantile_bits must be in 1..16");
        capacityFactors = java.util.List.copyOf(capacityFactors);
        for (double c : capacityFactors) require(c > 0 && Double.isFinite(c), "stats.capacity_factors must be > 0, got " + c);
    }

    /** The fields under their config names ({@code stats.near_zero_eps}, …), as {@code summary.json} records them. */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("near_zero_eps", nearZeroEps);
        m.put("outlier_threshold", outlierThreshold);
        m.put("histogram_range", histogramRange);
        m.put("histogram_bins", histogramBins);
        m.put("top_k", topK);
        m.put("quantile_sample", quantileSample);
        m.put("quantile_bits", quantileBits);
        m.put("capacity_factors", capacityFactors);
        return m;
    }

    /**
     * Reads what {@link #describe} wrote, or the record's own field names that {@code summary.json}
     * format version 1 held ({@code nearZeroEps}, …); missing fields take the defaults (a run with a
     * KLL sketch's {@code kll_k} reads as the default quantile histogram: only its quantiles differ).
     */
    public static StatsConfig read(com.fasterxml.jackson.databind.JsonNode n) {
        java.util.function.BiFunction<String, String, com.fasterxml.jackson.databind.JsonNode> field =
                (snake, camel) -> n.has(snake) ? n.get(snake) : n.path(camel);
        StatsConfig d = DEFAULT;
        return new StatsConfig(field.apply("near_zero_eps", "nearZeroEps").asDouble(d.nearZeroEps),
                field.apply("outlier_threshold", "outlierThreshold").asDouble(d.outlierThreshold),
                field.apply("histogram_range", "histogramRange").asDouble(d.histogramRange),
                field.apply("histogram_bins", "histogramBins").asInt(d.histogramBins),
                field.apply("top_k", "topK").asInt(d.topK),
                field.apply("quantile_sample", "quantileSample").asInt(d.quantileSample),
                n.path("quantile_bits").asInt(d.quantileBits), capacityFactors(n.path("capacity_factors")));
    }

    private static java.util.List<Double> capacityFactors(com.fasterxml.jackson.databind.JsonNode n) {
        if (!n.isArray()) return DEFAULT_CAPACITY_FACTORS;
        java.util.List<Double> out = new java.util.ArrayList<>();
        n.forEach(v -> out.add(v.asDouble()));
        return out;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
