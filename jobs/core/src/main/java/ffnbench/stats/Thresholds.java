package ffnbench.stats;

/**
 * A site's statistics settings in the float form the per-value loops compare against, and the
 * histogram bin of a value (the SIMD kernels compute the same bin, {@link ChannelKernels#pass}).
 */
record Thresholds(float nearZeroEps, float outlier, float range, int bins, float binsPerUnit) {

    static Thresholds of(StatsConfig config) {
        float range = (float) config.histogramRange();
        int bins = config.histogramBins();
        return new Thresholds((float) config.nearZeroEps(), (float) config.outlierThreshold(), range, bins, bins / (2 * range));
    }

    /** Added to v·binsPerUnit, it gives the bin position: 1 at −range, where bin 1 (the first in range) starts. */
    float binOffset() {
        return range * binsPerUnit + 1f;
    }

    /**
     * A value's bin: {@code floor(v·binsPerUnit + binOffset)} (one rounding: a fused multiply-add), 0
     * below the range (underflow), bins + 1 above it (overflow).
     */
    int bin(float v) {
        float position = Math.fma(v, binsPerUnit, binOffset());
        return position < 1f ? 0 : position >= bins + 1 ? bins + 1 : (int) position;
    }
}
