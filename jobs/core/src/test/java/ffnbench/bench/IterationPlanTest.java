package ffnbench.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.study.IterationResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IterationPlanTest {
    static final IterationPlan PLAN = new IterationPlan(1, 10, 0, 5, 12, 0.05, 30);

    @Test
    void adaptiveStopsAtTheCiTargetOnlyAfterTheMinimum() {
        double[] tight = {100, 101, 99, 100};
        assertNull(PLAN.next(4, tight, 1), "4 < min_measured 5");
        IterationPlan.Stop stop = PLAN.next(5, new double[] {100, 101, 99, 100, 100}, 1);
        assertEquals("ci_target", stop.reason());
        assertTrue(stop.relativeHalfWidth() <= 0.05 && stop.text().contains("≤ 5%"), stop.text());
    }

    @Test
    void noisyCasesStopAtTheirBudgetsAndSaySo() {
        double[] noisy = {100, 150, 60, 130, 70, 140};
        assertNull(PLAN.next(6, noisy, 10));
        IterationPlan.Stop time = PLAN.next(6, noisy, 31);
        assertEquals("time_budget", time.reason());
        assertTrue(time.text().contains("target 5%"), time.text());
        assertEquals("max_measured", PLAN.next(12, noisy, 1).reason());
        // disturbed iterations do not count: 7 measured, 1 clean → no CI, said
        IterationPlan.Stop few = PLAN.next(12, new double[] {100}, 1);
        assertTrue(few.text().contains("11 disturbed") && few.text().contains("no CI"), few.text());
    }

    @Test
    void fixedCountsStopAtTheCount() {
        IterationPlan fixed = IterationPlan.fixed(0, 0, 3);
        assertFalse(IterationPlan.fixed(1, 10, 3).warmsUp(true, 1, 0), "a fixed count warms up exactly warmup times");
        assertNull(fixed.next(2, new double[] {1, 2}, 100));
        assertEquals("fixed", fixed.next(3, new double[] {1, 2, 3}, 0).reason());
        assertFalse(fixed.warmsUp(true, 0, 0));
        assertTrue(PLAN.warmsUp(false, 0, 0));
        assertFalse(PLAN.warmsUp(false, 1, 0));
        assertTrue(PLAN.warmsUp(true, 1, 9.9), "the run's first case warms up for first_warmup_seconds");
        assertFalse(PLAN.warmsUp(true, 1, 10));
        assertFalse(new IterationPlan(0, 10, 0, 5, 12, 0.05, 30).warmsUp(true, 0, 0), "no warm-up at all with warmup 0");
    }

    @Test
    void configReadsEitherFormAndRefusesBoth() throws Exception {
        Path conf = BenchConfigTest.CONF.resolve("default.json");
        assertTrue(BenchConfig.load(conf, Map.of()).iterations().adaptive());
        BenchConfig c = BenchConfig.load(conf, Map.of("iterations", "{\"warmup\": 2, \"min_measured\": 3, \"max_measured\": 9, "
                + "\"target_ci_half_width\": 0.02, \"max_case_seconds\": 5}"));
        assertEquals(new IterationPlan(2, IterationPlan.DEFAULT.firstWarmupSeconds(), 0, 3, 9, 0.02, 5), c.iterations());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> BenchConfig.load(conf,
                Map.of("iterations", "{\"measured\": 3, \"max_measured\": 9}")));
        assertTrue(both.getMessage().contains("iterations.max_measured") && both.getMessage().contains("exclude"), both.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchConfig.load(conf, Map.of("iterations.target_ci_half_width", "5")));
        assertThrows(IllegalArgumentException.class, () -> BenchConfig.load(conf,
                Map.of("iterations", "{\"min_measured\": 10, \"max_measured\": 9}")));
    }

    @Test
    void disturbanceNamesEveryCause() {
        assertNull(IterationResult.disturbance(0, 0, 0, 0, List.of(), 10, 1000));
        String why = IterationResult.disturbance(2, 0, 1, 1, List.of("3"), 300, 1000);
        assertEquals("task failures (2 failed attempts, retried); 1 executor(s) lost; 1 executor(s) added; "
                + "first tasks on executor(s) 3; GC took 30% of task time", why);
    }
}
