package ffnbench.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.math.Activation;
import ffnbench.math.LayerNorm;
import ffnbench.math.RmsNorm;
import ffnbench.model.Formulation;
import ffnbench.model.Site;
import ffnbench.model.SiteRecorder;
import ffnbench.model.TransformerLayer;
import ffnbench.stats.SiteStats;
import ffnbench.stats.StatsConfig;
import ffnbench.weights.ModelSource;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The reference data of the native GPU self-test (jobs/gpu/src/main/cuda/gpu_selftest.cu): inputs,
 * weights and the CPU implementation's outputs for every kernel, in
 * {@code jobs/gpu/src/test/resources/gpu-reference.bin}. This test recomputes them and checks that the
 * stored file is current (so the GPU is always compared with today's CPU code), within the
 * tolerances of {@link #tolerance}: BLAS kernels, SIMD widths and CPUs legitimately round
 * differently, so the comparison is never bit for bit (docs/GPU.md, "Reference data"). Run it with
 * {@code -Dffnbench.writeGpuReference=true} to rewrite the file after a deliberate change.
 *
 * <p>File format (little-endian): records of a 48-byte zero-padded ASCII name, an int32 count and
 * that many float32 values. Shapes are fixed in the self-test (see its header).
 */
class GpuReferenceTest {
    static final Path FILE = Path.of(System.getProperty("ffnbench.repo", "."), "jobs/gpu/src/test/resources/gpu-reference.bin");
    static final int D = 64, HEADS = 4, GELU_FF = 128, SWIGLU_FF = 96;
    static final int[] SEQUENCES = {10, 14};   // two sequences, 24 tokens

    static Map<String, float[]> reference() throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        int tokens = SEQUENCES[0] + SEQUENCES[1];
        Random r = new Random(11);
        float[] x = new float[tokens * D];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * (i % D == 3 ? 8f : 1f);   // one outlier channel
        out.put("x", x);

        float[] actIn = new float[512];
        for (int i = 0; i < actIn.length; i++) actIn[i] = -8f + 16f * i / (actIn.length - 1);
        out.put("act_in", actIn);
        Activation[] acts = {Activation.IDENTITY, Activation.RELU, Activation.GELU, Activation.GELU_TANH, Activation.SILU,
            Activation.swish(1.5f), Activation.SIGMOID, Activation.TANH, Activation.QUICK_GELU};
        for (Activation a : acts) {
            float[] y = new float[actIn.length];
            for (int i = 0; i < y.length; i++) y[i] = a.apply(actIn[i]);
            out.put("act_" + a.kind().name().toLowerCase(), y);
        }

        float[] gamma = new float[D], beta = new float[D];
        for (int i = 0; i < D; i++) {
            gamma[i] = 1f + 0.01f * i;
            beta[i] = 0.1f - 0.003f * i;
        }
        out.put("norm_gamma", gamma);
        out.put("norm_beta", beta);
        float[] ln = new float[x.length], rms = new float[x.length];
        new LayerNorm(gamma, beta, 1e-5).apply(x, ln, tokens);
        new RmsNorm(gamma, 1e-6).apply(x, rms, tokens);
        out.put("layernorm", ln);
        out.put("rmsnorm", rms);

        // a: GPT-2-like (LayerNorm, GELU-tanh, biases, causal, no rotary); b: LLaMA-like (RMSNorm, SwiGLU, RoPE, GQA)
        layer(out, "a", ModelSource.load("preset:gpt2", 0, 5, Map.of("d_model", "" + D, "heads", "" + HEADS, "d_ff",
                "" + GELU_FF, "ffn", "gelu")), x);
        layer(out, "b", ModelSource.load("preset:llama", 0, 6, Map.of("d_model", "" + D, "heads", "" + HEADS, "kv_heads", "2",
                "d_ff", "" + SWIGLU_FF)), x);
        return out;
    }

    private static void layer(Map<String, float[]> out, String p, ModelSource.Layer l, float[] x) {
        TransformerLayer layer = new TransformerLayer(l.config(), l.weights());
        l.weights().tensors().forEach((name, t) -> out.put(p + "." + name, t));
        StatsConfig sc = StatsConfig.DEFAULT;
        SiteStats act = new SiteStats(sc, l.config().dFf(), false);
        SiteRecorder actOnly = new SiteRecorder() {
            @Override
            public boolean wants(Site site) {
                return site == Site.FFN_ACT;
            }

            @Override
            public void record(Site site, float[] data, int offset, int rows, int cols, int rowStride) {
                act.add(data, offset, rows, rowStride);
            }
        };
        out.put(p + ".mlp", layer.mlp(x, x.length / D, actOnly));
        out.put(p + ".mlp.act_stats", new float[] {act.count(), (float) act.moments().mean(), (float) act.moments().variance(),
            act.min(), act.max(), act.zeros(), act.nearZero(), act.negatives(), act.maxAbs()});
        float[] firing = new float[l.config().dFf()];
        long[] f = act.firing();
        for (int i = 0; i < firing.length; i++) firing[i] = f[i];
        out.put(p + ".mlp.firing", firing);
        for (Formulation form : new Formulation[] {Formulation.SERIAL, Formulation.PARALLEL}) {
            float[] y = new float[x.length];
            int start = 0;
            for (int len : SEQUENCES) {
                float[] seq = java.util.Arrays.copyOfRange(x, start * D, (start + len) * D);
                System.arraycopy(layer.forward(seq, len, form, SiteRecorder.NONE), 0, y, start * D, len * D);
                start += len;
            }
            out.put(p + "." + form.id(), y);
        }
    }

    static byte[] encode(Map<String, float[]> tensors) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(buf);
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            byte[] name = new byte[48];
            byte[] n = e.getKey().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(n.length < 48, e.getKey());
            System.arraycopy(n, 0, name, 0, n.length);
            out.write(name);
            ByteBuffer b = ByteBuffer.allocate(4 + 4 * e.getValue().length).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(e.getValue().length);
            for (float v : e.getValue()) b.putFloat(v);
            out.write(b.array());
        }
        return buf.toByteArray();
    }

    /** The stored records, in file order (the format {@link #encode} writes). */
    static Map<String, float[]> decode(byte[] file) {
        Map<String, float[]> out = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            byte[] name = new byte[48];
            b.get(name);
            int end = 0;
            while (end < name.length && name[end] != 0) end++;
            float[] v = new float[b.getInt()];
            for (int i = 0; i < v.length; i++) v[i] = b.getFloat();
            out.put(new String(name, 0, end, java.nio.charset.StandardCharsets.US_ASCII), v);
        }
        return out;
    }

    /**
     * How far today's value may be from the stored one, as |now − stored| / max(1, |stored|) (the
     * GPU self-test's measure), or for counts as an absolute difference. Inputs and weights come
     * from seeded pure-Java generators and must match exactly; everything computed by BLAS or SIMD
     * code may move at rounding level; a count moves when a value at a threshold (zero, ±eps) rounds
     * across it.
     */
    static double tolerance(String name, int index) {
        boolean computed = name.startsWith("act_") && !name.equals("act_in") || name.equals("layernorm") || name.equals("rmsnorm")
                || name.endsWith(".mlp") || name.endsWith(".serial") || name.endsWith(".parallel");
        if (name.endsWith(".mlp.firing")) return 2;                          // tokens with x > 0, per neuron
        if (name.endsWith(".mlp.act_stats")) {                               // count, mean, variance, min, max, zeros, near-zero, negatives, max|x|
            return switch (index) {
                case 0 -> 0;
                case 5, 6, 7 -> 4;
                default -> 1e-5;
            };
        }
        if (!computed) return 0;
        return name.startsWith("act_") || name.endsWith("norm") ? 1e-6 : 1e-5;
    }

    static boolean isCount(String name, int index) {
        return name.endsWith(".mlp.firing") || name.endsWith(".mlp.act_stats") && (index == 0 || index >= 5 && index <= 7);
    }

    @Test
    void storedReferenceMatchesTheCpuImplementation() throws Exception {
        Map<String, float[]> now = reference();
        if (Boolean.getBoolean("ffnbench.writeGpuReference")) Files.write(FILE, encode(now));
        assertTrue(Files.isRegularFile(FILE), FILE + " is missing: run this test with -Dffnbench.writeGpuReference=true");
        Map<String, float[]> stored = decode(Files.readAllBytes(FILE));
        String regenerate = ": the CPU implementation changed; regenerate " + FILE
                + " with -Dffnbench.writeGpuReference=true and re-run scripts/gpu-selftest.sh on a GPU";
        assertEquals(List.copyOf(stored.keySet()), List.copyOf(now.keySet()), "record names" + regenerate);
        List<String> beyond = new ArrayList<>();
        for (Map.Entry<String, float[]> e : stored.entrySet()) {
            String name = e.getKey();
            float[] want = e.getValue(), got = now.get(name);
            assertEquals(want.length, got.length, name + " length" + regenerate);
            double worst = 0;
            int at = -1;
            boolean over = false;
            for (int i = 0; i < want.length; i++) {
                double diff = Math.abs((double) got[i] - want[i]);
                double d = isCount(name, i) ? diff : diff / Math.max(1.0, Math.abs(want[i]));
                if (!(d <= tolerance(name, i))) over = true;
                if (!(d <= worst)) {
                    worst = d;
                    at = i;
                }
            }
            if (over) beyond.add(String.format("%s: difference %.3g at %d (stored %s, now %s)", name, worst, at, want[at], got[at]));
        }
        assertEquals(List.of(), beyond, "beyond tolerance" + regenerate);
    }
}
