package ffnbench.math;

/**
 * Float transcendental functions written with + − × ÷ only, so they give the same bits everywhere:
 * interpreted or JIT-compiled, scalar or in SIMD lanes ({@link VectorActivations} evaluates the
 * identical sequence of operations). {@code Math.exp} may differ by an ulp between the interpreter
 * and the JIT's intrinsic, which would make statistics depend on which rows ran before compilation.
 * Accuracy: relative error about 2e-7 (Cephes single-precision algorithms).
 */
public final class FastMath {
    /** Above this e^x is reported as +∞ (exp(88) = 1.65e38; keeps 2^k a normal float). */
    static final float EXP_HI = 88.0f;
    static final float EXP_LO = -87.3365447504019f;
    static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2^23: adding it rounds a float of magnitude &lt; 2^22 to an integer, held in the low mantissa bits. */
    public static final float ROUND_MAGIC = 12582912f;
    public static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    static final float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f,
            P3 = 4.1665795894E-2f, P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f;
    /** tanh(x) = x + x·x²·T(x²) for |x| &lt; 0.625 (Cephes tanhf). */
    static final float T0 = -5.70498872745E-3f, T1 = 2.06390887954E-2f, T2 = -5.37397155531E-2f,
            T3 = 1.33314422036E-1f, T4 = -3.33332819422E-1f;
    /** Numerical Recipes' erfc fit (fractional error 1.2e-7 in exact arithmetic). */
    static final float[] ERFC = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f,
        0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f};

    private FastMath() {}

    /** e^x: 0 below −87.3, +∞ above 88.4, NaN for NaN. */
    public static float exp(float x) {
        if (x != x) return x;
        if (x > EXP_HI) return Float.POSITIVE_INFINITY;
        if (x < EXP_LO) return 0f;
        // k = round(x·log2 e) without float→int conversion (which the Vector API cannot do fast on JDK 17)
        float shifted = x * LOG2E + ROUND_MAGIC;
        float k = shifted - ROUND_MAGIC;
        int twoToK = ((Float.floatToRawIntBits(shifted) - ROUND_MAGIC_BITS) + 127) << 23;
        float r = x - k * LN2_HI - k * LN2_LO;
        float p = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
        p = p * (r * r) + r + 1f;
        return p * Float.intBitsToFloat(twoToK);
    }

    /** tanh(x). */
    public static float tanh(float x) {
        float a = Math.abs(x);
        if (a < 0.625f) {
            float z = x * x;
            return x + x * z * ((((T0 * z + T1) * z + T2) * z + T3) * z + T4);
        }
        float t = 1f - 2f / (exp(2f * Math.min(a, 20f)) + 1f);
        return x < 0 ? -t : t;
    }

    /** Φ(x) = ½·erfc(−x/√2), the standard normal CDF. */
    public static float normalCdf(float x) {
        float z = Math.abs(x) * 0.70710677f;
        float t = 1f / (z * 0.5f + 1f);
        float p = ERFC[0];
        for (int i = 1; i < ERFC.length; i++) p = p * t + ERFC[i];
        float half = t * exp(p - z * z) * 0.5f;   // ½·erfc(z)
        return x < 0 ? half : 1f - half;
    }
}
