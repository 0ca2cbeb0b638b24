/* Conformance: the official RLPTests of ethereum/tests, from ../shared/fixtures.
 *
 * Every *.json under RLPTests/ (recursively) is run. Valid vectors: encode "in" (byte strings,
 * integers, "#decimal" big integers, nested lists) and compare with "out"; decode "out", check it
 * validates, has exactly the shape and values of "in", and re-encodes to the same bytes.
 * "in": "INVALID" vectors must be rejected by rlp_validate (with the specific code where we know
 * it); "in": "VALID" vectors must validate and round-trip. Missing fixtures fail the test. */
#include <dirent.h>
#include <gmp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "rlp/rlp.h"

#define RLPTESTS_DIR "fixtures/ethereum-tests/ethereum-tests/RLPTests"

/* Expected codes of invalidRLPTest.json, by test name (any error is accepted for names not
 * listed, so new upstream vectors still only need to fail). */
static const struct {
    const char *name;
    err_t want;
} g_invalid_codes[] = {
    { "int32Overflow", ERR_RLP_TRUNCATED },
    { "int32Overflow2", ERR_RLP_TRUNCATED },
    { "wrongSizeList", ERR_RLP_NONCANON },
    { "wrongSizeList2", ERR_RLP_NONCANON },
    { "incorrectLengthInArray", ERR_RLP_NONCANON },
    { "randomRLP", ERR_RLP_NONCANON },
    { "bytesShouldBeSingleByte00", ERR_RLP_NONCANON },
    { "bytesShouldBeSingleByte01", ERR_RLP_NONCANON },
    { "bytesShouldBeSingleByte7F", ERR_RLP_NONCANON },
    { "leadingZerosInLongLengthArray1", ERR_RLP_NONCANON },
    { "leadingZerosInLongLengthArray2", ERR_RLP_NONCANON },
    { "leadingZerosInLongLengthList1", ERR_RLP_NONCANON },
    { "leadingZerosInLongLengthList2", ERR_RLP_NONCANON },
    { "nonOptimalLongLengthArray1", ERR_RLP_NONCANON },
    { "nonOptimalLongLengthArray2", ERR_RLP_NONCANON },
    { "nonOptimalLongLengthList1", ERR_RLP_NONCANON },
    { "nonOptimalLongLengthList2", ERR_RLP_NONCANON },
    { "emptyEncoding", ERR_RLP_TRUNCATED },
    { "lessThanShortLengthArray1", ERR_RLP_TRUNCATED },
    { "lessThanShortLengthArray2", ERR_RLP_TRUNCATED },
    { "lessThanShortLengthList1", ERR_RLP_TRUNCATED },
    { "lessThanShortLengthList2", ERR_RLP_TRUNCATED },
    { "lessThanLongLengthArray1", ERR_RLP_TRUNCATED },
    { "lessThanLongLengthArray2", ERR_RLP_TRUNCATED },
    { "lessThanLongLengthList1", ERR_RLP_TRUNCATED },
    { "lessThanLongLengthList2", ERR_RLP_TRUNCATED },
};

/* Big-endian minimal bytes of a "#decimal" string (malloc'd; *n = 0 for zero). NULL if the
 * digits are not a decimal number. */
static uint8_t *bigint_bytes(const char *dec, size_t *n)
{
    mpz_t z;
    if (mpz_init_set_str(z, dec, 10) != 0) {
        mpz_clear(z);
        return NULL;
    }
    *n = 0;
    uint8_t *p = mpz_export(NULL, n, 1, 1, 1, 0, z);
    mpz_clear(z);
    if (!p)
        p = malloc(1); /* zero exports nothing */
    return p;
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
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return ERR_INVALID_ARG;
        return rlp_encode_u64(out, (uint64_t)json_integer_value(v));
    }
    if (!json_is_string(v))
        return ERR_INVALID_ARG;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > 0 && s[0] == '#') {
        size_t bn;
        uint8_t *bytes = bigint_bytes(s + 1, &bn);
        if (!bytes)
            return ERR_INVALID_ARG;
        /* Through the u256 encoder when it fits, as a byte string beyond 256 bits. */
        err_t e = bn <= 32 ? rlp_encode_u256(out, u256_from_be(bytes, bn))
                           : rlp_encode_bytes(out, bytes, bn);
        free(bytes);
        return e;
    }
    return rlp_encode_bytes(out, (const uint8_t *)s, n);
}

/* Does the decoded item equal the JSON value (shape, bytes, integer values)? */
static bool item_matches_json(const rlp_item_t *it, const json_t *v)
{
    if (json_is_array(v)) {
        if (!it->is_list)
            return false;
        size_t count;
        if (rlp_list_count(it, &count) != ERR_OK || count != json_array_size(v))
            return false;
        bview_t cur = it->payload;
        for (size_t i = 0; i < count; i++) {
            rlp_item_t c;
            if (rlp_next(&cur, &c) != ERR_OK || !item_matches_json(&c, json_array_get(v, i)))
                return false;
        }
        return cur.n == 0;
    }
    if (json_is_integer(v)) {
        uint64_t u;
        return rlp_read_u64(it, &u) == ERR_OK && u == (uint64_t)json_integer_value(v);
    }
    if (!json_is_string(v) || it->is_list)
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > 0 && s[0] == '#') {
        size_t bn;
        uint8_t *bytes = bigint_bytes(s + 1, &bn);
        if (!bytes)
            return false;
        bool ok = bview_eq(it->payload, bview(bytes, bn));
        u256_t w;
        err_t e = rlp_read_u256(it, &w);
        if (bn <= 32) {
            uint8_t be[32];
            u256_to_be(be, w);
            ok = ok && e == ERR_OK && memcmp(be + 32 - bn, bytes, bn) == 0 &&
                 u256_byte_length(w) == bn;
        } else {
            ok = ok && e == ERR_RLP_OVERFLOW;
        }
        free(bytes);
        return ok;
    }
    return bview_eq(it->payload, bview(s, n));
}

/* Re-encode a decoded item recursively. */
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

/* Decode `want`, check it validates and re-encodes to itself. */
static bool round_trips(bview_t want, buf_t *scratch)
{
    rlp_item_t it;
    if (rlp_validate(want) != ERR_OK || rlp_decode_one(want, &it) != ERR_OK)
        return false;
    buf_reset(scratch);
    return reencode(&it, scratch) == ERR_OK && bview_eq(buf_view(scratch), want);
}

typedef struct tally {
    int passed, failed, files;
} tally_t;

static void fail_vec(tally_t *t, const char *file, const char *name, const char *why)
{
    harness_fail(__FILE__, __LINE__, "%s/%s: %s", file, name, why);
    t->failed++;
}

static void run_file(const char *path, const char *rel, tally_t *t)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!root || !json_is_object(root) || json_object_size(root) == 0) {
        harness_fail(__FILE__, __LINE__, "cannot load %s: %s", path, root ? "no tests" : jerr.text);
        t->failed++;
        json_decref(root);
        return;
    }
    t->files++;
    const char *name;
    json_t *vec;
    buf_t want, got;
    buf_init(&want, 1 << 24);
    buf_init(&got, 1 << 24);
    json_object_foreach(root, name, vec)
    {
        const json_t *in = json_object_get(vec, "in");
        const char *out = json_string_value(json_object_get(vec, "out"));
        buf_reset(&want);
        if (!in || !out || hex_decode_buf(&want, out, strlen(out)) != ERR_OK) {
            fail_vec(t, rel, name, "malformed vector (no in/out, or bad hex)");
            continue;
        }
        const char *tag = json_is_string(in) ? json_string_value(in) : "";
        if (!strcmp(tag, "INVALID")) {
            err_t e = rlp_validate(buf_view(&want));
            err_t expect = ERR_OK;
            for (size_t i = 0; i < RN_ARRAY_LEN(g_invalid_codes); i++)
                if (!strcmp(name, g_invalid_codes[i].name))
                    expect = g_invalid_codes[i].want;
            if (e == ERR_OK) {
                fail_vec(t, rel, name, "invalid encoding accepted");
            } else if (expect != ERR_OK && e != expect) {
                fprintf(stderr, "    %s/%s: got %s, want %s\n", rel, name, err_name(e),
                        err_name(expect));
                fail_vec(t, rel, name, "wrong error code");
            } else {
                t->passed++;
            }
            continue;
        }
        if (!strcmp(tag, "VALID")) {
            if (round_trips(buf_view(&want), &got))
                t->passed++;
            else
                fail_vec(t, rel, name, "valid encoding rejected or not canonical");
            continue;
        }
        /* A concrete value: encode, compare, decode back. */
        buf_reset(&got);
        err_t e = encode_json(in, &got);
        if (e != ERR_OK || !bview_eq(buf_view(&got), buf_view(&want))) {
            fail_vec(t, rel, name, e ? "cannot encode input" : "encoding differs from out");
            continue;
        }
        rlp_item_t it;
        if (!round_trips(buf_view(&want), &got) || rlp_decode_one(buf_view(&want), &it) != ERR_OK ||
            !item_matches_json(&it, in)) {
            fail_vec(t, rel, name, "decoding out does not give back in");
            continue;
        }
        t->passed++;
    }
    buf_deinit(&want);
    buf_deinit(&got);
    json_decref(root);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every *.json under dir (sorted, recursively); rel is dir's name for messages. */
static void run_dir(const char *dir, const char *rel, tally_t *t)
{
    DIR *d = opendir(dir);
    if (!d) {
        harness_fail(__FILE__, __LINE__, "fixtures missing: cannot open %s", dir);
        t->failed++;
        return;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < RN_ARRAY_LEN(names))
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096], sub[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        snprintf(sub, sizeof(sub), "%s/%s", rel, names[i]);
        size_t len = strlen(names[i]);
        DIR *child = opendir(path);
        if (child) {
            closedir(child);
            run_dir(path, sub, t);
        } else if (len > 5 && !strcmp(names[i] + len - 5, ".json")) {
            run_file(path, sub, t);
        }
        free(names[i]);
    }
}

TEST(rlp, official_rlptests)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", test_shared_path(RLPTESTS_DIR));
    tally_t t = { 0, 0, 0 };
    run_dir(dir, "RLPTests", &t);
    printf("    RLPTests: %d vectors passed, %d failed, %d files\n", t.passed, t.failed, t.files);
    /* rlptest.json, invalidRLPTest.json and RandomRLPTests/example.json at least: a run that
     * finds nothing must not pass. */
    CHECK(t.files >= 3);
    CHECK(t.passed >= 55);
    CHECK_EQ_INT(t.failed, 0);
}
