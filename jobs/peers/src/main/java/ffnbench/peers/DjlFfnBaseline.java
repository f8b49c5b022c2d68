package ffnbench.peers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The FFNs of scripts/baselines.py (SwiGLU d=1024/2816, GELU d=768/3072, fp32) in PyTorch on the CPU through
 * DJL, as a JVM program would run them on a Spark executor: weights held as {@code [out × in]} like
 * {@code torch.nn.Linear}, {@code Linear.linear} (torch's linear) for the projections, DJL's swish and gelu
 * (erf) for the activations, no gradients. Threads: {@code -Dai.djl.pytorch.num_threads}.
 *
 * <p>Prints one line per FFN in baselines.py's format:
 * {@code BASELINE torch-djl <ffn> <tokens> <d> <d_ff> <median s> <tokens/s> <GFLOP/s>}, after one line
 * {@code ENGINE <engine> <version>}.
 */
public final class DjlFfnBaseline {

    private DjlFfnBaseline() {}

    /** FLOPs as baselines.py counts them: the GEMMs' multiply-adds plus the element-wise work. */
    static double flops(String ffn, long tokens, long d, long dFf) {
        boolean gated = ffn.equals("swiglu");
        long gemm = 2 * tokens * d * (gated ? 2 * dFf : dFf) + 2 * tokens * dFf * d;
        long elementwise = tokens * dFf * (gated ? 6 : 8);
        return gemm + elementwise;
    }

    /** A {@code [rows × cols]} normal matrix scaled by {@code scale}. */
    static NDArray normal(NDManager manager, long rows, long cols, float scale) {
        return manager.randomNormal(new Shape(rows, cols)).mul(scale);
    }

    /** Median of {@code rounds} timed calls after one warm-up; each call's intermediates are freed in its scope. */
    static double medianSeconds(int rounds, Supplier<NDArray> ffn) {
        double[] seconds = new double[rounds + 1];
        for (int r = 0; r <= rounds; r++) {
            try (NDScope ignored = new NDScope()) {
                long t0 = System.nanoTime();
                ffn.get().getFloat(0, 0);   // reads one value of the result, as a caller would
                seconds[r] = (System.nanoTime() - t0) / 1e9;
            }
        }
        double[] measured = Arrays.copyOfRange(seconds, 1, seconds.length);
        Arrays.sort(measured);
        return measured[measured.length / 2];
    }

    static void report(String ffn, int tokens, int d, int dFf, double seconds) {
        System.out.printf(Locale.ROOT, "BASELINE torch-djl %s %d %d %d %.4f %.0f %.1f%n", ffn, tokens, d, dFf,
                seconds, tokens / seconds, flops(ffn, tokens, d, dFf) / seconds / 1e9);
    }

    /** {@code DjlFfnBaseline [rounds=7] [tokens=4096]}. */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        Engine engine = Engine.getEngine("PyTorch");
        System.out.println("ENGINE " + engine.getEngineName() + " " + engine.getVersion());
        try (NDManager manager = engine.newBaseManager()) {
            manager.getEngine().setRandomSeed(1);

            int d = 1024, dFf = 2816;
            NDArray x = normal(manager, tokens, d, 1f);
            NDArray wGate = normal(manager, dFf, d, (float) (1 / Math.sqrt(d)));   // [d_ff × d]
            NDArray wUp = normal(manager, dFf, d, (float) (1 / Math.sqrt(d)));     // [d_ff × d]
            NDArray wDown = normal(manager, d, dFf, (float) (1 / Math.sqrt(dFf))); // [d × d_ff]
            report("swiglu", tokens, d, dFf, medianSeconds(rounds, () -> {
                NDArray gate = Linear.linear(x, wGate).singletonOrThrow();     // [tokens × d_ff]
                NDArray up = Linear.linear(x, wUp).singletonOrThrow();         // [tokens × d_ff]
                NDArray hidden = Activation.swish(gate, 1f).mul(up);           // silu(gate) ⊙ up
                return Linear.linear(hidden, wDown).singletonOrThrow();        // [tokens × d]
            }));

            d = 768;
            dFf = 3072;
            NDArray x2 = normal(manager, tokens, d, 1f);
            NDArray w1 = normal(manager, dFf, d, (float) (1 / Math.sqrt(d)));      // [d_ff × d]
            NDArray w2 = normal(manager, d, dFf, (float) (1 / Math.sqrt(dFf)));    // [d × d_ff]
            report("gelu", tokens, d, dFf, medianSeconds(rounds, () -> {
                NDArray hidden = Activation.gelu(Linear.linear(x2, w1).singletonOrThrow());   // [tokens × d_ff]
                return Linear.linear(hidden, w2).singletonOrThrow();                          // [tokens × d]
            }));
        }
    }
}
