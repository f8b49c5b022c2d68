package ffnbench.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ffnbench.analysis.ScalingModel;
import org.junit.jupiter.api.Test;

/** The scaling model's arithmetic on hand-computed cases. */
class ScalingModelTest {
    static final ScalingModel.Assumptions A = new ScalingModel.Assumptions(10e9, 1e9);

    @Test
    void calibrationRecoversItsOwnRun() {
        // 8 tasks on 1 slot: 10 s of executor time for 10,000 tokens, 11 s wall, merges of 1 ms
        ScalingModel.Calibration c = ScalingModel.calibrate(11, 10, 10_000, 8, 1, 0.001, 1000, 4104, 0);
        assertEquals(1e-3, c.slotSecondsPerToken(), 1e-12);
        assertEquals(11 - 10 - 8 * 0.001, c.jobOverheadSeconds(), 1e-12);
        ScalingModel.Prediction p = ScalingModel.predict(c, A, 1, 1, 8, 10_000);
        assertEquals(11.0, p.wallSeconds(), 1e-5, "the calibration run is predicted back (up to the 1 µs/partial transfer)");
        assertEquals("compute", p.bound());
    }

    @Test
    void slotsWavesEfficiencyAndBounds() {
        ScalingModel.Calibration c = new ScalingModel.Calibration(0.5, 1e-3, 0.002, 0, 4000, 0, 1.0);
        // 2 slots, 8 partitions: 4 waves of 1,250 tokens at 1 ms → 5 s compute
        assertEquals(0.5 + 5 + 8 * 0.002, ScalingModel.predict(c, A, 1, 2, 8, 10_000).wallSeconds(), 1e-9);
        // η = 0.5 on 2 busy slots: compute × 2 / (1 + 0.5)
        assertEquals(0.5 + 5 * 2 / 1.5 + 8 * 0.002, ScalingModel.predict(c.withEfficiency(0.5), A, 1, 2, 8, 10_000).wallSeconds(), 1e-9);
        // a slot efficiency fitted on the run it predicts reproduces that run
        double wall = ScalingModel.predict(c.withEfficiency(0.7), A, 1, 2, 8, 10_000).wallSeconds();
        assertEquals(0.7, c.fitEfficiency(wall, 2, 8, 10_000), 1e-9);
        // 10^9 tokens of 4,000 bytes at 10 GB/s = 400 s of input against 1 s of compute on 10^6 slots
        ScalingModel.Prediction input = ScalingModel.predict(c, A, 250_000, 4, 1_000_000, 1_000_000_000L);
        assertEquals("input bandwidth", input.bound());
        assertEquals(400, input.inputSeconds(), 1e-9);
        // above 64 partitions the partials merge in two levels: 2·ceil(√P) in series
        assertEquals(64, ScalingModel.mergedInSeries(64));
        assertEquals(2 * 127, ScalingModel.mergedInSeries(16_000));
        // checkpoint weights by torrent broadcast: ceil(log2(1001)) = 10 rounds of 2.8 GB at 1 GB/s
        ScalingModel.Calibration ckpt = new ScalingModel.Calibration(0.5, 1e-3, 0, 0, 4000, 2_800_000_000L, 1.0);
        assertEquals(28, ScalingModel.predict(ckpt, A, 1000, 4, 4000, 1_000_000).weightSeconds(), 1e-9);
    }
}
