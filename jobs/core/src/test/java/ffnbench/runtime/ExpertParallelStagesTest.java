package ffnbench.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import ffnbench.model.Formulation;
import ffnbench.model.ModelConfig;
import ffnbench.model.StageTimes;
import ffnbench.model.TransformerLayer;
import ffnbench.runtime.ExpertParallelStages.Assignment;
import ffnbench.runtime.ExpertParallelStages.Dispatch;
import ffnbench.stats.CaseStats;
import ffnbench.stats.StatsConfig;
import ffnbench.weights.SeededInit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Expert parallelism's three steps, run as the Spark plan runs them (every sequence dispatched, each
 * expert over all sequences' tokens at once, each sequence combined), give each sequence the output
 * and the routing statistics of the layers' own forward pass.
 */
class ExpertParallelStagesTest {
    static final int D = 32, SEQUENCES = 5, TOKENS = 12;

    @ParameterizedTest
    @CsvSource({"mixtral, serial, pre, 0", "mixtral, parallel, pre, 0", "mixtral, parallel-two-norms, pre, 0",
        "mixtral, serial, post, 0", "mixtral, parallel, post, 0", "qwen2_moe, serial, pre, 0", "deepseek_v3, parallel, pre, 0",
        "mixtral, serial, pre, 1.0"})
    void stagesComputeWhatTheLayersCompute(String preset, String formulation, String placement, double capacity) {
        ModelConfig c = ModelConfig.preset(preset).with(Map.of("d_model", "" + D, "heads", "4", "kv_heads", "2", "d_ff", "16",
                "experts", "8", "top_k", "2", "layers", "2", "placement", placement,
                "capacity_factor", Double.toString(capacity)));
        Formulation f = Formulation.parse(formulation);
        LayerStack stack = new LayerStack(List.of(0, 1), new TransformerLayer[] {
            new TransformerLayer(c, SeededInit.layer(c, 7, 0)), new TransformerLayer(c, SeededInit.layer(c, 7, 1))});
        Set<String> sites = Set.of("input", "attn_norm", "mlp_norm", "ffn_act", "ffn_out", "router_probs", "block_out");
        StatsConfig statsConfig = StatsConfig.DEFAULT;

        float[][] x = new float[SEQUENCES][];
        for (int s = 0; s < SEQUENCES; s++) x[s] = Reference.gaussian(TOKENS * D, 1, 100 + s);
        CaseStats dataParallel = new CaseStats(statsConfig);
        float[][] expected = new float[SEQUENCES][];
        for (int s = 0; s < SEQUENCES; s++) {
            dataParallel.startSequence();
            expected[s] = stack.forward(x[s], TOKENS, f, new StatsRecorder(dataParallel, sites, D, new StageTimes()),
                    new StageTimes(), ffnbench.model.Workspace.fresh()).clone();
        }

        CaseStats expertParallel = new CaseStats(statsConfig);
        StatsRecorder recorder = new StatsRecorder(expertParallel, sites, D, new StageTimes());
        float[][] y = x.clone();
        for (int layer = 0; layer < 2; layer++) {
            List<Dispatch> dispatched = new ArrayList<>();
            TreeMap<Integer, List<Assignment>> byExpert = new TreeMap<>();
            for (int s = 0; s < SEQUENCES; s++) {
                expertParallel.startSequence();
                Dispatch d = ExpertParallelStages.dispatch(stack, layer, s, y[s], TOKENS, f, recorder, new StageTimes());
                dispatched.add(d);
                for (Assignment a : d.assignments()) byExpert.computeIfAbsent(a.expert(), e -> new ArrayList<>()).add(a);
            }
            List<Assignment> outputs = new ArrayList<>();
            for (var e : byExpert.entrySet()) {
                outputs.addAll(ExpertParallelStages.runExpert(stack, layer, e.getKey(), e.getValue(), recorder, expertParallel,
                        new StageTimes()));
            }
            outputs.sort(Comparator.comparingLong(Assignment::seqId).thenComparingInt(Assignment::token)
                    .thenComparingInt(Assignment::expert));
            for (int s = 0; s < SEQUENCES; s++) {
                long seq = s;
                expertParallel.startSequence();
                y[s] = ExpertParallelStages.combine(stack, dispatched.get(s).pending(),
                        outputs.stream().filter(a -> a.seqId() == seq).toList(), f, recorder, new StageTimes());
            }
        }
        for (int s = 0; s < SEQUENCES; s++) {
            assertTrue(Reference.relativeL2(y[s], expected[s]) < 1e-5, "sequence " + s + ": " + Reference.relativeL2(y[s], expected[s]));
        }
        // the first layer's router reads the same bits in both; later ones read inputs that differ in the last bits
        assertEquals(dataParallel.routers().get("0"), expertParallel.routers().get("0"), "layer 0's routing is identical");
        assertEquals(dataParallel.routers().get("1").tokens(), expertParallel.routers().get("1").tokens());
        assertEquals(dataParallel.sites().keySet(), expertParallel.sites().keySet());
        for (String key : dataParallel.sites().keySet()) {
            assertEquals(dataParallel.sites().get(key).count(), expertParallel.sites().get(key).count(), key);
            assertEquals(dataParallel.sites().get(key).moments().mean(), expertParallel.sites().get(key).moments().mean(),
                    1e-5 * Math.max(1, Math.abs(dataParallel.sites().get(key).moments().mean())), key);
        }
        if (capacity > 0) {
            long kept = dataParallel.routers().get("0").tokens() * 2;
            long routed = 0;
            for (int e = 0; e < 8; e++) {
                var act = expertParallel.sites().get("0/expert" + e + ".ffn_act");
                if (act != null) routed += act.tokens();
            }
            assertTrue(routed < kept, "capacity 1.0 dropped some of the " + kept + " assignments: " + routed + " kept");
        }
    }
}
