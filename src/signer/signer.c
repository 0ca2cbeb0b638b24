/* Key-file signer. AWS KMS signing (issue #6 follow-up) will be a second implementation behind
 * the same calls. */
#define LOG_TARGET "rollup_node::signer"
#include "signer/signer.h"

#include <string.h>

#include "crypto/crypto.h"

struct signer {
    uint8_t sk[32];
    addr_t addr;
};

err_t signer_new_key(signer_t **out, const uint8_t sk[static 32])
{
    *out = NULL;
    signer_t *s = RN_NEW(signer_t);
    memcpy(s->sk, sk, 32);
    err_t e = addr_from_seckey(&s->addr, s->sk);
    if (e) {
        signer_free(s);
        return e;
    }
    *out = s;
    return ERR_OK;
}

void signer_free(signer_t *s)
{
    if (!s)
        return;
    secure_wipe(s->sk, sizeof(s->sk));
    rn_free(s);
}

const addr_t *signer_address(const signer_t *s)
{
    return &s->addr;
}

err_t signer_sign_header(const signer_t *s, const header_t *h, uint8_t sig[static SIGNATURE_LEN])
{
    hash_t digest;
    TRY(header_signing_hash(h, &digest));
    TRY(secp_sign(sig, s->sk, digest.b));
    sig[64] = (uint8_t)(sig[64] + 27);
    char hex[67];
    hex_encode_0x(hex, digest.b, 32);
    LOG_DEBUG("Signed header number=%llu digest=%s", (unsigned long long)h->number, hex);
    return ERR_OK;
}

err_t signer_recover_header(const header_t *h, const uint8_t sig[static SIGNATURE_LEN], addr_t *out)
{
    uint8_t v = sig[64];
    if (v >= 27)
        v = (uint8_t)(v - 27);
    if (v > 1 || !secp_s_is_low(sig + 32))
        return ERR_CRYPTO_BAD_SIG;
    hash_t digest;
    TRY(header_signing_hash(h, &digest));
    return secp_recover_address(out, digest.b, sig, v) ? ERR_CRYPTO_BAD_SIG : ERR_OK;
}

bool signer_verify_header(const header_t *h, const uint8_t sig[static SIGNATURE_LEN],
                          const addr_t *expected)
{
    addr_t got;
    return signer_recover_header(h, sig, &got) == ERR_OK && addr_eq(&got, expected);
}
