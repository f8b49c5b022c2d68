package ffnbench.math;

import java.util.Locale;

/**
 * Element-wise activation functions, applied in place to a range of a float array.
 *
 * <p>Parsed from names as they appear in configs and Hugging Face {@code hidden_act} fields:
 * {@code relu, gelu (exact, x·Φ(x)), gelu_tanh (also gelu_new, gelu_pytorch_tanh), silu (also swish),
 * swish:<β>, sigmoid, tanh, quick_gelu, identity (also linear)}.
 */
public final class Activation implements java.io.Serializable {

    /** The kinds of activation; {@code SWISH} carries its β in {@link #beta()}. */
    public enum Kind { IDENTITY, RELU, GELU, GELU_TANH, SILU, SWISH, SIGMOID, TANH, QUICK_GELU }

    public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 1f);
    public static final Activation RELU = new Activation(Kind.RELU, 1f);
    public static final Activation GELU = new Activation(Kind.GELU, 1f);
    public static final Activation GELU_TANH = new Activation(Kind.GELU_TANH, 1f);
    public static final Activation SILU = new Activation(Kind.SILU, 1f);
    public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 1f);
    public static final Activation TANH = new Activation(Kind.TANH, 1f);
    public static final Activation QUICK_GELU = new Activation(Kind.QUICK_GELU, 1.702f);

    public static final String NAMES =
            "relu, gelu, gelu_tanh, silu, swish:<beta>, sigmoid, tanh, quick_gelu, identity";

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    private final Kind kind;
    private final float beta;

    private Activation(Kind kind, float beta) {
        this.kind = kind;
        this.beta = beta;
    }

    /** Swish-β: {@code x·σ(βx)}; β=1 is SiLU. */
    public static Activation swish(float beta) {
        if (!Float.isFinite(beta)) {
            throw new IllegalArgumentException("swish beta must be finite, got " + beta);
        }
        return beta == 1f ? SILU : new Activation(Kind.SWISH, beta);
    }

    /** Parses an activation name (config or HF {@code hidden_act}); fails naming the allowed values. */
    public static Activation parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.startsWith("swish:")) {
            try {
                return swish(Float.parseFloat(n.substring("swish:".length())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad swish beta in '" + name + "': write swish:<number>, e.g. swish:1.5");
            }
        }
        switch (n) {
            case "identity": case "linear": case "none": return IDENTITY;
            case "relu": return RELU;
            case "gelu": case "gelu_exact": case "gelu_erf": return GELU;
            case "gelu_tanh": case "gelu_new": case "gelu_pytorch_tanh": case "gelu_fast": return GELU_TANH;
            case "silu": case "swish": return SILU;
            case "sigmoid": return SIGMOID;
            case "tanh": return TANH;
            case "quick_gelu": return QUICK_GELU;
            default:
                throw new IllegalArgumentException("unknown activation '" + name + "': use one of " + NAMES);
        }
    }

    public Kind kind() {
        return kind;
    }

    /** β of Swish (1 for SiLU, 1.702 for quick_gelu). */
    public float beta() {
        return beta;
    }

    /** Canonical name, parseable by {@link #parse}. */
    public String name() {
        return kind == Kind.SWISH ? "swish:" + beta : kind.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return name();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Activation a && a.kind == kind && a.beta == beta;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Float.hashCode(beta);
    }

    /** FLOPs counted per element (for GFLOP/s reports; a convention, stated in docs). */
    public int flopsPerElement() {
        return switch (kind) {
            case IDENTITY -> 0;
            case RELU -> 1;
            case SIGMOID, TANH -> 4;
            case SILU, SWISH, QUICK_GELU -> 5;
            case GELU -> 8;
            case GELU_TANH -> 9;
        };
    }

    /** One element (the reference form; {@link #applyInPlace} is the batched one). */
    public float apply(float x) {
        return switch (kind) {
            case IDENTITY -> x;
            case RELU -> x > 0f ? x : 0f;
            case GELU -> gelu(x);
            case GELU_TANH -> geluTanh(x);
            case SILU -> x / (FastMath.exp(-x) + 1f);
            case SWISH, QUICK_GELU -> x / (FastMath.exp(x * -beta) + 1f);
            case SIGMOID -> sigmoid(x);
            case TANH -> tanh(x);
        };
    }

    /** Whether the JDK Vector API runs the element-wise kernels ({@link ffnbench.backend.Simd}). */
    public static final boolean VECTORIZED = ffnbench.backend.Simd.VECTOR_API;

    /** Applies the activation to {@code a[from .. from+length)} in place (SIMD when available). */
    public void applyInPlace(float[] a, int from, int length) {
        int start = VECTORIZED ? VectorActivations.apply(this, a, from, length) : from;
        applyScalar(a, start, from + length - start);
    }

    /**
     * {@code a[aFrom + i] *= b[bFrom + i]} for {@code i < length} (SIMD when available): a gated FFN's
     * gate ⊙ up. The plain loop was not auto-vectorised by C2 (two arrays at unrelated offsets) and
     * cost as much as the activation itself.
     */
    public static void multiplyInPlace(float[] a, int aFrom, float[] b, int bFrom, int length) {
        int done = VECTORIZED ? VectorActivations.multiply(a, aFrom, b, bFrom, length) : 0;
        for (int i = done; i < length; i++) a[aFrom + i] *= b[bFrom + i];
    }

    /**
     * {@code a[i] = e^(a[i] − shift)} for {@code i} in {@code [from, from+length)} (SIMD when available),
     * with exactly the bits of {@link FastMath#exp}: softmax's exponentials.
     */
    public static void expInPlace(float[] a, int from, int length, float shift) {
        int done = VECTORIZED ? VectorActivations.expShifted(a, from, length, shift) : 0;
        for (int i = from + done; i < from + length; i++) a[i] = FastMath.exp(a[i] - shift);
    }

    /** The scalar loops (reference form, and the tail of the SIMD path). */
    void applyScalar(float[] a, int from, int length) {
        int to = from + length;
        // One loop per kind: the switch stays out of the hot loop.
        switch (kind) {
            case IDENTITY -> { }
            case RELU -> { for (int i = from; i < to; i++) a[i] = a[i] > 0f ? a[i] : 0f; }
            case GELU -> { for (int i = from; i < to; i++) a[i] = gelu(a[i]); }
            case GELU_TANH -> { for (int i = from; i < to; i++) a[i] = geluTanh(a[i]); }
            case SILU -> { for (int i = from; i < to; i++) a[i] = a[i] / (FastMath.exp(-a[i]) + 1f); }
            case SWISH, QUICK_GELU -> { for (int i = from; i < to; i++) a[i] = a[i] / (FastMath.exp(a[i] * -beta) + 1f); }
            case SIGMOID -> { for (int i = from; i < to; i++) a[i] = sigmoid(a[i]); }
            case TANH -> { for (int i = from; i < to; i++) a[i] = tanh(a[i]); }
        }
    }

    static float sigmoid(float x) {
        return 1f / (FastMath.exp(-x) + 1f);
    }

    static float tanh(float x) {
        return FastMath.tanh(x);
    }

    /**
     * GELU tanh approximation {@code 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))}, written as
     * {@code x·σ(2u)} since {@code (1 + tanh u)/2 = σ(2u)}.
     */
    static float geluTanh(float x) {
        float u = (x * x * 0.044715f + 1f) * x * (-2f * SQRT_2_OVER_PI);
        return x / (FastMath.exp(u) + 1f);
    }

    /** GELU exact {@code x·Φ(x)}, Φ through erfc so the left tail keeps its relative accuracy. */
    static float gelu(float x) {
        return x * FastMath.normalCdf(x);
    }
}
