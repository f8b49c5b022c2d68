package ffnbench.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ffnbench.bench.BenchCase;
import ffnbench.bench.BenchConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code study.json}: the resolved config and case ids a study was started with. Resuming checks
 * that the config is still the same, so completed cases are never mixed with cases measured under
 * different settings.
 */
public final class StudyManifest {
    public static final String FILE = "study.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StudyManifest() {}

    public static void write(Path dir, String studyId, BenchConfig config, List<BenchCase> cases) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("study", studyId);
        m.put("config", config.describe());
        m.put("cases", cases.stream().map(BenchCase::id).toList());
        JSON.writeValue(dir.resolve(FILE).toFile(), m);
    }

    /** An incomplete run directory ({@code <output>/.<id>.incomplete}) left by a run that was killed. */
    public record Incomplete(Path dir, String id, boolean study, java.time.Instant modified) { }

    /** The incomplete run directories under {@code runs}, oldest first; a study's can be resumed, a plain run's cannot. */
    public static List<Incomplete> incomplete(Path runs) throws IOException {
        List<Incomplete> out = new ArrayList<>();
        if (!Files.isDirectory(runs)) return out;
        try (var list = Files.list(runs)) {
            for (Path d : list.filter(Files::isDirectory).toList()) {
                String name = d.getFileName().toString();
                if (!name.startsWith(".") || !name.endsWith(".incomplete")) continue;
                String id = name.substring(1, name.length() - ".incomplete".length());
                boolean study;
                try {
                    JsonNode config = ffnbench.data.JsonFile.read(d.resolve(FILE)).path("config");
                    study = config.hasNonNull("study");
                } catch (IOException | IllegalArgumentException unreadable) {
                    study = false;   // killed before its manifest was complete: nothing to resume
                }
                out.add(new Incomplete(d, id, study, Files.getLastModifiedTime(d).toInstant()));
            }
        }
        out.sort(java.util.Comparator.comparing(Incomplete::modified));
        return out;
    }

    /** Refuses to resume when the stored config differs from this one, naming the fields that differ. */
    public static void check(Path dir, String studyId, BenchConfig config, List<BenchCase> cases) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException(dir + " exists but is not an ffnbench study (no " + FILE + "); choose another "
                    + "study id or move that directory away");
        }
        JsonNode stored = ffnbench.data.JsonFile.read(f).get("config");
        // through text, so numbers compare as the file holds them (valueToTree keeps long vs int apart)
        JsonNode now = JSON.readTree(JSON.writeValueAsString(config.describe()));
        if (!now.equals(stored)) {
            List<String> differ = new ArrayList<>();
            for (Iterator<String> it = now.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (stored == null || !now.get(k).equals(stored.get(k))) differ.add(k);
            }
            throw new IllegalArgumentException("study " + studyId + " in " + dir + " was started with a different config "
                    + "(fields that differ: " + String.join(", ", differ) + "); resuming would mix results measured under "
                    + "different settings. Restore the original config, or give this one a new study id (--study NEW_ID)");
        }
    }
}
