package ffnbench.model;

import ffnbench.math.Activation;
import ffnbench.math.Gemm;
import ffnbench.math.Rope;

/**
 * Multi-head self-attention over one sequence, with optional causal mask, rotary embeddings and
 * grouped-query attention (fewer K/V heads than query heads, each shared by a group of query heads).
 *
 * <p>Like the FFN it runs in steps so that a parallel block can fuse the input projection:
 * {@code QKV = x·W_qkv + b_qkv} (one GEMM; columns: all query heads, then key heads, then value
 * heads), {@link #attend} (per head: softmax(Q·Kᵀ/√d_h)·V), then {@link #project} ({@code ·W_o + b_o}).
 */
public final class MultiHeadAttention {
    private final int dModel;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final boolean causal;
    private final Rope rope;              // null: no rotary embeddings
    private final float[] qkvWeight;      // [qkvWidth × dModel] (out × in, as FeedForward holds its weights)
    private final float[] qkvBias;        // [qkvWidth] or null
    private final float[] outWeight;      // [dModel × heads·headDim] (out × in)
    private final float[] outBias;        // [dModel] or null

    /** From weights {@code [out × in]} ({@link LayerWeights#withMatricesTransposed}), held as given. */
    public MultiHeadAttention(int dModel, int heads, int kvHeads, boolean causal, Rope rope,
                              float[] qkvWeight, float[] qkvBias, float[] outWeight, float[] outBias) {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || dModel % heads != 0) {
            throw new IllegalArgumentException("attention heads: " + heads + " query heads, " + kvHeads
                    + " key/value heads, d_model " + dModel + ": need d_model % heads == 0 and heads % kv_heads == 0");
        }
        this.dModel = dModel;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = dModel / heads;
        this.causal = causal;
        this.rope = rope;
        this.qkvWeight = qkvWeight;
        this.qkvBias = qkvBias;
        this.outWeight = outWeight;
        this.outBias = outBias;
        FeedForward.requireLength("attn.qkv.weight", qkvWeight, (long) dModel * qkvWidth());
        if (qkvBias != null) FeedForward.requireLength("attn.qkv.bias", qkvBias, qkvWidth());
        FeedForward.requireLength("attn.out.weight", outWeight, (long) heads * headDim * dModel);
        if (outBias != null) FeedForward.requireLength("attn.out.bias", outBias, dModel);
        if (rope != null && rope.rotaryDim() > headDim) {
            throw new IllegalArgumentException("rotary dimension " + rope.rotaryDim() + " exceeds head dimension " + headDim);
        }
    }

    /** Width of the fused Q/K/V projection: {@code (heads + 2·kvHeads)·headDim}. */
    public int qkvWidth() {
        return (heads + 2 * kvHeads) * headDim;
    }

    /** The Q/K/V projection's weights, {@code [qkvWidth × dModel]} (out × in). */
    public float[] qkvWeightOutIn() {
        return qkvWeight;
    }

    public float[] qkvBias() {
        return qkvBias;
    }

    public int heads() {
        return heads;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDim() {
        return headDim;
    }

    public boolean causal() {
        return causal;
    }

    /** {@link Workspace} slots of the attention sublayer. */
    private static final int QKV_SLOT = 0, CONTEXT_SLOT = 1, OUT_SLOT = 2, Q_SLOT = 3, K_SLOT = 4, V_SLOT = 5,
            HEAD_CONTEXT_SLOT = 6, SCORES_SLOT = 7;

    /** The whole sublayer: {@code y[tokens × d] = Attn(x)}. */
    public float[] forward(float[] x, int tokens, SiteRecorder sites) {
        return forward(x, tokens, sites, Workspace.fresh());
    }

    /** As above, with intermediates (and the returned output) taken from {@code ws}. */
    public float[] forward(float[] x, int tokens, SiteRecorder sites, Workspace ws) {
        float[] qkv = ws.get(this, QKV_SLOT, tokens * qkvWidth());
        Gemm.linearOutIn(x, tokens, dModel, qkvWeight, qkvBias, qkvWidth(), qkv);
        float[] context = ws.get(this, CONTEXT_SLOT, tokens * heads * headDim);
        attend(qkv, 0, qkvWidth(), tokens, context, ws);
        float[] out = ws.get(this, OUT_SLOT, tokens * dModel);
        project(context, tokens, out, sites);
        return out;
    }

    /**
     * From projections {@code qkv} ({@code tokens} rows of stride {@code stride} starting at
     * {@code offset}; rotated in place when RoPE is on) to the per-head context
     * {@code [tokens × heads·headDim]}.
     */
    public void attend(float[] qkv, int offset, int stride, int tokens, float[] context, Workspace ws) {
        int keyOffset = offset + heads * headDim;
        int valueOffset = keyOffset + kvHeads * headDim;
        if (rope != null) {
            rope.apply(qkv, tokens, stride, offset, heads, headDim);
            rope.apply(qkv, tokens, stride, keyOffset, kvHeads, headDim);
        }
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int group = heads / kvHeads;
        int contextStride = heads * headDim;
        // Heads are gathered into dense [tokens × headDim] blocks: netlib checks array bounds as if
        // every row of a strided view were full, so strided sub-matrices at an offset are refused.
        float[] q = ws.get(this, Q_SLOT, tokens * headDim);
        float[] k = ws.get(this, K_SLOT, tokens * headDim);
        float[] v = ws.get(this, V_SLOT, tokens * headDim);
        float[] headContext = ws.get(this, HEAD_CONTEXT_SLOT, tokens * headDim);
        float[] scores = ws.get(this, SCORES_SLOT, tokens * tokens);
        int loadedKv = -1;
        for (int h = 0; h < heads; h++) {
            int kv = h / group;
            gather(qkv, offset + h * headDim, stride, tokens, q);
            if (kv != loadedKv) {
                gather(qkv, keyOffset + kv * headDim, stride, tokens, k);
                gather(qkv, valueOffset + kv * headDim, stride, tokens, v);
                loadedKv = kv;
            }
            // scores[i][j] = q_i · k_j / √d_h
            Gemm.gemm(true, tokens, tokens, headDim, scale, q, 0, headDim, k, 0, headDim, 0f, scores, 0, tokens);
            softmaxRows(scores, tokens);
            // context_h = P · V
            Gemm.gemm(false, tokens, headDim, tokens, 1f, scores, 0, tokens, v, 0, headDim, 0f, headContext, 0, headDim);
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(headContext, t * headDim, context, t * contextStride + h * headDim, headDim);
            }
        }
    }

    private void gather(float[] src, int offset, int stride, int tokens, float[] dst) {
        for (int t = 0; t < tokens; t++) System.arraycopy(src, offset + t * stride, dst, t * headDim, headDim);
    }

    /** Row-wise softmax; with a causal mask, position i attends to j ≤ i only (the rest get 0). */
    private void softmaxRows(float[] scores, int tokens) {
        for (int i = 0; i < tokens; i++) {
            int row = i * tokens;
            int visible = causal ? i + 1 : tokens;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < visible; j++) max = Math.max(max, scores[row + j]);
            Activation.expInPlace(scores, row, visible, max);   // FastMath.exp's bits, in SIMD lanes
            double sum = 0;
            for (int j = 0; j < visible; j++) sum += scores[row + j];
            float inv = (float) (1.0 / sum);
            for (int j = 0; j < visible; j++) scores[row + j] *= inv;
            for (int j = visible; j < tokens; j++) scores[row + j] = 0f;
        }
    }

    /** Output projection {@code out = context·W_o + b_o}, recorded as {@link Site#ATTN_OUT}. */
    public void project(float[] context, int tokens, float[] out, SiteRecorder sites) {
        Gemm.linearOutIn(context, tokens, heads * headDim, outWeight, outBias, dModel, out);
        if (sites.wants(Site.ATTN_OUT)) sites.record(Site.ATTN_OUT, out, 0, tokens, dModel, dModel);
    }

    /** FLOPs per token for a sequence of {@code seqLen} tokens (full score matrix computed, as here). */
    public long flopsPerToken(int seqLen) {
        return Flops.attention(dModel, heads, kvHeads, headDim, rope == null ? 0 : rope.rotaryDim(), seqLen, qkvBias != null,
                outBias != null);
    }
}
