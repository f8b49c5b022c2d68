package ffnbench.jmh;

import ffnbench.math.Activation;
import ffnbench.math.Gemm;
import ffnbench.model.FeedForward;
import ffnbench.model.FfnVariant;
import ffnbench.model.Formulation;
import ffnbench.model.ModelConfig;
import ffnbench.model.SiteRecorder;
import ffnbench.model.TransformerLayer;
import ffnbench.stats.SiteStats;
import ffnbench.stats.StatsConfig;
import ffnbench.weights.SeededInit;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH micro-benchmarks of the kernels and blocks (run with scripts/benchmark-jmh; not part of the
 * test run). Each op is one call over {@code tokens} tokens.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class KernelBenchmarks {

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /** FFN shapes: SwiGLU d=1024/2816 and GELU d=768/3072 (the reference shapes). */
    @State(Scope.Thread)
    public static class Ffn {
        @Param({"swiglu:1024:2816", "gelu:768:3072"})
        public String shape;

        @Param({"1024"})
        public int tokens;

        FeedForward ffn;
        float[] x, proj, hidden, out;
        ffnbench.model.Workspace workspace;
        int d, dFf, inWidth;

        @Setup(Level.Trial)
        public void setup() {
            String[] p = shape.split(":");
            FfnVariant v = FfnVariant.parse(p[0]);
            d = Integer.parseInt(p[1]);
            dFf = Integer.parseInt(p[2]);
            inWidth = v.gated() ? 2 * dFf : dFf;
            x = random(tokens * d, 1);
            ffn = FeedForward.create(v, d, dFf, random(d * inWidth, 2), null, random(dFf * d, 3), null);
            proj = new float[tokens * inWidth];
            hidden = new float[tokens * dFf];
            out = new float[tokens * d];
            workspace = ffnbench.model.Workspace.reusing();   // as BlockFunction: buffers reused from call to call
        }
    }

    @Benchmark
    public float[] ffnForward(Ffn s) {
        return s.ffn.forward(s.x, s.tokens, SiteRecorder.NONE, new ffnbench.model.StageTimes(), s.workspace);
    }

    /** The same two GEMMs alone: the ceiling for ffnForward. */
    @Benchmark
    public float[] bareGemms(Ffn s) {
        Gemm.linearOutIn(s.x, s.tokens, s.d, s.ffn.inputWeightOutIn(), null, s.inWidth, s.proj);
        Gemm.linearOutIn(s.hidden, s.tokens, s.dFf, s.ffn.outputWeightOutIn(), null, s.d, s.out);
        return s.out;
    }

    /** Activations over a 1M-element buffer. */
    @State(Scope.Thread)
    public static class Act {
        @Param({"gelu", "gelu_tanh", "silu", "relu"})
        public String activation;

        Activation a;
        float[] source, buffer;

        @Setup(Level.Trial)
        public void setup() {
            a = Activation.parse(activation);
            source = random(1 << 20, 4);
            buffer = new float[source.length];
        }
    }

    @Benchmark
    public float[] activation(Act s) {
        System.arraycopy(s.source, 0, s.buffer, 0, s.buffer.length);
        s.a.applyInPlace(s.buffer, 0, s.buffer.length);
        return s.buffer;
    }

    /** A LLaMA-shaped block, serial vs parallel, on one sequence. */
    @State(Scope.Thread)
    public static class Block {
        @Param({"512", "1024"})
        public int dModel;

        @Param({"256"})
        public int seqLen;

        TransformerLayer layer;
        float[] x;

        @Setup(Level.Trial)
        public void setup() {
            ModelConfig c = ModelConfig.preset("llama").with(Map.of("d_model", Integer.toString(dModel),
                    "heads", Integer.toString(dModel / 64), "d_ff", Integer.toString(FfnVariant.gatedHiddenWidth(4 * dModel, 64))));
            layer = new TransformerLayer(c, SeededInit.layer(c, 1, 0));
            x = random(seqLen * dModel, 5);
        }
    }

    @Benchmark
    public float[] blockSerial(Block s) {
        return s.layer.forward(s.x, s.seqLen, Formulation.SERIAL, SiteRecorder.NONE);
    }

    @Benchmark
    public float[] blockParallel(Block s) {
        return s.layer.forward(s.x, s.seqLen, Formulation.PARALLEL, SiteRecorder.NONE);
    }

    /** Statistics of one [256 × width] site matrix. */
    @State(Scope.Thread)
    public static class Stats {
        @Param({"1024", "2816"})
        public int width;

        float[] x;

        @Setup(Level.Trial)
        public void setup() {
            x = random(256 * width, 6);
        }
    }

    @Benchmark
    public SiteStats siteStatistics(Stats s) {
        SiteStats st = new SiteStats(StatsConfig.DEFAULT, s.width, true);
        st.add(s.x, 0, 256, s.width);
        return st;
    }
}
