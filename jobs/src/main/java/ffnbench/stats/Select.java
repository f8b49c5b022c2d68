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
     * The median (lower median for even lengths) of non-negative floats, exactly as {@link #median},
     * by radix selection on their bits (for x ≥ 0 the int bits order like the floats): four passes of
     * byte histograms, with no data-dependent branches — several times faster than quickselect on
     * the few hundred values of a token. {@code bits} is scratch of at least {@code n} ints.
     */
    static float medianOfNonNegative(float[] a, int n, int[] bits, int[] counts) {
        for (int i = 0; i < n; i++) bits[i] = Float.floatToRawIntBits(a[i]);
        int k = (n - 1) / 2;          // rank still to find among the values matching `prefix`
        int prefix = 0;
        for (int shift = 24; shift >= 0; shift -= 8) {
            java.util.Arrays.fill(counts, 0, 256, 0);
            int high = shift + 8;     // bits above this byte must equal the prefix found so far
            for (int i = 0; i < n; i++) {
                int b = bits[i];
                int match = high == 32 || (b >>> high) == prefix ? 1 : 0;
                counts[(b >>> shift) & 0xff] += match;
            }
            int bucket = 0;
            while (k >= counts[bucket]) k -= counts[bucket++];
            prefix = (prefix << 8) | bucket;
        }
        return Float.intBitsToFloat(prefix);
    }
}
