package ffnbench.model;

import java.util.Locale;

/**
 * Named places inside a layer where intermediate tensors can be observed (for statistics and
 * for {@code forward --sites}). Each is a {@code [tokens × width]} matrix.
 */
public enum Site {
    /** Output of the layer's first norm (pre-LN: attention input; post-LN: after the attention residual). */
    ATTN_NORM,
    /** Attention sublayer output (after its output projection, before the residual). */
    ATTN_OUT,
    /** Output of the layer's second norm (pre-LN: MLP input; post-LN: the block output). */
    MLP_NORM,
    /** Router logits x·W_router of a mixture-of-experts MLP, {@code [tokens × experts]} (absent for dense FFNs). */
    ROUTER_LOGITS,
    /** Router scores (softmax or sigmoid of the logits) of a mixture-of-experts MLP (absent for dense FFNs). */
    ROUTER_PROBS,
    /** What the FFN's input projection reads: another site's tensor under the FFN's name (not in {@code all}). */
    FFN_IN,
    /** FFN pre-activation: {@code x·W1 + b1}, or the gate projection {@code x·W_gate} of a gated FFN. */
    FFN_PREACT,
    /** Up projection {@code x·W_up} of a gated FFN (absent for standard FFNs). */
    FFN_UP,
    /** Activated gate {@code g(x·W_gate)} of a gated FFN, before the product with the up projection (not in {@code all}). */
    FFN_GATE_ACT,
    /** FFN hidden after the non-linearity: {@code f(x·W1 + b1)}, or the gated product {@code g(x·W_gate) ⊙ x·W_up}. */
    FFN_ACT,
    /** FFN sublayer output (after the down projection, before the residual). */
    FFN_OUT,
    /** Output of the whole block. */
    BLOCK_OUT;

    /**
     * Whether statistics' {@code "sites": "all"} includes this site. {@link #FFN_IN} repeats the tensor of
     * another site, and {@link #FFN_GATE_ACT} costs a second pass over the FFN hidden: both are recorded
     * only when named, or for the sparsity analysis.
     */
    public boolean inAll() {
        return this != FFN_IN && this != FFN_GATE_ACT;
    }

    /** Lower-case name used in files and tables, e.g. {@code ffn_act}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Site parse(String id) {
        try {
            return valueOf(id.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            StringBuilder all = new StringBuilder();
            for (Site s : values()) all.append(all.length() == 0 ? "" : ", ").append(s.id());
            throw new IllegalArgumentException("unknown site '" + id + "': use one of " + all);
        }
    }
}
