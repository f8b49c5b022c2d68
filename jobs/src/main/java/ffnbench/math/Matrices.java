package ffnbench.math;

/** Layout helpers for row-major matrices. */
public final class Matrices {
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
}
