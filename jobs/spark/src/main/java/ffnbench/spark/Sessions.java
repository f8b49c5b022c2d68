package ffnbench.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Spark sessions for ffnbench's jobs: the one spark-submit configured, or an embedded local one. */
public final class Sessions {
    private Sessions() {}

    /** Parquet's (Hadoop configuration) switch for verifying page checksums on read. */
    public static final String VERIFY_PAGE_CHECKSUMS = "parquet.page.verify-checksum.enabled";

    /**
     * Parquet page checksums, written and verified: a data page corrupted on disk then fails the read
     * naming the file, instead of feeding changed values into a run that looks successful. Set on every
     * session ffnbench creates, unless the configuration sets them itself.
     */
    public static final java.util.Map<String, String> PARQUET_CHECKSUMS = java.util.Map.of(
            "spark.hadoop.parquet.page.write-checksum.enabled", "true",
            "spark.hadoop." + VERIFY_PAGE_CHECKSUMS, "true");

    /**
     * Gets or creates the session. Under spark-submit the master comes from its configuration;
     * otherwise {@code master} (e.g. {@code local[2]}) starts Spark in this JVM.
     */
    public static SparkSession getOrCreate(String appName, String master) {
        SparkConf conf = new SparkConf(true);
        String effective = master != null ? master : conf.get("spark.master", "local[*]");
        requireReachable(effective);
        if (SparkBackends.pluginEnabled(conf) && SparkBackends.rapidsOnClasspath()) {
            // RAPIDS 25.04 adds its shim classes to the thread's context class loader and needs it to be
            // a URLClassLoader, which Java 17's application loader is not (spark-rapids issue 14506).
            Thread t = Thread.currentThread();
            if (!(t.getContextClassLoader() instanceof java.net.URLClassLoader)) {
                t.setContextClassLoader(new java.net.URLClassLoader(new java.net.URL[0], t.getContextClassLoader()));
            }
        }
        SparkSession.Builder b = SparkSession.builder().appName(appName);
        PARQUET_CHECKSUMS.forEach((key, value) -> {
            if (!conf.contains(key)) b.config(key, value);
        });
        if (!conf.contains("spark.master")) {
            b.master(master == null ? "local[*]" : master)
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1");
        } else if (master != null) {
            b.master(master);
        }
        SparkSession spark = b.getOrCreate();
        // The driver's backends (and in local mode the executors'): executors choose theirs from the same configuration.
        SparkBackends.choose(spark.sparkContext().getConf());
        return spark;
    }

    /**
     * Fails fast, naming the URL, when a standalone master does not answer: Spark itself would retry
     * for about a minute before giving up with "All masters are unresponsive".
     */
    static void requireReachable(String master) {
        if (!master.startsWith("spark://")) return;
        String failure = null;
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1).replaceAll("/.*", ""));
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(host, port), 5000);
                return;
            } catch (java.io.IOException e) {
                failure = host + ":" + port + " (" + e.getMessage() + ")";
            }
        }
        throw new IllegalArgumentException("the Spark master " + master + " does not answer at " + failure
                + ": start it (scripts/cluster start) or correct --master");
    }

    /**
     * What one executor has for the memory planner: in local mode the driver JVM itself (its -Xmx,
     * shared by local[N]'s N tasks); on a cluster spark.executor.memory shared by
     * spark.executor.cores / spark.task.cpus tasks.
     */
    public static ffnbench.bench.MemoryPlan.Budget memoryBudget(SparkSession spark) {
        SparkConf conf = spark.sparkContext().conf();
        if (spark.sparkContext().isLocal()) {
            return new ffnbench.bench.MemoryPlan.Budget(Runtime.getRuntime().maxMemory(), ffnbench.bench.MemoryPlan.largeArrayCapacity(),
                    spark.sparkContext().defaultParallelism(),
                    "local mode: the driver JVM's heap, -Xmx", "raise the driver heap (FFNBENCH_DRIVER_MEMORY=16g scripts/ffnbench …, "
                    + "or spark-submit --driver-memory)");
        }
        long heap = conf.getSizeAsBytes("spark.executor.memory", "1g");
        int tasks = Math.max(1, conf.getInt("spark.executor.cores", 1) / conf.getInt("spark.task.cpus", 1));
        long largeArrays = ffnbench.bench.MemoryPlan.largeArrayCapacity(heap, conf.get("spark.executor.extraJavaOptions", ""));
        return new ffnbench.bench.MemoryPlan.Budget(heap, largeArrays, tasks, "spark.executor.memory",
                "raise spark.executor.memory (spark-submit --executor-memory)");
    }
}
