package ffnbench.runtime;

import ffnbench.model.Site;
import ffnbench.model.SiteRecorder;
import ffnbench.model.StageTimes;
import ffnbench.stats.CaseStats;
import java.util.Set;

/** Feeds the sites a layer reports into a case's statistics, timing itself as the STATS stage. */
public final class StatsRecorder implements SiteRecorder {
    private final CaseStats stats;
    private final Set<String> sites;
    private final int dModel;
    private final StageTimes times;
    private int layer;

    public StatsRecorder(CaseStats stats, Set<String> sites, int dModel, StageTimes times) {
        this.stats = stats;
        this.sites = sites;
        this.dModel = dModel;
        this.times = times;
    }

    public void layer(int layer) {
        this.layer = layer;
    }

    @Override
    public boolean wants(Site site) {
        return sites.contains(site.id());
    }

    @Override
    public void record(Site site, float[] data, int offset, int rows, int cols, int rowStride) {
        record(site.id(), data, offset, rows, cols, rowStride);
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
