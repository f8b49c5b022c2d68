package ffnbench.spark;

import ffnbench.bench.BenchCase;
import ffnbench.study.IterationResult;
import ffnbench.model.StageTimes;
import ffnbench.stats.CaseStats;
import ffnbench.stats.LogHistogram;
import ffnbench.stats.RouterStats;
import ffnbench.stats.SiteStats;
import ffnbench.stats.SparsityErrors;
import ffnbench.stats.SparsityStats;
import ffnbench.stats.StatsConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.DataTypes;

/**
 * The run directory's Parquet tables, each one list of columns (name, type, value):
 * {@code timings.parquet} (a row per case and measured iteration), {@code stats.parquet} (a row
 * per case, layer and site) and {@code sparsity.parquet} (a row per measure of the sparsity
 * analysis). Column meanings: {@code docs/RESULTS.md}.
 */
final class RunTables {
    private RunTables() {}

    static final double[] QUANTILES = {0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999};
    /** LLM.int8 (Dettmers et al. 2022): |x| ≥ 6 on ≥ 6% of positions in ≥ 25% of layers. */
    static final double INT8_POSITION_FRACTION = 0.06;
    static final double INT8_LAYER_FRACTION = 0.25;

    // ---- timings ----------------------------------------------------------------------------

    /** {@code timings.parquet}: one row per case and measured iteration (docs/RESULTS.md). */
    static final Columns<IterationResult> TIMINGS = timingColumns();

    private static Columns<IterationResult> timingColumns() {
        Columns<IterationResult> t = new Columns<IterationResult>()
                .add("case_id", DataTypes.StringType, r -> r.benchCase().id())
                .add("model", DataTypes.StringType, r -> r.benchCase().weights().model())
                .add("variant", DataTypes.StringType, r -> r.benchCase().variant())
                .add("formulation", DataTypes.StringType, r -> r.benchCase().formulation().id())
                .add("placement", DataTypes.StringType, r -> r.benchCase().placement().id())
                .add("d_model", DataTypes.IntegerType, r -> r.benchCase().dModel())
                .add("d_ff", DataTypes.IntegerType, r -> r.benchCase().config().dFf())
                .add("layers", DataTypes.StringType, r -> r.benchCase().layers().toString())
                .add("weights_dtype", DataTypes.StringType, r -> r.benchCase().weights().dtype())
                .add("moe_strategy", DataTypes.StringType, r -> r.benchCase().config().isMoe() ? r.benchCase().moeStrategy().id() : null)
                .add("seq_len", DataTypes.IntegerType, r -> r.benchCase().data().input() == null ? r.benchCase().data().seqLen() : null)
                .add("shards", DataTypes.IntegerType, r -> r.benchCase().data().shards())
                .add("sweep", DataTypes.StringType, r -> sweepLabel(r.benchCase()))
                .add("iteration", DataTypes.IntegerType, IterationResult::iteration)
                .add("wall_s", DataTypes.DoubleType, r -> r.wallNs() / 1e9)
                .add("tokens", DataTypes.LongType, IterationResult::tokens)
                .add("skipped_sequences", DataTypes.LongType, IterationResult::skippedSequences)
                .add("tokens_per_s", DataTypes.DoubleType, IterationResult::tokensPerSecond)
                .add("flops", DataTypes.LongType, IterationResult::flops)
                .add("gflops_per_s", DataTypes.DoubleType, IterationResult::gflops);
        for (StageTimes.Stage st : StageTimes.Stage.values()) t.add(st.id() + "_s", DataTypes.DoubleType, r -> r.stage(st) / 1e9);
        return t.add("function_s", DataTypes.DoubleType, r -> r.taskTotalNs() / 1e9)
                .add("tasks", DataTypes.LongType, IterationResult::tasks)
                .add("failed_task_attempts", DataTypes.LongType, IterationResult::failedAttempts)
                .add("retried", DataTypes.BooleanType, IterationResult::retried)
                .add("executor_run_s", DataTypes.DoubleType, r -> r.executorRunTimeMs() / 1e3)
                .add("executor_cpu_s", DataTypes.DoubleType, r -> r.executorCpuTimeNs() / 1e9)
                .add("gc_s", DataTypes.DoubleType, r -> r.gcTimeMs() / 1e3)
                .add("executors", DataTypes.IntegerType, IterationResult::executors)
                .add("shuffle_write_bytes", DataTypes.LongType, r -> r.shuffle().bytesWritten())
                .add("shuffle_write_s", DataTypes.DoubleType, r -> r.shuffle().writeNs() / 1e9)
                .add("shuffle_read_bytes", DataTypes.LongType, r -> r.shuffle().bytesRead())
                .add("shuffle_fetch_wait_s", DataTypes.DoubleType, r -> r.shuffle().fetchWaitMs() / 1e3)
                .add("disturbed", DataTypes.StringType, IterationResult::disturbed);
    }

    /** The swept values of a case as "field=value,…" (empty when nothing is swept). */
    static String sweepLabel(BenchCase c) {
        return c.sweep().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(java.util.stream.Collectors.joining(","));
    }

    // ---- statistics -------------------------------------------------------------------------

    static String quantileColumn(double q) {
        return "p" + (q * 100 == Math.rint(q * 100) ? String.valueOf((int) (q * 100)) : String.valueOf(q * 100).replace('.', '_'));
    }

    /** One row of {@code stats.parquet}: a case's site in one layer, with the case's statistics settings. */
    record SiteRow(BenchCase benchCase, int layer, String site, SiteStats s, StatsConfig config) {
        double fraction(long count) {
            return (double) count / Math.max(1, s.count());
        }

        /** The channels with the largest max |x| and those maxima. */
        int[] topChannels() {
            return s.topChannels(config.topK());
        }

        float[] topChannelMaxAbs() {
            int[] top = topChannels();
            float[] maxAbs = s.channelMaxAbs(), out = new float[top.length];
            for (int i = 0; i < top.length; i++) out[i] = maxAbs[top[i]];
            return out;
        }

        Object ifRatios(java.util.function.Supplier<Object> value) {
            return s.hasTokenRatios() ? value.get() : null;
        }
    }

    /** {@code stats.parquet}: one row per case, layer and site (docs/RESULTS.md). */
    static final Columns<SiteRow> STATS = statsColumns();

    private static Columns<SiteRow> statsColumns() {
        Columns<SiteRow> t = new Columns<SiteRow>()
                .add("case_id", DataTypes.StringType, r -> r.benchCase().id())
                .add("model", DataTypes.StringType, r -> r.benchCase().weights().model())
                .add("variant", DataTypes.StringType, r -> r.benchCase().variant())
                .add("formulation", DataTypes.StringType, r -> r.benchCase().formulation().id())
                .add("placement", DataTypes.StringType, r -> r.benchCase().placement().id())
                .add("layer", DataTypes.IntegerType, SiteRow::layer)
                .add("site", DataTypes.StringType, SiteRow::site)
                .add("width", DataTypes.IntegerType, r -> r.s().width())
                .add("tokens", DataTypes.LongType, r -> r.s().tokens())
                .add("count", DataTypes.LongType, r -> r.s().count())
                .add("mean", DataTypes.DoubleType, r -> r.s().moments().mean())
                .add("variance", DataTypes.DoubleType, r -> r.s().moments().variance())
                .add("std", DataTypes.DoubleType, r -> Math.sqrt(r.s().moments().variance()))
                .add("skewness", DataTypes.DoubleType, r -> r.s().moments().skewness())
                .add("kurtosis", DataTypes.DoubleType, r -> r.s().moments().kurtosis())
                .add("min", DataTypes.FloatType, r -> r.s().min())
                .add("max", DataTypes.FloatType, r -> r.s().max())
                .add("max_abs", DataTypes.FloatType, r -> r.s().maxAbs())
                .add("zero_frac", DataTypes.DoubleType, r -> r.fraction(r.s().zeros()))
                .add("near_zero_frac", DataTypes.DoubleType, r -> r.fraction(r.s().nearZero()))
                .add("negative_frac", DataTypes.DoubleType, r -> r.fraction(r.s().negatives()))
                .add("nan_count", DataTypes.LongType, r -> r.s().nanCount())
                .add("inf_count", DataTypes.LongType, r -> r.s().infCount());
        for (double q : QUANTILES) t.add(quantileColumn(q), DataTypes.FloatType, r -> r.s().quantile(q));
        return t.add("histogram", DataTypes.createArrayType(DataTypes.LongType), r -> boxed(r.s().histogram()))
                .add("histogram_low", DataTypes.DoubleType, r -> -r.config().histogramRange())
                .add("histogram_high", DataTypes.DoubleType, r -> r.config().histogramRange())
                .add("dead_neurons", DataTypes.IntegerType, r -> r.s().deadChannels())
                .add("dead_frac", DataTypes.DoubleType, r -> (double) r.s().deadChannels() / r.s().width())
                .add("mean_firing_rate", DataTypes.DoubleType, r -> r.s().meanFiringRate())
                .add("firing_counts", DataTypes.createArrayType(DataTypes.LongType), r -> boxed(r.s().firing()))
                .add("top_channels", DataTypes.createArrayType(DataTypes.IntegerType), r -> boxed(r.topChannels()))
                .add("top_channel_max_abs", DataTypes.createArrayType(DataTypes.FloatType), r -> boxed(r.topChannelMaxAbs()))
                .add("frequent_outlier_channels", DataTypes.createArrayType(DataTypes.IntegerType),
                        r -> boxed(r.s().frequentOutlierChannels(INT8_POSITION_FRACTION)))
                .add("max_token_ratio", DataTypes.DoubleType, r -> r.ifRatios(r.s()::maxTokenRatio))
                .add("mean_token_ratio", DataTypes.DoubleType, r -> r.ifRatios(r.s()::meanTokenRatio))
                .add("massive_tokens", DataTypes.LongType, r -> r.ifRatios(r.s()::massiveTokens))
                .add("channel_rms_kurtosis", DataTypes.DoubleType, r -> r.s().channelRmsKurtosis());
    }

    /** Every case's sites, in the cases' order. */
    static List<SiteRow> siteRows(List<BenchCase> cases, Map<String, CaseStats> stats) {
        List<SiteRow> rows = new ArrayList<>();
        for (BenchCase c : cases) {
            CaseStats cs = stats.get(c.id());
            if (cs == null) continue;
            for (Map.Entry<String, SiteStats> e : cs.sites().entrySet()) {
                String[] key = e.getKey().split("/", 2);
                rows.add(new SiteRow(c, Integer.parseInt(key[0]), key[1], e.getValue(), cs.config()));
            }
        }
        return rows;
    }

    // ---- sparsity ---------------------------------------------------------------------------

    /**
     * One row of {@code sparsity.parquet}: one measure of a case's (layer, site), at a target sparsity
     * (thresholds), a window (aggregated sparsity) or a top-k (overlap); the other two are null.
     */
    record SparsityRow(BenchCase benchCase, int layer, String site, String measure, Double target, Integer window,
                       Integer topK, double value, long count) { }

    /** {@code sparsity.parquet}: the sparsity analysis, one measure per row (docs/RESULTS.md). */
    static final Columns<SparsityRow> SPARSITY = new Columns<SparsityRow>()
            .add("case_id", DataTypes.StringType, r -> r.benchCase().id())
            .add("model", DataTypes.StringType, r -> r.benchCase().weights().model())
            .add("variant", DataTypes.StringType, r -> r.benchCase().variant())
            .add("formulation", DataTypes.StringType, r -> r.benchCase().formulation().id())
            .add("placement", DataTypes.StringType, r -> r.benchCase().placement().id())
            .add("layer", DataTypes.IntegerType, SparsityRow::layer)
            .add("site", DataTypes.StringType, SparsityRow::site)
            .add("measure", DataTypes.StringType, SparsityRow::measure)
            .add("target", DataTypes.DoubleType, SparsityRow::target)
            .add("window", DataTypes.IntegerType, SparsityRow::window)
            .add("top_k", DataTypes.IntegerType, SparsityRow::topK)
            .add("value", DataTypes.DoubleType, SparsityRow::value)
            .add("count", DataTypes.LongType, SparsityRow::count);

    /** Every case's sparsity measures, in the cases' order, then layer and site as recorded. */
    static List<SparsityRow> sparsityRows(List<BenchCase> cases, Map<String, CaseStats> stats) {
        List<SparsityRow> rows = new ArrayList<>();
        for (BenchCase c : cases) {
            CaseStats cs = stats.get(c.id());
            if (cs == null || c.statistics().sparsity() == null) continue;
            List<Double> targets = c.statistics().sparsity().settings().targets();
            for (Map.Entry<String, SparsityStats> e : cs.sparsity().entrySet()) {
                String[] key = e.getKey().split("/", 2);
                int layer = Integer.parseInt(key[0]);
                SparsityStats s = e.getValue();
                for (double target : targets) {
                    LogHistogram.Cut cut = s.threshold(target);
                    rows.add(new SparsityRow(c, layer, key[1], "threshold", target, null, null, cut.threshold(), cut.count()));
                    rows.add(new SparsityRow(c, layer, key[1], "achieved_sparsity", target, null, null, cut.fractionBelow(), cut.count()));
                }
                if (!s.hasNeurons()) continue;
                int[] windows = s.windows();
                for (int i = 0; i < windows.length; i++) {
                    rows.add(new SparsityRow(c, layer, key[1], "active_fraction", null, windows[i], null, s.activeFraction(i), s.windowCount(i)));
                }
                rows.add(new SparsityRow(c, layer, key[1], "overlap_consecutive", null, null, s.topK(), s.consecutiveOverlap(), s.consecutivePairs()));
                rows.add(new SparsityRow(c, layer, key[1], "overlap_sequence", null, null, s.topK(), s.sequenceOverlap(), s.unionTokens()));
            }
            for (Map.Entry<String, SparsityErrors> e : cs.errors().entrySet()) {
                String[] key = e.getKey().split("/", 2);
                int layer = Integer.parseInt(key[0]);
                SparsityErrors m = e.getValue();
                SparsityStats calibrated = cs.sparsity().get(e.getKey());
                for (int i = 0; i < m.targets(); i++) {
                    double target = targets.get(i);
                    long calibrationValues = calibrated == null ? 0 : calibrated.calibrationThreshold(target).count();
                    rows.add(new SparsityRow(c, layer, key[1], "calibration_threshold", target, null, null, m.threshold(i), calibrationValues));
                    long tokens = m.tokens();
                    rows.add(new SparsityRow(c, layer, key[1], "held_out_sparsity", target, null, null, m.heldOutSparsity(i), tokens));
                    rows.add(new SparsityRow(c, layer, key[1], "ffn_out_error", target, null, null, m.ffnRelativeError(i), tokens));
                    rows.add(new SparsityRow(c, layer, key[1], "block_out_error", target, null, null, m.blockRelativeError(i), tokens));
                    rows.add(new SparsityRow(c, layer, key[1], "skipped_in_proj", target, null, null, m.skippedInFraction(i), tokens));
                    rows.add(new SparsityRow(c, layer, key[1], "skipped_down_proj", target, null, null, m.skippedDownFraction(i), tokens));
                    rows.add(new SparsityRow(c, layer, key[1], "sparse_ffn_time_ratio", target, null, null, m.sparseTimeRatio(i), tokens));
                }
            }
        }
        return rows;
    }

    // ---- mixture of experts ------------------------------------------------------------------

    /** One row of {@code moe.parquet}: a case's mixture-of-experts layer. */
    record MoeRow(BenchCase benchCase, int layer, RouterStats r) {
        double[] perExpert(java.util.function.IntToDoubleFunction f) {
            double[] out = new double[r.experts()];
            for (int e = 0; e < out.length; e++) out[e] = f.applyAsDouble(e);
            return out;
        }

        /** Co-selection counts as a row-major E × E matrix (symmetric, zero diagonal). */
        long[] coSelection() {
            int n = r.experts();
            long[] m = new long[n * n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i * n + j] = r.coSelected(i, j);
            return m;
        }

        double[] dropRates() {
            double[] out = new double[r.capacityFactors().length];
            for (int c = 0; c < out.length; c++) out[c] = r.dropRate(c);
            return out;
        }
    }

    /** {@code moe.parquet}: one row per case and mixture-of-experts layer (docs/RESULTS.md). */
    static final Columns<MoeRow> MOE = new Columns<MoeRow>()
            .add("case_id", DataTypes.StringType, r -> r.benchCase().id())
            .add("model", DataTypes.StringType, r -> r.benchCase().weights().model())
            .add("formulation", DataTypes.StringType, r -> r.benchCase().formulation().id())
            .add("layer", DataTypes.IntegerType, MoeRow::layer)
            .add("experts", DataTypes.IntegerType, r -> r.r().experts())
            .add("top_k", DataTypes.IntegerType, r -> r.r().topK())
            .add("tokens", DataTypes.LongType, r -> r.r().tokens())
            .add("routed", DataTypes.createArrayType(DataTypes.LongType), r -> boxed(r.r().routed()))
            .add("share", DataTypes.createArrayType(DataTypes.DoubleType), r -> boxed(r.perExpert(r.r()::share)))
            .add("mean_probability", DataTypes.createArrayType(DataTypes.DoubleType), r -> boxed(r.perExpert(r.r()::meanProbability)))
            .add("balancedness", DataTypes.DoubleType, r -> r.r().balancedness())
            .add("load_cv", DataTypes.DoubleType, r -> r.r().coefficientOfVariation())
            .add("aux_loss", DataTypes.DoubleType, r -> r.r().auxiliaryLoss())
            .add("mean_entropy", DataTypes.DoubleType, r -> r.r().meanEntropy())
            .add("top1_histogram", DataTypes.createArrayType(DataTypes.LongType), r -> boxed(r.r().top1Histogram()))
            .add("co_selection", DataTypes.createArrayType(DataTypes.LongType), r -> boxed(r.coSelection()))
            .add("capacity_factors", DataTypes.createArrayType(DataTypes.DoubleType), r -> boxed(r.r().capacityFactors()))
            .add("drop_rate", DataTypes.createArrayType(DataTypes.DoubleType), r -> boxed(r.dropRates()));

    static List<MoeRow> moeRows(List<BenchCase> cases, Map<String, CaseStats> stats) {
        List<MoeRow> rows = new ArrayList<>();
        for (BenchCase c : cases) {
            CaseStats cs = stats.get(c.id());
            if (cs == null) continue;
            cs.routers().forEach((layer, r) -> rows.add(new MoeRow(c, Integer.parseInt(layer), r)));
        }
        return rows;
    }

    private static List<Double> boxed(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double x : a) l.add(x);
        return l;
    }

    private static List<Long> boxed(long[] a) {
        List<Long> l = new ArrayList<>(a.length);
        for (long x : a) l.add(x);
        return l;
    }

    private static List<Integer> boxed(int[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (int x : a) l.add(x);
        return l;
    }

    private static List<Float> boxed(float[] a) {
        List<Float> l = new ArrayList<>(a.length);
        for (float x : a) l.add(x);
        return l;
    }
}
