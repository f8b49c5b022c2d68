package ffnbench.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * JNI bindings of the CUDA library {@code libffnbench_gpu.so} (sources in {@code jobs/gpu/src/main/cuda},
 * built by {@code scripts/build-gpu}). Device pointers are Java {@code long}s; matrices are
 * row-major as on the CPU path. Loaded lazily, on first use: a driver or executor without CUDA
 * never touches it. Failures surface as {@link IllegalStateException} with CUDA's message.
 */
public final class NativeGpu {
    /** GEMM precisions: {@code enum ffg_precision} of ffnbench_gpu.h, by name (NativeGpuTest checks the numbers). */
    public static final int FP32 = 0, TF32 = 1, BF16 = 2;

    /** Activation kinds: {@code enum ffg_activation} of ffnbench_gpu.h, by name (NativeGpuTest checks the numbers). */
    public static final int IDENTITY = 0, RELU = 1, GELU = 2, GELU_TANH = 3, SILU = 4, SWISH = 5, SIGMOID = 6, TANH = 7,
            QUICK_GELU = 8;

    /** The native code of an activation kind: named one by one, so reordering the Java enum changes nothing here. */
    static int activationCode(ffnbench.math.Activation.Kind kind) {
        return switch (kind) {
            case IDENTITY -> IDENTITY;
            case RELU -> RELU;
            case GELU -> GELU;
            case GELU_TANH -> GELU_TANH;
            case SILU -> SILU;
            case SWISH -> SWISH;
            case SIGMOID -> SIGMOID;
            case TANH -> TANH;
            case QUICK_GELU -> QUICK_GELU;
        };
    }

    /** The native code of a precision setting ({@code fp32}, {@code tf32}, {@code bf16}). */
    static int precisionCode(String precision) {
        return switch (precision) {
            case "fp32" -> FP32;
            case "tf32" -> TF32;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("GPU precision must be fp32, tf32 or bf16, got '" + precision + "'");
        };
    }

    private static volatile boolean loaded;

    private NativeGpu() {}

    /**
     * Loads the library and cuBLAS once per JVM. Looks in {@code FFNBENCH_GPU_LIB} (a file), then in
     * the jar ({@code /native/linux-x86_64/libffnbench_gpu.so}), then on {@code java.library.path};
     * cuBLAS comes from {@code FFNBENCH_CUBLAS} or the default library names.
     */
    public static synchronized void load() {
        if (loaded) return;
        String file = System.getenv("FFNBENCH_GPU_LIB");
        if (file != null) {
            System.load(Path.of(file).toAbsolutePath().toString());
        } else {
            try (InputStream in = NativeGpu.class.getResourceAsStream("/native/linux-x86_64/libffnbench_gpu.so")) {
                if (in != null) {
                    Path tmp = Files.createTempFile("libffnbench_gpu", ".so");
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    tmp.toFile().deleteOnExit();
                    System.load(tmp.toString());
                } else {
                    System.loadLibrary("ffnbench_gpu");
                }
            } catch (IOException | UnsatisfiedLinkError e) {
                throw new IllegalStateException("cannot load libffnbench_gpu.so (" + e.getMessage() + "): build it with "
                        + "scripts/build-gpu and set FFNBENCH_GPU_LIB, or put it on java.library.path", e);
            }
        }
        String error = init(System.getenv("FFNBENCH_CUBLAS"));
        if (error != null) throw new IllegalStateException("GPU initialisation failed: " + error);
        loaded = true;
    }

    static native String init(String cublasLibrary);

    public static native String deviceName();

    public static native long alloc(long bytes);

    public static native void free(long ptr);

    public static native void upload(long dst, float[] src, int offset, int n);

    public static native void download(long src, float[] dst, int offset, int n);

    public static native void downloadInts(long src, int[] dst, int n);

    public static native void linear(long x, int ldx, int tokens, int in, long w, long bias, int out, long y, int ldy, int precision);

    public static native void activate(int kind, float beta, long h, int ld, int tokens, int width);

    public static native void gate(int kind, float beta, long gate, long up, int ldIn, int tokens, int width, long out);

    public static native void norm(int kind, long x, int tokens, int d, long gamma, long beta, float eps, long out);

    public static native void rope(long x, int ld, int col, int tokens, int heads, int headDim, int rotaryDim, float theta);

    public static native void attention(long qkv, int ld, int tokens, int heads, int kvHeads, int headDim, boolean causal, long context);

    public static native void add(long y, long x, long n);

    public static native void synchronize();

    public static native long statsAlloc(int width, int bins);

    public static native void statsFree(long stats);

    public static native void statsReset(long stats);

    public static native void statsAdd(long stats, long x, int ld, int rows, float nearZero, float threshold, float range);

    public static native void statsRead(long stats, double[] moments, float[] extremes, long[] counts, long[] firing, long[] over,
                                        float[] channelMaxAbs, double[] channelSumSq, long[] histogram);

    /** Uploads a host array into a fresh device buffer (null stays 0: "no bias"). */
    public static long copyOf(float[] host) {
        if (host == null) return 0;
        long p = alloc(4L * host.length);
        upload(p, host, 0, host.length);
        return p;
    }
}
