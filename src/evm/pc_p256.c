/* src/evm/pc_p256.c — P256VERIFY (address 0x100): secp256r1 ECDSA verification on OpenSSL 3's
 * EVP API (no deprecated EC_KEY calls).
 *
 * The checks are those of EIP-7951, which RIP-7212 implementations also apply in effect:
 *   1. 0 < r < n and 0 < s < n;
 *   2. qx < p and qy < p, and (qx, qy) satisfies the curve equation (which also excludes the
 *      point at infinity: it has no affine coordinates, and (0, 0) is not on the curve);
 *   3. R' = (h·s^-1)·G + (r·s^-1)·Q is not infinity and R'.x mod n == r.
 * We check (1) and the range half of (2) here; OpenSSL rejects keys off the curve when the key
 * is imported (EC_POINT_oct2point validates the point) and performs (3) in ECDSA verification.
 * The 32-byte hash is used as is (no truncation: it has exactly the bit length of n). */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

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

/** OpenSSL verification of an already range-checked input. */
static bool verify_openssl(const uint8_t in[160])
{
    bool ok = false;
    uint8_t pub[65];
    pub[0] = 0x04; /* uncompressed SEC1 point */
    memcpy(pub + 1, in + 96, 64);
    char group[] = "prime256v1";
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
    params[2] = OSSL_PARAM_construct_end();

    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *vctx = NULL;
    ECDSA_SIG *sig = NULL;
    unsigned char *der = NULL;
    if (!kctx || EVP_PKEY_fromdata_init(kctx) <= 0 ||
        EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        goto done; /* includes "point not on the curve" */

    sig = ECDSA_SIG_new();
    if (!sig)
        goto done;
    BIGNUM *r = BN_bin2bn(in + 32, 32, NULL);
    BIGNUM *s = BN_bin2bn(in + 64, 32, NULL);
    if (!r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        goto done;
    }
    int der_len = i2d_ECDSA_SIG(sig, &der);
    if (der_len <= 0)
        goto done;

    vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!vctx || EVP_PKEY_verify_init(vctx) <= 0)
        goto done;
    ok = EVP_PKEY_verify(vctx, der, (size_t)der_len, in, 32) == 1;
done:
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(kctx);
    return ok;
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
    return verify_openssl(in);
}
