package ffnbench.perf;

import java.util.Locale;
import org.bytedeco.openblas.global.openblas;

/**
 * The same shapes as {@link SgemmBenchmark} through JavaCPP's own binding of the bundled OpenBLAS
 * ({@code cblas_sgemm} with {@code float[]} arguments, which JavaCPP copies in and out on every call),
 * to measure that route against netlib's, which works on the arrays in place. One thread: run with
 * {@code OPENBLAS_NUM_THREADS=1} (JavaCPP's binding has no call to set it).
 */
public final class JavaCppSgemmBenchmark {
    private JavaCppSgemmBenchmark() {}

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        // JavaCPP's binding does not expose openblas_get_config/corename: the library (and so its kernel) is the bundled one
        String version = org.bytedeco.openblas.global.openblas.class.getPackage().getImplementationVersion();
        System.out.printf(Locale.ROOT, "BLAS javacpp %s as-bundled%n", version == null ? "unknown" : version.split("-")[0]);
        for (Object[] s : SgemmBenchmark.SHAPES) {
            int m = (Integer) s[1], k = (Integer) s[2], n = (Integer) s[3];
            float[] a = KernelBenchmark.random(m * k, 1, 1), w = KernelBenchmark.random(n * k, 2, 0.03), c = new float[m * n];
            sgemm(a, w, c, m, k, n);   // warm-up
            double[] times = new double[1000];
            int calls = 0;
            long start = System.nanoTime();
            while (calls < times.length && (calls < 3 || System.nanoTime() - start < seconds * 1e9)) {
                long t0 = System.nanoTime();
                sgemm(a, w, c, m, k, n);
                times[calls++] = (System.nanoTime() - t0) / 1e9;
            }
            double median = KernelBenchmark.median(java.util.Arrays.copyOf(times, calls));
            System.out.printf(Locale.ROOT, "SGEMM %s %.1f%n", s[0], 2.0 * m * k * n / median / 1e9);
        }
    }

    /** Row-major {@code C[m×n] = A[m×k] · Wᵀ}, W stored {@code [n×k]}. */
    private static void sgemm(float[] a, float[] w, float[] c, int m, int k, int n) {
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, m, n, k, 1f, a, k, w, k, 0f, c, n);
    }
}
