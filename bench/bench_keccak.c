/* keccak-256 and ecrecover throughput on one core.
 *
 * Method: each figure is the median of 7 timed runs (CLOCK_MONOTONIC), after one untimed
 * warm-up run. keccak256 one-shot over a 1 MiB buffer (bulk, MB = 10^6 bytes), and over 32- and
 * 64-byte inputs (the trie's and the EVM's common sizes; one byte changes per call so nothing is
 * hoisted). Both Keccak-f bodies are measured when the CPU has both; "default" marks the one a
 * node picks at start-up. ecrecover = secp_recover_address (libsecp256k1 recovery, then keccak).
 * Targets (issue): >= 400 MB/s bulk and ~2.5 M hashes/s for 32-64 B with gcc -O2. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "crypto/keccak_impl.h"

enum {
    RUNS = 7,
    BULK_BYTES = 1 << 20,
    BULK_REPS = 48,
    SMALL_REPS = 400000,
    RECOVER_REPS = 4000
};

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

static volatile uint8_t g_sink;

/* MB/s of keccak256 over buf[0..BULK_BYTES). */
static double bulk_run(const uint8_t *buf)
{
    uint8_t out[32];
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < BULK_REPS; i++) {
        keccak256(out, buf, BULK_BYTES);
        g_sink ^= out[0];
    }
    double s = (double)(clock_mono_ns() - t0) / 1e9;
    return (double)BULK_REPS * BULK_BYTES / s / 1e6;
}

/* Million hashes per second of n-byte inputs. */
static double small_run(uint8_t *buf, size_t n)
{
    uint8_t out[32];
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < SMALL_REPS; i++) {
        buf[0] = (uint8_t)i;
        keccak256(out, buf, n);
        g_sink ^= out[0];
    }
    double s = (double)(clock_mono_ns() - t0) / 1e9;
    return SMALL_REPS / s / 1e6;
}

static void bench_body(keccak_impl_t impl, bool is_default, uint8_t *buf)
{
    if (!keccak_impl_select(impl)) {
        printf("keccak body %-8s: not available on this CPU\n", keccak_impl_name(impl));
        return;
    }
    const char *tag = is_default ? " (default)" : "";
    double r[RUNS];
    bulk_run(buf);
    for (int k = 0; k < RUNS; k++)
        r[k] = bulk_run(buf);
    printf("keccak256 [%s%s] bulk 1 MiB:     %8.1f MB/s\n", keccak_impl_name(impl), tag,
           median(r, RUNS));
    static const size_t sizes[] = { 32, 64 };
    for (size_t s = 0; s < 2; s++) {
        small_run(buf, sizes[s]);
        for (int k = 0; k < RUNS; k++)
            r[k] = small_run(buf, sizes[s]);
        printf("keccak256 [%s%s] %2zu-byte inputs: %8.2f M hashes/s\n", keccak_impl_name(impl), tag,
               sizes[s], median(r, RUNS));
    }
}

/* keccak256_many over 4 096 trie-node-sized inputs (532 bytes: a full branch), M hashes/s. */
static double many_run(const uint8_t *buf)
{
    enum {
        N = 4096,
        LEN = 532
    };

    static bview_t in[N];
    static hash_t out[N];
    for (size_t i = 0; i < N; i++)
        in[i] = bview(buf + i * 64, LEN);
    uint64_t t0 = clock_mono_ns();
    for (int rep = 0; rep < 8; rep++) {
        keccak256_many(out, in, N);
        g_sink ^= out[rep].b[0];
    }
    return 8.0 * N / ((double)(clock_mono_ns() - t0) / 1e9) / 1e6;
}

static void bench_many(keccak_x4_t impl, bool is_default, const uint8_t *buf)
{
    if (!keccak_x4_select(impl)) {
        printf("keccak256_many [%s]: not available on this CPU\n", keccak_x4_name(impl));
        return;
    }
    double r[RUNS];
    many_run(buf);
    for (int k = 0; k < RUNS; k++)
        r[k] = many_run(buf);
    printf("keccak256_many [%s%s] 532-byte inputs: %6.2f M hashes/s\n", keccak_x4_name(impl),
           is_default ? " (default)" : "", median(r, RUNS));
}

int main(void)
{
    uint8_t *buf = rn_malloc(BULK_BYTES);
    for (size_t i = 0; i < BULK_BYTES; i++)
        buf[i] = (uint8_t)(i * 31);

    keccak_impl_t def = keccak_impl_active();
    bench_body(def, true, buf);
    bench_body(def == KECCAK_IMPL_BMI ? KECCAK_IMPL_PORTABLE : KECCAK_IMPL_BMI, false, buf);
    if (!keccak_impl_select(def))
        return 1;
    keccak_x4_t def4 = keccak_x4_active();
    static const keccak_x4_t x4s[] = { KECCAK_X4_NONE, KECCAK_X4_AVX2, KECCAK_X4_AVX512 };
    for (size_t i = 0; i < 3; i++)
        bench_many(x4s[i], x4s[i] == def4, buf);
    if (!keccak_x4_select(def4))
        return 1;

    uint8_t sk[32], digest[32], sig[65];
    memset(sk, 7, 32);
    memset(digest, 9, 32);
    if (secp_sign(sig, sk, digest))
        return 1;
    double r[RUNS];
    for (int k = 0; k < RUNS; k++) {
        uint64_t t0 = clock_mono_ns();
        for (int i = 0; i < RECOVER_REPS; i++) {
            addr_t a;
            digest[0] = (uint8_t)i; /* a different (valid) key each time; same work */
            if (secp_recover_address(&a, digest, sig, sig[64]))
                return 1;
            g_sink ^= a.b[0];
        }
        r[k] = RECOVER_REPS / ((double)(clock_mono_ns() - t0) / 1e9);
    }
    printf("ecrecover -> address:                %8.0f /s\n", median(r, RUNS));
    rn_free(buf);
    return 0;
}
