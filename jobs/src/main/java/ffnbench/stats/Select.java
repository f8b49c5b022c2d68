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
}
