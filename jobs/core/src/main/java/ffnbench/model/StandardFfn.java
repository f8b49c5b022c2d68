package ffnbench.model;

import ffnbench.math.Activation;

/** {@code y = f(x·W1 + b1)·W2 + b2} with any activation f (BERT, GPT-2: GELU; T5 v1.0: ReLU). */
public final class StandardFfn extends FeedForward {

    public StandardFfn(int dModel, int dFf, Activation activation,
                       float[] w1, float[] b1, float[] w2, float[] b2) {
        super(dModel, dFf, activation, w1, b1, w2, b2);
    }

    @Override
    public int inputWidth() {
        return dFf;
    }

    @Override
    public float[] activate(float[] proj, int projOffset, int projStride, int tokens, SiteRecorder sites, Workspace ws) {
        if (sites.wants(Site.FFN_PREACT)) sites.record(Site.FFN_PREACT, proj, projOffset, tokens, dFf, projStride);
        boolean fused = projOffset != 0 || projStride != dFf;   // a slice of a fused projection: gathered first
        float[] hidden = fused ? ws.get(this, HIDDEN_SLOT, tokens * dFf) : proj;
        TokenSlices.forEach(tokens, dFf, (from, to) -> {
            if (fused) for (int t = from; t < to; t++) System.arraycopy(proj, projOffset + t * projStride, hidden, t * dFf, dFf);
            activation.applyInPlace(hidden, from * dFf, (to - from) * dFf);
        });
        if (sites.wants(Site.FFN_ACT)) sites.record(Site.FFN_ACT, hidden, 0, tokens, dFf, dFf);
        return hidden;
    }

}
