package ffnbench.perf;

import ffnbench.backend.Blas;
import ffnbench.backend.BlasInfo;
import ffnbench.math.Gemm;
import java.util.Locale;

/**
 * The FFN's GEMM shapes on this JVM's BLAS, one thread: row-major {@code [tokens × in] · Wᵀ} with W
 * stored {@code [out × in]}, as the layers call it. Prints one {@code SGEMM} line per shape with the
 * median GFLOP/s over the calls of about {@code seconds}; scripts/benchmark-blas runs it once per
 * BLAS, next to NumPy and the FMA peak.
 */
public final class SgemmBenchmark {
    private SgemmBenchmark() {}

    /** {@code name, m (tokens), k (in), n (out)}: SwiGLU d=1024/d_ff=2816 (fused gate+up, down), GELU 768/3072 (up, down). */
    static final Object[][] SHAPES = {
        {"swiglu-in", 4096, 1024, 5632}, {"swiglu-out", 4096, 2816, 1024},
        {"gelu-in", 4096, 768, 3072}, {"gelu-out", 4096, 3072, 768}};

    /** One way to compute row-major {@code C[m×n] = A[m×k] · Wᵀ}, W stored {@code [n×k]}. */
    interface Product {
        void run(float[] a, float[] w, float[] c, int m, int k, int n);
    }

    public static void main(String[] args) {
        BlasInfo info = Blas.info();
        System.out.printf(Locale.ROOT, "BLAS %s %s %s%n", info.implementation(), info.version() == null ? "-" : info.version(),
                info.kernel() == null ? "-" : info.kernel());
        measure(args.length > 0 ? Double.parseDouble(args[0]) : 1.0,
                (a, w, c, m, k, n) -> Gemm.linearOutIn(a, m, k, w, null, n, c));
    }

    /** Prints {@code SGEMM <shape> <median GFLOP/s>} for every shape, after one warm-up call. */
    static void measure(double seconds, Product product) {
        for (Object[] s : SHAPES) {
            int m = (Integer) s[1], k = (Integer) s[2], n = (Integer) s[3];
            float[] a = KernelBenchmark.random(m * k, 1, 1), w = KernelBenchmark.random(n * k, 2, 0.03), c = new float[m * n];
            product.run(a, w, c, m, k, n);
            double[] times = new double[1000];
            int calls = 0;
            long start = System.nanoTime();
            while (calls < times.length && (calls < 3 || System.nanoTime() - start < seconds * 1e9)) {
                long t0 = System.nanoTime();
                product.run(a, w, c, m, k, n);
                times[calls++] = (System.nanoTime() - t0) / 1e9;
            }
            double median = KernelBenchmark.median(java.util.Arrays.copyOf(times, calls));
            System.out.printf(Locale.ROOT, "SGEMM %s %.1f%n", s[0], 2.0 * m * k * n / median / 1e9);
        }
    }
}
