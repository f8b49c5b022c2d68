package ffnbench.spark;

import ffnbench.model.StageTimes;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What the block function returns for one sequence, and what the bench job reads back once the rows
 * are summed: tokens processed, sequences skipped for NaN/Inf, FLOPs, nanoseconds per stage (summed
 * over the row's layers) and in total, and the serialised partial statistics. {@link #COLUMNS} is the
 * one description of that row: its schema ({@link #SCHEMA}), the values, the aggregation and the
 * reading back all follow it by name.
 */
public record BlockResult(long tokens, long skipped, long flops, long[] stageNs, long totalNs, byte[] partials)
        implements java.io.Serializable {

    /** The partial statistics' column: merged by {@link StatsMerge}, every other column summed. */
    public static final String PARTIALS = "partials";

    static final Columns<BlockResult> COLUMNS = columns();

    /** The function's result type ({@code STRUCT}), as registered with Spark. */
    public static final StructType SCHEMA = COLUMNS.schema();

    private static Columns<BlockResult> columns() {
        Columns<BlockResult> c = new Columns<BlockResult>()
                .required("tokens", DataTypes.LongType, BlockResult::tokens)
                .required("skipped", DataTypes.LongType, BlockResult::skipped)
                .required("flops", DataTypes.LongType, BlockResult::flops);
        for (StageTimes.Stage s : StageTimes.Stage.values()) {
            c.required(s.id() + "_ns", DataTypes.LongType, r -> r.stageNs()[s.ordinal()]);
        }
        return c.required("total_ns", DataTypes.LongType, BlockResult::totalNs)
                .add(PARTIALS, DataTypes.BinaryType, BlockResult::partials);
    }

    /** This result as a row of {@link #SCHEMA}. */
    Row toRow() {
        return COLUMNS.row(this);
    }

    /** The summed counters and merged partials of many rows ({@code r} has the columns of {@link #SCHEMA} by name). */
    static BlockResult fromMerged(Row r) {
        long[] stages = new long[StageTimes.Stage.values().length];
        for (StageTimes.Stage s : StageTimes.Stage.values()) stages[s.ordinal()] = longOrZero(r, s.id() + "_ns");
        int p = r.fieldIndex(PARTIALS);
        return new BlockResult(longOrZero(r, "tokens"), longOrZero(r, "skipped"), longOrZero(r, "flops"), stages,
                longOrZero(r, "total_ns"), r.isNullAt(p) ? null : (byte[]) r.get(p));
    }

    /**
     * The results added up: counters summed, partial statistics merged in order (an empty set of
     * statistics when none has any), as the aggregation of {@link #mergeColumns} gives them.
     */
    static BlockResult sum(Iterable<BlockResult> results, ffnbench.stats.StatsConfig stats) {
        long tokens = 0, skipped = 0, flops = 0, totalNs = 0;
        long[] stageNs = new long[StageTimes.Stage.values().length];
        byte[] only = null;
        ffnbench.stats.CaseStats merged = null;
        for (BlockResult r : results) {
            tokens += r.tokens;
            skipped += r.skipped;
            flops += r.flops;
            totalNs += r.totalNs;
            for (int s = 0; s < stageNs.length; s++) stageNs[s] += r.stageNs[s];
            if (r.partials == null) continue;
            if (only == null && merged == null) {
                only = r.partials;   // one partial needs no merge
            } else {
                if (merged == null) merged = ffnbench.stats.CaseStats.fromBytes(only, stats);
                merged.merge(ffnbench.stats.CaseStats.fromBytes(r.partials, stats));
            }
        }
        byte[] partials = merged != null ? merged.toBytes() : only != null ? only : new ffnbench.stats.CaseStats(stats).toBytes();
        return new BlockResult(tokens, skipped, flops, stageNs, totalNs, partials);
    }

    private static long longOrZero(Row r, String name) {
        int i = r.fieldIndex(name);
        return r.isNullAt(i) ? 0 : r.getLong(i);
    }

    /**
     * The aggregation of result columns read as {@code prefix + name} (the function's struct column,
     * or a previous merge level): {@code sum} of every counter, {@link StatsMerge} of the partials,
     * each named as the result's field.
     */
    static java.util.List<Column> mergeColumns(ffnbench.stats.StatsConfig stats, String prefix) {
        java.util.List<Column> aggs = new java.util.ArrayList<>();
        for (Columns.Column<BlockResult> c : COLUMNS.list()) {
            aggs.add(c.name().equals(PARTIALS)
                    ? org.apache.spark.sql.functions.udaf(new StatsMerge(stats), org.apache.spark.sql.Encoders.BINARY())
                            .apply(org.apache.spark.sql.functions.col(prefix + PARTIALS)).as(PARTIALS)
                    : org.apache.spark.sql.functions.sum(prefix + c.name()).as(c.name()));
        }
        return aggs;
    }
}
