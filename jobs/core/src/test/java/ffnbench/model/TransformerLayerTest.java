package ffnbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransformerLayerTest {
    static final int T = 11;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "bert, serial", "bert, parallel",
        "gpt2, serial", "gpt2, parallel", "gpt2, parallel-two-norms",
        "llama, serial", "llama, parallel", "llama, parallel-two-norms",
        "neox, serial", "neox, parallel", "neox, parallel-two-norms"})
    void blockMatchesFloat64Reference(String preset, String formulation) {
        ModelConfig c = TestWeights.small(preset);
        if (preset.equals("llama")) c = c.with("kv_heads", "2"); // grouped-query attention too
        LayerWeights w = TestWeights.random(c, 42);
        float[] x = Reference.gaussian(T * c.dModel(), 1, 7);
        Formulation f = Formulation.parse(formulation);
        float[] y = new TransformerLayer(c, w).forward(x, T, f, SiteRecorder.NONE);
        double err = Reference.relativeL2(y, new RefBlock(c, w).block(x, T, f));
        assertTrue(err <= 1e-5, preset + " " + formulation + ": relative L2 " + err);
    }

    /** The progress estimate counts from a config alone; it must count what the built layer counts. */
    @Test
    void flopsFromTheConfigEqualTheLayersOwnCount() {
        for (String preset : new String[] {"bert", "gpt2", "llama", "neox"}) {
            for (String ffn : new String[] {"model", "relu", "swiglu", "geglu"}) {
                ModelConfig c = TestWeights.small(preset);
                if (!ffn.equals("model")) c = c.with("ffn", ffn);
                TransformerLayer layer = new TransformerLayer(c, TestWeights.random(c, 5));
                for (Formulation f : Formulation.values()) {
                    for (int seqLen : new int[] {1, 17}) {
                        assertEquals(layer.flopsPerToken(f, seqLen), Flops.block(c, f, seqLen), preset + " " + ffn + " " + f + " " + seqLen);
                    }
                }
            }
        }
    }

    @Test
    void fusedParallelEqualsUnfusedParallel() {
        // With both norms equal, parallel-two-norms is the unfused parallel computation (two input GEMMs).
        for (String preset : new String[] {"gpt2", "llama"}) {
            ModelConfig c = TestWeights.small(preset);
            Map<String, float[]> t = new HashMap<>(TestWeights.random(c, 5).tensors());
            t.put("mlp_norm.weight", t.get("attn_norm.weight"));
            if (t.containsKey("attn_norm.bias")) t.put("mlp_norm.bias", t.get("attn_norm.bias"));
            TransformerLayer layer = new TransformerLayer(c, new LayerWeights(t));
            float[] x = Reference.gaussian(T * c.dModel(), 1, 8);
            float[] fused = layer.forward(x, T, Formulation.PARALLEL, SiteRecorder.NONE);
            float[] unfused = layer.forward(x, T, Formulation.PARALLEL_TWO_NORMS, SiteRecorder.NONE);
            assertTrue(Reference.maxAbsDiff(fused, unfused) < 1e-5, preset);
        }
    }

    @Test
    void serialAndParallelAgreeWhenAttentionIsZero() {
        // Attn ≡ 0: serial h = x, y = x + MLP(N₂(x)) = parallel-two-norms; with N₁ = N₂ also = parallel.
        ModelConfig c = TestWeights.small("llama");
        Map<String, float[]> t = new HashMap<>(TestWeights.random(c, 6).tensors());
        t.put("attn.qkv.weight", new float[t.get("attn.qkv.weight").length]);
        t.put("attn.out.weight", new float[t.get("attn.out.weight").length]);
        t.put("mlp_norm.weight", t.get("attn_norm.weight"));
        TransformerLayer layer = new TransformerLayer(c, new LayerWeights(t));
        float[] x = Reference.gaussian(T * c.dModel(), 1, 9);
        float[] serial = layer.forward(x, T, Formulation.SERIAL, SiteRecorder.NONE);
        assertTrue(Reference.maxAbsDiff(serial, layer.forward(x, T, Formulation.PARALLEL, SiteRecorder.NONE)) < 1e-6);
        assertTrue(Reference.maxAbsDiff(serial, layer.forward(x, T, Formulation.PARALLEL_TWO_NORMS, SiteRecorder.NONE)) < 1e-6);
    }

    /**
     * The layer computes with its matrices transposed ([out × in]); what it reports as its weights is
     * the canonical input, bit for bit, and a layer built from the transposed tensors directly (the
     * executors' broadcast path) computes the same bits.
     */
    @Test
    void weightsRoundTripTheTransposedLayout() {
        for (String preset : new String[] {"llama", "bert"}) {
            ModelConfig c = TestWeights.small(preset);
            LayerWeights canonical = TestWeights.random(c, 12);
            TransformerLayer layer = new TransformerLayer(c, canonical);
            LayerWeights reported = layer.weights();   // rebuilt on each call: once is enough
            assertEquals(canonical.tensors().keySet(), reported.tensors().keySet());
            canonical.tensors().forEach((name, t) -> assertArrayEquals(t, reported.get(name), preset + " " + name));
            TransformerLayer shipped = TransformerLayer.ofOutIn(c, canonical.withMatricesTransposed(c, true));
            float[] x = Reference.gaussian(T * c.dModel(), 1, 13);
            for (Formulation f : new Formulation[] {Formulation.SERIAL, Formulation.PARALLEL}) {
                assertArrayEquals(layer.forward(x, T, f, SiteRecorder.NONE), shipped.forward(x, T, f, SiteRecorder.NONE));
            }
        }
        // the transpose itself, across its 64 × 64 tiles' edges
        int rows = 70, cols = 131;
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = i;
        float[] t = ffnbench.math.Matrices.transpose(a, rows, cols);
        for (int r = 0; r < rows; r++) for (int col = 0; col < cols; col++) assertEquals(a[r * cols + col], t[col * rows + r]);
        assertArrayEquals(a, ffnbench.math.Matrices.transpose(t, cols, rows));
    }

    @Test
    void causalDecoderDoesNotSeeTheFutureEncoderDoes() {
        for (String preset : new String[] {"llama", "bert"}) {
            ModelConfig c = TestWeights.small(preset);
            TransformerLayer layer = new TransformerLayer(c, TestWeights.random(c, 10));
            int d = c.dModel();
            float[] x = Reference.gaussian(T * d, 1, 11);
            float[] y1 = layer.forward(x, T, Formulation.SERIAL, SiteRecorder.NONE);
            float[] changed = x.clone();
            for (int i = 0; i < d; i++) changed[(T - 1) * d + i] += 1f; // change only the last token
            float[] y2 = layer.forward(changed, T, Formulation.SERIAL, SiteRecorder.NONE);
            double earlierChange = 0;
            for (int i = 0; i < (T - 1) * d; i++) earlierChange = Math.max(earlierChange, Math.abs(y1[i] - y2[i]));
            if (c.causal()) {
                assertEquals(0, earlierChange, 0, "decoder: earlier tokens must not see a later one");
            } else {
                assertTrue(earlierChange > 1e-3, "encoder: earlier tokens see later ones");
            }
        }
    }

    @Test
    void groupedQueryAttentionEqualsMultiHeadWithSharedKeyValues() {
        // GQA with 2 KV heads for 4 query heads = MHA whose K/V heads are copies, two per group.
        ModelConfig gqa = TestWeights.small("llama").with("kv_heads", "2");
        ModelConfig mha = TestWeights.small("llama");
        LayerWeights wg = TestWeights.random(gqa, 12);
        int d = gqa.dModel(), hd = gqa.headDim();
        float[] qkvG = wg.get("attn.qkv.weight");
        int wG = gqa.qkvWidth(), wM = mha.qkvWidth();
        float[] qkvM = new float[d * wM];
        for (int r = 0; r < d; r++) {
            System.arraycopy(qkvG, r * wG, qkvM, r * wM, 4 * hd);                     // queries
            for (int h = 0; h < 4; h++) {
                int g = h / 2;
                System.arraycopy(qkvG, r * wG + 4 * hd + g * hd, qkvM, r * wM + 4 * hd + h * hd, hd);     // keys
                System.arraycopy(qkvG, r * wG + 6 * hd + g * hd, qkvM, r * wM + 8 * hd + h * hd, hd);     // values
            }
        }
        Map<String, float[]> t = new HashMap<>(wg.tensors());
        t.put("attn.qkv.weight", qkvM);
        float[] x = Reference.gaussian(T * d, 1, 13);
        float[] a = new TransformerLayer(gqa, wg).forward(x, T, Formulation.SERIAL, SiteRecorder.NONE);
        float[] b = new TransformerLayer(mha, new LayerWeights(t)).forward(x, T, Formulation.SERIAL, SiteRecorder.NONE);
        assertTrue(Reference.maxAbsDiff(a, b) < 1e-5);
    }

    @Test
    void sitesAreRecordedWithTheirShapes() {
        ModelConfig c = TestWeights.small("llama");
        SiteCapture sites = SiteCapture.all();
        float[] x = Reference.gaussian(T * c.dModel(), 1, 14);
        float[] y = new TransformerLayer(c, TestWeights.random(c, 15)).forward(x, T, Formulation.SERIAL, sites);
        for (Site s : Site.values()) {
            if (s == Site.ROUTER_LOGITS || s == Site.ROUTER_PROBS) continue;   // MoE layers only
            SiteCapture.Captured cap = sites.get(s);
            assertEquals(T, cap.rows(), s.id());
            int width = switch (s) {
                case FFN_PREACT, FFN_UP, FFN_GATE_ACT, FFN_ACT -> c.dFf();
                default -> c.dModel();
            };
            assertEquals(width, cap.cols(), s.id());
        }
        assertArrayEquals(y, sites.get(Site.BLOCK_OUT).data());
        assertArrayEquals(sites.get(Site.MLP_NORM).data(), sites.get(Site.FFN_IN).data(), "serial pre-LN: the FFN reads N₂(h)");

        SiteCapture parallel = SiteCapture.all();
        new TransformerLayer(c, TestWeights.random(c, 15)).forward(x, T, Formulation.PARALLEL, parallel);
        assertArrayEquals(parallel.get(Site.ATTN_NORM).data(), parallel.get(Site.FFN_IN).data(), "parallel: the FFN reads the shared norm");
    }

    @Test
    void parallelTwoNormsRejectsPostLn() {
        ModelConfig c = TestWeights.small("bert");
        TransformerLayer layer = new TransformerLayer(c, TestWeights.random(c, 16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> layer.forward(new float[T * c.dModel()], T, Formulation.PARALLEL_TWO_NORMS, SiteRecorder.NONE));
        assertTrue(e.getMessage().contains("pre-LN"), e.getMessage());
    }

    @Test
    void configValidationNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("llama").with("kv_heads", "5"));
        assertTrue(e.getMessage().contains("kv_heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("llama").with("d_fff", "5"));
        assertTrue(e.getMessage().contains("d_fff") && e.getMessage().contains("d_ff"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("bert").with("d_model", "770"));
        assertTrue(e.getMessage().contains("heads"), e.getMessage());
    }
}
