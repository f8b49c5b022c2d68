package ffnbench.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Warnings about a JVM's backends that make its measurements unrepresentative of the machine: a
 * BLAS kernel older than the CPU supports, the pure-Java BLAS, a fallback from what was asked for,
 * or activations without SIMD. Each names the cause and the fix. Shown in the log, in
 * {@code ffnbench env}, in {@code summary.md} and in the report.
 */
public final class BackendWarnings {
    private BackendWarnings() {}

    /** The warnings for {@code blas} on {@code cpu}, with the process environment {@code env}. */
    public static List<String> of(BlasInfo blas, Cpu cpu, Map<String, String> env) {
        List<String> out = new ArrayList<>();
        String forced = env.get("OPENBLAS_CORETYPE");
        if (blas.implementation().equals("java")) {
            out.add("the pure-Java BLAS ran (" + (blas.fallbackReason() != null ? blas.fallbackReason() : "ffnbench.blas=java")
                    + "): GEMMs run several times slower than on native OpenBLAS, so throughput figures do not show "
                    + "this machine. Fix: " + (blas.requested().equals("java") ? "drop ffnbench.blas=java"
                    : "use the bundled OpenBLAS (ffnbench.blas=bundled, the default; Linux x86_64) or install the system's "
                    + "(Debian: apt-get install libopenblas0-pthread) and set ffnbench.blas=system") + ".");
        } else if (blas.fallbackReason() != null) {
            out.add("ffnbench.blas=" + blas.requested() + " was asked for but the " + blas.implementation() + " BLAS ran ("
                    + blas.fallbackReason() + "). Fix: see the reason; ffnbench.blas=" + blas.implementation()
                    + " accepts what runs.");
        }
        if (blas.isNative() && blas.version() == null && blas.library() != null) {
            out.add("the native BLAS " + blas.library() + " is not OpenBLAS (its version and kernel are unknown; the reference "
                    + "BLAS is as slow as the pure-Java one). Fix: ffnbench.blas=bundled.");
        }
        Cpu.SimdLevel kernel = OpenBlas.kernelLevel(blas.kernel());
        if (blas.isNative() && kernel != null && cpu.x86() && kernel.compareTo(cpu.level()) < 0) {
            String cause = forced != null
                    ? "because OPENBLAS_CORETYPE=" + forced + " is set in the environment and forces that kernel. Fix: unset "
                    + "OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) for ffnbench's JVMs (env -u OPENBLAS_CORETYPE -u "
                    + "OPENBLAS_L2_SIZE scripts/ffnbench …); the variable exists for old OpenBLAS builds, and OpenBLAS "
                    + blas.version() + " knows this CPU."
                    : "because OpenBLAS " + blas.version() + " does not know this CPU. Fix: use the bundled OpenBLAS "
                    + "(ffnbench.blas=bundled) or a newer system OpenBLAS.";
            out.add("OpenBLAS runs its " + blas.kernel() + " kernel (" + kernel.id() + ") on a CPU with " + cpu.level().id()
                    + " (" + cpu.model() + "): sgemm loses a third to a half of the speed this CPU allows, " + cause);
        }
        int wanted = Blas.requestedThreads();
        if (blas.isNative() && blas.threads() > 0 && blas.threads() != wanted) {
            out.add("OpenBLAS runs " + blas.threads() + " threads per call where " + wanted + " was set ("
                    + Blas.THREADS_PROPERTY + "). Fix: a build of OpenBLAS that allows setting its threads.");
        }
        return out;
    }
}
