package ffnbench.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import org.junit.jupiter.api.Test;

class GemmTest {

    @Test
    void rowMajorProductMatchesFloat64() {
        int m = 37, k = 53, n = 29;
        float[] a = Reference.gaussian(m * k, 1, 1);
        float[] b = Reference.gaussian(k * n, 1, 2);
        float[] c = new float[m * n];
        Gemm.matmul(a, b, c, m, k, n);
        assertTrue(Reference.relativeL2(c, Reference.matmul(a, b, m, k, n)) < 1e-6);
    }

    @Test
    void handDerivedWithTransposeAndStrides() {
        // A = [[1,2],[3,4]] inside a 2×3 buffer (stride 3); B stored [n×k] = [[1,0],[1,1]] → A·Bᵀ = [[1,3],[3,7]]
        float[] a = {1, 2, 99, 3, 4, 99};
        float[] b = {1, 0, 1, 1};
        float[] c = new float[4];
        Gemm.gemm(true, 2, 2, 2, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2);
        assertEquals(1, c[0]);
        assertEquals(3, c[1]);
        assertEquals(3, c[2]);
        assertEquals(7, c[3]);
    }

    @Test
    void linearAddsBiasToEveryRow() {
        float[] x = {1, 2, 3, 4};          // [2×2]
        float[] w = {1, 0, 0, 1};          // identity
        float[] c = new float[4];
        Gemm.linear(x, 2, 2, w, new float[] {10, 20}, 2, c);
        assertEquals(11, c[0]);
        assertEquals(22, c[1]);
        assertEquals(13, c[2]);
        assertEquals(24, c[3]);
    }

    /** Weights stored [out × in] (as the layers hold them): the same product, by hand on a 2×3 · (3→2) case. */
    @Test
    void linearOutInMultipliesByTheTranspose() {
        float[] x = {1, 2, 3,
                     4, 5, 6};             // [2×3]
        float[] wOutIn = {1, 0, 2,         // output 0 = x0 + 2·x2
                          0, 1, -1};       // output 1 = x1 − x2
        float[] c = new float[4];
        Gemm.linearOutIn(x, 2, 3, wOutIn, new float[] {0.5f, 0}, 2, c);
        assertEquals(7.5f, c[0]);
        assertEquals(-1, c[1]);
        assertEquals(16.5f, c[2]);
        assertEquals(-1, c[3]);
    }
}
