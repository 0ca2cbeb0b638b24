/* SHA-256, RIPEMD-160 and SHA-1 (OpenSSL, loaded at first use): the standard vectors from
 * FIPS 180-2 and the RIPEMD-160 authors' page. */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "harness.h"

static void expect_hex(const uint8_t *got, size_t n, const char *want, int line)
{
    char txt[65];
    hex_encode(txt, got, n);
    if (strcmp(txt, want) != 0)
        harness_fail(__FILE__, line, "digest %s, want %s", txt, want);
}

static const char MSG448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

typedef void (*hash_fn)(uint8_t *out, const uint8_t *data, size_t len);

/* The standard inputs, in order: "abc", "", the 448-bit message and, when million is not NULL,
 * one million 'a's; each argument after n is the expected n-byte digest in hex. */
static void check_vectors(hash_fn f, size_t n, const char *abc, const char *empty, const char *m448,
                          const char *million, int line)
{
    uint8_t h[32];
    f(h, (const uint8_t *)"abc", 3);
    expect_hex(h, n, abc, line);
    f(h, NULL, 0);
    expect_hex(h, n, empty, line);
    f(h, (const uint8_t *)MSG448, strlen(MSG448));
    expect_hex(h, n, m448, line);
    if (!million)
        return;
    uint8_t *m = malloc(1000000);
    CHECK(m != NULL);
    memset(m, 'a', 1000000);
    f(h, m, 1000000);
    expect_hex(h, n, million, line);
    free(m);
}

TEST(hashes, sha256_vectors)
{
    check_vectors(sha256, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", __LINE__);
}

TEST(hashes, ripemd160_vectors)
{
    check_vectors(ripemd160, 20, "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
                  "9c1185a5c5e9fc54612808977ee8f548b2258d31",
                  "12a053384a9c0c88e405a06c27dcf49ada62eb2b",
                  "52783243c1697bdbe16d37f97f68f08325dc1528", __LINE__);
}

TEST(hashes, sha1_vectors)
{
    check_vectors(sha1, 20, "a9993e364706816aba3e25717850c26c9cd0d89d",
                  "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                  "84983e441c3bd26ebaae4aa1f95129e5e54670f1", NULL, __LINE__);
}
