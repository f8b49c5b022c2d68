package ffnbench.perf;

import ffnbench.runtime.StatsRecorder;
import ffnbench.model.Formulation;
import ffnbench.model.Site;
import ffnbench.model.SiteRecorder;
import ffnbench.model.StageTimes;
import ffnbench.model.TransformerLayer;
import ffnbench.model.Workspace;
import ffnbench.stats.CaseStats;
import ffnbench.stats.SparsityConfig;
import ffnbench.stats.StatsConfig;
import ffnbench.weights.ModelSource;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the statistics cost: one block (LLaMA-shaped, d_model 1024, SwiGLU d_ff 2816 by default) over
 * the same sequences with every statistics site on and with none, and with the sparsity analysis
 * (defaults, no measured error) on top, interleaved round by round in one JVM and thread. Reports the
 * median time of each, the overheads as medians of each round's ratio (on against off in the same
 * round), and the statistics' own time (the STATS stage) with its ns per recorded value. {@code scripts/benchmark-stats [rounds=7] [sequences=8] [seq_len=256] [d_model=1024] [quantile_sample]}
 */
public final class StatsBenchmark {
    private StatsBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int sequences = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int seqLen = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int d = args.length > 3 ? Integer.parseInt(args[3]) : 1024;
        int quantileSample = args.length > 4 ? Integer.parseInt(args[4]) : StatsConfig.DEFAULT.quantileSample();
        StatsConfig config = new StatsConfig(StatsConfig.DEFAULT.nearZeroEps(), StatsConfig.DEFAULT.outlierThreshold(),
                StatsConfig.DEFAULT.histogramRange(), StatsConfig.DEFAULT.histogramBins(), StatsConfig.DEFAULT.topK(),
                quantileSample, StatsConfig.DEFAULT.quantileBits());
        int dFf = (int) Math.ceil(d * 2.75 / 256) * 256;
        ModelSource.Layer l = ModelSource.load("preset:llama", 0, 1,
                Map.of("d_model", "" + d, "heads", "" + d / 64, "d_ff", "" + dFf));
        TransformerLayer layer = new TransformerLayer(l.config(), l.weights());
        float[][] x = new float[sequences][];
        for (int s = 0; s < sequences; s++) x[s] = KernelBenchmark.random(seqLen * d, 10 + s, 1);
        Set<String> all = new LinkedHashSet<>();
        all.add("input");
        for (Site site : Site.values()) if (site.inAll()) all.add(site.id());
        SparsityConfig.ForCase sparsity = SparsityConfig.defaults().forCase(true, "swiglu", seqLen);
        System.out.printf(Locale.ROOT, "block d_model %d, d_ff %d (SwiGLU), %d sequences × %d tokens, 1 thread, %d rounds, "
                + "quantile_sample %d%n", d, dFf, sequences, seqLen, rounds, quantileSample);
        for (Formulation f : new Formulation[] {Formulation.SERIAL, Formulation.PARALLEL}) {
            double[] off = new double[rounds], on = new double[rounds], statsOnly = new double[rounds], withSparsity = new double[rounds];
            long values = 0;
            Workspace ws = Workspace.reusing();   // as BlockFunction: intermediates reused from row to row
            float[] row = new float[seqLen * d];   // as the bench job: each sequence copied out of Spark's row into the task's array
            for (int r = -2; r < rounds; r++) {
                long t0 = System.nanoTime();
                for (float[] seq : x) {
                    System.arraycopy(seq, 0, row, 0, row.length);
                    layer.forward(row, seqLen, f, SiteRecorder.NONE, new StageTimes(), ws);
                }
                long t1 = System.nanoTime();
                CaseStats stats = new CaseStats(config);
                StageTimes times = new StageTimes();
                StatsRecorder rec = new StatsRecorder(stats, all, d, times);
                for (float[] seq : x) {
                    System.arraycopy(seq, 0, row, 0, row.length);
                    rec.record("input", row, 0, seqLen, d, d);
                    layer.forward(row, seqLen, f, rec, times, ws);
                }
                long t2 = System.nanoTime();
                StatsRecorder both = new StatsRecorder(new CaseStats(config), all, sparsity, d, new StageTimes());
                for (float[] seq : x) {
                    System.arraycopy(seq, 0, row, 0, row.length);
                    both.record("input", row, 0, seqLen, d, d);
                    layer.forward(row, seqLen, f, both, new StageTimes(), ws);
                }
                long t3 = System.nanoTime();
                if (r >= 0) {
                    off[r] = (t1 - t0) / 1e9;
                    on[r] = (t2 - t1) / 1e9;
                    withSparsity[r] = (t3 - t2) / 1e9;
                    statsOnly[r] = times.get(StageTimes.Stage.STATS) / 1e9;
                    values = stats.sites().values().stream().mapToLong(s -> s.count()).sum();
                }
            }
            double mOff = KernelBenchmark.median(off), mOn = KernelBenchmark.median(on), mStats = KernelBenchmark.median(statsOnly);
            double mSparsity = KernelBenchmark.median(withSparsity);
            // each round's on/off ratio: the two runs are next to each other in time, so the machine's drift cancels
            double[] pairedOverhead = new double[rounds], pairedSparsity = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                pairedOverhead[r] = on[r] / off[r] - 1;
                pairedSparsity[r] = withSparsity[r] / on[r] - 1;
            }
            System.out.printf(Locale.ROOT, "%-8s statistics off %.3f s | all %d sites on %.3f s | overhead %+.1f%% "
                            + "(stats stage %.3f s, %.2f ns per recorded value, %,d values) | with the sparsity analysis %.3f s (%+.1f%% over "
                            + "statistics alone)%n", f.id(), mOff, all.size(), mOn,
                    KernelBenchmark.median(pairedOverhead) * 100, mStats, mStats * 1e9 / values, values, mSparsity,
                    KernelBenchmark.median(pairedSparsity) * 100);
        }
    }
}
