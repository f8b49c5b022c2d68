package ffnbench.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The BLAS this test JVM chose, for the {@code ffnbench.blas} setting the suite runs with (Maven
 * property {@code ffnbench.blas}; .ci/run runs the suite once per value).
 */
class BlasTest {
    static final Blas.Choice REQUESTED = Blas.configured();

    @Test
    void runsWhatWasRequestedOrSaysWhyNot() {
        BlasInfo info = Blas.info();
        assertEquals(REQUESTED.id(), info.requested());
        if (info.implementation().equals(REQUESTED.id())) {
            assertNull(info.fallbackReason(), info.toString());
        } else {
            assertNotNull(info.fallbackReason(), "a fallback must say why: " + info);
        }
    }

    /** On Linux x86_64 the bundled OpenBLAS must load: it is on the test classpath like in the application jar. */
    @Test
    void bundledOpenBlasRunsWithItsVersionKernelAndOneThread() {
        if (REQUESTED != Blas.Choice.BUNDLED || !System.getProperty("os.name").equals("Linux") || !Cpu.current().x86()) return;
        BlasInfo info = Blas.info();
        assertEquals("bundled", info.implementation(), info.toString());
        assertEquals("JNIBLAS", info.netlibClass());
        assertTrue(info.version().startsWith("0.3."), info.toString());
        assertNotNull(OpenBlas.kernelLevel(info.kernel()), "an x86 OpenBLAS kernel name: " + info.kernel());
        assertEquals(1, info.threads());
        assertTrue(Files.isRegularFile(Path.of(info.library())), info.library());
        assertTrue(info.config().startsWith("OpenBLAS " + info.version()), info.config());
    }

    @Test
    void javaFallbackIsNamed() {
        if (REQUESTED != Blas.Choice.JAVA) return;
        BlasInfo info = Blas.info();
        assertEquals("java", info.implementation());
        assertTrue(info.netlibClass().endsWith("BLAS") && !info.netlibClass().equals("JNIBLAS"), info.netlibClass());
    }

    @Test
    void sgemmSelfTestMeasuresSomething() {
        double gflops = Blas.sgemmGflops(0.2);
        assertTrue(gflops > 0.5 && gflops < 1e5, "GFLOP/s " + gflops);
    }

    @Test
    void choiceParsesItsNamesAndRefusesOthers() {
        assertEquals(Blas.Choice.SYSTEM, Blas.Choice.parse(" System "));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Blas.Choice.parse("mkl"));
        assertTrue(e.getMessage().contains("bundled, system or java"), e.getMessage());
    }
}
