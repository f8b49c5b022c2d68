package ffnbench.model;

import java.lang.ref.WeakReference;
import java.util.WeakHashMap;

/**
 * The large intermediate arrays of a forward pass (projections, attention scores, hidden
 * activations, block outputs), kept between calls so that a task running many rows allocates them
 * once instead of once per row.
 *
 * <p>Why it matters: a 256-token row at d_model 1024 needs ~15 MB of intermediates, most of them
 * single arrays of 1–3 MB. G1 treats arrays of half a heap region or more as "humongous" (allocated
 * straight into the old generation), so allocating them per row makes garbage collection a large
 * share of task time, and on a host shared by several executor JVMs the collectors' threads compete
 * for the same cores.
 *
 * <p>A buffer is named by its owner (the layer, attention or FFN object that uses it) and a slot
 * number private to that owner, so two layers of one model never share an array. Contents are
 * whatever the previous call left: every user overwrites all elements it reads. An array returned
 * by a forward pass that used a reusing workspace stays valid only until the next pass with the
 * same workspace; callers that keep results use {@link #fresh()} (what the convenience overloads
 * do). Not thread-safe: one workspace per thread.
 *
 * <p>Owners and the scope are held weakly: a thread's workspace must not keep alive the layers of a
 * case that the layer cache has dropped (their weights are most of an executor's heap). The owners
 * are identity-keyed, since none of their classes overrides {@code equals}.
 */
public final class Workspace {
    private final boolean reuse;
    private final WeakHashMap<Object, float[][]> buffers = new WeakHashMap<>();
    private WeakReference<Object> scope = new WeakReference<>(null);

    private Workspace(boolean reuse) {
        this.reuse = reuse;
    }

    /** A workspace that allocates a new array on every request: results may be kept. */
    public static Workspace fresh() {
        return new Workspace(false);
    }

    /** A workspace that hands out the same arrays again on later calls. */
    public static Workspace reusing() {
        return new Workspace(true);
    }

    /**
     * Drops every buffer when {@code newScope} (e.g. the layers of a benchmark case) differs from
     * the previous one, so a thread that moves on to another case does not keep the old case's arrays.
     */
    public Workspace scopedTo(Object newScope) {
        if (newScope != scope.get()) {
            buffers.clear();
            scope = new WeakReference<>(newScope);
        }
        return this;
    }

    /** A float array of exactly {@code length} elements for slot {@code slot} of {@code owner}; contents undefined. */
    public float[] get(Object owner, int slot, int length) {
        if (!reuse) return new float[length];
        float[][] slots = buffers.get(owner);
        if (slots == null || slots.length <= slot) {
            float[][] grown = new float[slot + 1][];
            if (slots != null) System.arraycopy(slots, 0, grown, 0, slots.length);
            slots = grown;
            buffers.put(owner, slots);
        }
        float[] a = slots[slot];
        if (a == null || a.length != length) {
            a = new float[length];
            slots[slot] = a;
        }
        return a;
    }

    /** Floats held (a diagnostic for tests). */
    public long heldFloats() {
        long n = 0;
        for (float[][] slots : buffers.values()) for (float[] a : slots) if (a != null) n += a.length;
        return n;
    }
}
