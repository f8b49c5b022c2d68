package ffnbench.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The JNI library built by scripts/build-gpu (nvcc, during `mvn` where nvcc exists): it exports a
 * symbol for every native method of {@link NativeGpu}, loads into the JVM, and on a machine without
 * a GPU or cuBLAS fails with a clear message instead of crashing. On a GPU machine it also computes.
 */
class NativeGpuTest {
    static final Path LIB = Path.of(System.getProperty("ffnbench.repo", "."), "jobs/gpu/target/native/libffnbench_gpu.so");

    @Test
    void everyNativeMethodIsExported() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(LIB), "GPU library not built (no nvcc here)");
        Process nm = new ProcessBuilder("nm", "-D", "--defined-only", LIB.toString()).redirectErrorStream(true).start();
        Set<String> exported = new String(nm.getInputStream().readAllBytes()).lines()
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).collect(Collectors.toSet());
        assertEquals(0, nm.waitFor());
        TreeSet<String> missing = new TreeSet<>();
        for (Method m : NativeGpu.class.getDeclaredMethods()) {
            if (Modifier.isNative(m.getModifiers()) && !exported.contains("Java_ffnbench_gpu_NativeGpu_" + m.getName())) {
                missing.add(m.getName());
            }
        }
        assertEquals(Set.of(), missing, "natives without a JNI symbol in " + LIB);
        assertTrue(Arrays.stream(new String[] {"ffg_linear", "ffg_attention", "ffg_stats_add"}).allMatch(exported::contains));
    }

    /** The Java constants and the C header's enums give every name the same number (no ordinal() crosses JNI). */
    @Test
    void constantsMatchTheNativeHeader() throws Exception {
        String header = Files.readString(Path.of(System.getProperty("ffnbench.repo", "."), "jobs/gpu/src/main/cuda/ffnbench_gpu.h"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("FFG_([A-Z0-9_]+) = (\\d+)").matcher(header);
        java.util.Map<String, Integer> nativeValues = new java.util.TreeMap<>();
        while (m.find()) nativeValues.put(m.group(1), Integer.parseInt(m.group(2)));
        java.util.Map<String, Integer> javaValues = new java.util.TreeMap<>();
        for (var f : NativeGpu.class.getDeclaredFields()) {
            if (f.getType() == int.class && Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers())) {
                javaValues.put(f.getName(), f.getInt(null));
            }
        }
        assertEquals(nativeValues, javaValues);
        for (ffnbench.math.Activation.Kind k : ffnbench.math.Activation.Kind.values()) {
            assertEquals(nativeValues.get(k.name()), NativeGpu.activationCode(k), k.name());
        }
    }

    @Test
    void loadsAndComputesOrNamesWhatIsMissing() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(LIB), "GPU library not built (no nvcc here)");
        System.load(LIB.toAbsolutePath().toString());
        String error = NativeGpu.init(System.getenv("FFNBENCH_CUBLAS"));
        if (error != null) {
            // a CPU-only machine: no cuBLAS or no device, said plainly
            assertTrue(error.contains("cuBLAS") || error.contains("GPU"), error);
            return;
        }
        // a GPU machine: y = x·W on 2×3 · 3×2, checked by hand
        long x = NativeGpu.copyOf(new float[] {1, 2, 3, 4, 5, 6});
        long w = NativeGpu.copyOf(new float[] {1, 0, 0, 1, 1, 1});
        long y = NativeGpu.alloc(16);
        NativeGpu.linear(x, 3, 2, 3, w, 0, 2, y, 2, NativeGpu.FP32);
        float[] out = new float[4];
        NativeGpu.download(y, out, 0, 4);
        assertEquals("[4.0, 5.0, 10.0, 11.0]", Arrays.toString(out));
        for (long p : new long[] {x, w, y}) NativeGpu.free(p);
    }
}
