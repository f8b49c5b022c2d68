package ffnbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.bench.BenchCase;
import ffnbench.bench.BenchConfig;
import ffnbench.study.CaseRecords;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A study killed mid-way (SIGKILL of a separate ffnbench JVM) resumes: the re-run skips the cases
 * already recorded (and runs again one whose record was damaged since), runs the rest, and the
 * result holds every case exactly once.
 */
class StudyResumeTest {
    @TempDir
    Path tmp;

    private static final String CONFIG = """
            {"name": "resume", "study": "s1", "output": "%s", "shards": 2,
             "data": {"sequences": 8, "seq_len": [16, 32, 48]},
             "models": [{"name": "m", "source": "preset:llama", "set": {"d_model": 64, "heads": 4, "d_ff": 192, "layers": 2},
                         "formulations": ["serial", "parallel"]}],
             "iterations": {"warmup": 1, "measured": 2}}
            """;

    @Test
    void killedStudyResumesWithoutDuplicatesOrGaps() throws Exception {
        Path runs = tmp.resolve("runs");
        Path configFile = tmp.resolve("study.json");
        Files.writeString(configFile, CONFIG.formatted(runs.toString().replace("\\", "/")));
        BenchConfig cfg = BenchConfig.load(configFile, Map.of());
        List<String> ids = BenchCase.expand(cfg).stream().map(BenchCase::id).toList();
        assertEquals(6, ids.size());

        // 1. a separate JVM runs the study; kill -9 it as soon as its first case is recorded
        Path work = runs.resolve(".s1.incomplete");
        List<String> cmd = benchInAnotherJvm(configFile, "local[2]");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("first.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (ids.stream().noneMatch(id -> CaseRecords.completed(work, id))) {
            assertTrue(p.isAlive(), () -> "the first run ended before recording a case: " + readLog());
            assertTrue(System.nanoTime() < deadline, "no case recorded within 120 s");
            Thread.sleep(20);
        }
        p.destroyForcibly().waitFor();
        long completedBefore = ids.stream().filter(id -> CaseRecords.completed(work, id)).count();
        assertTrue(completedBefore >= 1 && completedBefore < ids.size(),
                "the kill should land mid-study; " + completedBefore + " of " + ids.size() + " were complete");
        Map<String, byte[]> recordsBefore = new HashMap<>();
        for (String id : ids) {
            if (CaseRecords.completed(work, id)) {
                recordsBefore.put(id, Files.readAllBytes(work.resolve("cases").resolve(id).resolve("iterations.json")));
            }
        }
        assertFalse(Files.exists(runs.resolve("s1")), "an interrupted study is not presented as complete");
        // a record damaged on disk since (stats.bin truncated) is not trusted: that case runs again
        String damaged = recordsBefore.keySet().iterator().next();
        Path stats = work.resolve("cases").resolve(damaged).resolve("stats.bin");
        Files.write(stats, java.util.Arrays.copyOf(Files.readAllBytes(stats), 10));
        recordsBefore.remove(damaged);

        // 2. the same study again: completed cases are skipped, not re-run
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        BenchJob.Run run = new BenchJob(TestSpark.session(), cfg, new PrintStream(log, true)).run();
        String out = log.toString();
        assertTrue(out.contains("warning: case " + damaged + ": its record in ") && out.contains("stats.bin does not match its checksum"), out);
        assertTrue(out.contains("resuming study s1: " + (completedBefore - 1) + " of 6 cases already completed"), out);
        assertEquals(completedBefore - 1, out.lines().filter(l -> l.contains("already completed, skipped")).count(), out);
        for (Map.Entry<String, byte[]> e : recordsBefore.entrySet()) {
            assertTrue(java.util.Arrays.equals(e.getValue(),
                    Files.readAllBytes(run.dir().resolve("cases").resolve(e.getKey()).resolve("iterations.json"))), e.getKey());
        }
        assertEquals(runs.resolve("s1"), run.dir());
        assertFalse(Files.exists(work));

        // 3. every case exactly once per measured iteration, with its own seq_len
        List<Row> rows = TestSpark.session().read().parquet(run.dir().resolve("timings.parquet").toString())
                .select("case_id", "iteration", "tokens").collectAsList();
        assertEquals(ids.size() * 2, rows.size());
        for (String id : ids) {
            List<Row> mine = rows.stream().filter(r -> r.getString(0).equals(id)).toList();
            assertEquals(List.of(0, 1), mine.stream().map(r -> r.getInt(1)).sorted().toList(), id);
            int seqLen = Integer.parseInt(id.replaceAll(".*seq_len-(\\d+).*", "$1"));
            assertTrue(mine.stream().allMatch(r -> r.getLong(2) == 8L * seqLen), id);
        }
        assertEquals(ids.size(), run.stats().size());

        // 4. a complete study re-run does nothing; a changed config is refused, naming what changed
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        new BenchJob(TestSpark.session(), cfg, new PrintStream(again, true)).run();
        assertTrue(again.toString().contains("already complete"), again.toString());
        BenchConfig changed = BenchConfig.load(configFile, Map.of("iterations.measured", "3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BenchJob(TestSpark.session(), changed, new PrintStream(new ByteArrayOutputStream())).run());
        assertTrue(e.getMessage().contains("different config") && e.getMessage().contains("iterations"), e.getMessage());
    }

    /** Ctrl-C or SIGTERM: a study says what it keeps; a plain run removes its incomplete directory and says so. */
    @Test
    void anInterruptedRunSaysWhatItLeaves() throws Exception {
        Path runs = tmp.resolve("runs");
        for (boolean study : new boolean[] {true, false}) {
            Path configFile = tmp.resolve("interrupted-" + study + ".json");
            String config = CONFIG.formatted(runs.toString().replace("\\", "/"));
            Files.writeString(configFile, study ? config : config.replace("\"study\": \"s1\", ", ""));
            List<String> cmd = benchInAnotherJvm(configFile, "local[2]");
            Path log = tmp.resolve("interrupted-" + study + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(log).contains("[1/6]")) {   // the first case has started
                assertTrue(p.isAlive() && System.nanoTime() < deadline, Files.readString(log));
                Thread.sleep(50);
            }
            p.destroy();   // SIGTERM, as Ctrl-C's SIGINT: the JVM runs its shutdown hooks
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            String out = Files.readString(log);
            if (study) {
                assertTrue(out.contains("ffnbench bench interrupted: study s1 has ") && out.contains("run the same config again"), out);
            } else {
                assertTrue(out.contains("ffnbench bench interrupted: the incomplete run resume-") && out.contains("was removed"), out);
                try (var left = Files.list(runs)) {
                    assertEquals(List.of(runs.resolve(".s1.incomplete")), left.toList(), "only the study's directory is left");
                }
            }
        }
    }

    /** Directories of killed plain runs are removed by the next bench; a run still holding its lock is left alone. */
    @Test
    void killedPlainRunsAreTidiedAndLiveOnesKept() throws Exception {
        Path runs = Files.createDirectories(tmp.resolve("runs"));
        Path killed = Files.createDirectories(runs.resolve(".resume-20260101-000000-abcd.incomplete"));
        Files.writeString(killed.resolve("study.json"), "{\"config\": {\"study\": null}}");
        Files.createFile(killed.resolve(RunLock.FILE));
        Path live = Files.createDirectories(runs.resolve(".resume-20260101-000001-abcd.incomplete"));
        Files.writeString(live.resolve("study.json"), "{\"config\": {\"study\": null}}");
        Path configFile = tmp.resolve("plain.json");
        Files.writeString(configFile, CONFIG.formatted(runs.toString().replace("\\", "/")).replace("\"study\": \"s1\", ", "")
                .replace("[16, 32, 48]", "16").replace("\"formulations\": [\"serial\", \"parallel\"]", "\"formulations\": [\"serial\"]"));
        try (java.nio.channels.FileChannel held = RunLock.hold(live, "live")) {
            // another JVM holds the live run's lock: a child process tidies while this one holds it
            List<String> cmd = benchInAnotherJvm(configFile, "local[1]");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(3, TimeUnit.MINUTES) && p.exitValue() == 0, out);
            assertTrue(out.contains("note: removed " + killed), out);
            assertFalse(Files.exists(killed), out);
            assertTrue(Files.exists(live), "a run that still holds its lock is left alone: " + out);
        }
    }

    /**
     * `ffnbench bench --config F --master M` in a separate JVM with this one's module flags, heap and
     * classpath; {@code jvmFlags} come after them (a later -Xmx wins).
     */
    static List<String> benchInAnotherJvm(Path configFile, String master, String... jvmFlags) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-Xmx")).toList());
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "ffnbench.cli.Main", "bench",
                "--config", configFile.toString(), "--master", master));
        return cmd;
    }

    private String readLog() {
        try {
            return Files.readString(tmp.resolve("first.log"));
        } catch (java.io.IOException e) {
            return "(no log)";
        }
    }

    @Test
    void plannerRefusesImpossibleCaseBeforeAnyWork() throws Exception {
        BenchConfig cfg = BenchConfig.parse(new ObjectMapper().readTree("""
                {"output": "%s", "data": {"sequences": 2, "seq_len": 8},
                 "models": [{"name": "llama70b", "source": "preset:llama", "layers": [0, 1, 2, 3],
                             "set": {"d_model": 8192, "heads": 64, "kv_heads": 8, "d_ff": 28672, "layers": 80}}]}"""
                .formatted(tmp.resolve("runs").toString().replace("\\", "/"))), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BenchJob(TestSpark.session(), cfg, new PrintStream(new ByteArrayOutputStream())).run());
        assertTrue(e.getMessage().contains("cannot run") && e.getMessage().contains("GiB") && e.getMessage().contains("heap"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("runs")), "nothing is written for a refused study");
    }
}
