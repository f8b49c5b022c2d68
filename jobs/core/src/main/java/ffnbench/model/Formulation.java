package ffnbench.model;

import java.util.Locale;

/** How a block combines attention and MLP. */
public enum Formulation {
    /** {@code h = x + Attn(LN₁(x)); y = h + MLP(LN₂(h))} (pre-LN), or BERT's post-LN form: the model's own. */
    SERIAL,
    /** {@code y = x + Attn(LN(x)) + MLP(LN(x))}, one shared norm, input projections fused into one GEMM (GPT-J, PaLM). */
    PARALLEL,
    /** {@code y = x + Attn(LN₁(x)) + MLP(LN₂(x))}: the layer's two norms on the same input (GPT-NeoX). */
    PARALLEL_TWO_NORMS;

    /** Name as written on command lines and in configs: serial, parallel, parallel-two-norms. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Refuses a formulation the model cannot run: parallel-two-norms applies both norms to the block input, so pre-LN only. */
    public void requireFits(ModelConfig config) {
        if (this == PARALLEL_TWO_NORMS && config.placement() != NormPlacement.PRE) {
            throw new IllegalArgumentException("parallel-two-norms needs pre-LN placement: it applies the layer's two norms to the "
                    + "block input (GPT-NeoX), which a post-LN model does not have; use serial or parallel, or placement pre");
        }
    }

    public static Formulation parse(String id) {
        for (Formulation f : values()) {
            if (f.id().equals(id.trim().toLowerCase(Locale.ROOT))) return f;
        }
        throw new IllegalArgumentException("unknown formulation '" + id + "': use serial, parallel or parallel-two-norms");
    }
}
