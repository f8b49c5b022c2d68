package ffnbench.model;

import ffnbench.math.Gemm;
import ffnbench.math.Matrices;

/**
 * An FFN run with the values of one site below a magnitude threshold set to zero, skipping the
 * multiply-adds those zeros make unnecessary (training-free activation sparsity: TEAL zeroes the
 * FFN input, CATS the activated gate; zeroing the hidden skips rows of the down projection):
 * <pre>
 * ffn_in        x' = x·[|x| ≥ t]    P = x'·W_in: each kept input channel adds its row of W_in
 * ffn_gate_act  g' = g·[|g| ≥ t]    per kept neuron j: up_j = x·W_up[:, j], h_j = g_j·up_j, y += h_j·W_down[j, :]
 * ffn_act       h' = h·[|h| ≥ t]    per kept neuron j: y += h_j·W_down[j, :]
 * </pre>
 * The zeroed rows differ from token to token, so the sparse parts run as one row-times-vector per
 * kept value, not as a GEMM. Holds the transposed weights it gathers rows from (built once per FFN).
 */
public final class SparseFfn {
    /** The sites a threshold can be applied at. */
    public enum At {
        FFN_IN, FFN_GATE_ACT, FFN_ACT;

        public static At of(String site) {
            return switch (site) {
                case "ffn_in" -> FFN_IN;
                case "ffn_gate_act" -> FFN_GATE_ACT;
                case "ffn_act" -> FFN_ACT;
                default -> throw new IllegalArgumentException("no sparse FFN at site '" + site + "': use ffn_in, ffn_gate_act or ffn_act");
            };
        }
    }

    /**
     * One sparse pass: the output {@code [tokens × d]}, how many of the site's values were zeroed, and
     * the multiply-adds of the input projection (gate and up) and the down projection, skipped and in all.
     */
    public record Result(float[] out, long zeroed, long values, long skippedInMacs, long inMacs, long skippedDownMacs, long downMacs) { }

    private final FeedForward ffn;
    private final int d, dFf, inputWidth;
    private final float[] inputRows;   // W_in [d × inputWidth]: row i is what input channel i adds
    private final float[] downRows;    // W_down [d_ff × d]: row j is what neuron j adds
    private final float[] gateOutIn;   // W_gate [d_ff × d] (out × in), gated FFNs only
    private final float[] gateBias;

    public SparseFfn(FeedForward ffn) {
        this.ffn = ffn;
        this.d = ffn.dModel();
        this.dFf = ffn.dFf();
        this.inputWidth = ffn.inputWidth();
        this.inputRows = Matrices.transpose(ffn.inputWeightOutIn(), inputWidth, d);
        this.downRows = Matrices.transpose(ffn.outputWeightOutIn(), d, dFf);
        this.gateOutIn = ffn.gated() ? java.util.Arrays.copyOf(ffn.inputWeightOutIn(), dFf * d) : null;
        this.gateBias = ffn.gated() && ffn.inputBias() != null ? java.util.Arrays.copyOf(ffn.inputBias(), dFf) : null;
    }

    /** The FFN of {@code x [tokens × d]} with the values at {@code at} whose |v| &lt; {@code threshold} zeroed. */
    public Result apply(float[] x, int tokens, At at, float threshold) {
        return switch (at) {
            case FFN_IN -> sparseInput(x, tokens, threshold);
            case FFN_GATE_ACT -> sparseGate(x, tokens, threshold);
            case FFN_ACT -> sparseHidden(x, tokens, threshold);
        };
    }

    private Result sparseInput(float[] x, int tokens, float threshold) {
        float[] proj = new float[tokens * inputWidth];
        long zeroed = 0;
        for (int t = 0; t < tokens; t++) {
            int row = t * inputWidth;
            if (ffn.inputBias() != null) System.arraycopy(ffn.inputBias(), 0, proj, row, inputWidth);
            for (int i = 0; i < d; i++) {
                float v = x[t * d + i];
                if (Math.abs(v) < threshold) {
                    zeroed++;
                    continue;
                }
                addScaled(v, inputRows, i * inputWidth, proj, row, inputWidth);
            }
        }
        float[] hidden = ffn.activate(proj, 0, inputWidth, tokens, SiteRecorder.NONE, Workspace.fresh());
        float[] out = new float[tokens * d];
        ffn.project(hidden, tokens, out, SiteRecorder.NONE);
        long downMacs = (long) tokens * dFf * d;
        return new Result(out, zeroed, (long) tokens * d, zeroed * inputWidth, (long) tokens * d * inputWidth, 0, downMacs);
    }

    private Result sparseGate(float[] x, int tokens, float threshold) {
        if (gateOutIn == null) throw new IllegalArgumentException("ffn_gate_act: a standard FFN has no gate");
        float[] gate = new float[tokens * dFf];
        Gemm.linearOutIn(x, tokens, d, gateOutIn, gateBias, dFf, gate);
        ffn.activation().applyInPlace(gate, 0, gate.length);
        float[] up = ffn.inputWeightOutIn(), upBias = ffn.inputBias();
        float[] out = new float[tokens * d];
        long zeroed = 0;
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < dFf; j++) {
                float g = gate[t * dFf + j];
                if (Math.abs(g) < threshold) {
                    zeroed++;
                    continue;
                }
                float upJ = dot(x, t * d, up, (dFf + j) * d, d) + (upBias == null ? 0f : upBias[dFf + j]);
                addScaled(g * upJ, downRows, j * d, out, t * d, d);
            }
        }
        addOutputBias(out, tokens);
        long values = (long) tokens * dFf;
        return new Result(out, zeroed, values, zeroed * d, values * 2 * d, zeroed * d, values * d);
    }

    private Result sparseHidden(float[] x, int tokens, float threshold) {
        float[] proj = new float[tokens * inputWidth];
        Gemm.linearOutIn(x, tokens, d, ffn.inputWeightOutIn(), ffn.inputBias(), inputWidth, proj);
        float[] hidden = ffn.activate(proj, 0, inputWidth, tokens, SiteRecorder.NONE, Workspace.fresh());
        float[] out = new float[tokens * d];
        long zeroed = 0;
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < dFf; j++) {
                float h = hidden[t * dFf + j];
                if (Math.abs(h) < threshold) {
                    zeroed++;
                    continue;
                }
                addScaled(h, downRows, j * d, out, t * d, d);
            }
        }
        addOutputBias(out, tokens);
        long values = (long) tokens * dFf;
        return new Result(out, zeroed, values, 0, (long) tokens * d * inputWidth, zeroed * d, values * d);
    }

    private void addOutputBias(float[] out, int tokens) {
        float[] b = ffn.outputBias();
        if (b == null) return;
        for (int t = 0; t < tokens; t++) for (int i = 0; i < d; i++) out[t * d + i] += b[i];
    }

    /** {@code y[yAt, yAt + n) += a · w[wAt, wAt + n)}. */
    private static void addScaled(float a, float[] w, int wAt, float[] y, int yAt, int n) {
        for (int i = 0; i < n; i++) y[yAt + i] += a * w[wAt + i];
    }

    private static float dot(float[] a, int aAt, float[] b, int bAt, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aAt + i] * b[bAt + i];
        return s;
    }
}
