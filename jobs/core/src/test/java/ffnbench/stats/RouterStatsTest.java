package ffnbench.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ffnbench.Reference;
import ffnbench.model.FfnVariant;
import ffnbench.model.MoeSpec;
import ffnbench.model.Router;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RouterStatsTest {

    /** Three tokens over three experts, top-2, with hand-computed figures. */
    @Test
    void aHandComputedRouting() {
        float[] scores = {0.52f, 0.28f, 0.2f, 0.1f, 0.62f, 0.28f, 0.72f, 0.18f, 0.1f};
        int[] expert = {0, 1, 1, 2, 0, 1};
        Router.Routing r = new Router.Routing(3, 2, new float[9], scores, expert, new float[6], new boolean[6]);
        RouterStats s = new RouterStats(3, 2, new double[] {1.0, 0.5});
        s.addSequence(r);
        assertArrayEquals(new long[] {2, 3, 1}, s.routed());
        assertEquals(2.0 / 3, s.balancedness(), 1e-12);                       // mean 2 over max 3
        assertEquals(Math.sqrt(2.0 / 3) / 2, s.coefficientOfVariation(), 1e-12);
        assertEquals((2 * 1.34 + 3 * 1.08 + 0.58) / 6, s.auxiliaryLoss(), 1e-6);  // 3 · Σ fᵢ·Pᵢ
        assertEquals(2, s.coSelected(0, 1));
        assertEquals(2, s.coSelected(1, 0));
        assertEquals(1, s.coSelected(1, 2));
        assertEquals(0, s.coSelected(0, 2));
        long[] top1 = new long[RouterStats.TOP1_BINS];
        top1[10] = top1[12] = top1[14] = 1;                                     // 0.52, 0.62, 0.72
        assertArrayEquals(top1, s.top1Histogram());
        double entropy = 0;
        for (int t = 0; t < 3; t++) for (int e = 0; e < 3; e++) entropy -= scores[t * 3 + e] * Math.log(scores[t * 3 + e]);
        assertEquals(entropy / 3, s.meanEntropy(), 1e-6);
        assertEquals(1, s.droppedAssignments(0));                               // capacity ⌈1·3·2/3⌉ = 2: expert 1 drops 1
        assertEquals(3, s.droppedAssignments(1));                               // capacity 1: experts 0 and 1 drop 1 and 2
        assertEquals(3.0 / 6, s.dropRate(1), 1e-12);
    }

    /** The drops counted for a capacity factor are those the router makes when it applies it. */
    @Test
    void dropCountsMatchTheRoutersCapacity() {
        int d = 8, experts = 6, tokens = 40;
        float[] w = Reference.gaussian(experts * d, 1, 1);
        MoeSpec dropless = new MoeSpec(experts, 2, 4, FfnVariant.parse("swiglu"), MoeSpec.Scoring.SOFTMAX, true, 0, false, 1, 1, false, 1, 0);
        double[] factors = {0.75, 1.0, 1.25, 2.0};
        for (long seed = 2; seed < 6; seed++) {
            float[] x = Reference.gaussian(tokens * d, 1, seed);
            RouterStats s = new RouterStats(experts, 2, factors);
            s.addSequence(new Router(dropless, d, w, null).route(x, tokens));
            for (int c = 0; c < factors.length; c++) {
                boolean[] kept = new Router(dropless.withCapacityFactor(factors[c]), d, w, null).route(x, tokens).kept();
                long drops = 0;
                for (boolean b : kept) if (!b) drops++;
                assertEquals(drops, s.droppedAssignments(c), "capacity factor " + factors[c] + ", seed " + seed);
            }
        }
    }

    @Test
    void mergedPartsAreIdenticalWhateverTheSplitAndOrder() throws Exception {
        int d = 8, experts = 5, tokens = 17;
        MoeSpec spec = new MoeSpec(experts, 3, 4, FfnVariant.parse("swiglu"), MoeSpec.Scoring.SIGMOID, true, 0, false, 1, 1, false, 1, 0);
        Router router = new Router(spec, d, Reference.gaussian(experts * d, 1, 7), null);
        List<Router.Routing> sequences = new ArrayList<>();
        for (int i = 0; i < 30; i++) sequences.add(router.route(Reference.gaussian(tokens * d, 1, 100 + i), tokens));
        double[] factors = {1.0, 1.5};
        RouterStats whole = new RouterStats(experts, 3, factors);
        for (Router.Routing r : sequences) whole.addSequence(r);
        for (int parts : new int[] {3, 7}) {
            List<RouterStats> partials = new ArrayList<>();
            for (int p = 0; p < parts; p++) {
                RouterStats s = new RouterStats(experts, 3, factors);
                for (int i = p; i < sequences.size(); i += parts) s.addSequence(sequences.get(i));
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                s.write(new DataOutputStream(buf));
                partials.add(RouterStats.read(new DataInputStream(new ByteArrayInputStream(buf.toByteArray()))));
            }
            Collections.shuffle(partials, new Random(parts));
            RouterStats merged = new RouterStats(experts, 3, factors);
            for (RouterStats s : partials) merged.merge(s);
            assertEquals(whole, merged, parts + " parts");
            assertEquals(whole.auxiliaryLoss(), merged.auxiliaryLoss(), 0.0);
        }
    }
}
