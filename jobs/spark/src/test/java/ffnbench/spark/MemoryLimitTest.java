package ffnbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.bench.MemoryPlan;
import ffnbench.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory planner against what really happens: bench in a JVM with a 1 GiB heap and the parallel
 * collector (ffnbench's default), on LLaMA-shaped layers sized around the planner's limit. Just
 * under it the case runs; just over it the case is refused before any work; far over it, with the
 * refusal overridden, the case runs out of memory and fails naming itself and the estimate.
 */
class MemoryLimitTest {
    static final long HEAP = 1L << 30;
    static final String[] JVM = {"-Xmx1g", "-XX:+UseParallelGC"};

    @TempDir
    Path tmp;

    static ModelConfig llama(int d) {
        return ModelConfig.preset("llama").with(Map.of("d_model", "" + d, "heads", "" + d / 64, "d_ff", "" + d * 11 / 4));
    }

    /** The largest d_model (a multiple of 64) whose layer's weights are at most {@code share} of the planner's limit. */
    static int dModelAt(double share) {
        long limit = MemoryPlan.largeArrayCapacity(HEAP, String.join(" ", JVM)) - MemoryPlan.SPARK_OWN;
        int d = 64;
        while (MemoryPlan.layerWeightBytes(llama(d + 64)) <= share * limit) d += 64;
        return d;
    }

    record Outcome(int exit, String output, List<Path> left) { }

    Outcome bench(int d, String memoryCheck) throws Exception {
        return bench(d, memoryCheck, "[\"swiglu\"]");
    }

    Outcome bench(int d, String memoryCheck, String variants) throws Exception {
        Path runs = tmp.resolve("runs-" + d);
        Path config = tmp.resolve("d" + d + ".json");
        Files.writeString(config, """
                {"name": "mem", "output": "%s", "memory_check": "%s", "shards": 1,
                 "data": {"sequences": 2, "seq_len": 32},
                 "models": [{"name": "m", "source": "preset:llama", "set": {"d_model": %d, "heads": %d, "d_ff": %d},
                             "variants": %s, "formulations": ["serial"]}],
                 "iterations": {"warmup": 0, "measured": 1}}"""
                .formatted(runs.toString().replace("\\", "/"), memoryCheck, d, d / 64, d * 11 / 4, variants));
        Process p = new ProcessBuilder(StudyResumeTest.benchInAnotherJvm(config, "local[2]", JVM)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), out);
        List<Path> left = Files.isDirectory(runs) ? Files.list(runs).toList() : List.of();
        return new Outcome(p.exitValue(), out, left);
    }

    @Test
    void justUnderTheLimitRuns() throws Exception {
        Outcome o = bench(dModelAt(0.9), "refuse");
        assertEquals(0, o.exit(), o.output());
        assertFalse(o.output().contains("cannot run"), o.output());
        assertEquals(1, o.left().size(), "one complete run directory: " + o.left());
        assertTrue(Files.exists(o.left().get(0).resolve("summary.json")), o.output());
    }

    @Test
    void aSweepHoldsTheLayersOfOneCaseAtATime() throws Exception {
        // three cases of ~3/4 of the limit each: together they would not fit in the heap, so each case's
        // layer is built only after the previous case's is dropped
        Outcome o = bench(dModelAt(0.75), "refuse", "[\"swiglu\", \"geglu\", \"reglu\"]");
        assertEquals(0, o.exit(), o.output());
        assertTrue(o.output().contains("[3/3] m.reglu.serial"), o.output());
    }

    @Test
    void justOverTheLimitIsRefusedBeforeAnyWork() throws Exception {
        int d = dModelAt(1.1) + 64;
        Outcome o = bench(d, "refuse");
        assertEquals(2, o.exit(), o.output());
        assertTrue(o.output().contains("case m.swiglu.serial cannot run") && o.output().contains("long-lived arrays")
                && o.output().contains("-Xmx") && o.output().contains("at least"), o.output());
        assertFalse(o.output().contains("generating"), "refused before any data is made: " + o.output());
        assertEquals(List.of(), o.left());
    }

    @Test
    void outOfMemoryIsTheCaseFailingNotAJvmCrash() throws Exception {
        Outcome o = bench(dModelAt(1.7), "warn");
        assertEquals(1, o.exit(), o.output());
        assertTrue(o.output().contains("memory_check: warn, so it runs anyway"), o.output());
        assertTrue(o.output().contains("error: case m.swiglu.serial ran out of memory in an executor")
                && o.output().contains("the memory planner estimated") && o.output().contains("Fix:"), o.output());
        assertFalse(o.output().contains("SparkUncaughtExceptionHandler"), o.output());
        assertEquals(List.of(), o.left(), "a failed plain run leaves nothing behind");
    }

    @Test
    void parallelCollectorsOldGenerationIsTwoThirdsOfTheHeap() {
        assertEquals(HEAP / 3 * 2, MemoryPlan.largeArrayCapacity(HEAP, "-XX:+UseParallelGC"));
        assertEquals(HEAP / 5 * 4, MemoryPlan.largeArrayCapacity(HEAP, "-XX:+UseParallelGC -XX:NewRatio=4"));
        assertEquals((long) (0.8 * HEAP), MemoryPlan.largeArrayCapacity(HEAP, ""));
        assertTrue(Stream.of(JVM).anyMatch(f -> f.contains("ParallelGC")));
    }
}
