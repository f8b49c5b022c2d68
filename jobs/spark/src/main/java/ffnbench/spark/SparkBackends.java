package ffnbench.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.backend.Blas;
import ffnbench.backend.BlasInfo;
import ffnbench.backend.Cpu;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The backends of a Spark JVM, chosen from the application's Spark configuration: {@code
 * spark.ffnbench.blas} and {@code spark.ffnbench.blas.threads} (the same settings as the system
 * properties {@code ffnbench.blas} and {@code ffnbench.blas.threads}, which {@link Blas} reads when
 * the configuration names none). Executors receive the driver's configuration, so this needs
 * neither {@code spark.executorEnv.*} nor executor Java options (which some managed clusters refuse).
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
}
