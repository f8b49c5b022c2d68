package ffnbench.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of one layer under canonical names, every matrix stored {@code [in × out]} row-major
 * ({@code y = x·W}). Loaders translate checkpoint layouts into these names:
 * <pre>
 * attn_norm.weight [d]      attn_norm.bias [d]      (LayerNorm only)
 * attn.qkv.weight  [d × (heads + 2·kv_heads)·head_dim]   columns: Q heads, K heads, V heads
 * attn.qkv.bias    [(heads + 2·kv_heads)·head_dim]        (attn_bias)
 * attn.out.weight  [heads·head_dim × d]   attn.out.bias [d]
 * mlp_norm.weight  [d]      mlp_norm.bias [d]
 * mlp.in.weight    [d × d_ff] or, gated, [d × 2·d_ff] = [W_gate | W_up]
 * mlp.in.bias      [d_ff or 2·d_ff]                       (mlp_bias)
 * mlp.out.weight   [d_ff × d]   mlp.out.bias [d]
 * </pre>
 * A mixture-of-experts MLP ({@link ModelConfig#moe}) has instead, with E experts of width d_ff:
 * <pre>
 * mlp.router.weight            [d × E]
 * mlp.router.selection_bias    [E]                         (DeepSeek-V3's e_score_correction_bias)
 * mlp.experts.N.in.weight      [d × 2·d_ff] = [W_gate | W_up]   for N = 0 … E−1
 * mlp.experts.N.out.weight     [d_ff × d]
 * mlp.shared.in.weight         [d × 2·d_ff_shared]   mlp.shared.out.weight [d_ff_shared × d]
 * mlp.shared_gate.weight       [d]                         (Qwen2-MoE's shared_expert_gate)
 * </pre>
 * A {@link TransformerLayer} computes with the four matrices transposed, {@code [out × in]}
 * ({@link #withMatricesTransposed}); it reports its weights in this canonical layout.
 */
public final class LayerWeights {
    private final Map<String, float[]> tensors;

    public LayerWeights(Map<String, float[]> tensors) {
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The tensors a layer of this config needs, with their shapes, in a fixed order. */
    public static Map<String, int[]> expectedShapes(ModelConfig c) {
        Map<String, int[]> s = new LinkedHashMap<>();
        int d = c.dModel();
        boolean layerNorm = c.norm() == NormType.LAYERNORM;
        s.put("attn_norm.weight", new int[] {d});
        if (layerNorm) s.put("attn_norm.bias", new int[] {d});
        s.put("attn.qkv.weight", new int[] {d, c.qkvWidth()});
        if (c.attnBias()) s.put("attn.qkv.bias", new int[] {c.qkvWidth()});
        s.put("attn.out.weight", new int[] {c.heads() * c.headDim(), d});
        if (c.attnBias()) s.put("attn.out.bias", new int[] {d});
        s.put("mlp_norm.weight", new int[] {d});
        if (layerNorm) s.put("mlp_norm.bias", new int[] {d});
        if (c.isMoe()) {
            moeShapes(c, s);
            return s;
        }
        s.put("mlp.in.weight", new int[] {d, c.ffnInputWidth()});
        if (c.mlpBias()) s.put("mlp.in.bias", new int[] {c.ffnInputWidth()});
        s.put("mlp.out.weight", new int[] {c.dFf(), d});
        if (c.mlpBias()) s.put("mlp.out.bias", new int[] {d});
        return s;
    }

    private static void moeShapes(ModelConfig c, Map<String, int[]> s) {
        int d = c.dModel(), e = c.moe().experts();
        s.put("mlp.router.weight", new int[] {d, e});
        if (c.moe().selectionBias()) s.put("mlp.router.selection_bias", new int[] {e});
        for (int n = 0; n < e; n++) {
            s.put("mlp.experts." + n + ".in.weight", new int[] {d, 2 * c.dFf()});
            s.put("mlp.experts." + n + ".out.weight", new int[] {c.dFf(), d});
        }
        if (c.moe().dFfShared() > 0) {
            s.put("mlp.shared.in.weight", new int[] {d, 2 * c.moe().dFfShared()});
            s.put("mlp.shared.out.weight", new int[] {c.moe().dFfShared(), d});
        }
        if (c.moe().sharedGate()) s.put("mlp.shared_gate.weight", new int[] {d});
    }

    /** Checks that every expected tensor is present with the right size; the error names the tensor. */
    public LayerWeights validate(ModelConfig c) {
        for (Map.Entry<String, int[]> e : expectedShapes(c).entrySet()) {
            float[] t = tensors.get(e.getKey());
            long expected = 1;
            for (int dim : e.getValue()) expected *= dim;
            if (t == null) {
                throw new IllegalArgumentException("missing tensor " + e.getKey() + " (shape "
                        + Arrays.toString(e.getValue()) + ") for a " + c.arch() + " layer");
            }
            if (t.length != expected) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " has " + t.length + " values, expected shape "
                        + Arrays.toString(e.getValue()) + " = " + expected);
            }
            requireFinite("tensor " + e.getKey() + " of a " + c.arch() + " layer", t);
        }
        return this;
    }

    /**
     * Refuses weights with NaN or ±Inf: one such weight makes every output non-finite, a run that
     * would look successful. {@code what} names the tensor (and its file) in the error.
     */
    public static void requireFinite(String what, float[] t) {
        int bad = 0, first = -1;
        for (int i = 0; i < t.length; i++) {
            if (!Float.isFinite(t[i])) {
                if (first < 0) first = i;
                bad++;
            }
        }
        if (bad > 0) {
            throw new IllegalArgumentException(what + " holds " + bad + " non-finite value(s), the first " + t[first] + " at index "
                    + first + ": the weights are corrupt (re-export or re-download them)");
        }
    }

    /** The tensor, or null if absent (e.g. biases of a bias-free model). */
    public float[] get(String name) {
        return tensors.get(name);
    }

    public Map<String, float[]> tensors() {
        return tensors;
    }

    /**
     * The same tensors with every matrix transposed: canonical {@code [in × out]} to the
     * {@code [out × in]} layout the layers compute with ({@code toOutIn}), or back. Vectors are shared,
     * not copied.
     */
    public LayerWeights withMatricesTransposed(ModelConfig c, boolean toOutIn) {
        Map<String, int[]> shapes = expectedShapes(c);
        Map<String, float[]> out = new LinkedHashMap<>(tensors);
        for (Map.Entry<String, int[]> m : shapes.entrySet()) {
            if (m.getValue().length != 2) continue;
            String name = m.getKey();
            int[] shape = m.getValue();       // canonical [in, out]
            float[] t = tensors.get(name);
            if (t == null) continue;          // validate() reports it
            out.put(name, toOutIn ? ffnbench.math.Matrices.transpose(t, shape[0], shape[1])
                    : ffnbench.math.Matrices.transpose(t, shape[1], shape[0]));
        }
        return new LayerWeights(out);
    }

    /** A copy with every tensor rounded to {@code dtype} (f32 returns this object: nothing changes). */
    public LayerWeights roundedTo(String dtype) {
        if (dtype.equals("f32")) return this;
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            float[] r = new float[t.length];
            for (int i = 0; i < t.length; i++) r[i] = ffnbench.math.Half.round(t[i], dtype);
            out.put(name, r);
        });
        return new LayerWeights(out);
    }
}
