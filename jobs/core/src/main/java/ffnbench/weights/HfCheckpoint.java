package ffnbench.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.math.Activation;
import ffnbench.math.Matrices;
import ffnbench.model.FfnVariant;
import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import ffnbench.model.MoeSpec;
import ffnbench.model.NormPlacement;
import ffnbench.model.NormType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face checkpoint directory ({@code config.json} + one or more {@code *.safetensors}) for
 * {@code llama} (and llama-shaped {@code mistral}, {@code qwen2}), {@code bert}, {@code gpt2},
 * {@code gpt_neox}, and the mixtures of experts {@code mixtral} and {@code qwen2_moe}: maps the
 * config to a {@link ModelConfig} and a layer's HF tensors to the canonical {@link LayerWeights}.
 * (DeepSeek checkpoints are not read: their multi-head latent attention is not implemented.)
 *
 * <p>Layouts: {@code nn.Linear} stores {@code [out, in]} and is transposed; GPT-2's {@code Conv1D}
 * already stores {@code [in, out]}; GPT-NeoX's {@code query_key_value} interleaves q, k, v per head.
 */
public final class HfCheckpoint implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode config;
    private final ModelConfig modelConfig;
    private final List<Safetensors> files = new ArrayList<>();
    private final Map<String, Safetensors> byTensor = new HashMap<>();

    private HfCheckpoint(Path dir) throws IOException {
        this.dir = dir;
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IOException("checkpoint directory " + dir + " has no config.json (expected a Hugging Face model directory)");
        }
        try {
            this.config = JSON.readTree(configFile.toFile());
        } catch (IOException e) {
            throw new IOException("config.json in " + dir + " is not valid JSON: " + e.getMessage(), e);
        }
        this.modelConfig = mapConfig(configFile, config);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path p : ds) {
                Safetensors st = Safetensors.open(p);
                files.add(st);
                for (String name : st.entries().keySet()) byTensor.put(name, st);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        if (files.isEmpty()) {
            close();
            throw new IOException("checkpoint directory " + dir + " has no *.safetensors files (convert .bin weights with "
                    + "transformers' save_pretrained(safe_serialization=True))");
        }
    }

    public static HfCheckpoint open(Path dir) throws IOException {
        return new HfCheckpoint(dir);
    }

    public ModelConfig config() {
        return modelConfig;
    }

    /**
     * A LLaMA-shaped decoder from config.json's usual fields: RMSNorm before each sublayer, rotary
     * attention over all of each head, a gated FFN of {@code hidden_act} of width {@code dFf}, and the
     * MLP a mixture of experts when {@code moe} is not null.
     */
    private static ModelConfig llamaShaped(JsonNode c, String arch, int dFf, boolean attnBias, boolean mlpBias, double defaultTheta,
                                           MoeSpec moe) {
        int heads = integer(c, "num_attention_heads");
        int kv = c.hasNonNull("num_key_value_heads") ? integer(c, "num_key_value_heads") : heads;
        return new ModelConfig(arch, integer(c, "hidden_size"), heads, kv, dFf, FfnVariant.gatedWith(activation(c, "hidden_act")),
                NormType.RMSNORM, number(c, "rms_norm_eps"), NormPlacement.PRE, attnBias, mlpBias, true,
                c.path("rope_theta").asDouble(defaultTheta), 1.0, integer(c, "num_hidden_layers"), moe);
    }

    /** As {@link #mapConfig(JsonNode)}, with errors that name the file. */
    public static ModelConfig mapConfig(Path configFile, JsonNode c) {
        try {
            return mapConfig(c);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
        }
    }

    /** Maps an HF config.json to a ModelConfig; errors name the missing or bad field. */
    public static ModelConfig mapConfig(JsonNode c) {
        String type = text(c, "model_type");
        switch (type) {
            case "llama", "mistral", "qwen2" -> {
                return llamaShaped(c, "llama", integer(c, "intermediate_size"), c.path("attention_bias").asBoolean(type.equals("qwen2")),
                        c.path("mlp_bias").asBoolean(false), 10000.0, null);
            }
            case "mixtral" -> {
                int f = integer(c, "intermediate_size");
                int experts = integer(c, "num_local_experts"), k = integer(c, "num_experts_per_tok");
                requireTopK(k, experts, "num_local_experts");
                MoeSpec moe = new MoeSpec(experts, k, f, FfnVariant.gatedWith(activation(c, "hidden_act")), MoeSpec.Scoring.SOFTMAX,
                        true, 0, false, 1, 1, false, 1, 0);
                return llamaShaped(c, "mixtral", f, false, false, 1e6, moe);
            }
            case "qwen2_moe" -> {
                int f = integer(c, "moe_intermediate_size");
                int experts = integer(c, "num_experts"), k = integer(c, "num_experts_per_tok");
                requireTopK(k, experts, "num_experts");
                int shared = c.hasNonNull("shared_expert_intermediate_size") ? integer(c, "shared_expert_intermediate_size") : 0;
                MoeSpec moe = new MoeSpec(experts, k, f, FfnVariant.gatedWith(activation(c, "hidden_act")), MoeSpec.Scoring.SOFTMAX,
                        c.path("norm_topk_prob").asBoolean(false), shared, shared > 0, 1, 1, false, 1, 0);
                return llamaShaped(c, "qwen2_moe", f, true, false, 1e6, moe);
            }
            case "bert" -> {
                return new ModelConfig("bert", integer(c, "hidden_size"), integer(c, "num_attention_heads"),
                        integer(c, "num_attention_heads"), integer(c, "intermediate_size"),
                        standard(activation(c, "hidden_act")), NormType.LAYERNORM, number(c, "layer_norm_eps"),
                        NormPlacement.POST, true, true, false, 0, 1, integer(c, "num_hidden_layers"));
            }
            case "gpt2" -> {
                int d = integer(c, "n_embd");
                int inner = c.hasNonNull("n_inner") ? integer(c, "n_inner") : 4 * d;
                return new ModelConfig("gpt2", d, integer(c, "n_head"), integer(c, "n_head"), inner,
                        standard(activation(c, "activation_function")), NormType.LAYERNORM,
                        number(c, "layer_norm_epsilon"), NormPlacement.PRE, true, true, true, 0, 1, integer(c, "n_layer"));
            }
            case "gpt_neox" -> {
                double theta = c.hasNonNull("rope_theta") ? number(c, "rope_theta") : c.path("rotary_emb_base").asDouble(10000);
                return new ModelConfig("neox", integer(c, "hidden_size"), integer(c, "num_attention_heads"),
                        integer(c, "num_attention_heads"), integer(c, "intermediate_size"),
                        standard(activation(c, "hidden_act")), NormType.LAYERNORM, number(c, "layer_norm_eps"),
                        NormPlacement.PRE, c.path("attention_bias").asBoolean(true), true, true, theta,
                        c.path("rotary_pct").asDouble(1.0), integer(c, "num_hidden_layers"));
            }
            default -> throw new IllegalArgumentException("config.json field model_type: '" + type
                    + "' is not supported; use llama (mistral, qwen2), bert, gpt2, gpt_neox, mixtral or qwen2_moe");
        }
    }

    private static void requireTopK(int k, int experts, String expertsField) {
        if (k < 1 || k > experts) {
            throw new IllegalArgumentException("config.json field num_experts_per_tok (" + k + ") must be in 1.." + expertsField
                    + " (" + experts + ")");
        }
    }

    private static FfnVariant standard(Activation a) {
        return FfnVariant.parse(a.name());
    }

    private static JsonNode field(JsonNode c, String name) {
        JsonNode n = c.get(name);
        if (n == null || n.isNull()) throw new IllegalArgumentException("config.json is missing field " + name);
        return n;
    }

    private static String text(JsonNode c, String name) {
        return field(c, name).asText();
    }

    private static int integer(JsonNode c, String name) {
        JsonNode n = field(c, name);
        if (!n.canConvertToInt()) throw new IllegalArgumentException("config.json field " + name + " must be an integer, got " + n);
        return n.asInt();
    }

    private static double number(JsonNode c, String name) {
        JsonNode n = field(c, name);
        if (!n.isNumber()) throw new IllegalArgumentException("config.json field " + name + " must be a number, got " + n);
        return n.asDouble();
    }

    private static Activation activation(JsonNode c, String name) {
        try {
            return Activation.parse(text(c, name));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config.json field " + name + ": " + e.getMessage(), e);
        }
    }

    /** Loads layer {@code n} into canonical names and layouts, validated against the config. */
    public LayerWeights layer(int n) throws IOException {
        modelConfig.requireLayer(n);
        Map<String, float[]> w = new LinkedHashMap<>();
        ModelConfig c = modelConfig;
        int d = c.dModel();
        switch (c.arch()) {
            case "mixtral" -> {
                String p = prefix("model.layers." + n + ".", "layers." + n + ".");
                llamaNormsAndAttention(p, w);
                String moe = p + "block_sparse_moe.";
                w.put("mlp.router.weight", linear(moe + "gate.weight", c.moe().experts(), d));
                for (int e = 0; e < c.moe().experts(); e++) {
                    String x = moe + "experts." + e + ".";
                    gatedExpert(w, "mlp.experts." + e, x + "w1.weight", x + "w3.weight", x + "w2.weight", c.dFf());
                }
            }
            case "qwen2_moe" -> {
                requireSparseLayer(n);
                String p = prefix("model.layers." + n + ".", "layers." + n + ".");
                llamaNormsAndAttention(p, w);
                String mlp = p + "mlp.";
                w.put("mlp.router.weight", linear(mlp + "gate.weight", c.moe().experts(), d));
                for (int e = 0; e < c.moe().experts(); e++) {
                    String x = mlp + "experts." + e + ".";
                    gatedExpert(w, "mlp.experts." + e, x + "gate_proj.weight", x + "up_proj.weight", x + "down_proj.weight", c.dFf());
                }
                if (c.moe().dFfShared() > 0) {
                    String x = mlp + "shared_expert.";
                    gatedExpert(w, "mlp.shared", x + "gate_proj.weight", x + "up_proj.weight", x + "down_proj.weight", c.moe().dFfShared());
                    w.put("mlp.shared_gate.weight", tensor(mlp + "shared_expert_gate.weight", d));   // [1, d]
                }
            }
            case "llama" -> {
                String p = prefix("model.layers." + n + ".", "layers." + n + ".");
                llamaNormsAndAttention(p, w);
                int f = c.dFf();
                w.put("mlp.in.weight", Matrices.concatColumns(d, linear(p + "mlp.gate_proj.weight", f, d),
                        linear(p + "mlp.up_proj.weight", f, d)));
                w.put("mlp.out.weight", linear(p + "mlp.down_proj.weight", d, f));
                if (c.mlpBias()) {
                    w.put("mlp.in.bias", Matrices.concatColumns(1, tensor(p + "mlp.gate_proj.bias", f), tensor(p + "mlp.up_proj.bias", f)));
                    w.put("mlp.out.bias", tensor(p + "mlp.down_proj.bias", d));
                }
            }
            case "bert" -> {
                String p = prefix("bert.encoder.layer." + n + ".", "encoder.layer." + n + ".");
                w.put("attn.qkv.weight", Matrices.concatColumns(d, linear(p + "attention.self.query.weight", d, d),
                        linear(p + "attention.self.key.weight", d, d), linear(p + "attention.self.value.weight", d, d)));
                w.put("attn.qkv.bias", Matrices.concatColumns(1, tensor(p + "attention.self.query.bias", d),
                        tensor(p + "attention.self.key.bias", d), tensor(p + "attention.self.value.bias", d)));
                w.put("attn.out.weight", linear(p + "attention.output.dense.weight", d, d));
                w.put("attn.out.bias", tensor(p + "attention.output.dense.bias", d));
                w.put("attn_norm.weight", tensor(p + "attention.output.LayerNorm.weight", d));
                w.put("attn_norm.bias", tensor(p + "attention.output.LayerNorm.bias", d));
                w.put("mlp.in.weight", linear(p + "intermediate.dense.weight", c.dFf(), d));
                w.put("mlp.in.bias", tensor(p + "intermediate.dense.bias", c.dFf()));
                w.put("mlp.out.weight", linear(p + "output.dense.weight", d, c.dFf()));
                w.put("mlp.out.bias", tensor(p + "output.dense.bias", d));
                w.put("mlp_norm.weight", tensor(p + "output.LayerNorm.weight", d));
                w.put("mlp_norm.bias", tensor(p + "output.LayerNorm.bias", d));
            }
            case "gpt2" -> {
                String p = prefix("transformer.h." + n + ".", "h." + n + ".");
                w.put("attn_norm.weight", tensor(p + "ln_1.weight", d));
                w.put("attn_norm.bias", tensor(p + "ln_1.bias", d));
                w.put("attn.qkv.weight", tensor(p + "attn.c_attn.weight", d * 3 * d));   // Conv1D: [in, out]
                w.put("attn.qkv.bias", tensor(p + "attn.c_attn.bias", 3 * d));
                w.put("attn.out.weight", tensor(p + "attn.c_proj.weight", d * d));
                w.put("attn.out.bias", tensor(p + "attn.c_proj.bias", d));
                w.put("mlp_norm.weight", tensor(p + "ln_2.weight", d));
                w.put("mlp_norm.bias", tensor(p + "ln_2.bias", d));
                w.put("mlp.in.weight", tensor(p + "mlp.c_fc.weight", d * c.dFf()));
                w.put("mlp.in.bias", tensor(p + "mlp.c_fc.bias", c.dFf()));
                w.put("mlp.out.weight", tensor(p + "mlp.c_proj.weight", c.dFf() * d));
                w.put("mlp.out.bias", tensor(p + "mlp.c_proj.bias", d));
            }
            case "neox" -> {
                String p = prefix("gpt_neox.layers." + n + ".", "layers." + n + ".");
                w.put("attn_norm.weight", tensor(p + "input_layernorm.weight", d));
                w.put("attn_norm.bias", tensor(p + "input_layernorm.bias", d));
                w.put("mlp_norm.weight", tensor(p + "post_attention_layernorm.weight", d));
                w.put("mlp_norm.bias", tensor(p + "post_attention_layernorm.bias", d));
                // query_key_value: [3d, d] whose output rows are grouped per head as (q, k, v) blocks of head_dim.
                float[] qkv = linear(p + "attention.query_key_value.weight", 3 * d, d);   // now [d, 3d]
                w.put("attn.qkv.weight", neoxHeadsToQkv(qkv, d, c.heads(), c.headDim()));
                if (c.attnBias()) {
                    w.put("attn.qkv.bias", neoxHeadsToQkv(tensor(p + "attention.query_key_value.bias", 3 * d), 1, c.heads(), c.headDim()));
                    w.put("attn.out.bias", tensor(p + "attention.dense.bias", d));
                }
                w.put("attn.out.weight", linear(p + "attention.dense.weight", d, d));
                w.put("mlp.in.weight", linear(p + "mlp.dense_h_to_4h.weight", c.dFf(), d));
                w.put("mlp.in.bias", tensor(p + "mlp.dense_h_to_4h.bias", c.dFf()));
                w.put("mlp.out.weight", linear(p + "mlp.dense_4h_to_h.weight", d, c.dFf()));
                w.put("mlp.out.bias", tensor(p + "mlp.dense_4h_to_h.bias", d));
            }
            default -> throw new IllegalStateException("no loader for " + c.arch());
        }
        return new LayerWeights(w).validate(c);
    }

    /** A LLaMA-style layer's two RMSNorms and attention (q/k/v biases with attn_bias; a missing o_proj bias is zero). */
    private void llamaNormsAndAttention(String p, Map<String, float[]> w) {
        ModelConfig c = modelConfig;
        int d = c.dModel();
        w.put("attn_norm.weight", tensor(p + "input_layernorm.weight", d));
        w.put("mlp_norm.weight", tensor(p + "post_attention_layernorm.weight", d));
        int q = c.heads() * c.headDim();
        int kv = c.kvHeads() * c.headDim();
        w.put("attn.qkv.weight", Matrices.concatColumns(d,
                linear(p + "self_attn.q_proj.weight", q, d),
                linear(p + "self_attn.k_proj.weight", kv, d),
                linear(p + "self_attn.v_proj.weight", kv, d)));
        if (c.attnBias()) {
            w.put("attn.qkv.bias", Matrices.concatColumns(1, tensor(p + "self_attn.q_proj.bias", q),
                    tensor(p + "self_attn.k_proj.bias", kv), tensor(p + "self_attn.v_proj.bias", kv)));
            w.put("attn.out.bias", optionalOrZeros(p + "self_attn.o_proj.bias", d));
        }
        w.put("attn.out.weight", linear(p + "self_attn.o_proj.weight", d, q));
    }

    /** One gated expert from its HF gate, up and down projections, as {@code <name>.in.weight} and {@code <name>.out.weight}. */
    private void gatedExpert(Map<String, float[]> w, String name, String gate, String up, String down, int f) {
        int d = modelConfig.dModel();
        w.put(name + ".in.weight", Matrices.concatColumns(d, linear(gate, f, d), linear(up, f, d)));
        w.put(name + ".out.weight", linear(down, d, f));
    }

    /**
     * Qwen2-MoE makes layer i a mixture of experts unless it is in {@code mlp_only_layers} or
     * (i + 1) is not a multiple of {@code decoder_sparse_step}; ffnbench runs the mixture layers.
     */
    private void requireSparseLayer(int n) {
        int step = config.path("decoder_sparse_step").asInt(1);
        boolean mlpOnly = false;
        for (JsonNode l : config.path("mlp_only_layers")) mlpOnly |= l.asInt() == n;
        if (mlpOnly || step < 1 || (n + 1) % step != 0) {
            throw new IllegalArgumentException("layer " + n + " of " + dir + " has a dense MLP (config.json mlp_only_layers "
                    + config.path("mlp_only_layers") + ", decoder_sparse_step " + step + "): choose one of its mixture-of-experts layers");
        }
    }

    private String prefix(String... candidates) {
        for (String p : candidates) {
            for (String name : byTensor.keySet()) {
                if (name.startsWith(p)) return p;
            }
        }
        throw new IllegalArgumentException("checkpoint " + dir + " has no tensors under " + String.join(" or ", candidates));
    }

    /** A tensor with an expected element count; the error names the tensor. */
    private float[] tensor(String name, long expected) {
        Safetensors st = byTensor.get(name);
        if (st == null) throw new IllegalArgumentException("checkpoint " + dir + " is missing tensor " + name);
        Safetensors.Entry e = st.entries().get(name);
        if (e.elements() != expected) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + java.util.Arrays.toString(e.shape())
                    + " (" + e.elements() + " values), expected " + expected + " values for this config");
        }
        float[] values;
        try {
            values = st.read(name);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        LayerWeights.requireFinite("tensor " + name + " of checkpoint " + dir, values);
        return values;
    }

    private float[] optionalOrZeros(String name, int n) {
        return byTensor.containsKey(name) ? tensor(name, n) : new float[n];
    }

    /** An nn.Linear weight stored {@code [out × in]}, returned transposed as {@code [in × out]}. */
    private float[] linear(String name, int out, int in) {
        Safetensors st = byTensor.get(name);
        if (st != null) {
            long[] shape = st.entries().get(name).shape();
            if (shape.length != 2 || shape[0] != out || shape[1] != in) {
                throw new IllegalArgumentException("tensor " + name + " has shape " + java.util.Arrays.toString(shape)
                        + ", expected [" + out + ", " + in + "] for this config");
            }
        }
        return ffnbench.math.Matrices.transpose(tensor(name, (long) out * in), out, in);
    }

    /** GPT-NeoX fused QKV columns, per head (q_h, k_h, v_h), reordered to (all q, all k, all v). */
    static float[] neoxHeadsToQkv(float[] m, int rows, int heads, int headDim) {
        int width = 3 * heads * headDim;
        float[] out = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                for (int part = 0; part < 3; part++) {
                    int from = r * width + (h * 3 + part) * headDim;
                    int to = r * width + part * heads * headDim + h * headDim;
                    System.arraycopy(m, from, out, to, headDim);
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        for (Safetensors f : files) f.close();
    }
}
