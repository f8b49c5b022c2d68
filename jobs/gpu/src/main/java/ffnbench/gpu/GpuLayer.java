package ffnbench.gpu;

import ffnbench.math.Matrices;
import ffnbench.model.Formulation;
import ffnbench.model.ModelConfig;
import ffnbench.model.NormPlacement;
import ffnbench.model.NormType;
import ffnbench.model.Site;
import ffnbench.model.TransformerLayer;

/**
 * One transformer layer on the GPU: the same weights as a {@link TransformerLayer}, uploaded once
 * per executor, and the same formulations, run over a <em>batch</em> of sequences that lies in
 * device memory as {@code [tokens × d]} (the child buffer of a cuDF {@code LIST<FLOAT32>} column).
 * Norms, projections and the FFN run over all tokens of the batch at once; rotary embeddings and
 * attention run per sequence, whose token ranges come from the list offsets. The parallel
 * formulation multiplies by the fused {@code [W_qkv | W_in]} in one GEMM, as on the CPU.
 */
public final class GpuLayer implements AutoCloseable {
    private final ModelConfig c;
    private final int qkvWidth, ffnWidth, fusedWidth;
    private final long qkvW, qkvB, outW, outB, inW, inB, downW, downB, fusedW, fusedB;
    private final long norm1G, norm1B, norm2G, norm2B;
    private final int precision;

    public GpuLayer(TransformerLayer layer, int precision) {
        NativeGpu.load();
        this.c = layer.config();
        this.precision = precision;
        var w = layer.weights();
        qkvWidth = layer.attention().qkvWidth();
        ffnWidth = layer.ffn().inputWidth();
        fusedWidth = qkvWidth + ffnWidth;
        qkvW = NativeGpu.copyOf(w.get("attn.qkv.weight"));
        qkvB = NativeGpu.copyOf(w.get("attn.qkv.bias"));
        outW = NativeGpu.copyOf(w.get("attn.out.weight"));
        outB = NativeGpu.copyOf(w.get("attn.out.bias"));
        inW = NativeGpu.copyOf(w.get("mlp.in.weight"));
        inB = NativeGpu.copyOf(w.get("mlp.in.bias"));
        downW = NativeGpu.copyOf(w.get("mlp.out.weight"));
        downB = NativeGpu.copyOf(w.get("mlp.out.bias"));
        fusedW = NativeGpu.copyOf(Matrices.concatColumns(c.dModel(), w.get("attn.qkv.weight"), w.get("mlp.in.weight")));
        float[] qb = w.get("attn.qkv.bias"), ib = w.get("mlp.in.bias");
        fusedB = qb == null && ib == null ? 0 : NativeGpu.copyOf(Matrices.concatColumns(1,
                qb != null ? qb : new float[qkvWidth], ib != null ? ib : new float[ffnWidth]));
        norm1G = NativeGpu.copyOf(w.get("attn_norm.weight"));
        norm1B = NativeGpu.copyOf(w.get("attn_norm.bias"));
        norm2G = NativeGpu.copyOf(w.get("mlp_norm.weight"));
        norm2B = NativeGpu.copyOf(w.get("mlp_norm.bias"));
    }

    public ModelConfig config() {
        return c;
    }

    /** Where the layer reports its sites (device pointers of {@code rows × width} with row stride {@code ld}). */
    public interface Sites {
        boolean wants(Site site);

        void record(Site site, long data, int rows, int width, int ld);
    }

    /** A device scratch buffer of at least {@code floats} floats, grown on demand and reused across batches. */
    public static final class Scratch implements AutoCloseable {
        private final long[] ptr = new long[8];
        private final long[] size = new long[8];

        long get(int slot, long floats) {
            if (size[slot] < floats) {
                if (ptr[slot] != 0) NativeGpu.free(ptr[slot]);
                ptr[slot] = NativeGpu.alloc(4 * floats);
                size[slot] = floats;
            }
            return ptr[slot];
        }

        @Override
        public void close() {
            for (int i = 0; i < ptr.length; i++) if (ptr[i] != 0) NativeGpu.free(ptr[i]);
        }
    }

    /**
     * Runs the block over the batch {@code x} ({@code tokens × d}, sequences starting at
     * {@code starts[i]} token offsets, {@code starts[n] = tokens}); writes {@code y}.
     */
    public void forward(long x, long y, int[] starts, Formulation f, Sites sites, Scratch s) {
        int tokens = starts[starts.length - 1];
        int d = c.dModel();
        long n = (long) tokens * d;
        boolean pre = c.placement() == NormPlacement.PRE;
        if (f == Formulation.SERIAL && pre) {
            long n1 = norm(norm1G, norm1B, Site.ATTN_NORM, x, tokens, s.get(0, n), sites);
            long h = s.get(1, n);
            attention(n1, starts, h, sites, s);
            NativeGpu.add(h, x, n);
            long n2 = norm(norm2G, norm2B, Site.MLP_NORM, h, tokens, s.get(0, n), sites);
            mlp(n2, tokens, y, sites, s);
            NativeGpu.add(y, h, n);
        } else if (f == Formulation.SERIAL) {
            long a = s.get(1, n);
            attention(x, starts, a, sites, s);
            NativeGpu.add(a, x, n);
            long h = norm(norm1G, norm1B, Site.ATTN_NORM, a, tokens, s.get(0, n), sites);
            long m = s.get(1, n);
            mlp(h, tokens, m, sites, s);
            NativeGpu.add(m, h, n);
            norm(norm2G, norm2B, Site.MLP_NORM, m, tokens, y, sites);
        } else if (f == Formulation.PARALLEL) {
            long in = pre ? norm(norm1G, norm1B, Site.ATTN_NORM, x, tokens, s.get(0, n), sites) : x;
            long fused = s.get(2, (long) tokens * fusedWidth);
            NativeGpu.linear(in, d, tokens, d, fusedW, fusedB, fusedWidth, fused, fusedWidth, precision);   // one GEMM
            long sum = pre ? y : s.get(1, n);
            attend(fused, fusedWidth, starts, sum, sites, s);
            Hidden hidden = activate(fused + 4L * qkvWidth, fusedWidth, tokens, sites, s);
            long m = s.get(5, n);
            project(hidden, tokens, m, sites);
            NativeGpu.add(sum, m, n);
            NativeGpu.add(sum, x, n);
            if (!pre) norm(norm1G, norm1B, Site.ATTN_NORM, sum, tokens, y, sites);
        } else {   // parallel-two-norms (pre-LN only, checked when the case was built)
            long n1 = norm(norm1G, norm1B, Site.ATTN_NORM, x, tokens, s.get(0, n), sites);
            attention(n1, starts, y, sites, s);
            long n2 = norm(norm2G, norm2B, Site.MLP_NORM, x, tokens, s.get(0, n), sites);
            long m = s.get(1, n);
            mlp(n2, tokens, m, sites, s);
            NativeGpu.add(y, m, n);
            NativeGpu.add(y, x, n);
        }
        if (sites.wants(Site.BLOCK_OUT)) sites.record(Site.BLOCK_OUT, y, tokens, d, d);
    }

    private long norm(long gamma, long beta, Site site, long x, int tokens, long out, Sites sites) {
        NativeGpu.norm(c.norm() == NormType.RMSNORM ? 1 : 0, x, tokens, c.dModel(), gamma, beta, (float) c.normEps(), out);
        if (sites.wants(site)) sites.record(site, out, tokens, c.dModel(), c.dModel());
        return out;
    }

    /** Attention sublayer (QKV projection, rotary, per-sequence attention, output projection) into {@code out}. */
    private void attention(long x, int[] starts, long out, Sites sites, Scratch s) {
        int tokens = starts[starts.length - 1];
        long qkv = s.get(3, (long) tokens * qkvWidth);
        NativeGpu.linear(x, c.dModel(), tokens, c.dModel(), qkvW, qkvB, qkvWidth, qkv, qkvWidth, precision);
        attend(qkv, qkvWidth, starts, out, sites, s);
    }

    /** Rotary + attention per sequence on a QKV block (columns 0..qkvWidth of rows of stride ld), then W_o. */
    private void attend(long qkv, int ld, int[] starts, long out, Sites sites, Scratch s) {
        int tokens = starts[starts.length - 1];
        int hd = c.headDim();
        long context = s.get(4, (long) tokens * c.heads() * hd);
        for (int i = 0; i + 1 < starts.length; i++) {
            int len = starts[i + 1] - starts[i];
            long rows = qkv + 4L * starts[i] * ld;
            if (c.rotaryDim() > 0) {
                NativeGpu.rope(rows, ld, 0, len, c.heads(), hd, c.rotaryDim(), (float) c.ropeTheta());
                NativeGpu.rope(rows, ld, c.heads() * hd, len, c.kvHeads(), hd, c.rotaryDim(), (float) c.ropeTheta());
            }
            NativeGpu.attention(rows, ld, len, c.heads(), c.kvHeads(), hd, c.causal(), context + 4L * starts[i] * c.heads() * hd);
        }
        NativeGpu.linear(context, c.heads() * hd, tokens, c.heads() * hd, outW, outB, c.dModel(), out, c.dModel(), precision);
        if (sites.wants(Site.ATTN_OUT)) sites.record(Site.ATTN_OUT, out, tokens, c.dModel(), c.dModel());
    }

    private void mlp(long x, int tokens, long out, Sites sites, Scratch s) {
        long proj = s.get(2, (long) tokens * ffnWidth);
        NativeGpu.linear(x, c.dModel(), tokens, c.dModel(), inW, inB, ffnWidth, proj, ffnWidth, precision);
        project(activate(proj, ffnWidth, tokens, sites, s), tokens, out, sites);
    }

    /** The FFN hidden [tokens × d_ff]: its device pointer and row stride. */
    private record Hidden(long ptr, int ld) { }

    /**
     * The FFN non-linearity on the projection P (rows of stride ld): a standard FFN activates P in
     * place (the hidden keeps P's stride); a gated one writes act(gate) ⊙ up densely.
     */
    private Hidden activate(long proj, int ld, int tokens, Sites sites, Scratch s) {
        int ff = c.dFf();
        int kind = NativeGpu.activationCode(c.ffn().activation().kind());
        float beta = c.ffn().activation().beta();
        if (sites.wants(Site.FFN_PREACT)) sites.record(Site.FFN_PREACT, proj, tokens, ff, ld);
        Hidden hidden;
        if (c.ffn().gated()) {
            if (sites.wants(Site.FFN_UP)) sites.record(Site.FFN_UP, proj + 4L * ff, tokens, ff, ld);
            hidden = new Hidden(s.get(6, (long) tokens * ff), ff);
            NativeGpu.gate(kind, beta, proj, proj + 4L * ff, ld, tokens, ff, hidden.ptr());
        } else {
            NativeGpu.activate(kind, beta, proj, ld, tokens, ff);
            hidden = new Hidden(proj, ld);
        }
        if (sites.wants(Site.FFN_ACT)) sites.record(Site.FFN_ACT, hidden.ptr(), tokens, ff, hidden.ld());
        return hidden;
    }

    private void project(Hidden hidden, int tokens, long out, Sites sites) {
        NativeGpu.linear(hidden.ptr(), hidden.ld(), tokens, c.dFf(), downW, downB, c.dModel(), out, c.dModel(), precision);
        if (sites.wants(Site.FFN_OUT)) sites.record(Site.FFN_OUT, out, tokens, c.dModel(), c.dModel());
    }

    @Override
    public void close() {
        for (long p : new long[] {qkvW, qkvB, outW, outB, inW, inB, downW, downB, fusedW, fusedB, norm1G, norm1B, norm2G, norm2B}) {
            if (p != 0) NativeGpu.free(p);
        }
    }
}
