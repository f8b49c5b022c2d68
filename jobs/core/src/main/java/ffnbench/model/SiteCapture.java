package ffnbench.model;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** A {@link SiteRecorder} that keeps a dense copy of each wanted site (for tests and {@code forward --sites}). */
public final class SiteCapture implements SiteRecorder {

    /** A captured {@code [rows × cols]} matrix. */
    public record Captured(int rows, int cols, float[] data) { }

    private final Set<Site> wanted;
    private final Map<Site, Captured> captured = new EnumMap<>(Site.class);

    public SiteCapture(Set<Site> wanted) {
        this.wanted = EnumSet.copyOf(wanted);
    }

    public static SiteCapture all() {
        return new SiteCapture(EnumSet.allOf(Site.class));
    }

    @Override
    public boolean wants(Site site) {
        return wanted.contains(site);
    }

    @Override
    public void record(Site site, float[] data, int offset, int rows, int cols, int rowStride) {
        float[] copy = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data, offset + r * rowStride, copy, r * cols, cols);
        }
        captured.put(site, new Captured(rows, cols, copy));
    }

    /** The sites captured so far, in {@link Site} order. */
    public Map<Site, Captured> captured() {
        return captured;
    }

    public Captured get(Site site) {
        Captured c = captured.get(site);
        if (c == null) {
            throw new IllegalStateException("site " + site.id() + " was not recorded");
        }
        return c;
    }
}
