package ffnbench.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Sweep expansion: list-valued fields become the cross product of cases with stable readable ids. */
class SweepTest {

    static BenchConfig config(String json) throws Exception {
        return BenchConfig.parse(new ObjectMapper().readTree(json), Map.of());
    }

    static final String SWEEP = """
            {"name": "s", "shards": [1, 2],
             "data": {"sequences": 4, "seq_len": [16, 32, 64]},
             "models": [{"name": "m", "source": "preset:llama",
                         "set": {"d_model": [64, 128], "heads": 4, "d_ff": "2.75x", "layers": 2},
                         "variants": ["swiglu", "gelu"], "formulations": ["serial", "parallel"],
                         "weights_dtype": ["f32", "bf16"]}]}
            """;

    @Test
    void crossProductCountsAndIds() throws Exception {
        List<BenchCase> cases = BenchCase.expand(config(SWEEP));
        // 2 d_model × 2 variants × 2 dtypes × 2 formulations × 3 seq_len × 2 shards
        assertEquals(2 * 2 * 2 * 2 * 3 * 2, cases.size());
        assertEquals(cases.size(), cases.stream().map(BenchCase::id).distinct().count());
        assertEquals("m.swiglu.serial.d_model-64.weights_dtype-f32.seq_len-16.shards-1", cases.get(0).id());
        assertEquals("m.gelu.parallel.d_model-128.weights_dtype-bf16.seq_len-64.shards-2", cases.get(cases.size() - 1).id());
        // fields with one value (heads, d_ff, sequences) do not clutter the ids; ids are stable across expansions
        assertEquals(cases.stream().map(BenchCase::id).toList(),
                BenchCase.expand(config(SWEEP)).stream().map(BenchCase::id).toList());
        for (BenchCase c : cases) {
            assertTrue(c.id().contains("d_model-" + c.dModel()) && c.id().contains("seq_len-" + c.data().seqLen())
                    && c.id().contains("shards-" + c.data().shards()) && c.id().contains("weights_dtype-" + c.weights().dtype()), c.id());
            assertEquals(Set.of("d_model", "weights_dtype", "seq_len", "shards"), c.sweep().keySet());
        }
        // "2.75x" keeps the FFN ratio per d_model (rounded up to ffn_multiple 64): 176 → 192, 352 → 384;
        // the GELU variant gets the matched width (× 3/2, rounded up to 64)
        Map<Integer, Set<Integer>> widths = cases.stream().filter(c -> c.variant().equals("swiglu"))
                .collect(Collectors.groupingBy(BenchCase::dModel, Collectors.mapping(c -> c.config().dFf(), Collectors.toSet())));
        assertEquals(Map.of(64, Set.of(192), 128, Set.of(384)), widths);
        assertTrue(cases.stream().filter(c -> c.variant().equals("gelu") && c.dModel() == 128).allMatch(c -> c.config().dFf() == 576));
    }

    @Test
    void singleValuedConfigKeepsItsIds() throws Exception {
        List<BenchCase> cases = BenchCase.expand(config("""
                {"models": [{"name": "m", "source": "preset:gpt2", "set": {"d_model": 64, "heads": 4, "d_ff": 256}}]}"""));
        assertEquals(List.of("m.gelu_tanh.serial", "m.gelu_tanh.parallel"), cases.stream().map(BenchCase::id).toList());
        assertEquals(Map.of(), cases.get(0).sweep());
    }

    @Test
    void invalidCombinationsAreRefusedNamingTheCombination() throws Exception {
        BenchConfig bad = config("""
                {"models": [{"name": "m", "source": "preset:llama", "set": {"d_model": [64, 96], "heads": [4, 5]}}]}""");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(bad));
        assertTrue(e.getMessage().contains("d_model=64, heads=5") && e.getMessage().contains("heads must divide d_model"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config("""
                {"data": {"seq_len": [16, 16]}, "models": [{"source": "preset:gpt2"}]}"""));
        assertTrue(e.getMessage().contains("data.seq_len") && e.getMessage().contains("twice"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config("""
                {"data": {"input": "x.parquet", "seq_len": [16, 32]}, "models": [{"source": "preset:gpt2"}]}"""));
        assertTrue(e.getMessage().contains("data.input"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config("""
                {"models": [{"source": "preset:gpt2", "weights_dtype": ["f32", "int4"]}]}"""));
        assertTrue(e.getMessage().contains("weights_dtype") && e.getMessage().contains("int4"), e.getMessage());
        BenchConfig badRatio = config("""
                {"models": [{"name": "m", "source": "preset:gpt2", "set": {"d_ff": "fourx"}}]}""");
        e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(badRatio));
        assertTrue(e.getMessage().contains("fourx"), e.getMessage());
        BenchConfig huge = config("""
                {"shards": [1,2,3,4,5,6,7,8,9,10], "data": {"seq_len": [1,2,3,4,5,6,7,8,9,10], "sequences": [1,2,3,4,5,6,7,8,9,10]},
                 "models": [{"source": "preset:gpt2", "set": {"d_ff": [256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2304, 2560, 2816]}}]}""");
        e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(huge));
        assertTrue(e.getMessage().contains("22000 cases"), e.getMessage());
        // 2^71 cases would wrap a long to 0: refused at once, never expanded
        StringBuilder set = new StringBuilder();
        for (int i = 0; i < 71; i++) set.append(i == 0 ? "" : ", ").append("\"f").append(i).append("\": [1, 2]");
        BenchConfig overflow = config("{\"models\": [{\"source\": \"preset:gpt2\", \"set\": {" + set + "}}]}");
        e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(overflow));
        assertTrue(e.getMessage().contains("more than 9.2e18 cases"), e.getMessage());
    }
}
