package ffnbench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class ChartsTest {
    @Test
    void logAxisLabelsAreReadablePowersOfTen() {
        assertEquals("1e-3", Charts.powerOfTen(1e-3));
        assertEquals("0.01", Charts.powerOfTen(0.01));
        assertEquals("0.1", Charts.powerOfTen(0.1));
        assertEquals("1", Charts.powerOfTen(1));
        assertEquals("100", Charts.powerOfTen(100));
        assertEquals("1e3", Charts.powerOfTen(1000));
        assertEquals("1e-9", Charts.powerOfTen(1e-9));
    }

    @Test
    void aSeriesKeepsItsColourInEveryChartAndFormulationsDiffer() {
        assertEquals(Charts.colour("serial", 0), Charts.colour("serial", 3));
        assertNotEquals(Charts.colour("serial", 0), Charts.colour("parallel", 1));
        assertNotEquals(Charts.colour("parallel", 0), Charts.colour("parallel-two-norms", 1));
        java.util.Set<java.awt.Color> stages = new java.util.HashSet<>();
        for (ffnbench.model.StageTimes.Stage s : ffnbench.model.StageTimes.Stage.values()) stages.add(Charts.colour(s.id(), 0));
        assertEquals(ffnbench.model.StageTimes.Stage.values().length, stages.size(), "every stage its own colour");
        assertNotEquals(Charts.colour("case a", 0), Charts.colour("case b", 1));
    }
}
