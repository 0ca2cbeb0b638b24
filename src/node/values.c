/* Pure parsers for flag values, and node__apply, which stores a parsed value in the config
 * field the flag table names. Each rejection gets a reason phrase for the user. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "node/node.h"
#include "node/node_int.h"
#include "rpc/rpc.h"

void node__diag(char *diag, size_t diag_len, const char *fmt, ...)
{
    if (!diag || !diag_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag, diag_len, fmt, ap);
    va_end(ap);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
    }
    return true;
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (hex_digit(s[i]) < 0)
            return false;
    }
    return true;
}

/* Decimal s[0..n) <= max. */
static err_t dec_n(const char *s, size_t n, uint64_t max, uint64_t *out, char *why, size_t wl)
{
    if (n == 0) {
        node__diag(why, wl, "expected a number");
        return ERR_NUM_INVALID;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            node__diag(why, wl, "invalid digit found in string (expected a decimal number)");
            return ERR_NUM_INVALID;
        }
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            node__diag(why, wl, "number too large (at most %" PRIu64 ")", max);
            return ERR_NUM_OVERFLOW;
        }
        v = v * 10 + d;
    }
    if (v > max) {
        node__diag(why, wl, "number too large (at most %" PRIu64 ")", max);
        return ERR_NUM_OVERFLOW;
    }
    *out = v;
    return ERR_OK;
}

err_t node__parse_bool(const char *s, bool *out, char *why, size_t why_len)
{
    if (strcmp(s, "true") == 0) {
        *out = true;
        return ERR_OK;
    }
    if (strcmp(s, "false") == 0) {
        *out = false;
        return ERR_OK;
    }
    node__diag(why, why_len, "expected true or false");
    return ERR_INVALID_ARG;
}

err_t node__parse_u64(const char *s, uint64_t max, uint64_t *out, char *why, size_t why_len)
{
    return dec_n(s, strlen(s), max, out, why, why_len);
}

err_t node__parse_ms(const char *s, uint64_t *out, char *why, size_t why_len)
{
    size_t n = strlen(s);
    uint64_t mul = 1;
    if (n > 2 && strcmp(s + n - 2, "ms") == 0) {
        n -= 2;
    } else if (n > 1 && s[n - 1] == 's') {
        n -= 1;
        mul = 1000;
    }
    uint64_t v;
    err_t e = dec_n(s, n, UINT64_MAX / mul, &v, why, why_len);
    if (e == ERR_NUM_INVALID)
        node__diag(why, why_len, "expected milliseconds (e.g. 1000, 1000ms or 1s)");
    if (e)
        return e;
    *out = v * mul;
    return ERR_OK;
}

err_t node__parse_secs(const char *s, uint64_t *out, char *why, size_t why_len)
{
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == 's')
        n--;
    err_t e = dec_n(s, n, UINT64_MAX, out, why, why_len);
    if (e == ERR_NUM_INVALID)
        node__diag(why, why_len, "expected seconds (e.g. 60 or 60s)");
    return e;
}

err_t node__parse_address(const char *s, addr_t *out, char *why, size_t why_len)
{
    size_t n = strlen(s);
    const char *h = hex_skip_prefix(s, &n);
    if (n != 40) {
        node__diag(why, why_len,
                   "expected an address: 40 hex digits with an optional 0x prefix, got %zu "
                   "characters",
                   n);
        return ERR_INVALID_ARG;
    }
    if (!all_hex(h, n)) {
        node__diag(why, why_len, "an address may only contain hex digits after the 0x prefix");
        return ERR_INVALID_ARG;
    }
    addr_t a;
    if (addr_from_hex(&a, h, n) != ERR_OK) {
        node__diag(why, why_len, "not a valid hex address");
        return ERR_INVALID_ARG;
    }
    bool lower = false, upper = false;
    for (size_t i = 0; i < n; i++) {
        lower |= h[i] >= 'a' && h[i] <= 'f';
        upper |= h[i] >= 'A' && h[i] <= 'F';
    }
    if (lower && upper) {
        /* EIP-55: mixed case carries a checksum; a mismatch means a typo somewhere. */
        char sum[43];
        addr_to_checksum_hex(sum, &a);
        if (memcmp(sum + 2, h, 40) != 0) {
            node__diag(why, why_len,
                       "bad EIP-55 checksum (mixed-case address with a typo?); check the address "
                       "or write it all in lowercase");
            return ERR_INVALID_ARG;
        }
    }
    *out = a;
    return ERR_OK;
}

err_t node__parse_inclusion_mode(const char *s, node_inclusion_mode_t *out, char *why,
                                 size_t why_len)
{
    static const struct {
        const char *prefix;
        node_inclusion_kind_t kind;
    } forms[] = { { "finalized:", NODE_INCLUSION_FINALIZED }, { "depth:", NODE_INCLUSION_DEPTH } };

    for (size_t i = 0; i < RN_ARRAY_LEN(forms); i++) {
        size_t pl = strlen(forms[i].prefix);
        if (strncmp(s, forms[i].prefix, pl) == 0) {
            uint64_t n;
            if (dec_n(s + pl, strlen(s + pl), UINT64_MAX, &n, NULL, 0) != ERR_OK) {
                node__diag(why, why_len,
                           "expected a block count after '%s' (valid forms: finalized:N, "
                           "depth:N; e.g. finalized:2, depth:10)",
                           forms[i].prefix);
                return ERR_INVALID_ARG;
            }
            out->kind = forms[i].kind;
            out->depth = n;
            return ERR_OK;
        }
    }
    /* The original node also takes a bare "finalized" (= finalized:0). */
    if (strcasecmp(s, "finalized") == 0) {
        out->kind = NODE_INCLUSION_FINALIZED;
        out->depth = 0;
        return ERR_OK;
    }
    node__diag(why, why_len,
               "valid forms are finalized:N (L1 blocks <= finalized - N) and depth:N (L1 blocks "
               "<= head - N), e.g. finalized:2 or depth:10");
    return ERR_INVALID_ARG;
}

/* Host of a URL or socket address: [IPv6], IPv4 or a DNS name. */
static bool host_ok(const char *h, size_t n)
{
    if (n == 0)
        return false;
    if (h[0] == '[') {
        char tmp[64];
        struct in6_addr a6;
        if (n < 3 || h[n - 1] != ']' || n - 2 >= sizeof(tmp))
            return false;
        memcpy(tmp, h + 1, n - 2);
        tmp[n - 2] = 0;
        return inet_pton(AF_INET6, tmp, &a6) == 1;
    }
    if (n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum(h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
            return false;
    }
    return h[0] != '.' && h[0] != '-';
}

static bool port_ok(const char *p, size_t n)
{
    uint64_t v;
    return n <= 5 && dec_n(p, n, 65535, &v, NULL, 0) == ERR_OK;
}

/* host[:port] where host may be a bracketed IPv6. */
static bool hostport_ok(const char *s, size_t n, bool port_required)
{
    size_t hl = n;
    const char *colon = NULL;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb)
            return false;
        hl = (size_t)(rb - s) + 1;
        if (hl < n) {
            if (s[hl] != ':')
                return false;
            colon = s + hl;
        }
    } else {
        colon = memchr(s, ':', n);
        if (colon)
            hl = (size_t)(colon - s);
    }
    if (!host_ok(s, hl))
        return false;
    if (!colon)
        return !port_required;
    return port_ok(colon + 1, n - hl - 1);
}

err_t node__parse_url(const char *s, unsigned schemes, char *why, size_t why_len)
{
    static const struct {
        const char *name;
        unsigned cls;
    } known[] = { { "http", NODE_URL_HTTP },
                  { "https", NODE_URL_HTTP },
                  { "ws", NODE_URL_WS },
                  { "wss", NODE_URL_WS } };

    const char *want =
        schemes == NODE_URL_HTTP ? "http:// or https://" : "http://, https://, ws:// or wss://";
    const char *sep = strstr(s, "://");
    if (!sep) {
        node__diag(why, why_len, "expected a URL starting with %s", want);
        return ERR_INVALID_ARG;
    }
    size_t sl = (size_t)(sep - s);
    bool scheme_ok = false;
    for (size_t i = 0; i < RN_ARRAY_LEN(known); i++) {
        if (strlen(known[i].name) == sl && strncasecmp(s, known[i].name, sl) == 0)
            scheme_ok = (known[i].cls & schemes) != 0;
    }
    if (!scheme_ok) {
        node__diag(why, why_len, "unsupported URL scheme '%.*s' (expected %s)",
                   (int)(sl > 16 ? 16 : sl), s, want);
        return ERR_INVALID_ARG;
    }
    const char *auth = sep + 3;
    size_t al = strcspn(auth, "/?#");
    /* userinfo@ is allowed (basic auth); the host is what follows the last '@'. */
    const char *at = NULL;
    for (size_t i = 0; i < al; i++) {
        if (auth[i] == '@')
            at = auth + i;
    }
    const char *hp = at ? at + 1 : auth;
    size_t hl = al - (size_t)(hp - auth);
    if (!hostport_ok(hp, hl, false)) {
        node__diag(why, why_len, "invalid host or port in URL");
        return ERR_INVALID_ARG;
    }
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f) {
            node__diag(why, why_len, "a URL may not contain spaces or control characters");
            return ERR_INVALID_ARG;
        }
    }
    return ERR_OK;
}

enum {
    STANDARD_NS_COUNT = 13
}; /* admin .. mev: reth's modules (rpc.h, ORDER RPC_NS) */

err_t node__parse_api_list(const char *s, uint32_t *out, char *why, size_t why_len)
{
    if (strcasecmp(s, "all") == 0) {
        *out = (1u << STANDARD_NS_COUNT) - 1;
        return ERR_OK;
    }
    if (strcasecmp(s, "none") == 0) {
        *out = 0;
        return ERR_OK;
    }
    char bad[64];
    if (rpc_ns_parse(s, out, bad, sizeof(bad)) == ERR_OK)
        return ERR_OK;
    char valid[256];
    size_t n = 0;
    valid[0] = 0;
    for (unsigned i = 0; i < 15 && n < sizeof(valid); i++)
        n += (size_t)snprintf(valid + n, sizeof(valid) - n, "%s%s", i ? ", " : "",
                              rpc_ns_name(1u << i));
    node__diag(why, why_len, "unknown RPC namespace '%s' (valid: %s, or all)", bad, valid);
    return ERR_INVALID_ARG;
}

static bool uuid_ok(const char *s, size_t n)
{
    static const size_t groups[] = { 8, 4, 4, 4, 12 };
    size_t pos = 0;
    for (size_t g = 0; g < RN_ARRAY_LEN(groups); g++) {
        if (g) {
            if (pos >= n || s[pos] != '-')
                return false;
            pos++;
        }
        if (pos + groups[g] > n || !all_hex(s + pos, groups[g]))
            return false;
        pos += groups[g];
    }
    return pos == n;
}

static bool alias_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 250)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum(s[i]) && s[i] != '/' && s[i] != '_' && s[i] != '-')
            return false;
    }
    return true;
}

static bool key_id_ok(const char *s, size_t n, bool in_arn)
{
    if (uuid_ok(s, n))
        return true;
    if (n == 36 && strncmp(s, "mrk-", 4) == 0 && all_hex(s + 4, 32))
        return true;
    if (!in_arn || n == 0 || n > 128)
        return false;
    /* Inside an ARN accept any key-id-shaped token ([A-Za-z0-9-]), as KMS would be asked. */
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum(s[i]) && s[i] != '-')
            return false;
    }
    return true;
}

static bool kms_resource_ok(const char *r, size_t n, bool in_arn)
{
    if (n > 4 && strncmp(r, "key/", 4) == 0)
        return in_arn && key_id_ok(r + 4, n - 4, true);
    if (n > 6 && strncmp(r, "alias/", 6) == 0)
        return alias_name_ok(r + 6, n - 6);
    return !in_arn && key_id_ok(r, n, false);
}

err_t node__parse_kms_key_id(const char *s, char *why, size_t why_len)
{
    size_t n = strlen(s);
    bool ok;
    if (strncmp(s, "arn:", 4) == 0) {
        /* arn:PARTITION:kms:REGION:ACCOUNT_ID:RESOURCE */
        const char *part[6];
        size_t len[6];
        const char *p = s;
        size_t k = 0;
        while (k < 6) {
            const char *c = k < 5 ? strchr(p, ':') : NULL;
            part[k] = p;
            len[k] = c ? (size_t)(c - p) : strlen(p);
            k++;
            if (!c)
                break;
            p = c + 1;
        }
        ok = k == 6 && len[1] >= 3 && strncmp(part[1], "aws", 3) == 0 && len[2] == 3 &&
             strncmp(part[2], "kms", 3) == 0 && len[3] > 0 && len[4] == 12 &&
             all_digits(part[4], 12) && kms_resource_ok(part[5], len[5], true);
        for (size_t i = 0; ok && i < len[3]; i++)
            ok = (part[3][i] >= 'a' && part[3][i] <= 'z') || is_digit(part[3][i]) ||
                 part[3][i] == '-';
    } else {
        ok = kms_resource_ok(s, n, false);
    }
    if (!ok) {
        node__diag(why, why_len,
                   "expected an AWS KMS key ARN (arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID), an "
                   "alias ARN or alias/NAME, or a key id (UUID)");
        return ERR_INVALID_ARG;
    }
    return ERR_OK;
}

err_t node__parse_ip(const char *s, const char **canon, char *why, size_t why_len)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(s, "localhost") == 0) {
        *canon = "127.0.0.1";
        return ERR_OK;
    }
    if (inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1) {
        *canon = s;
        return ERR_OK;
    }
    node__diag(why, why_len, "expected an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
    return ERR_INVALID_ARG;
}

err_t node__parse_sockaddr(const char *s, char *why, size_t why_len)
{
    size_t n = strlen(s);
    bool ok;
    if (all_digits(s, n))
        ok = port_ok(s, n);
    else if (n && s[0] == ':')
        ok = port_ok(s + 1, n - 1);
    else
        ok = hostport_ok(s, n, true);
    if (!ok) {
        node__diag(why, why_len, "expected ADDR:PORT (e.g. 127.0.0.1:9001, [::1]:9001 or :9001)");
        return ERR_INVALID_ARG;
    }
    return ERR_OK;
}

err_t node__parse_enode(const char *s, char *why, size_t why_len)
{
    bool ok = strncmp(s, "enode://", 8) == 0;
    const char *id = s + 8;
    const char *at = ok ? strchr(id, '@') : NULL;
    ok = at && at - id == 128 && all_hex(id, 128);
    if (ok) {
        const char *hp = at + 1;
        size_t hl = strcspn(hp, "?");
        ok = hostport_ok(hp, hl, true);
        if (ok && hp[hl] == '?') {
            const char *q = hp + hl + 1;
            ok = strncmp(q, "discport=", 9) == 0 && port_ok(q + 9, strlen(q + 9));
        }
    }
    if (!ok) {
        node__diag(why, why_len,
                   "expected enode://<128 hex digit node id>@HOST:PORT[?discport=PORT]");
        return ERR_INVALID_ARG;
    }
    return ERR_OK;
}

/* Mirrors log_init's grammar so a bad --log.stdout.filter is a usage error, not a silent drop. */
static err_t parse_log_filter(const char *s, char *why, size_t why_len)
{
    size_t ndir = 0;
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *d = p;
        p += n;
        if (*p == ',')
            p++;
        while (n && (*d == ' ' || *d == '\t')) {
            d++;
            n--;
        }
        while (n && (d[n - 1] == ' ' || d[n - 1] == '\t'))
            n--;
        if (n == 0)
            continue;
        if (++ndir > 64) {
            node__diag(why, why_len, "too many directives (at most 64)");
            return ERR_INVALID_ARG;
        }
        const char *eq = memchr(d, '=', n);
        size_t tl = eq ? (size_t)(eq - d) : n;
        if (eq) {
            const char *lv = eq + 1;
            size_t ln = n - tl - 1;
            while (ln && *lv == ' ') {
                lv++;
                ln--;
            }
            log_level_t lvl;
            if (!log_level_parse(lv, ln, &lvl)) {
                node__diag(why, why_len,
                           "unknown level '%.*s' in directive '%.*s' (expected off, error, warn, "
                           "info, debug or trace)",
                           (int)(ln > 32 ? 32 : ln), lv, (int)(n > 64 ? 64 : n), d);
                return ERR_INVALID_ARG;
            }
        }
        if (tl >= 128) {
            node__diag(why, why_len, "target too long (at most 127 characters)");
            return ERR_INVALID_ARG;
        }
        for (size_t i = 0; i < tl; i++) {
            unsigned char c = (unsigned char)d[i];
            if (c <= 0x20 || c >= 0x7f) {
                node__diag(why, why_len, "a directive may not contain spaces inside a target");
                return ERR_INVALID_ARG;
            }
        }
    }
    return ERR_OK;
}

void node__str_list_free(node_str_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        rn_free(l->v[i]);
    rn_free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Split a comma list, check each item, append copies. */
static err_t list_append(node_str_list_t *l, const char *s, node_kind_t kind, char *why,
                         size_t why_len)
{
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ",");
        char item[NODE_MAX_VALUE_LEN + 1];
        const char *d = p;
        while (n && *d == ' ') {
            d++;
            n--;
        }
        while (n && d[n - 1] == ' ')
            n--;
        if (n) {
            memcpy(item, d, n);
            item[n] = 0;
            err_t e = kind == NODE_KIND_ENODE_LIST
                          ? node__parse_enode(item, why, why_len)
                          : node__parse_url(item, NODE_URL_HTTP, why, why_len);
            if (e)
                return e;
            if (l->n == NODE_MAX_LIST) {
                node__diag(why, why_len, "too many values (at most %d)", NODE_MAX_LIST);
                return ERR_TOO_LARGE;
            }
            if ((l->n & (l->n - 1)) == 0) /* grow at 0, 1, 2, 4, 8, ... */
                l->v = rn_realloc(l->v, (l->n ? l->n * 2 : 1) * sizeof(char *));
            l->v[l->n++] = rn_strdup(item);
        }
        p += strcspn(p, ",");
        if (*p != ',')
            break;
        p++;
    }
    return ERR_OK;
}

static err_t pick(const char *s, const char *const *names, size_t n, int *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return ERR_OK;
        }
    }
    return ERR_INVALID_ARG;
}

static err_t parse_value(node_config_t *cfg, const node_flag_t *f, const char *v, char *why,
                         size_t wl)
{
    void *field = (char *)cfg + f->off;
    uint64_t u;
    int idx;
    switch (f->kind) {
    case NODE_KIND_BOOL:
    case NODE_KIND_BOOL_OPT:
        return node__parse_bool(v, (bool *)field, why, wl);
    case NODE_KIND_U64:
        return node__parse_u64(v, UINT64_MAX, (uint64_t *)field, why, wl);
    case NODE_KIND_U32:
        return node__parse_u64(v, UINT32_MAX, (uint64_t *)field, why, wl);
    case NODE_KIND_PORT:
        TRY(node__parse_u64(v, 65535, &u, why, wl));
        *(uint16_t *)field = (uint16_t)u;
        return ERR_OK;
    case NODE_KIND_MS:
        return node__parse_ms(v, (uint64_t *)field, why, wl);
    case NODE_KIND_SECS:
        return node__parse_secs(v, (uint64_t *)field, why, wl);
    case NODE_KIND_OPT_U64:
        TRY(node__parse_u64(v, UINT64_MAX, &u, why, wl));
        ((node_opt_u64_t *)field)->set = true;
        ((node_opt_u64_t *)field)->v = u;
        return ERR_OK;
    case NODE_KIND_ADDR:
        return node__parse_address(v, (addr_t *)field, why, wl);
    case NODE_KIND_OPT_ADDR:
        TRY(node__parse_address(v, &((node_opt_addr_t *)field)->v, why, wl));
        ((node_opt_addr_t *)field)->set = true;
        return ERR_OK;
    case NODE_KIND_STRING:
    case NODE_KIND_PATH:
        *(const char **)field = v;
        return ERR_OK;
    case NODE_KIND_IP:
        return node__parse_ip(v, (const char **)field, why, wl);
    case NODE_KIND_SOCKADDR:
        TRY(node__parse_sockaddr(v, why, wl));
        *(const char **)field = v;
        return ERR_OK;
    case NODE_KIND_URL_HTTP:
    case NODE_KIND_URL_HTTP_WS:
        TRY(node__parse_url(
            v, f->kind == NODE_KIND_URL_HTTP ? NODE_URL_HTTP : NODE_URL_HTTP | NODE_URL_WS, why,
            wl));
        *(const char **)field = v;
        return ERR_OK;
    case NODE_KIND_URL_LIST:
    case NODE_KIND_ENODE_LIST:
        return list_append((node_str_list_t *)field, v, f->kind, why, wl);
    case NODE_KIND_API_LIST:
        return node__parse_api_list(v, (uint32_t *)field, why, wl);
    case NODE_KIND_INCLUSION:
        return node__parse_inclusion_mode(v, (node_inclusion_mode_t *)field, why, wl);
    case NODE_KIND_KMS_KEY_ID:
        TRY(node__parse_kms_key_id(v, why, wl));
        *(const char **)field = v;
        return ERR_OK;
    case NODE_KIND_CONSENSUS: {
        static const char *const names[] = { "system-contract", "noop" };
        if (pick(v, names, RN_ARRAY_LEN(names), &idx)) {
            node__diag(why, wl, "possible values: system-contract, noop");
            return ERR_INVALID_ARG;
        }
        *(node_consensus_t *)field = (node_consensus_t)idx;
        return ERR_OK;
    }
    case NODE_KIND_LOG_FORMAT: {
        static const char *const names[] = { "terminal", "json", "log-fmt" };
        if (pick(v, names, RN_ARRAY_LEN(names), &idx)) {
            node__diag(why, wl, "possible values: terminal, json, log-fmt");
            return ERR_INVALID_ARG;
        }
        /* ORDER: log_format_t is TERMINAL, JSON, LOG_FMT. */
        *(log_format_t *)field = (log_format_t)idx;
        return ERR_OK;
    }
    case NODE_KIND_COLOR: {
        static const char *const names[] = { "auto", "always", "never" };
        if (pick(v, names, RN_ARRAY_LEN(names), &idx)) {
            node__diag(why, wl, "possible values: auto, always, never");
            return ERR_INVALID_ARG;
        }
        *(node_color_t *)field = (node_color_t)idx;
        return ERR_OK;
    }
    case NODE_KIND_LOG_FILTER:
        TRY(parse_log_filter(v, why, wl));
        *(const char **)field = v;
        return ERR_OK;
    case NODE_KIND_HELP:
    case NODE_KIND_VERSION:
    case NODE_KIND_SWITCH:
    case NODE_KIND_COUNT:
        break;
    }
    node__diag(why, wl, "this flag takes no value");
    return ERR_INVALID_ARG;
}

err_t node__apply(node_config_t *cfg, const node_flag_t *f, const char *value, char *diag,
                  size_t diag_len)
{
    char disp[128];
    node__flag_display(f, disp, sizeof(disp));
    void *field = (char *)cfg + f->off;
    switch (f->kind) {
    case NODE_KIND_SWITCH:
        *(bool *)field = true;
        return ERR_OK;
    case NODE_KIND_COUNT:
        if (*(unsigned *)field < 255)
            (*(unsigned *)field)++;
        return ERR_OK;
    case NODE_KIND_BOOL_OPT:
        if (!value) {
            *(bool *)field = true;
            return ERR_OK;
        }
        break;
    case NODE_KIND_HELP:
    case NODE_KIND_VERSION:
        return ERR_OK;
    default:
        break;
    }
    if (!value || !value[0]) {
        node__diag(diag, diag_len, "a value is required for '%s' but none was supplied", disp);
        return ERR_CLI_USAGE;
    }
    if (strlen(value) > NODE_MAX_VALUE_LEN) {
        node__diag(diag, diag_len, "the value for '%s' is too long (at most %d bytes)", disp,
                   NODE_MAX_VALUE_LEN);
        return ERR_CLI_USAGE;
    }
    char why[512];
    why[0] = 0;
    if (parse_value(cfg, f, value, why, sizeof(why)) != ERR_OK) {
        node__diag(diag, diag_len, "invalid value '%.200s' for '%s': %s", value, disp, why);
        return ERR_CLI_USAGE;
    }
    return ERR_OK;
}
