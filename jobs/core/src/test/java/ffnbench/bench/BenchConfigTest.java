package ffnbench.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.model.Formulation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchConfigTest {
    static final Path CONF = Path.of(System.getProperty("ffnbench.repo", "."), "conf");

    @Test
    void shippedConfigsParseAndExpand() throws Exception {
        for (String f : new String[] {"default.json", "bert-base.json", "llama7b-ffn.json", "minilm.json", "sweep.json", "scaling.json", "sparsity.json", "moe.json"}) {
            BenchConfig c = BenchConfig.load(CONF.resolve(f), Map.of());
            assertTrue(!BenchCase.expand(c).isEmpty(), f);
        }
        List<BenchCase> cases = BenchCase.expand(BenchConfig.load(CONF.resolve("default.json"), Map.of()));
        assertEquals(List.of("llama-512.swiglu.serial", "llama-512.swiglu.parallel", "llama-512.gelu.serial",
                "llama-512.gelu.parallel", "minilm.gelu.serial", "minilm.gelu.parallel"), cases.stream().map(BenchCase::id).toList());
        // GELU gets the SwiGLU layer's matched width: 1408 × 3/2 = 2112
        assertEquals(2112, cases.get(2).config().dFf());
        assertEquals(cases.get(0).config().dModel(), cases.get(2).config().dModel());
    }

    /** What summary.json records as the config is itself a config that resolves to the same cases and settings. */
    @Test
    void describedConfigParsesBackToTheSame() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String f : new String[] {"default.json", "bert-base.json", "llama7b-ffn.json", "minilm.json", "sweep.json", "scaling.json", "sparsity.json", "moe.json"}) {
            BenchConfig c = BenchConfig.load(CONF.resolve(f), Map.of());
            var described = json.readTree(json.writeValueAsString(c.describe()));
            BenchConfig again = BenchConfig.parse(described, Map.of());
            assertEquals(c, again, f);
            assertEquals(BenchCase.expand(c).stream().map(BenchCase::id).toList(), BenchCase.expand(again).stream().map(BenchCase::id).toList(), f);
            assertSnakeCase(described, f);
        }
    }

    /** Every field name snake_case, every enum value as configs write it (lower case). */
    static void assertSnakeCase(com.fasterxml.jackson.databind.JsonNode n, String where) {
        n.fieldNames().forEachRemaining(k -> assertTrue(k.matches("[a-z0-9_]+"), where + ": field " + k));
        for (var child : n) {
            if (child.isTextual() && child.asText().matches("[A-Z_]{3,}")) throw new AssertionError(where + ": value " + child);
            assertSnakeCase(child, where);
        }
    }

    @Test
    void overridesApplyBeforeValidation() throws Exception {
        BenchConfig c = BenchConfig.load(CONF.resolve("default.json"),
                Map.of("data.sequences", "5", "models.0.set.d_model", "256", "models.0.formulations", "[\"parallel-two-norms\"]",
                        "iterations.measured", "7"));
        assertEquals(List.of(5L), c.data().sequences());
        assertEquals(IterationPlan.fixed(1, IterationPlan.DEFAULT.firstWarmupSeconds(), 7), c.iterations());
        assertEquals(List.of("256"), c.models().get(0).set().get("d_model"));
        assertEquals(List.of(Formulation.PARALLEL_TWO_NORMS), c.models().get(0).formulations());
    }

    @Test
    void errorsNameTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchConfig.load(CONF.resolve("default.json"), Map.of("data.sequence", "5")));
        assertTrue(e.getMessage().contains("data.sequence") && e.getMessage().contains("sequences"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BenchConfig.load(CONF.resolve("default.json"), Map.of("iterations.measured", "0")));
        assertTrue(e.getMessage().contains("iterations.measured"), e.getMessage());
        // a number beyond a long is named as written, not wrapped around
        e = assertThrows(IllegalArgumentException.class,
                () -> BenchConfig.load(CONF.resolve("default.json"), Map.of("data.sequences", "100000000000000000000")));
        assertTrue(e.getMessage().contains("data.sequences") && e.getMessage().contains("100000000000000000000"), e.getMessage());
        // minilm is post-LN: caught when the cases are expanded, before any work
        BenchConfig postLn = assertDoesNotThrowConfig(Map.of("models.1.formulations", "[\"parallel-two-norms\"]"));
        e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(postLn));
        assertTrue(e.getMessage().contains("parallel-two-norms") && e.getMessage().contains("pre"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BenchConfig.load(CONF.resolve("default.json"), Map.of("data.distribution", "uniform")));
        assertTrue(e.getMessage().contains("data.distribution") && e.getMessage().contains("gaussian"), e.getMessage());
        BenchConfig badLayer = assertDoesNotThrowConfig(Map.of("models.1.layers", "[9]"));
        e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(badLayer));
        assertTrue(e.getMessage().contains("layer 9"), e.getMessage());
        BenchConfig realVariant = assertDoesNotThrowConfig(Map.of("models.1.variants", "[\"swiglu\"]"));
        e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(realVariant));
        assertTrue(e.getMessage().contains("minilm"), e.getMessage());
    }

    /** The sparsity analysis: off unless asked for; every bad setting named before any work. */
    @Test
    void sparsityIsOffByDefaultAndCheckedBeforeAnyWork() throws Exception {
        assertEquals(null, BenchCase.expand(assertDoesNotThrowConfig(Map.of())).get(0).statistics().sparsity());
        BenchCase on = BenchCase.expand(assertDoesNotThrowConfig(Map.of("sparsity", "{}"))).get(0);
        assertEquals(List.of("ffn_in", "ffn_gate_act", "ffn_act"), on.statistics().sparsity().sites());
        assertEquals(List.of(1, 2, 4, 8, 16, 64, 0), on.statistics().sparsity().windows(), "seq_len 128: every default window");
        String[][] bad = {
                {"sparsity.targets", "[0.5, 1.0]", "(0, 1)"},
                {"sparsity.targets", "[0.9, 0.5]", "ascending"},
                {"sparsity.targets", "[\"half\"]", "'half' is not a number"},
                {"sparsity.windows", "[4, 0]", "sparsity.windows"},
                {"sparsity.windows", "[\"sequence\", 4]", "\"sequence\" last"},
                {"sparsity.sites", "[\"ffn_out\"]", "ffn_gate_act"},
                {"sparsity.top_k_fraction", "0", "sparsity.top_k_fraction"},
                {"sparsity.active_threshold", "-1", "sparsity.active_threshold"},
                {"sparsity.typo", "1", "sparsity.typo"},
        };
        for (String[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BenchConfig.load(CONF.resolve("default.json"), Map.of(b[0], b[1])), b[0] + "=" + b[1]);
            assertTrue(e.getMessage().contains(b[2]), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchConfig.load(CONF.resolve("default.json"), Map.of("sparsity", "{}", "stats.enabled", "false")));
        assertTrue(e.getMessage().contains("stats.enabled"), e.getMessage());
        // caught per case: a window longer than the sequences, the gate of a FFN without one
        BenchConfig longWindow = assertDoesNotThrowConfig(Map.of("sparsity.windows", "[8, 512]"));
        e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(longWindow));
        assertTrue(e.getMessage().contains("512") && e.getMessage().contains("seq_len 128"), e.getMessage());
        BenchConfig gateOfGelu = assertDoesNotThrowConfig(Map.of("sparsity.sites", "[\"ffn_gate_act\"]"));
        e = assertThrows(IllegalArgumentException.class, () -> BenchCase.expand(gateOfGelu));
        assertTrue(e.getMessage().contains("ffn_gate_act") && e.getMessage().contains("gelu"), e.getMessage());
    }

    /** Names that become directories: ".", "..", hidden and path-like ones are refused before any work. */
    @Test
    void studyRunAndModelNamesCannotEscapeOrHideTheirDirectory() throws Exception {
        for (String field : new String[] {"study", "name", "models.0.name"}) {
            for (String bad : new String[] {".", "..", ".hidden", "a/b", "../up", ""}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> BenchConfig.load(CONF.resolve("default.json"), Map.of(field, "\"" + bad + "\"")), field + "=" + bad);
                assertTrue(e.getMessage().contains(field) && e.getMessage().contains("'" + bad + "'"), e.getMessage());
            }
        }
        assertEquals("s-1.2_b", BenchConfig.load(CONF.resolve("default.json"), Map.of("study", "\"s-1.2_b\"")).study());
        // a model named after its source drops the leading dots of a relative path
        BenchConfig relative = BenchConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"models\": [{\"source\": \"./ckpt\"}]}"), Map.of());
        assertEquals("ckpt", relative.models().get(0).name());
    }

    private static BenchConfig assertDoesNotThrowConfig(Map<String, String> o) {
        try {
            return BenchConfig.load(CONF.resolve("default.json"), o);
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    @Test
    void matchedWidths() throws Exception {
        var llama = ffnbench.model.ModelConfig.preset("llama");
        // 11008 × 3/2 = 16512, rounded up to a multiple of 256
        assertEquals(16640, BenchCase.matchedWidth(llama, ffnbench.model.FfnVariant.parse("gelu"), 256));
        var bert = ffnbench.model.ModelConfig.preset("bert");
        assertEquals(2048, BenchCase.matchedWidth(bert, ffnbench.model.FfnVariant.parse("swiglu"), 256));
        assertEquals(3072, BenchCase.matchedWidth(bert, ffnbench.model.FfnVariant.parse("relu"), 256));
    }
}
