package ffnbench.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/** Reads a JSON file (run summaries, study manifests, checkpoint configs); an error names the file. */
public final class JsonFile {
    private JsonFile() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static JsonNode read(Path file) throws IOException {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || node.isMissingNode()) throw new IllegalArgumentException(file + " is empty (expected a JSON object)");
            return node;
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            throw new IllegalArgumentException(file + " is not valid JSON" + (where == null ? "" : " (line " + where.getLineNr()
                    + ", column " + where.getColumnNr() + ")") + ": " + e.getOriginalMessage() + "; the file is damaged or truncated", e);
        }
    }
}
