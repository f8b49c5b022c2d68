package ffnbench.stats;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The statistics of one benchmark case: a {@link SiteStats} per (layer, site), a {@link SparsityStats}
 * per (layer, site) of the sparsity analysis when it is on, plus counts of input rows skipped for
 * non-finite values. Serialised to bytes as the per-row partial result of
 * the Spark function and merged by a Spark aggregation.
 */
public final class CaseStats {
    private final StatsConfig config;
    private final Map<String, SiteStats> sites = new LinkedHashMap<>();
    private final Map<String, SparsityStats> sparsity = new LinkedHashMap<>();
    private final Map<String, SparsityErrors> errors = new LinkedHashMap<>();
    private final Map<String, RouterStats> routers = new LinkedHashMap<>();
    private long rowsSkipped;

    public CaseStats(StatsConfig config) {
        this.config = config;
    }

    /** Key of a (layer, site) pair, e.g. {@code 0/ffn_act}. */
    public static String key(int layer, String site) {
        return layer + "/" + site;
    }

    public SiteStats site(String key, int width, boolean perTokenRatio) {
        return sites.computeIfAbsent(key, k -> new SiteStats(config, width, perTokenRatio));
    }

    public Map<String, SiteStats> sites() {
        return sites;
    }

    /** The sparsity statistics of a (layer, site), created by {@code create} on first use. */
    public SparsityStats sparsity(String key, java.util.function.Supplier<SparsityStats> create) {
        return sparsity.computeIfAbsent(key, k -> create.get());
    }

    public Map<String, SparsityStats> sparsity() {
        return sparsity;
    }

    /** The measured sparsity error of a (layer, site), created by {@code create} on first use. */
    public SparsityErrors errors(String key, java.util.function.Supplier<SparsityErrors> create) {
        return errors.computeIfAbsent(key, k -> create.get());
    }

    public Map<String, SparsityErrors> errors() {
        return errors;
    }

    /** The routing statistics of a mixture-of-experts layer (key: the layer index), created by {@code create} on first use. */
    public RouterStats router(String layer, java.util.function.Supplier<RouterStats> create) {
        return routers.computeIfAbsent(layer, k -> create.get());
    }

    public Map<String, RouterStats> routers() {
        return routers;
    }

    /** A new sequence follows: see {@link SiteStats#startSequence}. */
    public void startSequence() {
        for (SiteStats s : sites.values()) s.startSequence();
    }

    public void skipRow() {
        rowsSkipped++;
    }

    public long rowsSkipped() {
        return rowsSkipped;
    }

    public StatsConfig config() {
        return config;
    }

    public void merge(CaseStats o) {
        rowsSkipped += o.rowsSkipped;
        for (Map.Entry<String, SiteStats> e : o.sites.entrySet()) {
            SiteStats mine = sites.get(e.getKey());
            if (mine == null) {
                SiteStats s = e.getValue();
                mine = new SiteStats(config, s.width, s.perTokenRatio);
                sites.put(e.getKey(), mine);
            }
            mine.merge(e.getValue());
        }
        for (Map.Entry<String, SparsityStats> e : o.sparsity.entrySet()) {
            SparsityStats mine = sparsity.get(e.getKey());
            if (mine == null) sparsity.put(e.getKey(), mine = e.getValue().emptyLike());
            mine.merge(e.getValue());
        }
        for (Map.Entry<String, SparsityErrors> e : o.errors.entrySet()) {
            SparsityErrors mine = errors.get(e.getKey());
            if (mine == null) errors.put(e.getKey(), mine = e.getValue().emptyLike());
            mine.merge(e.getValue());
        }
        for (Map.Entry<String, RouterStats> e : o.routers.entrySet()) {
            RouterStats mine = routers.get(e.getKey());
            if (mine == null) routers.put(e.getKey(), mine = e.getValue().emptyLike());
            mine.merge(e.getValue());
        }
    }

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(buf);
            out.writeLong(rowsSkipped);
            out.writeInt(sites.size());
            for (Map.Entry<String, SiteStats> e : sites.entrySet()) {
                out.writeUTF(e.getKey());
                SiteStatsCodec.write(e.getValue(), out);
            }
            out.writeInt(sparsity.size());
            for (Map.Entry<String, SparsityStats> e : sparsity.entrySet()) {
                out.writeUTF(e.getKey());
                e.getValue().write(out);
            }
            out.writeInt(errors.size());
            for (Map.Entry<String, SparsityErrors> e : errors.entrySet()) {
                out.writeUTF(e.getKey());
                e.getValue().write(out);
            }
            out.writeInt(routers.size());
            for (Map.Entry<String, RouterStats> e : routers.entrySet()) {
                out.writeUTF(e.getKey());
                e.getValue().write(out);
            }
            out.flush();
            return buf.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static CaseStats fromBytes(byte[] bytes, StatsConfig config) {
        CaseStats c = new CaseStats(config);
        if (bytes == null || bytes.length == 0) return c;
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            c.rowsSkipped = in.readLong();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String key = in.readUTF();
                c.sites.put(key, SiteStatsCodec.read(in, config));
            }
            if (in.available() == 0) return c;   // written before the sparsity analysis existed
            int m = in.readInt();
            if (m < 0 || m > 1_000_000) throw new IOException(m + " sparsity entries");
            for (int i = 0; i < m; i++) {
                String key = in.readUTF();
                c.sparsity.put(key, SparsityStats.read(in));
            }
            if (in.available() == 0) return c;   // written before the measured sparsity error existed
            int k = in.readInt();
            if (k < 0 || k > 1_000_000) throw new IOException(k + " sparsity error entries");
            for (int i = 0; i < k; i++) {
                String key = in.readUTF();
                c.errors.put(key, SparsityErrors.read(in));
            }
            if (in.available() == 0) return c;   // written before router statistics existed
            int r = in.readInt();
            if (r < 0 || r > 1_000_000) throw new IOException(r + " router entries");
            for (int i = 0; i < r; i++) {
                String key = in.readUTF();
                c.routers.put(key, RouterStats.read(in));
            }
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt statistics partial: " + e.getMessage(), e);
        }
    }
}
