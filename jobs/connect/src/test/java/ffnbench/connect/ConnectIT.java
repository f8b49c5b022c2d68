package ffnbench.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.data.Npy;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ffnbench over Spark Connect, as Databricks notebooks, Databricks Connect and PySpark clients use it:
 * a real Spark Connect server (Spark's own SparkConnectServer, from the Maven-resolved jars, on
 * 127.0.0.1) and this JVM as a Connect client, which uploads the application jar as an artifact,
 * registers {@code ffn_mlp} and {@code ffn_block} as Java UDFs and runs them over a token Parquet
 * file. The outputs must match {@code ffnbench forward} on the same tokens in local mode.
 */
class ConnectIT {
    static final Path REPO = Path.of(System.getProperty("ffnbench.repo", "../..")).toAbsolutePath().normalize();
    static final String BUILD = System.getProperty("ffnbench.build.id", "spark4_2.13");
    static final Path APP_JAR = REPO.resolve("target/ffnbench-" + BUILD + "-0.1.0-SNAPSHOT-app.jar");
    static final int SEQUENCES = 5, SEQ_LEN = 8, D_MODEL = 384;   // MiniLM's width

    static Path dir;
    static Process server;
    static int port;

    @BeforeAll
    static void startServerAndMakeTheReference() throws Exception {
        dir = Files.createTempDirectory("ffnbench-connect");
        String tokens = dir.resolve("tokens.parquet").toString();
        ffnbench("generate", "--output", tokens, "--sequences", "" + SEQUENCES, "--seq-len", "" + SEQ_LEN,
                "--d-model", "" + D_MODEL, "--seed", "3", "--partitions", "2");
        ffnbench("forward", "--model", "minilm", "--layer", "0", "--part", "mlp", "--input", tokens,
                "--output", dir.resolve("mlp.npy").toString());
        ffnbench("forward", "--model", "minilm", "--layer", "0", "--part", "block", "--formulation", "parallel",
                "--input", tokens, "--output", dir.resolve("block.npy").toString());

        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(pomProperty("spark.java.flags").split(" ")));
        cmd.addAll(List.of("-Xmx2g", "-Dspark.master=local[2]", "-Dspark.ui.enabled=false",
                "-Dspark.connect.grpc.binding.address=127.0.0.1", "-Dspark.connect.grpc.binding.port=" + port,
                "-Dlog4j2.configurationFile=" + REPO.resolve("conf/log4j2.properties"),
                "-cp", Files.readString(REPO.resolve("target/" + BUILD + "/spark-classpath.txt")).trim(),
                "org.apache.spark.sql.connect.service.SparkConnectServer"));
        Path log = dir.resolve("connect-server.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        server = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!listening(port)) {
            assertTrue(server.isAlive() && System.nanoTime() < deadline, "the Connect server did not start:\n" + Files.readString(log));
            Thread.sleep(200);
        }
    }

    static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theSqlFunctionsRunOverConnectAndMatchLocalMode() throws Exception {
        SparkSession spark = SparkSession.builder().remote("sc://127.0.0.1:" + port).getOrCreate();
        try {
            spark.addArtifact(APP_JAR.toString());
            spark.udf().registerJava("ffn_mlp", "ffnbench.spark.FfnFunctions$Mlp", DataTypes.createArrayType(DataTypes.FloatType));
            spark.udf().registerJava("ffn_block", "ffnbench.spark.FfnFunctions$Block", DataTypes.createArrayType(DataTypes.FloatType));
            spark.read().parquet(dir.resolve("tokens.parquet").toString()).createOrReplaceTempView("tokens");
            List<Row> rows = spark.sql("SELECT seq_id, ffn_mlp(hidden, 'minilm', 0) AS mlp, "
                    + "ffn_block(hidden, seq_len, 'minilm', 0, 'parallel') AS block FROM tokens ORDER BY seq_id").collectAsList();

            Npy.Array mlp = Npy.read(dir.resolve("mlp.npy")), block = Npy.read(dir.resolve("block.npy"));
            assertEquals(SEQUENCES, rows.size());
            for (Row r : rows) {
                int s = (int) r.getLong(0);
                // forward runs the MLP over all tokens in one GEMM, ffn_mlp over one row's tokens: OpenBLAS may
                // sum in another order for another row count. The block runs per sequence in both.
                assertClose(mlp.data(), s, r.getList(1), 1e-4, "ffn_mlp, sequence " + s);
                assertClose(block.data(), s, r.getList(2), 1e-6, "ffn_block, sequence " + s);
            }
        } finally {
            spark.close();
        }
    }

    static void assertClose(float[] reference, int sequence, List<Object> values, double tolerance, String what) {
        int n = SEQ_LEN * D_MODEL;
        assertEquals(n, values.size(), what);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            float want = reference[sequence * n + i], got = (Float) values.get(i);
            worst = Math.max(worst, Math.abs(got - want) / Math.max(1, Math.abs(want)));
        }
        assertTrue(worst <= tolerance, what + ": largest difference from local mode " + worst + " (at most " + tolerance + ")");
    }

    /** scripts/ffnbench on this build's Spark line, in local mode. */
    static void ffnbench(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(REPO.resolve("scripts/ffnbench").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0, String.join(" ", args) + " failed:\n" + out);
    }

    static String pomProperty(String name) throws IOException {
        String pom = Files.readString(REPO.resolve("pom.xml"));
        int start = pom.indexOf("<" + name + ">") + name.length() + 2;
        return pom.substring(start, pom.indexOf("</" + name + ">", start)).trim();
    }
}
