package ffnbench.math;

import static ffnbench.math.FastMath.ERFC;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activations on whole SIMD registers with the JDK Vector API (incubator module
 * {@code jdk.incubator.vector}): scalar loops of these functions cost as much as the GEMMs around
 * them (docs/PERFORMANCE.md). Every lane evaluates exactly the operations of the scalar {@link FastMath} /
 * {@link Activation} forms, in the same order, so SIMD and scalar results are bit-identical (the
 * tail of each range runs scalar).
 *
 * <p>Only loaded when the module is present ({@link Activation#VECTORIZED}), so the code still runs,
 * scalar, on a JVM started without {@code --add-modules jdk.incubator.vector}.
 */
final class VectorActivations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;   // same lanes as S
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    private static final FloatVector ZERO = FloatVector.zero(S);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private VectorActivations() {}

    /**
     * Applies {@code a} to {@code x[from, from+length)}; returns the index where the scalar tail starts.
     * One small loop method per activation: the Vector API is only fast when the JIT inlines every
     * vector operation into the loop, and one big method would exceed its inlining budget.
     */
    static int apply(Activation a, float[] x, int from, int length) {
        int end = from + S.loopBound(length);
        switch (a.kind()) {
            case RELU -> relu(x, from, end);
            case SILU -> swish(x, from, end, -1f);
            case SWISH, QUICK_GELU -> swish(x, from, end, -a.beta());
            case SIGMOID -> sigmoid(x, from, end);
            case TANH -> tanh(x, from, end);
            case GELU_TANH -> geluTanh(x, from, end);
            case GELU -> gelu(x, from, end);
            case IDENTITY -> { return from + length; }
        }
        return end;
    }

    /** The largest |x|'s bits as ints (NaN's and ±∞'s are ≥ +∞'s): whole SIMD widths here, the tail scalar. */
    static int largestMagnitudeBits(float[] x) {
        int end = S.loopBound(x.length);
        IntVector largest = IntVector.zero(I);
        for (int i = 0; i < end; i += S.length()) {
            largest = largest.max(((IntVector) FloatVector.fromArray(S, x, i).reinterpretShape(I, 0)).and(0x7fffffff));
        }
        return Matrices.largestMagnitudeBits(x, end, largest.reduceLanes(VectorOperators.MAX));
    }

    /** {@code a[aFrom + i] *= b[bFrom + i]} over whole SIMD widths; returns how many were done. */
    static int multiply(float[] a, int aFrom, float[] b, int bFrom, int length) {
        int done = S.loopBound(length);
        for (int i = 0; i < done; i += S.length()) {
            FloatVector.fromArray(S, a, aFrom + i).mul(FloatVector.fromArray(S, b, bFrom + i)).intoArray(a, aFrom + i);
        }
        return done;
    }

    /** {@code x[i] = exp(x[i] − shift)} over whole SIMD widths from {@code from}; returns how many were done. */
    static int expShifted(float[] x, int from, int length, float shift) {
        int done = S.loopBound(length);
        for (int i = from; i < from + done; i += S.length()) exp(FloatVector.fromArray(S, x, i).sub(shift)).intoArray(x, i);
        return done;
    }

    private static void relu(float[] x, int from, int end) {
        for (int i = from; i < end; i += S.length()) FloatVector.fromArray(S, x, i).max(0f).intoArray(x, i);
    }

    /** x·σ(βx) = x / (e^{−βx} + 1); SiLU passes −1 (as −x, like the scalar form). */
    private static void swish(float[] x, int from, int end, float negBeta) {
        boolean silu = negBeta == -1f;
        for (int i = from; i < end; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.div(exp(silu ? v.neg() : v.mul(negBeta)).add(1f)).intoArray(x, i);
        }
    }

    private static void sigmoid(float[] x, int from, int end) {
        for (int i = from; i < end; i += S.length()) {
            ONE.div(exp(FloatVector.fromArray(S, x, i).neg()).add(1f)).intoArray(x, i);
        }
    }

    private static void tanh(float[] x, int from, int end) {
        for (int i = from; i < end; i += S.length()) tanh(FloatVector.fromArray(S, x, i)).intoArray(x, i);
    }

    /** x·σ(2u), u = √(2/π)(x + 0.044715x³). */
    private static void geluTanh(float[] x, int from, int end) {
        for (int i = from; i < end; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector u = v.mul(v).mul(0.044715f).add(1f).mul(v).mul(-2f * SQRT_2_OVER_PI);
            v.div(exp(u).add(1f)).intoArray(x, i);
        }
    }

    private static void gelu(float[] x, int from, int end) {
        for (int i = from; i < end; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.mul(normalCdf(v)).intoArray(x, i);
        }
    }

    /** Lane-wise {@link FastMath#exp}. */
    static FloatVector exp(FloatVector x) {
        FloatVector result = expOfClamped(x.max(FastMath.EXP_LO).min(FastMath.EXP_HI));
        result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, FastMath.EXP_HI));
        result = result.blend(0f, x.compare(VectorOperators.LT, FastMath.EXP_LO));
        return result.blend(x, x.compare(VectorOperators.NE, x));   // NaN ≠ NaN
    }

    /**
     * {@link #exp} for arguments that cannot exceed 0 (or are NaN), as in {@link #normalCdf}, where
     * p − z² ≤ p(t = 1) ≈ 0: the same bits, without the upper clamp and the +∞ and NaN blends (a NaN
     * argument stays NaN through the arithmetic). GELU (exact) spends most of its time here.
     */
    static FloatVector expOfNonPositive(FloatVector x) {
        return expOfClamped(x.max(FastMath.EXP_LO)).blend(0f, x.compare(VectorOperators.LT, FastMath.EXP_LO));
    }

    /** e^x for x in [EXP_LO, EXP_HI] (or NaN): 2^k · p(r), x = k·ln 2 + r, as {@link FastMath#exp}. */
    private static FloatVector expOfClamped(FloatVector xc) {
        FloatVector shifted = xc.mul(FastMath.LOG2E).add(FastMath.ROUND_MAGIC);
        FloatVector k = shifted.sub(FastMath.ROUND_MAGIC);
        // bits through reinterpretShape with a constant species, not reinterpretAsInts()/AsFloats(): C2
        // then knows the exact vector class without a type profile (see ffnbench.stats.ChannelKernels.bitsOf)
        IntVector twoToK = ((IntVector) shifted.reinterpretShape(I, 0)).sub(FastMath.ROUND_MAGIC_BITS).add(127)
                .lanewise(VectorOperators.LSHL, 23);
        FloatVector r = xc.sub(k.mul(FastMath.LN2_HI)).sub(k.mul(FastMath.LN2_LO));
        FloatVector p = r.mul(FastMath.P0).add(FastMath.P1).mul(r).add(FastMath.P2).mul(r).add(FastMath.P3).mul(r)
                .add(FastMath.P4).mul(r).add(FastMath.P5);
        p = p.mul(r.mul(r)).add(r).add(1f);
        return p.mul((FloatVector) twoToK.reinterpretShape(S, 0));
    }

    /** Lane-wise {@link FastMath#tanh}. */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector z = x.mul(x);
        FloatVector poly = z.mul(FastMath.T0).add(FastMath.T1).mul(z).add(FastMath.T2).mul(z).add(FastMath.T3).mul(z).add(FastMath.T4);
        FloatVector small = x.add(x.mul(z).mul(poly));
        FloatVector t = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(exp(a.min(20f).mul(2f)).add(1f)));
        FloatVector large = t.blend(t.neg(), x.compare(VectorOperators.LT, 0f));
        return large.blend(small, a.compare(VectorOperators.LT, 0.625f));
    }

    /** Lane-wise {@link FastMath#normalCdf}. */
    static FloatVector normalCdf(FloatVector x) {
        FloatVector z = x.abs().mul(0.70710677f);
        FloatVector t = FloatVector.broadcast(S, 1f).div(z.mul(0.5f).add(1f));
        FloatVector p = FloatVector.broadcast(S, ERFC[0]);
        for (int i = 1; i < ERFC.length; i++) p = p.mul(t).add(ERFC[i]);
        FloatVector half = t.mul(expOfNonPositive(p.sub(z.mul(z)))).mul(0.5f);
        VectorMask<Float> negative = x.compare(VectorOperators.LT, 0f);
        return FloatVector.broadcast(S, 1f).sub(half).blend(half, negative);
    }
}
