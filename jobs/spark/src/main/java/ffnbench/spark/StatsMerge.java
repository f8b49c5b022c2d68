package ffnbench.spark;

import ffnbench.stats.CaseStats;
import ffnbench.stats.StatsConfig;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.expressions.Aggregator;

/**
 * The Spark aggregation that merges per-row partial statistics: {@code byte[]} partials in,
 * merged {@code byte[]} out. Registered with {@code functions.udaf}, it runs as an imperative
 * aggregate: the buffer stays a live {@link CaseStats} within a task and is serialised only between
 * the partial and final aggregation steps. Retried tasks contribute once (unlike accumulators).
 */
public final class StatsMerge extends Aggregator<byte[], StatsMerge.Buffer, byte[]> {
    private final StatsConfig config;

    public StatsMerge(StatsConfig config) {
        this.config = config;
    }

    /** The aggregation buffer: a CaseStats, Java-serialised through its own byte format. */
    public static final class Buffer implements Serializable {
        transient CaseStats stats;
        private final StatsConfig config;

        Buffer(StatsConfig config) {
            this.config = config;
            this.stats = new CaseStats(config);
        }

        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            byte[] b = stats.toBytes();
            out.writeInt(b.length);
            out.write(b);
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            byte[] b = new byte[in.readInt()];
            in.readFully(b);
            stats = CaseStats.fromBytes(b, config);
        }
    }

    @Override
    public Buffer zero() {
        return new Buffer(config);
    }

    @Override
    public Buffer reduce(Buffer b, byte[] partial) {
        if (partial != null) b.stats.merge(CaseStats.fromBytes(partial, config));
        return b;
    }

    @Override
    public Buffer merge(Buffer a, Buffer b) {
        a.stats.merge(b.stats);
        return a;
    }

    @Override
    public byte[] finish(Buffer b) {
        return b.stats.toBytes();
    }

    @Override
    public Encoder<Buffer> bufferEncoder() {
        return Encoders.javaSerialization(Buffer.class);
    }

    @Override
    public Encoder<byte[]> outputEncoder() {
        return Encoders.BINARY();
    }
}
