package ffnbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class FeedForwardTest {
    static final int T = 17, D = 24, F = 40;

    static DoubleUnaryOperator reference(String activation) {
        return switch (activation) {
            case "relu", "reglu" -> v -> Math.max(v, 0);
            case "gelu", "geglu" -> Reference::gelu;
            case "gelu_tanh" -> Reference::geluTanh;
            case "silu", "swiglu" -> Reference::silu;
            case "swish:1.5" -> v -> v * Reference.sigmoid(1.5 * v);
            case "sigmoid", "glu" -> Reference::sigmoid;
            case "tanh" -> Math::tanh;
            case "quick_gelu" -> v -> v * Reference.sigmoid(1.702 * v);
            case "bilinear" -> v -> v;
            default -> throw new IllegalArgumentException(activation);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "gelu", "gelu_tanh", "silu", "swish:1.5", "sigmoid", "tanh", "quick_gelu"})
    void standardFfnMatchesFloat64(String act) {
        float[] x = Reference.gaussian(T * D, 1, 1);
        float[] w1 = Reference.gaussian(D * F, 0.3, 2), b1 = Reference.gaussian(F, 0.1, 3);
        float[] w2 = Reference.gaussian(F * D, 0.3, 4), b2 = Reference.gaussian(D, 0.1, 5);
        FeedForward ffn = FeedForward.create(FfnVariant.parse(act), D, F, w1, b1, w2, b2);
        float[] y = ffn.forward(x, T, SiteRecorder.NONE);

        DoubleUnaryOperator f = reference(act);
        double[] h = Reference.matmul(x, w1, T, D, F);
        for (int i = 0; i < h.length; i++) h[i] = f.applyAsDouble(h[i] + b1[i % F]);
        double[] expected = Reference.matmul(h, w2, T, F, D);
        for (int i = 0; i < expected.length; i++) expected[i] += b2[i % D];
        double err = Reference.relativeL2(y, expected);
        assertTrue(err <= 1e-5, act + ": relative L2 " + err);
    }

    @ParameterizedTest
    @ValueSource(strings = {"glu", "reglu", "geglu", "swiglu", "bilinear"})
    void gatedFfnMatchesFloat64(String variant) {
        float[] x = Reference.gaussian(T * D, 1, 11);
        float[] wGate = Reference.gaussian(D * F, 0.3, 12), wUp = Reference.gaussian(D * F, 0.3, 13);
        float[] wDown = Reference.gaussian(F * D, 0.3, 14);
        FeedForward ffn = FeedForward.create(FfnVariant.parse(variant), D, F, gateUp(wGate, wUp), null, wDown, null);
        float[] y = ffn.forward(x, T, SiteRecorder.NONE);
        double err = Reference.relativeL2(y, gatedReference(x, wGate, wUp, wDown, reference(variant)));
        assertTrue(err <= 1e-5, variant + ": relative L2 " + err);
    }

    /** With several BLAS threads the element-wise work is split over tokens; every value stays the same. */
    @ParameterizedTest
    @ValueSource(strings = {"gelu", "swiglu"})
    void activationsSplitOverThreadsGiveTheSameValues(String variant) {
        int tokens = 101, dFf = 1000, width = FfnVariant.parse(variant).gated() ? 2 * dFf : dFf, offset = 7, stride = width + 13;
        FeedForward ffn = FeedForward.create(FfnVariant.parse(variant), D, dFf, new float[D * width], null, new float[dFf * D], null);
        float[] proj = Reference.gaussian(offset + tokens * stride, 2, 21);
        float[][] hidden = new float[2][];
        String before = System.getProperty(ffnbench.backend.Blas.THREADS_PROPERTY);
        try {
            for (int run = 0; run < 2; run++) {
                System.setProperty(ffnbench.backend.Blas.THREADS_PROPERTY, run == 0 ? "1" : "3");
                float[] p = proj.clone();
                hidden[run] = ffn.activate(p, offset, stride, tokens, SiteRecorder.NONE, Workspace.fresh()).clone();
            }
        } finally {
            if (before == null) System.clearProperty(ffnbench.backend.Blas.THREADS_PROPERTY);
            else System.setProperty(ffnbench.backend.Blas.THREADS_PROPERTY, before);
        }
        assertTrue((long) tokens * dFf >= TokenSlices.MIN_VALUES_TO_SPLIT, "large enough to be split");
        assertTrue(java.util.Arrays.equals(hidden[0], hidden[1]), variant + ": split activations differ");
    }

    /** The activation goes on the gate: swapping gate and up must give a clearly different result. */
    @Test
    void swigluActivatesTheGateNotTheUpProjection() {
        float[] x = Reference.gaussian(T * D, 1, 21);
        float[] wGate = Reference.gaussian(D * F, 0.3, 22), wUp = Reference.gaussian(D * F, 0.3, 23);
        float[] wDown = Reference.gaussian(F * D, 0.3, 24);
        float[] y = FeedForward.create(FfnVariant.parse("swiglu"), D, F, gateUp(wGate, wUp), null, wDown, null)
                .forward(x, T, SiteRecorder.NONE);
        double[] right = gatedReference(x, wGate, wUp, wDown, Reference::silu);
        double[] swapped = gatedReference(x, wUp, wGate, wDown, Reference::silu);
        assertTrue(Reference.relativeL2(y, right) < 1e-5);
        assertTrue(Reference.relativeL2(y, swapped) > 0.1, "result must not match silu(up)·gate");

        // And the recorded sites: ffn_preact is the gate projection, ffn_act = silu(gate) ⊙ up.
        SiteCapture sites = SiteCapture.all();
        FeedForward.create(FfnVariant.parse("swiglu"), D, F, gateUp(wGate, wUp), null, wDown, null).forward(x, T, sites);
        double[] gate = Reference.matmul(x, wGate, T, D, F);
        assertTrue(Reference.relativeL2(sites.get(Site.FFN_PREACT).data(), gate) < 1e-6);
        assertTrue(Reference.relativeL2(sites.get(Site.FFN_UP).data(), Reference.matmul(x, wUp, T, D, F)) < 1e-6);
        // ffn_gate_act = silu(gate), ffn_in = x; recording them leaves the output as it was
        double[] activatedGate = gate.clone();
        for (int i = 0; i < activatedGate.length; i++) activatedGate[i] = Reference.silu(activatedGate[i]);
        assertTrue(Reference.relativeL2(sites.get(Site.FFN_GATE_ACT).data(), activatedGate) < 1e-6);
        org.junit.jupiter.api.Assertions.assertArrayEquals(x, sites.get(Site.FFN_IN).data());
        org.junit.jupiter.api.Assertions.assertArrayEquals(y, sites.get(Site.FFN_OUT).data());
    }

    static float[] gateUp(float[] gate, float[] up) {
        return ffnbench.math.Matrices.concatColumns(D, gate, up);
    }

    static double[] gatedReference(float[] x, float[] wGate, float[] wUp, float[] wDown, DoubleUnaryOperator g) {
        double[] gate = Reference.matmul(x, wGate, T, D, F);
        double[] up = Reference.matmul(x, wUp, T, D, F);
        for (int i = 0; i < gate.length; i++) gate[i] = g.applyAsDouble(gate[i]) * up[i];
        return Reference.matmul(gate, wDown, T, F, D);
    }

    @Test
    void gatedWidthIsTwoThirdsRounded() {
        assertEquals(11008, FfnVariant.gatedHiddenWidth(4 * 4096, 256)); // LLaMA-7B
        assertEquals(2048, FfnVariant.gatedHiddenWidth(3072, 256));
        assertEquals(2048, FfnVariant.gatedHiddenWidth(3072, 1));
        assertEquals(5632, FfnVariant.gatedHiddenWidth(4 * 2048, 256));
        // Parameter counts match: 3·d·(2/3·4d) = 2·d·4d
        int d = 768;
        assertEquals(2L * d * 3072, 3L * d * FfnVariant.gatedHiddenWidth(3072, 1));
    }

    @Test
    void unknownVariantNamesTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FfnVariant.parse("swigl"));
        assertTrue(e.getMessage().contains("swigl") && e.getMessage().contains("swiglu"));
    }

    @Test
    void wrongWeightSizeNamesTheTensor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FeedForward.create(FfnVariant.parse("gelu"), D, F, new float[D * F - 1], null, new float[F * D], null));
        assertTrue(e.getMessage().contains("mlp.in.weight"), e.getMessage());
    }
}
