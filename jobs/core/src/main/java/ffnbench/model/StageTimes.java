package ffnbench.model;

import java.util.Locale;

/** Nanoseconds spent per stage of a layer, summed over calls (one instance per task or call, not shared). */
public final class StageTimes {

    /** The stages a layer's time is split into. */
    public enum Stage {
        /** LayerNorm / RMSNorm. */
        NORM,
        /** Attention: its own input projection (when not fused), scores, softmax, context, output projection. */
        ATTENTION,
        /** The parallel block's fused attention + FFN input projection (one GEMM). */
        FUSED_GEMM,
        /** FFN input and output projections (GEMMs). */
        FFN_GEMM,
        /** FFN activation and gating (element-wise). */
        ACTIVATION,
        /** Residual additions. */
        RESIDUAL,
        /** A mixture-of-experts router: its GEMM, scores, top-k and capacity (the experts' FFNs count as FFN_GEMM). */
        ROUTER,
        /** A mixture of experts' weighted sum of its experts' outputs per token (and the shared expert's add). */
        COMBINE,
        /** Activation statistics (taken by the benchmark, not by the layer). */
        STATS;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final long[] nanos = new long[Stage.values().length];
    private long excluded;

    /**
     * The clock that stage laps use: {@link System#nanoTime()} minus the time {@link #exclude}d so far,
     * so that work done inside a stage on its behalf (statistics taken by a site recorder) is
     * counted once, in its own stage, not also in the enclosing one.
     */
    public long now() {
        return System.nanoTime() - excluded;
    }

    /** Adds time spent inside another stage's interval to {@code stage} and removes it from the enclosing lap. */
    public void exclude(Stage stage, long ns) {
        nanos[stage.ordinal()] += ns;
        excluded += ns;
    }

    public void add(Stage stage, long ns) {
        nanos[stage.ordinal()] += ns;
    }

    /** Adds the time since {@code startNanos} ({@link #now()} clock) to the stage and returns the current time. */
    public long lap(Stage stage, long startNanos) {
        long now = now();
        nanos[stage.ordinal()] += now - startNanos;
        return now;
    }

    public long get(Stage stage) {
        return nanos[stage.ordinal()];
    }

    /** Every stage's nanoseconds, indexed by {@link Stage#ordinal()} (a copy). */
    public long[] all() {
        return nanos.clone();
    }

    public void addAll(StageTimes o) {
        for (int i = 0; i < nanos.length; i++) nanos[i] += o.nanos[i];
    }

    public long total() {
        long t = 0;
        for (long n : nanos) t += n;
        return t;
    }
}
