package ffnbench.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ffnbench.data.TokenGenerator;
import ffnbench.model.FfnVariant;
import ffnbench.model.Formulation;
import ffnbench.model.NormPlacement;
import ffnbench.model.Site;
import ffnbench.stats.SparsityConfig;
import ffnbench.stats.StatsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bench config: one JSON file (comments allowed), documented field by field in
 * {@code conf/README.md}. This class is the one place where it is parsed and validated; every
 * error names the field and what it accepts. Command-line overrides ({@code --set a.b=v}) are
 * applied to the JSON tree before validation.
 */
public record BenchConfig(String name, String study, String output, Data data, List<Integer> shards,
                          List<ModelEntry> models, IterationPlan iterations, boolean statsEnabled, Set<String> sites,
                          StatsConfig stats, SparsityConfig sparsity, boolean failOnNonFinite, double maxSkippedFraction,
                          boolean refuseOverMemory, int failFirstAttemptOfPartition) {

    /** Most cases one config may expand to: a typo in a sweep should not schedule a week of work. */
    public static final int MAX_CASES = 10_000;

    /**
     * Input tokens: a Parquet path, or generated with these settings (d_model from each model).
     * {@code sequences} and {@code seqLens} may list several values: each is a sweep dimension.
     */
    public record Data(String input, List<Long> sequences, List<Integer> seqLens, TokenGenerator.Distribution distribution,
                       long seed) implements java.io.Serializable { }

    /**
     * One model and the cases to run on it. Every list is a sweep dimension (the cases are their
     * cross product); {@code set} maps a model field to one or more values.
     */
    public record ModelEntry(String name, String source, long seed, Map<String, List<String>> set, List<Integer> layers,
                             List<String> variants, List<Formulation> formulations, List<NormPlacement> placements,
                             List<String> weightsDtypes, int ffnMultiple, String input, List<MoeStrategy> moeStrategies,
                             int expertPartitions, boolean expertBatchesPerSequence) {

        /** As in the config file ({@link BenchConfig#describe}). */
        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("source", source);
            m.put("seed", seed);
            m.put("set", set);
            m.put("layers", layers);
            m.put("variants", variants);
            m.put("formulations", formulations.stream().map(Formulation::id).toList());
            m.put("placements", placements.isEmpty() ? List.of("model") : placements.stream().map(NormPlacement::id).toList());
            m.put("weights_dtype", weightsDtypes);
            m.put("ffn_multiple", ffnMultiple);
            m.put("input", input);
            m.put("moe_strategy", moeStrategies.stream().map(MoeStrategy::id).toList());
            m.put("expert_partitions", expertPartitions);
            m.put("expert_batches", expertBatchesPerSequence ? "per_sequence" : "gathered");
            return m;
        }
    }

    /** Weight precisions a case can round its weights to (compute stays fp32). */
    public static final List<String> WEIGHT_DTYPES = List.of("f32", "bf16", "f16");

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.ALLOW_COMMENTS);

    public static BenchConfig load(Path file, Map<String, String> overrides) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("config file " + file + " does not exist");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("config file " + file + " is not valid JSON: " + e.getMessage());
        }
        return parse(root, overrides);
    }

    public static BenchConfig parse(JsonNode root, Map<String, String> overrides) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("config: the top level must be a JSON object");
        ObjectNode tree = ((ObjectNode) root).deepCopy();
        overrides.forEach((path, value) -> set(tree, path, value));
        return read(new ConfigFields(tree, ""));
    }

    /** Applies one {@code a.b.c=value} override; the value is JSON if it parses as JSON, else a string. */
    static void set(ObjectNode tree, String path, String value) {
        String[] parts = path.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            String p = parts[i];
            if (p.matches("\\d+") && node.has("models")) {
                throw new IllegalArgumentException("override " + path + ": write models.<index>.field as models.N.field");
            }
            JsonNode next = node.get(p);
            if (next != null && next.isArray() && i + 1 < parts.length - 1 && parts[i + 1].matches("\\d+")) {
                int idx = Integer.parseInt(parts[++i]);
                if (idx >= next.size()) throw new IllegalArgumentException("override " + path + ": " + p + " has " + next.size() + " entries");
                node = (ObjectNode) next.get(idx);
                continue;
            }
            if (next == null || next.isNull()) next = node.putObject(p);
            if (!next.isObject()) throw new IllegalArgumentException("override " + path + ": " + p + " is not an object");
            node = (ObjectNode) next;
        }
        JsonNode v;
        try {
            v = JSON.readTree(value);
            if (v == null || v.isMissingNode()) v = JsonNodeFactory.instance.textNode(value);
        } catch (IOException e) {
            v = JsonNodeFactory.instance.textNode(value);
        }
        node.set(parts[parts.length - 1], v);
    }

    /**
     * A name that becomes a file or directory name (run and study directories, case directories):
     * letters, digits, '.', '_' or '-', not starting with '.' (no ".", "..", hidden or path-like names).
     */
    static String requireFileName(String field, String value) {
        if (!value.matches("[A-Za-z0-9_-][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("config: " + field + " must use letters, digits, '.', '_' or '-' and not start with '.', got '"
                    + value + "' (it names a directory)");
        }
        return value;
    }

    private static BenchConfig read(ConfigFields r) {
        r.allow("name", "study", "output", "data", "shards", "models", "iterations", "stats", "sparsity", "on_nonfinite",
                "max_skipped_fraction", "memory_check", "fault");
        String name = requireFileName("name", r.text("name", "bench"));
        String study = r.text("study", null);
        if (study != null) requireFileName("study", study);
        ConfigFields d = r.object("data");
        d.allow("input", "sequences", "seq_len", "distribution", "seed");
        Data data = new Data(d.text("input", null), d.integers("sequences", 64, 1, Integer.MAX_VALUE),
                d.integers("seq_len", 128, 1, 1 << 20).stream().map(Long::intValue).toList(),
                parse(d.path("distribution"), () -> TokenGenerator.Distribution.parse(d.text("distribution", "llm"))),
                d.integer("seed", 7, Long.MIN_VALUE, Long.MAX_VALUE));
        if (data.input() != null && (data.sequences().size() > 1 || data.seqLens().size() > 1)) {
            throw new IllegalArgumentException("config: data.sequences and data.seq_len can only be swept when tokens are "
                    + "generated; data.input fixes them to what the Parquet file holds");
        }
        List<Integer> shards = r.integers("shards", 2, 1, 100000).stream().map(Long::intValue).toList();

        JsonNode modelsNode = r.get("models");
        if (modelsNode == null || !modelsNode.isArray() || modelsNode.isEmpty()) {
            throw new IllegalArgumentException("config: models must be a non-empty list of {name, source, ...}");
        }
        List<ModelEntry> models = new ArrayList<>();
        for (int i = 0; i < modelsNode.size(); i++) {
            models.add(model(new ConfigFields(modelsNode.get(i), r.path("models") + "." + i + ".")));
        }
        if (models.stream().map(ModelEntry::name).distinct().count() != models.size()) {
            throw new IllegalArgumentException("config: models[].name must be unique");
        }

        IterationPlan iterations = iterations(r.object("iterations"));

        ConfigFields s = r.object("stats");
        if (s.get("kll_k") != null) {
            throw new IllegalArgumentException("config: stats.kll_k is not a setting: quantiles come from a log-grid histogram "
                    + "whose resolution is stats.quantile_bits (conf/README.md)");
        }
        s.allow("enabled", "sites", "near_zero_eps", "outlier_threshold", "histogram_range", "histogram_bins",
                "top_k", "quantile_sample", "quantile_bits", "capacity_factors");
        StatsConfig def = StatsConfig.DEFAULT;
        StatsConfig stats = parse(s.path("*"), () -> new StatsConfig(s.number("near_zero_eps", def.nearZeroEps()),
                s.number("outlier_threshold", def.outlierThreshold()), s.number("histogram_range", def.histogramRange()),
                (int) s.integer("histogram_bins", def.histogramBins(), 1, 10000), (int) s.integer("top_k", def.topK(), 1, 100000),
                (int) s.integer("quantile_sample", def.quantileSample(), 1, Integer.MAX_VALUE),
                (int) s.integer("quantile_bits", def.quantileBits(), 1, 16), numbers(s, "capacity_factors", def.capacityFactors())));
        List<String> siteNames = s.strings("sites", List.of("all"));
        Set<String> sites = new java.util.LinkedHashSet<>();
        for (String site : siteNames) {
            if (site.equals("all")) {
                sites.add("input");
                for (Site x : Site.values()) if (x.inAll()) sites.add(x.id());
            } else if (site.equals("input")) {
                sites.add(site);
            } else {
                sites.add(parse(s.path("sites"), () -> Site.parse(site)).id());
            }
        }
        boolean statsEnabled = s.bool("enabled", true);
        SparsityConfig sparsity = r.get("sparsity") == null ? null : sparsity(r.object("sparsity"));
        if (sparsity != null && !statsEnabled) {
            throw new IllegalArgumentException("config: sparsity (the activation-sparsity analysis) needs stats.enabled true: "
                    + "set it, or drop the sparsity section");
        }
        String onNonFinite = r.text("on_nonfinite", "skip");
        if (!onNonFinite.equals("skip") && !onNonFinite.equals("fail")) {
            throw new IllegalArgumentException("config: on_nonfinite must be skip (count and skip such sequences) or fail, got '"
                    + onNonFinite + "'");
        }
        double maxSkipped = r.number("max_skipped_fraction", 0.01);
        if (!(maxSkipped >= 0 && maxSkipped <= 1)) {
            throw new IllegalArgumentException("config: max_skipped_fraction must be in 0..1 (the share of sequences a case may skip"
                    + " for NaN/Inf before it fails), got " + maxSkipped);
        }
        String memoryCheck = r.text("memory_check", "refuse");
        if (!memoryCheck.equals("refuse") && !memoryCheck.equals("warn")) {
            throw new IllegalArgumentException("config: memory_check must be refuse (a case the memory planner finds too large "
                    + "is refused before any work) or warn (it runs anyway), got '" + memoryCheck + "'");
        }
        ConfigFields fault = r.object("fault");
        fault.allow("fail_first_attempt_of_partition");
        int failPartition = (int) fault.integer("fail_first_attempt_of_partition", -1, -1, Integer.MAX_VALUE);
        return new BenchConfig(name, study, r.text("output", "runs"), data, shards, models, iterations,
                statsEnabled, sites, stats, sparsity, onNonFinite.equals("fail"), maxSkipped, memoryCheck.equals("refuse"),
                failPartition);
    }

    /** {@code sparsity}: the activation-sparsity analysis; every field has a default ({@link SparsityConfig#defaults}). */
    private static SparsityConfig sparsity(ConfigFields sp) {
        sp.allow("targets", "sites", "windows", "active_threshold", "top_k_fraction", "magnitude_bits", "measure_error",
                "calibration_fraction", "split_seed");
        SparsityConfig d = SparsityConfig.defaults();
        List<Double> targets = numbers(sp, "targets", d.targets());
        List<String> sites = isAuto(sp.get("sites")) ? List.of() : sp.strings("sites", List.of());
        List<Integer> windows = new ArrayList<>();
        if (!isAuto(sp.get("windows"))) {
            for (String w : sp.strings("windows", List.of())) {
                if (w.equals("sequence")) {
                    windows.add(0);
                } else if (w.matches("[0-9]{1,7}") && Integer.parseInt(w) >= 1) {
                    windows.add(Integer.parseInt(w));
                } else {
                    throw new IllegalArgumentException("config: " + sp.path("windows") + " must list token counts ≥ 1 and \"sequence\" "
                            + "(the whole sequence), got '" + w + "'");
                }
            }
        }
        double activeThreshold = sp.number("active_threshold", d.activeThreshold());
        double topKFraction = sp.number("top_k_fraction", d.topKFraction());
        int bits = (int) sp.integer("magnitude_bits", d.magnitudeBits(), 1, 16);
        boolean measureError = sp.bool("measure_error", d.measureError());
        double calibration = sp.number("calibration_fraction", d.calibrationFraction());
        long seed = sp.integer("split_seed", d.splitSeed(), Long.MIN_VALUE, Long.MAX_VALUE);
        try {
            return new SparsityConfig(targets, sites, windows, activeThreshold, topKFraction, bits, measureError, calibration, seed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config: " + e.getMessage(), e);   // the message names the field
        }
    }

    /** A list of numbers (a single number is a list of one). */
    private static List<Double> numbers(ConfigFields f, String field, List<Double> def) {
        List<Double> out = new ArrayList<>();
        for (String v : f.strings(field, def.stream().map(String::valueOf).toList())) {
            try {
                out.add(Double.parseDouble(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("config: " + f.path(field) + ": '" + v + "' is not a number");
            }
        }
        return out;
    }

    /** An absent field, or the string {@code "auto"}: the default that depends on each case. */
    private static boolean isAuto(JsonNode v) {
        return v == null || (v.isTextual() && v.asText().equals("auto"));
    }

    /** {@code iterations}: a fixed {@code measured} count, or the adaptive rule's bounds (not both). */
    private static IterationPlan iterations(ConfigFields it) {
        it.allow("warmup", "first_warmup_seconds", "measured", "min_measured", "max_measured", "target_ci_half_width", "max_case_seconds");
        IterationPlan d = IterationPlan.DEFAULT;
        int warmup = (int) it.integer("warmup", d.warmup(), 0, 1000);
        double firstWarmup = it.number("first_warmup_seconds", d.firstWarmupSeconds());
        if (!(firstWarmup >= 0)) throw new IllegalArgumentException("config: " + it.path("first_warmup_seconds") + " must be ≥ 0, got " + firstWarmup);
        if (it.get("measured") != null) {
            for (String adaptive : new String[] {"min_measured", "max_measured", "target_ci_half_width", "max_case_seconds"}) {
                if (it.get(adaptive) != null) {
                    throw new IllegalArgumentException("config: iterations.measured (a fixed count) and " + it.path(adaptive)
                            + " (the adaptive rule) exclude each other: drop one");
                }
            }
            return IterationPlan.fixed(warmup, firstWarmup, (int) it.integer("measured", 3, 1, 10000));
        }
        double target = it.number("target_ci_half_width", d.targetHalfWidth());
        if (!(target > 0 && target < 1)) {
            throw new IllegalArgumentException("config: " + it.path("target_ci_half_width") + " must be in (0, 1) (a fraction of the mean: "
                    + "0.05 is ±5%), got " + target);
        }
        double seconds = it.number("max_case_seconds", d.maxCaseSeconds());
        if (!(seconds > 0)) throw new IllegalArgumentException("config: " + it.path("max_case_seconds") + " must be > 0, got " + seconds);
        return new IterationPlan(warmup, firstWarmup, 0, (int) it.integer("min_measured", d.minMeasured(), 2, 10000),
                (int) it.integer("max_measured", d.maxMeasured(), 2, 10000), target, seconds);
    }

    private static ModelEntry model(ConfigFields m) {
        m.allow("name", "source", "seed", "set", "layers", "variants", "formulations", "placements", "weights_dtype",
                "ffn_multiple", "input", "moe_strategy", "expert_partitions", "expert_batches");
        String source = m.text("source", null);
        if (source == null) throw new IllegalArgumentException("config: " + m.path("source") + " is required (minilm, preset:<name> or a checkpoint directory)");
        String name = requireFileName(m.path("name"), m.text("name", source.replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("^[.-]+", "")));
        Map<String, List<String>> set = new LinkedHashMap<>();
        JsonNode setNode = m.get("set");
        if (setNode != null) {
            if (!setNode.isObject()) throw new IllegalArgumentException("config: " + m.path("set") + " must be an object of model fields");
            ConfigFields sr = new ConfigFields(setNode, m.path("set") + ".");
            setNode.fieldNames().forEachRemaining(f -> {
                List<String> values = sr.strings(f, null);
                if (values.stream().distinct().count() != values.size()) {
                    throw new IllegalArgumentException("config: " + sr.path(f) + " lists a value twice");
                }
                set.put(f, values);
            });
        }
        List<Integer> layers = new ArrayList<>();
        for (String l : m.strings("layers", List.of("0"))) {
            try {
                layers.add(Integer.parseInt(l));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("config: " + m.path("layers") + " must list layer indices, got '" + l + "'");
            }
        }
        List<String> variants = m.strings("variants", List.of("model"));
        for (String v : variants) {
            if (!v.equals("model")) parse(m.path("variants"), () -> FfnVariant.parse(v));
        }
        List<Formulation> formulations = new ArrayList<>();
        for (String f : m.strings("formulations", List.of("serial", "parallel"))) {
            formulations.add(parse(m.path("formulations"), () -> Formulation.parse(f)));
        }
        List<NormPlacement> placements = new ArrayList<>();
        for (String p : m.strings("placements", List.of("model"))) {
            if (!p.equals("model")) placements.add(parse(m.path("placements"), () -> NormPlacement.parse(p)));
        }
        List<String> dtypes = m.strings("weights_dtype", List.of("f32"));
        for (String t : dtypes) {
            if (!WEIGHT_DTYPES.contains(t)) {
                throw new IllegalArgumentException("config: " + m.path("weights_dtype") + ": unknown dtype '" + t + "'; use " + WEIGHT_DTYPES);
            }
        }
        List<MoeStrategy> strategies = new ArrayList<>();
        for (String st : m.strings("moe_strategy", List.of("data_parallel"))) {
            strategies.add(parse(m.path("moe_strategy"), () -> MoeStrategy.parse(st)));
        }
        if (strategies.stream().distinct().count() != strategies.size()) {
            throw new IllegalArgumentException("config: " + m.path("moe_strategy") + " lists a strategy twice");
        }
        return new ModelEntry(name, source, m.integer("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE), set, layers,
                variants, formulations, placements, dtypes, (int) m.integer("ffn_multiple", 64, 1, 1 << 16), m.text("input", null),
                strategies, (int) m.integer("expert_partitions", 0, 0, 100000), expertBatchesPerSequence(m));
    }

    /** {@code expert_batches}: {@code gathered} (each expert's tokens from many sequences in one GEMM) or {@code per_sequence}. */
    private static boolean expertBatchesPerSequence(ConfigFields m) {
        String b = m.text("expert_batches", "gathered");
        if (!b.equals("gathered") && !b.equals("per_sequence")) {
            throw new IllegalArgumentException("config: " + m.path("expert_batches") + ": unknown value '" + b
                    + "'; use gathered or per_sequence");
        }
        return b.equals("per_sequence");
    }

    private static <T> T parse(String field, java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config: " + field + ": " + e.getMessage(), e);
        }
    }

    /**
     * The config as resolved, with the field names of the config file (every default filled in, every
     * enum by its config name): {@code summary.json}'s {@code config} and {@code study.json}.
     */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("study", study);
        m.put("output", output);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("input", data.input());
        d.put("sequences", data.sequences());
        d.put("seq_len", data.seqLens());
        d.put("distribution", data.distribution().id());
        d.put("seed", data.seed());
        m.put("data", d);
        m.put("shards", shards);
        m.put("models", models.stream().map(ModelEntry::describe).toList());
        m.put("iterations", iterations.describe());
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("enabled", statsEnabled);
        st.put("sites", List.copyOf(sites));
        st.putAll(stats.describe());
        m.put("stats", st);
        if (sparsity != null) m.put("sparsity", sparsity.describe());
        m.put("on_nonfinite", failOnNonFinite ? "fail" : "skip");
        m.put("max_skipped_fraction", maxSkippedFraction);
        return m;
    }
}
