/* src/base/log.h — leveled logging with Rust-style targets, filtered like RUST_LOG.
 *
 * Usage, once per .c file:
 *
 *     #define LOG_TARGET "rollup_node::sequencer"
 *     #include "base/log.h"
 *     LOG_INFO("Built payload number=%" PRIu64 " hash=%s txs=%u", n, hash_hex, count);
 *
 * The format is a fixed phrase followed by space-separated key=value fields. The level and target
 * check happens before any argument is evaluated and is cached per call site, so a disabled
 * TRACE costs a load and a branch (redis serverLog). Lines go to stdout like reth's: RFC 3339 UTC
 * time with microseconds, level, target, message and fields; ANSI colour only on a TTY; or one
 * JSON object per line (--log.stdout.format json). Safe to call from any thread. */
#ifndef RN_BASE_LOG_H
#define RN_BASE_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum log_level {
    LOG_LVL_OFF = 0,
    LOG_LVL_ERROR = 1,
    LOG_LVL_WARN = 2,
    LOG_LVL_INFO = 3,
    LOG_LVL_DEBUG = 4,
    LOG_LVL_TRACE = 5,
} log_level_t;

typedef enum log_format {
    LOG_FORMAT_TERMINAL = 0, /**< reth's default human format */
    LOG_FORMAT_JSON = 1,     /**< one JSON object per line */
    LOG_FORMAT_LOG_FMT = 2,  /**< logfmt: key=value pairs only */
} log_format_t;

/** Cached filter decision of one call site. */
typedef struct log_callsite {
    const char *target;
    _Atomic uint32_t gen;  /**< filter generation the cache was computed for (0 = never) */
    _Atomic int max_level; /**< highest enabled level for this target */
} log_callsite_t;

/**
 * Configure the logger. `filter` is RUST_LOG syntax (NULL or "" = the default level alone):
 * comma-separated directives, each `level`, `target`, or `target=level`; levels are off, error,
 * warn, info, debug, trace (any case) or 0-5. A directive's target matches every target it is a
 * string prefix of (tracing-subscriber's rule: `scroll=debug` covers `scroll::watcher`); the
 * longest matching directive wins; a bare level replaces `default_level` for unmatched targets.
 *
 * Returns ERR_OK, or ERR_INVALID_ARG with a sentence in diag (if non-NULL, diag_len bytes) for a
 * directive that does not parse; the valid directives still apply (like from_env_lossy).
 * Call before starting threads.
 */
err_t log_init(const char *filter, log_level_t default_level, log_format_t format, char *diag,
               size_t diag_len);

/** Force ANSI colour on or off (default: on iff stdout is a TTY and NO_COLOR is unset). */
void log_set_color(bool on);

/** Redirect output to fd (default 1 = stdout). */
void log_set_fd(int fd);

/** Is `level` enabled for `target`? (uncached; for tests and rare paths) */
bool log_enabled(const char *target, log_level_t level);

/** Slow path of the macros: refresh the call site's cache and answer. */
bool log__site_enabled(log_callsite_t *cs, log_level_t level);
extern _Atomic uint32_t log__generation;

/** Emit one line (no filtering; the macros filter first). */
void log_emit(const char *target, log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Parse a level name ("info", "DEBUG", "3"); false if unknown. */
bool log_level_parse(const char *s, size_t n, log_level_t *out);
const char *log_level_name(log_level_t level);

#define LOG_AT_(lvl, ...)                                                                      \
    do {                                                                                       \
        static log_callsite_t log_cs_ = { LOG_TARGET, 0, 0 };                                  \
        if (atomic_load_explicit(&log_cs_.gen, memory_order_relaxed) ==                        \
                    atomic_load_explicit(&log__generation, memory_order_relaxed)               \
                ? atomic_load_explicit(&log_cs_.max_level, memory_order_relaxed) >= (int)(lvl) \
                : log__site_enabled(&log_cs_, (lvl)))                                          \
            log_emit(LOG_TARGET, (lvl), __VA_ARGS__);                                          \
    } while (0)

#define LOG_ERROR(...) LOG_AT_(LOG_LVL_ERROR, __VA_ARGS__)
#define LOG_WARN(...)  LOG_AT_(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_INFO(...)  LOG_AT_(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) LOG_AT_(LOG_LVL_DEBUG, __VA_ARGS__)
#define LOG_TRACE(...) LOG_AT_(LOG_LVL_TRACE, __VA_ARGS__)

#endif
