package ffnbench;

import java.util.SplittableRandom;
import org.apache.commons.math3.special.Erf;

/**
 * Independent float64 re-computation used as the reference in tests: plain loops in double, no
 * BLAS, no shared code with the implementation (erf from Apache Commons Math).
 */
public final class Reference {
    private Reference() {}

    /** x·Φ(x) = ½·x·erfc(−x/√2) (erfc, not 1 + erf, which cancels catastrophically for x ≪ 0). */
    public static double gelu(double x) {
        return 0.5 * x * Erf.erfc(-x / Math.sqrt(2));
    }

    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    public static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    public static double silu(double x) {
        return x * sigmoid(x);
    }

    /** {@code [m×k]·[k×n]} in double from float inputs. */
    public static double[] matmul(float[] a, float[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double av = a[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += av * b[p * n + j];
            }
        }
        return c;
    }

    public static double[] matmul(double[] a, float[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double av = a[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += av * b[p * n + j];
            }
        }
        return c;
    }

    /** Relative L2 error ‖actual − expected‖ / ‖expected‖. */
    public static double relativeL2(float[] actual, double[] expected) {
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = actual[i] - expected[i];
            num += diff * diff;
            den += expected[i] * expected[i];
        }
        return Math.sqrt(num / den);
    }

    public static double relativeL2(float[] actual, float[] expected) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) e[i] = expected[i];
        return relativeL2(actual, e);
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    public static float[] gaussian(int n, double std, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
            a[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return a;
    }
}
