package ffnbench.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.model.ModelConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryPlanTest {

    @Test
    void llama70bFfnWeightsAreAbout2point8GB() {
        ModelConfig c = ModelConfig.preset("llama").with(Map.of("d_model", "8192", "heads", "64", "kv_heads", "8", "d_ff", "28672"));
        // 3 matrices of 8192 × 28672 fp32, counted by hand
        assertEquals(3L * 8192 * 28672 * 4, MemoryPlan.ffnWeightBytes(c));
        assertEquals(2.82e9, MemoryPlan.ffnWeightBytes(c), 0.01e9);
        // the whole layer as held: qkv 8192×(8192+2·1024), o 8192², FFN, fused [qkv | gate·up] copy
        long qkv = 8192L * (8192 + 2048), ffnIn = 8192L * 2 * 28672;
        assertEquals(4 * (qkv + 8192L * 8192 + ffnIn + 28672L * 8192 + qkv + ffnIn), MemoryPlan.layerWeightBytes(c));
    }

    @Test
    void impossibleCaseIsRefusedWithNumbersAndFix() throws Exception {
        BenchConfig cfg = BenchConfig.parse(new ObjectMapper().readTree("""
                {"models": [{"name": "llama70b", "source": "preset:llama", "layers": [0, 1],
                             "set": {"d_model": 8192, "heads": 64, "kv_heads": 8, "d_ff": 28672, "layers": 80},
                             "formulations": ["serial"]}]}"""), Map.of());
        List<BenchCase> cases = BenchCase.expand(cfg);
        MemoryPlan.Budget fourGig = new MemoryPlan.Budget(4L << 30, 2, "spark.executor.memory", "raise spark.executor.memory");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MemoryPlan.check(cases, c -> c.data().seqLen(), fourGig));
        String m = e.getMessage();
        assertTrue(m.contains("llama70b.swiglu.serial cannot run") && m.contains("2 layer(s)") && m.contains("2.63 GiB per layer")
                && m.contains("4.00 GiB") && m.contains("spark.executor.memory") && m.contains("at least"), m);
        // a small case fits and, with a tiny heap, draws a warning rather than a refusal
        BenchConfig small = BenchConfig.parse(new ObjectMapper().readTree("""
                {"models": [{"name": "s", "source": "preset:gpt2", "formulations": ["serial"]}]}"""), Map.of());
        List<BenchCase> smallCases = BenchCase.expand(small);
        assertEquals(List.of(), MemoryPlan.check(smallCases, c -> c.data().seqLen(), fourGig));
        long need = MemoryPlan.estimate(smallCases.get(0), 128).perExecutor(2);
        MemoryPlan.Budget tight = new MemoryPlan.Budget(MemoryPlan.SPARK_OWN + 2 * need, 2, "x", "y");
        assertEquals(1, MemoryPlan.check(smallCases, c -> c.data().seqLen(), tight).size());
    }
}
