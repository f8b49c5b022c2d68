package ffnbench.math;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MatricesTest {
    /** NaN, ±∞ and the float extremes at every position of arrays that end inside and after a SIMD width. */
    @Test
    void allFiniteFindsEveryNonFiniteValue() {
        for (int n : new int[] {0, 1, 7, 16, 17, 64, 100}) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (i % 3 == 0 ? -1 : 1) * (i % 5 == 0 ? Float.MAX_VALUE : i * 0.37f);
            assertEquals(true, Matrices.allFinite(x), "n " + n);
            for (int at = 0; at < n; at++) {
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0xffc00001)}) {
                    float kept = x[at];
                    x[at] = bad;
                    assertEquals(false, Matrices.allFinite(x), "n " + n + ", " + bad + " at " + at);
                    x[at] = kept;
                }
            }
        }
    }
}
