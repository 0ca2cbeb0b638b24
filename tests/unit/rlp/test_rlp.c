/* Unit tests of src/rlp: Yellow Paper examples, length boundaries, every strictness rejection
 * with its code, typed readers, size helpers, buffer caps, and random trees checked against a
 * small reference encoder written here. The official RLPTests are in test_rlptests.c. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "rlp/rlp.h"

/* Replace b's contents with the bytes of hex text. */
static err_t set_hex(buf_t *b, const char *hex)
{
    buf_reset(b);
    return hex_decode_buf(b, hex, strlen(hex));
}

/* ---- Yellow Paper, appendix B examples ---- */

TEST(rlp, yellow_paper_encode)
{
    buf_t b;
    buf_init(&b, 1 << 16);
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)"dog", 3));
    CHECK_MEM_EQ(b.p, b.n, "\x83\x64\x6f\x67", 4);

    buf_reset(&b);
    size_t m;
    CHECK_OK(rlp_list_begin(&b, &m));
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)"cat", 3));
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)"dog", 3));
    CHECK_OK(rlp_list_end(&b, m));
    CHECK_MEM_EQ(b.p, b.n, "\xc8\x83\x63\x61\x74\x83\x64\x6f\x67", 9);

    /* Empty string, empty list, integers 0, 15, 1024. */
    buf_reset(&b);
    CHECK_OK(rlp_encode_bytes(&b, NULL, 0));
    CHECK_OK(rlp_list_begin(&b, &m));
    CHECK_OK(rlp_list_end(&b, m));
    CHECK_OK(rlp_encode_u64(&b, 0));
    CHECK_OK(rlp_encode_u64(&b, 15));
    CHECK_OK(rlp_encode_u64(&b, 1024));
    CHECK_MEM_EQ(b.p, b.n, "\x80\xc0\x80\x0f\x82\x04\x00", 7);

    /* The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ]. */
    buf_reset(&b);
    size_t m0, m1, m2, m3, m4;
    CHECK_OK(rlp_list_begin(&b, &m0));
    CHECK_OK(rlp_list_begin(&b, &m1));
    CHECK_OK(rlp_list_end(&b, m1));
    CHECK_OK(rlp_list_begin(&b, &m1));
    CHECK_OK(rlp_list_begin(&b, &m2));
    CHECK_OK(rlp_list_end(&b, m2));
    CHECK_OK(rlp_list_end(&b, m1));
    CHECK_OK(rlp_list_begin(&b, &m1));
    CHECK_OK(rlp_list_begin(&b, &m2));
    CHECK_OK(rlp_list_end(&b, m2));
    CHECK_OK(rlp_list_begin(&b, &m3));
    CHECK_OK(rlp_list_begin(&b, &m4));
    CHECK_OK(rlp_list_end(&b, m4));
    CHECK_OK(rlp_list_end(&b, m3));
    CHECK_OK(rlp_list_end(&b, m1));
    CHECK_OK(rlp_list_end(&b, m0));
    CHECK_MEM_EQ(b.p, b.n, "\xc7\xc0\xc1\xc0\xc3\xc0\xc1\xc0", 8);

    /* "Lorem ipsum dolor sit amet, consectetur adipisicing elit" is 56 bytes: long form. */
    static const char lorem[] = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    CHECK_EQ_U64(strlen(lorem), 56);
    buf_reset(&b);
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)lorem, 56));
    CHECK_EQ_U64(b.n, 58);
    CHECK(b.p[0] == 0xb8 && b.p[1] == 0x38);
    CHECK_MEM_EQ(b.p + 2, 56, lorem, 56);
    buf_deinit(&b);
}

TEST(rlp, yellow_paper_decode)
{
    buf_t b;
    buf_init(&b, 1 << 16);
    rlp_item_t it;
    CHECK_OK(set_hex(&b, "83646f67"));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK(!it.is_list);
    CHECK_MEM_EQ(it.payload.p, it.payload.n, "dog", 3);
    CHECK(it.raw.p == b.p && it.raw.n == 4);
    CHECK(it.payload.p == b.p + 1);

    /* ["cat", "dog"]: walk the list with rlp_next. */
    CHECK_OK(set_hex(&b, "c88363617483646f67"));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK(it.is_list);
    CHECK_EQ_U64(it.payload.n, 8);
    bview_t cur = it.payload;
    rlp_item_t c;
    CHECK_OK(rlp_next(&cur, &c));
    CHECK_MEM_EQ(c.payload.p, c.payload.n, "cat", 3);
    CHECK_OK(rlp_next(&cur, &c));
    CHECK_MEM_EQ(c.payload.p, c.payload.n, "dog", 3);
    CHECK_EQ_U64(cur.n, 0);
    CHECK_ERR(ERR_RLP_TRUNCATED, rlp_next(&cur, &c));

    /* Empty string and empty list. */
    CHECK_OK(set_hex(&b, "80"));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK(!it.is_list && it.payload.n == 0);
    CHECK_OK(set_hex(&b, "c0"));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK(it.is_list && it.payload.n == 0);

    /* Integers 0, 15, 1024; a single byte is its own payload. */
    static const struct {
        const char *hex;
        uint64_t v;
    } ints[] = { { "80", 0 }, { "0f", 15 }, { "820400", 1024 } };

    for (size_t i = 0; i < RN_ARRAY_LEN(ints); i++) {
        uint64_t v = 99;
        CHECK_OK(set_hex(&b, ints[i].hex));
        CHECK_OK(rlp_decode_one(buf_view(&b), &it));
        CHECK_OK(rlp_read_u64(&it, &v));
        CHECK_EQ_U64(v, ints[i].v);
    }
    CHECK_OK(set_hex(&b, "0f"));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK(it.payload.p == b.p && it.payload.n == 1 && it.raw.n == 1);

    /* Set-theoretic three: 3 items; the third has 2 items. */
    CHECK_OK(set_hex(&b, "c7c0c1c0c3c0c1c0"));
    CHECK_OK(rlp_validate(buf_view(&b)));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    size_t n = 0;
    CHECK_OK(rlp_list_count(&it, &n));
    CHECK_EQ_U64(n, 3);
    cur = it.payload;
    CHECK_OK(rlp_next(&cur, &c));
    CHECK_OK(rlp_next(&cur, &c));
    CHECK_OK(rlp_next(&cur, &c));
    CHECK_OK(rlp_list_count(&c, &n));
    CHECK_EQ_U64(n, 2);
    buf_deinit(&b);
}

/* ---- length boundaries ---- */

TEST(rlp, string_length_boundaries)
{
    static const size_t lens[] = { 0, 2, 55, 56, 57, 255, 256, 65535, 65536, 1u << 24 };
    uint8_t *data = malloc((1u << 24) + 1);
    CHECK(data != NULL);
    for (size_t i = 0; i < (1u << 24); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    buf_t b;
    buf_init(&b, 1u << 26);
    for (size_t k = 0; k < RN_ARRAY_LEN(lens); k++) {
        size_t n = lens[k];
        buf_reset(&b);
        CHECK_OK(rlp_encode_bytes(&b, data, n));
        /* Expected header, from the definition. */
        uint8_t hdr[9];
        size_t h;
        if (n < 56) {
            hdr[0] = (uint8_t)(0x80 + n);
            h = 1;
        } else {
            size_t ll = n < 256 ? 1 : n < 65536 ? 2 : n < (1u << 24) ? 3 : 4;
            hdr[0] = (uint8_t)(0xb7 + ll);
            for (size_t j = 0; j < ll; j++)
                hdr[1 + j] = (uint8_t)(n >> (8 * (ll - 1 - j)));
            h = 1 + ll;
        }
        CHECK_EQ_U64(b.n, h + n);
        CHECK_MEM_EQ(b.p, h, hdr, h);
        CHECK_EQ_U64(rlp_header_size(n), h);
        CHECK_EQ_U64(rlp_bytes_size(data, n), h + n);
        rlp_item_t it;
        CHECK_OK(rlp_validate(buf_view(&b)));
        CHECK_OK(rlp_decode_one(buf_view(&b), &it));
        CHECK(!it.is_list);
        CHECK_MEM_EQ(it.payload.p, it.payload.n, data, n);
        /* One byte short is truncation, one byte more is trailing. */
        CHECK_ERR(ERR_RLP_TRUNCATED, rlp_decode_one(bview(b.p, b.n - 1), &it));
        CHECK_OK(buf_push(&b, 0));
        CHECK_ERR(ERR_RLP_TRAILING, rlp_decode_one(buf_view(&b), &it));
    }
    /* Single bytes: below 0x80 as themselves, 0x80 and above behind 0x81. */
    for (unsigned v = 0; v < 256; v++) {
        uint8_t x = (uint8_t)v;
        buf_reset(&b);
        CHECK_OK(rlp_encode_bytes(&b, &x, 1));
        if (v < 0x80)
            CHECK_MEM_EQ(b.p, b.n, &x, 1);
        else
            CHECK(b.n == 2 && b.p[0] == 0x81 && b.p[1] == x);
        CHECK_EQ_U64(rlp_bytes_size(&x, 1), b.n);
        CHECK_OK(rlp_validate(buf_view(&b)));
    }
    buf_deinit(&b);
    free(data);
}

/* A list of k single bytes 0x01: payload k bytes. */
static err_t list_of_ones(buf_t *b, size_t k)
{
    size_t m;
    TRY(rlp_list_begin(b, &m));
    for (size_t i = 0; i < k; i++)
        TRY(rlp_encode_u64(b, 1));
    return rlp_list_end(b, m);
}

TEST(rlp, list_length_boundaries)
{
    static const struct {
        size_t k;
        const char *hdr;
    } cases[] = {
        { 0, "c0" },         { 1, "c1" },           { 55, "f7" },
        { 56, "f838" },      { 255, "f8ff" },       { 256, "f90100" },
        { 65535, "f9ffff" }, { 65536, "fa010000" }, { 70000, "fa011170" },
    };

    buf_t b, hdr;
    buf_init(&b, 1 << 20);
    buf_init(&hdr, 16);
    for (size_t i = 0; i < RN_ARRAY_LEN(cases); i++) {
        size_t k = cases[i].k;
        buf_reset(&b);
        CHECK_OK(list_of_ones(&b, k));
        CHECK_OK(set_hex(&hdr, cases[i].hdr));
        CHECK_EQ_U64(b.n, hdr.n + k);
        CHECK_MEM_EQ(b.p, hdr.n, hdr.p, hdr.n);
        for (size_t j = 0; j < k; j++)
            CHECK(b.p[hdr.n + j] == 1);
        CHECK_EQ_U64(rlp_header_size(k), hdr.n);
        rlp_item_t it;
        size_t count = 0;
        CHECK_OK(rlp_validate(buf_view(&b)));
        CHECK_OK(rlp_decode_one(buf_view(&b), &it));
        CHECK(it.is_list);
        CHECK_OK(rlp_list_count(&it, &count));
        CHECK_EQ_U64(count, k);
    }
    buf_deinit(&b);
    buf_deinit(&hdr);
}

/* Lists inside lists where inner and outer cross the 56-byte boundary at different times, built
 * with rlp_list_begin/end and compared with bytes written out by hand. */
TEST(rlp, nested_long_lists)
{
    buf_t b;
    buf_init(&b, 1 << 16);
    uint8_t s60[60];
    memset(s60, 0xaa, sizeof(s60));
    /* [ [ s60 ], "", [ [] ] ]: inner list payload 62 (b8 3c + 60) -> f8 3e; outer payload
     * 64 + 1 + 2 = 67 -> f8 43. */
    size_t m0, m1, m2;
    CHECK_OK(rlp_list_begin(&b, &m0));
    CHECK_OK(rlp_list_begin(&b, &m1));
    CHECK_OK(rlp_encode_bytes(&b, s60, 60));
    CHECK_OK(rlp_list_end(&b, m1));
    CHECK_OK(rlp_encode_bytes(&b, NULL, 0));
    CHECK_OK(rlp_list_begin(&b, &m1));
    CHECK_OK(rlp_list_begin(&b, &m2));
    CHECK_OK(rlp_list_end(&b, m2));
    CHECK_OK(rlp_list_end(&b, m1));
    CHECK_OK(rlp_list_end(&b, m0));
    uint8_t want[2 + 2 + 2 + 60 + 1 + 2];
    size_t w = 0;
    want[w++] = 0xf8;
    want[w++] = 0x43;
    want[w++] = 0xf8;
    want[w++] = 0x3e;
    want[w++] = 0xb8;
    want[w++] = 0x3c;
    memset(want + w, 0xaa, 60);
    w += 60;
    want[w++] = 0x80;
    want[w++] = 0xc1;
    want[w++] = 0xc0;
    CHECK_MEM_EQ(b.p, b.n, want, w);
    CHECK_OK(rlp_validate(buf_view(&b)));

    /* Appending after a finished list, and a list in the middle of other data. */
    buf_reset(&b);
    CHECK_OK(rlp_encode_u64(&b, 5));
    CHECK_OK(rlp_list_begin(&b, &m0));
    CHECK_OK(rlp_encode_u64(&b, 1024));
    CHECK_OK(rlp_list_end(&b, m0));
    CHECK_OK(rlp_encode_raw(&b, (const uint8_t *)"\xc0", 1));
    CHECK_MEM_EQ(b.p, b.n, "\x05\xc3\x82\x04\x00\xc0", 6);
    buf_deinit(&b);
}

/* ---- strictness ---- */

static const struct {
    const char *hex;
    err_t want; /* from rlp_next / rlp_decode_one / rlp_validate alike */
} g_bad_top[] = {
    { "", ERR_RLP_TRUNCATED },
    { "81", ERR_RLP_TRUNCATED },
    { "b7", ERR_RLP_TRUNCATED },
    { "a0000102", ERR_RLP_TRUNCATED },
    { "c1", ERR_RLP_TRUNCATED },
    { "c4010203", ERR_RLP_TRUNCATED },
    { "b8", ERR_RLP_TRUNCATED },   /* missing length byte */
    { "b9ff", ERR_RLP_TRUNCATED }, /* one of two length bytes */
    { "f9", ERR_RLP_TRUNCATED },
    { "b838aa", ERR_RLP_TRUNCATED }, /* 56 declared, 1 present */
    { "f90180", ERR_RLP_TRUNCATED },
    { "8100", ERR_RLP_NONCANON }, /* single byte < 0x80 wrapped */
    { "8101", ERR_RLP_NONCANON },
    { "817f", ERR_RLP_NONCANON },
    { "b800", ERR_RLP_NONCANON }, /* leading zero length byte */
    { "b90038"
      "00",
      ERR_RLP_NONCANON }, /* leading zero before a valid long length */
    { "f800", ERR_RLP_NONCANON },
    { "fb00000040", ERR_RLP_NONCANON },
    { "b801ff", ERR_RLP_NONCANON }, /* long form for a short payload */
    { "b837", ERR_RLP_NONCANON },   /* 55 in long form: the largest short payload */
    { "f80180", ERR_RLP_NONCANON }, /* list: long form for 1 byte */
    { "f837", ERR_RLP_NONCANON },
    { "c3010203ff", ERR_RLP_TRAILING }, /* trailing byte */
    { "8000", ERR_RLP_TRAILING },
    { "0000", ERR_RLP_TRAILING },
    { "c0c0", ERR_RLP_TRAILING },
};

TEST(rlp, rejects_noncanonical_at_top)
{
    buf_t b;
    buf_init(&b, 1 << 16);
    for (size_t i = 0; i < RN_ARRAY_LEN(g_bad_top); i++) {
        CHECK_OK(set_hex(&b, g_bad_top[i].hex));
        err_t want = g_bad_top[i].want;
        err_t e = rlp_validate(buf_view(&b));
        if (e != want)
            harness_fail(__FILE__, __LINE__, "rlp_validate(%s) = %s, want %s", g_bad_top[i].hex,
                         err_name(e), err_name(want));
        rlp_item_t sentinel = { .payload = bview("x", 1), .raw = bview("y", 1), .is_list = true };
        rlp_item_t it = sentinel;
        e = rlp_decode_one(buf_view(&b), &it);
        if (e != want)
            harness_fail(__FILE__, __LINE__, "rlp_decode_one(%s) = %s, want %s", g_bad_top[i].hex,
                         err_name(e), err_name(want));
        CHECK(memcmp(&it, &sentinel, sizeof(it)) == 0); /* unchanged on error */
        /* rlp_next: same header errors; the cursor stays put. */
        bview_t cur = buf_view(&b);
        e = rlp_next(&cur, &it);
        if (want == ERR_RLP_TRAILING) {
            CHECK_OK(e);
            CHECK(cur.n > 0);
        } else {
            CHECK_ERR(want, e);
            CHECK(cur.p == b.p && cur.n == b.n);
            CHECK(memcmp(&it, &sentinel, sizeof(it)) == 0);
        }
    }
    buf_deinit(&b);
}

/* Errors hidden inside a well-formed outer list: rlp_decode_one does not descend, rlp_validate
 * must find them. */
TEST(rlp, rejects_noncanonical_inside_lists)
{
    static const struct {
        const char *hex;
        err_t want;
    } bad[] = {
        { "c28100", ERR_RLP_NONCANON },
        { "c3c28100", ERR_RLP_NONCANON },
        { "c3b801ff", ERR_RLP_NONCANON },
        { "c2b800", ERR_RLP_NONCANON },
        { "c3f80180", ERR_RLP_NONCANON },
        { "c2c3", ERR_RLP_TRUNCATED },     /* inner item overruns its list */
        { "c383646f", ERR_RLP_TRUNCATED }, /* "dog" needs 4 bytes, the list gives 3 */
        { "c2c1c0c0", ERR_RLP_TRAILING },  /* at the top level it is trailing */
        { "c2c3c0", ERR_RLP_TRUNCATED },
        { "c58100c0c0c0", ERR_RLP_NONCANON },
        { "c6c0c0c0c0c08100", ERR_RLP_TRAILING }, /* trailing wins: top level is checked first */
    };

    buf_t b;
    buf_init(&b, 1 << 16);
    for (size_t i = 0; i < RN_ARRAY_LEN(bad); i++) {
        CHECK_OK(set_hex(&b, bad[i].hex));
        err_t e = rlp_validate(buf_view(&b));
        if (e != bad[i].want)
            harness_fail(__FILE__, __LINE__, "rlp_validate(%s) = %s, want %s", bad[i].hex,
                         err_name(e), err_name(bad[i].want));
    }
    /* rlp_list_count checks the top level of the payload only. */
    rlp_item_t it;
    size_t n = 77;
    CHECK_OK(set_hex(&b, "c3c28100"));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK_OK(rlp_list_count(&it, &n));
    CHECK_EQ_U64(n, 1);
    CHECK_OK(set_hex(&b, "c3018100"));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    n = 77;
    CHECK_ERR(ERR_RLP_NONCANON, rlp_list_count(&it, &n));
    CHECK_EQ_U64(n, 77);
    CHECK_OK(set_hex(&b, "83646f67"));
    CHECK_OK(rlp_decode_one(buf_view(&b), &it));
    CHECK_ERR(ERR_RLP_EXPECTED_LIST, rlp_list_count(&it, &n));
    buf_deinit(&b);
}

/* Declared lengths up to 2^64 - 1: rejected as truncation without overflowing pointer or size
 * arithmetic (ASan/UBSan builds check the "without"). */
TEST(rlp, rejects_huge_lengths)
{
    static const char *const huge[] = {
        "bfffffffffffffffff",     "ffffffffffffffffff",
        "bf0f000000000000021111", "ff0f000000000000021111",
        "bf8000000000000000",     "fb7fffffff00",
        "ba010000aabbccddeeff",   "ffffffffffffffffff0001020304050607",
        "c9bfffffffffffffffff", /* inside a list: the list ends first */
    };
    buf_t b;
    buf_init(&b, 1 << 16);
    for (size_t i = 0; i < RN_ARRAY_LEN(huge); i++) {
        CHECK_OK(set_hex(&b, huge[i]));
        rlp_item_t it;
        CHECK_ERR(ERR_RLP_TRUNCATED, rlp_validate(buf_view(&b)));
        if (i + 1 < RN_ARRAY_LEN(huge))
            CHECK_ERR(ERR_RLP_TRUNCATED, rlp_decode_one(buf_view(&b), &it));
    }
    /* A huge length inside an outer list that really is that long is still truncation, coming
     * from the inner item. */
    CHECK_OK(set_hex(&b, "ca"
                         "bfffffffffffffffff"
                         "00"));
    CHECK_ERR(ERR_RLP_TRUNCATED, rlp_validate(buf_view(&b)));
    buf_deinit(&b);
}

/* Nested lists: [[[...]]] with `depth` lists, innermost empty. */
static err_t nest(buf_t *b, size_t depth)
{
    if (depth == 0)
        return ERR_OK;
    size_t m;
    TRY(rlp_list_begin(b, &m));
    TRY(nest(b, depth - 1));
    return rlp_list_end(b, m);
}

TEST(rlp, depth_limit)
{
    buf_t b;
    buf_init(&b, 1 << 20);
    CHECK_OK(nest(&b, RLP_MAX_DEPTH));
    CHECK_OK(rlp_validate(buf_view(&b)));
    buf_reset(&b);
    CHECK_OK(nest(&b, RLP_MAX_DEPTH + 1));
    CHECK_ERR(ERR_RLP_TOO_DEEP, rlp_validate(buf_view(&b)));
    /* A deep list that is not the first item of its parent, with a string at the bottom. */
    buf_reset(&b);
    size_t m;
    CHECK_OK(rlp_list_begin(&b, &m));
    CHECK_OK(rlp_encode_u64(&b, 7));
    size_t marks[RLP_MAX_DEPTH];
    for (size_t i = 0; i < RLP_MAX_DEPTH; i++)
        CHECK_OK(rlp_list_begin(&b, &marks[i]));
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)"x", 1));
    for (size_t i = RLP_MAX_DEPTH; i-- > 0;)
        CHECK_OK(rlp_list_end(&b, marks[i]));
    CHECK_OK(rlp_list_end(&b, m));
    CHECK_ERR(ERR_RLP_TOO_DEEP, rlp_validate(buf_view(&b)));
    /* Hostile nesting: 100000 opening headers of a chain of long-form lists. Checked without
     * using stack proportional to the depth. */
    buf_reset(&b);
    const size_t deep = 100000;
    for (size_t i = 0; i < deep; i++) {
        size_t payload = (deep - 1 - i) * 4;
        uint8_t hdr[4] = { 0xfa, (uint8_t)(payload >> 16), (uint8_t)(payload >> 8),
                           (uint8_t)payload };
        CHECK_OK(buf_append(&b, hdr, 4));
    }
    b.p[(deep - 1) * 4] = 0xc0; /* innermost: an empty list (never reached) */
    CHECK_ERR(ERR_RLP_TOO_DEEP, rlp_validate(buf_view(&b)));
    buf_deinit(&b);
}

/* ---- typed readers ---- */

/* Decode hex into b and read one top-level item. */
static err_t item_of(buf_t *b, const char *hex, rlp_item_t *it)
{
    TRY(set_hex(b, hex));
    return rlp_decode_one(buf_view(b), it);
}

TEST(rlp, u64_reader_and_encoder)
{
    static const uint64_t vals[] = {
        0,
        1,
        0x7f,
        0x80,
        0xff,
        0x100,
        0xffff,
        0x10000,
        0xffffffff,
        0x100000000ull,
        1ull << 55,
        (1ull << 56) - 1,
        1ull << 56,
        1ull << 63,
        0xffffffffffffffffull,
    };
    buf_t b;
    buf_init(&b, 1024);
    for (size_t i = 0; i < RN_ARRAY_LEN(vals); i++) {
        uint64_t v = vals[i];
        buf_reset(&b);
        CHECK_OK(rlp_encode_u64(&b, v));
        CHECK_EQ_U64(b.n, rlp_u64_size(v));
        /* Expected: the minimal big-endian bytes, behind 0x80 + len unless a single byte < 0x80. */
        uint8_t be[8];
        size_t n = 0;
        for (uint64_t t = v; t; t >>= 8)
            n++;
        for (size_t j = 0; j < n; j++)
            be[j] = (uint8_t)(v >> (8 * (n - 1 - j)));
        if (n == 1 && v < 0x80) {
            CHECK(b.n == 1 && b.p[0] == v);
        } else {
            CHECK_EQ_U64(b.n, 1 + n);
            CHECK_EQ_U64(b.p[0], 0x80 + n);
            CHECK_MEM_EQ(b.p + 1, n, be, n);
        }
        rlp_item_t it;
        uint64_t got = 12345;
        u256_t g256;
        CHECK_OK(rlp_decode_one(buf_view(&b), &it));
        CHECK_OK(rlp_read_u64(&it, &got));
        CHECK_EQ_U64(got, v);
        CHECK_OK(rlp_read_u256(&it, &g256));
        CHECK(u256_eq(g256, u256_from_u64(v)));
        /* The same value through the u256 encoder gives the same bytes. */
        buf_t b2;
        buf_init(&b2, 64);
        CHECK_OK(rlp_encode_u256(&b2, u256_from_u64(v)));
        CHECK_MEM_EQ(b2.p, b2.n, b.p, b.n);
        CHECK_EQ_U64(rlp_u256_size(u256_from_u64(v)), b.n);
        buf_deinit(&b2);
    }

    rlp_item_t it;
    uint64_t v = 42;
    CHECK_OK(item_of(&b, "00", &it)); /* zero must be 0x80 */
    CHECK_ERR(ERR_RLP_LEADING_ZERO, rlp_read_u64(&it, &v));
    CHECK_OK(item_of(&b, "820001", &it));
    CHECK_ERR(ERR_RLP_LEADING_ZERO, rlp_read_u64(&it, &v));
    CHECK_OK(item_of(&b, "880000000000000001", &it));
    CHECK_ERR(ERR_RLP_LEADING_ZERO, rlp_read_u64(&it, &v));
    CHECK_OK(item_of(&b, "89000000000000000001", &it)); /* leading zero reported first */
    CHECK_ERR(ERR_RLP_LEADING_ZERO, rlp_read_u64(&it, &v));
    CHECK_OK(item_of(&b, "89010000000000000000", &it)); /* 2^64 */
    CHECK_ERR(ERR_RLP_OVERFLOW, rlp_read_u64(&it, &v));
    CHECK_OK(item_of(&b, "c0", &it));
    CHECK_ERR(ERR_RLP_EXPECTED_BYTES, rlp_read_u64(&it, &v));
    CHECK_OK(item_of(&b, "c180", &it));
    CHECK_ERR(ERR_RLP_EXPECTED_BYTES, rlp_read_u64(&it, &v));
    CHECK_EQ_U64(v, 42); /* unchanged by every failure */
    buf_deinit(&b);
}

TEST(rlp, u256_reader_and_encoder)
{
    buf_t b;
    buf_init(&b, 1024);
    /* 2^k for every k, and 2^k - 1: byte lengths 0..32 and both sides of 0x80. */
    for (unsigned k = 0; k <= 256; k++) {
        u256_t p2 = k < 256 ? u256_shl_n(u256_from_u64(1), k) : u256_zero();
        u256_t vals[2] = { p2, u256_sub(p2, u256_from_u64(1)) }; /* 2^256 - 1 for k = 256 */
        for (size_t j = 0; j < 2; j++) {
            if (k == 256 && j == 0)
                continue;
            u256_t v = vals[j];
            buf_reset(&b);
            CHECK_OK(rlp_encode_u256(&b, v));
            size_t n = u256_byte_length(v);
            CHECK_EQ_U64(b.n, rlp_u256_size(v));
            uint8_t be[32];
            u256_to_be(be, v);
            if (n == 1 && be[31] < 0x80) {
                CHECK(b.n == 1 && b.p[0] == be[31]);
            } else {
                CHECK_EQ_U64(b.n, 1 + n);
                CHECK_EQ_U64(b.p[0], 0x80 + n);
                CHECK_MEM_EQ(b.p + 1, n, be + 32 - n, n);
            }
            rlp_item_t it;
            u256_t got;
            CHECK_OK(rlp_decode_one(buf_view(&b), &it));
            CHECK_OK(rlp_read_u256(&it, &got));
            CHECK(u256_eq(got, v));
            uint64_t u = 0;
            err_t e = rlp_read_u64(&it, &u);
            if (n <= 8) {
                CHECK_OK(e);
                CHECK_EQ_U64(u, v.w[0]);
            } else {
                CHECK_ERR(ERR_RLP_OVERFLOW, e);
            }
        }
    }
    rlp_item_t it;
    u256_t got = u256_from_u64(9);
    CHECK_OK(item_of(&b,
                     "a101"
                     "0000000000000000000000000000000000000000000000000000000000000000",
                     &it)); /* 2^256: 33 bytes */
    CHECK_ERR(ERR_RLP_OVERFLOW, rlp_read_u256(&it, &got));
    CHECK_OK(item_of(&b,
                     "a100"
                     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                     &it));
    CHECK_ERR(ERR_RLP_LEADING_ZERO, rlp_read_u256(&it, &got));
    CHECK_OK(item_of(&b, "8200ff", &it));
    CHECK_ERR(ERR_RLP_LEADING_ZERO, rlp_read_u256(&it, &got));
    CHECK_OK(item_of(&b, "c0", &it));
    CHECK_ERR(ERR_RLP_EXPECTED_BYTES, rlp_read_u256(&it, &got));
    CHECK(u256_eq(got, u256_from_u64(9)));
    buf_deinit(&b);
}

TEST(rlp, fixed_size_readers)
{
    buf_t b;
    buf_init(&b, 1024);
    addr_t a, a2;
    hash_t h, h2;
    for (size_t i = 0; i < 20; i++)
        a.b[i] = (uint8_t)(i + 1);
    for (size_t i = 0; i < 32; i++)
        h.b[i] = (uint8_t)(0xff - i);
    CHECK_OK(rlp_encode_addr(&b, &a));
    CHECK_OK(rlp_encode_hash(&b, &h));
    CHECK_EQ_U64(b.n, 21 + 33);
    CHECK(b.p[0] == 0x94 && b.p[21] == 0xa0);
    bview_t cur = buf_view(&b);
    rlp_item_t ia, ih;
    CHECK_OK(rlp_next(&cur, &ia));
    CHECK_OK(rlp_next(&cur, &ih));
    CHECK_OK(rlp_read_addr(&ia, &a2));
    CHECK(addr_eq(&a, &a2));
    CHECK_OK(rlp_read_hash(&ih, &h2));
    CHECK(hash_eq(&h, &h2));
    CHECK_ERR(ERR_RLP_BAD_SIZE, rlp_read_addr(&ih, &a2));
    CHECK_ERR(ERR_RLP_BAD_SIZE, rlp_read_hash(&ia, &h2));
    /* An all-zero address keeps its zeros: fixed fields are not integers. */
    memset(&a, 0, sizeof(a));
    buf_reset(&b);
    CHECK_OK(rlp_encode_addr(&b, &a));
    CHECK_OK(rlp_decode_one(buf_view(&b), &ia));
    CHECK_OK(rlp_read_addr(&ia, &a2));
    CHECK(addr_eq(&a, &a2));
    /* Empty fixed field, lists, single byte. */
    rlp_item_t it;
    uint8_t one = 0;
    CHECK_OK(item_of(&b, "80", &it));
    CHECK_OK(rlp_read_fixed(&it, NULL, 0));
    CHECK_ERR(ERR_RLP_BAD_SIZE, rlp_read_fixed(&it, &one, 1));
    CHECK_OK(item_of(&b, "7f", &it));
    CHECK_OK(rlp_read_fixed(&it, &one, 1));
    CHECK_EQ_U64(one, 0x7f);
    CHECK_OK(item_of(&b, "c0", &it));
    CHECK_ERR(ERR_RLP_EXPECTED_BYTES, rlp_read_fixed(&it, NULL, 0));
    CHECK_ERR(ERR_RLP_EXPECTED_BYTES, rlp_read_addr(&it, &a2));
    CHECK_ERR(ERR_RLP_EXPECTED_BYTES, rlp_read_hash(&it, &h2));
    buf_deinit(&b);
}

/* ---- buffer caps ---- */

TEST(rlp, encoders_respect_the_buffer_cap)
{
    buf_t b;
    buf_init(&b, 3);
    CHECK_ERR(ERR_TOO_LARGE, rlp_encode_bytes(&b, (const uint8_t *)"dog", 3));
    CHECK(b.n == 0 && b.p == NULL);
    buf_init(&b, 4);
    CHECK_OK(rlp_encode_bytes(&b, (const uint8_t *)"dog", 3));
    CHECK_EQ_U64(b.n, 4);
    buf_deinit(&b);

    /* A list whose payload fits but whose long header does not. */
    buf_init(&b, 57);
    size_t m;
    uint8_t s[55] = { 0 };
    CHECK_OK(rlp_list_begin(&b, &m));
    CHECK_OK(rlp_encode_bytes(&b, s, 55)); /* payload b7 + 55 = 56 bytes: 2-byte header, 58 */
    CHECK_ERR(ERR_TOO_LARGE, rlp_list_end(&b, m));
    CHECK_EQ_U64(b.n, 0);
    CHECK_ERR(ERR_INVALID_ARG, rlp_list_end(&b, m)); /* mark past the emptied buffer */
    buf_init(&b, 58);
    CHECK_OK(rlp_list_begin(&b, &m));
    CHECK_OK(rlp_encode_bytes(&b, s, 55));
    CHECK_OK(rlp_list_end(&b, m));
    CHECK_EQ_U64(b.n, 58);
    CHECK(b.p[0] == 0xf8 && b.p[1] == 56 && b.p[2] == 0xb7);
    CHECK_OK(rlp_validate(buf_view(&b)));
    buf_deinit(&b);

    /* Begin itself needs a byte. */
    buf_init(&b, 0);
    CHECK_ERR(ERR_TOO_LARGE, rlp_list_begin(&b, &m));
    CHECK_ERR(ERR_TOO_LARGE, rlp_encode_u64(&b, 0));
    buf_deinit(&b);
}

/* ---- random trees against a reference encoder ---- */

typedef struct tnode {
    bool is_list;
    size_t n;           /* bytes of a string, children of a list */
    uint8_t *bytes;     /* string */
    struct tnode *kids; /* list */
} tnode_t;

static void tree_free(tnode_t *t)
{
    if (t->is_list) {
        for (size_t i = 0; i < t->n; i++)
            tree_free(&t->kids[i]);
        free(t->kids);
    } else {
        free(t->bytes);
    }
}

static void tree_gen(tnode_t *t, int depth)
{
    uint64_t r = test_rand() % 16;
    memset(t, 0, sizeof(*t));
    if (depth < 6 && r < 5) {
        t->is_list = true;
        /* Mostly short lists, sometimes long enough to need a long-form header. */
        t->n = (size_t)(test_rand() % (r == 0 ? 40 : 6));
        t->kids = calloc(t->n ? t->n : 1, sizeof(tnode_t));
        for (size_t i = 0; i < t->n; i++)
            tree_gen(&t->kids[i], depth + 1);
        return;
    }
    static const size_t lens[] = { 0, 1, 1, 1, 2, 20, 32, 55, 56, 57, 300 };
    t->n = r < 12 ? lens[test_rand() % RN_ARRAY_LEN(lens)] : (size_t)(test_rand() % 1100);
    t->bytes = malloc(t->n ? t->n : 1);
    test_rand_bytes(t->bytes, t->n);
    if (t->n == 1 && test_rand() % 2)
        t->bytes[0] &= 0x7f; /* both sides of the single-byte rule */
}

/* Reference encoding straight from the definition, written independently of src/rlp:
 * payload first, then the header computed from its length. */
static void ref_header(buf_t *out, size_t len, unsigned base)
{
    if (len < 56) {
        ENSURE(buf_push(out, (uint8_t)(base + len)) == ERR_OK);
        return;
    }
    uint8_t be[8];
    size_t k = 0;
    for (size_t t = len; t; t >>= 8)
        be[7 - k++] = (uint8_t)t;
    ENSURE(buf_push(out, (uint8_t)(base + 55 + k)) == ERR_OK);
    ENSURE(buf_append(out, be + 8 - k, k) == ERR_OK);
}

static void ref_encode(const tnode_t *t, buf_t *out)
{
    if (!t->is_list) {
        if (t->n == 1 && t->bytes[0] < 0x80) {
            ENSURE(buf_push(out, t->bytes[0]) == ERR_OK);
            return;
        }
        ref_header(out, t->n, 0x80);
        ENSURE(buf_append(out, t->bytes, t->n) == ERR_OK);
        return;
    }
    buf_t payload;
    buf_init(&payload, 1u << 30);
    for (size_t i = 0; i < t->n; i++)
        ref_encode(&t->kids[i], &payload);
    ref_header(out, payload.n, 0xc0);
    ENSURE(buf_append(out, payload.p, payload.n) == ERR_OK);
    buf_deinit(&payload);
}

static err_t rlp_encode_tree(const tnode_t *t, buf_t *out)
{
    if (!t->is_list)
        return rlp_encode_bytes(out, t->bytes, t->n);
    size_t m;
    TRY(rlp_list_begin(out, &m));
    for (size_t i = 0; i < t->n; i++)
        TRY(rlp_encode_tree(&t->kids[i], out));
    return rlp_list_end(out, m);
}

/* Does the decoded item have exactly the shape and bytes of t? */
static bool tree_matches(const tnode_t *t, const rlp_item_t *it)
{
    if (t->is_list != it->is_list)
        return false;
    if (!t->is_list)
        return bview_eq(it->payload, bview(t->bytes, t->n));
    bview_t cur = it->payload;
    for (size_t i = 0; i < t->n; i++) {
        rlp_item_t c;
        if (rlp_next(&cur, &c) != ERR_OK || !tree_matches(&t->kids[i], &c))
            return false;
    }
    return cur.n == 0;
}

TEST(rlp, random_trees_match_reference)
{
    buf_t mine, ref;
    buf_init(&mine, 1u << 30);
    buf_init(&ref, 1u << 30);
    for (int i = 0; i < 3000; i++) {
        tnode_t t;
        tree_gen(&t, 0);
        buf_reset(&mine);
        buf_reset(&ref);
        CHECK_OK(rlp_encode_tree(&t, &mine));
        ref_encode(&t, &ref);
        CHECK_MEM_EQ(mine.p, mine.n, ref.p, ref.n);
        CHECK_OK(rlp_validate(buf_view(&mine)));
        rlp_item_t it;
        CHECK_OK(rlp_decode_one(buf_view(&mine), &it));
        CHECK(tree_matches(&t, &it));
        if (t.is_list) {
            size_t count = 0;
            CHECK_OK(rlp_list_count(&it, &count));
            CHECK_EQ_U64(count, t.n);
        }
        tree_free(&t);
    }
    buf_deinit(&mine);
    buf_deinit(&ref);
}

/* Re-encode a decoded item (used on mutated inputs). */
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

/* Strictness as a property: flip, insert, delete or truncate bytes of valid encodings; whatever
 * still validates must be the unique canonical encoding of what it decodes to. */
TEST(rlp, mutations_are_rejected_or_canonical)
{
    buf_t a, b;
    buf_init(&a, 1u << 30);
    buf_init(&b, 1u << 30);
    size_t accepted = 0, rejected = 0;
    for (int i = 0; i < 3000; i++) {
        tnode_t t;
        tree_gen(&t, 0);
        buf_reset(&a);
        CHECK_OK(rlp_encode_tree(&t, &a));
        tree_free(&t);
        size_t muts = 1 + (size_t)(test_rand() % 3);
        for (size_t k = 0; k < muts && a.n > 0; k++) {
            size_t pos = (size_t)(test_rand() % a.n);
            switch (test_rand() % 4) {
            case 0:
                a.p[pos] ^= (uint8_t)(1u << (test_rand() % 8));
                break;
            case 1:
                a.p[pos] = (uint8_t)test_rand();
                break;
            case 2:
                a.n = pos; /* truncate */
                break;
            default:
                memmove(a.p + pos, a.p + pos + 1, a.n - pos - 1); /* delete one byte */
                a.n--;
                break;
            }
        }
        if (rlp_validate(buf_view(&a)) != ERR_OK) {
            rejected++;
            continue;
        }
        accepted++;
        rlp_item_t it;
        CHECK_OK(rlp_decode_one(buf_view(&a), &it));
        buf_reset(&b);
        CHECK_OK(reencode(&it, &b));
        CHECK_MEM_EQ(b.p, b.n, a.p, a.n);
    }
    CHECK(accepted > 0 && rejected > 0);
    buf_deinit(&a);
    buf_deinit(&b);
}
