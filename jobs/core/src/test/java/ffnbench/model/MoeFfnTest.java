package ffnbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import ffnbench.math.Matrices;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each router and MoE variant against a float64 reference written from the formulas, token by token. */
class MoeFfnTest {
    static final int T = 23, D = 16, F = 12, FS = 20;

    /** Canonical weights of one gated FFN: gate and up [D × f], down [f × D]. */
    record Expert(float[] gate, float[] up, float[] down, int f) {
        static Expert random(int f, long seed) {
            return new Expert(Reference.gaussian(D * f, 0.4, seed), Reference.gaussian(D * f, 0.4, seed + 1),
                    Reference.gaussian(f * D, 0.4, seed + 2), f);
        }

        FeedForward build() {
            return FeedForward.create(FfnVariant.parse("swiglu"), D, f, Matrices.concatColumns(D, gate, up), null, down, null);
        }

        /** (silu(x·G) ⊙ x·U)·D in float64 for one token. */
        double[] apply(float[] x, int t) {
            double[] y = new double[D];
            for (int j = 0; j < f; j++) {
                double g = 0, u = 0;
                for (int i = 0; i < D; i++) {
                    g += x[t * D + i] * (double) gate[i * f + j];
                    u += x[t * D + i] * (double) up[i * f + j];
                }
                double h = Reference.silu(g) * u;
                for (int o = 0; o < D; o++) y[o] += h * down[j * D + o];
            }
            return y;
        }
    }

    record Layer(MoeSpec spec, float[] router, float[] bias, Expert[] experts, Expert shared, float[] sharedGate) {
        static Layer random(MoeSpec spec, long seed) {
            Expert[] experts = new Expert[spec.experts()];
            for (int e = 0; e < experts.length; e++) experts[e] = Expert.random(spec.dFfExpert(), seed + 10L * e);
            return new Layer(spec, Reference.gaussian(spec.experts() * D, 0.5, seed + 1000),
                    spec.selectionBias() ? Reference.gaussian(spec.experts(), 0.3, seed + 1001) : null, experts,
                    spec.dFfShared() > 0 ? Expert.random(spec.dFfShared(), seed + 2000) : null,
                    spec.sharedGate() ? Reference.gaussian(D, 0.5, seed + 3000) : null);
        }

        MoeFfn build() {
            FeedForward[] ffns = new FeedForward[experts.length];
            for (int e = 0; e < ffns.length; e++) ffns[e] = experts[e].build();
            return new MoeFfn(spec, D, new Router(spec, D, router, bias), ffns, shared == null ? null : shared.build(), sharedGate);
        }
    }

    /** One assignment of the reference routing. */
    record Choice(int token, int rank, int expert, double weight) { }

    /** The reference routing of every token, capacity applied (dropped choices removed). */
    static List<Choice> route(Layer l, float[] x) {
        MoeSpec s = l.spec();
        int E = s.experts();
        List<Choice> all = new ArrayList<>();
        for (int t = 0; t < T; t++) {
            double[] logit = new double[E], score = new double[E], choice = new double[E];
            for (int e = 0; e < E; e++) for (int i = 0; i < D; i++) logit[e] += x[t * D + i] * (double) l.router()[e * D + i];
            if (s.scoring() == MoeSpec.Scoring.SOFTMAX) {
                double sum = 0;
                for (int e = 0; e < E; e++) sum += Math.exp(logit[e]);
                for (int e = 0; e < E; e++) score[e] = Math.exp(logit[e]) / sum;
            } else {
                for (int e = 0; e < E; e++) score[e] = Reference.sigmoid(logit[e]);
            }
            for (int e = 0; e < E; e++) choice[e] = score[e] + (l.bias() == null ? 0 : l.bias()[e]);
            boolean[] eligible = new boolean[E];
            java.util.Arrays.fill(eligible, true);
            if (s.groups() > 1) {
                int size = E / s.groups();
                List<Integer> groups = new ArrayList<>();
                double[] groupScore = new double[s.groups()];
                for (int g = 0; g < s.groups(); g++) {
                    groups.add(g);
                    double[] members = java.util.Arrays.copyOfRange(choice, g * size, (g + 1) * size);
                    java.util.Arrays.sort(members);
                    groupScore[g] = members[size - 1] + (size > 1 ? members[size - 2] : 0);
                }
                groups.sort(Comparator.comparingDouble((Integer g) -> -groupScore[g]).thenComparingInt(g -> g));
                java.util.Arrays.fill(eligible, false);
                for (int g : groups.subList(0, s.topKGroups())) for (int e = g * size; e < (g + 1) * size; e++) eligible[e] = true;
            }
            List<Integer> order = new ArrayList<>();
            for (int e = 0; e < E; e++) if (eligible[e]) order.add(e);
            order.sort(Comparator.comparingDouble((Integer e) -> -choice[e]).thenComparingInt(e -> e));
            List<Integer> chosen = order.subList(0, s.topK());
            double sum = chosen.stream().mapToDouble(e -> score[e]).sum();
            for (int r = 0; r < s.topK(); r++) {
                int e = chosen.get(r);
                all.add(new Choice(t, r, e, (s.normTopK() ? score[e] / sum : score[e]) * s.routedScaling()));
            }
        }
        if (s.capacityFactor() == 0) return all;
        long cap = (long) Math.ceil(s.capacityFactor() * T * s.topK() / E - 1e-9);
        List<Choice> kept = new ArrayList<>();
        for (int e = 0; e < E; e++) {
            int expert = e;
            all.stream().filter(c -> c.expert() == expert)
                    .sorted(Comparator.comparingDouble((Choice c) -> -c.weight()).thenComparingInt(Choice::token).thenComparingInt(Choice::rank))
                    .limit(cap).forEach(kept::add);
        }
        return kept;
    }

    static double[] reference(Layer l, float[] x, List<Choice> routing) {
        double[] y = new double[T * D];
        for (Choice c : routing) {
            double[] out = l.experts()[c.expert()].apply(x, c.token());
            for (int o = 0; o < D; o++) y[c.token() * D + o] += c.weight() * out[o];
        }
        if (l.shared() != null) {
            for (int t = 0; t < T; t++) {
                double g = 1;
                if (l.sharedGate() != null) {
                    double z = 0;
                    for (int i = 0; i < D; i++) z += x[t * D + i] * (double) l.sharedGate()[i];
                    g = Reference.sigmoid(z);
                }
                double[] out = l.shared().apply(x, t);
                for (int o = 0; o < D; o++) y[t * D + o] += g * out[o];
            }
        }
        return y;
    }

    static MoeSpec spec(int experts, int k, MoeSpec.Scoring scoring, boolean norm, int shared, boolean gate, int groups, int topKGroups,
                        boolean bias, double scaling, double capacity) {
        return new MoeSpec(experts, k, F, FfnVariant.parse("swiglu"), scoring, norm, shared, gate, groups, topKGroups, bias, scaling, capacity);
    }

    static void assertMatches(MoeSpec spec, long seed, float[] x) {
        Layer l = Layer.random(spec, seed);
        MoeFfn moe = l.build();
        MoeFfn.Result r = moe.forwardRouted(x, T);
        List<Choice> routing = route(l, x);
        double err = Reference.relativeL2(r.out(), reference(l, x, routing));
        assertTrue(err < 1e-5, spec + ": relative L2 " + err);
        // the same experts chosen and kept, in rank order
        for (Choice c : routing) {
            int i = c.token() * spec.topK() + c.rank();
            assertEquals(c.expert(), r.routing().expert()[i], spec + " token " + c.token() + " rank " + c.rank());
            assertTrue(r.routing().kept()[i], "kept " + c);
            assertEquals(c.weight(), r.routing().weight()[i], 1e-6, "weight " + c);
        }
        assertEquals(routing.size(), java.util.Arrays.stream(r.routing().load(spec.experts(), true)).sum(), "nothing else kept");
    }

    @Test
    void mixtralRouting() {
        assertMatches(spec(8, 2, MoeSpec.Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1, 0), 1, Reference.gaussian(T * D, 1, 2));
    }

    @Test
    void qwen2MoeRoutingWithAGatedSharedExpert() {
        assertMatches(spec(6, 4, MoeSpec.Scoring.SOFTMAX, false, FS, true, 1, 1, false, 1, 0), 3, Reference.gaussian(T * D, 1, 4));
    }

    @Test
    void deepseekV3GroupLimitedSigmoidRoutingWithSelectionBias() {
        MoeSpec s = spec(8, 3, MoeSpec.Scoring.SIGMOID, true, FS, false, 4, 2, true, 2.5, 0);
        assertMatches(s, 5, Reference.gaussian(T * D, 1, 6));
        // the chosen experts lie in at most topk_group groups, for every token
        Layer l = Layer.random(s, 5);
        Router.Routing r = l.build().forwardRouted(Reference.gaussian(T * D, 1, 6), T).routing();
        for (int t = 0; t < T; t++) {
            java.util.Set<Integer> groups = new java.util.HashSet<>();
            for (int k = 0; k < 3; k++) groups.add(r.expert()[t * 3 + k] / 2);
            assertTrue(groups.size() <= 2, "token " + t + " uses groups " + groups);
        }
    }

    @Test
    void everyExpertWhenKEqualsE() {
        assertMatches(spec(4, 4, MoeSpec.Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1, 0), 7, Reference.gaussian(T * D, 1, 8));
    }

    /** Experts 1 and 3 have the same router row, so their scores tie on every token: the lower index wins. */
    @Test
    void tiesGoToTheLowerExpert() {
        MoeSpec s = spec(5, 1, MoeSpec.Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1, 0);
        Layer random = Layer.random(s, 9);
        float[] router = new float[5 * D];   // experts 1 and 3 share a row that wins every token; the others 0
        float[] x = Reference.gaussian(T * D, 1, 10);
        for (int t = 0; t < T; t++) for (int i = 0; i < D; i++) x[t * D + i] = Math.abs(x[t * D + i]);
        for (int i = 0; i < D; i++) router[D + i] = router[3 * D + i] = 1f;
        Layer l = new Layer(s, router, null, random.experts(), null, null);
        Router.Routing r = l.build().forwardRouted(x, T).routing();
        for (int t = 0; t < T; t++) assertEquals(1, r.expert()[t], "token " + t);
        assertMatches(s, 9, x);
    }

    @Test
    void aCapacityFactorDropsTheSmallestWeights() {
        MoeSpec s = spec(4, 2, MoeSpec.Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1, 0.5);
        float[] x = Reference.gaussian(T * D, 1, 12);
        Router.Routing r = Layer.random(s, 11).build().forwardRouted(x, T).routing();
        long cap = Router.capacity(0.5, T, 2, 4);   // ⌈0.5 · 23 · 2 / 4⌉ = 6
        assertEquals(6, cap);
        long[] kept = r.load(4, true), routed = r.load(4, false);
        for (int e = 0; e < 4; e++) assertEquals(Math.min(cap, routed[e]), kept[e], "expert " + e);
        assertTrue(java.util.Arrays.stream(kept).sum() < 2 * T, "some assignments are dropped");
        assertMatches(s, 11, x);
    }

    @Test
    void countsOfParametersAndFlops() {
        MoeSpec s = spec(8, 2, MoeSpec.Scoring.SOFTMAX, true, FS, true, 1, 1, false, 1, 0);
        MoeFfn moe = Layer.random(s, 13).build();
        long expert = 3L * D * F, shared = 3L * D * FS;
        assertEquals(8L * D + 2 * expert + shared + D, moe.activeParameters());
        assertEquals(8L * D + 8 * expert + shared + D, moe.totalParameters());
        FeedForward one = Expert.random(F, 1).build(), sharedFfn = Expert.random(FS, 2).build();
        assertEquals(2L * D * 8 + 2 * (one.flopsPerToken() + 2L * D) + sharedFfn.flopsPerToken() + D + 3L * D, moe.flopsPerToken());
    }

    @Test
    void badShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> spec(4, 5, MoeSpec.Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1, 0));
        assertTrue(e.getMessage().contains("top_k") && e.getMessage().contains("4"), e.getMessage());
        MoeSpec s = spec(4, 2, MoeSpec.Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1, 0);
        e = assertThrows(IllegalArgumentException.class, () -> new Router(s, D, new float[3 * D], null));
        assertTrue(e.getMessage().contains("mlp.gate.weight") && e.getMessage().contains("4 × 16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> spec(6, 2, MoeSpec.Scoring.SIGMOID, true, 0, false, 4, 2, true, 1, 0));
        assertTrue(e.getMessage().contains("n_group"), e.getMessage());
        assertArrayEquals(new int[] {8, 2}, new int[] {MoeSpec.mixtral(F).experts(), MoeSpec.mixtral(F).topK()});
        assertEquals(60, MoeSpec.qwen2Moe(F, FS).experts());
        assertEquals(8, MoeSpec.deepseekV3(F).groups());
    }
}
