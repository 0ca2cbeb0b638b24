/* secp256k1 through libsecp256k1 (Debian's 0.2.0): RFC 6979 signing, recovery, ECDH, addresses.
 *
 * One context for the process, created on first use under pthread_once and randomized from
 * getrandom() (blinding for signing and key generation). After creation the context is only
 * read, which libsecp256k1 allows from any number of threads. Outputs are zeroed on failure. */
#define LOG_TARGET "rollup_node::crypto"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>
#include <string.h>
#include <sys/random.h>

#include "crypto/crypto.h"

static secp256k1_context *g_ctx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void ctx_init(void)
{
    g_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!g_ctx)
        PANIC("secp256k1_context_create failed");
    /* Blinding against side channels in signing (libsecp256k1's recommendation). Without it
     * results are the same, only timing leaks more: warn rather than refuse to start. */
    uint8_t seed[32];
    if (getrandom(seed, sizeof(seed), 0) == (ssize_t)sizeof(seed)) {
        if (!secp256k1_context_randomize(g_ctx, seed))
            PANIC("secp256k1_context_randomize failed");
    } else {
        LOG_WARN("getrandom failed, secp256k1 context not randomized");
    }
    secure_wipe(seed, sizeof(seed));
}

/* The context is only read after creation, which libsecp256k1 allows from many threads. */
static const secp256k1_context *ctx(void)
{
    pthread_once(&g_once, ctx_init);
    return g_ctx;
}

/* n, the group order, and n/2, big-endian. */
static const uint8_t N[32] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                               0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                               0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41 };
static const uint8_t HALF_N[32] = { 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d,
                                    0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0 };

static bool is_zero32(const uint8_t *p)
{
    uint8_t acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= p[i];
    return acc == 0;
}

bool secp_s_is_low(const uint8_t s[static 32])
{
    return memcmp(s, HALF_N, 32) <= 0;
}

bool secp_seckey_valid(const uint8_t sk[static 32])
{
    return secp256k1_ec_seckey_verify(ctx(), sk) == 1;
}

static void serialize_pub(uint8_t out[64], const secp256k1_pubkey *pk)
{
    uint8_t full[65];
    size_t len = sizeof(full);
    secp256k1_ec_pubkey_serialize(ctx(), full, &len, pk, SECP256K1_EC_UNCOMPRESSED);
    memcpy(out, full + 1, 64);
}

err_t secp_pubkey(uint8_t pub[static 64], const uint8_t sk[static 32])
{
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_create(ctx(), &pk, sk)) {
        memset(pub, 0, 64);
        return ERR_CRYPTO_BAD_KEY;
    }
    serialize_pub(pub, &pk);
    return ERR_OK;
}

err_t secp_sign(uint8_t sig[static 65], const uint8_t sk[static 32],
                const uint8_t digest[static 32])
{
    secp256k1_ecdsa_recoverable_signature rs;
    /* NULL nonce function = RFC 6979; libsecp256k1 always produces low-s signatures. */
    if (!secp256k1_ecdsa_sign_recoverable(ctx(), &rs, digest, sk, NULL, NULL)) {
        memset(sig, 0, 65);
        return ERR_CRYPTO_BAD_KEY;
    }
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), sig, &recid, &rs);
    sig[64] = (uint8_t)recid;
    return ERR_OK;
}

err_t secp_recover(uint8_t pub[static 64], const uint8_t digest[static 32],
                   const uint8_t rs[static 64], int recid)
{
    memset(pub, 0, 64);
    /* parse_compact rejects r, s >= n but takes 0, which recover then refuses with the same
     * code as "no such point"; check both here so a malformed signature is always BAD_SIG. */
    if (recid < 0 || recid > 3 || is_zero32(rs) || is_zero32(rs + 32) || memcmp(rs, N, 32) >= 0 ||
        memcmp(rs + 32, N, 32) >= 0)
        return ERR_CRYPTO_BAD_SIG;
    secp256k1_ecdsa_recoverable_signature sig;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &sig, rs, recid))
        return ERR_CRYPTO_BAD_SIG;
    /* libsecp256k1 recovers from high-s signatures too; EIP-2 is the caller's rule. */
    secp256k1_pubkey pk;
    if (!secp256k1_ecdsa_recover(ctx(), &pk, &sig, digest))
        return ERR_CRYPTO_RECOVER;
    serialize_pub(pub, &pk);
    return ERR_OK;
}

void addr_from_pubkey(addr_t *out, const uint8_t pub[static 64])
{
    uint8_t h[32];
    keccak256(h, pub, 64);
    memcpy(out->b, h + 12, 20);
}

err_t secp_recover_address(addr_t *out, const uint8_t digest[static 32],
                           const uint8_t rs[static 64], int recid)
{
    uint8_t pub[64];
    err_t e = secp_recover(pub, digest, rs, recid);
    if (e) {
        memset(out->b, 0, 20);
        return e;
    }
    addr_from_pubkey(out, pub);
    return ERR_OK;
}

err_t addr_from_seckey(addr_t *out, const uint8_t sk[static 32])
{
    uint8_t pub[64];
    err_t e = secp_pubkey(pub, sk);
    if (e) {
        memset(out->b, 0, 20);
        return e;
    }
    addr_from_pubkey(out, pub);
    return ERR_OK;
}

/* devp2p's ECDH is the raw x coordinate of the shared point. */
static int copy_x(unsigned char *out, const unsigned char *x32, const unsigned char *y32,
                  void *data)
{
    (void)y32;
    (void)data;
    memcpy(out, x32, 32);
    return 1;
}

err_t secp_ecdh(uint8_t out[static 32], const uint8_t pub[static 64], const uint8_t sk[static 32])
{
    uint8_t full[65];
    full[0] = 0x04;
    memcpy(full + 1, pub, 64);
    secp256k1_pubkey pk;
    memset(out, 0, 32);
    /* parse checks that (x, y) is on the curve (secp256k1 has no small subgroup to check). */
    if (!secp256k1_ec_pubkey_parse(ctx(), &pk, full, sizeof(full)))
        return ERR_CRYPTO_BAD_PUBKEY;
    if (!secp256k1_ecdh(ctx(), out, &pk, sk, copy_x, NULL)) {
        /* For an invalid sk, libsecp256k1 still runs the hash callback (with sk replaced by 1,
         * to stay constant time), so out holds pub's x here: clear it. */
        memset(out, 0, 32);
        return ERR_CRYPTO_BAD_KEY;
    }
    return ERR_OK;
}

void addr_to_checksum_hex(char out[static 43], const addr_t *a)
{
    char lower[41];
    hex_encode(lower, a->b, 20);
    uint8_t h[32];
    keccak256(h, (const uint8_t *)lower, 40);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;
        char c = lower[i];
        out[2 + i] = (c >= 'a' && nib >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = 0;
}
