package ffnbench.model;

import ffnbench.math.Activation;

/**
 * Gated FFN (Shazeer 2020): {@code y = (g(x·W_gate) ⊙ (x·W_up))·W_down}. The activation g goes on
 * the <b>gate</b> projection, as in HF {@code LlamaMLP}: {@code down(act(gate(x)) * up(x))}.
 *
 * <p>{@code W_in} holds {@code [W_gate | W_up]} side by side ({@code [d × 2·d_ff]}), so both come
 * out of one GEMM: columns {@code [0, d_ff)} are the gate, {@code [d_ff, 2·d_ff)} the up projection.
 */
public final class GatedFfn extends FeedForward {

    public GatedFfn(int dModel, int dFf, Activation gateActivation,
                    float[] gateUpWeight, float[] gateUpBias, float[] downWeight, float[] downBias) {
        super(dModel, dFf, gateActivation, gateUpWeight, gateUpBias, downWeight, downBias);
    }

    @Override
    public int inputWidth() {
        return 2 * dFf;
    }

    @Override
    public float[] activate(float[] proj, int projOffset, int projStride, int tokens, SiteRecorder sites, Workspace ws) {
        float[] hidden = ws.get(this, HIDDEN_SLOT, tokens * dFf);
        if (sites.wants(Site.FFN_PREACT)) sites.record(Site.FFN_PREACT, proj, projOffset, tokens, dFf, projStride);
        if (sites.wants(Site.FFN_UP)) sites.record(Site.FFN_UP, proj, projOffset + dFf, tokens, dFf, projStride);
        if (sites.wants(Site.FFN_GATE_ACT)) {   // all of g(gate) first, to record it, then the products
            for (int t = 0; t < tokens; t++) activateGate(proj, projOffset + t * projStride, hidden, t * dFf);
            sites.record(Site.FFN_GATE_ACT, hidden, 0, tokens, dFf, dFf);
            for (int t = 0; t < tokens; t++) Activation.multiplyInPlace(hidden, t * dFf, proj, projOffset + t * projStride + dFf, dFf);
        } else {                                // one pass per token, while its row is in cache
            TokenSlices.forEach(tokens, dFf, (from, to) -> {
                for (int t = from; t < to; t++) {
                    int gate = projOffset + t * projStride;
                    activateGate(proj, gate, hidden, t * dFf);
                    Activation.multiplyInPlace(hidden, t * dFf, proj, gate + dFf, dFf);
                }
            });
        }
        if (sites.wants(Site.FFN_ACT)) sites.record(Site.FFN_ACT, hidden, 0, tokens, dFf, dFf);
        return hidden;
    }

    /** {@code hidden[h, h + d_ff) = g(proj[gate, gate + d_ff))}: one token's activated gate. */
    private void activateGate(float[] proj, int gate, float[] hidden, int h) {
        System.arraycopy(proj, gate, hidden, h, dFf);
        activation.applyInPlace(hidden, h, dFf);
    }

}
