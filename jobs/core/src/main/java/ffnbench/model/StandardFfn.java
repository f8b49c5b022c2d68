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
        float[] hidden = proj;
        if (projOffset != 0 || projStride != dFf) {   // a slice of a fused projection: gather it first
            hidden = ws.get(this, HIDDEN_SLOT, tokens * dFf);
            for (int t = 0; t < tokens; t++) System.arraycopy(proj, projOffset + t * projStride, hidden, t * dFf, dFf);
        }
        activation.applyInPlace(hidden, 0, tokens * dFf);
        if (sites.wants(Site.FFN_ACT)) sites.record(Site.FFN_ACT, hidden, 0, tokens, dFf, dFf);
        return hidden;
    }

}
