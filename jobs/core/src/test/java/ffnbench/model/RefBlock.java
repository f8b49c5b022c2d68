package ffnbench.model;

import ffnbench.Reference;

/** A float64 reference of a whole layer, written straight from the formulas (no shared code). */
final class RefBlock {
    private final ModelConfig c;
    private final LayerWeights w;

    RefBlock(ModelConfig c, LayerWeights w) {
        this.c = c;
        this.w = w;
    }

    double[] norm(double[] x, int tokens, String prefix) {
        int d = c.dModel();
        float[] g = w.get(prefix + ".weight"), b = w.get(prefix + ".bias");
        double[] y = new double[x.length];
        for (int t = 0; t < tokens; t++) {
            double mean = 0, sq = 0;
            for (int i = 0; i < d; i++) mean += x[t * d + i];
            mean /= d;
            boolean rms = c.norm() == NormType.RMSNORM;
            for (int i = 0; i < d; i++) {
                double v = rms ? x[t * d + i] : x[t * d + i] - mean;
                sq += v * v;
            }
            double inv = 1 / Math.sqrt(sq / d + c.normEps());
            for (int i = 0; i < d; i++) {
                double v = rms ? x[t * d + i] : x[t * d + i] - mean;
                y[t * d + i] = v * inv * g[i] + (b == null ? 0 : b[i]);
            }
        }
        return y;
    }

    static double[] linear(double[] x, int rows, int in, float[] wt, float[] bias, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int i = 0; i < in; i++) s += x[r * in + i] * wt[i * out + o];
                y[r * out + o] = s;
            }
        }
        return y;
    }

    double[] attention(double[] x, int tokens) {
        int d = c.dModel(), hd = c.headDim(), qkvW = c.qkvWidth();
        double[] qkv = linear(x, tokens, d, w.get("attn.qkv.weight"), w.get("attn.qkv.bias"), qkvW);
        int kOff = c.heads() * hd, vOff = kOff + c.kvHeads() * hd;
        if (c.rotaryDim() > 0) {
            int half = c.rotaryDim() / 2;
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < c.heads() + c.kvHeads(); h++) {
                    int base = t * qkvW + h * hd;
                    for (int i = 0; i < half; i++) {
                        double ang = t * Math.pow(c.ropeTheta(), -2.0 * i / c.rotaryDim());
                        double a = qkv[base + i], b = qkv[base + i + half];
                        qkv[base + i] = a * Math.cos(ang) - b * Math.sin(ang);
                        qkv[base + i + half] = b * Math.cos(ang) + a * Math.sin(ang);
                    }
                }
            }
        }
        double[] ctx = new double[tokens * c.heads() * hd];
        int group = c.heads() / c.kvHeads();
        for (int h = 0; h < c.heads(); h++) {
            int kv = h / group;
            for (int i = 0; i < tokens; i++) {
                double[] p = new double[tokens];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tokens; j++) {
                    if (c.causal() && j > i) { p[j] = Double.NEGATIVE_INFINITY; continue; }
                    double s = 0;
                    for (int e = 0; e < hd; e++) s += qkv[i * qkvW + h * hd + e] * qkv[j * qkvW + kOff + kv * hd + e];
                    p[j] = s / Math.sqrt(hd);
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < tokens; j++) { p[j] = Math.exp(p[j] - max); sum += p[j]; }
                for (int e = 0; e < hd; e++) {
                    double s = 0;
                    for (int j = 0; j < tokens; j++) s += p[j] / sum * qkv[j * qkvW + vOff + kv * hd + e];
                    ctx[i * c.heads() * hd + h * hd + e] = s;
                }
            }
        }
        return linear(ctx, tokens, c.heads() * hd, w.get("attn.out.weight"), w.get("attn.out.bias"), d);
    }

    double[] mlp(double[] x, int tokens) {
        int d = c.dModel(), f = c.dFf();
        double[] p = linear(x, tokens, d, w.get("mlp.in.weight"), w.get("mlp.in.bias"), c.ffnInputWidth());
        double[] h = new double[tokens * f];
        var act = FeedForwardTest.reference(c.ffn().name());
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < f; i++) {
                double v = act.applyAsDouble(p[t * c.ffnInputWidth() + i]);
                h[t * f + i] = c.ffn().gated() ? v * p[t * c.ffnInputWidth() + f + i] : v;
            }
        }
        return linear(h, tokens, f, w.get("mlp.out.weight"), w.get("mlp.out.bias"), d);
    }

    static double[] add(double[]... xs) {
        double[] y = new double[xs[0].length];
        for (double[] x : xs) for (int i = 0; i < y.length; i++) y[i] += x[i];
        return y;
    }

    double[] block(float[] xf, int tokens, Formulation f) {
        double[] x = new double[xf.length];
        for (int i = 0; i < x.length; i++) x[i] = xf[i];
        boolean pre = c.placement() == NormPlacement.PRE;
        switch (f) {
            case SERIAL:
                if (pre) {
                    double[] h = add(x, attention(norm(x, tokens, "attn_norm"), tokens));
                    return add(h, mlp(norm(h, tokens, "mlp_norm"), tokens));
                } else {
                    double[] h = norm(add(x, attention(x, tokens)), tokens, "attn_norm");
                    return norm(add(h, mlp(h, tokens)), tokens, "mlp_norm");
                }
            case PARALLEL:
                if (pre) {
                    double[] n = norm(x, tokens, "attn_norm");
                    return add(x, attention(n, tokens), mlp(n, tokens));
                }
                return norm(add(x, attention(x, tokens), mlp(x, tokens)), tokens, "attn_norm");
            default:
                return add(x, attention(norm(x, tokens, "attn_norm"), tokens), mlp(norm(x, tokens, "mlp_norm"), tokens));
        }
    }
}
