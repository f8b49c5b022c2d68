package ffnbench.stats;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** The binary form of a {@link SiteStats} inside a {@link CaseStats} record (the statistics partials Spark merges). */
final class SiteStatsCodec {
    private SiteStatsCodec() {}

    static void write(SiteStats s, DataOutputStream out) throws IOException {
        out.writeInt(s.width);
        out.writeBoolean(s.perTokenRatio);
        out.writeLong(s.moments.n);
        out.writeDouble(s.moments.sum.sum);
        out.writeDouble(s.moments.sum.compensation);
        out.writeDouble(s.moments.m2);
        out.writeDouble(s.moments.m3);
        out.writeDouble(s.moments.m4);
        out.writeLong(s.tokens);
        out.writeFloat(s.min);
        out.writeFloat(s.max);
        out.writeFloat(s.maxAbs);
        for (long v : new long[] {s.zeros, s.nearZero, s.negatives, s.nan, s.inf, s.massiveTokens}) out.writeLong(v);
        out.writeDouble(s.maxTokenRatio);
        out.writeDouble(s.sumTokenRatio);
        writeLongs(out, s.histogram);
        writeLongs(out, s.firing);
        writeLongs(out, s.overThreshold);
        for (float v : s.channelMaxAbs) out.writeFloat(v);
        for (double v : s.channelSumSq) out.writeDouble(v);
        s.quantiles.write(out);
    }

    static SiteStats read(DataInputStream in, StatsConfig config) throws IOException {
        int width = in.readInt();
        SiteStats s = new SiteStats(config, width, in.readBoolean());
        s.moments.n = in.readLong();
        s.moments.sum.sum = in.readDouble();
        s.moments.sum.compensation = in.readDouble();
        s.moments.m2 = in.readDouble();
        s.moments.m3 = in.readDouble();
        s.moments.m4 = in.readDouble();
        s.tokens = in.readLong();
        s.min = in.readFloat();
        s.max = in.readFloat();
        s.maxAbs = in.readFloat();
        s.zeros = in.readLong();
        s.nearZero = in.readLong();
        s.negatives = in.readLong();
        s.nan = in.readLong();
        s.inf = in.readLong();
        s.massiveTokens = in.readLong();
        s.maxTokenRatio = in.readDouble();
        s.sumTokenRatio = in.readDouble();
        readLongs(in, s.histogram);
        readLongs(in, s.firing);
        readLongs(in, s.overThreshold);
        for (int c = 0; c < width; c++) s.channelMaxAbs[c] = in.readFloat();
        for (int c = 0; c < width; c++) s.channelSumSq[c] = in.readDouble();
        s.quantiles.read(in);
        return s;
    }

    private static void writeLongs(DataOutputStream out, long[] a) throws IOException {
        for (long v : a) out.writeLong(v);
    }

    private static void readLongs(DataInputStream in, long[] a) throws IOException {
        for (int i = 0; i < a.length; i++) a[i] = in.readLong();
    }
}
