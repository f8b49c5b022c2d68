package ffnbench.model;

import ffnbench.Reference;
import java.util.LinkedHashMap;
import java.util.Map;

/** Random weights for every tensor, biases and norm parameters included (so none is trivially 0 or 1). */
final class TestWeights {
    private TestWeights() {}

    static LayerWeights random(ModelConfig c, long seed) {
        Map<String, float[]> t = new LinkedHashMap<>();
        long s = seed;
        for (Map.Entry<String, int[]> e : LayerWeights.expectedShapes(c).entrySet()) {
            int n = 1;
            for (int dim : e.getValue()) n *= dim;
            String name = e.getKey();
            float[] a;
            if (name.endsWith("norm.weight")) {
                a = Reference.gaussian(n, 0.2, s++);
                for (int i = 0; i < n; i++) a[i] += 1f;
            } else {
                a = Reference.gaussian(n, name.endsWith("bias") ? 0.1 : 1.0 / Math.sqrt(e.getValue()[0]), s++);
            }
            t.put(name, a);
        }
        return new LayerWeights(t);
    }

    static ModelConfig small(String preset) {
        return ModelConfig.preset(preset).with(Map.of("d_model", "32", "d_ff", "48", "heads", "4"));
    }
}
