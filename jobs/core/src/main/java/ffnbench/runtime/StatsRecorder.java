package ffnbench.runtime;

import ffnbench.model.Site;
import ffnbench.model.SiteRecorder;
import ffnbench.model.StageTimes;
import ffnbench.stats.CaseStats;
import ffnbench.stats.RouterStats;
import ffnbench.stats.SparsityConfig;
import ffnbench.stats.SparsityStats;
import java.util.Set;

/**
 * Feeds the sites a layer reports into a case's statistics, and into its sparsity statistics when
 * that analysis is on, timing itself as the STATS stage. Each call is one sequence's tokens.
 */
public final class StatsRecorder implements SiteRecorder {
    private final CaseStats stats;
    private final Set<String> sites;
    private final SparsityConfig.ForCase sparsity;   // null: off
    private final Set<String> sparsitySites;
    private final int dModel;
    private final StageTimes times;
    private int layer;
    private boolean calibrationSequence;

    public StatsRecorder(CaseStats stats, Set<String> sites, int dModel, StageTimes times) {
        this(stats, sites, null, dModel, times);
    }

    /** @param sparsity the case's sparsity analysis, or null when it is off */
    public StatsRecorder(CaseStats stats, Set<String> sites, SparsityConfig.ForCase sparsity, int dModel, StageTimes times) {
        this.stats = stats;
        this.sites = sites;
        this.sparsity = sparsity;
        this.sparsitySites = new java.util.HashSet<>();
        if (sparsity != null) {
            sparsitySites.addAll(sparsity.sites());
            sparsitySites.add(SparsityConfig.NEURON_SITE);
        }
        this.dModel = dModel;
        this.times = times;
    }

    public void layer(int layer) {
        this.layer = layer;
    }

    /** The sequence the next records belong to: whether it calibrates the sparsity error's thresholds. */
    public void sequence(long seqId) {
        calibrationSequence = sparsity != null && sparsity.settings().measureError() && sparsity.settings().isCalibration(seqId);
    }

    @Override
    public boolean wants(Site site) {
        return sites.contains(site.id()) || sparsitySites.contains(site.id());
    }

    @Override
    public void record(Site site, float[] data, int offset, int rows, int cols, int rowStride) {
        if (sites.contains(site.id())) record(site.id(), data, offset, rows, cols, rowStride);
        if (sparsitySites.contains(site.id())) recordSparsity(site.id(), data, offset, rows, cols, rowStride);
    }

    /**
     * Expert {@code e}'s own sites: its FFN hidden over the tokens routed to it, as site
     * {@code expert<e>.ffn_act} (with {@code ffn_act} among the statistics sites).
     */
    @Override
    public SiteRecorder forExpert(int e) {
        if (!sites.contains(Site.FFN_ACT.id())) return SiteRecorder.NONE;
        String site = "expert" + e + "." + Site.FFN_ACT.id();
        return new SiteRecorder() {
            @Override
            public boolean wants(Site s) {
                return s == Site.FFN_ACT;
            }

            @Override
            public void record(Site s, float[] data, int offset, int rows, int cols, int rowStride) {
                StatsRecorder.this.record(site, data, offset, rows, cols, rowStride);
            }
        };
    }

    /** A mixture-of-experts layer's routing: into the layer's router statistics (with the router_probs site). */
    @Override
    public void recordRouting(ffnbench.model.Router.Routing routing) {
        long start = System.nanoTime();
        int experts = routing.scores().length / Math.max(1, routing.tokens());
        double[] factors = stats.config().capacityFactors().stream().mapToDouble(Double::doubleValue).toArray();
        stats.router(String.valueOf(layer), () -> new RouterStats(experts, routing.k(), factors)).addSequence(routing);
        times.exclude(StageTimes.Stage.STATS, System.nanoTime() - start);
    }

    private void recordSparsity(String site, float[] data, int offset, int rows, int cols, int rowStride) {
        long start = System.nanoTime();
        SparsityStats s = stats.sparsity(CaseStats.key(layer, site), () -> site.equals(SparsityConfig.NEURON_SITE)
                ? SparsityStats.neurons(sparsity.settings(), cols, sparsity.windowArray())
                : SparsityStats.magnitudes(sparsity.settings(), cols));
        s.addSequence(data, offset, rows, rowStride, calibrationSequence);
        times.exclude(StageTimes.Stage.STATS, System.nanoTime() - start);
    }

    /** The pseudo-site {@code input}, the tokens entering the layer, when it is recorded. */
    public void recordInput(float[] x, int tokens) {
        if (sites.contains("input")) record("input", x, 0, tokens, dModel, dModel);
    }

    /** Also used for the pseudo-site {@code input} (the tokens entering the layer). */
    public void record(String site, float[] data, int offset, int rows, int cols, int rowStride) {
        long start = System.nanoTime();
        // Per-token max/median ratios are taken on d_model-wide (residual stream) sites only.
        stats.site(CaseStats.key(layer, site), cols, cols == dModel).add(data, offset, rows, rowStride);
        times.exclude(StageTimes.Stage.STATS, System.nanoTime() - start);
    }
}
