package ffnbench.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackendWarningsTest {
    static final Cpu AVX512 = new Cpu("Test Xeon", 2, Set.of("avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"));
    static final Cpu AVX2 = new Cpu("Test Zen 3", 2, Set.of("avx", "avx2", "fma"));

    static BlasInfo openBlas(String kernel) {
        return new BlasInfo("bundled", "bundled", "/tmp/libopenblas.so.0", "0.3.31", kernel, 1, "JNIBLAS",
                "OpenBLAS 0.3.31 DYNAMIC_ARCH", null);
    }

    @Test
    void matchingKernelGivesNoWarning() {
        if (!AVX512.x86()) return;
        assertEquals(List.of(), BackendWarnings.of(openBlas("SkylakeX"), AVX512, Map.of()));
        assertEquals(List.of(), BackendWarnings.of(openBlas("Haswell"), AVX2, Map.of()));
    }

    @Test
    void haswellKernelOnAnAvx512CpuNamesTheForcingVariable() {
        if (!AVX512.x86()) return;
        List<String> w = BackendWarnings.of(openBlas("Haswell"), AVX512, Map.of("OPENBLAS_CORETYPE", "Haswell"));
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("OPENBLAS_CORETYPE=Haswell") && w.get(0).contains("unset OPENBLAS_CORETYPE"), w.get(0));
        assertTrue(w.get(0).contains("avx512"), w.get(0));
    }

    @Test
    void oldKernelWithoutTheVariableBlamesTheLibraryVersion() {
        if (!AVX512.x86()) return;
        List<String> w = BackendWarnings.of(openBlas("Haswell"), AVX512, Map.of());
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("does not know this CPU") && w.get(0).contains("ffnbench.blas=bundled"), w.get(0));
    }

    @Test
    void javaFallbackIsAWarningWithItsReason() {
        BlasInfo java = new BlasInfo("bundled", "java", null, null, "VectorBLAS", 1, "VectorBLAS", null,
                "bundled OpenBLAS unavailable: test");
        List<String> w = BackendWarnings.of(java, AVX512, Map.of());
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("pure-Java BLAS") && w.get(0).contains("bundled OpenBLAS unavailable: test"), w.get(0));
    }

    @Test
    void nonOpenBlasSystemLibraryIsNamed() {
        BlasInfo reference = new BlasInfo("system", "system", "/usr/lib/libblas.so.3", null, null, -1, "JNIBLAS", null, null);
        List<String> w = BackendWarnings.of(reference, AVX512, Map.of());
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("not OpenBLAS"), w.get(0));
    }

    @Test
    void kernelNamesMapToSimdLevels() {
        assertEquals(Cpu.SimdLevel.AVX512, OpenBlas.kernelLevel("SapphireRapids"));
        assertEquals(Cpu.SimdLevel.AVX512, OpenBlas.kernelLevel("Cooperlake"));
        assertEquals(Cpu.SimdLevel.AVX2, OpenBlas.kernelLevel("Zen"));
        assertEquals(Cpu.SimdLevel.AVX, OpenBlas.kernelLevel("Sandybridge"));
        assertEquals(null, OpenBlas.kernelLevel("NeoverseN1"));
    }

    @Test
    void cpuLevelFromFlags() {
        assertEquals(Cpu.SimdLevel.AVX512, AVX512.level());
        assertEquals(Cpu.SimdLevel.AVX2, AVX2.level());
        assertEquals(Cpu.SimdLevel.BASELINE, new Cpu("old", 1, Set.of("sse4_2")).level());
    }
}
