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
 * @param quantileSample   at most this many values per row and site feed the quantile sketch
 *                         (a systematic sample: every ⌈n/quantileSample⌉-th value)
 * @param kllK             KLL sketch accuracy parameter (200 ≈ 1.3% normalised rank error)
 */
public record StatsConfig(double nearZeroEps, double outlierThreshold, double histogramRange, int histogramBins,
                          int topK, int quantileSample, int kllK) implements Serializable {

    public static final StatsConfig DEFAULT = new StatsConfig(1e-3, 6.0, 10.0, 80, 10, 4096, 200);

    public StatsConfig {
        require(nearZeroEps >= 0, "stats.near_zero_eps must be ≥ 0");
        require(outlierThreshold > 0, "stats.outlier_threshold must be > 0");
        require(histogramRange > 0, "stats.histogram_range must be > 0");
        require(histogramBins >= 1 && histogramBins <= 10000, "stats.histogram_bins must be in 1..10000");
        require(topK >= 1, "stats.top_k must be ≥ 1");
        require(quantileSample >= 1, "stats.quantile_sample must be ≥ 1");
        require(kllK >= 8 && kllK <= 65535, "stats.kll_k must be in 8..65535");
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
        m.put("kll_k", kllK);
        return m;
    }

    /**
     * Reads what {@link #describe} wrote, or the record's own field names that {@code summary.json}
     * format version 1 held ({@code nearZeroEps}, …); missing fields take the defaults.
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
                field.apply("kll_k", "kllK").asInt(d.kllK));
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
