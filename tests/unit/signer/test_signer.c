#include "crypto/crypto.h"
#include "harness.h"
#include "signer/signer.h"

static header_t sample(void)
{
    header_t h;
    memset(&h, 0, sizeof(h));
    h.number = 1234;
    h.gas_limit = 20000000;
    h.timestamp = 1766041200;
    h.difficulty = u256_from_u64(1);
    h.has_base_fee = true;
    h.base_fee = u256_from_u64(15680000);
    h.ommers_hash = KECCAK_EMPTY_LIST;
    return h;
}

TEST(signer, sign_and_recover_with_27_28_and_0_1)
{
    uint8_t sk[32];
    if (hex_decode_fixed(sk, 32, "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
                         64))
        memset(sk, 1, 32);
    signer_t *s;
    CHECK_OK(signer_new_key(&s, sk));
    char addr[43];
    addr_to_checksum_hex(addr, signer_address(s));
    CHECK_STR_EQ(addr, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    header_t h = sample();
    uint8_t sig[65];
    CHECK_OK(signer_sign_header(s, &h, sig));
    CHECK(sig[64] == 27 || sig[64] == 28);
    CHECK(secp_s_is_low(sig + 32));
    CHECK(signer_verify_header(&h, sig, signer_address(s)));
    sig[64] = (uint8_t)(sig[64] - 27); /* 0/1 is accepted too */
    CHECK(signer_verify_header(&h, sig, signer_address(s)));
    /* The digest excludes extraData: changing it keeps the signature valid... */
    uint8_t extra[65] = { 9 };
    h.extra = extra;
    h.extra_len = sizeof(extra);
    CHECK(signer_verify_header(&h, sig, signer_address(s)));
    /* ...any other field does not. */
    h.gas_used = 1;
    CHECK(!signer_verify_header(&h, sig, signer_address(s)));
    h.gas_used = 0;
    sig[64] = 5;
    addr_t got;
    CHECK_ERR(ERR_CRYPTO_BAD_SIG, signer_recover_header(&h, sig, &got));
    signer_free(s);
}

TEST(signer, deterministic_and_rejects_high_s)
{
    uint8_t sk[32];
    memset(sk, 0x33, 32);
    signer_t *s;
    CHECK_OK(signer_new_key(&s, sk));
    header_t h = sample();
    uint8_t a[65], b[65];
    CHECK_OK(signer_sign_header(s, &h, a));
    CHECK_OK(signer_sign_header(s, &h, b));
    CHECK_MEM_EQ(a, 65, b, 65);
    /* s' = n - s flips the parity: a valid ECDSA signature, but not low-s. */
    u256_t n;
    CHECK_OK(
        u256_from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 64, &n));
    u256_t hs = u256_sub(n, u256_from_be(a + 32, 32));
    u256_to_be(a + 32, hs);
    a[64] = (uint8_t)(a[64] == 27 ? 28 : 27);
    addr_t got;
    CHECK_ERR(ERR_CRYPTO_BAD_SIG, signer_recover_header(&h, a, &got));
    uint8_t zero[32] = { 0 };
    signer_t *bad;
    CHECK_ERR(ERR_CRYPTO_BAD_KEY, signer_new_key(&bad, zero));
    signer_free(s);
}
