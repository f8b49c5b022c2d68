package ffnbench.bench;

import ffnbench.model.FfnVariant;
import ffnbench.model.Formulation;
import ffnbench.model.ModelConfig;
import ffnbench.model.NormPlacement;
import ffnbench.stats.SparsityConfig;
import ffnbench.stats.StatsConfig;
import ffnbench.weights.ModelSource;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One benchmark case: where its weights come from, the model config and the layers to run in
 * sequence, a formulation, the data it runs on and what statistics it records. Serializable: it
 * travels to executors inside the Spark function, which rebuilds the layers there (once per executor
 * JVM, see {@link ffnbench.runtime.LayerCache}).
 *
 * @param id         stable, readable: {@code model.ffn.formulation[.placement][.field-value…]}
 * @param sweep      the swept values that tell this case apart from its siblings (field → value), in
 *                   config order; they are also the tail of the case id
 * @param weights    the model entry's name and the weights' source, seed, field overrides and precision
 * @param config     the resolved model config (the variant's FFN and width, the placement applied)
 * @param layers     the model's layers to run, in order
 * @param statistics what is recorded
 * @param failFirstAttemptOfPartition test hook: the first attempt of this partition's task fails (−1: none)
 * @param moeStrategy how mixture-of-experts layers run ({@link MoeStrategy#DATA_PARALLEL} for dense models)
 * @param expertPartitions expert parallelism's dispatch partitions (each holds experts e ≡ p mod this), ≥ 1
 * @param expertBatchesPerSequence expert parallelism runs each expert's GEMM over one sequence's tokens at a
 *                   time, as data parallelism does (config {@code expert_batches: per_sequence}), not over all it received
 */
public record BenchCase(String id, Map<String, String> sweep, Weights weights, ModelConfig config, List<Integer> layers,
                        Formulation formulation, Data data, Statistics statistics, int failFirstAttemptOfPartition,
                        MoeStrategy moeStrategy, int expertPartitions, boolean expertBatchesPerSequence)
        implements Serializable {

    public boolean expertParallel() {
        return moeStrategy == MoeStrategy.EXPERT_PARALLEL;
    }

    /** Where a case's weights come from (the layer cache's key, with the layer). */
    public record Weights(String model, String source, long seed, Map<String, String> overrides, String dtype) implements Serializable { }

    /** The tokens a case runs on: a Parquet input, or {@code sequences × seqLen} generated ones; split into {@code shards}. */
    public record Data(String input, long sequences, int seqLen, int shards) implements Serializable { }

    /** What a case records: on or off, at which sites, with which settings, and whether NaN/Inf input fails the case. */
    public record Statistics(boolean enabled, Set<String> sites, StatsConfig config, SparsityConfig.ForCase sparsity,
                             boolean failOnNonFinite) implements Serializable { }

    /**
     * What a case shares with the cases it is compared with: they differ only in formulation. The
     * parallel-vs-serial ratios pair cases by it, and the bench measures such cases interleaved.
     */
    public record ComparisonGroup(String model, String variant, NormPlacement placement, Map<String, String> sweep) { }

    public ComparisonGroup comparisonGroup() {
        return new ComparisonGroup(weights.model(), variant(), placement(), sweep);
    }

    /** The FFN variant's name (the model's own, or the one the config swept in). */
    public String variant() {
        return config.ffn().name();
    }

    public NormPlacement placement() {
        return config.placement();
    }

    /**
     * Expands a config into its cases: for each model, the cross product of its swept model fields
     * ({@code set} lists), variants, placements, weight dtypes and formulations, times the swept data
     * fields (sequences, seq_len) and shard counts. Ids are stable and readable:
     * {@code model.ffn.formulation[.placement][.field-value…]}, where only fields with more than one
     * value appear. The count is checked before anything is expanded, and every case is validated
     * here, before any work starts.
     */
    public static List<BenchCase> expand(BenchConfig cfg) throws IOException {
        long planned = plannedCases(cfg);
        if (planned > BenchConfig.MAX_CASES) {
            throw new IllegalArgumentException("config: the sweep expands to " + (planned == Long.MAX_VALUE ? "more than 9.2e18" : Long.toString(planned)) + " cases, more than " + BenchConfig.MAX_CASES
                    + "; shorten some lists or split the study into several configs");
        }
        List<BenchCase> cases = new ArrayList<>();
        for (BenchConfig.ModelEntry m : cfg.models()) {
            for (ModelPoint p : modelPoints(m)) {
                for (String dtype : m.weightsDtypes()) {
                    for (Formulation f : m.formulations()) {
                        requireFormulationFits(m, p.config(), f);
                        // the strategy is how MoE layers run: a dense point of an experts sweep runs once
                        for (MoeStrategy strategy : p.config().isMoe() ? m.moeStrategies() : List.of(MoeStrategy.DATA_PARALLEL)) {
                            for (DataPoint d : dataPoints(cfg)) cases.add(of(cfg, m, p, dtype, f, strategy, d));
                        }
                    }
                }
            }
        }
        if (cases.stream().map(BenchCase::id).distinct().count() != cases.size()) {
            throw new IllegalArgumentException("config: two cases would share an id; give models distinct names and variants");
        }
        return cases;
    }

    /** How many cases the config expands to, or {@code Long.MAX_VALUE} when the product overflows. */
    static long plannedCases(BenchConfig cfg) {
        long total = 0;
        try {
            for (BenchConfig.ModelEntry m : cfg.models()) {
                long n = 1;
                for (int size : new int[] {m.variants().size(), Math.max(1, m.placements().size()), m.weightsDtypes().size(),
                        m.formulations().size(), m.moeStrategies().size(), cfg.data().sequences().size(), cfg.data().seqLens().size(),
                        cfg.shards().size()}) {
                    n = Math.multiplyExact(n, size);
                }
                for (List<String> values : m.set().values()) n = Math.multiplyExact(n, values.size());
                total = Math.addExact(total, n);
            }
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
        return total;
    }

    /** One point of a model's own sweep: its swept field values, variant and placement, resolved to a config. */
    private record ModelPoint(Map<String, String> point, Map<String, String> overrides, NormPlacement placement, ModelConfig config) { }

    /** Every (set point, variant, placement) of a model, each resolved to its config and checked. */
    private static List<ModelPoint> modelPoints(BenchConfig.ModelEntry m) throws IOException {
        List<ModelPoint> out = new ArrayList<>();
        for (Map<String, String> point : crossProduct(m.set())) {
            Map<String, String> modelFields = resolveRatios(m, point);
            ModelConfig base = checked(m, point, () -> ModelSource.config(m.source(), modelFields));
            for (int layer : m.layers()) {
                try {
                    base.requireLayer(layer);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("config: models." + m.name() + ".layers: " + e.getMessage(), e);
                }
            }
            for (String variant : m.variants()) {
                Map<String, String> withVariant = new LinkedHashMap<>(modelFields);
                if (!variant.equals("model")) {
                    FfnVariant v = FfnVariant.parse(variant);
                    withVariant.put("ffn", v.name());
                    withVariant.put("d_ff", Integer.toString(matchedWidth(base, v, m.ffnMultiple())));
                }
                for (NormPlacement placement : m.placements().isEmpty() ? List.of(base.placement()) : m.placements()) {
                    Map<String, String> o = new LinkedHashMap<>(withVariant);
                    if (placement != base.placement()) o.put("placement", placement.id());
                    out.add(new ModelPoint(point, Map.copyOf(o), placement, checked(m, point, () -> ModelSource.config(m.source(), o))));
                }
            }
        }
        return out;
    }

    private static void requireFormulationFits(BenchConfig.ModelEntry m, ModelConfig c, Formulation f) {
        try {
            f.requireFits(c);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config: models." + m.name() + ": " + e.getMessage()
                    + " (remove it from formulations, or set placements: [\"pre\"])", e);
        }
    }

    /** One point of the data sweep. */
    private record DataPoint(long sequences, int seqLen, int shards) { }

    private static List<DataPoint> dataPoints(BenchConfig cfg) {
        List<DataPoint> out = new ArrayList<>();
        for (long sequences : cfg.data().sequences()) {
            for (int seqLen : cfg.data().seqLens()) {
                for (int shards : cfg.shards()) out.add(new DataPoint(sequences, seqLen, shards));
            }
        }
        return out;
    }

    /** The case at one point of every sweep, with its id: the stem, then each swept field's value. */
    private static BenchCase of(BenchConfig cfg, BenchConfig.ModelEntry m, ModelPoint p, String dtype, Formulation f,
                                MoeStrategy strategy, DataPoint d) {
        ModelConfig c = p.config();
        Map<String, String> sweep = new LinkedHashMap<>();
        p.point().forEach((k, v) -> { if (m.set().get(k).size() > 1) sweep.put(k, v); });
        if (m.weightsDtypes().size() > 1) sweep.put("weights_dtype", dtype);
        if (m.moeStrategies().size() > 1) sweep.put("moe_strategy", strategy.id());
        if (cfg.data().sequences().size() > 1) sweep.put("sequences", Long.toString(d.sequences()));
        if (cfg.data().seqLens().size() > 1) sweep.put("seq_len", Integer.toString(d.seqLen()));
        if (cfg.shards().size() > 1) sweep.put("shards", Integer.toString(d.shards()));
        String stem = m.name() + "." + c.ffn().name().replace(':', '_') + "." + f.id()
                + (m.placements().isEmpty() ? "" : "." + p.placement().id());
        String id = stem + sweep.entrySet().stream()
                .map(e -> "." + e.getKey() + "-" + e.getValue().replaceAll("[^A-Za-z0-9._-]", "_"))
                .collect(Collectors.joining());
        return new BenchCase(id, Map.copyOf(sweep), new Weights(m.name(), m.source(), m.seed(), p.overrides(), dtype), c,
                List.copyOf(m.layers()), f, new Data(m.input() != null ? m.input() : cfg.data().input(), d.sequences(), d.seqLen(),
                d.shards()), new Statistics(cfg.statsEnabled(), cfg.sites(), cfg.stats(), sparsity(cfg, c, m, d), cfg.failOnNonFinite()),
                cfg.failFirstAttemptOfPartition(), strategy, c.isMoe() ? expertPartitions(m, c) : 1,
                m.expertBatchesPerSequence());
    }

    /** Dispatch partitions: the config's, or one per expert; never more than the experts. */
    private static int expertPartitions(BenchConfig.ModelEntry m, ModelConfig c) {
        int experts = c.moe().experts();
        if (m.expertPartitions() > experts) {
            throw new IllegalArgumentException("config: models." + m.name() + ".expert_partitions is " + m.expertPartitions()
                    + ", more than the model's " + experts + " experts: a partition would hold none; use at most " + experts
                    + " (0: one per expert)");
        }
        return m.expertPartitions() == 0 ? experts : m.expertPartitions();
    }

    /** The sparsity analysis for this case (null when off), its sites and windows checked against the case. */
    private static SparsityConfig.ForCase sparsity(BenchConfig cfg, ModelConfig c, BenchConfig.ModelEntry m, DataPoint d) {
        if (cfg.sparsity() == null) return null;
        if (c.isMoe()) {
            throw new IllegalArgumentException("config: model " + m.name() + " has a mixture-of-experts MLP; the sparsity analysis "
                    + "takes dense FFNs: drop the sparsity section, or run it on dense models only");
        }
        boolean imported = m.input() != null || cfg.data().input() != null;
        try {
            return cfg.sparsity().forCase(c.ffn().gated(), c.ffn().name(), imported ? 0 : d.seqLen());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config: model " + m.name() + ": " + e.getMessage(), e);
        }
    }

    /** All combinations of the listed values, first field varying slowest (config order). */
    static List<Map<String, String>> crossProduct(Map<String, List<String>> lists) {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<String>> e : lists.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : out) {
                for (String v : e.getValue()) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(e.getKey(), v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    /**
     * {@code d_ff} may be written relative to d_model ("4x", "2.6667x") so that a d_model sweep keeps
     * the FFN ratio; it becomes ratio × d_model rounded up to {@code ffn_multiple}.
     */
    private static Map<String, String> resolveRatios(BenchConfig.ModelEntry m, Map<String, String> point) throws IOException {
        Map<String, String> out = new LinkedHashMap<>(point);
        String dff = point.get("d_ff");
        if (dff != null && dff.endsWith("x")) {
            double ratio;
            try {
                ratio = Double.parseDouble(dff.substring(0, dff.length() - 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("config: models." + m.name() + ".set.d_ff: '" + dff
                        + "' is neither a width nor a ratio like \"4x\"");
            }
            Map<String, String> withoutDff = new LinkedHashMap<>(point);
            withoutDff.remove("d_ff");
            int d = checked(m, point, () -> ModelSource.config(m.source(), withoutDff)).dModel();
            int width = (int) Math.ceil(ratio * d / m.ffnMultiple()) * m.ffnMultiple();
            if (ratio <= 0 || width <= 0) {
                throw new IllegalArgumentException("config: models." + m.name() + ".set.d_ff: ratio '" + dff + "' must be positive");
            }
            out.put("d_ff", Integer.toString(width));
        }
        return out;
    }

    private interface ConfigSupplier {
        ModelConfig get() throws IOException;
    }

    /** Builds a case's model config, naming the swept combination when it is invalid. */
    private static ModelConfig checked(BenchConfig.ModelEntry m, Map<String, String> point, ConfigSupplier s) throws IOException {
        try {
            return s.get();
        } catch (IllegalArgumentException e) {
            String combo = point.isEmpty() ? "" : " with " + point.entrySet().stream()
                    .map(x -> x.getKey() + "=" + x.getValue()).collect(Collectors.joining(", "));
            throw new IllegalArgumentException("config: models." + m.name() + " case" + combo + " is invalid: " + e.getMessage()
                    + (point.size() > 1 ? " (sweeps are cross products: drop that value, or split the model into two entries "
                    + "whose lists fit together)" : ""), e);
        }
    }

    /**
     * The FFN width of a variant that keeps parameters and FLOPs equal to the model's own FFN:
     * gated ↔ standard converts by 2/3 (rounded up to {@code multiple}).
     */
    static int matchedWidth(ModelConfig base, FfnVariant v, int multiple) {
        boolean baseGated = base.ffn().gated();
        if (baseGated == v.gated()) return base.dFf();
        if (v.gated()) return FfnVariant.gatedHiddenWidth(base.dFf(), multiple);
        int standard = (int) Math.round(base.dFf() * 1.5);
        return multiple * ((standard + multiple - 1) / multiple);
    }

    public int dModel() {
        return config.dModel();
    }

    /** Total tokens of a generated input (0 when the case reads a Parquet input of unknown size). */
    public long generatedTokens() {
        return data.input() == null ? data.sequences() * data.seqLen() : 0;
    }
}
