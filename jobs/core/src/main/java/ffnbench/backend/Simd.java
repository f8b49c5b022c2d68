package ffnbench.backend;

/**
 * Whether the element-wise kernels (activations, statistics) run on the JDK Vector API or as scalar
 * loops. The Vector API is an incubator module: it is there only when the JVM starts with
 * {@code --add-modules jdk.incubator.vector} (scripts/ffnbench and the tests do; a cluster that
 * refuses JVM options runs the scalar path). {@code -Dffnbench.scalar=true} forces the scalar path.
 */
public final class Simd {
    private Simd() {}

    public static final String SCALAR_PROPERTY = "ffnbench.scalar";

    public static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean(SCALAR_PROPERTY);

    static {
        org.slf4j.LoggerFactory.getLogger(Simd.class).info("ffnbench SIMD: {}", describe());
    }

    /** e.g. {@code JDK Vector API, 512-bit vectors}, or {@code scalar loops (…why…)}. */
    public static String describe() {
        return VECTOR_API ? "JDK Vector API, " + vectorBits() + "-bit vectors" : "scalar loops (" + scalarReason() + ")";
    }

    /** The preferred float vector's width in bits (e.g. 512 with AVX-512), or 0 on the scalar path. */
    public static int vectorBits() {
        return VECTOR_API ? Lanes.BITS : 0;
    }

    /** Why the scalar path runs, or null when the Vector API does. */
    public static String scalarReason() {
        if (VECTOR_API) return null;
        return Boolean.getBoolean(SCALAR_PROPERTY) ? SCALAR_PROPERTY + "=true"
                : "the JVM was started without --add-modules jdk.incubator.vector";
    }

    /** Loaded only when the module is present. */
    private static final class Lanes {
        static final int BITS = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }
}
