package ffnbench.runtime;

import ffnbench.model.FeedForward;
import ffnbench.model.Formulation;
import ffnbench.model.Site;
import ffnbench.model.SiteCapture;
import ffnbench.model.SiteRecorder;
import ffnbench.model.SparseFfn;
import ffnbench.model.TransformerLayer;
import ffnbench.stats.CaseStats;
import ffnbench.stats.SparsityConfig;
import ffnbench.stats.SparsityErrors;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The measured error of activation sparsity, for one held-out sequence: each layer runs dense on its
 * dense input; then, for each threshold site and target, its FFN runs again with the site's values
 * below the calibration threshold zeroed ({@link SparseFfn}), and the block again around that FFN.
 * Each layer's error is its own: the next layer gets the dense output. Pure Java: no Spark here.
 */
public final class SparsityErrorPass {
    private SparsityErrorPass() {}

    /** Each FFN's sparse form (transposed weights), built once per FFN object in this JVM. */
    private static final Map<FeedForward, SparseFfn> SPARSE = Collections.synchronizedMap(new WeakHashMap<>());

    /** The sites analysed for a case: its threshold sites and the FFN hidden, in {@link SparsityConfig#SITES} order. */
    public static List<String> sites(SparsityConfig.ForCase sparsity) {
        return SparsityConfig.SITES.stream()
                .filter(s -> sparsity.sites().contains(s) || s.equals(SparsityConfig.NEURON_SITE)).toList();
    }

    /**
     * Adds one held-out sequence {@code x [tokens × d]} to {@code stats}' errors.
     *
     * @param thresholds per {@code layer/site} key, tₛ for each target in the config's order
     */
    public static void addSequence(LayerStack layers, Formulation formulation, SparsityConfig.ForCase sparsity,
                                   Map<String, float[]> thresholds, float[] x, int tokens, CaseStats stats) {
        List<String> sites = sites(sparsity);
        for (int l = 0; l < layers.layers().length; l++) {
            TransformerLayer layer = layers.layers()[l];
            int id = layers.ids().get(l);
            SiteCapture dense = new SiteCapture(EnumSet.of(Site.FFN_IN, Site.FFN_OUT));
            float[] y = layer.forward(x, tokens, formulation, dense);
            float[] ffnIn = dense.get(Site.FFN_IN).data(), ffnOut = dense.get(Site.FFN_OUT).data();
            long t0 = System.nanoTime();
            layer.ffn().forward(ffnIn, tokens, SiteRecorder.NONE);
            long denseNs = System.nanoTime() - t0;
            SparseFfn sparse = SPARSE.computeIfAbsent(layer.ffn(), SparseFfn::new);
            for (String site : sites) {
                String key = CaseStats.key(id, site);
                float[] t = thresholds.get(key);
                if (t == null) throw new IllegalStateException("no calibration threshold for " + key);
                SparsityErrors errors = stats.errors(key, () -> new SparsityErrors(t));
                errors.addSequence(tokens, denseNs);
                for (int i = 0; i < t.length; i++) {
                    long start = System.nanoTime();
                    SparseFfn.Result r = sparse.apply(ffnIn, tokens, SparseFfn.At.of(site), t[i]);
                    long ns = System.nanoTime() - start;
                    float[] ySparse = layer.forward(x, tokens, formulation, (in, n) -> r.out().clone());
                    errors.add(i, squaredDistance(r.out(), ffnOut), squaredNorm(ffnOut), squaredDistance(ySparse, y), squaredNorm(y),
                            r.zeroed(), r.values(), r.skippedInMacs(), r.inMacs(), r.skippedDownMacs(), r.downMacs(), ns);
                }
            }
            x = y;
        }
    }

    private static double squaredDistance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return s;
    }

    private static double squaredNorm(float[] a) {
        double s = 0;
        for (float v : a) s += (double) v * v;
        return s;
    }
}
