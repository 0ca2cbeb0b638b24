#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "harness.h"

static void hexof(char *out, const uint8_t *p, size_t n)
{
    hex_encode(out, p, n);
}

static void check_keccak(const char *msg, size_t n, const char *want)
{
    uint8_t h[32];
    char got[65];
    keccak256(h, (const uint8_t *)msg, n);
    hexof(got, h, 32);
    if (strcmp(got, want) != 0)
        harness_fail(__FILE__, __LINE__, "keccak256(%zu bytes) = %s, want %s", n, got, want);
}

TEST(keccak, known_vectors)
{
    check_keccak("", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    check_keccak("abc", 3, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    check_keccak("hello", 5, "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8");
    /* Function selectors are keccak prefixes: transfer(address,uint256) = a9059cbb. */
    uint8_t h[32];
    keccak256(h, (const uint8_t *)"transfer(address,uint256)", 25);
    CHECK(h[0] == 0xa9 && h[1] == 0x05 && h[2] == 0x9c && h[3] == 0xbb);
    /* 200 × 0xa3, the Keccak team's long-message vector for Keccak[r=1088,c=512]. */
    char m[200];
    memset(m, 0xa3, sizeof(m));
    check_keccak(m, 200, "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a");
    /* rlp("") and rlp([]) */
    hash_t e = keccak256_hash((const uint8_t *)"\x80", 1);
    CHECK(hash_eq(&e, &KECCAK_EMPTY_TRIE));
    e = keccak256_hash((const uint8_t *)"\xc0", 1);
    CHECK(hash_eq(&e, &KECCAK_EMPTY_LIST));
    e = keccak256_hash(NULL, 0);
    CHECK(hash_eq(&e, &KECCAK_EMPTY));
}

TEST(keccak, incremental_matches_one_shot_at_every_split)
{
    uint8_t data[600];
    test_rand_bytes(data, sizeof(data));
    for (size_t n = 0; n <= sizeof(data); n += (n < 300 ? 1 : 37)) {
        uint8_t a[32], b[32];
        keccak256(a, data, n);
        keccak_ctx_t c;
        keccak256_init(&c);
        size_t off = 0;
        while (off < n) {
            size_t step = 1 + (size_t)(test_rand() % 150);
            if (step > n - off)
                step = n - off;
            keccak256_update(&c, data + off, step);
            off += step;
        }
        keccak256_final(&c, b);
        CHECK_MEM_EQ(a, 32, b, 32);
    }
}

TEST(hashes, sha256_and_ripemd160)
{
    uint8_t h[32];
    char got[65];
    sha256(h, (const uint8_t *)"abc", 3);
    hexof(got, h, 32);
    CHECK_STR_EQ(got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256(h, NULL, 0);
    hexof(got, h, 32);
    CHECK_STR_EQ(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ripemd160(h, (const uint8_t *)"abc", 3);
    hexof(got, h, 20);
    CHECK_STR_EQ(got, "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
    ripemd160(h, NULL, 0);
    hexof(got, h, 20);
    CHECK_STR_EQ(got, "9c1185a5c5e9fc54612808977ee8f548b2258d31");
}

static void key_from_hex(uint8_t sk[32], const char *hex)
{
    if (hex_decode_fixed(sk, 32, hex, strlen(hex)))
        memset(sk, 0, 32);
}

TEST(secp, known_addresses)
{
    uint8_t sk[32];
    addr_t a;
    char txt[43];
    key_from_hex(sk, "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    CHECK_OK(addr_from_seckey(&a, sk));
    addr_to_checksum_hex(txt, &a);
    CHECK_STR_EQ(txt, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    key_from_hex(sk, "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    CHECK_OK(addr_from_seckey(&a, sk));
    addr_to_checksum_hex(txt, &a);
    CHECK_STR_EQ(txt, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
}

TEST(secp, eip55_vectors)
{
    static const char *const v[] = {
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    };
    for (size_t i = 0; i < 4; i++) {
        addr_t a;
        char txt[43];
        CHECK_OK(addr_from_hex(&a, v[i], 42));
        addr_to_checksum_hex(txt, &a);
        CHECK_STR_EQ(txt, v[i]);
    }
}

TEST(secp, sign_recover_roundtrip_is_deterministic_and_low_s)
{
    for (int i = 0; i < 200; i++) {
        uint8_t sk[32], digest[32], sig[65], sig2[65];
        do {
            test_rand_bytes(sk, 32);
        } while (!secp_seckey_valid(sk));
        test_rand_bytes(digest, 32);
        CHECK_OK(secp_sign(sig, sk, digest));
        CHECK_OK(secp_sign(sig2, sk, digest));
        CHECK_MEM_EQ(sig, 65, sig2, 65);
        CHECK(secp_s_is_low(sig + 32));
        addr_t want, got;
        CHECK_OK(addr_from_seckey(&want, sk));
        CHECK_OK(secp_recover_address(&got, digest, sig, sig[64]));
        CHECK(addr_eq(&want, &got));
        /* Wrong recid gives another key (or fails). */
        if (secp_recover_address(&got, digest, sig, sig[64] ^ 1) == ERR_OK)
            CHECK(!addr_eq(&want, &got));
    }
}

TEST(secp, rejects_invalid_keys_and_signatures)
{
    uint8_t zero[32] = { 0 }, sig[65], digest[32] = { 1 };
    uint8_t n[32];
    key_from_hex(n, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    CHECK(!secp_seckey_valid(zero));
    CHECK(!secp_seckey_valid(n));
    CHECK_ERR(ERR_CRYPTO_BAD_KEY, secp_sign(sig, zero, digest));
    uint8_t rs[64] = { 0 };
    uint8_t pub[64];
    CHECK_ERR(ERR_CRYPTO_BAD_SIG, secp_recover(pub, digest, rs, 0));
    memcpy(rs, n, 32);
    rs[63] = 1;
    CHECK_ERR(ERR_CRYPTO_BAD_SIG, secp_recover(pub, digest, rs, 0));
    rs[0] = 0;
    CHECK_ERR(ERR_CRYPTO_BAD_SIG, secp_recover(pub, digest, rs, 4));
    n[31] -= 1; /* n - 1 is the largest valid key */
    CHECK(secp_seckey_valid(n));
}

TEST(secp, ecdh_is_symmetric)
{
    for (int i = 0; i < 20; i++) {
        uint8_t a[32], b[32], pa[64], pb[64], s1[32], s2[32];
        do {
            test_rand_bytes(a, 32);
        } while (!secp_seckey_valid(a));
        do {
            test_rand_bytes(b, 32);
        } while (!secp_seckey_valid(b));
        CHECK_OK(secp_pubkey(pa, a));
        CHECK_OK(secp_pubkey(pb, b));
        CHECK_OK(secp_ecdh(s1, pb, a));
        CHECK_OK(secp_ecdh(s2, pa, b));
        CHECK_MEM_EQ(s1, 32, s2, 32);
    }
    uint8_t bad[64] = { 0 }, out[32], k[32] = { 1 };
    CHECK_ERR(ERR_CRYPTO_BAD_PUBKEY, secp_ecdh(out, bad, k));
}
