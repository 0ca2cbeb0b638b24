#include <gmp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "rlp/rlp.h"

static err_t enc_hex(const char *hex, buf_t *out)
{
    buf_reset(out);
    return hex_decode_buf(out, hex, strlen(hex));
}

TEST(rlp, yellow_paper_examples)
{
    buf_t b;
    buf_init(&b, 1 << 16);
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)"dog", 3));
    CHECK_MEM_EQ(b.p, b.n,
                 "\x83"
                 "dog",
                 4);
    buf_reset(&b);
    size_t m;
    CHECK_OK(rlp_list_begin(&b, &m));
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)"cat", 3));
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)"dog", 3));
    CHECK_OK(rlp_list_end(&b, m));
    CHECK_MEM_EQ(b.p, b.n,
                 "\xc8\x83"
                 "cat\x83"
                 "dog",
                 9);
    buf_reset(&b);
    CHECK_OK(rlp_encode_bytes(&b, NULL, 0));
    CHECK_OK(rlp_encode_u64(&b, 0));
    CHECK_OK(rlp_encode_u64(&b, 15));
    CHECK_OK(rlp_encode_u64(&b, 1024));
    CHECK_MEM_EQ(b.p, b.n, "\x80\x80\x0f\x82\x04\x00", 6);
    /* 56-byte string: long form b8 38. */
    buf_reset(&b);
    uint8_t s56[56];
    memset(s56, 'a', 56);
    CHECK_OK(rlp_encode_bytes(&b, s56, 56));
    CHECK_EQ_U64(b.n, 58);
    CHECK(b.p[0] == 0xb8 && b.p[1] == 56);
    CHECK_OK(rlp_validate(buf_view(&b)));
    buf_deinit(&b);
}

TEST(rlp, strictness)
{
    static const struct {
        const char *hex;
        err_t want;
    } bad[] = {
        { "", ERR_RLP_TRUNCATED },
        { "81", ERR_RLP_TRUNCATED },
        { "8100", ERR_RLP_NONCANON }, /* single byte < 0x80 wrapped */
        { "817f", ERR_RLP_NONCANON },
        { "b800", ERR_RLP_NONCANON },       /* leading zero length byte */
        { "b801ff", ERR_RLP_NONCANON },     /* long form for short payload */
        { "f80180", ERR_RLP_NONCANON },     /* list: long form for 1 byte */
        { "c3010203ff", ERR_RLP_TRAILING }, /* trailing byte */
        { "c4010203", ERR_RLP_TRUNCATED },
        { "bf0f000000000000021111", ERR_RLP_TRUNCATED },
        { "c2c3", ERR_RLP_TRUNCATED }, /* nested item overruns its list */
    };

    buf_t b;
    buf_init(&b, 1 << 16);
    for (size_t i = 0; i < RN_ARRAY_LEN(bad); i++) {
        CHECK_OK(enc_hex(bad[i].hex, &b));
        err_t e = rlp_validate(buf_view(&b));
        if (e != bad[i].want)
            harness_fail(__FILE__, __LINE__, "rlp_validate(%s) = %s, want %s", bad[i].hex,
                         err_name(e), err_name(bad[i].want));
    }
    /* Integers: leading zeros and overflow. */
    rlp_item_t it;
    uint64_t v;
    CHECK_OK(enc_hex("820001", &b));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK_ERR(ERR_RLP_LEADING_ZERO, rlp_read_u64(&it, &v));
    CHECK_OK(enc_hex("89010203040506070809", &b));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK_ERR(ERR_RLP_OVERFLOW, rlp_read_u64(&it, &v));
    CHECK_OK(enc_hex("00", &b));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK_ERR(ERR_RLP_LEADING_ZERO, rlp_read_u64(&it, &v));
    CHECK_OK(enc_hex("c0", &b));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK_ERR(ERR_RLP_EXPECTED_BYTES, rlp_read_u64(&it, &v));
    /* Nesting beyond RLP_MAX_DEPTH. */
    buf_reset(&b);
    size_t marks[RLP_MAX_DEPTH + 2];
    for (int i = 0; i < RLP_MAX_DEPTH + 2; i++)
        CHECK_OK(rlp_list_begin(&b, &marks[i]));
    for (int i = RLP_MAX_DEPTH + 1; i >= 0; i--)
        CHECK_OK(rlp_list_end(&b, marks[i]));
    CHECK_ERR(ERR_RLP_TOO_DEEP, rlp_validate(buf_view(&b)));
    buf_deinit(&b);
}

/* Encode a JSON test input: string, integer, "#bigint", or nested list. */
static err_t encode_json(const json_t *v, buf_t *out)
{
    if (json_is_array(v)) {
        size_t m;
        TRY(rlp_list_begin(out, &m));
        for (size_t i = 0; i < json_array_size(v); i++)
            TRY(encode_json(json_array_get(v, i), out));
        return rlp_list_end(out, m);
    }
    if (json_is_integer(v))
        return rlp_encode_u64(out, (uint64_t)json_integer_value(v));
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (n > 0 && s[0] == '#') {
            mpz_t z;
            mpz_init_set_str(z, s + 1, 10);
            size_t count = 0;
            uint8_t *bytes = mpz_export(NULL, &count, 1, 1, 1, 0, z);
            err_t e = rlp_encode_bytes(out, bytes, count);
            free(bytes);
            mpz_clear(z);
            return e;
        }
        return rlp_encode_bytes(out, (const uint8_t *)s, n);
    }
    return ERR_INVALID_ARG;
}

static int run_file(const char *rel, int *passed)
{
    json_error_t jerr;
    json_t *root = json_load_file(test_shared_path(rel), JSON_ALLOW_NUL, &jerr);
    if (!root) {
        harness_fail(__FILE__, __LINE__, "cannot load %s: %s", rel, jerr.text);
        return 1;
    }
    int failed = 0;
    const char *name;
    json_t *t;
    buf_t want, got;
    buf_init(&want, 1 << 24);
    buf_init(&got, 1 << 24);
    json_object_foreach(root, name, t)
    {
        const json_t *in = json_object_get(t, "in");
        const char *out = json_string_value(json_object_get(t, "out"));
        buf_reset(&want);
        if (!out || hex_decode_buf(&want, out, strlen(out))) {
            failed++;
            continue;
        }
        if (json_is_string(in) && (!strcmp(json_string_value(in), "INVALID") ||
                                   !strcmp(json_string_value(in), "VALID"))) {
            bool valid = !strcmp(json_string_value(in), "VALID");
            err_t e = rlp_validate(buf_view(&want));
            if ((e == ERR_OK) != valid) {
                fprintf(stderr, "    %s/%s: expected %s, got %s\n", rel, name,
                        valid ? "valid" : "invalid", err_name(e));
                failed++;
            } else {
                (*passed)++;
            }
            continue;
        }
        buf_reset(&got);
        if (encode_json(in, &got) || !bview_eq(buf_view(&got), buf_view(&want)) ||
            rlp_validate(buf_view(&want))) {
            fprintf(stderr, "    %s/%s: encoding mismatch\n", rel, name);
            failed++;
        } else {
            (*passed)++;
        }
    }
    buf_deinit(&want);
    buf_deinit(&got);
    json_decref(root);
    return failed;
}

TEST(rlp, official_rlptests)
{
    int passed = 0, failed = 0;
    failed += run_file("fixtures/ethereum-tests/ethereum-tests/RLPTests/rlptest.json", &passed);
    failed +=
        run_file("fixtures/ethereum-tests/ethereum-tests/RLPTests/invalidRLPTest.json", &passed);
    failed += run_file(
        "fixtures/ethereum-tests/ethereum-tests/RLPTests/RandomRLPTests/example.json", &passed);
    printf("    RLPTests: %d passed, %d failed\n", passed, failed);
    CHECK(passed > 50);
    CHECK_EQ_INT(failed, 0);
}

/* Random nested structures: encode, validate, decode and re-encode to the same bytes. */
static err_t gen(buf_t *b, int depth)
{
    uint64_t r = test_rand() % 10;
    if (depth < 4 && r < 3) {
        size_t m;
        TRY(rlp_list_begin(b, &m));
        uint64_t k = test_rand() % 6;
        for (uint64_t i = 0; i < k; i++)
            TRY(gen(b, depth + 1));
        return rlp_list_end(b, m);
    }
    if (r < 6)
        return rlp_encode_u64(b, test_rand() >> (test_rand() % 64));
    uint8_t data[300];
    size_t n = (size_t)(test_rand() % (r == 9 ? 300 : 60));
    test_rand_bytes(data, n);
    return rlp_encode_bytes(b, data, n);
}

static err_t reencode(const rlp_item_t *it, buf_t *out)
{
    if (!it->is_list)
        return rlp_encode_bytes(out, it->payload.p, it->payload.n);
    size_t m;
    TRY(rlp_list_begin(out, &m));
    bview_t cur = it->payload;
    while (cur.n) {
        rlp_item_t c;
        TRY(rlp_next(&cur, &c));
        TRY(reencode(&c, out));
    }
    return rlp_list_end(out, m);
}

TEST(rlp, random_roundtrip)
{
    buf_t a, b;
    buf_init(&a, 1 << 20);
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 2000; i++) {
        buf_reset(&a);
        buf_reset(&b);
        CHECK_OK(gen(&a, 0));
        CHECK_OK(rlp_validate(buf_view(&a)));
        rlp_item_t it;
        CHECK_OK(rlp_decode_one(buf_view(&a), &it));
        CHECK_OK(reencode(&it, &b));
        CHECK_MEM_EQ(b.p, b.n, a.p, a.n);
    }
    buf_deinit(&a);
    buf_deinit(&b);
}

TEST(rlp, integer_boundaries)
{
    buf_t b;
    buf_init(&b, 1024);
    static const uint64_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffffffffffffffffull };
    for (size_t i = 0; i < RN_ARRAY_LEN(vals); i++) {
        buf_reset(&b);
        CHECK_OK(rlp_encode_u64(&b, vals[i]));
        CHECK_EQ_U64(b.n, rlp_u64_size(vals[i]));
        rlp_item_t it;
        uint64_t v;
        CHECK_OK(rlp_decode_one(buf_view(&b), &it));
        CHECK_OK(rlp_read_u64(&it, &v));
        CHECK_EQ_U64(v, vals[i]);
    }
    buf_reset(&b);
    CHECK_OK(rlp_encode_u256(&b, u256_max()));
    CHECK_EQ_U64(b.n, 33);
    rlp_item_t it;
    u256_t u;
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK_OK(rlp_read_u256(&it, &u));
    CHECK(u256_eq(u, u256_max()));
    buf_deinit(&b);
}
