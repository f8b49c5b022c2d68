package ffnbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import ffnbench.math.Matrices;
import ffnbench.weights.SeededInit;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A transformer layer whose MLP is a mixture of experts: its MLP sublayer, and its serial and
 * parallel blocks around it, against the float64 reference of {@link MoeFfnTest} on the FFN input
 * the layer itself recorded.
 */
class MoeLayerTest {
    static final int T = MoeFfnTest.T, D = MoeFfnTest.D;

    static ModelConfig small(String preset) {
        return ModelConfig.preset(preset).with(Map.of("d_model", "" + D, "heads", "4", "kv_heads", "2", "d_ff", "" + MoeFfnTest.F,
                "experts", "8", "top_k", preset.equals("mixtral") ? "2" : "3", "layers", "2"));
    }

    /** The reference's view of a layer's canonical weights. */
    static MoeFfnTest.Layer referenceLayer(ModelConfig c, LayerWeights w) {
        MoeSpec s = c.moe();
        MoeFfnTest.Expert[] experts = new MoeFfnTest.Expert[s.experts()];
        for (int e = 0; e < experts.length; e++) experts[e] = expert(w, "mlp.experts." + e, c.dFf());
        return new MoeFfnTest.Layer(s, Matrices.transpose(w.get("mlp.router.weight"), D, s.experts()), w.get("mlp.router.selection_bias"),
                experts, s.dFfShared() > 0 ? expert(w, "mlp.shared", s.dFfShared()) : null, w.get("mlp.shared_gate.weight"));
    }

    static MoeFfnTest.Expert expert(LayerWeights w, String prefix, int f) {
        float[] in = w.get(prefix + ".in.weight");   // [d × 2f] = [W_gate | W_up]
        float[] gate = new float[D * f], up = new float[D * f];
        for (int i = 0; i < D; i++) {
            System.arraycopy(in, i * 2 * f, gate, i * f, f);
            System.arraycopy(in, i * 2 * f + f, up, i * f, f);
        }
        return new MoeFfnTest.Expert(gate, up, w.get(prefix + ".out.weight"), f);
    }

    static double[] referenceMlp(ModelConfig c, LayerWeights w, float[] x) {
        MoeFfnTest.Layer ref = referenceLayer(c, w);
        return MoeFfnTest.reference(ref, x, MoeFfnTest.route(ref, x));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen2_moe", "deepseek_v3"})
    void mlpAndBlocksMatchTheReference(String preset) {
        ModelConfig c = small(preset);
        LayerWeights w = SeededInit.layer(c, 3, 1);
        // seeded weights are N(0, 0.02²): scale the router up so that routing is not a coin toss
        Map<String, float[]> t = new java.util.LinkedHashMap<>(w.tensors());
        float[] router = t.get("mlp.router.weight").clone();
        for (int i = 0; i < router.length; i++) router[i] *= 50;
        t.put("mlp.router.weight", router);
        if (c.moe().selectionBias()) t.put("mlp.router.selection_bias", Reference.gaussian(c.moe().experts(), 0.2, 5));
        w = new LayerWeights(t);
        TransformerLayer layer = new TransformerLayer(c, w);
        assertNull(layer.ffn());
        float[] x = Reference.gaussian(T * D, 1, 4);

        double err = Reference.relativeL2(layer.mlp(x, T, SiteRecorder.NONE), referenceMlp(c, w, x));
        assertTrue(err < 1e-5, preset + " mlp: " + err);

        for (Formulation f : new Formulation[] {Formulation.SERIAL, Formulation.PARALLEL, Formulation.PARALLEL_TWO_NORMS}) {
            SiteCapture sites = SiteCapture.all();
            float[] y = layer.forward(x, T, f, sites);
            float[] ffnIn = sites.get(Site.FFN_IN).data();
            // the FFN input is the right norm's output, and the MLP output is the MoE of it
            Site normSite = f == Formulation.PARALLEL ? Site.ATTN_NORM : Site.MLP_NORM;
            assertEquals(0, Reference.maxAbsDiff(sites.get(normSite).data(), ffnIn), preset + " " + f.id());
            double[] mlp = referenceMlp(c, w, ffnIn);
            assertTrue(Reference.relativeL2(sites.get(Site.FFN_OUT).data(), mlp) < 1e-5, preset + " " + f.id() + " ffn_out");
            // pre-LN: y = x + Attn(·) + MLP(·) in every formulation
            double[] expected = new double[T * D];
            float[] attn = sites.get(Site.ATTN_OUT).data();
            for (int i = 0; i < expected.length; i++) expected[i] = x[i] + (double) attn[i] + mlp[i];
            assertTrue(Reference.relativeL2(y, expected) < 1e-5, preset + " " + f.id() + " block");
        }
        assertEquals(layer.attention().flopsPerToken(T) > 0, true);
        assertTrue(layer.flopsPerToken(Formulation.SERIAL, T) > layer.moe().flopsPerToken());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen2_moe", "deepseek_v3"})
    void presetsDescribeAndParseBack(String preset) {
        ModelConfig c = ModelConfig.preset(preset);
        Map<String, String> described = new java.util.LinkedHashMap<>();
        c.describe().forEach((k, v) -> { if (!k.equals("arch")) described.put(k, String.valueOf(v)); });
        assertEquals(c, c.with(described));
        assertNull(c.with("experts", "0").moe(), "experts 0: dense");
        assertEquals(16, ModelConfig.preset("llama").with("experts", "16").moe().experts(), "a dense preset made a mixture");
        for (String f : ModelConfig.MOE_FIELDS) assertTrue(ModelConfig.FIELDS.contains(f), f + " is listed where --set is documented");
    }

    @org.junit.jupiter.api.Test
    void badMoeFieldsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("mixtral").with("top_k", "9"));
        assertTrue(e.getMessage().contains("top_k") && e.getMessage().contains("8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("mixtral").with("ffn", "gelu"));
        assertTrue(e.getMessage().contains("gated"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("llama").with("top_k", "4"));
        assertTrue(e.getMessage().contains("top_k") && e.getMessage().contains("experts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("mixtral").with("experts", "0").with("capacity_factor", "1.5"));
        assertTrue(e.getMessage().contains("capacity_factor"), e.getMessage());
        assertNull(ModelConfig.preset("llama").with(Map.of("experts", "0", "top_k", "4")).moe(), "a sweep's dense point");
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("mixtral").with("router_scoring", "argmax"));
        assertTrue(e.getMessage().contains("router_scoring"), e.getMessage());
        ModelConfig c = small("mixtral");
        Map<String, float[]> t = new java.util.LinkedHashMap<>(SeededInit.layer(c, 1, 0).tensors());
        t.remove("mlp.experts.3.out.weight");
        e = assertThrows(IllegalArgumentException.class, () -> new TransformerLayer(c, new LayerWeights(t)));
        assertTrue(e.getMessage().contains("mlp.experts.3.out.weight"), e.getMessage());
    }
}
