package ffnbench.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import ffnbench.model.Formulation;
import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import ffnbench.model.SiteRecorder;
import ffnbench.model.TransformerLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny checkpoints written in each architecture's HF layout; the loaded layer is checked against a
 * float64 computation done directly on the HF tensors (so transposes and re-orderings are tested).
 */
class HfCheckpointTest {
    @TempDir
    Path dir;

    static final int D = 16, F = 24, H = 4, T = 5;

    private final Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
    private long seed = 1;

    private float[] put(String name, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        float[] a = Reference.gaussian((int) n, 0.3, seed++);
        if (name.endsWith("norm.weight") || name.contains("ln_") && name.endsWith("weight")) {
            for (int i = 0; i < a.length; i++) a[i] += 1;
        }
        tensors.put(name, new Safetensors.Tensor(shape, a));
        return a;
    }

    private void save(String configJson, Safetensors.DType dtype) throws IOException {
        Files.writeString(dir.resolve("config.json"), configJson);
        Safetensors.write(dir.resolve("model.safetensors"), tensors, dtype);
    }

    /** HF nn.Linear: y = x·Wᵀ + b with W stored [out, in]. */
    static double[] hfLinear(double[] x, int rows, float[] w, int out, int in, float[] b) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += x[r * in + i] * w[o * in + i];
                y[r * out + o] = s;
            }
        return y;
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** A LLaMA layer's norms and attention under HF names ({@code p} = "model.layers.N."), GQA: 2 kv heads of 4. */
    private void putLlamaNormsAndAttention(String p) {
        put(p + "input_layernorm.weight", D);
        put(p + "post_attention_layernorm.weight", D);
        put(p + "self_attn.q_proj.weight", D, D);
        put(p + "self_attn.k_proj.weight", D / 2, D);
        put(p + "self_attn.v_proj.weight", D / 2, D);
        put(p + "self_attn.o_proj.weight", D, D);
    }

    @Test
    void llamaMlpUsesGateUpDownAsHfLlamaMlp() throws IOException {
        String p = "model.layers.0.";
        putLlamaNormsAndAttention(p);
        float[] gate = put(p + "mlp.gate_proj.weight", F, D);
        float[] up = put(p + "mlp.up_proj.weight", F, D);
        float[] down = put(p + "mlp.down_proj.weight", D, F);
        save("{\"model_type\":\"llama\",\"hidden_size\":16,\"intermediate_size\":24,\"num_attention_heads\":4,"
                + "\"num_key_value_heads\":2,\"rms_norm_eps\":1e-5,\"rope_theta\":500000.0,\"hidden_act\":\"silu\","
                + "\"num_hidden_layers\":1}", Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            ModelConfig c = ckpt.config();
            assertEquals("swiglu", c.ffn().name());
            assertEquals(2, c.kvHeads());
            assertEquals(500000.0, c.ropeTheta());
            assertEquals(1e-5, c.normEps());
            TransformerLayer layer = new TransformerLayer(c, ckpt.layer(0));
            float[] x = Reference.gaussian(T * D, 1, 99);
            float[] y = layer.mlp(x, T, SiteRecorder.NONE);
            // HF LlamaMLP: down_proj(act_fn(gate_proj(x)) * up_proj(x))
            double[] g = hfLinear(toDouble(x), T, gate, F, D, null);
            double[] u = hfLinear(toDouble(x), T, up, F, D, null);
            for (int i = 0; i < g.length; i++) g[i] = Reference.silu(g[i]) * u[i];
            assertTrue(Reference.relativeL2(y, hfLinear(g, T, down, D, F, null)) < 1e-5);
        }
    }

    @Test
    void gpt2Conv1dWeightsAreAlreadyInOut() throws IOException {
        String p = "h.0.";
        for (String ln : new String[] {"ln_1", "ln_2"}) { put(p + ln + ".weight", D); put(p + ln + ".bias", D); }
        put(p + "attn.c_attn.weight", D, 3 * D);
        put(p + "attn.c_attn.bias", 3 * D);
        put(p + "attn.c_proj.weight", D, D);
        put(p + "attn.c_proj.bias", D);
        float[] fc = put(p + "mlp.c_fc.weight", D, 4 * D);
        float[] fcb = put(p + "mlp.c_fc.bias", 4 * D);
        float[] proj = put(p + "mlp.c_proj.weight", 4 * D, D);
        float[] projb = put(p + "mlp.c_proj.bias", D);
        save("{\"model_type\":\"gpt2\",\"n_embd\":16,\"n_head\":4,\"n_inner\":null,\"layer_norm_epsilon\":1e-5,"
                + "\"activation_function\":\"gelu_new\",\"n_layer\":2}", Safetensors.DType.F16);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            assertEquals("gelu_tanh", ckpt.config().ffn().name());
            TransformerLayer layer = new TransformerLayer(ckpt.config(), ckpt.layer(0));
            float[] x = Reference.gaussian(T * D, 1, 98);
            float[] y = layer.mlp(x, T, SiteRecorder.NONE);
            // Expected from the f16-rounded weights as stored
            try (Safetensors st = Safetensors.open(dir.resolve("model.safetensors"))) {
                fc = st.read(p + "mlp.c_fc.weight"); fcb = st.read(p + "mlp.c_fc.bias");
                proj = st.read(p + "mlp.c_proj.weight"); projb = st.read(p + "mlp.c_proj.bias");
            }
            double[] h = Reference.matmul(x, fc, T, D, 4 * D);
            for (int i = 0; i < h.length; i++) h[i] = Reference.geluTanh(h[i] + fcb[i % (4 * D)]);
            double[] out = Reference.matmul(h, proj, T, 4 * D, D);
            for (int i = 0; i < out.length; i++) out[i] += projb[i % D];
            assertTrue(Reference.relativeL2(y, out) < 1e-5);
        }
    }

    @Test
    void neoxFusedQkvIsReorderedPerHead() throws IOException {
        String p = "gpt_neox.layers.0.";
        for (String ln : new String[] {"input_layernorm", "post_attention_layernorm"}) {
            put(p + ln + ".weight", D); put(p + ln + ".bias", D);
        }
        float[] qkv = put(p + "attention.query_key_value.weight", 3 * D, D);
        float[] qkvb = put(p + "attention.query_key_value.bias", 3 * D);
        put(p + "attention.dense.weight", D, D);
        put(p + "attention.dense.bias", D);
        put(p + "mlp.dense_h_to_4h.weight", F, D);
        put(p + "mlp.dense_h_to_4h.bias", F);
        put(p + "mlp.dense_4h_to_h.weight", D, F);
        put(p + "mlp.dense_4h_to_h.bias", D);
        save("{\"model_type\":\"gpt_neox\",\"hidden_size\":16,\"intermediate_size\":24,\"num_attention_heads\":4,"
                + "\"rotary_pct\":0.5,\"rotary_emb_base\":10000,\"layer_norm_eps\":1e-5,\"hidden_act\":\"gelu\","
                + "\"use_parallel_residual\":true,\"num_hidden_layers\":1}", Safetensors.DType.BF16);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            try (Safetensors st = Safetensors.open(dir.resolve("model.safetensors"))) {
                qkv = st.read(p + "attention.query_key_value.weight");
                qkvb = st.read(p + "attention.query_key_value.bias");
            }
            LayerWeights w = ckpt.layer(0);
            // HF: fused = x·Wᵀ + b, viewed as [heads, 3, head_dim]; ours: [all q | all k | all v].
            float[] x = Reference.gaussian(D, 1, 5);
            double[] hf = hfLinear(toDouble(x), 1, qkv, 3 * D, D, qkvb);
            double[] ours = new double[3 * D];
            float[] wq = w.get("attn.qkv.weight"), bq = w.get("attn.qkv.bias");
            for (int o = 0; o < 3 * D; o++) {
                double s = bq[o];
                for (int i = 0; i < D; i++) s += x[i] * wq[i * 3 * D + o];
                ours[o] = s;
            }
            int hd = D / H;
            for (int h = 0; h < H; h++)
                for (int part = 0; part < 3; part++)
                    for (int e = 0; e < hd; e++)
                        assertEquals(hf[h * 3 * hd + part * hd + e], ours[part * D + h * hd + e], 1e-5);
            // and the block runs in GPT-NeoX's own formulation
            float[] y = new TransformerLayer(ckpt.config(), w).forward(Reference.gaussian(T * D, 1, 6), T,
                    Formulation.PARALLEL_TWO_NORMS, SiteRecorder.NONE);
            assertEquals(T * D, y.length);
        }
    }

    @Test
    void bertNamesMapToPostLnLayer() throws IOException {
        String p = "encoder.layer.0.";
        for (String n : new String[] {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
            put(p + n + ".weight", D, D); put(p + n + ".bias", D);
        }
        for (String n : new String[] {"attention.output.LayerNorm", "output.LayerNorm"}) {
            put(p + n + ".weight", D); put(p + n + ".bias", D);
        }
        put(p + "intermediate.dense.weight", F, D); put(p + "intermediate.dense.bias", F);
        put(p + "output.dense.weight", D, F); put(p + "output.dense.bias", D);
        save("{\"model_type\":\"bert\",\"hidden_size\":16,\"intermediate_size\":24,\"num_attention_heads\":4,"
                + "\"layer_norm_eps\":1e-12,\"hidden_act\":\"gelu\",\"num_hidden_layers\":1}", Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            assertEquals(1e-12, ckpt.config().normEps());
            assertEquals("post", ckpt.config().placement().id());
            new TransformerLayer(ckpt.config(), ckpt.layer(0));
        }
    }

    /** One gated expert's HF projections under {@code p} (gate, up, down names given), and its float64 output on one token. */
    private double[] expert(double[] x, float[] gate, float[] up, float[] down, int f) {
        double[] g = hfLinear(x, 1, gate, f, D, null), u = hfLinear(x, 1, up, f, D, null);
        for (int i = 0; i < f; i++) g[i] = Reference.silu(g[i]) * u[i];
        return hfLinear(g, 1, down, D, f, null);
    }

    static final int E = 4;

    static final String MIXTRAL = "{\"model_type\":\"mixtral\",\"hidden_size\":16,\"intermediate_size\":24,\"num_attention_heads\":4,"
            + "\"num_key_value_heads\":2,\"rms_norm_eps\":1e-5,\"rope_theta\":1000000.0,\"hidden_act\":\"silu\","
            + "\"num_hidden_layers\":1,\"num_local_experts\":4,\"num_experts_per_tok\":2}";

    /** HF MixtralSparseMoeBlock: softmax over the router logits, top-2, renormalised; experts w2(silu(w1·x) ⊙ w3·x). */
    @Test
    void mixtralSparseMoeBlockAsHf() throws IOException {
        String p = "model.layers.0.";
        putLlamaNormsAndAttention(p);
        float[] router = put(p + "block_sparse_moe.gate.weight", E, D);
        float[][][] w = new float[E][][];
        for (int e = 0; e < E; e++) {
            String x = p + "block_sparse_moe.experts." + e + ".";
            w[e] = new float[][] {put(x + "w1.weight", F, D), put(x + "w3.weight", F, D), put(x + "w2.weight", D, F)};
        }
        save(MIXTRAL, Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            ModelConfig c = ckpt.config();
            assertEquals(4, c.moe().experts());
            assertEquals(2, c.moe().topK());
            TransformerLayer layer = new TransformerLayer(c, ckpt.layer(0));
            float[] x = Reference.gaussian(T * D, 1, 99);
            double[] expected = new double[T * D];
            for (int t = 0; t < T; t++) {
                double[] xt = toDouble(java.util.Arrays.copyOfRange(x, t * D, (t + 1) * D));
                double[] logits = hfLinear(xt, 1, router, E, D, null);
                Integer[] order = {0, 1, 2, 3};
                java.util.Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]));
                double za = Math.exp(logits[order[0]]), zb = Math.exp(logits[order[1]]);   // renormalised top-2 softmax
                for (int r = 0; r < 2; r++) {
                    int e = order[r];
                    double weight = (r == 0 ? za : zb) / (za + zb);
                    double[] y = expert(xt, w[e][0], w[e][1], w[e][2], F);
                    for (int o = 0; o < D; o++) expected[t * D + o] += weight * y[o];
                }
            }
            assertTrue(Reference.relativeL2(layer.mlp(x, T, SiteRecorder.NONE), expected) < 1e-5);
        }
    }

    /** HF Qwen2MoeSparseMoeBlock: softmax top-k without renormalising, plus sigmoid(shared_expert_gate·x)·shared_expert(x). */
    @Test
    void qwen2MoeSparseMoeBlockAsHf() throws IOException {
        String p = "model.layers.1.";
        putLlamaNormsAndAttention(p);
        for (String b : new String[] {"q_proj.bias", "k_proj.bias", "v_proj.bias"}) put(p + "self_attn." + b, b.startsWith("q") ? D : D / 2);
        float[] router = put(p + "mlp.gate.weight", E, D);
        float[][][] w = new float[E][][];
        for (int e = 0; e < E; e++) {
            String x = p + "mlp.experts." + e + ".";
            w[e] = new float[][] {put(x + "gate_proj.weight", F, D), put(x + "up_proj.weight", F, D), put(x + "down_proj.weight", D, F)};
        }
        int fs = 20;
        float[][] shared = {put(p + "mlp.shared_expert.gate_proj.weight", fs, D), put(p + "mlp.shared_expert.up_proj.weight", fs, D),
                put(p + "mlp.shared_expert.down_proj.weight", D, fs)};
        float[] sharedGate = put(p + "mlp.shared_expert_gate.weight", 1, D);
        String config = "{\"model_type\":\"qwen2_moe\",\"hidden_size\":16,\"intermediate_size\":64,\"moe_intermediate_size\":24,"
                + "\"shared_expert_intermediate_size\":20,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"rms_norm_eps\":1e-6,"
                + "\"hidden_act\":\"silu\",\"num_hidden_layers\":2,\"num_experts\":4,\"num_experts_per_tok\":2,"
                + "\"norm_topk_prob\":false,\"decoder_sparse_step\":1,\"mlp_only_layers\":[0]}";
        save(config, Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            ModelConfig c = ckpt.config();
            assertTrue(c.attnBias() && !c.moe().normTopK() && c.moe().sharedGate() && c.moe().dFfShared() == fs);
            TransformerLayer layer = new TransformerLayer(c, ckpt.layer(1));
            float[] x = Reference.gaussian(T * D, 1, 98);
            double[] expected = new double[T * D];
            for (int t = 0; t < T; t++) {
                double[] xt = toDouble(java.util.Arrays.copyOfRange(x, t * D, (t + 1) * D));
                double[] logits = hfLinear(xt, 1, router, E, D, null);
                double sum = 0;
                for (double l : logits) sum += Math.exp(l);
                Integer[] order = {0, 1, 2, 3};
                java.util.Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]));
                for (int r = 0; r < 2; r++) {
                    int e = order[r];
                    double[] y = expert(xt, w[e][0], w[e][1], w[e][2], F);
                    for (int o = 0; o < D; o++) expected[t * D + o] += Math.exp(logits[e]) / sum * y[o];
                }
                double g = Reference.sigmoid(hfLinear(xt, 1, sharedGate, 1, D, null)[0]);
                double[] y = expert(xt, shared[0], shared[1], shared[2], fs);
                for (int o = 0; o < D; o++) expected[t * D + o] += g * y[o];
            }
            assertTrue(Reference.relativeL2(layer.mlp(x, T, SiteRecorder.NONE), expected) < 1e-5);
            // layer 0 is in mlp_only_layers: dense, which ffnbench does not run as part of an MoE model
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ckpt.layer(0));
            assertTrue(e.getMessage().contains("mlp_only_layers"), e.getMessage());
        }
    }

    @Test
    void badMoeCheckpointsAreNamed() throws IOException {
        String p = "model.layers.0.";
        putLlamaNormsAndAttention(p);
        put(p + "block_sparse_moe.gate.weight", E + 1, D);   // a router for 5 experts
        for (int e = 0; e < E; e++) {
            String x = p + "block_sparse_moe.experts." + e + ".";
            put(x + "w1.weight", F, D);
            if (e != 2) put(x + "w3.weight", F, D);
            put(x + "w2.weight", D, F);
        }
        save(MIXTRAL.replace("\"num_experts_per_tok\":2", "\"num_experts_per_tok\":5"), Safetensors.DType.F32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("num_experts_per_tok") && e.getMessage().contains("num_local_experts"), e.getMessage());
        save(MIXTRAL, Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            e = assertThrows(IllegalArgumentException.class, () -> ckpt.layer(0));
            assertTrue(e.getMessage().contains("block_sparse_moe.gate.weight") && e.getMessage().contains("[5, 16]"), e.getMessage());
        }
        put(p + "block_sparse_moe.gate.weight", E, D);
        save(MIXTRAL, Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            e = assertThrows(IllegalArgumentException.class, () -> ckpt.layer(0));
            assertTrue(e.getMessage().contains("block_sparse_moe.experts.2.w3.weight"), e.getMessage());
        }
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        put("h.0.ln_1.weight", D);
        save("{\"model_type\":\"gpt2\",\"n_embd\":16,\"n_head\":4,\"layer_norm_epsilon\":1e-5,"
                + "\"activation_function\":\"gelu_new\",\"n_layer\":1}", Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ckpt.layer(0));
            assertTrue(e.getMessage().contains("h.0.ln_1.bias"), e.getMessage());
        }
    }

    /** One NaN weight would make every output NaN: refused on load, naming the checkpoint's tensor. */
    @Test
    void aNonFiniteWeightIsRefusedNamingTheTensor() throws IOException {
        String p = "model.layers.0.";
        putLlamaNormsAndAttention(p);
        put(p + "mlp.gate_proj.weight", F, D);
        put(p + "mlp.up_proj.weight", F, D)[37] = Float.NaN;
        put(p + "mlp.down_proj.weight", D, F)[5] = Float.POSITIVE_INFINITY;
        save("{\"model_type\":\"llama\",\"hidden_size\":16,\"intermediate_size\":24,\"num_attention_heads\":4,"
                + "\"num_key_value_heads\":2,\"rms_norm_eps\":1e-5,\"hidden_act\":\"silu\",\"num_hidden_layers\":1}", Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ckpt.layer(0));
            assertTrue(e.getMessage().contains("mlp.up_proj.weight") && e.getMessage().contains("NaN at index 37")
                    && e.getMessage().contains(dir.toString()), e.getMessage());
        }
        // any source: the canonical tensors are checked too
        float[] w = new float[4];
        w[2] = Float.NEGATIVE_INFINITY;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ffnbench.model.LayerWeights.requireFinite("tensor mlp.out.weight", w));
        assertTrue(e.getMessage().contains("mlp.out.weight holds 1 non-finite value(s), the first -Infinity at index 2"), e.getMessage());
    }

    /** A config.json that is not JSON (truncated, damaged) is named, for a model source as for a checkpoint. */
    @Test
    void aDamagedConfigJsonIsNamed() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_si");
        Files.write(dir.resolve("model.safetensors"), new byte[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ffnbench.data.JsonFile.read(dir.resolve("config.json")));
        assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()) && e.getMessage().contains("not valid JSON"), e.getMessage());
        Exception viaSource = assertThrows(Exception.class, () -> ffnbench.weights.ModelSource.load(dir.toString(), 0, 1, java.util.Map.of()));
        assertTrue(viaSource.getMessage().contains("config.json"), viaSource.getMessage());
    }

    @Test
    void wrongShapeIsNamed() throws IOException {
        String p = "model.layers.0.";
        put(p + "input_layernorm.weight", D);
        put(p + "post_attention_layernorm.weight", D);
        put(p + "self_attn.q_proj.weight", D, D);
        put(p + "self_attn.k_proj.weight", D, D);
        put(p + "self_attn.v_proj.weight", D, D);
        put(p + "self_attn.o_proj.weight", D, D);
        put(p + "mlp.gate_proj.weight", F, D);
        put(p + "mlp.up_proj.weight", F + 1, D);
        put(p + "mlp.down_proj.weight", D, F);
        save("{\"model_type\":\"llama\",\"hidden_size\":16,\"intermediate_size\":24,\"num_attention_heads\":4,"
                + "\"rms_norm_eps\":1e-6,\"hidden_act\":\"silu\",\"num_hidden_layers\":1}", Safetensors.DType.F32);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ckpt.layer(0));
            assertTrue(e.getMessage().contains("mlp.up_proj.weight") && e.getMessage().contains("[25, 16]"), e.getMessage());
        }
    }

    @Test
    void unknownHiddenActAndMissingFieldAreNamed() throws IOException {
        put("x", 1);
        save("{\"model_type\":\"llama\",\"hidden_size\":16,\"intermediate_size\":24,\"num_attention_heads\":4,"
                + "\"rms_norm_eps\":1e-6,\"hidden_act\":\"mish\",\"num_hidden_layers\":1}", Safetensors.DType.F32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("hidden_act") && e.getMessage().contains("mish"), e.getMessage());

        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"bert\",\"hidden_size\":16}");
        e = assertThrows(IllegalArgumentException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("num_attention_heads"), e.getMessage());

        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"t5\"}");
        e = assertThrows(IllegalArgumentException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("model_type") && e.getMessage().contains("t5"), e.getMessage());
    }

    @Test
    void directoryWithoutConfigOrWeights() throws IOException {
        IOException e = assertThrows(IOException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"bert\",\"hidden_size\":16,\"intermediate_size\":24,"
                + "\"num_attention_heads\":4,\"layer_norm_eps\":1e-12,\"hidden_act\":\"gelu\",\"num_hidden_layers\":1}");
        e = assertThrows(IOException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("safetensors"), e.getMessage());
    }
}
