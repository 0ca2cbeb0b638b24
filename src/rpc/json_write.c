/* Compact JSON text of a jansson value straight into a buf_t: one pass, spans of plain string
 * bytes copied whole. Replaces json_dumpb on the response path, which walks the tree twice (size,
 * then text) and emits strings through a callback per escape-free run; responses with many
 * objects (eth_getLogs, blocks with transactions) spent a third of their time there.
 *
 * Output matches json_dumpb(v, JSON_COMPACT | JSON_ENCODE_ANY): keys in insertion order,
 * '"', '\\' and control characters escaped (\b \f \n \r \t, else \u00XX), other bytes as they are
 * (jansson holds valid UTF-8), reals as %.17g with ".0" added when that reads as an integer. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "rpc/rpc_int.h"

enum {
    JSON_WRITE_MAX_DEPTH = 2048
};

/* Which bytes need an escape: control characters, '"' and '\\'. */
static inline bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static err_t write_string(buf_t *out, const char *s, size_t n)
{
    TRY(buf_reserve(out, n + 2));
    out->p[out->n++] = '"';
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape(c))
            continue;
        TRY(buf_append(out, s + start, i - start));
        char esc[8];
        size_t k;
        switch (c) {
        case '"':
            memcpy(esc, "\\\"", k = 2);
            break;
        case '\\':
            memcpy(esc, "\\\\", k = 2);
            break;
        case '\b':
            memcpy(esc, "\\b", k = 2);
            break;
        case '\f':
            memcpy(esc, "\\f", k = 2);
            break;
        case '\n':
            memcpy(esc, "\\n", k = 2);
            break;
        case '\r':
            memcpy(esc, "\\r", k = 2);
            break;
        case '\t':
            memcpy(esc, "\\t", k = 2);
            break;
        default:
            k = (size_t)snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)c);
            break;
        }
        TRY(buf_append(out, esc, k));
        start = i + 1;
    }
    TRY(buf_append(out, s + start, n - start));
    return buf_push(out, '"');
}

static err_t write_value(buf_t *out, const json_t *v, unsigned depth)
{
    if (depth > JSON_WRITE_MAX_DEPTH)
        return ERR_TOO_LARGE;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        TRY(buf_push(out, '{'));
        bool first = true;
        const char *k;
        size_t klen;
        json_t *m;
        json_object_keylen_foreach((json_t *)v, k, klen, m)
        {
            if (!first)
                TRY(buf_push(out, ','));
            first = false;
            TRY(write_string(out, k, klen));
            TRY(buf_push(out, ':'));
            TRY(write_value(out, m, depth + 1));
        }
        return buf_push(out, '}');
    }
    case JSON_ARRAY: {
        TRY(buf_push(out, '['));
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                TRY(buf_push(out, ','));
            TRY(write_value(out, json_array_get(v, i), depth + 1));
        }
        return buf_push(out, ']');
    }
    case JSON_STRING:
        return write_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL: {
        char tmp[40];
        int k = snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
        if (k < 0 || (size_t)k >= sizeof(tmp))
            return ERR_INVALID_ARG;
        /* As jansson: an exponent loses its '+' and leading zeros ("1e+17" → "1e17",
         * "2.5e-05" → "2.5e-5"); a number that would read back as an integer gets ".0". */
        char *e = strchr(tmp, 'e');
        if (e) {
            char *digits = e + 1 + (e[1] == '-' || e[1] == '+');
            char *end = digits;
            while (*end == '0' && end[1])
                end++;
            char *to = e + 1 + (e[1] == '-');
            memmove(to, end, strlen(end) + 1);
        }
        TRY(buf_append(out, tmp, strlen(tmp)));
        if (!strchr(tmp, '.') && !e)
            TRY(buf_append(out, ".0", 2));
        return ERR_OK;
    }
    case JSON_TRUE:
        return buf_append(out, "true", 4);
    case JSON_FALSE:
        return buf_append(out, "false", 5);
    case JSON_NULL:
        return buf_append(out, "null", 4);
    }
    return ERR_INVALID_ARG;
}

err_t rpc__json_write(buf_t *out, const json_t *v)
{
    if (!v)
        return ERR_INVALID_ARG;
    size_t n0 = out->n;
    err_t e = write_value(out, v, 0);
    if (e)
        out->n = n0;
    return e;
}
