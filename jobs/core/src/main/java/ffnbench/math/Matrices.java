package ffnbench.math;

/** Layout helpers for row-major matrices. */
public final class Matrices {
    /**
     * Whether every value of {@code x} is finite (no NaN, no ±∞): the largest |x|'s bits are below +∞'s,
     * an integer maximum, a SIMD width at a time when available (a float sum chain would wait on each
     * addition).
     */
    public static boolean allFinite(float[] x) {
        int largest = Activation.VECTORIZED ? VectorActivations.largestMagnitudeBits(x) : largestMagnitudeBits(x, 0, 0);
        return largest < 0x7f800000;
    }

    /** The largest of {@code largest} and the bits of |x[i]| for i ≥ {@code from}, as ints (the scalar form). */
    static int largestMagnitudeBits(float[] x, int from, int largest) {
        for (int i = from; i < x.length; i++) largest = Math.max(largest, Float.floatToRawIntBits(x[i]) & 0x7fffffff);
        return largest;
    }

    private Matrices() {}

    /**
     * Side-by-side concatenation {@code [A | B | …]} of row-major matrices with {@code rows} rows each;
     * each part's width is its length / rows.
     */
    public static float[] concatColumns(int rows, float[]... parts) {
        int total = 0;
        for (float[] p : parts) {
            if (p.length % rows != 0) {
                throw new IllegalArgumentException("a part of " + p.length + " values is not " + rows + " rows");
            }
            total += p.length / rows;
        }
        float[] out = new float[rows * total];
        int col = 0;
        for (float[] p : parts) {
            int w = p.length / rows;
            for (int r = 0; r < rows; r++) System.arraycopy(p, r * w, out, r * total + col, w);
            col += w;
        }
        return out;
    }

    /** The transpose {@code [cols × rows]} of a row-major {@code [rows × cols]} matrix (a new array). */
    public static float[] transpose(float[] a, int rows, int cols) {
        if (a.length != (long) rows * cols) {
            throw new IllegalArgumentException("a matrix of " + a.length + " values is not " + rows + " × " + cols);
        }
        float[] t = new float[a.length];
        int block = 64;   // tiles, so that both the reads and the writes stay in cache
        for (int r0 = 0; r0 < rows; r0 += block) {
            for (int c0 = 0; c0 < cols; c0 += block) {
                int r1 = Math.min(rows, r0 + block), c1 = Math.min(cols, c0 + block);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) t[c * rows + r] = a[r * cols + c];
                }
            }
        }
        return t;
    }

    /** Stacked concatenation of row-major matrices of equal width: their rows one after another. */
    public static float[] concatRows(float[]... parts) {
        int total = 0;
        for (float[] p : parts) total += p.length;
        float[] out = new float[total];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
