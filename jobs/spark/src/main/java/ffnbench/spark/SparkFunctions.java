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
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;
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
 * ({@link #applyToRows}: one memory copy of each row's array, into an array the task reuses).
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

    /**
     * {@link #applyToRows} added up ({@link BlockResult#sum}): each task sums its rows' results and
     * returns one, carrying its statistics, and the driver sums the tasks' results in partition order.
     * One Spark job, where an SQL aggregation adds a second (a shuffle, then a one-task stage), planned
     * anew every iteration: the bench job's CPU path, when the driver can take every task's statistics.
     */
    public static BlockResult applyAndSum(BlockFunction f, Dataset<Row> tokens) {
        ffnbench.stats.StatsConfig config = f.benchCase().statistics().config();
        List<BlockResult> perTask = tokens.select("seq_id", "seq_len", "d_model", "hidden").queryExecution().toRdd().toJavaRDD()
                .mapPartitions(rows -> {
                    TaskRows results = new TaskRows(f, rows);
                    List<BlockResult> all = new java.util.ArrayList<>();
                    while (results.hasNext()) all.add(results.nextResult());
                    return List.of(BlockResult.sum(all, config)).iterator();
                })
                .collect();
        return BlockResult.sum(perTask, config);
    }

    /** A task's result rows: one per token row, then one carrying the task's statistics. */
    private static final class TaskRows implements java.util.Iterator<Row> {
        private final BlockFunction f;
        private final java.util.Iterator<InternalRow> rows;
        private final ffnbench.stats.CaseStats stats;
        private final HiddenReader hidden = new HiddenReader();
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
            return RowFactory.create(nextResult().toRow());
        }

        BlockResult nextResult() {
            if (rows.hasNext()) {
                stats.startSequence();
                InternalRow row = rows.next();
                float[] x = hidden.read(row);
                return f.applyInto(stats, row.getLong(0), row.getInt(1), row.getInt(2), x);
            }
            if (statsEmitted) throw new java.util.NoSuchElementException();
            statsEmitted = true;
            long start = System.nanoTime();
            byte[] partials = f.benchCase().statistics().enabled() ? stats.toBytes() : null;
            long[] noStages = new long[ffnbench.model.StageTimes.Stage.values().length];
            return new BlockResult(0, 0, 0, noStages, System.nanoTime() - start, partials);
        }
    }

    /**
     * The {@code hidden} values of a token row (columns seq_id, seq_len, d_model, hidden), in one copy;
     * null when hidden is null. A null seq_id, seq_len or d_model, or a null value, is an error.
     */
    static float[] hidden(InternalRow row) {
        return new HiddenReader().read(row);
    }

    /**
     * Reads each row's {@code hidden} into one array that the next row of the same length reuses: the
     * function is done with a row's values before the next row is read, and a new array per row would
     * be zeroed, filled and collected again (a sequence is megabytes).
     */
    static final class HiddenReader {
        private float[] values = new float[0];

        float[] read(InternalRow row) {
            for (int i = 0; i < 3; i++) {
                if (row.isNullAt(i)) {
                    throw new IllegalArgumentException("a token row has a null " + new String[] {"seq_id", "seq_len", "d_model"}[i]
                            + " (token batches need every column set; see data/README.md)");
                }
            }
            if (row.isNullAt(3)) return null;
            ArrayData a = row.getArray(3);
            int n = a.numElements();
            if (hasNull(a)) {
                int at = 0;
                while (!a.isNullAt(at)) at++;
                throw new IllegalArgumentException("sequence " + row.getLong(0) + " has a null value in hidden at index " + at
                        + " (token batches hold finite floats; see data/README.md)");
            }
            if (!(a instanceof UnsafeArrayData u)) return a.toFloatArray();
            if (values.length != n) values = new float[n];
            Platform.copyMemory(u.getBaseObject(), u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(n),
                    values, Platform.FLOAT_ARRAY_OFFSET, 4L * n);
            return values;
        }

        /** Whether an element is null: for Spark's row arrays, a look at the null bits 64 at a time. */
        private static boolean hasNull(ArrayData a) {
            int n = a.numElements();
            if (a instanceof UnsafeArrayData u) {
                for (int word = 0; word < (n + 63) / 64; word++) {   // the bits follow the 8-byte element count
                    if (Platform.getLong(u.getBaseObject(), u.getBaseOffset() + 8 + 8L * word) != 0) return true;
                }
                return false;
            }
            for (int i = 0; i < n; i++) if (a.isNullAt(i)) return true;
            return false;
        }
    }
}
