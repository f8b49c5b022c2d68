package ffnbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import ffnbench.data.Npy;
import ffnbench.weights.MiniLm;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The real all-MiniLM-L6-v2 layer-0 FFN, weights from the ONNX file, against tensors from executing that graph. */
class MiniLmGoldenTest {
    static final Path REF = Path.of(System.getProperty("ffnbench.repo", "."), "data/reference/minilm-layer0");

    @Test
    void layer0FfnReproducesOnnxRuntimeTensors() throws Exception {
        Npy.Array in = Npy.read(REF.resolve("ffn_in.npy"));
        assertArrayEquals(new long[] {39, 384}, in.shape());
        TransformerLayer layer = new TransformerLayer(MiniLm.config(), MiniLm.layer(0));
        SiteCapture sites = SiteCapture.all();
        float[] out = layer.mlp(in.data(), 39, sites);

        float[] preact = Npy.read(REF.resolve("ffn_preact.npy")).data();
        float[] act = Npy.read(REF.resolve("ffn_act.npy")).data();
        float[] expectedOut = Npy.read(REF.resolve("ffn_out.npy")).data();
        assertTrue(Reference.maxAbsDiff(sites.get(Site.FFN_PREACT).data(), preact) <= 1e-4, "pre-activation");
        assertTrue(Reference.maxAbsDiff(sites.get(Site.FFN_ACT).data(), act) <= 1e-4, "GELU output");
        double outErr = Reference.maxAbsDiff(out, expectedOut);
        assertTrue(outErr <= 1e-4, "FFN output max |diff| " + outErr);
    }

    @Test
    void realInputHasTheKnownOutlierChannel() throws Exception {
        // Platform notes: FFN input channel 99 is a massive outlier in MiniLM.
        float[] in = Npy.read(REF.resolve("ffn_in.npy")).data();
        int argmax = 0;
        float max = 0;
        for (int i = 0; i < in.length; i++) {
            if (Math.abs(in[i]) > max) { max = Math.abs(in[i]); argmax = i % 384; }
        }
        assertEquals(99, argmax);
    }

    @Test
    void allSixLayersLoad() {
        for (int n = 0; n < 6; n++) {
            LayerWeights w = MiniLm.layer(n);
            assertEquals(384 * 1152, w.get("attn.qkv.weight").length);
            assertEquals(1536 * 384, w.get("mlp.out.weight").length);
        }
    }
}
