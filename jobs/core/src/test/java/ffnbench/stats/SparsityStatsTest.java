package ffnbench.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.model.FeedForward;
import ffnbench.model.FfnVariant;
import ffnbench.model.StageTimes;
import ffnbench.runtime.StatsRecorder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SparsityStatsTest {

    static SparsityConfig config(List<Integer> windows, double topKFraction, int bits) {
        return new SparsityConfig(SparsityConfig.DEFAULT_TARGETS, List.of(), windows, 0.0, topKFraction, bits);
    }

    /** Magnitudes over many octaves, a share of exact zeros, ties and subnormals. */
    static float[] values(int n, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 9) {
                case 0, 1 -> 0f;
                case 2 -> Float.MIN_VALUE * rnd.nextInt(50);
                case 3 -> 0.25f;
                default -> (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
            };
        }
        return v;
    }

    @Test
    void thresholdsAgainstAnExactSort() {
        float[] v = values(50_021, 1);
        float[] sorted = new float[v.length];
        for (int i = 0; i < v.length; i++) sorted[i] = Math.abs(v[i]);
        Arrays.sort(sorted);
        for (int bits : new int[] {3, 7, 10}) {
            SparsityStats s = SparsityStats.magnitudes(config(List.of(), 0.1, bits), 1);
            s.addSequence(v, 0, v.length, 1);
            for (double target : new double[] {0.01, 0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999}) {
                LogHistogram.Cut cut = s.threshold(target);
                int m = (int) Math.ceil(target * v.length - 1e-9);
                float exact = sorted[m - 1];   // the m-th smallest |x|: zeroing |x| ≤ it reaches the target
                long below = 0;
                for (float x : sorted) if (x < cut.threshold()) below++;
                String what = "bits " + bits + ", target " + target;
                assertEquals(below, cut.below(), what + ": the stated count below the threshold is exact");
                assertTrue(cut.fractionBelow() >= target, what);
                if (exact == 0) {
                    assertEquals(Float.MIN_VALUE, cut.threshold(), what);
                } else {
                    assertTrue(cut.threshold() > exact, what + ": " + cut.threshold() + " vs " + exact);
                    double bound = exact >= Float.MIN_NORMAL ? exact * Math.scalb(1.0, -bits)
                            : Math.scalb(1.0, -149 + 23 - bits);   // subnormals: bins of fixed width
                    assertTrue(cut.threshold() - exact <= bound, what + ": " + cut.threshold() + " vs " + exact);
                }
            }
        }
    }

    /**
     * A ReLU FFN whose hidden is relu(x) (identity weights), on five tokens of known signs. Active
     * neurons: t0 {0,1}, t1 {1,2}, t2 {3}, t3 {0,1}, t4 {}; top-2 sets: {0,1}, {1,2}, {0,3} (3, then
     * the tie at 0 to channel 0), {0,1}, {0,1} (all tied at 0).
     */
    @Test
    void aggregatedSparsityAndOverlapOfAKnownReluPattern() {
        float[] x = {
                3, 2, -1, -1,
                -1, 1, 5, -2,
                -1, -1, -1, 4,
                1, 2, -3, -3,
                -1, -2, -3, -4};
        float[] identity = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
        FeedForward relu = FeedForward.create(FfnVariant.parse("relu"), 4, 4, identity, null, identity, null);
        SparsityConfig settings = new SparsityConfig(List.of(0.5, 0.75), List.of("ffn_in", "ffn_act"), List.of(1, 2, 4, 0), 0.0, 0.5, 7);
        CaseStats stats = new CaseStats(StatsConfig.DEFAULT);
        relu.forward(x, 5, new StatsRecorder(stats, Set.of(), settings.forCase(false, "relu", 5), 4, new StageTimes()));

        SparsityStats act = stats.sparsity().get("0/ffn_act");
        assertArrayEquals(new int[] {1, 2, 4, 0}, act.windows());
        assertEquals(5, act.windowCount(0));
        assertEquals(7.0 / 20, act.activeFraction(0), 1e-15);      // 2 + 2 + 1 + 2 + 0 of 5 × 4
        assertEquals(2, act.windowCount(1));                         // [t0 t1], [t2 t3]; t4 alone is no window
        assertEquals(6.0 / 8, act.activeFraction(1), 1e-15);       // {0,1,2}, {0,1,3}
        assertEquals(1, act.windowCount(2));
        assertEquals(1.0, act.activeFraction(2), 1e-15);
        assertEquals(1.0, act.activeFraction(3), 1e-15);
        assertEquals(2, act.topK());
        assertEquals(4, act.consecutivePairs());
        assertEquals((1.0 / 3 + 0 + 1.0 / 3 + 1) / 4, act.consecutiveOverlap(), 1e-15);   // intersections 1, 0, 1, 2
        assertEquals(0.5, act.sequenceOverlap(), 1e-15);             // every set has 2 of the union's 4
        // 13 of the 20 hidden values are exact zeros: 50% is reached by the zeros alone, 75% is not
        assertEquals(Float.MIN_VALUE, act.threshold(0.5).threshold());
        assertEquals(13, act.threshold(0.5).below());
        assertEquals(15, act.threshold(0.75).below());               // the two 1s join the zeros
        assertTrue(act.threshold(0.75).threshold() > 1f && act.threshold(0.75).threshold() < 1.01f);

        SparsityStats in = stats.sparsity().get("0/ffn_in");
        assertEquals(20, in.count());
        assertTrue(!in.hasNeurons());
    }

    @Test
    void mergedPartsAreIdenticalWhateverTheSplitAndOrder() {
        SparsityConfig settings = config(List.of(1, 3, 8, 0), 0.1, 7);
        int width = 70, seqLen = 24, sequences = 40;
        List<float[]> seqs = new ArrayList<>();
        Random rnd = new Random(5);
        for (int i = 0; i < sequences; i++) {
            float[] s = new float[seqLen * width];
            for (int j = 0; j < s.length; j++) s[j] = rnd.nextInt(3) == 0 ? 0f : (float) rnd.nextGaussian();
            seqs.add(s);
        }
        SparsityStats whole = SparsityStats.neurons(settings, width, new int[] {1, 3, 8, 0});
        for (float[] s : seqs) whole.addSequence(s, 0, seqLen, width);
        for (int parts : new int[] {3, 7}) {
            List<CaseStats> partials = new ArrayList<>();
            for (int p = 0; p < parts; p++) {
                CaseStats c = new CaseStats(StatsConfig.DEFAULT);
                SparsityStats mine = c.sparsity("0/ffn_act", () -> SparsityStats.neurons(settings, width, new int[] {1, 3, 8, 0}));
                for (int i = p; i < sequences; i += parts) mine.addSequence(seqs.get(i), 0, seqLen, width);
                partials.add(CaseStats.fromBytes(c.toBytes(), StatsConfig.DEFAULT));   // as a task's partial travels
            }
            Collections.shuffle(partials, new Random(parts));
            CaseStats merged = new CaseStats(StatsConfig.DEFAULT);
            for (CaseStats c : partials) merged.merge(c);
            assertEquals(whole, merged.sparsity().get("0/ffn_act"), parts + " parts");
            for (double t : SparsityConfig.DEFAULT_TARGETS) assertEquals(whole.threshold(t), merged.sparsity().get("0/ffn_act").threshold(t));
        }
    }

    @Test
    void settingsAreCheckedAgainstTheCase() {
        SparsityConfig gate = new SparsityConfig(List.of(0.5), List.of("ffn_gate_act"), List.of(), 0, 0.1, 7);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gate.forCase(false, "gelu", 128));
        assertTrue(e.getMessage().contains("ffn_gate_act") && e.getMessage().contains("gelu"), e.getMessage());
        SparsityConfig longWindow = new SparsityConfig(List.of(0.5), List.of(), List.of(4, 256), 0, 0.1, 7);
        e = assertThrows(IllegalArgumentException.class, () -> longWindow.forCase(true, "swiglu", 128));
        assertTrue(e.getMessage().contains("256") && e.getMessage().contains("seq_len 128"), e.getMessage());
        assertEquals(List.of(1, 2, 4, 8, 0), SparsityConfig.defaults().forCase(true, "swiglu", 12).windows(), "defaults that fit");
        assertEquals(SparsityConfig.SITES, SparsityConfig.defaults().forCase(true, "swiglu", 12).sites());
        assertEquals(List.of("ffn_in", "ffn_act"), SparsityConfig.defaults().forCase(false, "gelu", 12).sites());
        for (double bad : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            e = assertThrows(IllegalArgumentException.class, () -> new SparsityConfig(List.of(bad), List.of(), List.of(), 0, 0.1, 7));
            assertTrue(e.getMessage().contains("sparsity.targets") && e.getMessage().contains("(0, 1)"), e.getMessage());
        }
    }
}
