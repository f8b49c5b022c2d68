package ffnbench.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.backend.Blas;
import ffnbench.backend.BlasInfo;
import ffnbench.backend.Cpu;
import ffnbench.backend.Simd;
import ffnbench.bench.BenchCase;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The backends of a Spark JVM, chosen from the application's Spark configuration, in one place:
 * <ul>
 *   <li>the BLAS: {@code spark.ffnbench.blas} and {@code spark.ffnbench.blas.threads} (the same settings
 *       as the system properties {@code ffnbench.blas} and {@code ffnbench.blas.threads}, which
 *       {@link Blas} reads when the configuration names none). Executors receive the driver's
 *       configuration, so this needs neither {@code spark.executorEnv.*} nor executor Java options
 *       (which some managed clusters refuse);</li>
 *   <li>the block function on the CPU or the GPU: the GPU class ({@code ffnbench.gpu.GpuBlockFunction},
 *       a RAPIDS {@code RapidsUDF}, only in the GPU application jar) when the RAPIDS SQL plugin is
 *       configured and its jar is present; it is named by string and loaded only then, so a CPU-only
 *       deployment never loads it; {@code spark.ffnbench.gpu.precision} sets its GEMM precision.</li>
 * </ul>
 * The SIMD path ({@link ffnbench.backend.Simd}) is whatever the JVM offers. Each choice is logged once
 * per JVM and recorded in {@code summary.json}.
 */
public final class SparkBackends {
    public static final String BLAS_CONF = "spark.ffnbench.blas";
    public static final String BLAS_THREADS_CONF = "spark.ffnbench.blas.threads";

    private static volatile boolean chosen;
    /** The task attempt this thread last reported its executor from (one report per task). */
    private static final ThreadLocal<Long> REPORTED_TASK = ThreadLocal.withInitial(() -> -1L);

    private SparkBackends() {}

    /** Chooses this JVM's backends from its Spark configuration, once; cheap after the first call (one per row). */
    public static void ensureChosen() {
        if (chosen) return;
        SparkEnv env = SparkEnv.get();
        choose(env == null ? null : env.conf());
    }

    /** Chooses from {@code conf} (null: the JVM's system properties alone). */
    static synchronized void choose(SparkConf conf) {
        if (chosen) return;
        if (conf != null && conf.contains(BLAS_THREADS_CONF) && System.getProperty(Blas.THREADS_PROPERTY) == null) {
            System.setProperty(Blas.THREADS_PROPERTY, conf.get(BLAS_THREADS_CONF));
        }
        String requested = conf == null ? null : conf.get(BLAS_CONF, null);
        Blas.use(requested == null ? null : Blas.Choice.parse(requested));
        chosen = true;
    }

    /**
     * Adds this executor's description to {@code report} once per task (the driver keeps one per
     * executor), so the run records the BLAS of every executor that ran its tasks.
     */
    static void reportExecutor(CollectionAccumulator<String> report) {
        TaskContext task = TaskContext.get();
        if (report == null || task == null || REPORTED_TASK.get() == task.taskAttemptId()) return;
        REPORTED_TASK.set(task.taskAttemptId());
        report.add(executorJson());
    }

    /** This JVM as one executor record: id, host, Java, and its BLAS with any warnings about it. */
    static Map<String, Object> describeThisJvm() {
        SparkEnv env = SparkEnv.get();
        BlasInfo blas = Blas.info();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("executor_id", env == null ? "driver" : env.executorId());
        m.put("host", host());
        m.put("java_version", System.getProperty("java.version"));
        m.put("cpu_model", Cpu.current().model());
        m.put("blas", blas.toMap());
        m.put("vector_api_bits", Simd.vectorBits());
        m.put("warnings", ffnbench.backend.Environment.warnings(blas, Cpu.current()));
        return m;
    }

    private static String executorJson() {
        try {
            return new ObjectMapper().writeValueAsString(describeThisJvm());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    // ---- the block function: CPU or GPU ------------------------------------------------------

    public static final String PLUGIN = "com.nvidia.spark.SQLPlugin";
    /** ffnbench's own setting: GEMM precision on the GPU, fp32 (default), tf32 or bf16. */
    public static final String PRECISION = "spark.ffnbench.gpu.precision";

    public static boolean rapidsOnClasspath() {
        return ffnbench.backend.Environment.rapidsUdfClass() != null;
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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SparkBackends.class);
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
                    + "ffnbench-gpu-<spark line>-<version>-app.jar (docs/GPU.md)", PLUGIN);
        }
        return backend(conf).equals("gpu") ? gpuBlockFunction(c, precision(conf)) : new BlockFunction(c);
    }

    /** The GPU class, loaded by name (plan checks use it directly). */
    public static BlockFunction gpuBlockFunction(BenchCase c, String precision) {
        try {
            return (BlockFunction) Class.forName("ffnbench.gpu.GpuBlockFunction").getConstructor(BenchCase.class, String.class)
                    .newInstance(c, precision);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("the GPU path needs ffnbench's GPU classes (ffnbench-gpu-<spark line>-<version>-app.jar, built with "
                    + "mvn -Pgpu package) and the RAPIDS Accelerator jar (rapids-4-spark_2.12 25.04.0: --jars or spark.jars) on the "
                    + "classpath: " + e, e);
        }
    }
}
