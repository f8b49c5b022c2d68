package ffnbench.backend;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What BLAS this JVM runs, as recorded in {@code summary.json} and printed by {@code ffnbench env}.
 *
 * @param requested      the {@code ffnbench.blas} setting: bundled, system or java
 * @param implementation what runs: bundled (ffnbench's OpenBLAS), system (the machine's {@code libblas.so.3})
 *                       or java (netlib's pure-Java BLAS)
 * @param library        the native library file, or null for java
 * @param version        OpenBLAS's version, e.g. 0.3.31 (null when the native library is not OpenBLAS)
 * @param kernel         the OpenBLAS kernel for this CPU, e.g. SapphireRapids; for java, netlib's class
 * @param threads        BLAS threads per call (1 per Spark task unless {@code ffnbench.blas.threads} says otherwise)
 * @param netlibClass    netlib's implementation class (JNIBLAS, VectorBLAS, ...)
 * @param config         OpenBLAS's build description ({@code openblas_get_config}), or null
 * @param fallbackReason why the requested implementation does not run, or null when it does
 */
public record BlasInfo(String requested, String implementation, String library, String version, String kernel, int threads,
                       String netlibClass, String config, String fallbackReason) {

    public boolean isNative() {
        return !implementation.equals("java");
    }

    /** The fields as written to JSON (snake_case keys, nulls kept so every record has the same keys). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("implementation", implementation);
        m.put("requested", requested);
        m.put("version", version);
        m.put("kernel", kernel);
        m.put("threads", threads);
        m.put("library", library);
        m.put("netlib_class", netlibClass);
        m.put("config", config);
        m.put("fallback_reason", fallbackReason);
        return m;
    }

    /** One line for logs and consoles, e.g. {@code bundled OpenBLAS 0.3.31, kernel SapphireRapids, 1 thread}. */
    public String summary() {
        String what = switch (implementation) {
            case "java" -> "pure-Java BLAS (netlib " + netlibClass + ")";
            default -> implementation + " " + (version != null ? "OpenBLAS " + version : "native BLAS " + library)
                    + (kernel != null ? ", kernel " + kernel : "") + ", " + threads + (threads == 1 ? " thread" : " threads");
        };
        return what + (fallbackReason != null ? " (requested " + requested + ": " + fallbackReason + ")" : "");
    }
}
