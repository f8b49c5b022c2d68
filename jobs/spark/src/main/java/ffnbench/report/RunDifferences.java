package ffnbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import ffnbench.analysis.Comparison;
import java.util.ArrayList;
import java.util.List;

/**
 * What differs between two runs besides the code, read from their {@code summary.json}: per case, the
 * inputs (the data's identity: path, size and fingerprint; the model; the shapes), and for the whole
 * run the environment (Spark line, Java, BLAS library and kernel, CPU, cores, executors). Fields a
 * run does not record (runs written before they existed) are not compared.
 */
final class RunDifferences {
    private RunDifferences() {}

    static final String[] CASE_FIELDS = {"model_config", "d_model", "layers", "weights_dtype", "sequences", "seq_len"};
    static final String[] INPUT_FIELDS = {"fingerprint", "bytes", "tokens", "sequences", "min_seq_len", "max_seq_len"};

    static Comparison.Context between(JsonNode base, JsonNode other) {
        return new Comparison.Context(id -> inputsDiffer(base, other, id), environmentDiffers(base, other));
    }

    /** The case's input differences ("data fingerprint 4bb1… vs 91c0…, d_model 512 vs 768"), or null when none. */
    static String inputsDiffer(JsonNode base, JsonNode other, String caseId) {
        JsonNode a = caseNode(base, caseId), b = caseNode(other, caseId);
        if (a == null || b == null) return null;
        List<String> differ = new ArrayList<>();
        for (String f : CASE_FIELDS) differ(differ, f, a.get(f), b.get(f));
        String inA = a.path("input").asText(null), inB = b.path("input").asText(null);
        if (inA != null && inB != null) {
            JsonNode ia = base.path("inputs").path(inA), ib = other.path("inputs").path(inB);
            String pathA = ia.path("path_in_run").asText(inA), pathB = ib.path("path_in_run").asText(inB);
            if (!pathA.equals(pathB)) differ.add("data path " + pathA + " vs " + pathB);
            for (String f : INPUT_FIELDS) differ(differ, "data " + f, ia.get(f), ib.get(f));
        }
        return differ.isEmpty() ? null : String.join(", ", differ);
    }

    /** The environment's differences, or null when none. */
    static String environmentDiffers(JsonNode base, JsonNode other) {
        JsonNode a = base.path("environment"), b = other.path("environment");
        List<String> differ = new ArrayList<>();
        differ(differ, "Spark", a.get("spark_version"), b.get("spark_version"));
        differ(differ, "Java", a.get("java_version"), b.get("java_version"));
        differ(differ, "BLAS", a.path("blas").get("implementation"), b.path("blas").get("implementation"));
        differ(differ, "BLAS version", a.path("blas").get("version"), b.path("blas").get("version"));
        differ(differ, "BLAS kernel", a.path("blas").get("kernel"), b.path("blas").get("kernel"));
        differ(differ, "CPU", a.get("cpu_model"), b.get("cpu_model"));
        differ(differ, "driver cores", a.get("driver_cores"), b.get("driver_cores"));
        differ(differ, "master", a.get("spark_master"), b.get("spark_master"));
        differ(differ, "executors", a.has("executors") ? a.get("executors").size() : null, b.has("executors") ? b.get("executors").size() : null);
        return differ.isEmpty() ? null : String.join(", ", differ);
    }

    private static JsonNode caseNode(JsonNode summary, String caseId) {
        for (JsonNode c : summary.path("cases")) if (caseId.equals(c.path("case_id").asText())) return c;
        return null;
    }

    private static void differ(List<String> out, String what, Object a, Object b) {
        if (a == null || b == null || a instanceof JsonNode na && na.isMissingNode() || b instanceof JsonNode nb && nb.isMissingNode()) return;
        if (!a.equals(b)) out.add(what + " " + shown(a) + " vs " + shown(b));
    }

    private static String shown(Object v) {
        String s = v instanceof JsonNode n && n.isTextual() ? n.asText() : String.valueOf(v);
        return s.length() > 40 ? s.substring(0, 12) + "…" : s;
    }
}
