/* SHA-256, RIPEMD-160, SHA-1 and P-256 verification through OpenSSL's libcrypto, which is loaded
 * on first use (docs/decisions/0024-libcrypto-loaded-on-first-use.md).
 *
 * Linking libcrypto made the dynamic loader resolve its ~21 000 relocations before main(): ~2 ms
 * of a ~20 ms start-up, for functions a node may not call for minutes (a precompile, a WebSocket
 * handshake). So the binary has no DT_NEEDED entry for it: the first call here, or
 * crypto_preload() on a background thread, dlopen()s the SONAME the headers belong to and looks
 * up the few functions used, once (pthread_once). OpenSSL's headers still give every prototype,
 * so a pointer's type is checked against the declaration it replaces.
 *
 * Digests are fetched once and reused: EVP_sha256() would repeat the provider lookup on every
 * call, which measured 335 ns against 181 ns for a 64-byte input. OpenSSL 3.0.7+ ships
 * RIPEMD-160 in the default provider; older 3.0 releases only in the legacy one, which we load
 * if the first fetch fails. */
#include <dlfcn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define LOG_TARGET "rollup_node::crypto"
#include "base/log.h"
#include "crypto/crypto.h"

#define STR_(x)          #x
#define STR(x)           STR_(x)
#define LIBCRYPTO_SONAME "libcrypto.so." STR(OPENSSL_VERSION_MAJOR)

/* The libcrypto functions used: X(name). */
#define LIBCRYPTO_FUNCS(X)               \
    X(EVP_MD_fetch)                      \
    X(EVP_Digest)                        \
    X(OSSL_PROVIDER_load)                \
    X(OSSL_PARAM_construct_utf8_string)  \
    X(OSSL_PARAM_construct_octet_string) \
    X(OSSL_PARAM_construct_end)          \
    X(EVP_PKEY_CTX_new_from_name)        \
    X(EVP_PKEY_CTX_new_from_pkey)        \
    X(EVP_PKEY_CTX_free)                 \
    X(EVP_PKEY_fromdata_init)            \
    X(EVP_PKEY_fromdata)                 \
    X(EVP_PKEY_free)                     \
    X(EVP_PKEY_verify_init)              \
    X(EVP_PKEY_verify)

static struct {
#define FIELD(f) __typeof__(f) *f;
    LIBCRYPTO_FUNCS(FIELD)
#undef FIELD
    EVP_MD *sha256, *ripemd160, *sha1;
    char error[256]; /**< why loading failed; empty when it worked */
} L;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_once_t g_digests_once = PTHREAD_ONCE_INIT;

static void load_symbols(void *h)
{
    void *p;
#define LOOKUP(f)                                                                 \
    p = dlsym(h, #f);                                                             \
    if (!p) {                                                                     \
        snprintf(L.error, sizeof(L.error), "%s has no %s", LIBCRYPTO_SONAME, #f); \
        return;                                                                   \
    }                                                                             \
    memcpy(&L.f, &p, sizeof(p));
    LIBCRYPTO_FUNCS(LOOKUP)
#undef LOOKUP
}

/* Separate from load(): fetching initializes OpenSSL's providers, ~2 MB of memory a node that
 * never hashes with them need not hold. */
static void fetch_digests(void)
{
    L.sha256 = L.EVP_MD_fetch(NULL, "SHA2-256", NULL);
    L.sha1 = L.EVP_MD_fetch(NULL, "SHA1", NULL);
    L.ripemd160 = L.EVP_MD_fetch(NULL, "RIPEMD-160", NULL);
    if (!L.ripemd160) {
        /* Loading any provider explicitly stops OpenSSL from loading "default" on its own,
         * so load both. Handles stay loaded for the life of the process. */
        if (L.OSSL_PROVIDER_load(NULL, "default") && L.OSSL_PROVIDER_load(NULL, "legacy"))
            L.ripemd160 = L.EVP_MD_fetch(NULL, "RIPEMD-160", NULL);
    }
    if (!L.sha256 || !L.sha1 || !L.ripemd160)
        PANIC("OpenSSL (%s) lacks SHA-256, SHA-1 or RIPEMD-160", LIBCRYPTO_SONAME);
}

static void load(void)
{
    /* Never closed: OpenSSL keeps global state and exit handlers in the library. */
    void *h = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(L.error, sizeof(L.error), "cannot load %s (%s); install Debian's libssl3",
                 LIBCRYPTO_SONAME, dlerror());
        return;
    }
    load_symbols(h);
}

/** The loaded library; a missing libcrypto is an installation error, reported and fatal. */
static void need(void)
{
    pthread_once(&g_once, load);
    if (L.error[0])
        PANIC("%s", L.error);
}

static void need_digests(void)
{
    need();
    pthread_once(&g_digests_once, fetch_digests);
}

static void *preload_main(void *arg)
{
    (void)arg;
    pthread_once(&g_once, load);
    if (L.error[0])
        LOG_ERROR("%s: SHA-256, RIPEMD-160 and P256VERIFY will abort the node", L.error);
    return NULL;
}

void crypto_preload(void)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, preload_main, NULL) != 0)
        pthread_once(&g_once, load); /* no thread: load here instead */
    pthread_attr_destroy(&a);
}

/* EVP_Digest fails only when OpenSSL cannot allocate its context: out of memory, which aborts
 * by policy (docs/decisions/0003-oom-aborts.md). */
static void digest(const EVP_MD *md, uint8_t *out, unsigned int want, const uint8_t *data,
                   size_t len)
{
    static const uint8_t empty[1];
    unsigned int n = 0;
    if (!L.EVP_Digest(len ? data : empty, len, out, &n, md, NULL) || n != want)
        PANIC("EVP_Digest failed (%u-byte digest)", want);
}

void sha256(uint8_t out[static 32], const uint8_t *data, size_t len)
{
    need_digests();
    digest(L.sha256, out, 32, data, len);
}

void ripemd160(uint8_t out[static 20], const uint8_t *data, size_t len)
{
    need_digests();
    digest(L.ripemd160, out, 20, data, len);
}

void sha1(uint8_t out[static 20], const uint8_t *data, size_t len)
{
    need_digests();
    digest(L.sha1, out, 20, data, len);
}

/** DER INTEGER of a 32-byte unsigned big-endian number at out; returns its length. */
static size_t der_uint(uint8_t *out, const uint8_t v[32])
{
    size_t skip = 0;
    while (skip < 31 && v[skip] == 0)
        skip++;
    size_t n = 32 - skip;
    bool pad = (v[skip] & 0x80) != 0; /* keep it non-negative */
    out[0] = 0x02;
    out[1] = (uint8_t)(n + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, v + skip, n);
    return 2 + pad + n;
}

bool p256_ecdsa_verify(const uint8_t in[static 160])
{
    need();
    /* The signature as DER: SEQUENCE { INTEGER r, INTEGER s } (at most 72 bytes: short
     * lengths). */
    uint8_t der[2 + 2 * 35];
    size_t n = der_uint(der + 2, in + 32);
    n += der_uint(der + 2 + n, in + 64);
    der[0] = 0x30;
    der[1] = (uint8_t)n;

    uint8_t pub[65];
    pub[0] = 0x04; /* uncompressed SEC1 point */
    memcpy(pub + 1, in + 96, 64);
    char group[] = "prime256v1";
    OSSL_PARAM params[3];
    params[0] = L.OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = L.OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
    params[2] = L.OSSL_PARAM_construct_end();

    bool ok = false;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *vctx = NULL;
    EVP_PKEY_CTX *kctx = L.EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!kctx || L.EVP_PKEY_fromdata_init(kctx) <= 0 ||
        L.EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        goto done; /* includes "point not on the curve" */
    vctx = L.EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!vctx || L.EVP_PKEY_verify_init(vctx) <= 0)
        goto done;
    ok = L.EVP_PKEY_verify(vctx, der, 2 + n, in, 32) == 1;
done:
    L.EVP_PKEY_CTX_free(vctx);
    L.EVP_PKEY_free(pkey);
    L.EVP_PKEY_CTX_free(kctx);
    return ok;
}
