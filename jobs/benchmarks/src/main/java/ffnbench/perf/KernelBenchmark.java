package ffnbench.perf;

import ffnbench.math.Gemm;
import ffnbench.model.FfnVariant;
import ffnbench.model.FeedForward;
import ffnbench.model.SiteRecorder;
import ffnbench.model.StageTimes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Side-by-side kernel timings in one JVM: an FFN's forward pass against bare {@code sgemm} calls of
 * exactly its GEMM shapes (same BLAS, same buffers' sizes), interleaved round by round so machine
 * noise hits both alike. Reports medians; the ratio is what the performance targets are stated in.
 */
public final class KernelBenchmark {

    /** One measured shape. */
    public record Result(String variant, int tokens, int dModel, int dFf, double ffnMedianS, double gemmMedianS,
                         long ffnFlops, long gemmFlops, StageTimes stages) {
        public double ffnGflops() { return ffnFlops / ffnMedianS / 1e9; }
        public double gemmGflops() { return gemmFlops / gemmMedianS / 1e9; }
        public double tokensPerSecond() { return tokens / ffnMedianS; }
        /** FFN throughput relative to bare GEMMs of the same work: 1.0 = activations and layout cost nothing. */
        public double ratio() { return gemmMedianS / ffnMedianS; }
    }

    private KernelBenchmark() {}

    static float[] random(int n, long seed, double std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * std * 1.7);
        return a;
    }

    public static Result run(String variantName, int tokens, int d, int dFf, int rounds) {
        FfnVariant v = FfnVariant.parse(variantName);
        int inWidth = v.gated() ? 2 * dFf : dFf;
        float[] x = random(tokens * d, 1, 1);
        float[] wIn = random(d * inWidth, 2, 1 / Math.sqrt(d));
        float[] wOut = random(dFf * d, 3, 1 / Math.sqrt(dFf));
        FeedForward ffn = FeedForward.create(v, d, dFf, wIn, null, wOut, null);
        float[] p = new float[tokens * inWidth];
        float[] h = new float[tokens * dFf];
        float[] y = new float[tokens * d];
        long gemmFlops = 2L * tokens * d * inWidth + 2L * tokens * dFf * d;
        double[] ffnTimes = new double[rounds];
        double[] gemmTimes = new double[rounds];
        StageTimes stages = new StageTimes();
        // as BlockFunction: the FFN's buffers reused from call to call, like the GEMMs' below
        ffnbench.model.Workspace ws = ffnbench.model.Workspace.reusing();
        for (int r = -2; r < rounds; r++) {   // two warm-up rounds
            StageTimes st = new StageTimes();
            long t0 = System.nanoTime();
            ffn.forward(x, tokens, SiteRecorder.NONE, st, ws);
            long t1 = System.nanoTime();
            // the FFN's own two GEMMs, on the weights as it holds them ([out × in])
            Gemm.linearOutIn(x, tokens, d, ffn.inputWeightOutIn(), null, inWidth, p);
            Gemm.linearOutIn(h, tokens, dFf, ffn.outputWeightOutIn(), null, d, y);
            long t2 = System.nanoTime();
            if (r >= 0) {
                ffnTimes[r] = (t1 - t0) / 1e9;
                gemmTimes[r] = (t2 - t1) / 1e9;
                stages.addAll(st);
            }
        }
        return new Result(v.name(), tokens, d, dFf, median(ffnTimes), median(gemmTimes),
                ffn.flopsPerToken() * tokens, gemmFlops, stages);
    }

    static double median(double[] a) {
        double[] s = a.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** {@code KernelBenchmark [rounds] [tokens]}: the two reference shapes. */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        List<Result> results = new ArrayList<>();
        results.add(run("swiglu", tokens, 1024, 2816, rounds));
        results.add(run("gelu", tokens, 768, 3072, rounds));
        System.out.printf(Locale.ROOT, "BLAS: %s%n", ffnbench.backend.Blas.info().summary());
        System.out.println("| ffn | tokens | d | d_ff | ffn s | gemm-only s | ffn GFLOP/s | gemm GFLOP/s | ffn/gemm | tokens/s | activation s |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.4f | %.4f | %.1f | %.1f | %.3f | %.0f | %.4f |%n", r.variant(),
                    r.tokens(), r.dModel(), r.dFf(), r.ffnMedianS(), r.gemmMedianS(), r.ffnGflops(), r.gemmGflops(), r.ratio(),
                    r.tokensPerSecond(), r.stages().get(StageTimes.Stage.ACTIVATION) / 1e9 / rounds);
        }
    }
}
