package ffnbench.backend;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What this JVM and machine offer ffnbench, for {@code ffnbench env}: Java, the CPU and its SIMD
 * features, the Vector API, the BLAS (with a short sgemm self-test), and whether the RAPIDS
 * Accelerator, an NVIDIA GPU and CUDA are present, plus the warnings that make measurements here
 * unrepresentative. Spark's own version is added by the command (this package knows no Spark).
 */
public final class Environment {
    private Environment() {}

    /** The description, JSON-ready; {@code sgemmSeconds} ≤ 0 skips the self-test. */
    public static Map<String, Object> describe(double sgemmSeconds) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> java = new LinkedHashMap<>();
        java.put("version", System.getProperty("java.version"));
        java.put("vendor", System.getProperty("java.vendor"));
        java.put("vm", System.getProperty("java.vm.name"));
        java.put("home", System.getProperty("java.home"));
        out.put("java", java);

        Cpu cpu = Cpu.current();
        Map<String, Object> cpuMap = new LinkedHashMap<>();
        cpuMap.put("model", cpu.model());
        cpuMap.put("cores", cpu.cores());
        cpuMap.put("arch", System.getProperty("os.arch"));
        cpuMap.put("simd", cpu.simd());
        cpuMap.put("simd_level", cpu.level().id());
        out.put("cpu", cpuMap);

        Map<String, Object> vector = new LinkedHashMap<>();
        vector.put("enabled", Simd.VECTOR_API);
        vector.put("bits", Simd.vectorBits());
        vector.put("reason_off", Simd.scalarReason());
        out.put("vector_api", vector);

        BlasInfo info = Blas.info();
        Map<String, Object> blas = info.toMap();
        if (sgemmSeconds > 0) {
            blas.put("sgemm_gflops", Math.round(Blas.sgemmGflops(sgemmSeconds) * 10) / 10.0);
            blas.put("sgemm_shape", "[512 x 1024] . [1024 x 2816], float32, " + info.threads() + " thread(s)");
        }
        out.put("blas", blas);

        out.put("rapids", rapids());
        out.put("gpu", gpu());
        out.put("cuda", cuda());
        out.put("warnings", warnings(info, cpu));
        return out;
    }

    /** The backend warnings for this JVM: its BLAS, and the scalar path when the Vector API is off. */
    public static List<String> warnings(BlasInfo blas, Cpu cpu) {
        List<String> w = new ArrayList<>(BackendWarnings.of(blas, cpu, System.getenv()));
        if (!Simd.VECTOR_API) {
            w.add("the JDK Vector API is off (" + Simd.scalarReason() + "): activations and statistics run as scalar loops, "
                    + "several times slower. Fix: start the JVM with --add-modules jdk.incubator.vector (scripts/ffnbench does).");
        }
        return w;
    }

    /** The RAPIDS Accelerator's {@code RapidsUDF} interface when its jar is on the classpath, else null. */
    public static Class<?> rapidsUdfClass() {
        try {
            return Class.forName("com.nvidia.spark.RapidsUDF", false, Environment.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    private static Map<String, Object> rapids() {
        Map<String, Object> m = new LinkedHashMap<>();
        Class<?> udf = rapidsUdfClass();
        m.put("present", udf != null);
        if (udf != null) {
            var source = udf.getProtectionDomain().getCodeSource();
            m.put("jar", source == null ? null : source.getLocation().toString());
        }
        return m;
    }

    private static Map<String, Object> gpu() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<String> devices = new ArrayList<>();
        Path gpus = Path.of("/proc/driver/nvidia/gpus");
        if (Files.isDirectory(gpus)) {
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(gpus)) {
                for (Path d : dirs) {
                    for (String line : Files.readAllLines(d.resolve("information"))) {
                        if (line.startsWith("Model:")) devices.add(line.substring(6).trim());
                    }
                }
            } catch (IOException | RuntimeException e) {
                // unreadable: reported as no devices
            }
        }
        m.put("present", !devices.isEmpty() || Files.exists(Path.of("/dev/nvidia0")));
        m.put("devices", devices);
        String driver = null;
        try {
            driver = Files.readAllLines(Path.of("/proc/driver/nvidia/version")).get(0).trim();
        } catch (IOException | RuntimeException e) {
            // no NVIDIA driver
        }
        m.put("driver", driver);
        return m;
    }

    private static Map<String, Object> cuda() {
        Set<String> dirs = new LinkedHashSet<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) for (String d : ld.split(":")) if (!d.isBlank()) dirs.add(d);
        dirs.addAll(List.of("/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib/x86_64-linux-gnu"));
        List<String> found = new ArrayList<>();
        for (String d : dirs) {
            Path dir = Path.of(d);
            if (!Files.isDirectory(dir)) continue;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "lib{cuda,cudart,cublas}.so*")) {
                for (Path f : files) found.add(f.toString());
            } catch (IOException | RuntimeException e) {
                // unreadable directory
            }
        }
        String nvcc = null;
        List<String> path = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        path.add("/usr/local/cuda/bin");
        for (String d : path) {
            if (!d.isBlank() && Files.isExecutable(Path.of(d, "nvcc"))) {
                nvcc = Path.of(d, "nvcc").toString();
                break;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("present", !found.isEmpty());
        m.put("libraries", found);
        m.put("nvcc", nvcc);
        return m;
    }
}
