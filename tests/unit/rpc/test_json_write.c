/* rpc__json_write against jansson's own json_dumpb (JSON_COMPACT | JSON_ENCODE_ANY): the same
 * text for edge values and for random trees (strings with every control character, quotes,
 * backslashes and multi-byte UTF-8; integers at the limits; reals; deep nesting). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rpc/rpc_int.h"

static void check_same(const json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    CHECK(want != NULL);
    buf_t got;
    buf_init(&got, 1u << 26);
    CHECK_OK(rpc__json_write(&got, v));
    CHECK_MEM_EQ(got.p, got.n, want, strlen(want));
    buf_deinit(&got);
    free(want);
}

static json_t *random_string(void)
{
    static const char *const pieces[] = { "a",  "\"", "\\",   "\n",   "\r", "\t",
                                          "\b", "\f", "\x01", "\x1f", "/",  "é",
                                          "€",  "𝄞",  "0x",   "\x7f", " " };
    char s[64];
    size_t n = 0;
    size_t k = test_rand() % 8;
    for (size_t i = 0; i < k; i++) {
        const char *p = pieces[test_rand() % RN_ARRAY_LEN(pieces)];
        size_t l = strlen(p);
        memcpy(s + n, p, l);
        n += l;
    }
    return json_stringn(s, n);
}

static json_t *random_value(int depth)
{
    switch (depth > 5 ? test_rand() % 6 : test_rand() % 8) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(test_rand() & 1);
    case 2:
        return json_integer((json_int_t)test_rand());
    case 3:
        return json_real((double)(int64_t)test_rand() / (double)(1 + test_rand() % 1000));
    case 4:
    case 5:
        return random_string();
    case 6: {
        json_t *a = json_array();
        for (size_t i = test_rand() % 5; i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (size_t i = test_rand() % 5; i > 0; i--) {
            json_t *k = random_string();
            json_object_set_new(o, json_string_value(k), random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

TEST(json_write, matches_jansson_on_edge_values)
{
    static const char *const docs[] = {
        "null",
        "true",
        "false",
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "1.5",
        "0.1",
        "1e300",
        "-2.5e-300",
        "100.0",
        "\"\"",
        "\"0x00ff\"",
        "\"quote \\\" backslash \\\\ slash / nl \\n tab \\t cr \\r bs \\b ff \\f nul \\u0000 x\"",
        "\"\\u0001\\u001f\\u007f \\u00e9 \\u20ac \\ud834\\udd1e\"",
        "[]",
        "{}",
        "[[],[{}],{\"a\":[]}]",
        "{\"z\":1,\"a\":2,\"m\":{\"y\":null,\"b\":[1,\"2\",3.0]}}",
    };
    for (size_t i = 0; i < RN_ARRAY_LEN(docs); i++) {
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        CHECK(v != NULL);
        check_same(v);
        json_decref(v);
    }
    /* Deep nesting is refused beyond the limit, leaving the buffer as it was. */
    json_t *deep = json_array();
    json_t *cur = deep;
    for (int i = 0; i < 3000; i++) {
        json_t *n = json_array();
        json_array_append_new(cur, n);
        cur = n;
    }
    buf_t b;
    buf_init(&b, 1u << 20);
    CHECK_OK(buf_append(&b, "x", 1));
    CHECK_ERR(ERR_TOO_LARGE, rpc__json_write(&b, deep));
    CHECK_EQ_U64(b.n, 1);
    CHECK_ERR(ERR_INVALID_ARG, rpc__json_write(&b, NULL));
    buf_deinit(&b);
    json_decref(deep);
}

TEST(json_write, matches_jansson_on_random_trees)
{
    for (int i = 0; i < 2000; i++) {
        json_t *v = random_value(0);
        check_same(v);
        json_decref(v);
    }
}

/* The request parser against jansson's: random trees written in several styles (compact,
 * indented, ASCII-escaped), then single-byte mutations of them. */
static void check_parse_same(const char *text, size_t n)
{
    json_error_t jerr;
    json_t *want = json_loadb(text, n, JSON_DECODE_ANY, &jerr);
    const char *why = NULL;
    size_t at = 0;
    json_t *got = rpc__json_read(text, n, &why, &at);
    if ((want == NULL) != (got == NULL))
        fprintf(stderr, "    differ on %zu bytes '%.*s': jansson %s, ours %s\n", n,
                (int)(n < 120 ? n : 120), text, want ? "accepts" : jerr.text,
                got ? "accepts" : why);
    CHECK((want == NULL) == (got == NULL));
    if (want && got)
        CHECK(json_equal(want, got));
    if (!got)
        CHECK(why != NULL && at <= n);
    json_decref(want);
    json_decref(got);
}

TEST(json_read, matches_jansson_on_random_documents_and_mutations)
{
    static const size_t styles[] = { JSON_COMPACT | JSON_ENCODE_ANY,
                                     JSON_INDENT(2) | JSON_ENCODE_ANY,
                                     JSON_ENSURE_ASCII | JSON_ENCODE_ANY | JSON_ESCAPE_SLASH };
    static const char mut[] = "{}[],:\"\\ 0-1.eE+tfnu\x01\x7f\xc3\xa9\xed";
    for (int i = 0; i < 1500; i++) {
        json_t *v = random_value(0);
        char *text = json_dumps(v, styles[test_rand() % 3]);
        CHECK(text != NULL);
        size_t n = strlen(text);
        check_parse_same(text, n);
        for (int m = 0; m < 4 && n; m++) {
            char *t = malloc(n + 1);
            memcpy(t, text, n + 1);
            size_t at = test_rand() % n;
            switch (test_rand() % 3) {
            case 0:
                t[at] = mut[test_rand() % (sizeof(mut) - 1)];
                break;
            case 1:
                memmove(t + at, t + at + 1, n - at);
                break;
            default:
                break;
            }
            check_parse_same(t, strlen(t));
            check_parse_same(t, at); /* truncated */
            free(t);
        }
        free(text);
        json_decref(v);
    }
    static const char *const edge[] = {
        "",
        " ",
        "-",
        "-0",
        "0",
        "01",
        "1.",
        ".5",
        "1e",
        "1e+",
        "2e308",
        "-2e308",
        "1e-400",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83dx\"",
        "\"\\u0000\"",
        "\"\\x\"",
        "\"\t\"",
        "\"\xc0\xaf\"",
        "\"\xf4\x90\x80\x80\"",
        "\"\xe0\x80\x80\"",
        "\"\xef\xbf\xbf\"",
        "tru",
        "nulll",
        "[1 2]",
        "{\"a\":}",
        "{,}",
        "{\"a\":1,}",
        "[]]",
        "{} {}",
        "\"abc",
        "[\"\\",
        "{\"\\u00e9\":1,\"\\u00e9\":2}",
    };
    for (size_t i = 0; i < RN_ARRAY_LEN(edge); i++)
        check_parse_same(edge[i], strlen(edge[i]));
    /* Nesting: both give up at the same depth. */
    for (size_t depth = 2040; depth <= 2052; depth++) {
        char *t = malloc(2 * depth + 1);
        memset(t, '[', depth);
        memset(t + depth, ']', depth);
        t[2 * depth] = 0;
        check_parse_same(t, 2 * depth);
        free(t);
    }
}
