// ffnbench GPU kernels (see ffnbench_gpu.h). One small function per operation, as on the CPU path;
// GEMMs go to cuBLAS, which is loaded at run time with dlopen so that this library builds and loads
// on machines whose CUDA toolkit has no cuBLAS (the development and CI machines).
#include "ffnbench_gpu.h"

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

// ---- errors --------------------------------------------------------------------------------

static char g_error[512];

extern "C" const char* ffg_last_error(void) { return g_error; }

static int fail(int code, const char* what, const char* detail) {
    snprintf(g_error, sizeof g_error, "%s: %s (code %d)", what, detail, code);
    return code == 0 ? -1 : code;
}

static int check_cuda(cudaError_t e, const char* what) {
    if (e == cudaSuccess) return 0;
    return fail((int) e, what, cudaGetErrorString(e));
}

static int check_launch(const char* what) { return check_cuda(cudaGetLastError(), what); }

// ---- cuBLAS, resolved at run time ------------------------------------------------------------
// The few prototypes used, declared here (values from cublas_api.h / library_types.h).

typedef void* cublas_handle;
// CUDA_R_32F and CUDA_R_16BF come from library_types.h (part of the runtime headers).
enum { CUBLAS_OP_N = 0, CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3,
       CUBLAS_COMPUTE_32F = 68, CUBLAS_GEMM_DEFAULT = -1 };
typedef int (*create_fn)(cublas_handle*);
typedef int (*set_math_fn)(cublas_handle, int);
typedef int (*sgemm_fn)(cublas_handle, int, int, int, int, int, const float*, const float*, int, const float*, int,
                        const float*, float*, int);
typedef int (*gemm_ex_fn)(cublas_handle, int, int, int, int, int, const void*, const void*, int, int, const void*, int,
                          int, const void*, void*, int, int, int, int);

static struct {
    void* library;
    cublas_handle handle;
    set_math_fn set_math;
    sgemm_fn sgemm;
    gemm_ex_fn gemm_ex;
} g_blas;

extern "C" int ffg_init(const char* library) {
    if (g_blas.handle) return 0;
    const char* candidates[] = {library, "libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"};
    for (const char* name : candidates) {
        if (name && (g_blas.library = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    }
    if (!g_blas.library) {
        return fail(-1, "cuBLAS not found", "set FFNBENCH_CUBLAS to the path of libcublas.so (e.g. from the CUDA toolkit "
                                            "or the nvidia-cublas Python wheel)");
    }
    create_fn create = (create_fn) dlsym(g_blas.library, "cublasCreate_v2");
    g_blas.set_math = (set_math_fn) dlsym(g_blas.library, "cublasSetMathMode");
    g_blas.sgemm = (sgemm_fn) dlsym(g_blas.library, "cublasSgemm_v2");
    g_blas.gemm_ex = (gemm_ex_fn) dlsym(g_blas.library, "cublasGemmEx");
    if (!create || !g_blas.set_math || !g_blas.sgemm || !g_blas.gemm_ex) {
        return fail(-1, "cuBLAS", "the library lacks cublasCreate_v2/cublasSgemm_v2/cublasGemmEx/cublasSetMathMode");
    }
    int status = create(&g_blas.handle);
    if (status != 0) return fail(status, "cublasCreate", "no usable GPU or driver");
    return 0;
}

extern "C" int ffg_device_name(char* out, int len) {
    int device = 0;
    cudaDeviceProp p;
    int e = check_cuda(cudaGetDevice(&device), "cudaGetDevice");
    if (e) return e;
    if ((e = check_cuda(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties"))) return e;
    snprintf(out, len, "%s (sm_%d%d, %.1f GiB)", p.name, p.major, p.minor, p.totalGlobalMem / 1073741824.0);
    return 0;
}

extern "C" int ffg_alloc(void** ptr, size_t bytes) { return check_cuda(cudaMalloc(ptr, bytes), "cudaMalloc"); }
extern "C" int ffg_free(void* ptr) { return check_cuda(cudaFree(ptr), "cudaFree"); }
extern "C" int ffg_upload(void* dst, const void* src, size_t bytes) {
    return check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "upload");
}
extern "C" int ffg_download(void* dst, const void* src, size_t bytes) {
    return check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "download");
}
extern "C" int ffg_synchronize(void) { return check_cuda(cudaDeviceSynchronize(), "synchronize"); }

static unsigned blocks_for(size_t n, unsigned threads) {
    size_t b = (n + threads - 1) / threads;
    return (unsigned) (b > 65535u * 16u ? 65535u * 16u : (b == 0 ? 1 : b));
}

// ---- GEMM ----------------------------------------------------------------------------------------

__global__ void bias_rows_kernel(float* y, int ldy, int tokens, int out, const float* bias) {
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < (size_t) tokens * out; i += (size_t) gridDim.x * blockDim.x) {
        size_t t = i / out, j = i % out;
        y[t * ldy + j] += bias[j];
    }
}

__global__ void to_bf16_kernel(const float* x, int ld, int rows, int cols, unsigned short* out) {
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < (size_t) rows * cols; i += (size_t) gridDim.x * blockDim.x) {
        size_t r = i / cols, c = i % cols;
        unsigned bits = __float_as_uint(x[r * ld + c]);
        unsigned rounding = 0x7fffu + ((bits >> 16) & 1u);   // round to nearest even, as ffnbench.math.Half
        out[i] = (unsigned short) ((bits + rounding) >> 16);
    }
}

// Row-major Y = X.W is column-major Y^T = W^T.X^T: cuBLAS sees W as an (out x in) matrix with
// leading dimension out, X as (in x tokens) with leading dimension ldx.
extern "C" int ffg_linear(const float* x, int ldx, int tokens, int in, const float* w, const float* bias, int out, float* y,
                          int ldy, int precision) {
    if (!g_blas.handle) return fail(-1, "ffg_linear", "call ffg_init first");
    const float one = 1.f, zero = 0.f;
    int status;
    if (precision == FFG_BF16) {
        unsigned short *xb = nullptr, *wb = nullptr;
        int e = ffg_alloc((void**) &xb, (size_t) tokens * in * 2);
        if (!e) e = ffg_alloc((void**) &wb, (size_t) in * out * 2);
        if (e) { cudaFree(xb); return e; }
        to_bf16_kernel<<<blocks_for((size_t) tokens * in, 256), 256>>>(x, ldx, tokens, in, xb);
        to_bf16_kernel<<<blocks_for((size_t) in * out, 256), 256>>>(w, out, in, out, wb);
        status = g_blas.gemm_ex(g_blas.handle, CUBLAS_OP_N, CUBLAS_OP_N, out, tokens, in, &one, wb, CUDA_R_16BF, out, xb,
                                CUDA_R_16BF, in, &zero, y, CUDA_R_32F, ldy, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        cudaFree(xb);
        cudaFree(wb);
    } else {
        g_blas.set_math(g_blas.handle, precision == FFG_TF32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
        status = g_blas.sgemm(g_blas.handle, CUBLAS_OP_N, CUBLAS_OP_N, out, tokens, in, &one, w, out, x, ldx, &zero, y, ldy);
    }
    if (status != 0) return fail(status, "cuBLAS GEMM", "failed");
    if (bias) {
        bias_rows_kernel<<<blocks_for((size_t) tokens * out, 256), 256>>>(y, ldy, tokens, out, bias);
        return check_launch("bias");
    }
    return 0;
}

// ---- activations -----------------------------------------------------------------------------------

__device__ __forceinline__ float activation(int kind, float beta, float x) {
    switch (kind) {
        case FFG_RELU: return x > 0.f ? x : 0.f;
        case FFG_GELU: return 0.5f * x * erfcf(-x * 0.70710678118654752f);   // x . Phi(x), exact
        case FFG_GELU_TANH: {
            float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
            return 0.5f * x * (1.f + tanhf(inner));
        }
        case FFG_SILU: return x / (1.f + expf(-x));
        case FFG_SWISH:
        case FFG_QUICK_GELU: return x / (1.f + expf(-beta * x));
        case FFG_SIGMOID: return 1.f / (1.f + expf(-x));
        case FFG_TANH: return tanhf(x);
        default: return x;
    }
}

__global__ void activate_kernel(int kind, float beta, float* h, int ld, int tokens, int width) {
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < (size_t) tokens * width; i += (size_t) gridDim.x * blockDim.x) {
        size_t t = i / width, j = i % width;
        h[t * ld + j] = activation(kind, beta, h[t * ld + j]);
    }
}

extern "C" int ffg_activate(int kind, float beta, float* h, int ld, int tokens, int width) {
    activate_kernel<<<blocks_for((size_t) tokens * width, 256), 256>>>(kind, beta, h, ld, tokens, width);
    return check_launch("activate");
}

// The gate's activation times the up projection, in one pass (SwiGLU, GeGLU, ReGLU, GLU).
__global__ void gate_kernel(int kind, float beta, const float* gate, const float* up, int ld_in, int tokens, int width, float* out) {
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < (size_t) tokens * width; i += (size_t) gridDim.x * blockDim.x) {
        size_t t = i / width, j = i % width;
        out[i] = activation(kind, beta, gate[t * ld_in + j]) * up[t * ld_in + j];
    }
}

extern "C" int ffg_gate(int kind, float beta, const float* gate, const float* up, int ld_in, int tokens, int width, float* out) {
    gate_kernel<<<blocks_for((size_t) tokens * width, 256), 256>>>(kind, beta, gate, up, ld_in, tokens, width, out);
    return check_launch("gate");
}

// ---- reductions within a block -----------------------------------------------------------------------

__device__ double block_sum(double v, double* shared) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    double total = 0;
    if (threadIdx.x == 0) {
        for (int w = 0; w < (int) (blockDim.x + 31) / 32; w++) total += shared[w];
        shared[0] = total;
    }
    __syncthreads();
    return shared[0];
}

__device__ float block_max(float v, float* shared) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        float m = shared[0];
        for (int w = 1; w < (int) (blockDim.x + 31) / 32; w++) m = fmaxf(m, shared[w]);
        shared[0] = m;
    }
    __syncthreads();
    return shared[0];
}

// ---- norms (one block per token; sums in double, as LayerNorm/RmsNorm on the CPU) -----------------------

__global__ void norm_kernel(int kind, const float* x, int d, const float* gamma, const float* beta, float eps, float* out) {
    __shared__ double shared[32];
    const float* row = x + (size_t) blockIdx.x * d;
    float* dst = out + (size_t) blockIdx.x * d;
    double mean = 0;
    if (kind == 0) {
        double s = 0;
        for (int i = threadIdx.x; i < d; i += blockDim.x) s += row[i];
        mean = block_sum(s, shared) / d;
    }
    double sq = 0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        double c = row[i] - mean;
        sq += c * c;
    }
    double inv = 1.0 / sqrt(block_sum(sq, shared) / d + (double) eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float v = (float) ((row[i] - mean) * inv) * gamma[i];
        dst[i] = beta ? v + beta[i] : v;
    }
}

extern "C" int ffg_norm(int kind, const float* x, int tokens, int d, const float* gamma, const float* beta, float eps, float* out) {
    norm_kernel<<<tokens, 256>>>(kind, x, d, gamma, beta, eps, out);
    return check_launch("norm");
}

// ---- rotary embeddings --------------------------------------------------------------------------------------

__global__ void rope_kernel(float* x, int ld, int col, int tokens, int heads, int head_dim, int rotary_dim, float theta) {
    int half = rotary_dim / 2;
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < (size_t) tokens * heads * half; i += (size_t) gridDim.x * blockDim.x) {
        int pair = (int) (i % half);
        int h = (int) ((i / half) % heads);
        int t = (int) (i / ((size_t) half * heads));
        // HF computes inv_freq in float32; the angle t . inv_freq is rounded to float, then cos/sin
        float inv_freq = (float) (1.0 / pow((double) theta, (2.0 * pair) / rotary_dim));
        float angle = (float) (t * (double) inv_freq);
        float c = (float) cos((double) angle), s = (float) sin((double) angle);
        float* base = x + (size_t) t * ld + col + (size_t) h * head_dim;
        float a = base[pair], b = base[pair + half];
        base[pair] = a * c - b * s;
        base[pair + half] = b * c + a * s;
    }
}

extern "C" int ffg_rope(float* x, int ld, int col, int tokens, int heads, int head_dim, int rotary_dim, float theta) {
    rope_kernel<<<blocks_for((size_t) tokens * heads * (rotary_dim / 2), 256), 256>>>(x, ld, col, tokens, heads, head_dim,
                                                                                       rotary_dim, theta);
    return check_launch("rope");
}

// ---- attention: one block per (head, query); scores of the visible keys in shared memory ------------------------

__global__ void attention_kernel(const float* qkv, int ld, int tokens, int heads, int kv_heads, int head_dim, int causal,
                                 float* context) {
    extern __shared__ float scores[];            // [tokens]
    __shared__ float reduce[32];
    __shared__ double reduce_d[32];
    int h = blockIdx.x, i = blockIdx.y;
    int kv = h / (heads / kv_heads);
    const float* q = qkv + (size_t) i * ld + (size_t) h * head_dim;
    const float* k0 = qkv + (size_t) heads * head_dim + (size_t) kv * head_dim;
    const float* v0 = qkv + (size_t) (heads + kv_heads) * head_dim + (size_t) kv * head_dim;
    int visible = causal ? i + 1 : tokens;
    float scale = rsqrtf((float) head_dim);
    float local_max = -INFINITY;
    for (int j = threadIdx.x; j < visible; j += blockDim.x) {
        const float* k = k0 + (size_t) j * ld;
        float s = 0.f;
        for (int e = 0; e < head_dim; e++) s += q[e] * k[e];
        s *= scale;
        scores[j] = s;
        local_max = fmaxf(local_max, s);
    }
    float max = block_max(local_max, reduce);
    double local_sum = 0;
    for (int j = threadIdx.x; j < visible; j += blockDim.x) {
        float e = expf(scores[j] - max);
        scores[j] = e;
        local_sum += e;
    }
    float inv = (float) (1.0 / block_sum(local_sum, reduce_d));
    __syncthreads();
    float* out = context + (size_t) i * heads * head_dim + (size_t) h * head_dim;
    for (int e = threadIdx.x; e < head_dim; e += blockDim.x) {
        float acc = 0.f;
        for (int j = 0; j < visible; j++) acc += scores[j] * inv * v0[(size_t) j * ld + e];
        out[e] = acc;
    }
}

extern "C" int ffg_attention(const float* qkv, int ld, int tokens, int heads, int kv_heads, int head_dim, int causal,
                             float* context) {
    size_t shared = (size_t) tokens * sizeof(float);
    if (shared > 48 * 1024) {
        cudaError_t e = cudaFuncSetAttribute(attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int) shared);
        if (e != cudaSuccess) return check_cuda(e, "attention: sequence too long for shared memory");
    }
    attention_kernel<<<dim3(heads, tokens), 128, shared>>>(qkv, ld, tokens, heads, kv_heads, head_dim, causal, context);
    return check_launch("attention");
}

__global__ void add_kernel(float* y, const float* x, size_t n) {
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n; i += (size_t) gridDim.x * blockDim.x) y[i] += x[i];
}

extern "C" int ffg_add(float* y, const float* x, size_t n) {
    add_kernel<<<blocks_for(n, 256), 256>>>(y, x, n);
    return check_launch("add");
}

// ---- statistics ---------------------------------------------------------------------------------------------
// Moments merge as in ffnbench.stats.Moments (Pébay's pairwise update for n, mean, M2, M3, M4).

struct moments { double n, mean, m2, m3, m4; };

__device__ __host__ inline moments merge(moments a, moments b) {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    double n = a.n + b.n, delta = b.mean - a.mean, dn = delta / n, dn2 = dn * dn;
    moments r;
    r.n = n;
    r.mean = a.mean + b.n * dn;
    r.m2 = a.m2 + b.m2 + delta * dn * a.n * b.n;
    r.m3 = a.m3 + b.m3 + delta * dn2 * a.n * b.n * (a.n - b.n) + 3 * dn * (a.n * b.m2 - b.n * a.m2);
    r.m4 = a.m4 + b.m4 + delta * dn2 * dn * a.n * b.n * (a.n * a.n - a.n * b.n + b.n * b.n)
           + 6 * dn2 * (a.n * a.n * b.m2 + b.n * b.n * a.m2) + 4 * dn * (a.n * b.m3 - b.n * a.m3);
    return r;
}

__device__ void atomic_min_float(float* addr, float v) {
    int* a = (int*) addr;
    int old = *a;
    while (v < __int_as_float(old)) {
        int seen = atomicCAS(a, old, __float_as_int(v));
        if (seen == old) break;
        old = seen;
    }
}

__device__ void atomic_max_float(float* addr, float v) {
    int* a = (int*) addr;
    int old = *a;
    while (v > __int_as_float(old)) {
        int seen = atomicCAS(a, old, __float_as_int(v));
        if (seen == old) break;
        old = seen;
    }
}

// Per element: moments per block, extremes, counts and the histogram (shared, then global).
__global__ void element_stats_kernel(ffg_site_stats s, const float* x, int ld, int rows, float near_zero, float range) {
    extern __shared__ unsigned long long hist[];   // [bins + 2]
    __shared__ moments part[256];
    for (int b = threadIdx.x; b < s.bins + 2; b += blockDim.x) hist[b] = 0;
    __syncthreads();
    moments m = {0, 0, 0, 0, 0};
    float mn = INFINITY, mx = -INFINITY, max_abs = 0.f;
    unsigned long long zeros = 0, near = 0, neg = 0, nan = 0, inf = 0;
    size_t n = (size_t) rows * s.width;
    float bins_per_unit = s.bins / (2.f * range);   // binning exactly as SiteStats.histogram on the CPU
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n; i += (size_t) gridDim.x * blockDim.x) {
        float v = x[(i / s.width) * ld + i % s.width];
        if (isnan(v)) { nan++; continue; }
        if (isinf(v)) { inf++; continue; }
        moments one = {1, v, 0, 0, 0};
        m = merge(m, one);
        mn = fminf(mn, v);
        mx = fmaxf(mx, v);
        max_abs = fmaxf(max_abs, fabsf(v));
        zeros += v == 0.f;
        near += fabsf(v) < near_zero;
        neg += v < 0.f;
        float pos = (v + range) * bins_per_unit;
        int bin = pos < 0.f ? 0 : pos >= s.bins ? s.bins + 1 : 1 + (int) pos;
        atomicAdd(&hist[bin], 1ull);
    }
    part[threadIdx.x] = m;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) part[threadIdx.x] = merge(part[threadIdx.x], part[threadIdx.x + stride]);
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        double* out = s.block_moments + blockIdx.x * 5;
        out[0] = part[0].n; out[1] = part[0].mean; out[2] = part[0].m2; out[3] = part[0].m3; out[4] = part[0].m4;
    }
    atomic_min_float(&s.extremes[0], mn);
    atomic_max_float(&s.extremes[1], mx);
    atomic_max_float(&s.extremes[2], max_abs);
    atomicAdd(&s.counts[0], zeros);
    atomicAdd(&s.counts[1], near);
    atomicAdd(&s.counts[2], neg);
    atomicAdd(&s.counts[3], nan);
    atomicAdd(&s.counts[4], inf);
    __syncthreads();
    for (int b = threadIdx.x; b < s.bins + 2; b += blockDim.x) {
        if (hist[b]) atomicAdd(&s.histogram[b], hist[b]);
    }
}

// Folds one call's block partials into the accumulated moments (one thread: at most 256 merges).
__global__ void merge_moments_kernel(ffg_site_stats s, int blocks) {
    moments acc = {s.moments[0], s.moments[1], s.moments[2], s.moments[3], s.moments[4]};
    for (int b = 0; b < blocks; b++) {
        const double* p = s.block_moments + b * 5;
        moments m = {p[0], p[1], p[2], p[3], p[4]};
        acc = merge(acc, m);
    }
    s.moments[0] = acc.n; s.moments[1] = acc.mean; s.moments[2] = acc.m2; s.moments[3] = acc.m3; s.moments[4] = acc.m4;
}

// Per channel: one thread owns a channel and walks the rows (coalesced across threads), so no atomics.
__global__ void channel_stats_kernel(ffg_site_stats s, const float* x, int ld, int rows, float threshold) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= s.width) return;
    unsigned long long fire = 0, over = 0;
    float max_abs = s.channel_max_abs[c];
    double sum_sq = 0;
    for (int r = 0; r < rows; r++) {
        float v = x[(size_t) r * ld + c];
        if (!isfinite(v)) continue;
        fire += v > 0.f;
        over += fabsf(v) >= threshold;
        max_abs = fmaxf(max_abs, fabsf(v));
        sum_sq += (double) v * v;
    }
    s.firing[c] += fire;
    s.over[c] += over;
    s.channel_max_abs[c] = max_abs;
    s.channel_sum_sq[c] += sum_sq;
}

extern "C" int ffg_stats_alloc(ffg_site_stats* s, int width, int bins) {
    memset(s, 0, sizeof *s);
    s->width = width;
    s->bins = bins;
    int e = 0;
    if (!e) e = ffg_alloc((void**) &s->moments, 5 * sizeof(double));
    if (!e) e = ffg_alloc((void**) &s->block_moments, FFG_STATS_BLOCKS * 5 * sizeof(double));
    if (!e) e = ffg_alloc((void**) &s->extremes, 3 * sizeof(float));
    if (!e) e = ffg_alloc((void**) &s->counts, 5 * sizeof(unsigned long long));
    if (!e) e = ffg_alloc((void**) &s->firing, width * sizeof(unsigned long long));
    if (!e) e = ffg_alloc((void**) &s->over, width * sizeof(unsigned long long));
    if (!e) e = ffg_alloc((void**) &s->channel_max_abs, width * sizeof(float));
    if (!e) e = ffg_alloc((void**) &s->channel_sum_sq, width * sizeof(double));
    if (!e) e = ffg_alloc((void**) &s->histogram, (bins + 2) * sizeof(unsigned long long));
    return e ? e : ffg_stats_reset(s);
}

extern "C" int ffg_stats_free(ffg_site_stats* s) {
    void* all[] = {s->moments, s->block_moments, s->extremes, s->counts, s->firing, s->over, s->channel_max_abs,
                   s->channel_sum_sq, s->histogram};
    for (void* p : all) cudaFree(p);
    memset(s, 0, sizeof *s);
    return 0;
}

extern "C" int ffg_stats_reset(ffg_site_stats* s) {
    float extremes[3] = {INFINITY, -INFINITY, 0.f};
    int e = check_cuda(cudaMemset(s->moments, 0, 5 * sizeof(double)), "stats reset");
    if (!e) e = ffg_upload(s->extremes, extremes, sizeof extremes);
    if (!e) e = check_cuda(cudaMemset(s->counts, 0, 5 * sizeof(unsigned long long)), "stats reset");
    if (!e) e = check_cuda(cudaMemset(s->firing, 0, s->width * sizeof(unsigned long long)), "stats reset");
    if (!e) e = check_cuda(cudaMemset(s->over, 0, s->width * sizeof(unsigned long long)), "stats reset");
    if (!e) e = check_cuda(cudaMemset(s->channel_max_abs, 0, s->width * sizeof(float)), "stats reset");
    if (!e) e = check_cuda(cudaMemset(s->channel_sum_sq, 0, s->width * sizeof(double)), "stats reset");
    if (!e) e = check_cuda(cudaMemset(s->histogram, 0, (s->bins + 2) * sizeof(unsigned long long)), "stats reset");
    return e;
}

extern "C" int ffg_stats_add(ffg_site_stats* s, const float* x, int ld, int rows, float near_zero, float threshold, float range) {
    size_t n = (size_t) rows * s->width;
    int blocks = (int) ((n + 255) / 256);
    if (blocks > FFG_STATS_BLOCKS) blocks = FFG_STATS_BLOCKS;
    if (blocks < 1) return 0;
    element_stats_kernel<<<blocks, 256, (s->bins + 2) * sizeof(unsigned long long)>>>(*s, x, ld, rows, near_zero, range);
    int e = check_launch("element statistics");
    if (e) return e;
    merge_moments_kernel<<<1, 1>>>(*s, blocks);
    if ((e = check_launch("merge moments"))) return e;
    channel_stats_kernel<<<(s->width + 127) / 128, 128>>>(*s, x, ld, rows, threshold);
    return check_launch("channel statistics");
}
