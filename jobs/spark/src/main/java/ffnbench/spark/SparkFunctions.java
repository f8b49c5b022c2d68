package ffnbench.spark;

import ffnbench.bench.BenchCase;
import ffnbench.spark.shim.TypedUdf;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoder;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoders;
import org.apache.spark.sql.expressions.UserDefinedFunction;

/**
 * Builds ffnbench's Spark SQL functions, and applies the block function to token rows.
 *
 * <p>A plain Java {@code UDF1} over {@code ARRAY<FLOAT>} receives a Scala {@code Seq} of boxed
 * floats: one object per value. Declaring typed input encoders instead (as Scala's typed
 * {@code udf} does) makes Spark hand the function a primitive {@code float[]}, but Spark 3.5 still
 * builds it element by element: the deserializer is {@code mapobjects(…).toFloatArray}, one boxed
 * {@code Float} per value. That is the {@code ScalaUDF} the RAPIDS Accelerator runs on the GPU path
 * (columnar, no boxing there); the CPU bench path reads Spark's internal rows instead
 * ({@link #applyToRows}: {@code UnsafeArrayData.toFloatArray}, one memory copy).
 */
public final class SparkFunctions {
    private SparkFunctions() {}

    /**
     * {@code ffn_block(seq_id BIGINT, seq_len INT, d_model INT, hidden ARRAY<FLOAT>) → BlockFunction.RESULT},
     * with the CPU or GPU implementation chosen from the session's configuration ({@link SparkBackends}).
     */
    public static UserDefinedFunction block(BenchCase c, org.apache.spark.SparkConf conf) {
        return block(SparkBackends.blockFunction(c, conf));
    }

    /** As above with a given implementation ({@link BlockFunction} or its GPU subclass). */
    public static UserDefinedFunction block(BlockFunction f) {
        return TypedUdf.create(f, BlockFunction.RESULT,
                List.of(AgnosticEncoders.PrimitiveLongEncoder$.MODULE$, AgnosticEncoders.PrimitiveIntEncoder$.MODULE$,
                        AgnosticEncoders.PrimitiveIntEncoder$.MODULE$, floatArray()),
                null, "ffn_block", false);
    }

    public static AgnosticEncoder<?> floatArray() {
        return new AgnosticEncoders.ArrayEncoder<>(AgnosticEncoders.PrimitiveFloatEncoder$.MODULE$, false);
    }

    /**
     * {@code f} over every row of {@code tokens} (columns seq_id, seq_len, d_model, hidden) as one
     * column {@code r} of {@link BlockFunction#RESULT}, like {@code tokens.select(block(f)(…).as("r"))},
     * with two differences that keep the CPU path's overhead small: each row's {@code hidden} is read
     * straight from Spark's internal row with one copy, not through the UDF's deserializer, which boxes
     * every value (docs/PERFORMANCE.md, "ARRAY<FLOAT> into float[]"); and a task adds all its rows to
     * one set of statistics, emitted once in an extra row of zero tokens at the task's end, instead of
     * one serialised partial per row.
     */
    public static Dataset<Row> applyToRows(SparkSession spark, BlockFunction f, Dataset<Row> tokens) {
        JavaRDD<Row> results = tokens.select("seq_id", "seq_len", "d_model", "hidden").queryExecution().toRdd().toJavaRDD()
                .mapPartitions(rows -> new TaskRows(f, rows));
        return spark.createDataFrame(results, new StructType().add("r", BlockFunction.RESULT, false));
    }

    /** A task's result rows: one per token row, then one carrying the task's statistics. */
    private static final class TaskRows implements java.util.Iterator<Row> {
        private final BlockFunction f;
        private final java.util.Iterator<InternalRow> rows;
        private final ffnbench.stats.CaseStats stats;
        private boolean statsEmitted;

        TaskRows(BlockFunction f, java.util.Iterator<InternalRow> rows) {
            this.f = f;
            this.rows = rows;
            this.stats = new ffnbench.stats.CaseStats(f.benchCase().statistics().config());
        }

        @Override
        public boolean hasNext() {
            return rows.hasNext() || !statsEmitted;
        }

        @Override
        public Row next() {
            if (rows.hasNext()) {
                stats.startSequence();
                return RowFactory.create(applyToRow(f, stats, rows.next()).toRow());
            }
            if (statsEmitted) throw new java.util.NoSuchElementException();
            statsEmitted = true;
            long start = System.nanoTime();
            byte[] partials = f.benchCase().statistics().enabled() ? stats.toBytes() : null;
            long[] noStages = new long[ffnbench.model.StageTimes.Stage.values().length];
            return RowFactory.create(new BlockResult(0, 0, 0, noStages, System.nanoTime() - start, partials).toRow());
        }
    }

    private static BlockResult applyToRow(BlockFunction f, ffnbench.stats.CaseStats stats, InternalRow row) {
        float[] hidden = hidden(row);
        return f.applyInto(stats, row.getLong(0), row.getInt(1), row.getInt(2), hidden);
    }

    /**
     * The {@code hidden} values of a token row (columns seq_id, seq_len, d_model, hidden), in one copy;
     * null when hidden is null. A null seq_id, seq_len or d_model, or a null value, is an error.
     */
    static float[] hidden(InternalRow row) {
        for (int i = 0; i < 3; i++) {
            if (row.isNullAt(i)) {
                throw new IllegalArgumentException("a token row has a null " + new String[] {"seq_id", "seq_len", "d_model"}[i]
                        + " (token batches need every column set; see data/README.md)");
            }
        }
        long seqId = row.getLong(0);
        return row.isNullAt(3) ? null : floats(seqId, row.getArray(3));
    }

    /** The array's values in one copy; a null element is an error (as the typed UDF's assertnotnull makes it). */
    private static float[] floats(long seqId, ArrayData a) {
        int n = a.numElements();
        for (int i = 0; i < n; i++) {
            if (a.isNullAt(i)) {
                throw new IllegalArgumentException("sequence " + seqId + " has a null value in hidden at index " + i
                        + " (token batches hold finite floats; see data/README.md)");
            }
        }
        return a.toFloatArray();
    }
}
