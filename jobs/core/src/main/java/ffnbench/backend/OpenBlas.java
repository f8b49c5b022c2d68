package ffnbench.backend;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * A native BLAS library file, opened with JNA to ask what netlib's JNI binding cannot: OpenBLAS's
 * version ({@code openblas_get_config}), the kernel it chose for this CPU ({@code
 * openblas_get_corename}) and its thread count. netlib opens the same file with {@code dlopen}, which
 * returns the same loaded library, so the thread count set here is the one its GEMMs use.
 */
final class OpenBlas {

    /** Where JavaCPP's natives jar keeps the libraries; OpenBLAS finds the other three beside it (RUNPATH $ORIGIN). */
    static final String RESOURCE_DIR = "org/bytedeco/openblas/linux-x86_64/";
    static final String LIBRARY = "libopenblas.so.0";
    static final List<String> FILES = List.of(LIBRARY, "libgfortran.so.5", "libquadmath.so.0", "libgcc_s.so.1");

    final Path file;
    private final NativeLibrary library;

    private OpenBlas(Path file, NativeLibrary library) {
        this.file = file;
        this.library = library;
    }

    /** Opens a library by file or by loader name (e.g. {@code libblas.so.3}); fails when it has no {@code sgemm_}. */
    static OpenBlas open(String fileOrName) {
        NativeLibrary lib = NativeLibrary.getInstance(fileOrName);
        lib.getFunction("sgemm_");   // throws UnsatisfiedLinkError when this is no BLAS
        return new OpenBlas(lib.getFile() == null ? Path.of(fileOrName) : lib.getFile().toPath(), lib);
    }

    /** Whether this library is OpenBLAS (it exports OpenBLAS's own functions). */
    boolean isOpenBlas() {
        return function("openblas_get_config") != null;
    }

    /** e.g. {@code OpenBLAS 0.3.31 DYNAMIC_ARCH NO_AFFINITY SapphireRapids MAX_THREADS=64}. */
    String config() {
        Function f = function("openblas_get_config");
        return f == null ? null : f.invokeString(new Object[0], false).trim();
    }

    /** The version number from the config string, e.g. {@code 0.3.31}. */
    String version() {
        String c = config();
        if (c == null) return null;
        String[] words = c.split("\\s+");
        return words.length > 1 && words[0].equals("OpenBLAS") ? words[1] : c;
    }

    /** The kernel OpenBLAS runs on this CPU, e.g. {@code Haswell}, {@code SkylakeX}, {@code SapphireRapids}. */
    String kernel() {
        Function f = function("openblas_get_corename");
        return f == null ? null : f.invokeString(new Object[0], false).trim();
    }

    /** What OpenBLAS reads when it loads: its idle worker threads spin 2^n cycles before they sleep (default 28). */
    static final String THREAD_TIMEOUT_ENV = "OPENBLAS_THREAD_TIMEOUT";

    /**
     * With several BLAS threads an FFN runs its element-wise work on as many Java threads between GEMM
     * calls, and OpenBLAS's workers, spinning about 2^28 cycles after each call, would take their cores.
     * Sets {@value #THREAD_TIMEOUT_ENV} to its minimum (2^4 cycles) unless the environment sets it; only
     * a library loaded after this call reads it.
     */
    static void sleepIdleWorkersAtOnce() {
        try {
            NativeLibrary.getInstance("c").getFunction("setenv").invokeInt(new Object[] {THREAD_TIMEOUT_ENV, "4", 0});
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            // not fatal: the GEMMs are the same, only the element-wise work shares its cores with spinning threads
        }
    }

    int threads() {
        Function f = function("openblas_get_num_threads");
        return f == null ? -1 : f.invokeInt(new Object[0]);
    }

    void setThreads(int threads) {
        Function f = function("openblas_set_num_threads");
        if (f != null) f.invokeVoid(new Object[] {threads});
    }

    private Function function(String name) {
        try {
            return library.getFunction(name);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** The SIMD level an OpenBLAS x86 kernel uses, or null for names it does not know (other architectures). */
    static Cpu.SimdLevel kernelLevel(String kernel) {
        if (kernel == null) return null;
        return switch (kernel.toLowerCase(Locale.ROOT)) {
            case "skylakex", "cooperlake", "sapphirerapids" -> Cpu.SimdLevel.AVX512;
            case "haswell", "zen" -> Cpu.SimdLevel.AVX2;
            case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator" -> Cpu.SimdLevel.AVX;
            case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron", "opteron_sse3", "barcelona",
                 "bobcat", "katmai", "coppermine", "northwood", "banias", "athlon" -> Cpu.SimdLevel.BASELINE;
            default -> null;
        };
    }

    /**
     * The bundled OpenBLAS written out of the classpath into the first directory where it loads:
     * {@code java.io.tmpdir}, then {@code ~/.cache/ffnbench}, then the working directory (a temporary
     * directory mounted {@code noexec} refuses to map libraries). Files are written under a temporary
     * name and renamed, so concurrent JVMs share one copy.
     *
     * @throws IllegalStateException naming what failed where, when no copy loads
     */
    static OpenBlas bundled() {
        if (!System.getProperty("os.name", "").equals("Linux") || !Cpu.current().x86()) {
            throw new IllegalStateException("the bundled OpenBLAS is for Linux x86_64 only (this is "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        }
        if (OpenBlas.class.getClassLoader().getResource(RESOURCE_DIR + LIBRARY) == null) {
            throw new IllegalStateException(RESOURCE_DIR + LIBRARY + " is not on the classpath (org.bytedeco:openblas:"
                    + "linux-x86_64 jar missing)");
        }
        String dirName = "ffnbench-openblas-" + bundledVersion() + "-" + System.getProperty("user.name", "user");
        List<Path> candidates = List.of(Path.of(System.getProperty("java.io.tmpdir")).resolve(dirName),
                Path.of(System.getProperty("user.home"), ".cache", "ffnbench").resolve(dirName),
                Path.of(System.getProperty("user.dir")).resolve(dirName));
        List<String> failures = new ArrayList<>();
        for (Path dir : candidates) {
            try {
                extract(dir);
                return open(dir.resolve(LIBRARY).toAbsolutePath().toString());
            } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
                failures.add(dir + ": " + Blas.firstLine(e));
            }
        }
        throw new IllegalStateException("the bundled OpenBLAS did not load from any of " + failures);
    }

    /** The natives jar's version (JavaCPP's {@code pom.properties}), e.g. {@code 0.3.31-1.5.13}. */
    static String bundledVersion() {
        try (InputStream in = OpenBlas.class.getClassLoader().getResourceAsStream("META-INF/maven/org.bytedeco/openblas/pom.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void extract(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : FILES) {
            Path target = dir.resolve(name);
            java.net.URL url = OpenBlas.class.getClassLoader().getResource(RESOURCE_DIR + name);
            if (url == null) throw new IOException(RESOURCE_DIR + name + " is not on the classpath");
            java.net.URLConnection connection = url.openConnection();
            if (Files.isRegularFile(target) && Files.size(target) == connection.getContentLengthLong()) continue;
            try (InputStream in = connection.getInputStream()) {
                Path tmp = Files.createTempFile(dir, name, ".tmp");
                try {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        }
    }
}
