package ffnbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code ffnbench env --json}, run as a user runs it: a JVM of its own, with the environment it is given. */
class EnvCommandTest {

    static JsonNode env(String... environment) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-")).toList());
        cmd.addAll(List.of("-Dffnbench.blas=" + System.getProperty("ffnbench.blas", "bundled"),
                "-cp", System.getProperty("java.class.path"), "ffnbench.cli.Main", "env", "--json", "--sgemm-seconds", "0.2"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        for (int i = 0; i < environment.length; i += 2) pb.environment().put(environment[i], environment[i + 1]);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        return new ObjectMapper().readTree(out);   // one JSON object and nothing else on stdout
    }

    @Test
    void printsOneJsonObjectWithTheBlasAndWarnings() throws Exception {
        JsonNode env = env();
        JsonNode blas = env.path("blas");
        for (String field : new String[] {"implementation", "version", "kernel", "threads", "sgemm_gflops"}) {
            assertTrue(blas.has(field), field + " in " + blas);
        }
        assertTrue(blas.path("sgemm_gflops").asDouble() > 0, blas.toString());
        assertTrue(env.path("warnings").isArray(), env.toString());
        String line = System.getProperty("ffnbench.build.id", "spark3.5_2.12").replaceAll("^spark([0-9.]+)_.*$", "$1");
        assertTrue(env.path("spark").path("version").asText().startsWith(line + "."), "the build's Spark line " + line + ": " + env);
        assertTrue(env.path("java").path("version").isTextual() && env.path("cpu").path("simd").isArray(), env.toString());
        assertTrue(env.path("vector_api").path("enabled").asBoolean(), "the tests run with the Vector API: " + env.path("vector_api"));
        for (String part : new String[] {"rapids", "gpu", "cuda"}) assertTrue(env.path(part).has("present"), part + " in " + env);
    }

    /** The trap of machines that force an old kernel: on an AVX-512 CPU the warning names the variable. */
    @Test
    void forcedHaswellKernelOnAnAvx512CpuIsNamed() throws Exception {
        JsonNode env = env("OPENBLAS_CORETYPE", "Haswell");
        if (!env.path("cpu").path("simd_level").asText().equals("avx512") || env.path("blas").path("version").isNull()) return;
        assertEquals("Haswell", env.path("blas").path("kernel").asText(), env.path("blas").toString());
        boolean named = false;
        for (JsonNode w : env.path("warnings")) named |= w.asText().contains("OPENBLAS_CORETYPE");
        assertTrue(named, env.path("warnings").toString());
    }
}
