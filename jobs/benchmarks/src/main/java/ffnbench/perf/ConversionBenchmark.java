package ffnbench.perf;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import ffnbench.spark.BenchJob;
import ffnbench.spark.TokenBatches;
import ffnbench.data.TokenGenerator;
import ffnbench.spark.Sessions;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import scala.runtime.AbstractFunction1;

/**
 * What it costs to get Spark's {@code ARRAY<FLOAT>} into a Java {@code float[]} on the CPU path,
 * measured side by side on the same Parquet data: (1) the Parquet scan alone, (2) a typed input
 * encoder (the SQL function {@code ffn_block}; Spark 3.5 builds its {@code float[]} through
 * {@code mapobjects}, one boxed value each), (3) a plain Java {@code UDF1} receiving a Scala
 * {@code Seq} of boxed floats, (4) Spark's internal rows, {@code UnsafeArrayData.toFloatArray} (the
 * CPU bench path, {@code SparkFunctions.applyToRows}), (5) the same from a Snappy-compressed copy of
 * the file (Spark's default codec; ffnbench writes token batches uncompressed, {@code TokenBatches.writer}),
 * (6) the same without verifying Parquet's page checksums (ffnbench's sessions verify them), and
 * (7) the same with nested columns read row by row, Spark 3.5's default, which the bench job
 * switches off ({@code BenchJob.configureTokenReader}). All but (6) and (7) read as the bench job
 * does. Each function reads only its first and last value, so what it costs beyond the scan is
 * getting the array to it. Rounds are interleaved; medians are
 * reported.
 */
public final class ConversionBenchmark {
    private ConversionBenchmark() {}

    /** First + last value of a primitive array (typed-encoder path). */
    static final class SumPrimitive extends AbstractFunction1<float[], Object> implements Serializable {
        @Override
        public Object apply(float[] x) {
            return (double) x[0] + x[x.length - 1];
        }
    }

    /** First + last value of a Seq of boxed floats (plain Java UDF path). */
    static final class SumBoxed implements UDF1<scala.collection.Seq<Object>, Double> {
        @Override
        public Double call(scala.collection.Seq<Object> x) {
            return (double) (Float) x.apply(0) + (Float) x.apply(x.length() - 1);
        }
    }

    /** Times one run of a fresh query (re-running one Dataset can reuse its shuffle output and skip the scan). */
    static double time(java.util.function.Supplier<Dataset<Row>> q) {
        Dataset<Row> d = q.get();
        long t = System.nanoTime();
        d.collectAsList();
        return (System.nanoTime() - t) / 1e9;
    }

    /** {@code ConversionBenchmark [sequences] [seq_len] [d_model] [rounds] [master]}. */
    public static void main(String[] args) throws Exception {
        long sequences = args.length > 0 ? Long.parseLong(args[0]) : 2000;
        int seqLen = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int d = args.length > 2 ? Integer.parseInt(args[2]) : 768;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        SparkSession spark = Sessions.getOrCreate("ffnbench conversion benchmark", args.length > 4 ? args[4] : "local[2]");
        Path dir = Files.createTempDirectory("ffnbench-conversion");
        String path = dir.resolve("tokens.parquet").toString();
        Dataset<Row> generated = TokenBatches.generate(spark, sequences, seqLen, d, TokenGenerator.Distribution.GAUSSIAN, 1, 2);
        TokenBatches.writer(generated).parquet(path);
        String snappyPath = dir.resolve("tokens-snappy.parquet").toString();   // the same rows, as Spark writes by default
        TokenBatches.writer(generated).option("compression", "snappy").parquet(snappyPath);
        BenchJob.configureTokenReader(spark, 4L * seqLen * d);   // as the bench job reads
        Dataset<Row> tokens = TokenBatches.read(spark, path);
        Dataset<Row> snappyTokens = TokenBatches.read(spark, snappyPath);

        UserDefinedFunction typed = ffnbench.spark.shim.TypedUdf.create(new SumPrimitive(), DataTypes.DoubleType,
                java.util.List.of(ffnbench.spark.SparkFunctions.floatArray()), null, "sum_typed", false);
        spark.udf().register("sum_boxed", new SumBoxed(), DataTypes.DoubleType);

        java.util.function.Supplier<Dataset<Row>> scan = () -> tokens.agg(sum(org.apache.spark.sql.functions.size(col("hidden"))));
        java.util.function.Supplier<Dataset<Row>> viaTyped = () -> tokens.select(typed.apply(col("hidden")).as("s")).agg(sum("s"));
        org.apache.spark.sql.types.StructType one = new org.apache.spark.sql.types.StructType().add("s", DataTypes.DoubleType);
        java.util.function.Function<Dataset<Row>, Dataset<Row>> internalRows = in -> spark.createDataFrame(
                in.select("hidden").queryExecution().toRdd().toJavaRDD().map(row -> {
                    float[] x = row.getArray(0).toFloatArray();
                    return org.apache.spark.sql.RowFactory.create((double) x[0] + x[x.length - 1]);
                }), one).agg(sum("s"));
        java.util.function.Supplier<Dataset<Row>> viaInternal = () -> internalRows.apply(tokens);
        java.util.function.Supplier<Dataset<Row>> viaInternalSnappy = () -> internalRows.apply(snappyTokens);
        java.util.function.Supplier<Dataset<Row>> viaBoxed =
                () -> tokens.select(org.apache.spark.sql.functions.callUDF("sum_boxed", col("hidden")).as("s")).agg(sum("s"));

        System.out.printf(Locale.ROOT, "check: %s floats; first+last summed: typed %s, boxed %s, internal rows %s%n",
                scan.get().first().get(0), viaTyped.get().first().get(0), viaBoxed.get().first().get(0),
                viaInternal.get().first().get(0));
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String verifying = hadoop.get(Sessions.VERIFY_PAGE_CHECKSUMS);   // on in ffnbench's sessions
        double[][] t = new double[7][rounds];
        for (int r = -1; r < rounds; r++) {   // one warm-up round
            double a = time(scan), b = time(viaTyped), c = time(viaBoxed), e = time(viaInternal), f = time(viaInternalSnappy);
            hadoop.set(Sessions.VERIFY_PAGE_CHECKSUMS, "false");
            double unverified = time(viaInternal);
            if (verifying == null) hadoop.unset(Sessions.VERIFY_PAGE_CHECKSUMS);
            else hadoop.set(Sessions.VERIFY_PAGE_CHECKSUMS, verifying);
            spark.conf().set(BenchJob.NESTED_VECTORIZED_READER, "false");   // Spark 3.5's default
            double rowByRow = time(viaInternal);
            spark.conf().set(BenchJob.NESTED_VECTORIZED_READER, "true");
            if (r >= 0) {
                t[0][r] = a;
                t[1][r] = b;
                t[2][r] = c;
                t[3][r] = e;
                t[4][r] = f;
                t[5][r] = unverified;
                t[6][r] = rowByRow;
            }
        }
        double values = (double) sequences * seqLen * d;
        String[] names = {"Parquet scan only", "typed encoder → float[]", "Java UDF1 → boxed Seq",
            "internal rows → float[] (bench path)", "the same, from a Snappy-compressed copy (Spark's default codec)",
            "the same, page checksums not verified", "the same, nested columns read row by row (Spark 3.5's default reader)"};
        System.out.printf(Locale.ROOT, "%,d sequences × %d tokens × d %d = %,.0f floats, %s, median of %d rounds%n",
                sequences, seqLen, d, values, spark.sparkContext().master(), rounds);
        System.out.println("| path | wall s | ns per float | conversion ns per float (over scan) |");
        System.out.println("|---|---:|---:|---:|");
        double scanMedian = KernelBenchmark.median(t[0]);
        for (int i = 0; i < t.length; i++) {
            double m = KernelBenchmark.median(t[i]);
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.2f | %.2f |%n", names[i], m, m / values * 1e9, (m - scanMedian) / values * 1e9);
        }
        spark.stop();
    }
}
