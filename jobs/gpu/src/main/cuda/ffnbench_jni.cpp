// JNI bindings of ffnbench.gpu.NativeGpu: thin wrappers over the C API in ffnbench_gpu.h. Device
// pointers travel as Java longs; every failure becomes an IllegalStateException carrying
// ffg_last_error(), so Java callers see CUDA's own message.
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>

#include "ffnbench_gpu.h"

#define FN(name) Java_ffnbench_gpu_NativeGpu_##name
#define PTR(x) ((void*) (intptr_t) (x))
#define FPTR(x) ((float*) (intptr_t) (x))

static void check(JNIEnv* env, int status) {
    if (status == 0 || env->ExceptionCheck()) return;
    jclass ex = env->FindClass("java/lang/IllegalStateException");
    if (ex) env->ThrowNew(ex, ffg_last_error());
}

extern "C" {

JNIEXPORT jstring JNICALL FN(init)(JNIEnv* env, jclass, jstring library) {
    const char* lib = library ? env->GetStringUTFChars(library, nullptr) : nullptr;
    int status = ffg_init(lib);
    if (lib) env->ReleaseStringUTFChars(library, lib);
    return status == 0 ? nullptr : env->NewStringUTF(ffg_last_error());
}

JNIEXPORT jstring JNICALL FN(deviceName)(JNIEnv* env, jclass) {
    char name[256];
    check(env, ffg_device_name(name, sizeof name));
    return env->NewStringUTF(name);
}

JNIEXPORT jlong JNICALL FN(alloc)(JNIEnv* env, jclass, jlong bytes) {
    void* p = nullptr;
    check(env, ffg_alloc(&p, (size_t) bytes));
    return (jlong) (intptr_t) p;
}

JNIEXPORT void JNICALL FN(free)(JNIEnv* env, jclass, jlong p) { check(env, ffg_free(PTR(p))); }

JNIEXPORT void JNICALL FN(upload)(JNIEnv* env, jclass, jlong dst, jfloatArray src, jint offset, jint n) {
    jfloat* host = env->GetFloatArrayElements(src, nullptr);
    check(env, ffg_upload(PTR(dst), host + offset, (size_t) n * sizeof(float)));
    env->ReleaseFloatArrayElements(src, host, JNI_ABORT);
}

JNIEXPORT void JNICALL FN(download)(JNIEnv* env, jclass, jlong src, jfloatArray dst, jint offset, jint n) {
    jfloat* host = env->GetFloatArrayElements(dst, nullptr);
    int status = ffg_download(host + offset, PTR(src), (size_t) n * sizeof(float));
    env->ReleaseFloatArrayElements(dst, host, 0);
    check(env, status);
}

JNIEXPORT void JNICALL FN(downloadInts)(JNIEnv* env, jclass, jlong src, jintArray dst, jint n) {
    jint* host = env->GetIntArrayElements(dst, nullptr);
    int status = ffg_download(host, PTR(src), (size_t) n * sizeof(jint));
    env->ReleaseIntArrayElements(dst, host, 0);
    check(env, status);
}

JNIEXPORT void JNICALL FN(linear)(JNIEnv* env, jclass, jlong x, jint ldx, jint tokens, jint in, jlong w, jlong bias, jint out,
                                  jlong y, jint ldy, jint precision) {
    check(env, ffg_linear(FPTR(x), ldx, tokens, in, FPTR(w), FPTR(bias), out, FPTR(y), ldy, precision));
}

JNIEXPORT void JNICALL FN(activate)(JNIEnv* env, jclass, jint kind, jfloat beta, jlong h, jint ld, jint tokens, jint width) {
    check(env, ffg_activate(kind, beta, FPTR(h), ld, tokens, width));
}

JNIEXPORT void JNICALL FN(gate)(JNIEnv* env, jclass, jint kind, jfloat beta, jlong gate, jlong up, jint ldIn, jint tokens,
                                jint width, jlong out) {
    check(env, ffg_gate(kind, beta, FPTR(gate), FPTR(up), ldIn, tokens, width, FPTR(out)));
}

JNIEXPORT void JNICALL FN(norm)(JNIEnv* env, jclass, jint kind, jlong x, jint tokens, jint d, jlong gamma, jlong beta,
                                jfloat eps, jlong out) {
    check(env, ffg_norm(kind, FPTR(x), tokens, d, FPTR(gamma), FPTR(beta), eps, FPTR(out)));
}

JNIEXPORT void JNICALL FN(rope)(JNIEnv* env, jclass, jlong x, jint ld, jint col, jint tokens, jint heads, jint headDim,
                                jint rotaryDim, jfloat theta) {
    check(env, ffg_rope(FPTR(x), ld, col, tokens, heads, headDim, rotaryDim, theta));
}

JNIEXPORT void JNICALL FN(attention)(JNIEnv* env, jclass, jlong qkv, jint ld, jint tokens, jint heads, jint kvHeads,
                                     jint headDim, jboolean causal, jlong context) {
    check(env, ffg_attention(FPTR(qkv), ld, tokens, heads, kvHeads, headDim, causal ? 1 : 0, FPTR(context)));
}

JNIEXPORT void JNICALL FN(add)(JNIEnv* env, jclass, jlong y, jlong x, jlong n) {
    check(env, ffg_add(FPTR(y), FPTR(x), (size_t) n));
}

JNIEXPORT void JNICALL FN(synchronize)(JNIEnv* env, jclass) { check(env, ffg_synchronize()); }

JNIEXPORT jlong JNICALL FN(statsAlloc)(JNIEnv* env, jclass, jint width, jint bins) {
    ffg_site_stats* s = (ffg_site_stats*) calloc(1, sizeof(ffg_site_stats));
    int status = ffg_stats_alloc(s, width, bins);
    if (status) {
        ffg_stats_free(s);
        free(s);
        check(env, status);
        return 0;
    }
    return (jlong) (intptr_t) s;
}

JNIEXPORT void JNICALL FN(statsFree)(JNIEnv*, jclass, jlong s) {
    ffg_stats_free((ffg_site_stats*) PTR(s));
    free(PTR(s));
}

JNIEXPORT void JNICALL FN(statsReset)(JNIEnv* env, jclass, jlong s) { check(env, ffg_stats_reset((ffg_site_stats*) PTR(s))); }

JNIEXPORT void JNICALL FN(statsAdd)(JNIEnv* env, jclass, jlong s, jlong x, jint ld, jint rows, jfloat nearZero,
                                    jfloat threshold, jfloat range) {
    check(env, ffg_stats_add((ffg_site_stats*) PTR(s), FPTR(x), ld, rows, nearZero, threshold, range));
}

// Copies the (small) accumulators to the host: no activation crosses, only per-site and per-channel totals.
JNIEXPORT void JNICALL FN(statsRead)(JNIEnv* env, jclass, jlong handle, jdoubleArray moments, jfloatArray extremes,
                                     jlongArray counts, jlongArray firing, jlongArray over, jfloatArray channelMaxAbs,
                                     jdoubleArray channelSumSq, jlongArray histogram) {
    ffg_site_stats* s = (ffg_site_stats*) PTR(handle);
    struct { jarray array; const void* src; size_t bytes; } parts[] = {
        {moments, s->moments, 5 * sizeof(double)},
        {extremes, s->extremes, 3 * sizeof(float)},
        {counts, s->counts, 5 * sizeof(unsigned long long)},
        {firing, s->firing, s->width * sizeof(unsigned long long)},
        {over, s->over, s->width * sizeof(unsigned long long)},
        {channelMaxAbs, s->channel_max_abs, s->width * sizeof(float)},
        {channelSumSq, s->channel_sum_sq, s->width * sizeof(double)},
        {histogram, s->histogram, (s->bins + 2) * sizeof(unsigned long long)},
    };
    for (auto& p : parts) {
        void* host = env->GetPrimitiveArrayCritical(p.array, nullptr);
        int status = ffg_download(host, p.src, p.bytes);
        env->ReleasePrimitiveArrayCritical(p.array, host, 0);
        if (status) { check(env, status); return; }
    }
}

}  // extern "C"
