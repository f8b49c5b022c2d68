package ffnbench.perf;

import ffnbench.model.FeedForward;
import ffnbench.model.FfnVariant;
import ffnbench.model.MoeFfn;
import ffnbench.model.MoeSpec;
import ffnbench.model.Router;
import ffnbench.model.SiteRecorder;
import ffnbench.stats.RouterStats;
import java.util.Locale;

/**
 * What small per-expert batches cost: a top-k mixture of E SwiGLU experts of width f against a dense
 * SwiGLU of width k·f (the same active FLOPs, router aside) on the same tokens, for several E,
 * interleaved round by round in one JVM and thread. Each expert's GEMMs see about tokens·k/E rows.
 * Prints medians, the MoE's time over the dense FFN's, and the routing's balancedness.
 * {@code scripts/benchmark-moe [rounds=7] [tokens=128] [d_model=512] [d_ff_expert=704] [k=2]}
 */
public final class MoeBenchmark {
    private MoeBenchmark() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int d = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int f = args.length > 3 ? Integer.parseInt(args[3]) : 704;
        int k = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        FfnVariant swiglu = FfnVariant.parse("swiglu");
        float[] x = KernelBenchmark.random(tokens * d, 1, 1);
        FeedForward dense = FeedForward.create(swiglu, d, k * f, KernelBenchmark.random(d * 2 * k * f, 2, 0.02), null,
                KernelBenchmark.random(k * f * d, 3, 0.02), null);
        System.out.printf(Locale.ROOT, "%d tokens per call, d_model %d, top-%d of E SwiGLU experts of width %d against a dense SwiGLU "
                + "of width %d; 1 thread, %d rounds (medians)%n", tokens, d, k, f, k * f, rounds);
        for (int experts : new int[] {k, 8, 32, 64}) {
            if (experts < k) continue;
            MoeSpec spec = new MoeSpec(experts, k, f, swiglu, MoeSpec.Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1, 0);
            FeedForward[] ffns = new FeedForward[experts];
            for (int e = 0; e < experts; e++) {
                ffns[e] = FeedForward.create(swiglu, d, f, KernelBenchmark.random(d * 2 * f, 10 + 2L * e, 0.02), null,
                        KernelBenchmark.random(f * d, 11 + 2L * e, 0.02), null);
            }
            // router weights of std 1/√d: logits of order 1, so tokens spread over the experts
            Router router = new Router(spec, d, KernelBenchmark.random(experts * d, 5, 1 / Math.sqrt(d)), null);
            MoeFfn moe = new MoeFfn(spec, d, router, ffns, null, null);
            double[] moeS = new double[rounds], denseS = new double[rounds];
            for (int r = -2; r < rounds; r++) {
                long t0 = System.nanoTime();
                for (int rep = 0; rep < 20; rep++) dense.forward(x, tokens, SiteRecorder.NONE);
                long t1 = System.nanoTime();
                for (int rep = 0; rep < 20; rep++) moe.forward(x, tokens);
                long t2 = System.nanoTime();
                if (r >= 0) {
                    denseS[r] = (t1 - t0) / 1e9;
                    moeS[r] = (t2 - t1) / 1e9;
                }
            }
            RouterStats load = new RouterStats(experts, k, new double[0]);
            load.addSequence(router.route(x, tokens));
            double mMoe = KernelBenchmark.median(moeS), mDense = KernelBenchmark.median(denseS);
            System.out.printf(Locale.ROOT, "E %3d: ~%5.1f rows per expert GEMM | dense %.4f s | MoE %.4f s | MoE / dense %.2f | "
                    + "balancedness %.2f%n", experts, (double) tokens * k / experts, mDense, mMoe, mMoe / mDense, load.balancedness());
        }
    }
}
