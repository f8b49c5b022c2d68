/* One core's float32 FMA peak: twelve independent vector FMA chains (enough to cover the FMA latency on
 * two FMA ports), AVX-512 where the compiler targets it (-march=native), else AVX2. Prints GFLOP/s.
 * Built and run by scripts/benchmark-blas. */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void) {
#if defined(__AVX512F__)
    typedef __m512 vec; const int lanes = 16; const char *isa = "avx512";
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define SUM(v) _mm512_reduce_add_ps(v)
#else
    typedef __m256 vec; const int lanes = 8; const char *isa = "avx2";
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
    float tmp[8];
#define SUM(v) (_mm256_storeu_ps(tmp, v), tmp[0] + tmp[1] + tmp[2] + tmp[3] + tmp[4] + tmp[5] + tmp[6] + tmp[7])
#endif
    vec a = SET1(0.999999f), b = SET1(1e-7f);
    vec c0 = SET1(0), c1 = SET1(1), c2 = SET1(2), c3 = SET1(3), c4 = SET1(4), c5 = SET1(5),
        c6 = SET1(6), c7 = SET1(7), c8 = SET1(8), c9 = SET1(9), c10 = SET1(10), c11 = SET1(11);
    double best = 0;
    for (int round = 0; round < 5; round++) {
        long iters = 50000000;
        double t0 = now();
        for (long i = 0; i < iters; i++) {
            c0 = FMA(c0, a, b); c1 = FMA(c1, a, b); c2 = FMA(c2, a, b); c3 = FMA(c3, a, b);
            c4 = FMA(c4, a, b); c5 = FMA(c5, a, b); c6 = FMA(c6, a, b); c7 = FMA(c7, a, b);
            c8 = FMA(c8, a, b); c9 = FMA(c9, a, b); c10 = FMA(c10, a, b); c11 = FMA(c11, a, b);
        }
        double gflops = 2.0 * 12 * lanes * iters / (now() - t0) / 1e9;
        if (gflops > best) best = gflops;
    }
    vec s = ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(ADD(c4, c5), ADD(c6, c7)), ADD(ADD(c8, c9), ADD(c10, c11))));
    printf("FMA %s %.1f %g\n", isa, best, (double) SUM(s));
    return 0;
}
