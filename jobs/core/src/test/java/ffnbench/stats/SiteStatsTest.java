package ffnbench.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SiteStatsTest {

    @Test
    void handDerivedSmallMatrix() {
        // 2 tokens × 3 channels
        float[] x = {0f, -2f, 7f,
                     1f, 0.0001f, -7f};
        SiteStats s = new SiteStats(StatsConfig.DEFAULT, 3, false);
        s.add(x, 0, 2, 3);
        assertEquals(6, s.count());
        assertEquals(2, s.tokens());
        assertEquals(1, s.zeros());
        assertEquals(2, s.nearZero());          // 0 and 0.0001 (< 1e-3)
        assertEquals(2, s.negatives());
        assertEquals(-7f, s.min());
        assertEquals(7f, s.max());
        assertEquals(7f, s.maxAbs());
        assertArrayEquals(new long[] {1, 1, 1}, s.firing());         // x > 0 per channel
        assertArrayEquals(new long[] {0, 0, 2}, s.overThreshold());  // |x| ≥ 6
        assertEquals(0, s.deadChannels());
        double mean = (0 - 2 + 7 + 1 + (double) 0.0001f - 7) / 6.0;
        // float rounding (of x − shift, then of short float sums) scales with the values, not with their mean
        double meanAbs = (0 + 2 + 7 + 1 + (double) 0.0001f + 7) / 6.0;
        assertEquals(mean, s.moments().mean(), 1e-7 * meanAbs);
        assertArrayEquals(new int[] {2}, s.frequentOutlierChannels(0.06));
        assertEquals(2, s.topChannels(1)[0]);
    }

    @Test
    void momentsMatchDirectComputationAndMergeAnyway() {
        float[] x = Reference.gaussian(64 * 50, 1, 3);
        for (int i = 0; i < x.length; i++) x[i] = x[i] * x[i] * Math.signum(x[i]) + 0.5f; // skewed, heavy tailed
        SiteStats whole = new SiteStats(StatsConfig.DEFAULT, 50, true);
        whole.add(x, 0, 64, 50);
        SiteStats parts = new SiteStats(StatsConfig.DEFAULT, 50, true);
        for (int start = 0; start < 64; start += 7) {
            SiteStats p = new SiteStats(StatsConfig.DEFAULT, 50, true);
            p.add(x, start * 50, Math.min(7, 64 - start), 50);
            parts.merge(p);
        }
        double n = x.length, mean = 0;
        for (float v : x) mean += v;
        mean /= n;
        double m2 = 0, m3 = 0, m4 = 0;
        for (float v : x) {
            double c = v - mean;
            m2 += c * c; m3 += c * c * c; m4 += c * c * c * c;
        }
        double skew = Math.sqrt(n) * m3 / Math.pow(m2, 1.5), kurt = n * m4 / (m2 * m2);
        // Values are accumulated in float per channel (moved to double every 16 tokens): ~1e-7 relative.
        // (Spark never splits a sequence, so partitionings agree far closer: see BenchJobTest.)
        for (SiteStats s : new SiteStats[] {whole, parts}) {
            assertEquals(mean, s.moments().mean(), 1e-6 * Math.sqrt(m2 / n));
            assertEquals(m2 / n, s.moments().variance(), 1e-6 * m2 / n);
            assertEquals(skew, s.moments().skewness(), 1e-6 * Math.abs(skew));
            assertEquals(kurt, s.moments().kurtosis(), 1e-6 * kurt);
        }
        assertArrayEquals(whole.histogram(), parts.histogram());
        assertArrayEquals(whole.firing(), parts.firing());
        assertEquals(whole.maxTokenRatio(), parts.maxTokenRatio());
    }

    /**
     * One pass sums each channel's powers about a shift (the first row, then the previous block's
     * channel mean): channels far from zero, a massive first token (Sun et al.) and channels of very
     * different scales must still give the float64 moments, and the per-channel Σx² (channel RMS).
     */
    @Test
    void momentsAboutShiftsSurviveOffsetsAndAMassiveFirstToken() {
        int rows = 40, width = 37, blocks = 3;
        float[] x = Reference.gaussian(blocks * rows * width, 1, 11);
        for (int i = 0; i < x.length; i++) {
            int c = i % width;
            x[i] = x[i] * (c % 3 == 0 ? 0.01f : 1f) + (c % 5 == 0 ? 1000f : 0f) + (c % 7 == 0 ? -3f : 0f);
        }
        for (int b = 0; b < blocks; b++) x[b * rows * width + 4] = 2500f;   // channel 4: massive on each block's first token
        SiteStats s = new SiteStats(StatsConfig.DEFAULT, width, true);
        for (int b = 0; b < blocks; b++) s.add(x, b * rows * width, rows, width);
        double n = x.length, mean = 0;
        for (float v : x) mean += v;
        mean /= n;
        double m2 = 0, m3 = 0, m4 = 0;
        double[] sumSq = new double[width];
        for (int i = 0; i < x.length; i++) {
            double c = x[i] - mean;
            m2 += c * c; m3 += c * c * c; m4 += c * c * c * c;
            sumSq[i % width] += (double) x[i] * x[i];
        }
        assertEquals(mean, s.moments().mean(), 1e-6 * Math.sqrt(m2 / n));
        assertEquals(m2 / n, s.moments().variance(), 1e-6 * m2 / n);
        assertEquals(Math.sqrt(n) * m3 / Math.pow(m2, 1.5), s.moments().skewness(), 1e-5);
        assertEquals(n * m4 / (m2 * m2), s.moments().kurtosis(), 1e-6 * n * m4 / (m2 * m2));
        double[] rms = new double[width];
        for (int c = 0; c < width; c++) rms[c] = Math.sqrt(sumSq[c] / (blocks * rows));
        assertEquals(Moments.of(rms).kurtosis(), s.channelRmsKurtosis(), 1e-6 * Moments.of(rms).kurtosis());
    }

    /** The SIMD counters use arithmetic instead of comparisons: exact at the edges (subnormals, ±0, boundaries). */
    @Test
    void countsAreExactAtTheEdges() {
        float eps = (float) StatsConfig.DEFAULT.nearZeroEps();
        float[] edge = {Float.MIN_VALUE, -Float.MIN_VALUE, 0f, -0f, 6f, -6f, Math.nextDown(6f), Math.nextUp(-6f),
            eps, -eps, Math.nextDown(eps), Math.nextUp(-eps), Float.MAX_VALUE, -Float.MAX_VALUE, 1e-30f, -1e-30f};
        int width = 64;   // 4 SIMD widths of 16 lanes (or more, narrower): the vector path runs
        float[] x = new float[2 * width];
        for (int i = 0; i < x.length; i++) x[i] = edge[i % edge.length];
        SiteStats s = new SiteStats(StatsConfig.DEFAULT, width, false);
        s.add(x, 0, 2, width);
        long positive = 0, negative = 0, zero = 0, near = 0, over = 0;
        long[] firing = new long[width];
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            if (v > 0) { positive++; firing[i % width]++; }
            if (v < 0) negative++;
            if (v == 0) zero++;
            if (Math.abs(v) < eps) near++;
            if (Math.abs(v) >= 6f) over++;
        }
        assertArrayEquals(firing, s.firing());
        assertEquals(negative, s.negatives());
        assertEquals(zero, s.zeros());
        assertEquals(near, s.nearZero());
        assertEquals(over, java.util.Arrays.stream(s.overThreshold()).sum());
        assertEquals(x.length - positive - negative, s.zeros());
        // extremes kept as integers of the bits: the same floats as Math.min/max/abs
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        float[] channelMax = new float[width];
        for (int i = 0; i < x.length; i++) {
            min = Math.min(min, x[i]);
            max = Math.max(max, x[i]);
            channelMax[i % width] = Math.max(channelMax[i % width], Math.abs(x[i]));
        }
        assertEquals(min, s.min());
        assertEquals(max, s.max());
        assertEquals(Float.MAX_VALUE, s.maxAbs());
        assertArrayEquals(channelMax, s.channelMaxAbs());
    }

    /** The SIMD bins are {@link Thresholds#bin}'s, at the edges of the range, of bins and of the floats. */
    @Test
    void histogramBinsAgreeWithTheScalarBin() {
        Thresholds t = Thresholds.of(StatsConfig.DEFAULT);   // 80 bins over [−10, 10): 0.25 wide
        assertEquals(0, t.bin(Math.nextDown(-10f)));
        assertEquals(1, t.bin(-10f));
        assertEquals(41, t.bin(0f));
        assertEquals(41, t.bin(-0f));
        assertEquals(40, t.bin(-1e-3f));
        assertEquals(80, t.bin(9.999f));
        assertEquals(81, t.bin(10f));
        assertEquals(0, t.bin(-Float.MAX_VALUE));
        assertEquals(81, t.bin(Float.MAX_VALUE));
        List<Float> edges = new ArrayList<>(List.of(0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE,
                4e6f, -4e6f, 1e30f, -1e30f));
        for (int b = -42; b <= 42; b++) {
            float edge = b * 0.25f;
            edges.addAll(List.of(edge, Math.nextDown(edge), Math.nextUp(edge)));
        }
        int width = 64;   // 4 SIMD widths of 16 lanes (or more, narrower): the vector path runs
        int rows = (edges.size() + width - 1) / width;
        float[] x = new float[rows * width];
        long[] expected = new long[StatsConfig.DEFAULT.histogramBins() + 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = edges.get(i % edges.size());
            expected[t.bin(x[i])]++;
        }
        SiteStats s = new SiteStats(StatsConfig.DEFAULT, width, false);
        s.add(x, 0, rows, width);
        assertArrayEquals(expected, s.histogram());
    }

    /** Min and max from the bits as ints, for blocks all positive, all negative, mixed, and of zeros of either sign. */
    @Test
    void extremesAgreeWithMathMinMax() {
        float[][] cases = {
            {0.5f, 2f, 1e-30f, Float.MIN_VALUE, 3e38f},
            {-0.5f, -2f, -1e-30f, -Float.MIN_VALUE, -3e38f},
            {-0.5f, 2f, -1e-30f, Float.MIN_VALUE, -3e38f, 0f, -0f},
            {-0f, -0f},
            {0f, -0f},
            {0f, 0f},
            {-0f, -1f},
            {0f, 1f}};
        for (float[] values : cases) {
            int width = 64;   // the SIMD path
            float[] x = new float[values.length * width];
            for (int r = 0; r < values.length; r++) Arrays.fill(x, r * width, (r + 1) * width, values[r]);
            x[width + 3] = values[0];   // one lane differs from the others
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            for (float v : x) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            SiteStats s = new SiteStats(StatsConfig.DEFAULT, width, false);
            s.add(x, 0, values.length, width);
            assertEquals(Float.floatToRawIntBits(min), Float.floatToRawIntBits(s.min()), Arrays.toString(values));
            assertEquals(Float.floatToRawIntBits(max), Float.floatToRawIntBits(s.max()), Arrays.toString(values));
        }
    }

    /** Per-token ratios on a site wide enough for the SIMD path, against sorting the sampled channels. */
    @Test
    void tokenRatiosAgreeWithSorting() {
        int rows = 37, width = 1000;   // 16-row chunks and groups of four, each with a remainder
        float[] x = Reference.gaussian(rows * width, 1, 21);
        for (int r = 0; r < rows; r += 3) x[r * width + (r * 37) % width] = 400f + r;   // some massive tokens
        SiteStats s = new SiteStats(StatsConfig.DEFAULT, width, true);
        s.add(x, 0, rows, width);
        int m = 256;   // 16 runs of 16 adjacent channels, run j from channel 16·⌊j·width/256⌋
        double maxRatio = 0, sumRatio = 0;
        long massive = 0;
        for (int r = 0; r < rows; r++) {
            float top = 0;
            for (int c = 0; c < width; c++) top = Math.max(top, Math.abs(x[r * width + c]));
            float[] sample = new float[m];
            for (int i = 0; i < m; i++) sample[i] = Math.abs(x[r * width + 16 * (i / 16 * width / 256) + i % 16]);
            Arrays.sort(sample);
            float exact = sample[(m - 1) / 2];
            // reported with its mantissa cut to 7 bits: at most 2^-7 below the exact median
            float median = Float.intBitsToFloat(Float.floatToRawIntBits(exact) & 0xffff0000);
            assertTrue(median <= exact && median >= exact * (1 - Math.scalb(1.0, -7)), median + " vs " + exact);
            double ratio = top / median;
            maxRatio = Math.max(maxRatio, ratio);
            sumRatio += ratio;
            if (ratio >= SiteStats.MASSIVE_RATIO) massive++;
        }
        assertEquals(maxRatio, s.maxTokenRatio(), 0);
        assertEquals(sumRatio / rows, s.meanTokenRatio(), 1e-12 * sumRatio);
        assertEquals(massive, s.massiveTokens());
        assertTrue(massive > 0);
    }

    @Test
    void blocksWithNonFiniteValuesAgreeWithTheFastPath() {
        float[] x = Reference.gaussian(20 * 37, 1, 12);
        SiteStats fast = new SiteStats(StatsConfig.DEFAULT, 37, true);
        fast.add(x, 0, 20, 37);
        float[] withNan = java.util.Arrays.copyOf(x, x.length + 37);
        java.util.Arrays.fill(withNan, x.length, withNan.length, Float.NaN);   // one extra all-NaN token
        SiteStats slow = new SiteStats(StatsConfig.DEFAULT, 37, true);
        slow.add(withNan, 0, 21, 37);
        assertEquals(37, slow.nanCount());
        assertEquals(fast.count(), slow.count());
        assertEquals(fast.negatives(), slow.negatives());
        assertEquals(fast.nearZero(), slow.nearZero());
        assertArrayEquals(fast.firing(), slow.firing());
        assertArrayEquals(fast.histogram(), slow.histogram());
        assertEquals(fast.moments().variance(), slow.moments().variance(), 1e-6 * fast.moments().variance());
        assertEquals(fast.moments().kurtosis(), slow.moments().kurtosis(), 1e-6 * fast.moments().kurtosis());
    }

    @Test
    void gaussianKurtosisIsThreeAndQuantilesAreRight() {
        float[] x = Reference.gaussian(200_000, 2, 11);
        SiteStats s = new SiteStats(new StatsConfig(1e-3, 6, 10, 80, 10, 1_000_000, 7), 1000, false);
        s.add(x, 0, 200, 1000);
        assertEquals(3.0, s.moments().kurtosis(), 0.05);
        assertEquals(0.0, s.moments().skewness(), 0.02);
        assertEquals(4.0, s.moments().variance(), 0.05);
        // every value is sampled here (quantile_sample above the block's size): each quantile is the
        // exact order statistic to within the histogram's relative bound
        float[] sorted = x.clone();
        Arrays.sort(sorted);
        double bound = LogHistogram.relativeError(7);
        for (double q : new double[] {0, 0.001, 0.01, 0.25, 0.5, 0.75, 0.99, 0.999, 1}) {
            float exact = sorted[(int) Math.floor(q * (sorted.length - 1))];
            assertEquals(exact, s.quantile(q), bound * Math.abs(exact) * (1 + 1e-6), "quantile " + q);
        }
    }

    @Test
    void quantileSampleSeesEveryChannel() {
        // each channel holds its own index: the median over all values is the middle channel. A
        // systematic step sharing a factor with the width (384 here) would sample 4 channels only.
        int rows = 1024, width = 1536;
        float[] x = new float[rows * width];
        for (int r = 0; r < rows; r++) for (int c = 0; c < width; c++) x[r * width + c] = c;
        SiteStats s = new SiteStats(StatsConfig.DEFAULT, width, false);
        s.add(x, 0, rows, width);
        assertEquals(767.5, s.quantile(0.5), 0.03 * width);
        assertEquals(0.99 * width, s.quantile(0.99), 0.03 * width);
    }

    @Test
    void massiveActivationRatioPerToken() {
        // token 0: one value 500, the rest 1 → max/median = 500; token 1: all 1 → 1
        int d = 9;
        float[] x = new float[2 * d];
        Arrays.fill(x, 1f);
        x[3] = 500f;
        SiteStats s = new SiteStats(StatsConfig.DEFAULT, d, true);
        s.add(x, 0, 2, d);
        assertEquals(500.0, s.maxTokenRatio(), 1e-9);
        assertEquals(1, s.massiveTokens());
        assertEquals(250.5, s.meanTokenRatio(), 1e-9);
    }

    @Test
    void nonFiniteValuesAreCountedNotMixedIn() {
        float[] x = {1f, Float.NaN, Float.POSITIVE_INFINITY, 3f};
        SiteStats s = new SiteStats(StatsConfig.DEFAULT, 4, false);
        s.add(x, 0, 1, 4);
        assertEquals(1, s.nanCount());
        assertEquals(1, s.infCount());
        assertEquals(2, s.count());
        assertEquals(2.0, s.moments().mean(), 0);
    }

    @Test
    void serialisationRoundTrip() {
        CaseStats c = new CaseStats(StatsConfig.DEFAULT);
        float[] x = Reference.gaussian(10 * 20, 1, 4);
        c.site(CaseStats.key(0, "ffn_act"), 20, false).add(x, 0, 10, 20);
        c.site(CaseStats.key(1, "block_out"), 20, true).add(x, 0, 10, 20);
        c.skipRow();
        CaseStats back = CaseStats.fromBytes(c.toBytes(), StatsConfig.DEFAULT);
        assertEquals(1, back.rowsSkipped());
        assertEquals(c.sites().keySet(), back.sites().keySet());
        SiteStats a = c.sites().get("1/block_out"), b = back.sites().get("1/block_out");
        assertEquals(a.moments().kurtosis(), b.moments().kurtosis(), 0);
        assertArrayEquals(a.histogram(), b.histogram());
        assertEquals(a.quantile(0.5), b.quantile(0.5), 0);
        assertEquals(a.maxTokenRatio(), b.maxTokenRatio(), 0);
    }

    @Test
    void selectFindsTheMedian() {
        float[] a = {5, 1, 4, 2, 3};
        assertEquals(3f, Select.median(a.clone()));
        float[] r = Reference.gaussian(1001, 1, 9);
        float[] sorted = r.clone();
        Arrays.sort(sorted);
        assertEquals(sorted[500], Select.median(r));
        assertTrue(Select.kth(new float[] {2, 2, 2, 1}, 0) == 1f);
        // the bitwise selection used per token (scalar; in SIMD lanes over padded bits, four rows at once,
        // the bin of its top 16 bits) agrees with quickselect on magnitudes, ties, zeros, subnormals and
        // huge values included, at every rank
        java.util.Random rnd = new java.util.Random(3);
        for (int n : new int[] {1, 2, 3, 8, 63, 255, 256}) {
            int length = ChannelKernels.selectionLength(n);
            for (int trial = 0; trial < 50; trial++) {
                float[][] rows = new float[4][n];
                int[] bits = new int[4 * length];
                Arrays.fill(bits, Integer.MAX_VALUE);
                for (int t = 0; t < 4; t++) {
                    for (int i = 0; i < n; i++) {
                        rows[t][i] = switch ((trial + t) % 5) {
                            case 0 -> rnd.nextInt(3);
                            case 1 -> rnd.nextBoolean() ? Float.MIN_VALUE * rnd.nextInt(4) : Float.MAX_VALUE;
                            default -> Math.abs((float) rnd.nextGaussian() * (float) Math.pow(10, rnd.nextInt(7) - 3));
                        };
                        bits[t * length + i] = Float.floatToRawIntBits(rows[t][i]);
                    }
                }
                for (int k : new int[] {0, (n - 1) / 2, n - 1}) {
                    int[] bins = new int[4];
                    ChannelKernels.kthBinOfNonNegative4(bits, length, k, new int[2 * length], bins);
                    for (int t = 0; t < 4; t++) {
                        float expected = Select.kth(rows[t].clone(), k);
                        assertEquals(expected, Select.kthOfNonNegative(Arrays.copyOfRange(bits, t * length, t * length + n), n, k),
                                n + "/" + trial + "/" + t + "/" + k);
                        assertEquals(Float.floatToRawIntBits(expected) >>> 16, bins[t], n + "/" + trial + "/" + t + "/" + k);
                    }
                }
            }
        }
    }
}
