package ffnbench.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ffnbench.model.LayerWeights;
import ffnbench.model.ModelConfig;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SeededInitTest {

    @Test
    void sameSeedSameBitsDifferentSeedDifferentBits() {
        ModelConfig c = ModelConfig.preset("llama").with(Map.of("d_model", "64", "heads", "4", "d_ff", "96"));
        LayerWeights a = SeededInit.layer(c, 7, 0), b = SeededInit.layer(c, 7, 0), other = SeededInit.layer(c, 8, 0);
        for (String name : a.tensors().keySet()) assertArrayEquals(a.get(name), b.get(name), name);
        assertFalse(Arrays.equals(a.get("mlp.in.weight"), other.get("mlp.in.weight")));
        assertFalse(Arrays.equals(a.get("mlp.in.weight"), SeededInit.layer(c, 7, 1).get("mlp.in.weight")));
    }

    @Test
    void outInLayoutHoldsTheSameValuesTransposed() {
        // odd widths and a row count that is not a multiple of the drawing chunk
        ModelConfig c = ModelConfig.preset("llama").with(Map.of("d_model", "150", "heads", "5", "d_ff", "77"));
        LayerWeights canonical = SeededInit.layer(c, 3, 1);
        LayerWeights outIn = SeededInit.layerOutIn(c, 3, 1).withMatricesTransposed(c, false);
        for (String name : canonical.tensors().keySet()) assertArrayEquals(canonical.get(name), outIn.get(name), name);
    }

    @Test
    void documentedScheme() {
        ModelConfig c = ModelConfig.preset("gpt2").with(Map.of("d_model", "256", "heads", "4", "d_ff", "1024", "layers", "8"));
        LayerWeights w = SeededInit.layer(c, 1, 0);
        assertEquals(0.02, std(w.get("mlp.in.weight")), 0.001);
        assertEquals(0.02 / Math.sqrt(16), std(w.get("mlp.out.weight")), 0.0003);
        for (float v : w.get("attn_norm.weight")) assertEquals(1f, v);
        for (float v : w.get("mlp.in.bias")) assertEquals(0f, v);
    }

    static double std(float[] a) {
        double s = 0, s2 = 0;
        for (float v : a) { s += v; s2 += v * v; }
        double m = s / a.length;
        return Math.sqrt(s2 / a.length - m * m);
    }
}
