package ffnbench.stats;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * Counts of float values on a fixed logarithmic grid, for quantiles with a relative-error bound.
 *
 * <p>A value's bin is its sign, its exponent and the top {@code bits} bits of its mantissa: the bits
 * of {@code |x|} shifted right by {@code 23 − bits}. Each octave [2^e, 2^(e+1)) is split into
 * 2^bits equal bins, so a bin's midpoint is within a relative 2^−(bits+1) of every value in it
 * (0.39% at the default 7 bits). Zeros have a bin of their own; NaN and ±∞ are not counted.
 *
 * <p>The grid is the same everywhere, so two histograms merge by adding counts: the result, and
 * every quantile read from it, does not depend on how the values were split or in which order the
 * parts were merged.
 */
public final class LogHistogram {
    private final int shift;
    private final Store positive = new Store();
    private final Store negative = new Store();
    private final Store[] bySign = {positive, negative};   // indexed by the sign bit: no branch on a value's sign
    private long zeros;

    /** @param bits mantissa bits per bin, 2^bits bins per octave */
    public LogHistogram(int bits) {
        if (bits < 1 || bits > 16) throw new IllegalArgumentException("stats.quantile_bits must be in 1..16, not " + bits);
        this.shift = 23 - bits;
    }

    /** Mantissa bits per bin. */
    public int bits() {
        return 23 - shift;
    }

    /** The largest relative distance between a value and the quantile reported for it: 2^−(bits+1). */
    public static double relativeError(int bits) {
        return Math.scalb(1.0, -(bits + 1));
    }

    /** Counts a finite value (NaN and ±∞ are ignored). */
    public void add(float v) {
        int bits = Float.floatToRawIntBits(v);
        int magnitude = bits & 0x7fffffff;
        if (magnitude >= 0x7f800000) return;
        if (magnitude == 0) {
            zeros++;
            return;
        }
        bySign[bits >>> 31].increment(magnitude >>> shift);
    }

    /**
     * Reads every count in order and checks that they add up to the totals. A block's quantile sample
     * then adds into counts that are in cache: between two blocks of a site the layer's GEMMs evict
     * them, and the sample's scattered increments would each wait for memory, where one sequential
     * read is prefetched (about half of the sample's cost in a block, docs/PERFORMANCE.md).
     */
    void prefetchCounts() {
        if (positive.sum() != positive.total || negative.sum() != negative.total) {
            throw new IllegalStateException("log histogram counts do not add up to their totals");
        }
    }

    public long count() {
        return zeros + positive.total + negative.total;
    }

    public boolean isEmpty() {
        return count() == 0;
    }

    public void merge(LogHistogram o) {
        if (o.shift != shift) throw new IllegalArgumentException("cannot merge log histograms of different resolutions");
        zeros += o.zeros;
        positive.merge(o.positive);
        negative.merge(o.negative);
    }

    /**
     * The value at rank q ∈ [0, 1]: the midpoint of the bin holding the ⌊q·(n−1)⌋-th smallest value
     * (0-based), so within a relative 2^−(bits+1) of that value. NaN when empty.
     */
    public float quantile(double q) {
        long n = count();
        if (n == 0) return Float.NaN;
        long rank = (long) Math.floor(Math.min(1, Math.max(0, q)) * (n - 1));
        if (rank < negative.total) return -midpoint(negative.keyAtRankFromTop(rank));
        rank -= negative.total;
        if (rank < zeros) return 0f;
        return midpoint(positive.keyAtRankFromBottom(rank - zeros));
    }

    /**
     * A magnitude threshold read from a histogram of non-negative values (|x|): {@code threshold} is
     * the upper edge of a bin, so exactly {@code below} of the counted values are {@code < threshold}.
     */
    public record Cut(float threshold, long below, long count) {
        public double fractionBelow() {
            return count == 0 ? Double.NaN : (double) below / count;
        }
    }

    /**
     * The lowest bin edge with at least a fraction {@code s} of the values below it, for a histogram of
     * non-negative values. With m = ⌈s·n⌉ and v the m-th smallest value, the edge is in
     * (v, v·(1 + 2^−bits)], the upper edge of v's bin (the smallest positive float when v is 0; for a
     * subnormal v, within the fixed subnormal bin width 2^(−126−bits) above it).
     */
    public Cut cutBelow(double s) {
        if (negative.total > 0) throw new IllegalStateException("cutBelow needs a histogram of magnitudes (|x| ≥ 0)");
        long n = count();
        if (n == 0) return new Cut(Float.NaN, 0, 0);
        long needed = Math.max(1, java.math.BigDecimal.valueOf(s).multiply(java.math.BigDecimal.valueOf(n))
                .setScale(0, java.math.RoundingMode.CEILING).longValueExact());
        if (zeros >= needed) return new Cut(Float.MIN_VALUE, zeros, n);
        long below = zeros;
        Store p = positive;
        for (int i = 0; i < p.counts.length; i++) {
            below += p.counts[i];
            if (below >= needed) return new Cut(Float.intBitsToFloat((p.first + i + 1) << shift), below, n);
        }
        throw new IllegalStateException("rank beyond the count");
    }

    /** The middle of bin {@code key}: its lower edge plus half its width (one float ulp of the edge × 2^shift). */
    private float midpoint(int key) {
        float low = Float.intBitsToFloat(key << shift);
        return (float) (low + 0.5 * Math.ulp(low) * (1 << shift));
    }

    void write(DataOutputStream out) throws IOException {
        out.writeLong(zeros);
        positive.write(out);
        negative.write(out);
    }

    void read(DataInputStream in) throws IOException {
        zeros = in.readLong();
        int keys = (0x7f800000 >>> shift) + 1;
        positive.read(in, keys);
        negative.read(in, keys);
    }

    /** Counts of one sign's bins, dense over the keys seen so far ([first, first + counts.length)). */
    private static final class Store {
        int first;
        long[] counts = new long[0];
        long total;

        long sum() {
            long s = 0;
            for (long c : counts) s += c;
            return s;
        }

        void increment(int key) {
            if (key < first || key >= first + counts.length) cover(key, key);
            counts[key - first]++;
            total++;
        }

        /** Grows the array to cover [lowKey, highKey] as well as what it covers now. */
        void cover(int lowKey, int highKey) {
            if (counts.length == 0) {
                first = lowKey;
                counts = new long[highKey - lowKey + 1];
                return;
            }
            int newFirst = Math.min(first, lowKey), newEnd = Math.max(first + counts.length, highKey + 1);
            if (newFirst == first && newEnd == first + counts.length) return;
            // leave room on the side that grew, so a slowly widening range is not copied on every value
            int slack = Math.max(16, counts.length / 4);
            if (newFirst < first) newFirst = Math.max(0, newFirst - slack);
            if (newEnd > first + counts.length) newEnd = newEnd + slack;
            long[] grown = new long[newEnd - newFirst];
            System.arraycopy(counts, 0, grown, first - newFirst, counts.length);
            counts = grown;
            first = newFirst;
        }

        void merge(Store o) {
            if (o.total == 0) return;
            int low = o.lowestKey(), high = o.highestKey();
            cover(low, high);
            for (int k = low; k <= high; k++) counts[k - first] += o.counts[k - o.first];
            total += o.total;
        }

        int lowestKey() {
            int i = 0;
            while (counts[i] == 0) i++;
            return first + i;
        }

        int highestKey() {
            int i = counts.length - 1;
            while (counts[i] == 0) i--;
            return first + i;
        }

        int keyAtRankFromBottom(long rank) {
            for (int i = 0; i < counts.length; i++) {
                rank -= counts[i];
                if (rank < 0) return first + i;
            }
            throw new IllegalStateException("rank beyond the count");
        }

        int keyAtRankFromTop(long rank) {
            for (int i = counts.length - 1; i >= 0; i--) {
                rank -= counts[i];
                if (rank < 0) return first + i;
            }
            throw new IllegalStateException("rank beyond the count");
        }

        /** The occupied key range and its counts (nothing of the growth slack, so equal contents write equal bytes). */
        void write(DataOutputStream out) throws IOException {
            if (total == 0) {
                out.writeInt(0);
                return;
            }
            int low = lowestKey(), high = highestKey();
            out.writeInt(high - low + 1);
            out.writeInt(low);
            for (int k = low; k <= high; k++) writeVarLong(out, counts[k - first]);
        }

        void read(DataInputStream in, int keys) throws IOException {
            int length = in.readInt();
            if (length < 0 || length > keys) throw new IOException("corrupt log histogram: " + length + " bins");
            total = 0;
            if (length == 0) {
                counts = new long[0];
                first = 0;
                return;
            }
            first = in.readInt();
            if (first < 0 || first > keys - length) throw new IOException("corrupt log histogram: first bin " + first);
            counts = new long[length];
            for (int i = 0; i < length; i++) total += counts[i] = readVarLong(in);
        }

        boolean sameAs(Store o) {
            if (total != o.total) return false;
            if (total == 0) return true;
            int low = lowestKey(), high = highestKey();
            if (low != o.lowestKey() || high != o.highestKey()) return false;
            for (int k = low; k <= high; k++) if (counts[k - first] != o.counts[k - o.first]) return false;
            return true;
        }
    }

    /** Seven bits per byte, low first, the high bit set on all but the last: most bins' counts take one or two bytes. */
    static void writeVarLong(DataOutputStream out, long v) throws IOException {
        while ((v & ~0x7fL) != 0) {
            out.writeByte((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    static long readVarLong(DataInputStream in) throws IOException {
        long v = 0;
        for (int s = 0; ; s += 7) {
            int b = in.readUnsignedByte();
            v |= (long) (b & 0x7f) << s;
            if ((b & 0x80) == 0) return v;
            if (s > 56) throw new IOException("corrupt log histogram: a count longer than 64 bits");
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LogHistogram h) || h.shift != shift || h.zeros != zeros) return false;
        return positive.sameAs(h.positive) && negative.sameAs(h.negative);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(count()) * 31 + shift;
    }

    @Override
    public String toString() {
        return "LogHistogram[" + count() + " values, " + Arrays.toString(new float[] {quantile(0), quantile(0.5), quantile(1)}) + "]";
    }
}
