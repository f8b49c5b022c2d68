package ffnbench.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogHistogramTest {
    static final double[] RANKS = {0, 1e-4, 0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999, 1};

    /** Values of many magnitudes and both signs, zeros, subnormals, the float extremes, NaN and ±∞. */
    static float[] awkwardValues(int n, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 11) {
                case 0 -> 0f;
                case 1 -> Float.MIN_VALUE * rnd.nextInt(1000);
                case 2 -> -Float.MAX_VALUE * rnd.nextFloat();
                case 3 -> Float.NaN;
                case 4 -> i % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                default -> (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(13) - 6));
            };
        }
        return v;
    }

    @Test
    void quantilesAreTheExactOrderStatisticsWithinTheStatedBound() {
        for (int bits : new int[] {3, 7, 10}) {
            float[] v = awkwardValues(50_001, bits);
            LogHistogram h = new LogHistogram(bits);
            for (float x : v) h.add(x);
            float[] finite = finiteSorted(v);
            assertEquals(finite.length, h.count());
            double bound = LogHistogram.relativeError(bits);
            for (double q : RANKS) {
                float exact = finite[(int) Math.floor(q * (finite.length - 1))];
                float got = h.quantile(q);
                assertTrue(Math.abs(got - exact) <= bound * Math.abs(exact) * (1 + 1e-6) + Float.MIN_VALUE * (1 << (23 - bits)),
                        "bits " + bits + " q " + q + ": " + got + " vs exact " + exact);
            }
        }
    }

    @Test
    void sameValuesGiveTheSameHistogramHoweverSplitAndMerged() throws IOException {
        float[] v = awkwardValues(30_000, 5);
        LogHistogram whole = new LogHistogram(7);
        for (float x : v) whole.add(x);
        Random rnd = new Random(9);
        for (int parts : new int[] {1, 3, 7, 64}) {
            List<LogHistogram> pieces = new ArrayList<>();
            for (int p = 0; p < parts; p++) pieces.add(new LogHistogram(7));
            for (float x : v) pieces.get(rnd.nextInt(parts)).add(x);
            Collections.shuffle(pieces, rnd);
            LogHistogram merged = new LogHistogram(7);
            for (LogHistogram p : pieces) merged.merge(roundTrip(p));
            assertEquals(whole, merged, parts + " parts");
            assertEquals(bytes(whole).length, bytes(merged).length);
            assertTrue(Arrays.equals(bytes(whole), bytes(merged)), "same bytes from " + parts + " parts");
            for (double q : RANKS) assertEquals(whole.quantile(q), merged.quantile(q), 0, "q " + q);
        }
    }

    @Test
    void emptyAndSingleValues() {
        LogHistogram h = new LogHistogram(7);
        assertTrue(Float.isNaN(h.quantile(0.5)));
        h.add(Float.NaN);
        assertTrue(h.isEmpty());
        h.add(-2.5f);
        for (double q : RANKS) assertEquals(-2.5, h.quantile(q), 2.5 * LogHistogram.relativeError(7));
        h.add(0f);
        assertEquals(0f, h.quantile(1));
        assertEquals(-2.5, h.quantile(0), 2.5 * LogHistogram.relativeError(7));
    }

    @Test
    void corruptBytesAreRefused() {
        byte[] b = new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0};
        assertThrows(IOException.class, () -> new LogHistogram(7).read(new DataInputStream(new ByteArrayInputStream(b))));
        assertThrows(IllegalArgumentException.class, () -> new LogHistogram(7).merge(new LogHistogram(6)));
    }

    static float[] finiteSorted(float[] v) {
        float[] f = new float[v.length];
        int n = 0;
        for (float x : v) if (Float.isFinite(x)) f[n++] = x;
        f = Arrays.copyOf(f, n);
        Arrays.sort(f);
        return f;
    }

    static byte[] bytes(LogHistogram h) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        h.write(new DataOutputStream(buf));
        return buf.toByteArray();
    }

    static LogHistogram roundTrip(LogHistogram h) throws IOException {
        LogHistogram back = new LogHistogram(7);
        back.read(new DataInputStream(new ByteArrayInputStream(bytes(h))));
        return back;
    }
}
