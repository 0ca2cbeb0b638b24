/* keccak-256 and ecrecover throughput on one core (medians of 7 runs).
 * BENCHMARKS.md: plain-C keccak limit ~400 MB/s bulk, ~2.75 M hashes/s for 32-64 B;
 * libsecp256k1 ecrecover ~22 300/s. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return v[n / 2];
}

int main(void)
{
    enum {
        RUNS = 7
    };

    double r[RUNS];
    size_t big = 1 << 20;
    uint8_t *buf = rn_malloc(big);
    for (size_t i = 0; i < big; i++)
        buf[i] = (uint8_t)(i * 31);
    uint8_t out[32];
    for (int k = 0; k < RUNS; k++) {
        uint64_t t0 = clock_mono_ns();
        for (int i = 0; i < 64; i++)
            keccak256(out, buf, big);
        r[k] = 64.0 * (double)big / ((double)(clock_mono_ns() - t0) / 1e9) / 1e6;
    }
    printf("keccak256 bulk (1 MiB):   %8.1f MB/s (median of %d)\n", median(r, RUNS), RUNS);
    size_t sizes[] = { 32, 64 };
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < RUNS; k++) {
            uint64_t t0 = clock_mono_ns();
            for (int i = 0; i < 500000; i++) {
                buf[0] = (uint8_t)i;
                keccak256(out, buf, sizes[s]);
            }
            r[k] = 500000.0 / ((double)(clock_mono_ns() - t0) / 1e9) / 1e6;
        }
        printf("keccak256 %2zu-byte inputs: %8.2f M hashes/s\n", sizes[s], median(r, RUNS));
    }
    uint8_t sk[32], digest[32], sig[65];
    memset(sk, 7, 32);
    memset(digest, 9, 32);
    if (secp_sign(sig, sk, digest))
        return 1;
    for (int k = 0; k < RUNS; k++) {
        uint64_t t0 = clock_mono_ns();
        for (int i = 0; i < 5000; i++) {
            addr_t a;
            if (secp_recover_address(&a, digest, sig, sig[64]))
                return 1;
        }
        r[k] = 5000.0 / ((double)(clock_mono_ns() - t0) / 1e9);
    }
    printf("ecrecover -> address:     %8.0f /s (peer: ~22 300/s)\n", median(r, RUNS));
    rn_free(buf);
    return 0;
}
