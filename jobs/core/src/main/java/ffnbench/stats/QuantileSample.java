package ffnbench.stats;

/**
 * The systematic sample of a block that feeds a site's quantile histogram: every step-th value of the
 * block's {@code [rows × width]} matrix in row order, from its first, with at most
 * {@link StatsConfig#quantileSample()} values drawn. It is taken a few rows at a time, right after the
 * pass has read them, while they are still in cache: the sampled values lie far apart in the block.
 */
final class QuantileSample {
    private int width, stepRows, stepChannels, row, channel;

    /** Starts a block of {@code rows × width} values. */
    void start(int rows, int width, int sample) {
        long n = (long) rows * width;
        long step = Math.max(1, (n + sample - 1) / sample);
        // A step sharing a factor with the width would visit only some channels (e.g. step 384 on a
        // 1536-wide site sees 4 channels): take the next step coprime with the width, so the systematic
        // sample cycles through every channel.
        while (gcd(step, width) != 1) step++;
        // walk (row, channel) incrementally: a 64-bit division per sampled value would cost more than the count
        this.width = width;
        this.stepRows = (int) (step / width);
        this.stepChannels = (int) (step % width);
        this.row = 0;
        this.channel = 0;
    }

    /** Adds the sampled values of the block's rows before {@code untilRow} into the histogram. */
    void addUntil(float[] data, int offset, int stride, int untilRow, LogHistogram into) {
        while (row < untilRow) {
            into.add(data[offset + row * stride + channel]);
            row += stepRows;
            channel += stepChannels;
            if (channel >= width) {
                channel -= width;
                row++;
            }
        }
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
