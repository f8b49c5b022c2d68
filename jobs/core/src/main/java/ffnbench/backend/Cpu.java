package ffnbench.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The CPU this JVM runs on, as {@code /proc/cpuinfo} describes it: its model and the SIMD features
 * that decide which BLAS kernels it can run. Off Linux the model is {@code os.arch} and no features
 * are known.
 */
public record Cpu(String model, int cores, Set<String> flags) {

    /** The widest float SIMD a CPU offers, in the order OpenBLAS's x86 kernels use it. */
    public enum SimdLevel {
        BASELINE, AVX, AVX2, AVX512;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The features worth reporting, in a fixed order (x86 first, then Arm). */
    static final List<String> REPORTED = List.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw",
            "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve", "sve2");

    private static final Cpu CURRENT = read(Path.of("/proc/cpuinfo"));

    public static Cpu current() {
        return CURRENT;
    }

    /** The reported SIMD features this CPU has. */
    public List<String> simd() {
        List<String> out = new ArrayList<>();
        for (String f : REPORTED) if (flags.contains(f)) out.add(f);
        return out;
    }

    public SimdLevel level() {
        if (flags.containsAll(List.of("avx512f", "avx512dq", "avx512bw", "avx512vl"))) return SimdLevel.AVX512;
        if (flags.contains("avx2") && flags.contains("fma")) return SimdLevel.AVX2;
        if (flags.contains("avx")) return SimdLevel.AVX;
        return SimdLevel.BASELINE;
    }

    public boolean x86() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    static Cpu read(Path cpuinfo) {
        String model = null;
        Set<String> flags = Set.of();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (model == null && (key.equals("model name") || key.equals("Model"))) model = value;
                if (flags.isEmpty() && (key.equals("flags") || key.equals("Features"))) flags = Set.copyOf(java.util.Arrays.asList(value.split("\\s+")));
                if (model != null && !flags.isEmpty()) break;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no features known
        }
        return new Cpu(model != null ? model : System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), flags);
    }
}
