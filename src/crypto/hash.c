/* SHA-256 and RIPEMD-160 through OpenSSL's libcrypto. */
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <pthread.h>

#include "crypto/crypto.h"

void sha256(uint8_t out[static 32], const uint8_t *data, size_t len)
{
    unsigned int n = 32;
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL))
        PANIC("EVP_Digest(sha256) failed");
}

/* OpenSSL 3 moved RIPEMD-160 to the legacy provider in some builds; fetch it once, loading the
 * legacy provider (next to the default one) if the default lacks it. */
static EVP_MD *g_ripemd;
static pthread_once_t g_ripemd_once = PTHREAD_ONCE_INIT;

static void ripemd_init(void)
{
    g_ripemd = EVP_MD_fetch(NULL, "RIPEMD160", NULL);
    if (!g_ripemd) {
        OSSL_PROVIDER_load(NULL, "legacy");
        OSSL_PROVIDER_load(NULL, "default");
        g_ripemd = EVP_MD_fetch(NULL, "RIPEMD160", NULL);
    }
    if (!g_ripemd)
        PANIC("OpenSSL has no RIPEMD-160 (neither the default nor the legacy provider)");
}

void ripemd160(uint8_t out[static 20], const uint8_t *data, size_t len)
{
    pthread_once(&g_ripemd_once, ripemd_init);
    unsigned int n = 20;
    if (!EVP_Digest(data, len, out, &n, g_ripemd, NULL))
        PANIC("EVP_Digest(ripemd160) failed");
}
