package ffnbench.backend;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that chooses the BLAS every GEMM of this JVM runs on (driver and executors alike).
 *
 * <p>The setting {@code ffnbench.blas} (JVM system property; in Spark configuration
 * {@code spark.ffnbench.blas}) asks for one of:
 * <ul>
 *   <li>{@code bundled} (default): the OpenBLAS inside ffnbench's jar, whatever the machine has installed;</li>
 *   <li>{@code system}: the machine's {@code libblas.so.3} (Debian: {@code libopenblas0-pthread});</li>
 *   <li>{@code java}: netlib's pure-Java BLAS (VectorBLAS with the Vector API).</li>
 * </ul>
 * When the bundled library cannot be used the system one runs, then the Java one; the reason is
 * kept in {@link BlasInfo#fallbackReason()}. Both native routes go through netlib's JNI binding,
 * which calls the library on the Java arrays in place (no copies). The thread count is set here, in
 * code: {@code ffnbench.blas.threads}, default 1 (one per Spark task). The choice is made once per
 * JVM, on first use, and logged in one line.
 */
public final class Blas {

    /** What {@code ffnbench.blas} can ask for. */
    public enum Choice {
        BUNDLED, SYSTEM, JAVA;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Choice parse(String s) {
            for (Choice c : values()) if (c.id().equals(s.trim().toLowerCase(Locale.ROOT))) return c;
            throw new IllegalArgumentException(PROPERTY + " must be bundled, system or java, got '" + s + "'");
        }
    }

    public static final String PROPERTY = "ffnbench.blas";
    public static final String THREADS_PROPERTY = "ffnbench.blas.threads";
    /** netlib's JNI binding opens this file when the property is set, else {@code libblas.so.3}. */
    static final String NETLIB_LIBRARY_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
    static final String NETLIB_LIBRARY_NAME = "dev.ludovic.netlib.blas.nativeLib";

    private static final Logger LOG = LoggerFactory.getLogger(Blas.class);

    private record Selected(BLAS impl, BlasInfo info) { }

    private static volatile Selected selected;

    private Blas() {}

    /** The BLAS to call (chosen on first use). */
    public static BLAS impl() {
        Selected s = selected;
        return s != null ? s.impl : select(null).impl;
    }

    /** What runs (chosen on first use). */
    public static BlasInfo info() {
        Selected s = selected;
        return s != null ? s.info : select(null).info;
    }

    /**
     * Chooses this JVM's BLAS unless it is chosen already, asking for {@code requested} (null: the
     * {@code ffnbench.blas} system property, else bundled). A later, different request cannot change
     * the choice: it is logged once and the chosen BLAS stays.
     */
    public static BlasInfo use(Choice requested) {
        Selected s = selected;
        if (s == null) s = select(requested);
        if (requested != null && !requested.id().equals(s.info.requested()) && !laterRequestLogged) {
            laterRequestLogged = true;
            LOG.warn("ffnbench.blas={} was asked for after this JVM had chosen {}; the choice stays ({})", requested.id(),
                    s.info.requested(), s.info.summary());
        }
        return s.info;
    }

    private static volatile boolean laterRequestLogged;

    /** BLAS threads per call asked for: {@code ffnbench.blas.threads}, default 1 (one per Spark task). */
    public static int requestedThreads() {
        return Integer.getInteger(THREADS_PROPERTY, 1);
    }

    /** The request from the system property, or the default. */
    public static Choice configured() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? Choice.BUNDLED : Choice.parse(p);
    }

    private static synchronized Selected select(Choice requested) {
        if (selected != null) return selected;
        Choice choice = requested != null ? requested : configured();
        Selected s = load(choice, requestedThreads());
        selected = s;
        LOG.info("ffnbench BLAS: {}{}", s.info.summary(), s.info.library() != null ? " from " + s.info.library() : "");
        for (String w : BackendWarnings.of(s.info, Cpu.current(), System.getenv())) LOG.warn(w);
        return s;
    }

    private static Selected load(Choice choice, int threads) {
        if (choice != Choice.JAVA && netlibAlreadyLoaded()) {
            // Something in this JVM (Spark MLlib, say) opened netlib's native binding first: it stays.
            return nativeSelected(choice, threads, null, "netlib's native BLAS was opened in this JVM before ffnbench chose");
        }
        if (threads > 1 && choice != Choice.JAVA) OpenBlas.sleepIdleWorkersAtOnce();   // before the library loads
        String reason = null;
        if (choice == Choice.BUNDLED) {
            try {
                OpenBlas lib = OpenBlas.bundled();
                System.setProperty(NETLIB_LIBRARY_PATH, lib.file.toString());
                return nativeSelected(choice, threads, lib, null);
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                reason = "bundled OpenBLAS unavailable: " + firstLine(e);
                System.clearProperty(NETLIB_LIBRARY_PATH);
            }
        }
        if (choice != Choice.JAVA) {
            String name = System.getProperty(NETLIB_LIBRARY_NAME, "libblas.so.3");
            try {
                OpenBlas.open(name);   // present and a BLAS: netlib's binding will open the same file
                return nativeSelected(choice, threads, null, reason);
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                reason = (reason != null ? reason + "; " : "") + "no system BLAS (" + firstLine(e) + ")";
            }
        }
        return javaSelected(choice, reason);
    }

    /**
     * netlib's JNI binding, on the bundled library {@code bundled} (already opened, its path set for
     * netlib) or, when null, on the system's; with the thread count set.
     */
    private static Selected nativeSelected(Choice choice, int threads, OpenBlas bundled, String reason) {
        BLAS impl;
        try {
            impl = NativeBLAS.getInstance();
        } catch (RuntimeException | LinkageError e) {
            return javaSelected(choice, (reason != null ? reason + "; " : "") + "netlib's JNI binding failed: " + firstLine(e));
        }
        String netlibClass = impl.getClass().getSimpleName();
        OpenBlas lib = bundled != null ? bundled : openMapped();   // the file netlib opened
        String implementation = bundled != null ? "bundled" : "system";
        if (!implementation.equals(choice.id()) && reason == null) reason = "not available";
        if (lib == null) {
            return new Selected(impl, new BlasInfo(choice.id(), implementation, null, null, null, -1, netlibClass, null, reason));
        }
        boolean openBlas = lib.isOpenBlas();
        if (openBlas) lib.setThreads(threads);
        return new Selected(impl, new BlasInfo(choice.id(), implementation, lib.file.toString(), lib.version(), lib.kernel(),
                openBlas ? lib.threads() : -1, netlibClass, lib.config(), reason));
    }

    private static Selected javaSelected(Choice choice, String reason) {
        BLAS java = JavaBLAS.getInstance();
        String cls = java.getClass().getSimpleName();
        return new Selected(java, new BlasInfo(choice.id(), "java", null, null, cls, 1, cls, null, reason));
    }

    /** A failure's first line, with the next when the first ends in a colon (JNA's messages go on to list the whole classpath). */
    static String firstLine(Throwable e) {
        String[] lines = String.valueOf(e.getMessage()).strip().split("\\R");
        return lines[0].endsWith(":") && lines.length > 1 ? lines[0] + " " + lines[1].strip() : lines[0].strip();
    }

    /** Whether netlib's JNI library is already mapped into this process. */
    private static boolean netlibAlreadyLoaded() {
        return mappedFiles().stream().anyMatch(f -> f.contains("netlibblasjni"));
    }

    /** The BLAS library file netlib opened, found among the process's mapped files. */
    private static OpenBlas openMapped() {
        for (String f : mappedFiles()) {
            String name = Path.of(f).getFileName().toString();
            if ((name.startsWith("libopenblas") || name.startsWith("libblas")) && name.contains(".so")) {
                try {
                    return OpenBlas.open(f);
                } catch (RuntimeException | UnsatisfiedLinkError e) {
                    // not the BLAS after all: keep looking
                }
            }
        }
        return null;
    }

    private static List<String> mappedFiles() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .map(l -> l.indexOf('/') < 0 ? "" : l.substring(l.indexOf('/')))
                    .filter(s -> !s.isEmpty()).distinct().toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /**
     * A short sgemm self-test: the GFLOP/s of {@code [512 × 1024] · [1024 × 2816]} products (an FFN
     * input projection of 512 tokens) over about {@code seconds}, after one warm-up call, on this
     * JVM's BLAS and thread count.
     */
    public static double sgemmGflops(double seconds) {
        int m = 512, k = 1024, n = 2816;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
        for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() - 0.5);
        BLAS blas = impl();
        blas.sgemm("N", "N", n, m, k, 1f, b, n, a, k, 0f, c, n);   // row-major C = A·B, as ffnbench.math.Gemm calls it
        long calls = 0, start = System.nanoTime(), elapsed;
        do {
            blas.sgemm("N", "N", n, m, k, 1f, b, n, a, k, 0f, c, n);
            calls++;
            elapsed = System.nanoTime() - start;
        } while (elapsed < seconds * 1e9);
        return 2.0 * m * k * n * calls / elapsed;
    }
}
