/* tests/unit/harness/harness.h — the tiny unit-test harness (STYLE.md 2.9).
 *
 *     TEST(rlp, rejects_leading_zero_length) { CHECK_ERR(ERR_RLP_NONCANON, rlp_next(&v, &it)); }
 *
 * Tests register themselves through a constructor; the runner takes `--filter SUBSTR`, prints
 * the seed of its PRNG (replay with RN_TEST_SEED=N), and ends with `N passed, N failed`. */
#ifndef RN_TESTS_HARNESS_H
#define RN_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef void (*test_fn_t)(void);
void harness_register(const char *suite, const char *name, test_fn_t fn);
void harness_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void harness_fail_mem(const char *file, int line, const char *expr, const void *a, size_t an,
                      const void *b, size_t bn);

/** Deterministic PRNG seeded per test from the run seed. */
uint64_t test_rand(void);
void test_rand_bytes(void *p, size_t n);
uint64_t test_seed(void);

/** Path under ../shared (RN_SHARED_DIR, else ../shared relative to the source root). */
const char *test_shared_path(const char *rel);
/** Read a whole file; NULL if missing. Caller frees with free(). */
char *test_read_file(const char *path, size_t *len);
/** Decode hex text (optional 0x) into a malloc'd buffer; *n receives its length. */
uint8_t *test_unhex(const char *hex, size_t *n);

#define TEST(suite, name)                                               \
    static void test_##suite##_##name(void);                            \
    __attribute__((constructor)) static void reg_##suite##_##name(void) \
    {                                                                   \
        harness_register(#suite, #name, test_##suite##_##name);         \
    }                                                                   \
    static void test_##suite##_##name(void)

#define CHECK(c)                                               \
    do {                                                       \
        if (!(c)) {                                            \
            harness_fail(__FILE__, __LINE__, "CHECK(%s)", #c); \
            return;                                            \
        }                                                      \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
    do {                                                                                           \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                           \
        if (a_ != b_) {                                                                            \
            harness_fail(__FILE__, __LINE__, "%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, a_, b_); \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                              \
    do {                                                                                \
        long long a_ = (long long)(a), b_ = (long long)(b);                             \
        if (a_ != b_) {                                                                 \
            harness_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_); \
            return;                                                                     \
        }                                                                               \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                         \
    do {                                                                           \
        const char *a_ = (a), *b_ = (b);                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                   \
            harness_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
                         a_ ? a_ : "(null)", b_ ? b_ : "(null)");                  \
            return;                                                                \
        }                                                                          \
    } while (0)

#define CHECK_MEM_EQ(a, an, b, bn)                                                \
    do {                                                                          \
        const void *a_ = (a), *b_ = (b);                                          \
        size_t an_ = (an), bn_ = (bn);                                            \
        if (an_ != bn_ || (an_ && memcmp(a_, b_, an_) != 0)) {                    \
            harness_fail_mem(__FILE__, __LINE__, #a " == " #b, a_, an_, b_, bn_); \
            return;                                                               \
        }                                                                         \
    } while (0)

/** CHECK_OK(expr): expr returns err_t 0. CHECK_ERR(code, expr): expr returns exactly code. */
#define CHECK_OK(expr)                                                           \
    do {                                                                         \
        int e_ = (int)(expr);                                                    \
        if (e_ != 0) {                                                           \
            harness_fail(__FILE__, __LINE__, "%s returned error %d", #expr, e_); \
            return;                                                              \
        }                                                                        \
    } while (0)

#define CHECK_ERR(code, expr)                                                                      \
    do {                                                                                           \
        int e_ = (int)(expr), c_ = (int)(code);                                                    \
        if (e_ != c_) {                                                                            \
            harness_fail(__FILE__, __LINE__, "%s returned %d, expected %s (%d)", #expr, e_, #code, \
                         c_);                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
