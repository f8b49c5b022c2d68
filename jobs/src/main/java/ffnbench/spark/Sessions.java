package ffnbench.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Spark sessions for ffnbench's jobs: the one spark-submit configured, or an embedded local one. */
public final class Sessions {
    private Sessions() {}

    /**
     * Gets or creates the session. Under spark-submit the master comes from its configuration;
     * otherwise {@code master} (e.g. {@code local[2]}) starts Spark in this JVM.
     */
    public static SparkSession getOrCreate(String appName, String master) {
        SparkConf conf = new SparkConf(true);
        SparkSession.Builder b = SparkSession.builder().appName(appName);
        if (!conf.contains("spark.master")) {
            b.master(master == null ? "local[*]" : master)
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1");
        } else if (master != null) {
            b.master(master);
        }
        // One BLAS thread per task on executors (local mode: set OPENBLAS_NUM_THREADS before the JVM starts).
        if (!conf.contains("spark.executorEnv.OPENBLAS_NUM_THREADS")) {
            b.config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
        }
        return b.getOrCreate();
    }
}
