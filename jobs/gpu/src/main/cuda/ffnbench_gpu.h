// ffnbench GPU kernels: the C API shared by the JNI bindings (ffnbench_jni.cpp) and the native
// self-test (gpu_selftest.cu). All matrices are row-major, as on the CPU path: X[tokens x in] times
// W[in x out] gives Y[tokens x out]. Pointers are device pointers unless named host_*.
// Every function returns 0 on success or a CUDA/cuBLAS status, and leaves a message for
// ffg_last_error().
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Activation kinds. Fixed numbers, mirrored by name in ffnbench.gpu.NativeGpu (NativeGpuTest compares the two).
enum ffg_activation { FFG_IDENTITY = 0, FFG_RELU = 1, FFG_GELU = 2, FFG_GELU_TANH = 3, FFG_SILU = 4, FFG_SWISH = 5,
                      FFG_SIGMOID = 6, FFG_TANH = 7, FFG_QUICK_GELU = 8 };

// GEMM precision: FP32 (exact fp32 arithmetic), TF32 (tensor cores, 10-bit mantissa inputs),
// BF16 (inputs rounded to bfloat16, fp32 accumulation). Mirrored by name in ffnbench.gpu.NativeGpu.
enum ffg_precision { FFG_FP32 = 0, FFG_TF32 = 1, FFG_BF16 = 2 };

const char* ffg_last_error(void);

// Loads cuBLAS at run time (dlopen; no link-time dependency) and creates the handle. library may be
// NULL: then libcublas.so.13, .so.12, .so.11 and libcublas.so are tried in that order.
int ffg_init(const char* library);
int ffg_device_name(char* out, int len);

int ffg_alloc(void** ptr, size_t bytes);
int ffg_free(void* ptr);
int ffg_upload(void* dst, const void* host_src, size_t bytes);
int ffg_download(void* host_dst, const void* src, size_t bytes);
int ffg_synchronize(void);

// y[tokens x out] = x[tokens x in] (row stride ldx) . w[in x out] (+ bias[out] if not NULL); y row stride ldy.
int ffg_linear(const float* x, int ldx, int tokens, int in, const float* w, const float* bias, int out, float* y, int ldy,
               int precision);

// Standard FFN activation in place on h[tokens x width] (row stride ld): h = act(h).
int ffg_activate(int kind, float beta, float* h, int ld, int tokens, int width);
// Gated FFN: out[t, j] = act(gate[t, j]) * up[t, j], gate and up read from rows of stride ld_in.
int ffg_gate(int kind, float beta, const float* gate, const float* up, int ld_in, int tokens, int width, float* out);

// Norms per token over d columns; beta may be NULL. kind 0 = LayerNorm, 1 = RMSNorm.
int ffg_norm(int kind, const float* x, int tokens, int d, const float* gamma, const float* beta, float eps, float* out);

// Rotary embeddings (HF rotate-half) in place on heads of rows of stride ld, starting at column col;
// token t has position t.
int ffg_rope(float* x, int ld, int col, int tokens, int heads, int head_dim, int rotary_dim, float theta);

// Attention of one sequence: q, k, v are the column blocks [0, H*hd), [H*hd, (H+KV)*hd) and
// [(H+KV)*hd, (H+2KV)*hd) of rows of stride ld; context[tokens x H*hd].
int ffg_attention(const float* qkv, int ld, int tokens, int heads, int kv_heads, int head_dim, int causal, float* context);

// y += x, n elements.
int ffg_add(float* y, const float* x, size_t n);

// Statistics of one site x[rows x width] (row stride ld). Device accumulators (zero them with
// ffg_stats_reset): moments per block (n, mean, M2, M3, M4: 5 doubles per block, up to
// FFG_STATS_BLOCKS blocks), min, max, max|x|, counts (zero, near-zero, negative, nan, inf), and per
// channel: firing (x > 0), over threshold (|x| >= threshold), max|x|, sum of squares; a histogram
// of bins + 2 counters over [-range, range) with under/overflow.
#define FFG_STATS_BLOCKS 256
typedef struct ffg_site_stats {
    double* moments;             // [5]: accumulated n, mean, M2, M3, M4
    double* block_moments;       // [FFG_STATS_BLOCKS x 5]: one call's per-block partials (scratch)
    float* extremes;             // [3]: min, max, max|x|   (float bits, updated atomically)
    unsigned long long* counts;  // [5]: zeros, near-zero, negatives, nan, inf
    unsigned long long* firing;  // [width]
    unsigned long long* over;    // [width]
    float* channel_max_abs;      // [width]
    double* channel_sum_sq;      // [width]
    unsigned long long* histogram;  // [bins + 2]
    int width;
    int bins;
} ffg_site_stats;

int ffg_stats_alloc(ffg_site_stats* s, int width, int bins);
int ffg_stats_free(ffg_site_stats* s);
int ffg_stats_reset(ffg_site_stats* s);
int ffg_stats_add(ffg_site_stats* s, const float* x, int ld, int rows, float near_zero, float threshold, float range);

#ifdef __cplusplus
}
#endif
