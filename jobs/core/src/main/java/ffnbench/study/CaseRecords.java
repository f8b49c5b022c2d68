package ffnbench.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.bench.BenchCase;
import ffnbench.stats.CaseStats;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of each completed case inside a run (study) directory: {@code cases/<case-id>/} holds
 * {@code iterations.json} (the measured iterations and why measuring stopped), {@code stats.bin} (the merged statistics) and
 * {@code sha256.txt} (their checksums, in {@code sha256sum} format). A record is written into a hidden
 * temporary directory and renamed into place in one atomic step, so a study killed at any moment has,
 * for each case, a complete record or none — which is what lets a re-run of the same study skip
 * exactly the completed cases. A re-run verifies each record first ({@link #removeDamaged}): one
 * damaged on disk since is run again, never trusted and never allowed to stop the other cases.
 */
public final class CaseRecords {
    public static final String DIR = "cases";
    private static final String CHECKSUMS = "sha256.txt";
    private static final List<String> FILES = List.of("iterations.json", "stats.bin");
    private static final ObjectMapper JSON = new ObjectMapper();

    private CaseRecords() {}

    /** A completed case as read back. */
    public record Completed(List<IterationResult> iterations, String stop, CaseStats stats) { }

    public static boolean completed(Path runDir, String caseId) {
        return Files.isRegularFile(runDir.resolve(DIR).resolve(caseId).resolve("iterations.json"));
    }

    /** Removes temporary records a killed run left behind (they never became visible as completed). */
    public static void removeUnfinished(Path runDir) throws IOException {
        Path dir = runDir.resolve(DIR);
        if (!Files.isDirectory(dir)) return;
        try (var list = Files.list(dir)) {
            for (Path p : list.filter(p -> p.getFileName().toString().startsWith(".")).toList()) deleteTree(p);
        }
    }

    public static void write(Path runDir, BenchCase c, List<IterationResult> iterations, String stop, CaseStats stats) throws IOException {
        Path dir = runDir.resolve(DIR);
        Path tmp = dir.resolve("." + c.id() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (IterationResult r : iterations) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("iteration", r.iteration());
            m.put("wall_ns", r.wallNs());
            m.put("tokens", r.tokens());
            m.put("skipped_sequences", r.skippedSequences());
            m.put("flops", r.flops());
            m.put("stage_ns", r.stageNs());
            m.put("task_total_ns", r.taskTotalNs());
            m.put("tasks", r.tasks());
            m.put("failed_attempts", r.failedAttempts());
            m.put("retried_successes", r.retriedSuccesses());
            m.put("executor_run_ms", r.executorRunTimeMs());
            m.put("executor_cpu_ns", r.executorCpuTimeNs());
            m.put("gc_ms", r.gcTimeMs());
            m.put("executors", r.executors());
            m.put("disturbed", r.disturbed());
            m.put("shuffle_bytes_written", r.shuffle().bytesWritten());
            m.put("shuffle_records_written", r.shuffle().recordsWritten());
            m.put("shuffle_write_ns", r.shuffle().writeNs());
            m.put("shuffle_bytes_read", r.shuffle().bytesRead());
            m.put("shuffle_fetch_wait_ms", r.shuffle().fetchWaitMs());
            rows.add(m);
        }
        Files.write(tmp.resolve("stats.bin"), stats.toBytes());
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("case_id", c.id());
        record.put("stop", stop);
        record.put("iterations", rows);
        JSON.writeValue(tmp.resolve("iterations.json").toFile(), record);
        StringBuilder sums = new StringBuilder();
        for (String f : FILES) sums.append(sha256(tmp.resolve(f))).append("  ").append(f).append('\n');
        Files.writeString(tmp.resolve(CHECKSUMS), sums);
        try {
            Files.move(tmp, dir.resolve(c.id()), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the run directory's file system cannot rename atomically (" + dir
                    + "); put runs on a local or POSIX file system", e);
        }
    }

    public static Completed read(Path runDir, BenchCase c) throws IOException {
        Path dir = runDir.resolve(DIR).resolve(c.id());
        JsonNode root;
        try {
            root = JSON.readTree(dir.resolve("iterations.json").toFile());
        } catch (IOException e) {
            throw new IOException("the record of case " + c.id() + " in " + dir + " is unreadable (" + e.getMessage()
                    + "); delete that directory to run the case again", e);
        }
        List<IterationResult> out = new ArrayList<>();
        for (JsonNode r : root.get("iterations")) {
            long[] stages = new long[r.get("stage_ns").size()];
            for (int i = 0; i < stages.length; i++) stages[i] = r.get("stage_ns").get(i).asLong();
            out.add(new IterationResult(c, r.get("iteration").asInt(), r.get("wall_ns").asLong(), r.get("tokens").asLong(),
                    r.get("skipped_sequences").asLong(), r.get("flops").asLong(), stages, r.get("task_total_ns").asLong(),
                    r.get("tasks").asLong(), r.get("failed_attempts").asLong(), r.get("retried_successes").asLong(),
                    r.get("executor_run_ms").asLong(), r.get("executor_cpu_ns").asLong(), r.get("gc_ms").asLong(),
                    r.get("executors").asInt(), r.path("disturbed").isTextual() ? r.get("disturbed").asText() : null,
                    new IterationResult.Shuffle(r.path("shuffle_bytes_written").asLong(), r.path("shuffle_records_written").asLong(),
                            r.path("shuffle_write_ns").asLong(), r.path("shuffle_bytes_read").asLong(),
                            r.path("shuffle_fetch_wait_ms").asLong())));
        }
        try {
            return new Completed(out, root.path("stop").asText(""), CaseStats.fromBytes(Files.readAllBytes(dir.resolve("stats.bin")), c.statistics().config()));
        } catch (RuntimeException e) {
            throw new IOException("the statistics of case " + c.id() + " in " + dir.resolve("stats.bin") + " are unreadable ("
                    + e.getMessage() + "); delete " + dir + " to run the case again", e);
        }
    }

    /**
     * Verifies the record of every case that has one, and deletes those damaged since they were
     * written (a checksum that does not match, a file missing or unreadable), so that they run again.
     * Returns one line per deleted record, naming the case, the file and what is wrong.
     */
    public static List<String> removeDamaged(Path runDir, List<BenchCase> cases) throws IOException {
        List<String> removed = new ArrayList<>();
        for (BenchCase c : cases) {
            Path dir = runDir.resolve(DIR).resolve(c.id());
            if (!Files.isDirectory(dir)) continue;
            String damage = damage(runDir, c);
            if (damage != null) {
                deleteTree(dir);
                removed.add("case " + c.id() + ": its record in " + dir + " is damaged (" + damage + "); it runs again");
            }
        }
        return removed;
    }

    /** What is wrong with a case's record, or null when it is intact. */
    static String damage(Path runDir, BenchCase c) {
        Path dir = runDir.resolve(DIR).resolve(c.id());
        try {
            Path sums = dir.resolve(CHECKSUMS);
            if (Files.isRegularFile(sums)) {   // records of older versions have none: they are only read back
                for (String line : Files.readAllLines(sums)) {
                    String[] hashAndFile = line.split("  ", 2);
                    Path f = dir.resolve(hashAndFile[1]);
                    if (!Files.isRegularFile(f)) return f.getFileName() + " is missing";
                    if (!sha256(f).equals(hashAndFile[0])) return f.getFileName() + " does not match its checksum";
                }
            }
            read(runDir, c);
            return null;
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        }
    }

    private static String sha256(Path file) throws IOException {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes a file or directory tree (nothing when absent). */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
