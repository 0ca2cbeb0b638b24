/* src/evm/pc_p256.c — P256VERIFY (address 0x100): secp256r1 ECDSA verification; the curve
 * arithmetic is OpenSSL 3's (crypto/hash.c, EVP API).
 *
 * The checks are those of EIP-7951, which RIP-7212 implementations also apply in effect:
 *   1. 0 < r < n and 0 < s < n;
 *   2. qx < p and qy < p, and (qx, qy) satisfies the curve equation (which also excludes the
 *      point at infinity: it has no affine coordinates, and (0, 0) is not on the curve);
 *   3. R' = (h·s^-1)·G + (r·s^-1)·Q is not infinity and R'.x mod n == r.
 * We check (1) and the range half of (2) here; OpenSSL rejects keys off the curve when the key
 * is imported (EC_POINT_oct2point validates the point) and performs (3) in ECDSA verification.
 * The 32-byte hash is used as is (no truncation: it has exactly the bit length of n). */
#include <string.h>

#include "crypto/crypto.h"
#include "evm/pc_int.h"

/* secp256r1 field prime p and group order n, big-endian. */
static const uint8_t P256_P[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
static const uint8_t P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

static bool is_zero32(const uint8_t *a)
{
    uint8_t acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= a[i];
    return acc == 0;
}

/** a < b for 32-byte big-endian numbers. */
static bool lt32(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, 32) < 0;
}

bool p256_verify(const uint8_t in[160])
{
    const uint8_t *r = in + 32, *s = in + 64, *qx = in + 96, *qy = in + 128;
    if (is_zero32(r) || !lt32(r, P256_N) || is_zero32(s) || !lt32(s, P256_N))
        return false;
    if (!lt32(qx, P256_P) || !lt32(qy, P256_P))
        return false;
    if (is_zero32(qx) && is_zero32(qy))
        return false; /* the usual encoding of infinity; not a valid key */
    return p256_ecdsa_verify(in);
}
