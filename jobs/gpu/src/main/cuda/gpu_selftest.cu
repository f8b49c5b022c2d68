// Native self-test of ffnbench's GPU kernels (no Java needed): every kernel against the CPU
// implementation's outputs stored in jobs/gpu/src/test/resources/gpu-reference.bin (written by
// GpuReferenceTest), then, with --bench, GFLOP/s of the FFNs against cuBLAS alone on the same shapes.
//   gpu_selftest <gpu-reference.bin> [--bench]          (scripts/gpu-selftest.sh builds and runs it)
// Reference shapes: x is 24 tokens x d 64 in two sequences (10 and 14 tokens); layer "a" is GPT-2-like
// (LayerNorm, GELU, biases, 4 heads, d_ff 128), layer "b" LLaMA-like (RMSNorm, SwiGLU, RoPE θ 10000,
// 4 query / 2 key-value heads, d_ff 96). Exit status 0 when every check passes.
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <string>
#include <vector>

#include "ffnbench_gpu.h"

static std::map<std::string, std::vector<float>> ref;
static int failures = 0;

static void die(const char* what) {
    fprintf(stderr, "FATAL %s: %s\n", what, ffg_last_error());
    exit(2);
}
#define OK(call) do { if ((call) != 0) die(#call); } while (0)

static void load(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    char name[48];
    while (fread(name, 1, 48, f) == 48) {
        int n;
        if (fread(&n, 4, 1, f) != 1) break;
        std::vector<float> v(n);
        if (fread(v.data(), 4, n, f) != (size_t) n) { fprintf(stderr, "truncated %s\n", path); exit(2); }
        ref[std::string(name, strnlen(name, 48))] = v;
    }
    fclose(f);
}

static const std::vector<float>& R(const std::string& name) {
    auto it = ref.find(name);
    if (it == ref.end()) { fprintf(stderr, "reference has no %s\n", name.c_str()); exit(2); }
    return it->second;
}

// A device copy of a reference tensor (or a zeroed buffer of n floats).
static float* dev(const std::string& name) {
    const auto& v = R(name);
    float* p;
    OK(ffg_alloc((void**) &p, v.size() * 4));
    OK(ffg_upload(p, v.data(), v.size() * 4));
    return p;
}
static float* zeros(size_t n) {
    float* p;
    OK(ffg_alloc((void**) &p, n * 4));
    cudaMemset(p, 0, n * 4);
    return p;
}
static float* dev_or_null(const std::string& name) { return ref.count(name) ? dev(name) : nullptr; }

static void compare(const char* what, const float* d, const std::vector<float>& expected, double tolerance) {
    std::vector<float> got(expected.size());
    OK(ffg_download(got.data(), d, got.size() * 4));
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < got.size(); i++) {
        double e = fabs((double) got[i] - expected[i]) / fmax(1.0, fabs(expected[i]));
        if (!(e <= worst)) { worst = e; at = i; }
    }
    bool pass = worst <= tolerance;
    failures += !pass;
    printf("%-34s %s  max rel diff %.2e (tolerance %.0e) at %zu\n", what, pass ? "PASS" : "FAIL", worst, tolerance, at);
}

static const int D = 64, HEADS = 4, HD = 16, TOKENS = 24;
static const int STARTS[] = {0, 10, 24};

struct Layer {
    const char* p;
    int kv_heads, ff, gated, act, norm, rotary;
    float eps, beta;
};

static std::string W(const Layer& l, const char* name) { return std::string(l.p) + "." + name; }

// The FFN: in-projection, activation (or gating), out-projection.
static void mlp(const Layer& l, const float* x, float* y, float* act_out, ffg_site_stats* stats) {
    int width = l.gated ? 2 * l.ff : l.ff;
    float* proj = zeros((size_t) TOKENS * width);
    OK(ffg_linear(x, D, TOKENS, D, dev(W(l, "mlp.in.weight")), dev_or_null(W(l, "mlp.in.bias")), width, proj, width, FFG_FP32));
    float* hidden = proj;
    if (l.gated) {
        hidden = zeros((size_t) TOKENS * l.ff);
        OK(ffg_gate(l.act, l.beta, proj, proj + l.ff, width, TOKENS, l.ff, hidden));
    } else {
        OK(ffg_activate(l.act, l.beta, proj, width, TOKENS, l.ff));
    }
    if (stats) OK(ffg_stats_add(stats, hidden, l.gated ? l.ff : width, TOKENS, 1e-3f, 6.f, 10.f));
    if (act_out) cudaMemcpy(act_out, hidden, (size_t) TOKENS * l.ff * 4, cudaMemcpyDeviceToDevice);
    OK(ffg_linear(hidden, l.gated ? l.ff : width, TOKENS, l.ff, dev(W(l, "mlp.out.weight")), dev_or_null(W(l, "mlp.out.bias")), D,
                  y, D, FFG_FP32));
}

// Rotary and attention per sequence on a QKV block of rows of stride ld.
static void attend(const Layer& l, float* qkv, int ld, float* context) {
    for (int s = 0; s < 2; s++) {
        int len = STARTS[s + 1] - STARTS[s];
        float* rows = qkv + (size_t) STARTS[s] * ld;
        if (l.rotary) {
            OK(ffg_rope(rows, ld, 0, len, HEADS, HD, HD, 10000.f));
            OK(ffg_rope(rows, ld, HEADS * HD, len, l.kv_heads, HD, HD, 10000.f));
        }
        OK(ffg_attention(rows, ld, len, HEADS, l.kv_heads, HD, 1, context + (size_t) STARTS[s] * HEADS * HD));
    }
}

static void check_layer(const Layer& l) {
    float* x = dev("x");
    size_t n = (size_t) TOKENS * D;
    int qkv_width = (HEADS + 2 * l.kv_heads) * HD;
    int ffn_width = l.gated ? 2 * l.ff : l.ff;
    float* n1g = dev(W(l, "attn_norm.weight"));
    float* n1b = dev_or_null(W(l, "attn_norm.bias"));
    float* n2g = dev(W(l, "mlp_norm.weight"));
    float* n2b = dev_or_null(W(l, "mlp_norm.bias"));

    // FFN alone, with statistics of its activations
    ffg_site_stats st;
    OK(ffg_stats_alloc(&st, l.ff, 80));
    float* y = zeros(n);
    mlp(l, x, y, nullptr, &st);
    compare((std::string(l.p) + ": FFN").c_str(), y, R(W(l, "mlp")), 2e-4);
    double m[5];
    float ext[3];
    unsigned long long counts[5];
    std::vector<unsigned long long> firing(l.ff);
    OK(ffg_download(m, st.moments, sizeof m));
    OK(ffg_download(ext, st.extremes, sizeof ext));
    OK(ffg_download(counts, st.counts, sizeof counts));
    OK(ffg_download(firing.data(), st.firing, l.ff * 8));
    const auto& s = R(W(l, "mlp.act_stats"));   // count, mean, variance, min, max, zeros, near-zero, negatives, max|x|
    float got[9] = {(float) m[0], (float) m[1], (float) (m[2] / m[0]), ext[0], ext[1], (float) counts[0], (float) counts[1],
                    (float) counts[2], ext[2]};
    std::vector<float> got_v(got, got + 9), fire_f(firing.begin(), firing.end());
    float* got_d = zeros(9);
    OK(ffg_upload(got_d, got, sizeof got));
    compare((std::string(l.p) + ": statistics of ffn_act").c_str(), got_d, s, 1e-4);
    float* fire_d = zeros(l.ff);
    OK(ffg_upload(fire_d, fire_f.data(), l.ff * 4));
    compare((std::string(l.p) + ": per-neuron firing counts").c_str(), fire_d, R(W(l, "mlp.firing")), 0);
    ffg_stats_free(&st);

    // serial pre-LN block: h = x + Attn(N1(x)); y = h + MLP(N2(h))
    float* n1 = zeros(n);
    OK(ffg_norm(l.norm, x, TOKENS, D, n1g, n1b, l.eps, n1));
    float* qkv = zeros((size_t) TOKENS * qkv_width);
    OK(ffg_linear(n1, D, TOKENS, D, dev(W(l, "attn.qkv.weight")), dev_or_null(W(l, "attn.qkv.bias")), qkv_width, qkv, qkv_width, FFG_FP32));
    float* context = zeros(n);
    attend(l, qkv, qkv_width, context);
    float* h = zeros(n);
    float* wo = dev(W(l, "attn.out.weight"));
    float* bo = dev_or_null(W(l, "attn.out.bias"));
    OK(ffg_linear(context, D, TOKENS, D, wo, bo, D, h, D, FFG_FP32));
    OK(ffg_add(h, x, n));
    float* n2 = zeros(n);
    OK(ffg_norm(l.norm, h, TOKENS, D, n2g, n2b, l.eps, n2));
    float* out = zeros(n);
    mlp(l, n2, out, nullptr, nullptr);
    OK(ffg_add(out, h, n));
    compare((std::string(l.p) + ": serial block").c_str(), out, R(W(l, "serial")), 5e-4);

    // parallel block: one GEMM over [W_qkv | W_in], then y = x + Attn + MLP
    const auto& wq = R(W(l, "attn.qkv.weight"));
    const auto& wi = R(W(l, "mlp.in.weight"));
    int fused_width = qkv_width + ffn_width;
    std::vector<float> wf((size_t) D * fused_width), bf(fused_width, 0.f);
    for (int r = 0; r < D; r++) {
        memcpy(&wf[(size_t) r * fused_width], &wq[(size_t) r * qkv_width], qkv_width * 4);
        memcpy(&wf[(size_t) r * fused_width + qkv_width], &wi[(size_t) r * ffn_width], ffn_width * 4);
    }
    if (ref.count(W(l, "attn.qkv.bias"))) memcpy(bf.data(), R(W(l, "attn.qkv.bias")).data(), qkv_width * 4);
    if (ref.count(W(l, "mlp.in.bias"))) memcpy(bf.data() + qkv_width, R(W(l, "mlp.in.bias")).data(), ffn_width * 4);
    float* wf_d = zeros(wf.size());
    float* bf_d = zeros(bf.size());
    OK(ffg_upload(wf_d, wf.data(), wf.size() * 4));
    OK(ffg_upload(bf_d, bf.data(), bf.size() * 4));
    float* fused = zeros((size_t) TOKENS * fused_width);
    OK(ffg_linear(n1, D, TOKENS, D, wf_d, bf_d, fused_width, fused, fused_width, FFG_FP32));
    attend(l, fused, fused_width, context);
    float* sum = zeros(n);
    OK(ffg_linear(context, D, TOKENS, D, wo, bo, D, sum, D, FFG_FP32));
    float* proj = fused + qkv_width;
    float* hidden = proj;
    int hidden_ld = fused_width;
    if (l.gated) {
        hidden = zeros((size_t) TOKENS * l.ff);
        OK(ffg_gate(l.act, l.beta, proj, proj + l.ff, fused_width, TOKENS, l.ff, hidden));
        hidden_ld = l.ff;
    } else {
        OK(ffg_activate(l.act, l.beta, proj, fused_width, TOKENS, l.ff));
    }
    float* m_out = zeros(n);
    OK(ffg_linear(hidden, hidden_ld, TOKENS, l.ff, dev(W(l, "mlp.out.weight")), dev_or_null(W(l, "mlp.out.bias")), D, m_out, D, FFG_FP32));
    OK(ffg_add(sum, m_out, n));
    OK(ffg_add(sum, x, n));
    compare((std::string(l.p) + ": parallel block (fused GEMM)").c_str(), sum, R(W(l, "parallel")), 5e-4);
}

static double time_ms(void (*fn)(void*), void* arg, int reps) {
    cudaEvent_t a, b;
    cudaEventCreate(&a);
    cudaEventCreate(&b);
    fn(arg);
    cudaEventRecord(a);
    for (int i = 0; i < reps; i++) fn(arg);
    cudaEventRecord(b);
    cudaEventSynchronize(b);
    float ms;
    cudaEventElapsedTime(&ms, a, b);
    return ms / reps;
}

struct Ffn { int tokens, d, ff, gated, act, precision, stats; float *x, *w_in, *w_out, *proj, *hidden, *y; ffg_site_stats st; };

static void run_gemms(void* p) {
    Ffn* f = (Ffn*) p;
    int width = f->gated ? 2 * f->ff : f->ff;
    ffg_linear(f->x, f->d, f->tokens, f->d, f->w_in, nullptr, width, f->proj, width, f->precision);
    ffg_linear(f->hidden, f->ff, f->tokens, f->ff, f->w_out, nullptr, f->d, f->y, f->d, f->precision);
}

static void run_ffn(void* p) {
    Ffn* f = (Ffn*) p;
    int width = f->gated ? 2 * f->ff : f->ff;
    ffg_linear(f->x, f->d, f->tokens, f->d, f->w_in, nullptr, width, f->proj, width, f->precision);
    float* hidden = f->proj;
    int ld = width;
    if (f->gated) { ffg_gate(f->act, 1.f, f->proj, f->proj + f->ff, width, f->tokens, f->ff, f->hidden); hidden = f->hidden; ld = f->ff; }
    else ffg_activate(f->act, 1.f, f->proj, width, f->tokens, f->ff);
    if (f->stats) ffg_stats_add(&f->st, hidden, ld, f->tokens, 1e-3f, 6.f, 10.f);
    ffg_linear(hidden, ld, f->tokens, f->ff, f->w_out, nullptr, f->d, f->y, f->d, f->precision);
}

static void bench(const char* name, int d, int ff, int gated, int act) {
    const char* precision_names[] = {"FP32", "TF32", "BF16"};
    for (int precision = 0; precision < 3; precision++) {
        Ffn f = {4096, d, ff, gated, act, precision, 0};
        int width = gated ? 2 * ff : ff;
        f.x = zeros((size_t) f.tokens * d);
        f.w_in = zeros((size_t) d * width);
        f.w_out = zeros((size_t) ff * d);
        f.proj = zeros((size_t) f.tokens * width);
        f.hidden = zeros((size_t) f.tokens * ff);
        f.y = zeros((size_t) f.tokens * d);
        OK(ffg_stats_alloc(&f.st, ff, 80));
        double flops = 2.0 * f.tokens * d * width + 2.0 * f.tokens * ff * d;
        double bare = time_ms(run_gemms, &f, 20), ffn = time_ms(run_ffn, &f, 20);
        f.stats = 1;
        double with_stats = time_ms(run_ffn, &f, 20);
        printf("%-22s %s: cuBLAS GEMMs alone %7.1f GFLOP/s | FFN %7.1f GFLOP/s (%.3fx) | FFN + statistics %7.1f GFLOP/s "
               "(statistics +%.1f%%)\n", name, precision_names[precision], flops / bare / 1e6, flops / ffn / 1e6, bare / ffn,
               flops / with_stats / 1e6, (with_stats / ffn - 1) * 100);
        ffg_stats_free(&f.st);
        float* all[] = {f.x, f.w_in, f.w_out, f.proj, f.hidden, f.y};
        for (float* p : all) ffg_free(p);
    }
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s gpu-reference.bin [--bench]\n", argv[0]);
        return 2;
    }
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        printf("no CUDA device: nothing to test here (built fine; run on a GPU machine)\n");
        return 77;
    }
    OK(ffg_init(getenv("FFNBENCH_CUBLAS")));
    char name[256];
    OK(ffg_device_name(name, sizeof name));
    printf("device: %s\n", name);
    load(argv[1]);

    // activations, one kernel per kind (the gate kernel is exercised by layer b)
    const char* kinds[] = {"identity", "relu", "gelu", "gelu_tanh", "silu", "swish", "sigmoid", "tanh", "quick_gelu"};
    float betas[] = {1, 1, 1, 1, 1, 1.5f, 1, 1, 1.702f};
    for (int k = 0; k < 9; k++) {
        float* a = dev("act_in");
        OK(ffg_activate(k, betas[k], a, 512, 1, 512));
        compare((std::string("activation ") + kinds[k]).c_str(), a, R(std::string("act_") + kinds[k]), 1e-5);
    }
    float* x = dev("x");
    float* out = zeros((size_t) TOKENS * D);
    OK(ffg_norm(0, x, TOKENS, D, dev("norm_gamma"), dev("norm_beta"), 1e-5f, out));
    compare("LayerNorm", out, R("layernorm"), 1e-5);
    OK(ffg_norm(1, x, TOKENS, D, dev("norm_gamma"), nullptr, 1e-6f, out));
    compare("RMSNorm", out, R("rmsnorm"), 1e-5);

    Layer a = {"a", 4, 128, 0, FFG_GELU, 0, 0, 1e-5f, 1.f};
    Layer b = {"b", 2, 96, 1, FFG_SILU, 1, 1, 1e-6f, 1.f};
    check_layer(a);
    check_layer(b);
    printf("%s: %d check(s) failed\n", failures ? "FAILED" : "ALL PASSED", failures);

    if (argc > 2 && strcmp(argv[2], "--bench") == 0) {
        bench("SwiGLU d1024 ff2816", 1024, 2816, 1, FFG_SILU);
        bench("GELU d768 ff3072", 768, 3072, 0, FFG_GELU);
    }
    return failures ? 1 : 0;
}
