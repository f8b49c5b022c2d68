package ffnbench.perf;

import ffnbench.analysis.Ci;
import ffnbench.math.Gemm;
import ffnbench.math.Matrices;
import ffnbench.model.Formulation;
import ffnbench.model.SiteRecorder;
import ffnbench.model.StageTimes;
import ffnbench.model.TransformerLayer;
import ffnbench.model.Workspace;
import ffnbench.weights.ModelSource;
import java.util.Locale;
import java.util.Map;

/**
 * Serial against fused-parallel blocks on the same weights and sequences, one thread, paired and
 * interleaved round by round (serial then parallel, alternating which goes first) so that machine
 * noise hits both alike. Per size: median times, and the mean of the per-round ratios with a 95%
 * Student-t interval. LLaMA-shaped layers (RMSNorm, SwiGLU, RoPE, d_ff ≈ 2.69·d rounded to 256),
 * statistics off. The last columns time the input projections alone, one fused GEMM against the two
 * separate ones, to separate the GEMM's own speed from the rest of the block.
 * {@code scripts/benchmark-formulations [rounds=9] [tokens per size=4096]}
 */
public final class FormulationBenchmark {
    private FormulationBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        System.out.printf(Locale.ROOT, "serial vs parallel, one thread, %d paired rounds, %d tokens per size, statistics off%n",
                rounds, tokens);
        System.out.println("| d_model | d_ff | seq_len | serial ms | parallel ms | parallel speedup | 95% CI "
                + "| input GEMMs: fused vs two, speedup | 95% CI |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---|---:|---|");
        for (int d : new int[] {512, 1024, 2048}) {
            int dFf = (int) Math.ceil(d * 2.6875 / 256) * 256;
            ModelSource.Layer l = ModelSource.load("preset:llama", 0, 1, Map.of("d_model", "" + d, "heads", "" + d / 64,
                    "d_ff", "" + dFf));
            TransformerLayer layer = new TransformerLayer(l.config(), l.weights());
            // The input projections alone: [W_qkv | W_in] as one GEMM (the parallel block) or two (serial)
            float[] wQkv = layer.attention().qkvWeightOutIn(), wIn = layer.ffn().inputWeightOutIn();   // [out × in]
            int nQkv = wQkv.length / d, nIn = wIn.length / d;
            float[] wFused = Matrices.concatRows(wQkv, wIn);
            for (int seqLen : new int[] {128, 512, 1024}) {
                int sequences = Math.max(1, tokens / seqLen);
                float[][] x = new float[sequences][];
                for (int s = 0; s < sequences; s++) x[s] = KernelBenchmark.random(seqLen * d, 20 + s, 1);
                double[] serial = new double[rounds], parallel = new double[rounds], ratio = new double[rounds];
                double[] gemmRatio = new double[rounds];
                float[] outQkv = new float[seqLen * nQkv], outIn = new float[seqLen * nIn], outFused = new float[seqLen * (nQkv + nIn)];
                for (int r = -2; r < rounds; r++) {
                    boolean serialFirst = (r & 1) == 0;
                    double a = time(layer, x, seqLen, serialFirst ? Formulation.SERIAL : Formulation.PARALLEL);
                    double b = time(layer, x, seqLen, serialFirst ? Formulation.PARALLEL : Formulation.SERIAL);
                    if (r < 0) continue;   // warm-up rounds
                    serial[r] = serialFirst ? a : b;
                    parallel[r] = serialFirst ? b : a;
                    ratio[r] = serial[r] / parallel[r];
                    long t0 = System.nanoTime();
                    for (float[] seq : x) {
                        Gemm.linearOutIn(seq, seqLen, d, wQkv, null, nQkv, outQkv);
                        Gemm.linearOutIn(seq, seqLen, d, wIn, null, nIn, outIn);
                    }
                    long t1 = System.nanoTime();
                    for (float[] seq : x) Gemm.linearOutIn(seq, seqLen, d, wFused, null, nQkv + nIn, outFused);
                    gemmRatio[r] = (t1 - t0) / (double) (System.nanoTime() - t1);
                }
                Ci.Interval ci = Ci.of(ratio), gemm = Ci.of(gemmRatio);
                System.out.printf(Locale.ROOT, "| %d | %d | %d | %.1f | %.1f | %.3f | [%.3f, %.3f] | %.3f | [%.3f, %.3f] |%n", d, dFf,
                        seqLen, KernelBenchmark.median(serial) * 1e3, KernelBenchmark.median(parallel) * 1e3, ci.mean(), ci.low(),
                        ci.high(), gemm.mean(), gemm.low(), gemm.high());
            }
        }
    }

    private static double time(TransformerLayer layer, float[][] x, int seqLen, Formulation f) {
        Workspace ws = Workspace.reusing();   // as BlockFunction: intermediates reused from row to row
        long t0 = System.nanoTime();
        for (float[] seq : x) layer.forward(seq, seqLen, f, SiteRecorder.NONE, new StageTimes(), ws);
        return (System.nanoTime() - t0) / 1e9;
    }
}
