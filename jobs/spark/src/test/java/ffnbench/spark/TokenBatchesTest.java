package ffnbench.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.data.Npy;
import ffnbench.data.TokenGenerator;
import ffnbench.spark.TestSpark;
import ffnbench.spark.TokenBatches;
import ffnbench.weights.MiniLm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenBatchesTest {
    @TempDir
    Path dir;

    static float[] hidden(Row r) {
        List<Float> h = r.getList(3);
        float[] x = new float[h.size()];
        for (int i = 0; i < x.length; i++) x[i] = h.get(i);
        return x;
    }

    @Test
    void sameSeedSameDataWhateverThePartitioning() {
        SparkSession spark = TestSpark.session();
        List<Row> one = TokenBatches.generate(spark, 9, 5, 16, TokenGenerator.Distribution.LLM, 3, 1).orderBy("seq_id").collectAsList();
        List<Row> four = TokenBatches.generate(spark, 9, 5, 16, TokenGenerator.Distribution.LLM, 3, 4).orderBy("seq_id").collectAsList();
        assertEquals(9, one.size());
        for (int i = 0; i < 9; i++) {
            assertEquals(i, one.get(i).getLong(0));
            assertEquals(5, one.get(i).getInt(1));
            assertEquals(16, one.get(i).getInt(2));
            assertArrayEquals(hidden(one.get(i)), hidden(four.get(i)));
        }
    }

    /**
     * Token batches are written uncompressed, never over an existing path, and read back as they were written.
     * (Uncompressed pages have no codec to trip over a changed byte: the page checksums catch it, next test.)
     */
    @Test
    void tokenBatchesAreWrittenUncompressed(@TempDir Path tmp) throws Exception {
        SparkSession spark = TestSpark.session();
        String path = tmp.resolve("tokens.parquet").toString();
        Dataset<Row> tokens = TokenBatches.generate(spark, 6, 8, 16, TokenGenerator.Distribution.GAUSSIAN, 5, 2);
        TokenBatches.writer(tokens).parquet(path);
        List<Path> parts;
        try (var files = Files.list(Path.of(path))) {
            parts = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList();
        }
        assertEquals(2, parts.size());
        for (Path part : parts) {
            var in = org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(part.toString()),
                    new org.apache.hadoop.conf.Configuration());
            try (var reader = org.apache.parquet.hadoop.ParquetFileReader.open(in)) {
                for (var block : reader.getFooter().getBlocks()) {
                    for (var column : block.getColumns()) {
                        assertEquals(org.apache.parquet.hadoop.metadata.CompressionCodecName.UNCOMPRESSED, column.getCodec(), column.getPath().toString());
                    }
                }
            }
        }
        List<Row> back = TokenBatches.read(spark, path).orderBy("seq_id").collectAsList();
        List<Row> expected = tokens.orderBy("seq_id").collectAsList();
        for (int i = 0; i < expected.size(); i++) assertArrayEquals(hidden(expected.get(i)), hidden(back.get(i)));
        org.junit.jupiter.api.Assertions.assertThrows(org.apache.spark.sql.AnalysisException.class,
                () -> TokenBatches.writer(tokens).parquet(path), "never over an existing path");
    }

    /** A data page changed on disk fails the read, naming the file, instead of feeding changed values into a run. */
    @Test
    void aCorruptedDataPageFailsTheReadNamingTheFile(@TempDir Path tmp) throws Exception {
        SparkSession spark = TestSpark.session();
        String path = tmp.resolve("tokens.parquet").toString();
        TokenBatches.writer(TokenBatches.generate(spark, 64, 32, 64, TokenGenerator.Distribution.GAUSSIAN, 5, 1)).parquet(path);
        Path part;
        try (var files = Files.list(Path.of(path))) {
            part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(part);
        for (int i = bytes.length / 2; i < bytes.length / 2 + 4096; i++) bytes[i] ^= 0x5A;   // 4 KB inside the hidden column's pages
        Files.write(part, bytes);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> TokenBatches.read(spark, path).selectExpr("aggregate(hidden, 0D, (a, x) -> a + x) AS s").agg(
                        org.apache.spark.sql.functions.sum("s")).collectAsList());
        String all = new StringBuilder().append(e).append(e.getCause()).append(e.getCause() == null ? "" : e.getCause().getCause()).toString();
        assertTrue(all.contains(part.getFileName().toString()), all);
        assertTrue(all.toLowerCase(java.util.Locale.ROOT).contains("checksum"), all);
    }

    /** Files that are not Parquet (empty, truncated, something else): the error names the file and why. */
    @Test
    void unreadableParquetIsNamedWithItsCause(@TempDir Path tmp) throws Exception {
        SparkSession spark = TestSpark.session();
        String good = tmp.resolve("good.parquet").toString();
        TokenBatches.generate(spark, 4, 8, 16, TokenGenerator.Distribution.GAUSSIAN, 5, 1).write().parquet(good);
        byte[] bytes;
        try (var files = Files.list(Path.of(good))) {
            bytes = Files.readAllBytes(files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow());
        }
        java.util.Map<String, byte[]> bad = java.util.Map.of("empty.parquet", new byte[0],
                "truncated.parquet", java.util.Arrays.copyOf(bytes, bytes.length / 2), "text.parquet", "seq_id,hidden\n".getBytes());
        for (var e : bad.entrySet()) {
            Path f = tmp.resolve(e.getKey());
            Files.write(f, e.getValue());
            IllegalArgumentException x = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> TokenBatches.shape(TokenBatches.read(spark, f.toString()), f.toString()));
            assertTrue(x.getMessage().contains(e.getKey()) && !x.getMessage().contains("awaitResult")
                    && x.getMessage().toLowerCase(java.util.Locale.ROOT).contains("parquet"), x.getMessage());
        }
    }

    @Test
    void llmDistributionHasOutlierChannelsAndAMassiveFirstToken() {
        TokenGenerator g = new TokenGenerator(11, 256, TokenGenerator.Distribution.LLM);
        int[] outliers = g.outlierChannels();
        assertEquals(2, outliers.length);
        float[] x = g.sequence(0, 64);
        double outlierMean = 0, otherMean = 0;
        for (int t = 1; t < 64; t++) {
            outlierMean += Math.abs(x[t * 256 + outliers[0]]);
            otherMean += Math.abs(x[t * 256 + (outliers[0] + 1) % 256]);
        }
        assertTrue(outlierMean > 10 * otherMean, "outlier channel dominates");
        assertTrue(Math.abs(x[outliers[0]]) > 5 * outlierMean / 63, "first token is massive");
    }

    @Test
    void npyRoundTripThroughParquet() throws Exception {
        SparkSession spark = TestSpark.session();
        float[] data = new TokenGenerator(1, 8, TokenGenerator.Distribution.GAUSSIAN).sequence(0, 3 * 4);
        Path npy = dir.resolve("x.npy");
        Npy.write(npy, new long[] {3, 4, 8}, data);
        String parquet = dir.resolve("x.parquet").toString();
        TokenBatches.fromNpy(spark, npy, 2).write().parquet(parquet);
        Dataset<Row> back = TokenBatches.read(spark, parquet);
        assertEquals(new TokenBatches.Shape(3, 12, 8, 4, 4), TokenBatches.shape(back, parquet));
        Path out = dir.resolve("y.npy");
        TokenBatches.toNpy(back, out);
        Npy.Array y = Npy.read(out);
        assertArrayEquals(new long[] {3, 4, 8}, y.shape());
        assertArrayEquals(data, y.data());
    }

    @Test
    void textThroughTheRealModel() throws Exception {
        SparkSession spark = TestSpark.session();
        List<String> lines = List.of("The quick brown fox jumps over the lazy dog.", "", "Spark runs it.");
        List<Row> rows = TokenBatches.fromMiniLmText(spark, lines, 1, 128, 1).orderBy("seq_id").collectAsList();
        assertEquals(2, rows.size());
        assertEquals(12, rows.get(0).getInt(1));
        int[] ids = MiniLm.tokenizer().encode(lines.get(0), 128);
        assertArrayEquals(MiniLm.hiddenStates(ids, 1), hidden(rows.get(0)));
        assertTrue(Files.isRegularFile(Path.of(System.getProperty("ffnbench.repo", "."), "data/sample/minilm-layer0-input.parquet")
                .resolve(Files.list(Path.of(System.getProperty("ffnbench.repo", "."), "data/sample/minilm-layer0-input.parquet"))
                        .filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow().getFileName())));
    }
}
