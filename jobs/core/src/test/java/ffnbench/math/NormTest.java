package ffnbench.math;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ffnbench.Reference;
import org.junit.jupiter.api.Test;

class NormTest {

    @Test
    void layerNormHandDerived() {
        // x = [1, 2, 3, 4]: mean 2.5, var 1.25; y_i = (x_i − 2.5)/√1.25 · γ + β
        float[] x = {1, 2, 3, 4};
        float[] y = new float[4];
        new LayerNorm(new float[] {1, 1, 2, 1}, new float[] {0, 0, 0, 1}, 0).apply(x, y, 1);
        double s = Math.sqrt(1.25);
        assertEquals(-1.5 / s, y[0], 1e-6);
        assertEquals(-0.5 / s, y[1], 1e-6);
        assertEquals(2 * 0.5 / s, y[2], 1e-6);
        assertEquals(1.5 / s + 1, y[3], 1e-6);
    }

    @Test
    void rmsNormHandDerived() {
        // x = [3, 4]: mean(x²) = 12.5, rms = √12.5
        float[] y = new float[2];
        new RmsNorm(new float[] {1, 2}, 0).apply(new float[] {3, 4}, y, 1);
        assertEquals(3 / Math.sqrt(12.5), y[0], 1e-6);
        assertEquals(8 / Math.sqrt(12.5), y[1], 1e-6);
    }

    @Test
    void normsAgainstFloat64WithLargeOffset() {
        int tokens = 5, d = 64;
        float[] x = Reference.gaussian(tokens * d, 1, 3);
        for (int i = 0; i < x.length; i++) x[i] += 1000f; // a common offset, as outlier channels create
        float[] gamma = Reference.gaussian(d, 1, 4);
        float[] beta = Reference.gaussian(d, 1, 5);
        float[] ln = new float[x.length];
        float[] rms = new float[x.length];
        new LayerNorm(gamma, beta, 1e-5).apply(x, ln, tokens);
        new RmsNorm(gamma, 1e-6).apply(x, rms, tokens);
        double[] refLn = new double[x.length];
        double[] refRms = new double[x.length];
        for (int t = 0; t < tokens; t++) {
            double mean = 0, sq = 0, ms = 0;
            for (int i = 0; i < d; i++) mean += x[t * d + i];
            mean /= d;
            for (int i = 0; i < d; i++) {
                sq += Math.pow(x[t * d + i] - mean, 2);
                ms += Math.pow(x[t * d + i], 2);
            }
            for (int i = 0; i < d; i++) {
                refLn[t * d + i] = (x[t * d + i] - mean) / Math.sqrt(sq / d + 1e-5) * gamma[i] + beta[i];
                refRms[t * d + i] = x[t * d + i] / Math.sqrt(ms / d + 1e-6) * gamma[i];
            }
        }
        assertEquals(0, Reference.relativeL2(ln, refLn), 1e-5);
        assertEquals(0, Reference.relativeL2(rms, refRms), 1e-5);
    }
}
