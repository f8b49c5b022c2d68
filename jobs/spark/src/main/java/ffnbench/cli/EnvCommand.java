package ffnbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ffnbench.backend.Environment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code env}: what this machine and JVM give ffnbench (Java, Spark, CPU, Vector API, BLAS with an
 * sgemm self-test, RAPIDS, GPU, CUDA) and the warnings that would make its measurements
 * unrepresentative. {@code --json} prints one JSON object (fields: docs/RESULTS.md, "ffnbench env").
 */
@Command(name = "env", mixinStandardHelpOptions = true,
        description = {"Describe what ffnbench runs on here: Java and Spark versions, the CPU and its SIMD features, the",
            "Vector API, the BLAS (implementation, version, kernel, threads, a short sgemm self-test), and whether the",
            "RAPIDS Accelerator, an NVIDIA GPU and CUDA are present; warnings name what would slow measurements down."})
public final class EnvCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--sgemm-seconds", defaultValue = "1", paramLabel = "S",
            description = "Length of the sgemm self-test; 0 skips it (default: ${DEFAULT-VALUE}).")
    double sgemmSeconds;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("ffnbench_version", Main.class.getAnnotation(Command.class).version()[0].replace("ffnbench ", ""));
        Map<String, Object> spark = new LinkedHashMap<>();
        spark.put("version", org.apache.spark.package$.MODULE$.SPARK_VERSION());
        spark.put("scala_version", scala.util.Properties$.MODULE$.versionNumberString());
        env.put("spark", spark);
        env.putAll(Environment.describe(sgemmSeconds));
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(env));
        } else {
            System.out.print(text(env));
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    static String text(Map<String, Object> env) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Object> e : env.entrySet()) {
            if (e.getKey().equals("warnings")) continue;
            if (e.getValue() instanceof Map<?, ?> m) {
                out.append(e.getKey()).append(":\n");
                ((Map<String, Object>) m).forEach((k, v) -> out.append("  ").append(k).append(": ").append(v).append('\n'));
            } else {
                out.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            }
        }
        List<String> warnings = (List<String>) env.get("warnings");
        out.append(warnings.isEmpty() ? "warnings: none\n" : "warnings:\n");
        for (String w : warnings) out.append("  - ").append(w).append('\n');
        return out.toString();
    }
}
