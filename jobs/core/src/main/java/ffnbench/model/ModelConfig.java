package ffnbench.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The shape and kind of one transformer layer. Start from a {@link #preset} matching a real model
 * and override any field with {@link #with(String, String)}; {@link #validate()} runs on every copy.
 *
 * @param arch          model family: bert, gpt2, llama, neox, minilm (informational; loaders use it)
 * @param dModel        hidden size d
 * @param heads         query heads
 * @param kvHeads       key/value heads (&lt; heads: grouped-query attention)
 * @param dFf           FFN hidden width (for gated FFNs: the width of gate and of up)
 * @param ffn           FFN variant
 * @param norm          layernorm or rmsnorm
 * @param normEps       ε of the norms (from the checkpoint: BERT 1e-12, GPT-2 1e-5, LLaMA rms_norm_eps)
 * @param placement     pre or post norm
 * @param attnBias      biases on attention projections
 * @param mlpBias       biases on FFN projections
 * @param causal        causal mask (decoders) or bidirectional (encoders)
 * @param ropeTheta     rotary base θ, 0 for no rotary embeddings
 * @param rotaryFraction fraction of each head's dimensions that rotate (GPT-NeoX rotary_pct)
 * @param layers        number of layers in the model (scales the seeded init of output projections)
 * @param moe           the mixture-of-experts MLP, or null for a dense FFN; with one, {@code ffn} is the
 *                      experts' gated variant and {@code dFf} each routed expert's width
 */
public record ModelConfig(String arch, int dModel, int heads, int kvHeads, int dFf, FfnVariant ffn,
                          NormType norm, double normEps, NormPlacement placement,
                          boolean attnBias, boolean mlpBias, boolean causal,
                          double ropeTheta, double rotaryFraction, int layers, MoeSpec moe) implements java.io.Serializable {

    public static final String PRESETS = "bert, gpt2, llama, neox, minilm, mixtral, qwen2_moe, deepseek_v3";

    public ModelConfig {
        validate(dModel, heads, kvHeads, dFf, normEps, ropeTheta, rotaryFraction, layers);
        if (moe != null) {
            require(moe.dFfExpert() == dFf && moe.expertVariant().equals(ffn), "moe: the experts' width and variant are d_ff and ffn");
            require(!mlpBias, "moe: MoE experts have no biases (mlp_bias false)");
        }
    }

    /** A dense layer (no mixture of experts). */
    public ModelConfig(String arch, int dModel, int heads, int kvHeads, int dFf, FfnVariant ffn, NormType norm, double normEps,
                       NormPlacement placement, boolean attnBias, boolean mlpBias, boolean causal, double ropeTheta,
                       double rotaryFraction, int layers) {
        this(arch, dModel, heads, kvHeads, dFf, ffn, norm, normEps, placement, attnBias, mlpBias, causal, ropeTheta, rotaryFraction,
                layers, null);
    }

    /** Whether the MLP is a mixture of experts. */
    public boolean isMoe() {
        return moe != null;
    }

    /** Configurations matching real models (base sizes: BERT-base, GPT-2 small, LLaMA-7B, Pythia-410M, MiniLM-L6). */
    public static ModelConfig preset(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "bert" -> new ModelConfig("bert", 768, 12, 12, 3072, FfnVariant.parse("gelu"),
                    NormType.LAYERNORM, 1e-12, NormPlacement.POST, true, true, false, 0, 1, 12);
            case "gpt2" -> new ModelConfig("gpt2", 768, 12, 12, 3072, FfnVariant.parse("gelu_tanh"),
                    NormType.LAYERNORM, 1e-5, NormPlacement.PRE, true, true, true, 0, 1, 12);
            case "llama" -> new ModelConfig("llama", 4096, 32, 32, 11008, FfnVariant.parse("swiglu"),
                    NormType.RMSNORM, 1e-6, NormPlacement.PRE, false, false, true, 10000, 1, 32);
            case "neox" -> new ModelConfig("neox", 1024, 16, 16, 4096, FfnVariant.parse("gelu"),
                    NormType.LAYERNORM, 1e-5, NormPlacement.PRE, true, true, true, 10000, 0.25, 24);
            case "minilm" -> new ModelConfig("minilm", 384, 12, 12, 1536, FfnVariant.parse("gelu"),
                    NormType.LAYERNORM, 1e-12, NormPlacement.POST, true, true, false, 0, 1, 6);
            // Mixtral-8x7B
            case "mixtral" -> new ModelConfig("mixtral", 4096, 32, 8, 14336, FfnVariant.parse("swiglu"),
                    NormType.RMSNORM, 1e-5, NormPlacement.PRE, false, false, true, 1e6, 1, 32, MoeSpec.mixtral(14336));
            // Qwen1.5-MoE-A2.7B (attn_bias puts a bias on the output projection too, where Qwen2 has none)
            case "qwen2_moe" -> new ModelConfig("qwen2_moe", 2048, 16, 16, 1408, FfnVariant.parse("swiglu"),
                    NormType.RMSNORM, 1e-6, NormPlacement.PRE, true, false, true, 1e6, 1, 24, MoeSpec.qwen2Moe(1408, 5632));
            // DeepSeek-V3's MoE MLP and shapes; its multi-head latent attention is plain multi-head attention here
            case "deepseek_v3" -> new ModelConfig("deepseek_v3", 7168, 128, 128, 2048, FfnVariant.parse("swiglu"),
                    NormType.RMSNORM, 1e-6, NormPlacement.PRE, false, false, true, 10000, 1, 61, MoeSpec.deepseekV3(2048));
            default -> throw new IllegalArgumentException("unknown preset '" + name + "': use one of " + PRESETS);
        };
    }

    /**
     * The mixture-of-experts fields. Setting {@code experts} above 0 on a dense config makes its MLP a
     * mixture (the other fields start as Mixtral's: top-2 of a softmax, renormalised); 0 makes it dense.
     */
    public static final java.util.List<String> MOE_FIELDS = java.util.List.of("experts", "top_k", "router_scoring", "norm_topk_prob",
            "d_ff_shared", "shared_gate", "n_group", "topk_group", "selection_bias", "routed_scaling_factor", "capacity_factor");

    /** Field names accepted by {@link #with}. */
    public static final String FIELDS = "d_model, heads, kv_heads, d_ff, ffn, norm, norm_eps, placement, "
            + "attn_bias, mlp_bias, causal, rope_theta, rotary_fraction, layers, and for a mixture of experts experts, top_k, "
            + "router_scoring, norm_topk_prob, d_ff_shared, shared_gate, n_group, topk_group, selection_bias, routed_scaling_factor, "
            + "capacity_factor";

    /** A copy with one field changed; the value is parsed and the result validated. */
    public ModelConfig with(String field, String value) {
        return with(Map.of(field, value));
    }

    /**
     * A copy with several fields changed at once (validated once, so e.g. d_model and heads can
     * change together). Changing heads alone keeps plain multi-head attention plain (kv_heads follows).
     */
    public ModelConfig with(Map<String, String> overrides) {
        Map<String, String> v = new LinkedHashMap<>();
        describe().forEach((k, val) -> v.put(k, String.valueOf(val)));
        if (moe == null) moeDefaults().forEach((k, val) -> v.put(k, String.valueOf(val)));
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String key = e.getKey().trim().toLowerCase(Locale.ROOT);
            if (!v.containsKey(key) || key.equals("arch")) {
                throw new IllegalArgumentException("unknown model field '" + e.getKey() + "': use one of " + FIELDS);
            }
            v.put(key, e.getValue().trim());
        }
        if (overrides.keySet().stream().anyMatch(k -> k.trim().equalsIgnoreCase("heads"))
                && overrides.keySet().stream().noneMatch(k -> k.trim().equalsIgnoreCase("kv_heads")) && kvHeads == heads) {
            v.put("kv_heads", v.get("heads"));
        }
        FfnVariant ffn = FfnVariant.parse(v.get("ffn"));
        int dFf = integer(v, "d_ff");
        MoeSpec moe = null;
        boolean expertsGiven = overrides.keySet().stream().anyMatch(f -> f.trim().equalsIgnoreCase("experts"));
        if (integer(v, "experts") <= 0) {
            // on a dense model the other fields mean nothing; with experts among the overrides (a sweep
            // over experts = 0, 8, …) they are for the other points
            for (String f : expertsGiven ? java.util.Set.<String>of() : overrides.keySet()) {
                String key = f.trim().toLowerCase(Locale.ROOT);
                if (MOE_FIELDS.contains(key) && !key.equals("experts")) {
                    throw new IllegalArgumentException("model field " + key + " applies to a mixture of experts, and this model is "
                            + "dense: set experts (the number of routed experts) too, or drop " + key);
                }
            }
        } else {
            String scoring = v.get("router_scoring").toUpperCase(Locale.ROOT);
            if (!scoring.equals("SOFTMAX") && !scoring.equals("SIGMOID")) {
                throw new IllegalArgumentException("model field router_scoring: '" + v.get("router_scoring") + "' is not softmax or sigmoid");
            }
            moe = new MoeSpec(integer(v, "experts"), integer(v, "top_k"), dFf, ffn, MoeSpec.Scoring.valueOf(scoring),
                    bool(v, "norm_topk_prob"), integer(v, "d_ff_shared"), bool(v, "shared_gate"), integer(v, "n_group"),
                    integer(v, "topk_group"), bool(v, "selection_bias"), number(v, "routed_scaling_factor"), number(v, "capacity_factor"));
        }
        return new ModelConfig(arch, integer(v, "d_model"), integer(v, "heads"), integer(v, "kv_heads"),
                dFf, ffn, NormType.parse(v.get("norm")), number(v, "norm_eps"),
                NormPlacement.parse(v.get("placement")), bool(v, "attn_bias"), bool(v, "mlp_bias"), bool(v, "causal"),
                number(v, "rope_theta"), number(v, "rotary_fraction"), integer(v, "layers"), moe);
    }

    /** The MoE fields of a dense config: no experts, and Mixtral's routing once {@code experts} is set. */
    private static Map<String, Object> moeDefaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("experts", 0);
        m.put("top_k", 2);
        m.put("router_scoring", "softmax");
        m.put("norm_topk_prob", true);
        m.put("d_ff_shared", 0);
        m.put("shared_gate", false);
        m.put("n_group", 1);
        m.put("topk_group", 1);
        m.put("selection_bias", false);
        m.put("routed_scaling_factor", 1.0);
        m.put("capacity_factor", 0.0);
        return m;
    }

    private static int integer(Map<String, String> v, String field) {
        try {
            return Integer.parseInt(v.get(field));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model field " + field + ": '" + v.get(field) + "' is not an integer");
        }
    }

    private static double number(Map<String, String> v, String field) {
        try {
            return Double.parseDouble(v.get(field));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model field " + field + ": '" + v.get(field) + "' is not a number");
        }
    }

    private static boolean bool(Map<String, String> v, String field) {
        try {
            return parseBoolean(v.get(field));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model field " + field + ": " + e.getMessage());
        }
    }

    private static boolean parseBoolean(String v) {
        if (v.equalsIgnoreCase("true")) return true;
        if (v.equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException("'" + v + "' is not true or false");
    }

    private static void validate(int dModel, int heads, int kvHeads, int dFf, double normEps, double ropeTheta,
                                 double rotaryFraction, int layers) {
        require(dModel > 0, "d_model must be positive, got " + dModel);
        require(dFf > 0, "d_ff must be positive, got " + dFf);
        require(heads > 0 && dModel % heads == 0, "heads must divide d_model (" + dModel + "), got " + heads);
        require(kvHeads > 0 && heads % kvHeads == 0, "kv_heads must divide heads (" + heads + "), got " + kvHeads);
        require(normEps > 0 && Double.isFinite(normEps), "norm_eps must be positive, got " + normEps);
        require(ropeTheta >= 0 && Double.isFinite(ropeTheta), "rope_theta must be ≥ 0 (0 = no rotary), got " + ropeTheta);
        require(rotaryFraction > 0 && rotaryFraction <= 1, "rotary_fraction must be in (0, 1], got " + rotaryFraction);
        require(layers > 0, "layers must be positive, got " + layers);
        int headDim = dModel / heads;
        if (ropeTheta > 0) {
            int rot = (int) (headDim * rotaryFraction);
            require(rot >= 2 && rot % 2 == 0, "rotary dimension (head_dim " + headDim + " × rotary_fraction "
                    + rotaryFraction + " = " + rot + ") must be even and ≥ 2");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public int headDim() {
        return dModel / heads;
    }

    /** Refuses a layer index the model does not have, naming the valid range. */
    public void requireLayer(int layer) {
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("layer " + layer + " does not exist: the model has layers 0.." + (layers - 1));
        }
    }

    /** Rotary dimensions per head, 0 without rotary embeddings. */
    public int rotaryDim() {
        return ropeTheta > 0 ? (int) (headDim() * rotaryFraction) : 0;
    }

    /** Width of the fused Q/K/V projection. */
    public int qkvWidth() {
        return (heads + 2 * kvHeads) * headDim();
    }

    /** Width of the FFN input projection (2·d_ff for gated FFNs). */
    public int ffnInputWidth() {
        return ffn.gated() ? 2 * dFf : dFf;
    }

    /** A flat, ordered view for reports and JSON. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", arch);
        m.put("d_model", dModel);
        m.put("heads", heads);
        m.put("kv_heads", kvHeads);
        m.put("d_ff", dFf);
        m.put("ffn", ffn.name());
        m.put("norm", norm.id());
        m.put("norm_eps", normEps);
        m.put("placement", placement.id());
        m.put("attn_bias", attnBias);
        m.put("mlp_bias", mlpBias);
        m.put("causal", causal);
        m.put("rope_theta", ropeTheta);
        m.put("rotary_fraction", rotaryFraction);
        m.put("layers", layers);
        if (moe != null) {
            m.put("experts", moe.experts());
            m.put("top_k", moe.topK());
            m.put("router_scoring", moe.scoring().name().toLowerCase(Locale.ROOT));
            m.put("norm_topk_prob", moe.normTopK());
            m.put("d_ff_shared", moe.dFfShared());
            m.put("shared_gate", moe.sharedGate());
            m.put("n_group", moe.groups());
            m.put("topk_group", moe.topKGroups());
            m.put("selection_bias", moe.selectionBias());
            m.put("routed_scaling_factor", moe.routedScaling());
            m.put("capacity_factor", moe.capacityFactor());
        }
        return m;
    }
}
