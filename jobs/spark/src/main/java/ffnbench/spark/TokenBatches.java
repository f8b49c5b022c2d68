package ffnbench.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import ffnbench.data.Npy;
import ffnbench.data.TokenGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Token batches in Parquet, one row per sequence (documented in {@code data/README.md}):
 * <pre>
 * seq_id BIGINT, seq_len INT, d_model INT, hidden ARRAY&lt;FLOAT&gt;   (seq_len × d_model, row-major)
 * </pre>
 * The flat float array is deliberate: on the GPU path it is a cuDF {@code LIST<FLOAT32>} whose
 * child buffer already is the {@code [tokens × d]} matrix.
 */
public final class TokenBatches {
    public static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("seq_id", DataTypes.LongType, false),
        DataTypes.createStructField("seq_len", DataTypes.IntegerType, false),
        DataTypes.createStructField("d_model", DataTypes.IntegerType, false),
        DataTypes.createStructField("hidden", DataTypes.createArrayType(DataTypes.FloatType, false), false),
    });

    private TokenBatches() {}

    /**
     * Row-group size for token batches ffnbench writes: a reader holds a whole row group of a column
     * in memory per task, and a row here is a whole sequence, so Parquet's default 128 MB row groups
     * would cost 128 MB of heap per running task. 32 MB keeps tasks small and files still efficient.
     */
    public static final long ROW_GROUP_BYTES = 32L << 20;

    /**
     * How ffnbench writes token batches: row groups of {@link #ROW_GROUP_BYTES}, never over an existing
     * path, and uncompressed. Snappy does not shrink hidden states (random floats: the file is the same
     * size either way), and undoing it costs every read 1–2 ns per float (docs/PERFORMANCE.md).
     */
    public static DataFrameWriter<Row> writer(Dataset<Row> tokens) {
        return tokens.write().option("parquet.block.size", ROW_GROUP_BYTES).option("compression", "none").mode(SaveMode.ErrorIfExists);
    }

    /** What a token dataset holds, from its metadata columns only (cheap: the hidden column is not read). */
    public record Shape(long sequences, long tokens, int dModel, int minSeqLen, int maxSeqLen) { }

    /**
     * Reads a token dataset and checks its schema; errors name the column and the fix.
     */
    public static Dataset<Row> read(SparkSession spark, String path) {
        Dataset<Row> df;
        try {
            df = spark.read().parquet(path);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot read token batches from " + path + " as Parquet: "
                    + causes(e) + " (write them with `ffnbench generate` or `ffnbench import-npy`)", e);
        }
        validateSchema(df.schema(), path);
        return df.select("seq_id", "seq_len", "d_model", "hidden");
    }

    /**
     * Token batches whose schema {@link #read(SparkSession, String)} has checked, read with that schema:
     * inferring it again would be a Spark job of its own (a footer read) before every query.
     */
    public static Dataset<Row> read(SparkSession spark, String path, StructType checkedSchema) {
        return spark.read().schema(checkedSchema).parquet(path);
    }

    /**
     * The first line of each message along the cause chain, joined: Spark wraps the reason (the file,
     * "not a Parquet file") in exceptions such as "Exception thrown in awaitResult" that say nothing.
     */
    static String causes(Throwable e) {
        java.util.LinkedHashSet<String> lines = new java.util.LinkedHashSet<>();
        for (Throwable t = e; t != null && lines.size() < 6; t = t.getCause() == t ? null : t.getCause()) {
            String line = firstLine(t.getMessage()).trim();
            int sentence = line.indexOf(". ");   // Spark's error classes go on with advice after the first sentence
            if (sentence > 0) line = line.substring(0, sentence);
            if (!line.isEmpty() && !line.contains("awaitResult") && !line.startsWith("Job aborted")) lines.add(line);
        }
        return lines.isEmpty() ? e.getClass().getSimpleName() : String.join(": ", lines);
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    public static void validateSchema(StructType schema, String what) {
        for (StructField expected : SCHEMA.fields()) {
            StructField actual = Arrays.stream(schema.fields()).filter(f -> f.name().equals(expected.name())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(what + " has no column '" + expected.name()
                            + "' (columns: " + String.join(", ", schema.fieldNames()) + "); token batches need "
                            + "seq_id BIGINT, seq_len INT, d_model INT, hidden ARRAY<FLOAT> (see data/README.md)"));
            if (!compatible(actual.dataType(), expected.dataType())) {
                throw new IllegalArgumentException(what + ": column '" + expected.name() + "' has type "
                        + actual.dataType().simpleString() + ", expected " + expected.dataType().simpleString());
            }
        }
    }

    private static boolean compatible(DataType actual, DataType expected) {
        if (expected instanceof ArrayType e && actual instanceof ArrayType a) {
            return a.elementType().equals(e.elementType());
        }
        return actual.equals(expected);
    }

    /** Counts and shape from the metadata columns; fails on empty input or mixed d_model. */
    public static Shape shape(Dataset<Row> tokens, String what) {
        Row r = tokens.agg(
                org.apache.spark.sql.functions.count(lit(1)),
                org.apache.spark.sql.functions.sum(col("seq_len").cast("long")),
                org.apache.spark.sql.functions.min("d_model"),
                org.apache.spark.sql.functions.max("d_model"),
                org.apache.spark.sql.functions.min("seq_len"),
                org.apache.spark.sql.functions.max("seq_len")).first();
        long rows = r.getLong(0);
        if (rows == 0) throw new IllegalArgumentException(what + " holds no sequences: nothing to benchmark");
        int minD = r.getInt(2), maxD = r.getInt(3);
        if (minD != maxD) {
            throw new IllegalArgumentException(what + " mixes d_model values " + minD + " and " + maxD + "; one dataset must have one d_model");
        }
        if (r.getInt(4) <= 0) throw new IllegalArgumentException(what + " has sequences with seq_len " + r.getInt(4) + " (must be ≥ 1)");
        return new Shape(rows, r.getLong(1), minD, r.getInt(4), r.getInt(5));
    }

    /** Generates {@code sequences} rows, distributed over {@code partitions} tasks (same data for any partitioning). */
    public static Dataset<Row> generate(SparkSession spark, long sequences, int seqLen, int dModel,
                                        TokenGenerator.Distribution distribution, long seed, int partitions) {
        if (sequences <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("generate needs sequences ≥ 1 and seq_len ≥ 1, got " + sequences + " and " + seqLen);
        }
        if ((long) seqLen * dModel > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("seq_len × d_model = " + (long) seqLen * dModel + " exceeds one array's capacity");
        }
        MapFunction<Long, Row> make = new GenerateRow(seed, dModel, distribution, seqLen);
        return spark.range(0, sequences, 1, partitions).as(Encoders.LONG())
                .map(make, Encoders.row(SCHEMA));
    }

    private record GenerateRow(long seed, int dModel, TokenGenerator.Distribution distribution, int seqLen)
            implements MapFunction<Long, Row> {
        @Override
        public Row call(Long id) {
            float[] x = new TokenGenerator(seed, dModel, distribution).sequence(id, seqLen);
            return RowFactory.create(id, seqLen, dModel, x);
        }
    }

    /** Imports a {@code [sequences, seq_len, d]} (or {@code [tokens, d]}: one sequence) float32/float16 .npy file. */
    public static Dataset<Row> fromNpy(SparkSession spark, Path npy, int partitions) throws IOException {
        Npy.Array a = Npy.read(npy);
        if (a.rank() != 2 && a.rank() != 3) {
            throw new IllegalArgumentException(npy + " has shape " + a + "; expected [sequences, seq_len, d] or [tokens, d]");
        }
        int d = (int) a.dim(a.rank() - 1);
        int seqLen = (int) a.dim(a.rank() - 2);
        int sequences = a.rank() == 3 ? (int) a.dim(0) : 1;
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            rows.add(RowFactory.create((long) s, seqLen, d, Arrays.copyOfRange(a.data(), s * seqLen * d, (s + 1) * seqLen * d)));
        }
        return spark.createDataFrame(rows, SCHEMA).repartition(Math.max(1, Math.min(partitions, sequences)));
    }

    /**
     * Real hidden states: each non-blank line of text, tokenised and embedded by the built-in MiniLM
     * model and run through its layers {@code 0..layer−1} (so {@code layer} 0 gives the embedding
     * output, the input of layer 0). Sequences keep their own lengths.
     */
    public static Dataset<Row> fromMiniLmText(SparkSession spark, List<String> lines, int layer, int maxTokens, int partitions) {
        List<Row> rows = new ArrayList<>();
        int d = ffnbench.weights.MiniLm.config().dModel();
        long id = 0;
        for (String line : lines) {
            if (line.isBlank()) continue;
            int[] ids = ffnbench.weights.MiniLm.tokenizer().encode(line, maxTokens);
            rows.add(RowFactory.create(id++, ids.length, d, ffnbench.weights.MiniLm.hiddenStates(ids, layer)));
        }
        if (rows.isEmpty()) throw new IllegalArgumentException("the text has no non-blank lines to embed");
        return spark.createDataFrame(rows, SCHEMA).repartition(Math.max(1, Math.min(partitions, rows.size())));
    }

    /** Exports equal-length sequences, ordered by seq_id, to a {@code [sequences, seq_len, d]} float32 .npy file. */
    public static void toNpy(Dataset<Row> tokens, Path npy) throws IOException {
        List<Row> rows = tokens.orderBy("seq_id").collectAsList();
        if (rows.isEmpty()) throw new IllegalArgumentException("no sequences to export");
        int seqLen = rows.get(0).getInt(1), d = rows.get(0).getInt(2);
        float[] all = new float[rows.size() * seqLen * d];
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (r.getInt(1) != seqLen) {
                throw new IllegalArgumentException("sequence " + r.getLong(0) + " has seq_len " + r.getInt(1) + ", not " + seqLen
                        + ": .npy export needs equal lengths");
            }
            List<Float> h = r.getList(3);
            for (int j = 0; j < h.size(); j++) all[i * seqLen * d + j] = h.get(j);
        }
        Npy.write(npy, new long[] {rows.size(), seqLen, d}, all);
    }
}
