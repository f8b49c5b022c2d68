package ffnbench.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class ActivationTest {

    @Test
    void knownPoints() {
        assertEquals(0.8413447f, Activation.GELU.apply(1f), 1e-6);
        assertEquals(-0.1586553f, Activation.GELU.apply(-1f), 1e-6);
        assertEquals(0.7310586f, Activation.SILU.apply(1f), 1e-6);
        assertEquals(0.5f, Activation.SIGMOID.apply(0f), 0);
        assertEquals(0f, Activation.RELU.apply(-3f), 0);
        assertEquals(2.5f, Activation.RELU.apply(2.5f), 0);
        assertEquals(0.7615942f, Activation.TANH.apply(1f), 1e-6);
        // GELU tanh approximation at 1: 0.5(1 + tanh(√(2/π)·1.044715)) = 0.8411920
        assertEquals(0.841192f, Activation.GELU_TANH.apply(1f), 1e-6);
        // quick_gelu(1) = σ(1.702) = 0.8457957
        assertEquals(0.8457957f, Activation.QUICK_GELU.apply(1f), 1e-6);
        assertEquals(1.0f * (float) (1 / (1 + Math.exp(-1.5))), Activation.parse("swish:1.5").apply(1f), 1e-6);
        assertEquals(0f, Activation.GELU.apply(0f), 0);
    }

    @Test
    void batchedMatchesFloat64Reference() {
        float[] x = Reference.gaussian(20000, 3.0, 7);
        x[0] = -30f; x[1] = 30f; x[2] = -8f; x[3] = 1e-8f;
        check(Activation.GELU, x, Reference::gelu);
        check(Activation.GELU_TANH, x, Reference::geluTanh);
        check(Activation.SILU, x, Reference::silu);
        check(Activation.SIGMOID, x, Reference::sigmoid);
        check(Activation.TANH, x, Math::tanh);
        check(Activation.RELU, x, v -> Math.max(v, 0));
        check(Activation.QUICK_GELU, x, v -> v * Reference.sigmoid(1.702 * v));
        check(Activation.parse("swish:0.5"), x, v -> v * Reference.sigmoid(0.5 * v));
        check(Activation.IDENTITY, x, v -> v);
    }

    /** Both the batched (SIMD when available) and the scalar loops, against float64. */
    private static void check(Activation a, float[] x, DoubleUnaryOperator ref) {
        float[] batched = x.clone();
        a.applyInPlace(batched, 0, batched.length);
        float[] scalar = x.clone();
        a.applyScalar(scalar, 0, scalar.length);
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            expected[i] = ref.applyAsDouble(x[i]);
            assertEquals(a.apply(x[i]), scalar[i], 0, "scalar loop and scalar form agree for " + a);
            assertEquals(scalar[i], batched[i], 0, "SIMD and scalar give the same bits for " + a + " at x=" + x[i]);
            // element-wise: within 1e-5 relative (or 1e-12 absolute where the reference itself cancels to 0)
            assertEquals(expected[i], batched[i], Math.max(1e-5 * Math.abs(expected[i]), 1e-12), a + " at x=" + x[i]);
        }
        assertTrue(Reference.relativeL2(batched, expected) <= 1e-6, a + " batched");
        assertTrue(Reference.relativeL2(scalar, expected) <= 1e-6, a + " scalar");
    }

    /** NaN and ±∞ take the same way through the SIMD GELU (its exp skips the general special cases) as through the scalar one. */
    @Test
    void geluNonFiniteInputsAgree() {
        float[] x = new float[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i % 4) {
                case 0 -> Float.NaN;
                case 1 -> Float.POSITIVE_INFINITY;
                case 2 -> Float.NEGATIVE_INFINITY;
                default -> -20f + i;
            };
        }
        float[] batched = x.clone();
        Activation.GELU.applyInPlace(batched, 0, batched.length);
        for (int i = 0; i < x.length; i++) assertEquals(Activation.GELU.apply(x[i]), batched[i], 0, "at x=" + x[i]);
        assertTrue(Float.isNaN(batched[0]));
        assertEquals(Float.POSITIVE_INFINITY, batched[1]);
    }

    @Test
    void simdPathIsActiveUnderTheBuild() {
        // Surefire and scripts/ffnbench start the JVM with --add-modules jdk.incubator.vector
        assertTrue(Activation.VECTORIZED, "Vector API not available: activations run scalar");
    }

    @Test
    void oddLengthsAndOffsetsUseTheTail() {
        float[] x = Reference.gaussian(37, 2, 5);
        float[] y = x.clone();
        Activation.GELU.applyInPlace(y, 3, 31);
        assertEquals(x[0], y[0]);
        assertEquals(x[36], y[36]);
        for (int i = 3; i < 34; i++) assertEquals(Reference.gelu(x[i]), y[i], 2e-6 * Math.abs(Reference.gelu(x[i])) + 1e-30);
    }

    @Test
    void geluLeftTailKeepsRelativeAccuracy() {
        // x·Φ(x) at x = −6 is ≈ −5.9e-9: erfc keeps it accurate, 1 + erf(x) would lose it.
        double expected = Reference.gelu(-6);
        assertEquals(expected, Activation.GELU.apply(-6f), Math.abs(expected) * 1e-5);
    }

    @Test
    void parseNamesAndErrors() {
        assertEquals(Activation.GELU_TANH, Activation.parse("gelu_new"));
        assertEquals(Activation.SILU, Activation.parse("swish"));
        assertEquals(Activation.SILU, Activation.parse("swish:1"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("gelu2"));
        assertTrue(e.getMessage().contains("gelu2") && e.getMessage().contains("relu"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Activation.parse("swish:abc"));
    }
}
