package ffnbench.stats;

/** Order statistics on float arrays (in place). */
final class Select {
    private Select() {}

    /** The median (lower median for even lengths); reorders {@code a}. */
    static float median(float[] a) {
        return kth(a, (a.length - 1) / 2);
    }

    /** The k-th smallest value (Hoare's quickselect, middle pivot); reorders {@code a}. */
    static float kth(float[] a, int k) {
        int lo = 0, hi = a.length - 1;
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    float t = a[i]; a[i] = a[j]; a[j] = t;
                    i++; j--;
                }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return a[k];
        }
        return a[k];
    }

    /**
     * The k-th smallest (0-based) of {@code n} non-negative floats given as their bits (for x ≥ 0 the
     * int bits order like the floats), exactly as {@link #kth}. Builds the answer bit by bit from the
     * top: it is the largest r with at most k values below it, so each bit is kept when the count of
     * values below the candidate stays ≤ k. 31 counting passes of a compare-free subtraction; no
     * data-dependent branches (ChannelKernels runs the passes in SIMD lanes).
     */
    static float kthOfNonNegative(int[] bits, int n, int k) {
        int r = 0;
        for (int bit = 30; bit >= 0; bit--) {
            int candidate = r | (1 << bit);
            int below = 0;
            for (int i = 0; i < n; i++) below += (bits[i] - candidate) >>> 31;   // 1 when bits[i] < candidate
            if (below <= k) r = candidate;
        }
        return Float.intBitsToFloat(r);
    }
}
