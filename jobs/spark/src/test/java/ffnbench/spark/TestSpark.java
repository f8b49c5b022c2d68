package ffnbench.spark;

import org.apache.spark.sql.SparkSession;

/** One local Spark session shared by the test classes of this JVM (local[2], up to 4 attempts per task). */
public final class TestSpark {
    private static SparkSession spark;

    private TestSpark() {}

    public static synchronized SparkSession session() {
        if (spark == null) {
            SparkSession.Builder b = SparkSession.builder().master("local[2,4]").appName("ffnbench-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4");
            Sessions.PARQUET_CHECKSUMS.forEach(b::config);
            spark = b.getOrCreate();
        }
        return spark;
    }
}
