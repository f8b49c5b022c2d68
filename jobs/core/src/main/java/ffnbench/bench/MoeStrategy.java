package ffnbench.bench;

import java.util.Locale;

/**
 * How a case's mixture-of-experts layers run on Spark (config {@code models[].moe_strategy}). Both
 * compute the same layers; they differ in where each token's experts run.
 */
public enum MoeStrategy {
    /** Every task holds every expert; a sequence's tokens stay in its row, each expert one GEMM per sequence. */
    DATA_PARALLEL,
    /**
     * Per layer: each sequence is routed, its tokens travel to their experts' partitions (the dispatch
     * shuffle), each expert runs one GEMM over all the tokens it received, and the outputs travel back
     * to their sequences (the combine shuffle).
     */
    EXPERT_PARALLEL;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MoeStrategy parse(String s) {
        for (MoeStrategy m : values()) if (m.id().equals(s)) return m;
        throw new IllegalArgumentException("unknown MoE strategy '" + s + "'; use data_parallel or expert_parallel");
    }
}
