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

    /** A value's bin: {@code 1 + floor((v + range)·binsPerUnit)}, 0 below the range, bins + 1 above it. */
    int bin(float v) {
        float pos = (v + range) * binsPerUnit;
        return pos < 0 ? 0 : pos >= bins ? bins + 1 : 1 + (int) pos;
    }
}
