/* Keccak-256 (the original Keccak padding 0x01, rate 136 bytes), our own implementation of
 * Keccak-f[1600] as specified in "The Keccak reference" 3.0 (Bertoni, Daemen, Peeters, Van
 * Assche), with the lane-complementing transform the same authors describe in "Keccak
 * implementation overview".
 *
 * The permutation keeps the 25 lanes in local variables for the whole absorb of a run of blocks
 * (the state touches memory once per update, not once per block) and does one round per loop
 * iteration: fully unrolling the 24 rounds measured 17% slower for the portable body (code size,
 * spills) and within noise for the bmi one.
 *
 * Two bodies, one state layout:
 *   - portable: chi written for the lane-complemented state, 5 NOTs per round instead of 25.
 *   - bmi (x86-64 with BMI1+BMI2): plain chi, where `~b & c` is one ANDN and rotations are RORX.
 * The active body is picked once at start-up from CPUID; keccak_impl_select() overrides it for
 * tests and the benchmark. Both keep st[] in the ordinary (uncomplemented) representation. */
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/keccak_impl.h"

enum {
    RATE = 136 /**< bytes absorbed per permutation: (1600 - 2 * 256) / 8 */
};

static const uint64_t RC[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
    0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
    0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

/* Rotate left, for a lane or a vector of lanes; every use has 0 < n < 64. */
#define ROL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

/* One round's theta, rho and pi on the lanes aXY (type T) into bXY: lane (x, y) rotated by
 * r[x][y] moves to (y, 2x + 3y); bXY is the lane that lands at (X, Y). */
#define KECCAK_THETA_RHO_PI(T)                                          \
    /* theta */                                                         \
    T c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04;                                 \
    T c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14;                                 \
    T c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24;                                 \
    T c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34;                                 \
    T c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44;                                 \
    T d0 = c4 ^ ROL(c1, 1), d1 = c0 ^ ROL(c2, 1), d2 = c1 ^ ROL(c3, 1); \
    T d3 = c2 ^ ROL(c4, 1), d4 = c3 ^ ROL(c0, 1);                       \
    T b00 = a00 ^ d0;                                                   \
    T b13 = ROL(a01 ^ d0, 36);                                          \
    T b21 = ROL(a02 ^ d0, 3);                                           \
    T b34 = ROL(a03 ^ d0, 41);                                          \
    T b42 = ROL(a04 ^ d0, 18);                                          \
    T b02 = ROL(a10 ^ d1, 1);                                           \
    T b10 = ROL(a11 ^ d1, 44);                                          \
    T b23 = ROL(a12 ^ d1, 10);                                          \
    T b31 = ROL(a13 ^ d1, 45);                                          \
    T b44 = ROL(a14 ^ d1, 2);                                           \
    T b04 = ROL(a20 ^ d2, 62);                                          \
    T b12 = ROL(a21 ^ d2, 6);                                           \
    T b20 = ROL(a22 ^ d2, 43);                                          \
    T b33 = ROL(a23 ^ d2, 15);                                          \
    T b41 = ROL(a24 ^ d2, 61);                                          \
    T b01 = ROL(a30 ^ d3, 28);                                          \
    T b14 = ROL(a31 ^ d3, 55);                                          \
    T b22 = ROL(a32 ^ d3, 25);                                          \
    T b30 = ROL(a33 ^ d3, 21);                                          \
    T b43 = ROL(a34 ^ d3, 56);                                          \
    T b03 = ROL(a40 ^ d4, 27);                                          \
    T b11 = ROL(a41 ^ d4, 20);                                          \
    T b24 = ROL(a42 ^ d4, 39);                                          \
    T b32 = ROL(a43 ^ d4, 8);                                           \
    T b40 = ROL(a44 ^ d4, 14);

/* chi: a[x] = b[x] ^ (~b[x+1] & b[x+2]) along each row; iota (RCV) on (0, 0). */
#define KECCAK_CHI(RCV)               \
    a00 = b00 ^ (~b10 & b20) ^ (RCV); \
    a10 = b10 ^ (~b20 & b30);         \
    a20 = b20 ^ (~b30 & b40);         \
    a30 = b30 ^ (~b40 & b00);         \
    a40 = b40 ^ (~b00 & b10);         \
    a01 = b01 ^ (~b11 & b21);         \
    a11 = b11 ^ (~b21 & b31);         \
    a21 = b21 ^ (~b31 & b41);         \
    a31 = b31 ^ (~b41 & b01);         \
    a41 = b41 ^ (~b01 & b11);         \
    a02 = b02 ^ (~b12 & b22);         \
    a12 = b12 ^ (~b22 & b32);         \
    a22 = b22 ^ (~b32 & b42);         \
    a32 = b32 ^ (~b42 & b02);         \
    a42 = b42 ^ (~b02 & b12);         \
    a03 = b03 ^ (~b13 & b23);         \
    a13 = b13 ^ (~b23 & b33);         \
    a23 = b23 ^ (~b33 & b43);         \
    a33 = b33 ^ (~b43 & b03);         \
    a43 = b43 ^ (~b03 & b13);         \
    a04 = b04 ^ (~b14 & b24);         \
    a14 = b14 ^ (~b24 & b34);         \
    a24 = b24 ^ (~b34 & b44);         \
    a34 = b34 ^ (~b44 & b04);         \
    a44 = b44 ^ (~b04 & b14);

static inline uint64_t load64le(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void store64le(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/*
 * Absorb nblocks blocks of RATE bytes from in (NULL: zero blocks, i.e. plain permutations) into
 * st, one Keccak-f[1600] per block. Lane (x, y) is st[x + 5y] and the local axy.
 *
 * lane_complement selects the chi variant. With it, the lanes (0,0) (4,0) (3,1) (4,1) (3,2)
 * (4,2) (3,3) (0,4) are held complemented while in registers; that set is one of the four found
 * by an exhaustive search over all 2^25 complement masks for the fewest NOTs per round (theta,
 * rho and pi carry a complement along; chi then needs only ~b00, ~b41, ~b42, ~b43, ~b14). XOR
 * commutes with complementing, so message lanes are absorbed into the complemented state as is.
 *
 * always_inline with a constant lane_complement: each caller gets its own specialised copy,
 * compiled for its own target.
 */
static inline __attribute__((always_inline)) void absorb_core(uint64_t st[25], const uint8_t *in,
                                                              size_t nblocks, bool lane_complement)
{
    uint64_t a00 = st[0], a10 = st[1], a20 = st[2], a30 = st[3], a40 = st[4];
    uint64_t a01 = st[5], a11 = st[6], a21 = st[7], a31 = st[8], a41 = st[9];
    uint64_t a02 = st[10], a12 = st[11], a22 = st[12], a32 = st[13], a42 = st[14];
    uint64_t a03 = st[15], a13 = st[16], a23 = st[17], a33 = st[18], a43 = st[19];
    uint64_t a04 = st[20], a14 = st[21], a24 = st[22], a34 = st[23], a44 = st[24];
    if (lane_complement) {
        a00 = ~a00, a40 = ~a40, a31 = ~a31, a41 = ~a41;
        a32 = ~a32, a42 = ~a42, a33 = ~a33, a04 = ~a04;
    }
    for (; nblocks; nblocks--) {
        if (in) {
            /* The first 17 lanes, in st order: rows y = 0..2 and (0,3), (1,3). */
            a00 ^= load64le(in + 0), a10 ^= load64le(in + 8), a20 ^= load64le(in + 16);
            a30 ^= load64le(in + 24), a40 ^= load64le(in + 32);
            a01 ^= load64le(in + 40), a11 ^= load64le(in + 48), a21 ^= load64le(in + 56);
            a31 ^= load64le(in + 64), a41 ^= load64le(in + 72);
            a02 ^= load64le(in + 80), a12 ^= load64le(in + 88), a22 ^= load64le(in + 96);
            a32 ^= load64le(in + 104), a42 ^= load64le(in + 112);
            a03 ^= load64le(in + 120), a13 ^= load64le(in + 128);
            in += RATE;
        }
        for (int r = 0; r < 24; r++) {
            KECCAK_THETA_RHO_PI(uint64_t)
            /* chi; iota on (0, 0). */
            if (lane_complement) {
                a00 = b00 ^ (b10 | b20) ^ RC[r];
                a10 = b10 ^ (b20 & b30);
                a20 = b20 ^ (b30 | b40);
                a30 = b30 ^ (b40 & b00);
                a40 = b40 ^ (~b00 & b10);
                a01 = b01 ^ (b11 | b21);
                a11 = b11 ^ (b21 & b31);
                a21 = b21 ^ (b31 | b41);
                a31 = b31 ^ (~b41 | b01);
                a41 = b41 ^ (b01 & b11);
                a02 = b02 ^ (b12 & b22);
                a12 = b12 ^ (b22 | b32);
                a22 = b22 ^ (b32 & b42);
                a32 = b32 ^ (~b42 & b02);
                a42 = b42 ^ (b02 | b12);
                a03 = b03 ^ (b13 & b23);
                a13 = b13 ^ (b23 | b33);
                a23 = b23 ^ (b33 & ~b43);
                a33 = b33 ^ (b43 & b03);
                a43 = b43 ^ (b03 | b13);
                a04 = b04 ^ (~b14 & b24);
                a14 = ~b14 ^ (b24 | b34);
                a24 = b24 ^ (b34 & b44);
                a34 = b34 ^ (b44 | b04);
                a44 = b44 ^ (b04 & b14);
            } else {
                KECCAK_CHI(RC[r])
            }
        }
    }
    if (lane_complement) {
        a00 = ~a00, a40 = ~a40, a31 = ~a31, a41 = ~a41;
        a32 = ~a32, a42 = ~a42, a33 = ~a33, a04 = ~a04;
    }
    st[0] = a00, st[1] = a10, st[2] = a20, st[3] = a30, st[4] = a40;
    st[5] = a01, st[6] = a11, st[7] = a21, st[8] = a31, st[9] = a41;
    st[10] = a02, st[11] = a12, st[12] = a22, st[13] = a32, st[14] = a42;
    st[15] = a03, st[16] = a13, st[17] = a23, st[18] = a33, st[19] = a43;
    st[20] = a04, st[21] = a14, st[22] = a24, st[23] = a34, st[24] = a44;
}

static void absorb_portable(uint64_t st[25], const uint8_t *in, size_t nblocks)
{
    absorb_core(st, in, nblocks, true);
}

#if defined(__x86_64__)
#define HAVE_BMI_BODY 1

__attribute__((target("bmi,bmi2"))) static void absorb_bmi(uint64_t st[25], const uint8_t *in,
                                                           size_t nblocks)
{
    absorb_core(st, in, nblocks, false);
}

static bool cpu_has_bmi(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
}
#else
#define HAVE_BMI_BODY 0
#endif

#if defined(__x86_64__)
/* ---- four inputs at a time ----
 * The same round on vectors of four lanes, one input per vector element (GCC vector
 * extensions): state lane k of input i is st[4k + i]. Compiled twice: for AVX2, and for
 * AVX-512VL, where the rotations become VPROLQ and chi's `b ^ (~c & d)` one VPTERNLOGQ. */
typedef uint64_t lane4_t __attribute__((vector_size(32)));

#define LANE4(in, off)                                                                           \
    ((lane4_t){ load64le((in)[0] + (off)), load64le((in)[1] + (off)), load64le((in)[2] + (off)), \
                load64le((in)[3] + (off)) })

static inline __attribute__((always_inline)) void absorb4_core(uint64_t st[100],
                                                               const uint8_t *in[4], size_t nblocks)
{
    lane4_t a00, a10, a20, a30, a40, a01, a11, a21, a31, a41, a02, a12, a22;
    lane4_t a32, a42, a03, a13, a23, a33, a43, a04, a14, a24, a34, a44;
    lane4_t *lanes[25] = { &a00, &a10, &a20, &a30, &a40, &a01, &a11, &a21, &a31,
                           &a41, &a02, &a12, &a22, &a32, &a42, &a03, &a13, &a23,
                           &a33, &a43, &a04, &a14, &a24, &a34, &a44 };
    for (int k = 0; k < 25; k++)
        memcpy(lanes[k], st + 4 * k, sizeof(lane4_t));
    for (; nblocks; nblocks--) {
        a00 ^= LANE4(in, 0), a10 ^= LANE4(in, 8), a20 ^= LANE4(in, 16);
        a30 ^= LANE4(in, 24), a40 ^= LANE4(in, 32);
        a01 ^= LANE4(in, 40), a11 ^= LANE4(in, 48), a21 ^= LANE4(in, 56);
        a31 ^= LANE4(in, 64), a41 ^= LANE4(in, 72);
        a02 ^= LANE4(in, 80), a12 ^= LANE4(in, 88), a22 ^= LANE4(in, 96);
        a32 ^= LANE4(in, 104), a42 ^= LANE4(in, 112);
        a03 ^= LANE4(in, 120), a13 ^= LANE4(in, 128);
        for (int i = 0; i < 4; i++)
            in[i] += RATE;
        for (int r = 0; r < 24; r++) {
            KECCAK_THETA_RHO_PI(lane4_t)
            KECCAK_CHI(RC[r])
        }
    }
    for (int k = 0; k < 25; k++)
        memcpy(st + 4 * k, lanes[k], sizeof(lane4_t));
}

__attribute__((target("avx2"))) static void absorb4_avx2(uint64_t st[100], const uint8_t *in[4],
                                                         size_t nblocks)
{
    absorb4_core(st, in, nblocks);
}

__attribute__((target("avx2,avx512f,avx512vl"))) static void absorb4_avx512(uint64_t st[100],
                                                                            const uint8_t *in[4],
                                                                            size_t nblocks)
{
    absorb4_core(st, in, nblocks);
}

static bool cpu_has_x4(keccak_x4_t impl)
{
    __builtin_cpu_init();
    if (impl == KECCAK_X4_AVX2)
        return __builtin_cpu_supports("avx2");
    if (impl == KECCAK_X4_AVX512)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512vl");
    return impl == KECCAK_X4_NONE;
}
#else
static bool cpu_has_x4(keccak_x4_t impl)
{
    return impl == KECCAK_X4_NONE;
}
#endif

/* Written once by the constructor (before main, before any thread) and by keccak_impl_select(),
 * whose contract is "before hashing starts"; read-only otherwise. A caller that runs before the
 * constructor sees PORTABLE, which is correct, only slower. */
static keccak_impl_t g_impl = KECCAK_IMPL_PORTABLE;
static keccak_x4_t g_x4 = KECCAK_X4_NONE; /* same rules as g_impl */

__attribute__((constructor)) static void keccak_pick_impl(void)
{
#if HAVE_BMI_BODY
    if (cpu_has_bmi())
        g_impl = KECCAK_IMPL_BMI;
#endif
    if (cpu_has_x4(KECCAK_X4_AVX512))
        g_x4 = KECCAK_X4_AVX512;
    else if (cpu_has_x4(KECCAK_X4_AVX2))
        g_x4 = KECCAK_X4_AVX2;
}

static inline void absorb(uint64_t st[25], const uint8_t *in, size_t nblocks)
{
#if HAVE_BMI_BODY
    if (g_impl == KECCAK_IMPL_BMI) {
        absorb_bmi(st, in, nblocks);
        return;
    }
#endif
    absorb_portable(st, in, nblocks);
}

bool keccak_impl_select(keccak_impl_t impl)
{
    switch (impl) {
    case KECCAK_IMPL_PORTABLE:
        g_impl = impl;
        return true;
    case KECCAK_IMPL_BMI:
#if HAVE_BMI_BODY
        if (cpu_has_bmi()) {
            g_impl = impl;
            return true;
        }
#endif
        return false;
    }
    return false;
}

keccak_impl_t keccak_impl_active(void)
{
    return g_impl;
}

const char *keccak_impl_name(keccak_impl_t impl)
{
    return impl == KECCAK_IMPL_BMI ? "bmi" : "portable";
}

bool keccak_x4_select(keccak_x4_t impl)
{
    if (impl != KECCAK_X4_NONE && impl != KECCAK_X4_AVX2 && impl != KECCAK_X4_AVX512)
        return false;
    if (!cpu_has_x4(impl))
        return false;
    g_x4 = impl;
    return true;
}

keccak_x4_t keccak_x4_active(void)
{
    return g_x4;
}

const char *keccak_x4_name(keccak_x4_t impl)
{
    return impl == KECCAK_X4_AVX512 ? "avx512" : impl == KECCAK_X4_AVX2 ? "avx2" : "none";
}

void keccak_f1600(uint64_t st[25])
{
    absorb(st, NULL, 1);
}

/* Pad the last partial block (Keccak pad10*1 with the domain bit 0x01), absorb it, and write the
 * first 32 bytes of the state. block holds len < RATE message bytes; the rest is overwritten. */
static void finish(uint64_t st[25], uint8_t block[RATE], size_t len, uint8_t out[32])
{
    memset(block + len, 0, RATE - len);
    block[len] ^= 0x01;
    block[RATE - 1] ^= 0x80;
    absorb(st, block, 1);
    for (int i = 0; i < 4; i++)
        store64le(out + 8 * i, st[i]);
}

void keccak256_init(keccak_ctx_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

void keccak256_update(keccak_ctx_t *ctx, const uint8_t *data, size_t len)
{
    if (len == 0)
        return;
    if (ctx->pos) {
        size_t take = RATE - ctx->pos < len ? RATE - ctx->pos : len;
        memcpy(ctx->buf + ctx->pos, data, take);
        ctx->pos += take;
        data += take;
        len -= take;
        if (ctx->pos < RATE)
            return;
        absorb(ctx->st, ctx->buf, 1);
        ctx->pos = 0;
    }
    if (len >= RATE) {
        size_t nblocks = len / RATE;
        absorb(ctx->st, data, nblocks);
        data += nblocks * RATE;
        len -= nblocks * RATE;
    }
    if (len) {
        memcpy(ctx->buf, data, len);
        ctx->pos = len;
    }
}

void keccak256_final(keccak_ctx_t *ctx, uint8_t out[static 32])
{
    finish(ctx->st, ctx->buf, ctx->pos, out);
    /* The context may have absorbed a secret (RLPx MACs do): leave nothing behind. A plain
     * memset suffices, the caller still owns *ctx. */
    memset(ctx, 0, sizeof(*ctx));
}

void keccak256(uint8_t out[static 32], const uint8_t *data, size_t len)
{
    uint64_t st[25] = { 0 };
    if (len >= RATE) {
        size_t nblocks = len / RATE;
        absorb(st, data, nblocks);
        data += nblocks * RATE;
        len -= nblocks * RATE;
    }
    uint8_t last[RATE];
    if (len)
        memcpy(last, data, len);
    finish(st, last, len, out);
}

hash_t keccak256_hash(const uint8_t *data, size_t len)
{
    hash_t h;
    keccak256(h.b, data, len);
    return h;
}

#if defined(__x86_64__)
/* Hash the four inputs in[idx[0..3]], each nfull full blocks and a shorter tail. */
static void hash4(hash_t *out, const bview_t *in, const size_t idx[4], size_t nfull)
{
    uint64_t st[100] = { 0 };
    const uint8_t *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = in[idx[i]].p;
    void (*body)(uint64_t *, const uint8_t **, size_t) =
        g_x4 == KECCAK_X4_AVX512 ? absorb4_avx512 : absorb4_avx2;
    if (nfull)
        body(st, p, nfull); /* advances p[] past the full blocks */
    uint8_t last[4][RATE];
    for (int i = 0; i < 4; i++) {
        size_t rem = in[idx[i]].n - nfull * RATE;
        if (rem)
            memcpy(last[i], p[i], rem);
        memset(last[i] + rem, 0, RATE - rem);
        last[i][rem] ^= 0x01;
        last[i][RATE - 1] ^= 0x80;
        p[i] = last[i];
    }
    body(st, p, 1);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 4; k++)
            store64le(out[idx[i]].b + 8 * k, st[4 * k + i]);
}
#endif

void keccak256_many(hash_t *out, const bview_t *in, size_t n)
{
#if defined(__x86_64__)
    enum {
        NB = 8
    }; /* inputs of up to NB full blocks are grouped by that count */

    size_t group[NB][4], ng[NB] = { 0 };
    for (size_t i = 0; g_x4 != KECCAK_X4_NONE && i < n; i++) {
        size_t nb = in[i].n / RATE;
        if (nb >= NB) {
            keccak256(out[i].b, in[i].p, in[i].n);
            continue;
        }
        group[nb][ng[nb]++] = i;
        if (ng[nb] == 4) {
            hash4(out, in, group[nb], nb);
            ng[nb] = 0;
        }
    }
    if (g_x4 != KECCAK_X4_NONE) {
        for (size_t nb = 0; nb < NB; nb++)
            for (size_t j = 0; j < ng[nb]; j++)
                keccak256(out[group[nb][j]].b, in[group[nb][j]].p, in[group[nb][j]].n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        keccak256(out[i].b, in[i].p, in[i].n);
}

const hash_t KECCAK_EMPTY = { { 0xc5, 0xd2, 0x46, 0x01, 0x86, 0xf7, 0x23, 0x3c, 0x92, 0x7e, 0x7d,
                                0xb2, 0xdc, 0xc7, 0x03, 0xc0, 0xe5, 0x00, 0xb6, 0x53, 0xca, 0x82,
                                0x27, 0x3b, 0x7b, 0xfa, 0xd8, 0x04, 0x5d, 0x85, 0xa4, 0x70 } };
const hash_t KECCAK_EMPTY_TRIE = { { 0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6,
                                     0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
                                     0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0,
                                     0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21 } };
const hash_t KECCAK_EMPTY_LIST = { { 0x1d, 0xcc, 0x4d, 0xe8, 0xde, 0xc7, 0x5d, 0x7a,
                                     0xab, 0x85, 0xb5, 0x67, 0xb6, 0xcc, 0xd4, 0x1a,
                                     0xd3, 0x12, 0x45, 0x1b, 0x94, 0x8a, 0x74, 0x13,
                                     0xf0, 0xa1, 0x42, 0xfd, 0x40, 0xd4, 0x93, 0x47 } };
