package ffnbench.model;

/**
 * Receives intermediate tensors as a layer computes them. The data is a view into the layer's
 * working buffers, valid only during the call: copy or reduce it, never keep it.
 */
public interface SiteRecorder {

    /** Records nothing. */
    SiteRecorder NONE = new SiteRecorder() {
        @Override
        public boolean wants(Site site) {
            return false;
        }

        @Override
        public void record(Site site, float[] data, int offset, int rows, int cols, int rowStride) { }
    };

    /** Whether the layer should report this site (lets it skip work for unwanted sites). */
    boolean wants(Site site);

    /** Matrix {@code [rows × cols]} at {@code data[offset + r·rowStride + c]}. */
    void record(Site site, float[] data, int offset, int rows, int cols, int rowStride);

    /** A mixture-of-experts layer's routing of the tokens just recorded (before capacity drops are applied). */
    default void recordRouting(Router.Routing routing) { }

    /** Where expert {@code e} of a mixture-of-experts layer records its own sites (its tokens only); none by default. */
    default SiteRecorder forExpert(int e) {
        return NONE;
    }
}
