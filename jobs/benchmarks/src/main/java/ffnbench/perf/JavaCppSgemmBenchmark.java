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
        // JavaCPP's binding does not expose openblas_get_config/corename: the library (and so its kernel) is the bundled one
        String version = openblas.class.getPackage().getImplementationVersion();
        System.out.printf(Locale.ROOT, "BLAS javacpp %s as-bundled%n", version == null ? "unknown" : version.split("-")[0]);
        SgemmBenchmark.measure(args.length > 0 ? Double.parseDouble(args[0]) : 1.0, (a, w, c, m, k, n) ->
                openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, m, n, k, 1f, a, k, w, k, 0f, c, n));
    }
}
