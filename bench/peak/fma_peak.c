/*
 * The machine's fp32 peak, measured: each of T threads runs independent AVX2 fused multiply-adds on registers
 * (CHAINS accumulators of 8 floats, enough to cover the instruction's latency), and the probe prints the total rate.
 * bench/compare.py builds and runs it (gcc -O2 -mavx2 -mfma -pthread) for the "% peak" column, so the column is
 * against what this machine does rather than a number from elsewhere.
 *
 *   fma_peak THREADS  ->  "PEAK threads=T gflops=G"   (the best of 5 rounds of about 0.2 s)
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define ITERATIONS 20000000L

static volatile float sink;

static void *run(void *unused) {
    (void) unused;
    __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
    __m256 a[CHAINS];
    for (int j = 0; j < CHAINS; j++) {
        a[j] = _mm256_set1_ps((float) j);
    }
    for (long i = 0; i < ITERATIONS; i++) {
#pragma GCC unroll 16
        for (int j = 0; j < CHAINS; j++) {
            a[j] = _mm256_fmadd_ps(a[j], b, c);
        }
    }
    float total = 0;
    for (int j = 0; j < CHAINS; j++) {
        float lanes[8];
        _mm256_storeu_ps(lanes, a[j]);
        total += lanes[0];
    }
    sink = total; /* keeps the loop from being optimized away */
    return NULL;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > 256) {
        fprintf(stderr, "usage: fma_peak THREADS (1 to 256)\n");
        return 2;
    }
    pthread_t ids[256];
    double best = 0;
    for (int round = 0; round < 5; round++) {
        double start = seconds();
        for (int t = 0; t < threads; t++) {
            pthread_create(&ids[t], NULL, run, NULL);
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(ids[t], NULL);
        }
        /* 8 lanes, 2 flops (multiply and add) per lane and instruction */
        double gflops = threads * (double) ITERATIONS * CHAINS * 16 / (seconds() - start) / 1e9;
        best = gflops > best ? gflops : best;
    }
    printf("PEAK threads=%d gflops=%.1f\n", threads, best);
    return 0;
}
