package ffnbench.bench;

import ffnbench.model.FfnVariant;
import ffnbench.model.Formulation;
import ffnbench.model.ModelConfig;
import ffnbench.model.NormPlacement;
import ffnbench.stats.StatsConfig;
import ffnbench.weights.ModelSource;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One benchmark case: a model (source, seed, field overrides), the layers to run in sequence, and a
 * formulation. Serializable: it travels to executors inside the Spark function, which rebuilds the
 * layers there (once per executor JVM, see {@link LayerCache}).
 */
public record BenchCase(String id, String model, String source, long seed, Map<String, String> overrides,
                        List<Integer> layers, String variant, Formulation formulation, NormPlacement placement,
                        ModelConfig config, boolean statsEnabled, Set<String> sites, StatsConfig stats,
                        boolean failOnNonFinite, int failFirstAttemptOfPartition, String input) implements Serializable {

    /** Expands a config into its cases: models × variants × placements × formulations, with stable ids. */
    public static List<BenchCase> expand(BenchConfig cfg) throws IOException {
        List<BenchCase> cases = new ArrayList<>();
        for (BenchConfig.ModelEntry m : cfg.models()) {
            ModelConfig base = ModelSource.config(m.source(), m.set());
            for (int layer : m.layers()) {
                if (layer < 0 || layer >= base.layers()) {
                    throw new IllegalArgumentException("config: models." + m.name() + ".layers: layer " + layer
                            + " does not exist (model has layers 0.." + (base.layers() - 1) + ")");
                }
            }
            for (String variant : m.variants()) {
                Map<String, String> overrides = new LinkedHashMap<>(m.set());
                if (!variant.equals("model")) {
                    FfnVariant v = FfnVariant.parse(variant);
                    overrides.put("ffn", v.name());
                    overrides.put("d_ff", Integer.toString(matchedWidth(base, v, m.ffnMultiple())));
                }
                List<NormPlacement> placements = m.placements().isEmpty() ? List.of(base.placement()) : m.placements();
                for (NormPlacement placement : placements) {
                    Map<String, String> o = new LinkedHashMap<>(overrides);
                    if (placement != base.placement()) o.put("placement", placement.id());
                    ModelConfig c = ModelSource.config(m.source(), o);
                    for (Formulation f : m.formulations()) {
                        if (f == Formulation.PARALLEL_TWO_NORMS && c.placement() != NormPlacement.PRE) {
                            throw new IllegalArgumentException("config: models." + m.name() + ": parallel-two-norms needs pre-LN "
                                    + "placement, but this case is post-LN; remove it from formulations or set placements: [\"pre\"]");
                        }
                        String id = m.name() + "." + c.ffn().name().replace(':', '_') + "." + f.id()
                                + (m.placements().isEmpty() ? "" : "." + placement.id());
                        cases.add(new BenchCase(id, m.name(), m.source(), m.seed(), Map.copyOf(o), List.copyOf(m.layers()),
                                c.ffn().name(), f, c.placement(), c, cfg.statsEnabled(), cfg.sites(), cfg.stats(),
                                cfg.failOnNonFinite(), cfg.failFirstAttemptOfPartition(),
                                m.input() != null ? m.input() : cfg.data().input()));
                    }
                }
            }
        }
        if (cases.stream().map(BenchCase::id).distinct().count() != cases.size()) {
            throw new IllegalArgumentException("config: two cases would share an id; give models distinct names and variants");
        }
        return cases;
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
}
