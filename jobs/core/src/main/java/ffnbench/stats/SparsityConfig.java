package ffnbench.stats;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of the activation-sparsity analysis (section {@code sparsity} of a bench config; absent:
 * off, and nothing of it runs). Field meanings and defaults: {@code conf/README.md}.
 *
 * @param targets         sparsities s ∈ (0, 1) to find the magnitude threshold tₛ of, ascending
 * @param sites           where magnitude thresholds are taken ({@code ffn_in}, {@code ffn_gate_act},
 *                        {@code ffn_act}); empty: all three, less {@code ffn_gate_act} for standard FFNs
 * @param windows         window lengths w in tokens for aggregated sparsity, ascending, where 0 stands for
 *                        the whole sequence; empty: {@link #DEFAULT_WINDOWS} that fit in the sequence
 * @param activeThreshold a neuron is active on a token when its |x| at {@code ffn_act} is above this
 * @param topKFraction    the contextual overlap compares each token's k = round(fraction·d_ff) largest |x|
 * @param magnitudeBits   mantissa bits per bin of the |x| histograms ({@link LogHistogram})
 * @param measureError    whether to measure the error of zeroing |x| &lt; tₛ at each site: thresholds from the
 *                        calibration sequences, error on the held-out rest ({@link #isCalibration})
 * @param calibrationFraction the share of sequences (by a hash of seq_id and {@code splitSeed}) that calibrate
 * @param splitSeed       seed of the calibration / held-out split
 */
public record SparsityConfig(List<Double> targets, List<String> sites, List<Integer> windows, double activeThreshold,
                             double topKFraction, int magnitudeBits, boolean measureError, double calibrationFraction,
                             long splitSeed) implements Serializable {

    /** Sites a threshold can be taken at: the FFN input (TEAL), the activated gate (CATS), the FFN hidden. */
    public static final List<String> SITES = List.of("ffn_in", "ffn_gate_act", "ffn_act");
    /** Windows when none are given (those longer than the sequence are left out), then the whole sequence. */
    public static final List<Integer> DEFAULT_WINDOWS = List.of(1, 2, 4, 8, 16, 64);
    public static final List<Double> DEFAULT_TARGETS = List.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9);
    /** The site where neurons are counted active (aggregated sparsity, contextual overlap). */
    public static final String NEURON_SITE = "ffn_act";

    public SparsityConfig {
        targets = List.copyOf(targets);
        sites = List.copyOf(sites);
        windows = List.copyOf(windows);
        if (targets.isEmpty()) throw new IllegalArgumentException("sparsity.targets must list at least one sparsity");
        for (int i = 0; i < targets.size(); i++) {
            double s = targets.get(i);
            if (!(s > 0 && s < 1)) {
                throw new IllegalArgumentException("sparsity.targets must be fractions in (0, 1) (0.5 is 50% of the values zeroed), got " + s);
            }
            if (i > 0 && s <= targets.get(i - 1)) throw new IllegalArgumentException("sparsity.targets must be ascending without repeats, got " + targets);
        }
        for (String site : sites) {
            if (!SITES.contains(site)) throw new IllegalArgumentException("sparsity.sites: '" + site + "' is not one of " + SITES);
        }
        if (sites.stream().distinct().count() != sites.size()) throw new IllegalArgumentException("sparsity.sites lists a site twice: " + sites);
        for (int i = 0; i < windows.size(); i++) {
            int w = windows.get(i);
            if (w < 0) throw new IllegalArgumentException("sparsity.windows must be token counts ≥ 1 or \"sequence\", got " + w);
            if (i > 0 && (windows.get(i - 1) == 0 || (w != 0 && w <= windows.get(i - 1)))) {
                throw new IllegalArgumentException("sparsity.windows must be ascending without repeats, \"sequence\" last, got " + windows);
            }
        }
        if (!(activeThreshold >= 0)) throw new IllegalArgumentException("sparsity.active_threshold must be ≥ 0 (0: any non-zero value is active), got " + activeThreshold);
        if (!(topKFraction > 0 && topKFraction <= 1)) {
            throw new IllegalArgumentException("sparsity.top_k_fraction must be in (0, 1] (a share of d_ff), got " + topKFraction);
        }
        if (magnitudeBits < 1 || magnitudeBits > 16) throw new IllegalArgumentException("sparsity.magnitude_bits must be in 1..16, got " + magnitudeBits);
        if (!(calibrationFraction > 0 && calibrationFraction < 1)) {
            throw new IllegalArgumentException("sparsity.calibration_fraction must be in (0, 1) (the share of sequences that set the "
                    + "thresholds; the rest measure the error), got " + calibrationFraction);
        }
    }

    /** Settings without the measured error. */
    public SparsityConfig(List<Double> targets, List<String> sites, List<Integer> windows, double activeThreshold,
                          double topKFraction, int magnitudeBits) {
        this(targets, sites, windows, activeThreshold, topKFraction, magnitudeBits, false, 0.5, 1);
    }

    /**
     * Whether sequence {@code seqId} is a calibration sequence: a 64-bit mix of the id and the seed
     * (SplitMix64's finaliser), as a fraction of 2^64, below {@code calibrationFraction}. It depends on
     * nothing else, so the split is the same on every executor, partitioning and run.
     */
    public boolean isCalibration(long seqId) {
        long z = seqId * 0x9E3779B97F4A7C15L + splitSeed;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53 < calibrationFraction;
    }

    /** Every setting at its default. */
    public static SparsityConfig defaults() {
        return new SparsityConfig(DEFAULT_TARGETS, List.of(), List.of(), 0.0, 0.1, 7, false, 0.5, 1);
    }

    /**
     * The threshold sites of a case whose FFN is {@code gated} or not. Fails, naming the variant, when
     * {@code ffn_gate_act} is asked of a standard FFN, which has no gate.
     */
    public List<String> sitesFor(boolean gated, String variant) {
        if (sites.isEmpty()) return gated ? SITES : List.of("ffn_in", "ffn_act");
        if (!gated && sites.contains("ffn_gate_act")) {
            throw new IllegalArgumentException("sparsity.sites: ffn_gate_act (the activated gate) is asked of variant " + variant
                    + ", a standard FFN without a gate: drop ffn_gate_act, or list only gated variants (glu, reglu, geglu, swiglu)");
        }
        return sites;
    }

    /**
     * The windows for sequences of {@code seqLen} tokens (0 when the sequences' length is not known
     * before the run: imported data), 0 standing for the whole sequence. Fails when a window that the
     * config names is longer than the sequences.
     */
    public int[] windowsFor(int seqLen) {
        List<Integer> out = new ArrayList<>();
        if (windows.isEmpty()) {
            for (int w : DEFAULT_WINDOWS) if (seqLen == 0 || w <= seqLen) out.add(w);
            out.add(0);
        } else {
            for (int w : windows) {
                if (seqLen > 0 && w > seqLen) {
                    throw new IllegalArgumentException("sparsity.windows: a window of " + w + " tokens is longer than the sequences ("
                            + "data.seq_len " + seqLen + "): use windows of at most " + seqLen + " tokens, or \"sequence\" for the whole one");
                }
                out.add(w);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * What one case records: its threshold sites and its windows (0: the whole sequence), checked
     * against its FFN and its sequence length ({@link #sitesFor}, {@link #windowsFor}).
     */
    public record ForCase(SparsityConfig settings, List<String> sites, List<Integer> windows) implements Serializable {
        public int[] windowArray() {
            return windows.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** This config for a case with a {@code gated} FFN of {@code variant}, on sequences of {@code seqLen} tokens (0: unknown). */
    public ForCase forCase(boolean gated, String variant, int seqLen) {
        return new ForCase(this, sitesFor(gated, variant), java.util.Arrays.stream(windowsFor(seqLen)).boxed().toList());
    }

    /** k of the contextual overlap for a {@code width}-wide FFN hidden: round(fraction·width), at least 1. */
    public int topK(int width) {
        return (int) Math.max(1, Math.min(width, Math.round(topKFraction * width)));
    }

    /** The settings under their config names, as {@code summary.json} records them. */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("targets", targets);
        m.put("sites", sites.isEmpty() ? "auto" : sites);
        m.put("windows", windows.isEmpty() ? "auto" : windows.stream().map(w -> w == 0 ? (Object) "sequence" : w).toList());
        m.put("active_threshold", activeThreshold);
        m.put("top_k_fraction", topKFraction);
        m.put("magnitude_bits", magnitudeBits);
        m.put("measure_error", measureError);
        m.put("calibration_fraction", calibrationFraction);
        m.put("split_seed", splitSeed);
        return m;
    }
}
