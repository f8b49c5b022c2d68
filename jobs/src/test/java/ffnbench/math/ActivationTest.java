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

    private static void check(Activation a, float[] x, DoubleUnaryOperator ref) {
        float[] y = x.clone();
        a.applyInPlace(y, 0, y.length);
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            expected[i] = ref.applyAsDouble(x[i]);
            assertEquals(a.apply(x[i]), y[i], 0, "scalar and batched forms agree for " + a);
        }
        double err = Reference.relativeL2(y, expected);
        assertTrue(err <= 1e-6, a + " relative L2 " + err);
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
