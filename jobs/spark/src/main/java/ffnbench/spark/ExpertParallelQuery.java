package ffnbench.spark;

import static org.apache.spark.sql.functions.col;

import ffnbench.bench.BenchCase;
import ffnbench.model.StageTimes;
import ffnbench.runtime.ExpertParallelStages;
import ffnbench.runtime.ExpertParallelStages.Assignment;
import ffnbench.runtime.ExpertParallelStages.Pending;
import ffnbench.runtime.LayerStack;
import ffnbench.runtime.StatsRecorder;
import ffnbench.stats.CaseStats;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * The expert-parallel plan of a mixture-of-experts case, as Dataset operations. Per layer:
 * <pre>
 * dispatch   each sequence → the block up to its MLP, routed: a pending record + one record per (token, expert)
 * ──────     repartition by expert tag (the dispatch shuffle), sort by expert, sequence, token, rank
 * experts    each partition runs each of its experts as one GEMM per projection over all its tokens
 * ──────     repartition by sequence tag (the combine shuffle), sort by sequence, kind, token, expert
 * combine    each sequence's outputs weighted and summed, the rest of the block; then the next layer's dispatch
 * </pre>
 * The pending record travels through both shuffles with its tokens, since the block's residual is
 * needed where they are combined. Every task also emits one {@link ExpertRecord#RESULT} record (its
 * counters, stage times and statistics); those are the query's rows, merged as the data-parallel
 * path's are. Routing runs per sequence in both strategies, so both route and drop identically.
 */
final class ExpertParallelQuery {
    private ExpertParallelQuery() {}

    /** Rows per expert GEMM at most (whole sequences are kept together; one sequence can exceed it). */
    static final int MAX_EXPERT_BATCH_ROWS = 8192;

    /** The case's tokens through every layer, as rows {@code r} of {@link BlockFunction#RESULT}. */
    static Dataset<Row> results(SparkSession spark, BlockFunction f, Dataset<Row> tokens) {
        BenchCase c = f.benchCase();
        Plan plan = new Plan(f, c.layers().size(), PartitionTags.forPartitions(c.expertPartitions()),
                PartitionTags.forPartitions(c.data().shards()));
        Encoder<ExpertRecord> records = Encoders.bean(ExpertRecord.class);
        JavaRDD<ExpertRecord> dispatched = tokens.select("seq_id", "seq_len", "d_model", "hidden").queryExecution().toRdd()
                .toJavaRDD().mapPartitions(rows -> new FirstDispatch(plan, rows));
        Dataset<ExpertRecord> flow = spark.createDataset(dispatched.rdd(), records);
        for (int layer = 0; layer < plan.layers; layer++) {
            int next = layer + 1;
            flow = flow.repartition(c.expertPartitions(), col("partition"))
                    .sortWithinPartitions("kind", "expert", "seqId", "token", "rank")
                    .mapPartitions((MapPartitionsFunction<ExpertRecord, ExpertRecord>) in -> new Experts(plan, in), records)
                    .repartition(c.data().shards(), col("partition"))
                    .sortWithinPartitions("seqId", "kind", "token", "expert")
                    .mapPartitions((MapPartitionsFunction<ExpertRecord, ExpertRecord>) in -> new Combine(plan, next, in), records);
        }
        JavaRDD<Row> results = flow.filter(col("kind").equalTo(ExpertRecord.RESULT)).javaRDD()
                .map(r -> RowFactory.create(r.toResult().toRow()));
        return spark.createDataFrame(results, new StructType().add("r", BlockFunction.RESULT, false));
    }

    /** What every task needs: the case's function (layers, checks), the layer count and the partition tags. */
    private record Plan(BlockFunction f, int layers, int[] expertTags, int[] sequenceTags) implements java.io.Serializable {
        /** A pending sequence and its tokens' records for the dispatch exchange. */
        void emitDispatch(ExpertParallelStages.Dispatch d, ArrayDeque<ExpertRecord> out) {
            Pending p = d.pending();
            out.add(ExpertRecord.pending(expertTags[(int) Math.floorMod(p.seqId(), expertTags.length)], p.layer(), p.seqId(),
                    p.seqLen(), p.residual(), p.attention(), p.shared()));
            for (Assignment a : d.assignments()) {
                out.add(ExpertRecord.assignment(expertTags[a.expert() % expertTags.length], p.layer(), a.seqId(), a.token(),
                        a.rank(), a.expert(), a.weight(), a.vector()));
            }
        }

        int sequenceTag(long seqId) {
            return sequenceTags[(int) Math.floorMod(seqId, sequenceTags.length)];
        }
    }

    /**
     * One task of a stage: consumes its input records, queues what they produce, and ends with one
     * result record of its counters, stage times and statistics.
     */
    private abstract static class Task<I> implements Iterator<ExpertRecord> {
        final Plan plan;
        final BenchCase c;
        final CaseStats stats;
        final StageTimes times = new StageTimes();
        final StatsRecorder recorder;
        final ArrayDeque<ExpertRecord> out = new ArrayDeque<>();
        long tokens, skipped, flops;
        private final Iterator<I> in;
        private final long started = System.nanoTime();
        private boolean finished;

        Task(Plan plan, Iterator<I> in) {
            this.plan = plan;
            this.c = plan.f().benchCase();
            this.in = in;
            this.stats = new CaseStats(c.statistics().config());
            Set<String> sites = c.statistics().enabled() ? c.statistics().sites() : Set.of();
            this.recorder = new StatsRecorder(stats, sites, c.dModel(), times);
        }

        abstract void consume(I record);

        /** What is left once the input is done (the records still held). */
        void drain() { }

        LayerStack stack() {
            return plan.f().layers();
        }

        @Override
        public boolean hasNext() {
            while (out.isEmpty() && !finished) {
                try {
                    if (in.hasNext()) {
                        consume(in.next());
                    } else {
                        drain();
                        finished = true;
                        byte[] partials = c.statistics().enabled() ? stats.toBytes() : null;
                        out.add(ExpertRecord.result(new BlockResult(tokens, skipped, flops, times.all(), System.nanoTime() - started,
                                partials)));
                    }
                } catch (OutOfMemoryError e) {
                    throw new CaseOutOfMemory(c.id(), e);
                }
            }
            return !out.isEmpty();
        }

        @Override
        public ExpertRecord next() {
            if (!hasNext()) throw new java.util.NoSuchElementException();
            return out.poll();
        }
    }

    /** The first layer's dispatch, from the token rows (read from Spark's internal rows, as the data-parallel path does). */
    private static final class FirstDispatch extends Task<InternalRow> {
        FirstDispatch(Plan plan, Iterator<InternalRow> in) {
            super(plan, in);
        }

        @Override
        void consume(InternalRow row) {
            long seqId = row.getLong(0);
            int seqLen = row.getInt(1);
            float[] hidden = SparkFunctions.hidden(row);
            stats.startSequence();
            if (!plan.f().admit(stats, seqId, seqLen, row.getInt(2), hidden)) {
                skipped++;
                return;
            }
            plan.emitDispatch(ExpertParallelStages.dispatch(stack(), 0, seqId, hidden, seqLen, c.formulation(), recorder, times), out);
        }
    }

    /**
     * A dispatch partition: each expert's assignments (sorted by expert, sequence, token, rank) run as
     * one batch of up to {@link #MAX_EXPERT_BATCH_ROWS} rows, cut only between sequences (or one batch
     * per sequence with {@code expert_batches: per_sequence}); pending and result records pass through,
     * re-tagged for the combine exchange.
     */
    private static final class Experts extends Task<ExpertRecord> {
        private final List<Assignment> batch = new ArrayList<>();
        private int batchLayer = -1, batchExpert = -1;

        Experts(Plan plan, Iterator<ExpertRecord> in) {
            super(plan, in);
        }

        @Override
        void consume(ExpertRecord r) {
            if (r.getKind() != ExpertRecord.ASSIGNMENT) {
                if (r.getKind() == ExpertRecord.PENDING) r.setPartition(plan.sequenceTag(r.getSeqId()));
                out.add(r);
                return;
            }
            boolean sameExpert = r.getExpert() == batchExpert && r.getLayer() == batchLayer;
            boolean newSequence = batch.isEmpty() || batch.get(batch.size() - 1).seqId() != r.getSeqId();
            int cut = c.expertBatchesPerSequence() ? 1 : MAX_EXPERT_BATCH_ROWS;
            if (!sameExpert || (newSequence && batch.size() >= cut)) drain();
            batchLayer = r.getLayer();
            batchExpert = r.getExpert();
            batch.add(new Assignment(r.getSeqId(), r.getToken(), r.getRank(), r.getExpert(), r.getWeight(), r.getValues()));
        }

        @Override
        void drain() {
            if (batch.isEmpty()) return;
            for (Assignment a : ExpertParallelStages.runExpert(stack(), batchLayer, batchExpert, batch, recorder, stats, times)) {
                out.add(ExpertRecord.assignment(plan.sequenceTag(a.seqId()), batchLayer, a.seqId(), a.token(), a.rank(), a.expert(),
                        a.weight(), a.vector()));
            }
            batch.clear();
        }
    }

    /**
     * A combine partition: each sequence's pending record, then its experts' outputs (sorted by token,
     * then expert) → the layer's output, and then the next layer's dispatch, or, after the last
     * layer, the sequence's counts. Result records pass through.
     */
    private static final class Combine extends Task<ExpertRecord> {
        private final int nextLayer;
        private ExpertRecord pending;
        private final List<Assignment> outputs = new ArrayList<>();

        Combine(Plan plan, int nextLayer, Iterator<ExpertRecord> in) {
            super(plan, in);
            this.nextLayer = nextLayer;
        }

        @Override
        void consume(ExpertRecord r) {
            switch (r.getKind()) {
                case ExpertRecord.RESULT -> out.add(r);
                case ExpertRecord.PENDING -> {
                    if (pending != null && pending.getSeqId() == r.getSeqId()) {
                        throw new IllegalArgumentException("case " + c.id() + ": seq_id " + r.getSeqId() + " appears in more than one "
                                + "input row; expert parallelism brings a sequence's tokens back by seq_id, so each must be unique "
                                + "(regenerate or renumber the input)");
                    }
                    drain();
                    pending = r;
                }
                default -> {
                    if (pending == null || pending.getSeqId() != r.getSeqId()) {
                        throw new IllegalStateException("case " + c.id() + ": an expert output of sequence " + r.getSeqId()
                                + " arrived without its sequence");
                    }
                    outputs.add(new Assignment(r.getSeqId(), r.getToken(), r.getRank(), r.getExpert(), r.getWeight(), r.getValues()));
                }
            }
        }

        @Override
        void drain() {
            if (pending == null) return;
            ExpertRecord p = pending;
            pending = null;
            stats.startSequence();
            float[] y = ExpertParallelStages.combine(stack(), new Pending(p.getSeqId(), p.getSeqLen(), p.getLayer(), p.getValues(),
                    orNull(p.getAttention()), orNull(p.getShared())), outputs, c.formulation(), recorder, times);
            outputs.clear();
            if (nextLayer < plan.layers()) {
                plan.emitDispatch(ExpertParallelStages.dispatch(stack(), nextLayer, p.getSeqId(), y, p.getSeqLen(), c.formulation(),
                        recorder, times), out);
                return;
            }
            BlockFunction.requireFiniteInside(c, p.getSeqId(), stats, y);
            tokens += p.getSeqLen();
            flops += stack().flops(c.formulation(), p.getSeqLen());
        }

        private static float[] orNull(float[] a) {
            return a == null || a.length == 0 ? null : a;
        }
    }
}
