package ffnbench.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.Reference;
import ffnbench.data.Npy;
import ffnbench.model.Formulation;
import ffnbench.model.Site;
import ffnbench.model.SiteCapture;
import ffnbench.model.TransformerLayer;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Tokenizer, embeddings and the whole layer-0 attention path of the real model against tensors from
 * executing its ONNX graph: ffn_in is the post-attention LayerNorm output of layer 0.
 */
class MiniLmEmbeddingTest {
    static final Path REF = Path.of(System.getProperty("ffnbench.repo", "."), "data/reference/minilm-layer0");

    @Test
    void tokenizerReproducesTheReferenceTokenIds() throws Exception {
        JsonNode meta = new ObjectMapper().readTree(REF.resolve("meta.json").toFile());
        for (int s = 0; s < 3; s++) {
            int[] expected = new ObjectMapper().convertValue(meta.get("token_ids").get(s), int[].class);
            assertArrayEquals(expected, MiniLm.tokenizer().encode(meta.get("sentences").get(s).asText(), 128),
                    meta.get("sentences").get(s).asText());
        }
    }

    @Test
    void accentsCaseAndPunctuationAreNormalisedAsBert() {
        WordPieceTokenizer t = MiniLm.tokenizer();
        assertArrayEquals(t.encode("cafe, naive!", 16), t.encode("Café,  NAÏVE !", 16));
        int[] truncated = t.encode("one two three four five six", 4);
        assertArrayEquals(new int[] {101, truncated[1], truncated[2], 102}, truncated);
    }

    @Test
    void embeddingsAndLayer0AttentionReproduceTheFfnInput() throws Exception {
        JsonNode meta = new ObjectMapper().readTree(REF.resolve("meta.json").toFile());
        float[] ffnIn = Npy.read(REF.resolve("ffn_in.npy")).data();
        TransformerLayer layer0 = new TransformerLayer(MiniLm.config(), MiniLm.layer(0));
        int row = 0;
        for (int s = 0; s < 3; s++) {
            int[] ids = new ObjectMapper().convertValue(meta.get("token_ids").get(s), int[].class);
            SiteCapture sites = new SiteCapture(EnumSet.of(Site.ATTN_NORM));
            layer0.forward(MiniLm.hiddenStates(ids, 0), ids.length, Formulation.SERIAL, sites);
            float[] expected = java.util.Arrays.copyOfRange(ffnIn, row * 384, (row + ids.length) * 384);
            double err = Reference.maxAbsDiff(sites.get(Site.ATTN_NORM).data(), expected);
            assertTrue(err <= 1e-4, "sentence " + s + ": max |diff| " + err);
            row += ids.length;
        }
    }
}
