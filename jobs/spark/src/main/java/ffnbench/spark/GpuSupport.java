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

    public static int precision(SparkConf conf) {
        String p = conf.get(PRECISION, "fp32").toLowerCase(Locale.ROOT);
        return switch (p) {
            case "fp32" -> 0;
            case "tf32" -> 1;
            case "bf16" -> 2;
            default -> throw new IllegalArgumentException(PRECISION + " must be fp32, tf32 or bf16, got '" + p + "'");
        };
    }

    /** The function for a case: the GPU class when the plugin is enabled and its jar is present, else the CPU one. */
    public static BlockFunction blockFunction(BenchCase c, SparkConf conf) {
        return pluginEnabled(conf) && rapidsOnClasspath() ? gpuBlockFunction(c, precision(conf)) : new BlockFunction(c);
    }

    /** The GPU class, loaded by name (plan checks use it directly). */
    public static BlockFunction gpuBlockFunction(BenchCase c, int precision) {
        try {
            return (BlockFunction) Class.forName("ffnbench.gpu.GpuBlockFunction").getConstructor(BenchCase.class, int.class)
                    .newInstance(c, precision);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("the RAPIDS Accelerator jar is needed for the GPU path (rapids-4-spark_2.12 25.04.0 "
                    + "on the classpath: --jars or spark.jars): " + e, e);
        }
    }
}
