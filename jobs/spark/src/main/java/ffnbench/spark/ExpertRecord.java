package ffnbench.spark;

import java.io.Serializable;

/**
 * One record of the expert-parallel plan ({@link ExpertParallelQuery}), a Java bean so that Spark's
 * bean encoder stores its float arrays as primitive arrays (no value is boxed). Its {@link #kind} says
 * which fields hold something:
 * <ul>
 *   <li>{@link #PENDING}: a sequence waiting for its experts at {@code layer}: {@code values} is the
 *       block's residual, {@code attention} and {@code shared} are the parallel block's attention and
 *       the shared expert's output (each empty when absent);</li>
 *   <li>{@link #ASSIGNMENT}: token {@code token}'s {@code rank}-th choice, expert {@code expert} with
 *       router weight {@code weight}: {@code values} is the MLP input row going out, the expert's
 *       output coming back;</li>
 *   <li>{@link #RESULT}: one task's counters, stage times and serialised statistics ({@link BlockResult}).</li>
 * </ul>
 * {@code partition} is the tag that sends the record to its partition at the next exchange
 * ({@link PartitionTags}).
 */
public final class ExpertRecord implements Serializable {
    public static final int PENDING = 0, ASSIGNMENT = 1, RESULT = 2;

    private int kind;
    private int partition;
    private int layer;
    private long seqId;
    private int seqLen;
    private int token;
    private int rank;
    private int expert;
    private float weight;
    private float[] values = new float[0];
    private float[] attention = new float[0];
    private float[] shared = new float[0];
    private long tokens;
    private long skipped;
    private long flops;
    private long[] stageNs = new long[0];
    private long totalNs;
    private byte[] partials;

    public ExpertRecord() { }

    static ExpertRecord pending(int partition, int layer, long seqId, int seqLen, float[] residual, float[] attention, float[] shared) {
        ExpertRecord r = new ExpertRecord();
        r.kind = PENDING;
        r.partition = partition;
        r.layer = layer;
        r.seqId = seqId;
        r.seqLen = seqLen;
        r.values = residual;
        r.attention = attention == null ? new float[0] : attention;
        r.shared = shared == null ? new float[0] : shared;
        return r;
    }

    static ExpertRecord assignment(int partition, int layer, long seqId, int token, int rank, int expert, float weight, float[] values) {
        ExpertRecord r = new ExpertRecord();
        r.kind = ASSIGNMENT;
        r.partition = partition;
        r.layer = layer;
        r.seqId = seqId;
        r.token = token;
        r.rank = rank;
        r.expert = expert;
        r.weight = weight;
        r.values = values;
        return r;
    }

    static ExpertRecord result(BlockResult b) {
        ExpertRecord r = new ExpertRecord();
        r.kind = RESULT;
        r.tokens = b.tokens();
        r.skipped = b.skipped();
        r.flops = b.flops();
        r.stageNs = b.stageNs();
        r.totalNs = b.totalNs();
        r.partials = b.partials();
        return r;
    }

    BlockResult toResult() {
        return new BlockResult(tokens, skipped, flops, stageNs, totalNs, partials);
    }

    public int getKind() { return kind; }
    public void setKind(int kind) { this.kind = kind; }
    public int getPartition() { return partition; }
    public void setPartition(int partition) { this.partition = partition; }
    public int getLayer() { return layer; }
    public void setLayer(int layer) { this.layer = layer; }
    public long getSeqId() { return seqId; }
    public void setSeqId(long seqId) { this.seqId = seqId; }
    public int getSeqLen() { return seqLen; }
    public void setSeqLen(int seqLen) { this.seqLen = seqLen; }
    public int getToken() { return token; }
    public void setToken(int token) { this.token = token; }
    public int getRank() { return rank; }
    public void setRank(int rank) { this.rank = rank; }
    public int getExpert() { return expert; }
    public void setExpert(int expert) { this.expert = expert; }
    public float getWeight() { return weight; }
    public void setWeight(float weight) { this.weight = weight; }
    public float[] getValues() { return values; }
    public void setValues(float[] values) { this.values = values; }
    public float[] getAttention() { return attention; }
    public void setAttention(float[] attention) { this.attention = attention; }
    public float[] getShared() { return shared; }
    public void setShared(float[] shared) { this.shared = shared; }
    public long getTokens() { return tokens; }
    public void setTokens(long tokens) { this.tokens = tokens; }
    public long getSkipped() { return skipped; }
    public void setSkipped(long skipped) { this.skipped = skipped; }
    public long getFlops() { return flops; }
    public void setFlops(long flops) { this.flops = flops; }
    public long[] getStageNs() { return stageNs; }
    public void setStageNs(long[] stageNs) { this.stageNs = stageNs; }
    public long getTotalNs() { return totalNs; }
    public void setTotalNs(long totalNs) { this.totalNs = totalNs; }
    public byte[] getPartials() { return partials; }
    public void setPartials(byte[] partials) { this.partials = partials; }
}
