package ffnbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import ffnbench.runtime.LayerStack;
import ffnbench.runtime.SparsityErrorPass;
import ffnbench.stats.CaseStats;
import ffnbench.stats.SparsityConfig;
import ffnbench.stats.SparsityErrors;
import ffnbench.stats.StatsConfig;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The measured sparsity error against an independent float64 recomputation from the formulas, on the
 * FFN input collected from the layer: zero the site's values below t, recompute, compare.
 */
class SparseFfnTest {
    static final int T = 19;
    static final List<Double> TARGETS = List.of(0.2, 0.5, 0.9);

    /** Float64 FFN output of x with the values of {@code site} below t zeroed; {@code zeroed[0]} counts them. */
    static double[] reference(float[] x, ModelConfig c, LayerWeights w, String site, double t, long[] zeroed) {
        int d = c.dModel(), f = c.dFf(), width = (c.ffn().gated() ? 2 : 1) * f;
        DoubleUnaryOperator act = c.ffn().gated() ? Reference::silu : Reference::gelu;
        float[] win = w.get("mlp.in.weight"), bin = w.get("mlp.in.bias"), wout = w.get("mlp.out.weight"), bout = w.get("mlp.out.bias");
        double[] y = new double[T * d];
        for (int tok = 0; tok < T; tok++) {
            double[] xs = new double[d];
            for (int i = 0; i < d; i++) {
                xs[i] = x[tok * d + i];
                if (site.equals("ffn_in") && Math.abs(xs[i]) < t) { xs[i] = 0; zeroed[0]++; }
            }
            double[] p = new double[width];
            for (int o = 0; o < width; o++) {
                double s = bin == null ? 0 : bin[o];
                for (int i = 0; i < d; i++) s += xs[i] * win[i * width + o];
                p[o] = s;
            }
            for (int j = 0; j < f; j++) {
                double h;
                if (c.ffn().gated()) {
                    double g = act.applyAsDouble(p[j]);
                    if (site.equals("ffn_gate_act") && Math.abs(g) < t) { g = 0; zeroed[0]++; }
                    h = g * p[f + j];
                } else {
                    h = act.applyAsDouble(p[j]);
                }
                if (site.equals("ffn_act") && Math.abs(h) < t) { h = 0; zeroed[0]++; }
                for (int o = 0; o < d; o++) y[tok * d + o] += h * wout[j * d + o];
            }
            if (bout != null) for (int o = 0; o < d; o++) y[tok * d + o] += bout[o];
        }
        return y;
    }

    static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s);
    }

    static double norm(double[] a) {
        return distance(a, new double[a.length]);
    }

    /**
     * Thresholds near the target quantiles of the collected |values| of a site, midway between two of
     * them, so float32 and float64 agree on which side of it every value lies.
     */
    static float[] quantiles(float[] values) {
        float[] abs = new float[values.length];
        for (int i = 0; i < abs.length; i++) abs[i] = Math.abs(values[i]);
        Arrays.sort(abs);
        float[] t = new float[TARGETS.size()];
        for (int i = 0; i < t.length; i++) {
            int k = (int) (TARGETS.get(i) * (abs.length - 1));
            t[i] = (abs[k] + abs[k + 1]) / 2;
        }
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "bert"})
    void measuredErrorMatchesAFloat64Recomputation(String preset) {
        ModelConfig c = TestWeights.small(preset);
        LayerWeights w = TestWeights.random(c, 41);
        TransformerLayer layer = new TransformerLayer(c, w);
        float[] x = Reference.gaussian(T * c.dModel(), 1, 42);
        SiteCapture sites = new SiteCapture(EnumSet.of(Site.FFN_IN, Site.FFN_GATE_ACT, Site.FFN_ACT, Site.FFN_OUT, Site.ATTN_NORM));
        float[] block = layer.forward(x, T, Formulation.SERIAL, sites);
        float[] ffnIn = sites.get(Site.FFN_IN).data();

        SparsityConfig settings = new SparsityConfig(TARGETS, List.of(), List.of(), 0, 0.1, 7, true, 0.5, 1);
        SparsityConfig.ForCase sparsity = settings.forCase(c.ffn().gated(), c.ffn().name(), T);
        Map<String, float[]> thresholds = new HashMap<>();
        for (String site : SparsityErrorPass.sites(sparsity)) thresholds.put("0/" + site, quantiles(sites.get(Site.parse(site)).data()));
        CaseStats stats = new CaseStats(StatsConfig.DEFAULT);
        SparsityErrorPass.addSequence(new LayerStack(List.of(0), new TransformerLayer[] {layer}), Formulation.SERIAL, sparsity,
                thresholds, x, T, stats);

        double[] dense = reference(ffnIn, c, w, "none", 0, new long[1]);
        assertEquals(c.ffn().gated() ? 3 : 2, stats.errors().size(), stats.errors().keySet().toString());
        for (String site : SparsityErrorPass.sites(sparsity)) {
            SparsityErrors e = stats.errors().get("0/" + site);
            assertEquals(T, e.tokens());
            for (int i = 0; i < TARGETS.size(); i++) {
                long[] zeroed = new long[1];
                double[] sparse = reference(ffnIn, c, w, site, thresholds.get("0/" + site)[i], zeroed);
                double expected = distance(sparse, dense) / norm(dense);
                String what = preset + " " + site + " t" + i;
                assertEquals(expected, e.ffnRelativeError(i), 1e-3 * expected + 1e-5, what);
                int values = site.equals("ffn_in") ? T * c.dModel() : T * c.dFf();
                assertEquals((double) zeroed[0] / values, e.heldOutSparsity(i), 2.0 / values, what);
                assertTrue(e.ffnRelativeError(i) > 0, what);
                if (c.placement() == NormPlacement.PRE) {
                    // y = h + MLP(N₂(h)): the block's change is the FFN's
                    double blockExpected = distance(sparse, dense) / norm(toDouble(block));
                    assertEquals(blockExpected, e.blockRelativeError(i), 1e-3 * blockExpected + 1e-5, what);
                } else {
                    // y = N₂(h + MLP(h)), h the attention norm's output
                    RefBlock ref = new RefBlock(c, w);
                    double[] h = toDouble(sites.get(Site.ATTN_NORM).data());
                    double[] yDense = ref.norm(add(h, dense), T, "mlp_norm"), ySparse = ref.norm(add(h, sparse), T, "mlp_norm");
                    double blockExpected = distance(ySparse, yDense) / norm(yDense);
                    assertEquals(blockExpected, e.blockRelativeError(i), 1e-3 * blockExpected + 1e-5, what);
                }
                double skippedDown = site.equals("ffn_in") ? 0 : e.heldOutSparsity(i);
                assertEquals(skippedDown, e.skippedDownFraction(i), 1e-12, what);
                double skippedIn = switch (site) {
                    case "ffn_in" -> e.heldOutSparsity(i);
                    case "ffn_gate_act" -> e.heldOutSparsity(i) / 2;   // the up projection of a dropped neuron, not its gate
                    default -> 0;
                };
                assertEquals(skippedIn, e.skippedInFraction(i), 1e-12, what);
            }
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static double[] add(double[] a, double[] b) {
        double[] s = new double[a.length];
        for (int i = 0; i < a.length; i++) s[i] = a[i] + b[i];
        return s;
    }
}
