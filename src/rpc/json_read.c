/* JSON text → jansson values in one pass over the bytes (requests are parsed once per call, and
 * json_loadb's character stream, string buffer and error bookkeeping cost ~15% of a small
 * request such as eth_getBalance).
 *
 * It accepts exactly what json_loadb(…, JSON_DECODE_ANY) accepts and builds the same values
 * (a differential test and fuzz target check both): RFC 8259 grammar, whitespace = space, tab,
 * CR, LF; strings must be valid UTF-8 without raw control characters, escapes \" \\ \/ \b \f \n
 * \r \t \uXXXX with surrogate pairs (a lone surrogate or \u0000 is an error); numbers without a
 * fraction or exponent are integers (an overflowing one is an error), others reals (an
 * overflowing one is an error); duplicate keys: the last one wins; nesting deeper than 2048 is
 * an error; nothing but whitespace may follow the value. One deliberate difference: a NUL byte
 * anywhere is an error (jansson's stream sometimes reads one as the end of the input). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc_int.h"

enum {
    JSON_READ_MAX_DEPTH = 2048
};

typedef struct reader {
    const uint8_t *p, *end;
    const uint8_t *start;
    buf_t str; /* scratch for strings with escapes */
    const char *err;
} reader_t;

static void skip_ws(reader_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static json_t *fail(reader_t *r, const char *msg)
{
    if (!r->err)
        r->err = msg;
    return NULL;
}

/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid (overlong, surrogate, > U+10FFFF,
 * truncated). */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int hex4(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit((char)p[i]);
        if (d < 0)
            return -1;
        v = (v << 4) | (uint32_t)d;
    }
    *out = v;
    return 0;
}

static err_t put_utf8(buf_t *b, uint32_t cp)
{
    uint8_t t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (uint8_t)(0xc0 | (cp >> 6));
        t[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (uint8_t)(0xe0 | (cp >> 12));
        t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        t[0] = (uint8_t)(0xf0 | (cp >> 18));
        t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        t[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return buf_append(b, t, n);
}

/* A string after its opening quote: *s and *n point at the text (in the input when there are no
 * escapes, else in r->str). */
static bool read_string(reader_t *r, const char **s, size_t *n)
{
    const uint8_t *begin = r->p;
    bool escaped = false;
    /* Fast scan: plain bytes until a quote or backslash. */
    while (r->p < r->end) {
        uint8_t c = *r->p;
        if (c == '"') {
            *s = (const char *)begin;
            *n = (size_t)(r->p - begin);
            r->p++;
            return true;
        }
        if (c == '\\') {
            escaped = true;
            break;
        }
        if (c < 0x20)
            return fail(r, "control character in a string"), false;
        if (c < 0x80) {
            r->p++;
        } else {
            size_t l = utf8_len(r->p, r->end);
            if (!l)
                return fail(r, "invalid UTF-8 in a string"), false;
            r->p += l;
        }
    }
    if (!escaped)
        return fail(r, "unterminated string"), false;
    buf_reset(&r->str);
    if (buf_append(&r->str, begin, (size_t)(r->p - begin)))
        return fail(r, "string too long"), false;
    while (r->p < r->end) {
        uint8_t c = *r->p;
        if (c == '"') {
            r->p++;
            *s = (const char *)r->str.p;
            *n = r->str.n;
            return true;
        }
        err_t e = ERR_OK;
        if (c == '\\') {
            if (r->end - r->p < 2)
                break;
            uint8_t x = r->p[1];
            r->p += 2;
            char one = 0;
            switch (x) {
            case '"':
                one = '"';
                break;
            case '\\':
                one = '\\';
                break;
            case '/':
                one = '/';
                break;
            case 'b':
                one = '\b';
                break;
            case 'f':
                one = '\f';
                break;
            case 'n':
                one = '\n';
                break;
            case 'r':
                one = '\r';
                break;
            case 't':
                one = '\t';
                break;
            case 'u': {
                uint32_t cp;
                if (r->end - r->p < 4 || hex4(r->p, &cp))
                    return fail(r, "invalid \\u escape"), false;
                r->p += 4;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    uint32_t lo;
                    if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
                        hex4(r->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                        return fail(r, "invalid Unicode surrogate pair"), false;
                    r->p += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    return fail(r, "invalid Unicode surrogate"), false;
                } else if (cp == 0) {
                    return fail(r, "\\u0000 is not allowed"), false;
                }
                e = put_utf8(&r->str, cp);
                break;
            }
            default:
                return fail(r, "invalid escape"), false;
            }
            if (one)
                e = buf_push(&r->str, (uint8_t)one);
        } else if (c < 0x20) {
            return fail(r, "control character in a string"), false;
        } else {
            size_t l = c < 0x80 ? 1 : utf8_len(r->p, r->end);
            if (!l)
                return fail(r, "invalid UTF-8 in a string"), false;
            e = buf_append(&r->str, r->p, l);
            r->p += l;
        }
        if (e)
            return fail(r, "string too long"), false;
    }
    return fail(r, "unterminated string"), false;
}

static json_t *read_number(reader_t *r)
{
    const uint8_t *b = r->p;
    bool real = false;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9')
        return fail(r, "invalid number");
    if (*r->p == '0') {
        r->p++;
        if (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            return fail(r, "invalid number (leading zero)");
    } else {
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    if (r->p < r->end && *r->p == '.') {
        real = true;
        r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return fail(r, "invalid number");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        real = true;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return fail(r, "invalid number");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    size_t n = (size_t)(r->p - b);
    char tmp[64];
    char *text = n < sizeof(tmp) ? tmp : rn_malloc(n + 1);
    memcpy(text, b, n);
    text[n] = '\0';
    json_t *v = NULL;
    errno = 0;
    char *endp;
    if (!real) {
        long long x = strtoll(text, &endp, 10);
        if (errno == ERANGE)
            fail(r, "too big integer");
        else
            v = json_integer((json_int_t)x);
    } else {
        double d = strtod(text, &endp);
        if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
            fail(r, "real number overflow");
        else
            v = json_real(d);
    }
    if (text != tmp)
        rn_free(text);
    return v;
}

static bool literal(reader_t *r, const char *word, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->p += n;
    return true;
}

static json_t *read_value(reader_t *r, unsigned depth)
{
    if (depth >= JSON_READ_MAX_DEPTH) /* jansson: every value counts, 2048 levels at most */
        return fail(r, "maximum parsing depth reached");
    skip_ws(r);
    if (r->p >= r->end)
        return fail(r, "unexpected end of input");
    switch (*r->p) {
    case '{': {
        r->p++;
        json_t *o = json_object();
        skip_ws(r);
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return o;
        }
        for (;;) {
            skip_ws(r);
            if (r->p >= r->end || *r->p != '"') {
                json_decref(o);
                return fail(r, "string or '}' expected");
            }
            r->p++;
            const char *k;
            size_t kn;
            if (!read_string(r, &k, &kn)) {
                json_decref(o);
                return NULL;
            }
            /* The key may live in r->str, which the value below reuses: copy it. */
            char small[64];
            char *key = kn < sizeof(small) ? small : rn_malloc(kn + 1);
            memcpy(key, k, kn);
            key[kn] = '\0';
            skip_ws(r);
            json_t *v = NULL;
            if (r->p >= r->end || *r->p != ':')
                fail(r, "':' expected");
            else {
                r->p++;
                v = read_value(r, depth + 1);
            }
            if (v)
                json_object_setn_new_nocheck(o, key, kn, v);
            if (key != small)
                rn_free(key);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == '}') {
                r->p++;
                return o;
            }
            json_decref(o);
            return fail(r, "',' or '}' expected");
        }
    }
    case '[': {
        r->p++;
        json_t *a = json_array();
        skip_ws(r);
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return a;
        }
        for (;;) {
            json_t *v = read_value(r, depth + 1);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == ']') {
                r->p++;
                return a;
            }
            json_decref(a);
            return fail(r, "',' or ']' expected");
        }
    }
    case '"': {
        r->p++;
        const char *s;
        size_t n;
        if (!read_string(r, &s, &n))
            return NULL;
        return json_stringn_nocheck(s, n);
    }
    case 't':
        return literal(r, "true", 4) ? json_true() : fail(r, "invalid token");
    case 'f':
        return literal(r, "false", 5) ? json_false() : fail(r, "invalid token");
    case 'n':
        return literal(r, "null", 4) ? json_null() : fail(r, "invalid token");
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return read_number(r);
        return fail(r, "invalid token");
    }
}

json_t *rpc__json_read(const char *text, size_t n, const char **err, size_t *err_pos)
{
    reader_t r = {
        (const uint8_t *)text, (const uint8_t *)text + n, (const uint8_t *)text, { 0 }, NULL
    };
    buf_init(&r.str, RPC_MAX_BODY_BYTES);
    json_t *v = read_value(&r, 0);
    if (v) {
        skip_ws(&r);
        if (r.p != r.end) {
            json_decref(v);
            v = fail(&r, "end of input expected");
        }
    }
    buf_deinit(&r.str);
    if (!v) {
        if (err)
            *err = r.err ? r.err : "invalid JSON";
        if (err_pos)
            *err_pos = (size_t)(r.p - r.start);
    }
    return v;
}
