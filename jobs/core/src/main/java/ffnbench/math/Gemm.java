package ffnbench.math;

import ffnbench.backend.Blas;

/**
 * Matrix products on row-major float32 matrices, done by BLAS {@code sgemm}.
 *
 * <p>BLAS is column-major; a row-major matrix is the column-major view of its transpose, so
 * {@code C = A·B} (row-major) is computed as {@code Cᵀ = Bᵀ·Aᵀ} (column-major) with the operands
 * swapped and no copies.
 *
 * <p>{@link Blas} chooses the implementation once per JVM: the bundled OpenBLAS by default, the
 * system's or netlib's pure-Java one on request or as fallbacks.
 */
public final class Gemm {
    /**
     * netlib 3.0.3's Java backends test {@code m*n*k < 100*100*100} in {@code int}; when the product
     * overflows they take an unblocked path ~25x slower. Calls are split into row chunks below this.
     */
    private static final long JAVA_FALLBACK_MAX_MNK = Integer.MAX_VALUE;

    private Gemm() {}

    /** {@code C[m×n] = A[m×k]·B[k×n]}, dense row-major, overwriting C. */
    public static void matmul(float[] a, float[] b, float[] c, int m, int k, int n) {
        gemm(false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
    }

    /**
     * Row-major {@code C = alpha·A·op(B) + beta·C} on sub-matrices of larger arrays.
     *
     * @param transposeB false: B is {@code [k×n]}; true: B is stored {@code [n×k]} and used transposed
     * @param lda row stride of A ({@code [m×k]}), ldb row stride of B as stored, ldc row stride of C
     */
    public static void gemm(boolean transposeB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda,
                            float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        dev.ludovic.netlib.blas.BLAS blas = Blas.impl();
        int rowsPerCall = m;
        if (!Blas.info().isNative()) {
            long perRow = (long) n * Math.max(k, 1);
            rowsPerCall = (int) Math.max(1, Math.min(m, (JAVA_FALLBACK_MAX_MNK - 1) / perRow));
        }
        String opB = transposeB ? "T" : "N";
        for (int row = 0; row < m; row += rowsPerCall) {
            int rows = Math.min(rowsPerCall, m - row);
            blas.sgemm(opB, "N", n, rows, k, alpha,
                    b, bOff, ldb,
                    a, aOff + row * lda, lda,
                    beta, c, cOff + row * ldc, ldc);
        }
    }

    /** Copies {@code bias[n]} into every row of {@code c[m×n]} (then a GEMM with beta=1 adds onto it). */
    public static void broadcastRows(float[] bias, float[] c, int m, int n) {
        for (int row = 0; row < m; row++) {
            System.arraycopy(bias, 0, c, row * n, n);
        }
    }

    /** {@code C[m×n] = A[m×k]·W[k×n] + bias} (bias may be null). */
    public static void linear(float[] a, int m, int k, float[] w, float[] bias, int n, float[] c) {
        linear(false, a, m, k, w, bias, n, c);
    }

    /**
     * {@code C[m×n] = A[m×k]·Wᵀ + bias} with W stored {@code [n×k]} (out × in, PyTorch's {@code nn.Linear}
     * layout; bias may be null). The layers hold their weights this way: OpenBLAS packs a transposed B
     * faster, which shows on the short GEMMs of one sequence (docs/PERFORMANCE.md).
     */
    public static void linearOutIn(float[] a, int m, int k, float[] wOutIn, float[] bias, int n, float[] c) {
        linear(true, a, m, k, wOutIn, bias, n, c);
    }

    private static void linear(boolean outIn, float[] a, int m, int k, float[] w, float[] bias, int n, float[] c) {
        int ldw = outIn ? k : n;
        if (bias != null) broadcastRows(bias, c, m, n);
        gemm(outIn, m, n, k, 1f, a, 0, k, w, 0, ldw, bias == null ? 0f : 1f, c, 0, n);
    }
}
