/* secp256k1: known keys and addresses, RFC 6979 vectors, EIP-155's signature, recovery edge
 * cases, ECDH against the EIP-8 handshake vectors, EIP-55. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "harness.h"

/* Decode exactly n bytes of hex into out; fails the test (returns false) otherwise. */
static bool unhex_n(uint8_t *out, size_t n, const char *hex)
{
    if (hex_decode_fixed(out, n, hex, strlen(hex)) != ERR_OK) {
        harness_fail(__FILE__, __LINE__, "bad test hex (want %zu bytes): %s", n, hex);
        return false;
    }
    return true;
}

static void random_key(uint8_t sk[32])
{
    do {
        test_rand_bytes(sk, 32);
    } while (!secp_seckey_valid(sk));
}

static const char N_HEX[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
static const char HALF_N_HEX[] = "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0";

/* out = n - v (v < n), big-endian. */
static void n_minus(uint8_t out[32], const uint8_t v[32])
{
    uint8_t n[32];
    if (hex_decode_fixed(n, 32, N_HEX, 64))
        abort();
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = n[i] - v[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

TEST(secp, known_addresses)
{
    static const struct {
        const char *sk, *addr;
    } v[] = {
        /* Anvil / Hardhat account 0 */
        { "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
          "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" },
        /* web3.js / ethers documentation key */
        { "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
          "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" },
        /* EIP-155 example key */
        { "4646464646464646464646464646464646464646464646464646464646464646",
          "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F" },
    };

    for (size_t i = 0; i < RN_ARRAY_LEN(v); i++) {
        uint8_t sk[32];
        addr_t a;
        char txt[43];
        if (!unhex_n(sk, 32, v[i].sk))
            return;
        CHECK(secp_seckey_valid(sk));
        CHECK_OK(addr_from_seckey(&a, sk));
        addr_to_checksum_hex(txt, &a);
        CHECK_STR_EQ(txt, v[i].addr);
    }
}

TEST(secp, known_public_keys)
{
    /* The EIP-8 handshake's ephemeral keys, as 64-byte node-id form. */
    static const struct {
        const char *sk, *pub;
    } v[] = {
        { "869d6ecf5211f1cc60418a13b9d870b22959d0c16f02bec714c960dd2298a32d",
          "654d1044b69c577a44e5f01a1209523adb4026e70c62d1c13a067acabc09d266"
          "7a49821a0ad4b634554d330a15a58fe61f8a8e0544b310c6de7b0c8da7528a8d" },
        { "e238eb8e04fee6511ab04c6dd3c89ce097b11f25d584863ac2b6d5b35b1847e4",
          "b6d82fa3409da933dbf9cb0140c5dde89f4e64aec88d476af648880f4a10e1e4"
          "9fe35ef3e69e93dd300b4797765a747c6384a6ecf5db9c2690398607a86181e4" },
        /* sk = 1: the generator G */
        { "0000000000000000000000000000000000000000000000000000000000000001",
          "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
          "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8" },
    };

    for (size_t i = 0; i < RN_ARRAY_LEN(v); i++) {
        uint8_t sk[32], want[64], got[64];
        if (!unhex_n(sk, 32, v[i].sk) || !unhex_n(want, 64, v[i].pub))
            return;
        CHECK_OK(secp_pubkey(got, sk));
        CHECK_MEM_EQ(got, 64, want, 64);
    }
}

/* RFC 6979 with SHA-256 on secp256k1: the widely used vectors (bitcointalk topic 285142, also
 * in python-ecdsa and Trezor's tests). digest = sha256(msg); signatures shown low-s. */
TEST(secp, rfc6979_vectors)
{
    static const struct {
        const char *sk, *msg, *sig;
    } v[] = {
        { "0000000000000000000000000000000000000000000000000000000000000001", "Satoshi Nakamoto",
          "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
          "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5" },
        { "0000000000000000000000000000000000000000000000000000000000000001",
          "All those moments will be lost in time, like tears in rain. Time to die...",
          "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b"
          "547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21" },
        { "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "Satoshi Nakamoto",
          "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0"
          "6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5" },
        { "f8b8af8ce3c7cca5e300d33939540c10d45ce001b8f252bfbc57ba0342904181", "Alan Turing",
          "7063ae83e7f62bbb171798131b4a0564b956930092b33b07b395615d9ec7e15c"
          "58dfcc1e00a35e1572f366ffe34ba0fc47db1e7189759b9fb233c5b05ab388ea" },
        { "e91671c46231f833a6406ccbea0e3e392c76c167bac1cb013f6f1013980455c2",
          "There is a computer disease that anybody who works with computers knows about. It's a "
          "very serious disease and it interferes completely with the work. The trouble with "
          "computers is that you 'play' with them!",
          "b552edd27580141f3b2a5463048cb7cd3e047b97c9f98076c32dbdf85a68718b"
          "279fa72dd19bfae05577e06c7c0c1900c371fcd5893f7e1d56a37d30174671f6" },
    };

    for (size_t i = 0; i < RN_ARRAY_LEN(v); i++) {
        uint8_t sk[32], digest[32], want[64], sig[65];
        if (!unhex_n(sk, 32, v[i].sk) || !unhex_n(want, 64, v[i].sig))
            return;
        sha256(digest, (const uint8_t *)v[i].msg, strlen(v[i].msg));
        CHECK_OK(secp_sign(sig, sk, digest));
        CHECK_MEM_EQ(sig, 64, want, 64);
        CHECK(sig[64] <= 1);
        /* and the recovery id in byte 64 leads back to the signer */
        addr_t a, b;
        CHECK_OK(addr_from_seckey(&a, sk));
        CHECK_OK(secp_recover_address(&b, digest, sig, sig[64]));
        CHECK(addr_eq(&a, &b));
    }
}

/* EIP-155's worked example: key 0x46..46, signing hash of the example transaction, v = 37 so
 * recid 0. */
TEST(secp, eip155_example_signature)
{
    uint8_t sk[32], digest[32], want[64], sig[65];
    if (!unhex_n(sk, 32, "4646464646464646464646464646464646464646464646464646464646464646") ||
        !unhex_n(digest, 32, "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53") ||
        !unhex_n(want, 64,
                 "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276"
                 "67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"))
        return;
    CHECK_OK(secp_sign(sig, sk, digest));
    CHECK_MEM_EQ(sig, 64, want, 64);
    CHECK_EQ_INT(sig[64], 0);
    addr_t a;
    char txt[43];
    CHECK_OK(secp_recover_address(&a, digest, want, 0));
    addr_to_checksum_hex(txt, &a);
    CHECK_STR_EQ(txt, "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
}

TEST(secp, sign_recover_roundtrip_is_deterministic_and_low_s)
{
    for (int i = 0; i < 200; i++) {
        uint8_t sk[32], digest[32], sig[65], sig2[65];
        random_key(sk);
        test_rand_bytes(digest, 32);
        CHECK_OK(secp_sign(sig, sk, digest));
        CHECK_OK(secp_sign(sig2, sk, digest));
        CHECK_MEM_EQ(sig, 65, sig2, 65);
        CHECK(sig[64] <= 1);
        CHECK(secp_s_is_low(sig + 32));
        uint8_t pub[64], rpub[64];
        CHECK_OK(secp_pubkey(pub, sk));
        CHECK_OK(secp_recover(rpub, digest, sig, sig[64]));
        CHECK_MEM_EQ(pub, 64, rpub, 64);
        addr_t want, got;
        CHECK_OK(addr_from_seckey(&want, sk));
        CHECK_OK(secp_recover_address(&got, digest, sig, sig[64]));
        CHECK(addr_eq(&want, &got));
        /* The other parity names the other point with this x: a different key. */
        if (secp_recover_address(&got, digest, sig, sig[64] ^ 1) == ERR_OK)
            CHECK(!addr_eq(&want, &got));
        /* Another digest recovers some other key. */
        digest[0] ^= 1;
        if (secp_recover_address(&got, digest, sig, sig[64]) == ERR_OK)
            CHECK(!addr_eq(&want, &got));
    }
}

TEST(secp, recover_accepts_high_s)
{
    for (int i = 0; i < 20; i++) {
        uint8_t sk[32], digest[32], sig[65], high[64];
        random_key(sk);
        test_rand_bytes(digest, 32);
        CHECK_OK(secp_sign(sig, sk, digest));
        /* (r, n - s) with the flipped parity is the same signature in its high-s form. */
        memcpy(high, sig, 32);
        n_minus(high + 32, sig + 32);
        CHECK(!secp_s_is_low(high + 32));
        addr_t want, got;
        CHECK_OK(addr_from_seckey(&want, sk));
        CHECK_OK(secp_recover_address(&got, digest, high, sig[64] ^ 1));
        CHECK(addr_eq(&want, &got));
    }
}

TEST(secp, s_is_low_boundary)
{
    uint8_t s[32];
    if (!unhex_n(s, 32, HALF_N_HEX))
        return;
    CHECK(secp_s_is_low(s)); /* n/2 itself is low */
    s[31]++;
    CHECK(!secp_s_is_low(s)); /* n/2 + 1 is not */
    memset(s, 0, 32);
    CHECK(secp_s_is_low(s));
    memset(s, 0xff, 32);
    CHECK(!secp_s_is_low(s));
}

TEST(secp, rejects_invalid_secret_keys)
{
    uint8_t zero[32] = { 0 }, n[32], big[32], sig[65], pub[64], digest[32] = { 1 };
    addr_t a;
    if (!unhex_n(n, 32, N_HEX))
        return;
    memset(big, 0xff, 32);
    const uint8_t *bad[] = { zero, n, big };
    for (size_t i = 0; i < RN_ARRAY_LEN(bad); i++) {
        CHECK(!secp_seckey_valid(bad[i]));
        memset(sig, 0xaa, sizeof(sig));
        CHECK_ERR(ERR_CRYPTO_BAD_KEY, secp_sign(sig, bad[i], digest));
        CHECK(sig[0] == 0 && sig[64] == 0); /* output cleared */
        CHECK_ERR(ERR_CRYPTO_BAD_KEY, secp_pubkey(pub, bad[i]));
        CHECK_ERR(ERR_CRYPTO_BAD_KEY, addr_from_seckey(&a, bad[i]));
    }
    n[31] -= 1; /* n - 1 is the largest valid key */
    CHECK(secp_seckey_valid(n));
    uint8_t one[32] = { 0 };
    one[31] = 1;
    CHECK(secp_seckey_valid(one));
}

TEST(secp, recover_rejects_out_of_range_r_s_and_recid)
{
    uint8_t sk[32], digest[32], sig[65], rs[64], n[32], pub[64];
    random_key(sk);
    test_rand_bytes(digest, 32);
    CHECK_OK(secp_sign(sig, sk, digest));
    if (!unhex_n(n, 32, N_HEX))
        return;
    int recid = sig[64];

    /* r or s replaced by 0, n, n + 1 and 2^256 - 1 */
    uint8_t bad[4][32];
    memset(bad[0], 0, 32);
    memcpy(bad[1], n, 32);
    memcpy(bad[2], n, 32);
    bad[2][31]++;
    memset(bad[3], 0xff, 32);
    for (int half = 0; half < 2; half++) {
        for (int k = 0; k < 4; k++) {
            memcpy(rs, sig, 64);
            memcpy(rs + 32 * half, bad[k], 32);
            memset(pub, 0xaa, 64);
            CHECK_ERR(ERR_CRYPTO_BAD_SIG, secp_recover(pub, digest, rs, recid));
            CHECK(pub[0] == 0 && pub[63] == 0); /* output cleared */
        }
    }
    /* n - 1 is in range for both (whether a key comes out depends on the point) */
    memcpy(rs, sig, 64);
    memcpy(rs + 32, n, 32);
    rs[63] -= 1;
    err_t e = secp_recover(pub, digest, rs, recid);
    CHECK(e == ERR_OK || e == ERR_CRYPTO_RECOVER);

    CHECK_ERR(ERR_CRYPTO_BAD_SIG, secp_recover(pub, digest, sig, -1));
    CHECK_ERR(ERR_CRYPTO_BAD_SIG, secp_recover(pub, digest, sig, 4));
    addr_t a;
    CHECK_ERR(ERR_CRYPTO_BAD_SIG, secp_recover_address(&a, digest, sig, 27));
}

TEST(secp, recover_fails_when_r_is_not_an_x_coordinate)
{
    /* x = 5 is not the x of any curve point (5^3 + 7 = 132 is not a square mod p), so no
     * recid recovers a key; the error is RECOVER, not BAD_SIG. */
    uint8_t rs[64] = { 0 }, digest[32] = { 7 }, pub[64];
    rs[31] = 5;
    rs[63] = 1;
    CHECK_ERR(ERR_CRYPTO_RECOVER, secp_recover(pub, digest, rs, 0));
    CHECK_ERR(ERR_CRYPTO_RECOVER, secp_recover(pub, digest, rs, 1));
}

TEST(secp, ecdh_is_symmetric)
{
    for (int i = 0; i < 30; i++) {
        uint8_t a[32], b[32], pa[64], pb[64], s1[32], s2[32];
        random_key(a);
        random_key(b);
        CHECK_OK(secp_pubkey(pa, a));
        CHECK_OK(secp_pubkey(pb, b));
        CHECK_OK(secp_ecdh(s1, pb, a));
        CHECK_OK(secp_ecdh(s2, pa, b));
        CHECK_MEM_EQ(s1, 32, s2, 32);
    }
}

TEST(secp, ecdh_is_the_raw_x_coordinate)
{
    /* sk · G is sk's public key, so ECDH with G returns that key's x, unhashed. */
    uint8_t one[32] = { 0 }, g[64], sk[32], pub[64], x[32];
    one[31] = 1;
    CHECK_OK(secp_pubkey(g, one));
    for (int i = 0; i < 10; i++) {
        random_key(sk);
        CHECK_OK(secp_pubkey(pub, sk));
        CHECK_OK(secp_ecdh(x, g, sk));
        CHECK_MEM_EQ(x, 32, pub, 32);
    }
}

/* EIP-8's handshake test vectors: ECDH of the two ephemeral keys, then devp2p's secret
 * derivation (RLPx spec): shared = keccak(ecdhe ‖ keccak(recipient-nonce ‖ initiator-nonce)),
 * aes = keccak(ecdhe ‖ shared), mac = keccak(ecdhe ‖ aes). */
TEST(secp, ecdh_matches_eip8_handshake_secrets)
{
    uint8_t eph_a[32], eph_b[32], pub_a[64], pub_b[64], nonce_a[32], nonce_b[32];
    uint8_t want_aes[32], want_mac[32];
    if (!unhex_n(eph_a, 32, "869d6ecf5211f1cc60418a13b9d870b22959d0c16f02bec714c960dd2298a32d") ||
        !unhex_n(eph_b, 32, "e238eb8e04fee6511ab04c6dd3c89ce097b11f25d584863ac2b6d5b35b1847e4") ||
        !unhex_n(nonce_a, 32, "7e968bba13b6c50e2c4cd7f241cc0d64d1ac25c7f5952df231ac6a2bda8ee5d6") ||
        !unhex_n(nonce_b, 32, "559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd") ||
        !unhex_n(want_aes, 32,
                 "80e8632c05fed6fc2a13b0f8d31a3cf645366239170ea067065aba8e28bac487") ||
        !unhex_n(want_mac, 32, "2ea74ec5dae199227dff1af715362700e989d889d7a493cb0639691efb8e5f98"))
        return;
    CHECK_OK(secp_pubkey(pub_a, eph_a));
    CHECK_OK(secp_pubkey(pub_b, eph_b));
    uint8_t ecdhe[32], ecdhe2[32];
    CHECK_OK(secp_ecdh(ecdhe, pub_b, eph_a));
    CHECK_OK(secp_ecdh(ecdhe2, pub_a, eph_b));
    CHECK_MEM_EQ(ecdhe, 32, ecdhe2, 32);

    uint8_t buf[64], shared[32], aes[32], mac[32];
    memcpy(buf, nonce_b, 32);
    memcpy(buf + 32, nonce_a, 32);
    keccak256(buf + 32, buf, 64);
    memcpy(buf, ecdhe, 32);
    keccak256(shared, buf, 64);
    memcpy(buf + 32, shared, 32);
    keccak256(aes, buf, 64);
    memcpy(buf + 32, aes, 32);
    keccak256(mac, buf, 64);
    CHECK_MEM_EQ(aes, 32, want_aes, 32);
    CHECK_MEM_EQ(mac, 32, want_mac, 32);
}

TEST(secp, ecdh_rejects_bad_points_and_keys)
{
    uint8_t sk[32], pub[64], out[32];
    random_key(sk);
    CHECK_OK(secp_pubkey(pub, sk));

    uint8_t zero[64] = { 0 };
    memset(out, 0xaa, 32);
    CHECK_ERR(ERR_CRYPTO_BAD_PUBKEY, secp_ecdh(out, zero, sk));
    CHECK(out[0] == 0 && out[31] == 0);
    uint8_t off_curve[64];
    memcpy(off_curve, pub, 64);
    off_curve[63] ^= 1; /* y' = y ^ 1 is y ± 1, and y ± 1 is not ±y */
    CHECK_ERR(ERR_CRYPTO_BAD_PUBKEY, secp_ecdh(out, off_curve, sk));
    uint8_t big[64];
    memset(big, 0xff, 64); /* coordinates >= p */
    CHECK_ERR(ERR_CRYPTO_BAD_PUBKEY, secp_ecdh(out, big, sk));

    uint8_t zsk[32] = { 0 }, n[32];
    if (!unhex_n(n, 32, N_HEX))
        return;
    memset(out, 0xaa, 32);
    CHECK_ERR(ERR_CRYPTO_BAD_KEY, secp_ecdh(out, pub, zsk));
    uint8_t clear[32] = { 0 };
    CHECK_MEM_EQ(out, 32, clear, 32); /* not pub's x, which libsecp256k1 leaves there */
    CHECK_ERR(ERR_CRYPTO_BAD_KEY, secp_ecdh(out, pub, n));
}

TEST(secp, eip55_vectors)
{
    /* The EIP's own list: all caps, all lower, and mixed. */
    static const char *const v[] = {
        "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    };
    for (size_t i = 0; i < RN_ARRAY_LEN(v); i++) {
        addr_t a;
        char txt[43];
        CHECK_OK(addr_from_hex(&a, v[i], 42));
        addr_to_checksum_hex(txt, &a);
        CHECK_STR_EQ(txt, v[i]);
        CHECK_EQ_INT(strlen(txt), 42);
    }
}

TEST(secp, addr_from_pubkey_is_keccak_tail)
{
    uint8_t sk[32], pub[64], h[32];
    random_key(sk);
    CHECK_OK(secp_pubkey(pub, sk));
    addr_t a;
    addr_from_pubkey(&a, pub);
    keccak256(h, pub, 64);
    CHECK_MEM_EQ(a.b, 20, h + 12, 20);
}
