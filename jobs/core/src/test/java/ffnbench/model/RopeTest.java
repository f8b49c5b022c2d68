package ffnbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ffnbench.math.Rope;
import org.junit.jupiter.api.Test;

class RopeTest {

    @Test
    void handDerivedRotateHalf() {
        // head_dim 4, θ = 100: inv_freq = [1, 100^(-1/2) = 0.1]; at position 1 pairs (0,2) rotate by 1 rad, (1,3) by 0.1
        float[] x = {1, 2, 3, 4,   1, 2, 3, 4};
        new Rope(4, 100).apply(x, 2, 4, 0, 1, 4);
        // position 0: unchanged
        assertEquals(1, x[0], 0);
        assertEquals(4, x[3], 0);
        double c1 = Math.cos(1), s1 = Math.sin(1), c2 = Math.cos(0.1), s2 = Math.sin(0.1);
        assertEquals(1 * c1 - 3 * s1, x[4], 1e-6);
        assertEquals(2 * c2 - 4 * s2, x[5], 1e-6);
        assertEquals(3 * c1 + 1 * s1, x[6], 1e-6);
        assertEquals(4 * c2 + 2 * s2, x[7], 1e-6);
    }

    @Test
    void dotProductDependsOnlyOnRelativePosition() {
        int hd = 8, tokens = 12;
        float[] q = new float[tokens * hd], k = new float[tokens * hd];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < hd; i++) {
                q[t * hd + i] = (float) Math.sin(i + 1);
                k[t * hd + i] = (float) Math.cos(2 * i + 1);
            }
        }
        Rope rope = new Rope(hd, 10000);
        rope.apply(q, tokens, hd, 0, 1, hd);
        rope.apply(k, tokens, hd, 0, 1, hd);
        double d03 = dot(q, 3, k, 0, hd), d58 = dot(q, 8, k, 5, hd);
        assertEquals(d03, d58, 1e-5);
    }

    @Test
    void partialRotaryLeavesTheRestAlone() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8,  1, 2, 3, 4, 5, 6, 7, 8};
        new Rope(4, 10000).apply(x, 2, 8, 0, 1, 8);
        for (int i = 4; i < 8; i++) assertEquals(i + 1, x[8 + i], 0);
    }

    private static double dot(float[] q, int tq, float[] k, int tk, int hd) {
        double s = 0;
        for (int i = 0; i < hd; i++) s += q[tq * hd + i] * k[tk * hd + i];
        return s;
    }
}
