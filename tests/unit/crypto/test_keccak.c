/* keccak-256 and Keccak-f[1600]: published vectors, SHA3-256 from OpenSSL as an oracle for the
 * permutation, and incremental against one-shot. Every vector test runs once per body
 * (portable, bmi) so both stay tested on a machine that would only ever pick one. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "crypto/keccak_impl.h"
#include "harness.h"

/* Run fn under each body the CPU has, then restore the default. A missing body is reported on
 * stderr, not silently skipped; the portable body exists everywhere. */
static void for_each_impl(void (*fn)(void))
{
    keccak_impl_t saved = keccak_impl_active();
    static const keccak_impl_t impls[] = { KECCAK_IMPL_PORTABLE, KECCAK_IMPL_BMI };
    for (size_t i = 0; i < RN_ARRAY_LEN(impls); i++) {
        if (!keccak_impl_select(impls[i])) {
            fprintf(stderr, "note: keccak body '%s' not available on this CPU/build\n",
                    keccak_impl_name(impls[i]));
            continue;
        }
        fn();
    }
    CHECK(keccak_impl_select(saved));
}

/* keccak256(msg) == want (hex); reports the body in use on failure. */
static void expect_keccak(const uint8_t *msg, size_t n, const char *want_hex, int line)
{
    size_t wn = 0;
    uint8_t *want = test_unhex(want_hex, &wn);
    uint8_t got[32];
    keccak256(got, msg, n);
    if (wn != 32 || memcmp(got, want, 32) != 0) {
        char g[65];
        hex_encode(g, got, 32);
        harness_fail(__FILE__, line, "keccak256(%zu bytes) [%s] = %s, want %s", n,
                     keccak_impl_name(keccak_impl_active()), g, want_hex);
    }
    free(want);
}

static void expect_keccak_hexmsg(const char *msg_hex, const char *want_hex, int line)
{
    size_t n = 0;
    uint8_t *msg = test_unhex(msg_hex, &n);
    expect_keccak(msg, n, want_hex, line);
    free(msg);
}

#define EXPECT_KECCAK_STR(s, want) expect_keccak((const uint8_t *)(s), strlen(s), (want), __LINE__)

static void known_vectors(void)
{
    EXPECT_KECCAK_STR("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    EXPECT_KECCAK_STR("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    EXPECT_KECCAK_STR("hello", "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8");
    EXPECT_KECCAK_STR("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                      "45d3b367a6904e6e8d502ee04999a7c27647f91fa845d456525fd352ae3d7371");
    expect_keccak((const uint8_t *)"\0", 1,
                  "bc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a", __LINE__);
    /* 0xa3 repeated: the padding fits in the block (135), needs a block of its own (136), and
     * the Keccak team's 200-byte long-message vector. */
    uint8_t a3[200];
    memset(a3, 0xa3, sizeof(a3));
    expect_keccak(a3, 135, "3d28d08c3dacab77392064a939f3e7f8d03f2e02e2c664ac08a05f63ac652626",
                  __LINE__);
    expect_keccak(a3, 136, "b82d89d96e5575d11a9e1f4cabb2a45e60899e69a19a724cd796bdcf13511018",
                  __LINE__);
    expect_keccak(a3, 200, "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a",
                  __LINE__);
    /* Function selectors are keccak prefixes. */
    uint8_t h[32];
    static const char sel[] = "transfer(address,uint256)";
    keccak256(h, (const uint8_t *)sel, strlen(sel));
    CHECK(h[0] == 0xa9 && h[1] == 0x05 && h[2] == 0x9c && h[3] == 0xbb);
    static const char topic[] = "Transfer(address,address,uint256)";
    keccak256(h, (const uint8_t *)topic, strlen(topic));
    CHECK(h[0] == 0xdd && h[1] == 0xf2 && h[2] == 0x52 && h[3] == 0xad);
}

TEST(keccak, known_vectors)
{
    for_each_impl(known_vectors);
}

/* ShortMsgKAT_256 / LongMsgKAT_256 of the Keccak team's round-3 KATs (KeccakKAT-3.zip), the
 * byte-aligned lengths. Len is in bits. */
static void kat_vectors(void)
{
    /* Len = 0 */
    expect_keccak_hexmsg("", "C5D2460186F7233C927E7DB2DCC703C0E500B653CA82273B7BFAD8045D85A470",
                         __LINE__);
    /* Len = 8 */
    expect_keccak_hexmsg("CC", "EEAD6DBFC7340A56CAEDC044696A168870549A6A7F6F56961E84A54BD9970B8A",
                         __LINE__);
    /* Len = 752 */
    expect_keccak_hexmsg(
        "7ADC0B6693E61C269F278E6944A5A2D8300981E40022F839AC644387BFAC9086650085C2CDC585FEA47B9D2E52"
        "D65A2B29A7DC370401EF5D60DD0D21F9E2B90FAE919319B14B8C5565B0423CEFB827D5F1203302A9D01523498A"
        "4DB10374",
        "4CC2AFF141987F4C2E683FA2DE30042BACDCD06087D7A7B014996E9CFEAA58CE", __LINE__);
    /* Len = 920 */
    expect_keccak_hexmsg(
        "B55C10EAE0EC684C16D13463F29291BF26C82E2FA0422A99C71DB4AF14DD9C7F33EDA52FD73D017CC0F2DBE734"
        "D831F0D820D06D5F89DACC485739144F8CFD4799223B1AFF9031A105CB6A029BA71E6E5867D85A554991C38DF3"
        "C9EF8C1E1E9A7630BE61CAABCA69280C399C1FB7A12D12AEFC",
        "0347901965D3635005E75A1095695CCA050BC9ED2D440C0372A31B348514A889", __LINE__);
    /* Len = 1952 */
    expect_keccak_hexmsg(
        "2EDC282FFB90B97118DD03AAA03B145F363905E3CBD2D50ECD692B37BF000185C651D3E9726C690D3773EC1E48"
        "510E42B17742B0B0377E7DE6B8F55E00A8A4DB4740CEE6DB0830529DD19617501DC1E9359AA3BCF147E0A76B3A"
        "B70C4984C13E339E6806BB35E683AF8527093670859F3D8A0FC7D493BCBA6BB12B5F65E71E705CA5D6C948D66E"
        "D3D730B26DB395B3447737C26FAD089AA0AD0E306CB28BF0ACF106F89AF3745F0EC72D534968CCA543CD2CA50C"
        "94B1456743254E358C1317C07A07BF2B0ECA438A709367FAFC89A57239028FC5FECFD53B8EF958EF10EE0608B7"
        "F5CB9923AD97058EC067700CC746C127A61EE3",
        "DD1D2A92B3F3F3902F064365838E1F5F3468730C343E2974E7A9ECFCD84AA6DB", __LINE__);
    /* LongMsgKAT_256, Len = 2048 */
    expect_keccak_hexmsg(
        "724627916C50338643E6996F07877EAFD96BDF01DA7E991D4155B9BE1295EA7D21C9391F4C4A41C75F77E5D273"
        "89253393725F1427F57914B273AB862B9E31DABCE506E558720520D33352D119F699E784F9E548FF91BC35CA14"
        "7042128709820D69A8287EA3257857615EB0321270E94B84F446942765CE882B191FAEE7E1C87E0F0BD4E0CD8A"
        "927703524B559B769CA4ECE1F6DBF313FDCF67C572EC4185C1A88E86EC11B6454B371980020F19633B6B95BD28"
        "0E4FBCB0161E1A82470320CEC6ECFA25AC73D09F1536F286D3F9DACAFB2CD1D0CE72D64D197F5C7520B3CCB2FD"
        "74EB72664BA93853EF41EABF52F015DD591500D018DD162815CC993595B195",
        "EA0E416C0F7B4F11E3F00479FDDF954F2539E5E557753BD546F69EE375A5DE29", __LINE__);
}

TEST(keccak, keccak_team_kat)
{
    for_each_impl(kat_vectors);
}

/* The permutation of the all-zero state, once and twice, from the Keccak team's
 * KeccakF-1600-IntermediateValues.txt. */
static void permutation_vectors(void)
{
    static const uint64_t once[25] = {
        0xF1258F7940E1DDE7ull, 0x84D5CCF933C0478Aull, 0xD598261EA65AA9EEull, 0xBD1547306F80494Dull,
        0x8B284E056253D057ull, 0xFF97A42D7F8E6FD4ull, 0x90FEE5A0A44647C4ull, 0x8C5BDA0CD6192E76ull,
        0xAD30A6F71B19059Cull, 0x30935AB7D08FFC64ull, 0xEB5AA93F2317D635ull, 0xA9A6E6260D712103ull,
        0x81A57C16DBCF555Full, 0x43B831CD0347C826ull, 0x01F22F1A11A5569Full, 0x05E5635A21D9AE61ull,
        0x64BEFEF28CC970F2ull, 0x613670957BC46611ull, 0xB87C5A554FD00ECBull, 0x8C3EE88A1CCF32C8ull,
        0x940C7922AE3A2614ull, 0x1841F924A2C509E4ull, 0x16F53526E70465C2ull, 0x75F644E97F30A13Bull,
        0xEAF1FF7B5CECA249ull,
    };
    uint64_t st[25] = { 0 };
    keccak_f1600(st);
    CHECK_MEM_EQ(st, sizeof(st), once, sizeof(once));
    keccak_f1600(st);
    CHECK_EQ_U64(st[0], 0x2D5C954DF96ECB3Cull);
}

TEST(keccak, permutation_of_zero_state)
{
    for_each_impl(permutation_vectors);
}

TEST(keccak, bodies_agree_on_random_states)
{
    keccak_impl_t saved = keccak_impl_active();
    if (!keccak_impl_select(KECCAK_IMPL_BMI)) {
        fprintf(stderr, "note: only the portable body exists here; nothing to compare\n");
        return;
    }
    for (int i = 0; i < 2000; i++) {
        uint64_t a[25], b[25];
        test_rand_bytes(a, sizeof(a));
        memcpy(b, a, sizeof(a));
        CHECK(keccak_impl_select(KECCAK_IMPL_BMI));
        keccak_f1600(a);
        CHECK(keccak_impl_select(KECCAK_IMPL_PORTABLE));
        keccak_f1600(b);
        CHECK_MEM_EQ(a, sizeof(a), b, sizeof(b));
    }
    CHECK(keccak_impl_select(saved));
}

/* SHA3-256 is the same sponge (rate 136) with the FIPS 202 domain padding 0x06: build it on our
 * permutation and compare with OpenSSL's, for every length that can end a block differently. */
static void sha3_256_ours(uint8_t out[32], const uint8_t *p, size_t n)
{
    uint64_t st[25] = { 0 };
    uint8_t block[136];
    for (;;) {
        size_t take = n < 136 ? n : 136;
        memset(block, 0, sizeof(block));
        memcpy(block, p, take);
        if (take < 136) {
            block[take] ^= 0x06;
            block[135] ^= 0x80;
        }
        for (int i = 0; i < 17; i++) {
            uint64_t lane = 0;
            for (int b = 7; b >= 0; b--)
                lane = (lane << 8) | block[8 * i + b];
            st[i] ^= lane;
        }
        keccak_f1600(st);
        if (take < 136)
            break;
        p += 136;
        n -= 136;
    }
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(st[i / 8] >> (8 * (i % 8)));
}

static void sha3_oracle(void)
{
    enum {
        MAX = 700
    };

    uint8_t *data = malloc(MAX);
    CHECK(data != NULL);
    test_rand_bytes(data, MAX);
    for (size_t n = 0; n <= MAX; n++) {
        uint8_t ours[32], theirs[32];
        unsigned int len = 0;
        sha3_256_ours(ours, data, n);
        if (!EVP_Digest(data, n, theirs, &len, EVP_sha3_256(), NULL) || len != 32) {
            harness_fail(__FILE__, __LINE__, "OpenSSL SHA3-256 failed");
            break;
        }
        if (memcmp(ours, theirs, 32) != 0) {
            harness_fail(__FILE__, __LINE__, "SHA3-256 on our Keccak-f [%s] differs at len %zu",
                         keccak_impl_name(keccak_impl_active()), n);
            break;
        }
    }
    free(data);
}

TEST(keccak, permutation_matches_openssl_sha3)
{
    for_each_impl(sha3_oracle);
}

/* Hash data[0..n) through update() in random pieces, including empty ones. */
static void keccak_pieces(uint8_t out[32], const uint8_t *data, size_t n)
{
    keccak_ctx_t c;
    keccak256_init(&c);
    size_t off = 0;
    while (off < n) {
        size_t step = (size_t)(test_rand() % 300);
        if (step > n - off)
            step = n - off;
        keccak256_update(&c, data + off, step);
        off += step;
    }
    keccak256_update(&c, data + n, 0);
    keccak256_final(&c, out);
}

static void incremental(void)
{
    enum {
        MAX = 3000
    };

    uint8_t *data = malloc(MAX + 1);
    CHECK(data != NULL);
    test_rand_bytes(data, MAX + 1);
    /* Every length 0..300 (all partial-block positions, twice over), then a spread up to MAX;
     * data + 1 makes every block load unaligned. */
    for (size_t n = 0; n <= MAX; n += (n < 300 ? 1 : 97)) {
        for (size_t shift = 0; shift < 2; shift++) {
            uint8_t a[32], b[32];
            keccak256(a, data + shift, n);
            keccak_pieces(b, data + shift, n);
            if (memcmp(a, b, 32) != 0) {
                harness_fail(__FILE__, __LINE__, "incremental != one-shot at len %zu [%s]", n,
                             keccak_impl_name(keccak_impl_active()));
                free(data);
                return;
            }
        }
    }
    free(data);
}

TEST(keccak, incremental_matches_one_shot_at_random_splits)
{
    for_each_impl(incremental);
}

TEST(keccak, final_clears_context_and_init_reuses_it)
{
    keccak_ctx_t c, zero;
    memset(&zero, 0, sizeof(zero));
    uint8_t h1[32], h2[32];
    keccak256_init(&c);
    keccak256_update(&c, (const uint8_t *)"secret", 6);
    keccak256_final(&c, h1);
    CHECK_MEM_EQ(&c, sizeof(c), &zero, sizeof(zero));
    keccak256_init(&c);
    keccak256_update(&c, (const uint8_t *)"secret", 6);
    keccak256_final(&c, h2);
    CHECK_MEM_EQ(h1, 32, h2, 32);
    hash_t h = keccak256_hash((const uint8_t *)"secret", 6);
    CHECK_MEM_EQ(h.b, 32, h1, 32);
}

TEST(keccak, empty_constants)
{
    hash_t e = keccak256_hash((const uint8_t *)"\x80", 1); /* rlp("") */
    CHECK(hash_eq(&e, &KECCAK_EMPTY_TRIE));
    e = keccak256_hash((const uint8_t *)"\xc0", 1); /* rlp([]) */
    CHECK(hash_eq(&e, &KECCAK_EMPTY_LIST));
    e = keccak256_hash(NULL, 0);
    CHECK(hash_eq(&e, &KECCAK_EMPTY));
    char txt[65];
    hex_encode(txt, KECCAK_EMPTY_TRIE.b, 32);
    CHECK_STR_EQ(txt, "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
    hex_encode(txt, KECCAK_EMPTY_LIST.b, 32);
    CHECK_STR_EQ(txt, "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");
}

/* keccak256_many against one-shot keccak256 under each four-input body the CPU has: batches of
 * 0..40 inputs whose lengths cluster at the block boundaries (0, 135, 136, 137, 271, 272, ...)
 * and spread up to past the grouping limit (8 full blocks), with a known vector planted. */
TEST(keccak, many_matches_one_shot_for_every_body)
{
    keccak_x4_t saved = keccak_x4_active();
    static const keccak_x4_t impls[] = { KECCAK_X4_NONE, KECCAK_X4_AVX2, KECCAK_X4_AVX512 };

    enum {
        MAXN = 40,
        MAXLEN = 9 * 136 + 40
    };

    uint8_t *data = malloc((size_t)MAXN * MAXLEN);
    bview_t in[MAXN];
    hash_t got[MAXN], want;
    int ran = 0;
    for (size_t b = 0; b < RN_ARRAY_LEN(impls); b++) {
        if (!keccak_x4_select(impls[b])) {
            fprintf(stderr, "note: keccak x4 body '%s' not available on this CPU/build\n",
                    keccak_x4_name(impls[b]));
            continue;
        }
        ran++;
        for (int round = 0; round < 300; round++) {
            size_t n = test_rand() % (MAXN + 1);
            for (size_t i = 0; i < n; i++) {
                size_t len;
                uint64_t r = test_rand();
                if (r % 3 == 0)
                    len = (r >> 8) % MAXLEN;
                else /* a block boundary, +- 1 */
                    len = 136 * ((r >> 8) % 9) + (size_t)((r >> 16) % 3) - 1;
                if (len > MAXLEN)
                    len = 0;
                test_rand_bytes(data + i * MAXLEN, len);
                in[i] = bview(data + i * MAXLEN, len);
            }
            if (n > 2)
                in[2] = bview((const uint8_t *)"abc", 3);
            keccak256_many(got, in, n);
            for (size_t i = 0; i < n; i++) {
                keccak256(want.b, in[i].p, in[i].n);
                CHECK_MEM_EQ(got[i].b, 32, want.b, 32);
            }
            if (n > 2) {
                uint8_t abc[32];
                CHECK_EQ_INT(hex_decode_fixed(
                                 abc, 32,
                                 "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
                                 64),
                             ERR_OK);
                CHECK_MEM_EQ(got[2].b, 32, abc, 32);
            }
        }
    }
    CHECK(ran >= 1);
    CHECK(keccak_x4_select(saved));
    free(data);
}
