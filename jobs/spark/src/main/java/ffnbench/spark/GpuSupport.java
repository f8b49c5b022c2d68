package ffnbench.spark;

import ffnbench.bench.BenchCase;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.SparkConf;

/**
 * Chooses the CPU or GPU implementation of the block function when it is registered. The GPU class
 * ({@code ffnbench.gpu.GpuBlockFunction}) implements the RAPIDS {@code RapidsUDF} interface, which
 * exists only in the RAPIDS Accelerator's jar, so it is named here by string and loaded only when
 * the plugin is configured and its jar is present: a CPU-only deployment without the jar never
 * loads it.
 */
public final class GpuSupport {
    public static final String PLUGIN = "com.nvidia.spark.SQLPlugin";
    /** ffnbench's own setting: GEMM precision on the GPU, fp32 (default), tf32 or bf16. */
    public static final String PRECISION = "spark.ffnbench.gpu.precision";

    private GpuSupport() {}

    public static boolean rapidsOnClasspath() {
        try {
            Class.forName("com.nvidia.spark.RapidsUDF", false, GpuSupport.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** The RAPIDS SQL plugin is configured and not switched off (explain-only mode counts: it plans as if on a GPU). */
    public static boolean pluginEnabled(SparkConf conf) {
        boolean listed = Arrays.stream(conf.get("spark.plugins", "").split(",")).map(String::trim).anyMatch(PLUGIN::equals);
        return listed && conf.getBoolean("spark.rapids.sql.enabled", true);
    }

    /** The GPU precision setting, checked: {@code fp32}, {@code tf32} or {@code bf16}. */
    public static String precision(SparkConf conf) {
        String p = conf.get(PRECISION, "fp32").trim().toLowerCase(Locale.ROOT);
        if (!java.util.Set.of("fp32", "tf32", "bf16").contains(p)) {
            throw new IllegalArgumentException(PRECISION + " must be fp32, tf32 or bf16, got '" + p + "'");
        }
        return p;
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GpuSupport.class);
    private static volatile boolean missingJarLogged;

    /** Where the block function runs for this configuration: {@code gpu} (RAPIDS plugin on and its jar present) or {@code cpu}. */
    public static String backend(SparkConf conf) {
        return pluginEnabled(conf) && rapidsOnClasspath() ? "gpu" : "cpu";
    }

    /**
     * The function for a case: the GPU class when the plugin is enabled and its jar is present, else
     * the CPU one. A plugin configured without its jar is said once, in the log, with the fix.
     */
    public static BlockFunction blockFunction(BenchCase c, SparkConf conf) {
        if (pluginEnabled(conf) && !rapidsOnClasspath() && !missingJarLogged) {
            missingJarLogged = true;
            LOG.warn("spark.plugins names {} but the RAPIDS Accelerator jar is not on the classpath: the block function runs on "
                    + "the CPU. Fix: add rapids-4-spark_2.12-25.04.0.jar (--jars or spark.jars) and use "
                    + "ffnbench-gpu-<version>-app.jar (docs/GPU.md)", PLUGIN);
        }
        return backend(conf).equals("gpu") ? gpuBlockFunction(c, precision(conf)) : new BlockFunction(c);
    }

    /** The GPU class, loaded by name (plan checks use it directly). */
    public static BlockFunction gpuBlockFunction(BenchCase c, String precision) {
        try {
            return (BlockFunction) Class.forName("ffnbench.gpu.GpuBlockFunction").getConstructor(BenchCase.class, String.class)
                    .newInstance(c, precision);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("the GPU path needs ffnbench's GPU classes (ffnbench-gpu-<version>-app.jar, built with "
                    + "mvn -Pgpu package) and the RAPIDS Accelerator jar (rapids-4-spark_2.12 25.04.0: --jars or spark.jars) on the "
                    + "classpath: " + e, e);
        }
    }
}
