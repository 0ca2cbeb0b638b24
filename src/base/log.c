/* Logger: RUST_LOG-style filter, reth-style line format. See log.h. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

enum {
    LOG_MAX_DIRECTIVES = 64,
    LOG_MAX_TARGET = 128,
    LOG_LINE_MAX = 16384
};

typedef struct directive {
    char target[LOG_MAX_TARGET];
    size_t len;
    log_level_t level;
} directive_t;

/* The filter is written by log_init before threads start and read-only afterwards. */
static directive_t g_dirs[LOG_MAX_DIRECTIVES];
static size_t g_ndirs;
static log_level_t g_default = LOG_LVL_INFO;
static log_format_t g_format = LOG_FORMAT_TERMINAL;
static int g_fd = 1;
static int g_color = -1; /* -1: decide on first use */

_Atomic uint32_t log__generation = 1;

static const char *const level_names[] = { "OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };

const char *log_level_name(log_level_t level)
{
    return (unsigned)level <= LOG_LVL_TRACE ? level_names[level] : "?";
}

bool log_level_parse(const char *s, size_t n, log_level_t *out)
{
    static const char *const lower[] = { "off", "error", "warn", "info", "debug", "trace" };
    for (int i = 0; i <= LOG_LVL_TRACE; i++) {
        if (strlen(lower[i]) == n && strncasecmp(s, lower[i], n) == 0) {
            *out = (log_level_t)i;
            return true;
        }
    }
    if (n == 1 && s[0] >= '0' && s[0] <= '5') {
        *out = (log_level_t)(s[0] - '0');
        return true;
    }
    return false;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

err_t log_init(const char *filter, log_level_t default_level, log_format_t format, char *diag,
               size_t diag_len)
{
    err_t rc = ERR_OK;
    g_ndirs = 0;
    g_default = default_level;
    g_format = format;
    if (diag && diag_len)
        diag[0] = 0;
    const char *p = filter ? filter : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *d = p;
        p = end ? end + 1 : p + n;
        trim(&d, &n);
        if (n == 0)
            continue;
        const char *eq = memchr(d, '=', n);
        log_level_t lvl;
        if (!eq) {
            if (log_level_parse(d, n, &lvl)) {
                g_default = lvl;
                continue;
            }
            /* A bare target enables every level for it. */
            lvl = LOG_LVL_TRACE;
        } else {
            const char *ls = eq + 1;
            size_t ln = n - (size_t)(ls - d);
            trim(&ls, &ln);
            if (!log_level_parse(ls, ln, &lvl)) {
                if (diag && diag_len)
                    snprintf(diag, diag_len,
                             "invalid RUST_LOG directive '%.*s': unknown level '%.*s' (expected "
                             "off, error, warn, info, debug or trace)",
                             (int)n, d, (int)ln, ls);
                rc = ERR_INVALID_ARG;
                continue;
            }
            n = (size_t)(eq - d);
            trim(&d, &n);
        }
        /* Span filters (`target[span]=level`) are not supported: ignore the span part. */
        const char *br = memchr(d, '[', n);
        if (br)
            n = (size_t)(br - d);
        if (n == 0) {
            g_default = lvl;
            continue;
        }
        if (n >= LOG_MAX_TARGET || g_ndirs == LOG_MAX_DIRECTIVES) {
            if (diag && diag_len)
                snprintf(diag, diag_len, "invalid RUST_LOG directive '%.*s': too long or too many",
                         (int)n, d);
            rc = ERR_INVALID_ARG;
            continue;
        }
        /* A later directive for the same target replaces an earlier one. */
        size_t i;
        for (i = 0; i < g_ndirs; i++) {
            if (g_dirs[i].len == n && memcmp(g_dirs[i].target, d, n) == 0)
                break;
        }
        if (i == g_ndirs)
            g_ndirs++;
        memcpy(g_dirs[i].target, d, n);
        g_dirs[i].target[n] = 0;
        g_dirs[i].len = n;
        g_dirs[i].level = lvl;
    }
    atomic_fetch_add(&log__generation, 1);
    return rc;
}

void log_set_color(bool on)
{
    g_color = on;
}

void log_set_fd(int fd)
{
    g_fd = fd;
    g_color = -1;
}

static int max_level_for(const char *target)
{
    size_t best = 0;
    int level = (int)g_default;
    bool found = false;
    for (size_t i = 0; i < g_ndirs; i++) {
        const directive_t *d = &g_dirs[i];
        if (strncmp(target, d->target, d->len) == 0 && (!found || d->len > best)) {
            best = d->len;
            level = (int)d->level;
            found = true;
        }
    }
    return level;
}

bool log_enabled(const char *target, log_level_t level)
{
    return max_level_for(target) >= (int)level;
}

bool log__site_enabled(log_callsite_t *cs, log_level_t level)
{
    uint32_t gen = atomic_load(&log__generation);
    int lvl = max_level_for(cs->target);
    atomic_store(&cs->max_level, lvl);
    atomic_store(&cs->gen, gen);
    return lvl >= (int)level;
}

static bool use_color(void)
{
    if (g_color < 0)
        g_color = isatty(g_fd) && !getenv("NO_COLOR");
    return g_color > 0;
}

static size_t fmt_time(char *out, size_t cap)
{
    uint64_t us = clock_unix_us();
    time_t secs = (time_t)(us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(out + n, cap - n, ".%06uZ", (unsigned)(us % 1000000u));
    return n + (m > 0 ? (size_t)m : 0);
}

/* Append s as a JSON string body (no quotes). */
static size_t json_escape(char *out, size_t cap, size_t pos, const char *s, size_t n)
{
    for (size_t i = 0; i < n && pos + 7 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[pos++] = '\\';
            out[pos++] = (char)c;
        } else if (c < 0x20) {
            pos += (size_t)snprintf(out + pos, cap - pos, "\\u%04x", c);
        } else {
            out[pos++] = (char)c;
        }
    }
    return pos;
}

/* Split "Phrase words key=value k2=v2" into the phrase and the fields: the phrase ends before the
 * first space-separated token that contains '='. */
static size_t phrase_len(const char *s, size_t n)
{
    size_t tok = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ' ') {
            if (memchr(s + tok, '=', i - tok))
                return tok ? tok - 1 : 0;
            tok = i + 1;
        }
    }
    return n;
}

static bool is_number(const char *s, size_t n)
{
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return n == 1 || s[0] != '0';
}

static size_t render_json(char *out, size_t cap, const char *ts, const char *target,
                          log_level_t level, const char *msg, size_t n)
{
    size_t pos = (size_t)snprintf(out, cap, "{\"timestamp\":\"%s\",\"level\":\"%s\",\"fields\":{",
                                  ts, log_level_name(level));
    size_t plen = phrase_len(msg, n);
    pos += (size_t)snprintf(out + pos, cap - pos, "\"message\":\"");
    pos = json_escape(out, cap, pos, msg, plen);
    pos += (size_t)snprintf(out + pos, cap - pos, "\"");
    size_t i = plen;
    while (i < n && pos + 16 < cap) {
        while (i < n && msg[i] == ' ')
            i++;
        size_t start = i;
        while (i < n && msg[i] != ' ')
            i++;
        const char *tok = msg + start;
        size_t tlen = i - start;
        const char *eq = memchr(tok, '=', tlen);
        if (!tlen || !eq)
            continue;
        size_t klen = (size_t)(eq - tok);
        const char *v = eq + 1;
        size_t vlen = tlen - klen - 1;
        pos += (size_t)snprintf(out + pos, cap - pos, ",\"");
        pos = json_escape(out, cap, pos, tok, klen);
        if (is_number(v, vlen) || (vlen == 4 && !memcmp(v, "true", 4)) ||
            (vlen == 5 && !memcmp(v, "false", 5))) {
            pos += (size_t)snprintf(out + pos, cap - pos, "\":%.*s", (int)vlen, v);
        } else {
            pos += (size_t)snprintf(out + pos, cap - pos, "\":\"");
            pos = json_escape(out, cap, pos, v, vlen);
            pos += (size_t)snprintf(out + pos, cap - pos, "\"");
        }
    }
    if (pos + 32 < cap)
        pos += (size_t)snprintf(out + pos, cap - pos, "},\"target\":\"%s\"}\n", target);
    return pos;
}

void log_emit(const char *target, log_level_t level, const char *fmt, ...)
{
    char msg[LOG_LINE_MAX / 2];
    char line[LOG_LINE_MAX];
    char ts[40];
    va_list ap;
    va_start(ap, fmt);
    int mn = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (mn < 0)
        return;
    size_t n = (size_t)mn < sizeof(msg) ? (size_t)mn : sizeof(msg) - 1;
    fmt_time(ts, sizeof(ts));
    size_t len;
    if (g_format == LOG_FORMAT_JSON) {
        len = render_json(line, sizeof(line), ts, target, level, msg, n);
    } else if (g_format == LOG_FORMAT_LOG_FMT) {
        size_t plen = phrase_len(msg, n);
        len = (size_t)snprintf(
            line, sizeof(line), "ts=%s level=%s target=%s message=\"%.*s\"%.*s\n", ts,
            log_level_name(level), target, (int)plen, msg, (int)(n - plen), msg + plen);
    } else if (use_color()) {
        static const char *const colors[] = { "",         "\x1b[31m", "\x1b[33m",
                                              "\x1b[32m", "\x1b[34m", "\x1b[35m" };
        len = (size_t)snprintf(line, sizeof(line),
                               "\x1b[2m%s\x1b[0m %s%5s\x1b[0m \x1b[2m%s:\x1b[0m %.*s\n", ts,
                               colors[level], log_level_name(level), target, (int)n, msg);
    } else {
        len = (size_t)snprintf(line, sizeof(line), "%s %5s %s: %.*s\n", ts, log_level_name(level),
                               target, (int)n, msg);
    }
    if (len >= sizeof(line)) {
        len = sizeof(line) - 1;
        line[len - 1] = '\n';
    }
    /* One write per line keeps lines from different threads whole. */
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(g_fd, line + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}
