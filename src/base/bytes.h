/* src/base/bytes.h — byte views, growable capped buffers, fixed-size value types. */
#ifndef RN_BASE_BYTES_H
#define RN_BASE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"

/** Borrowed bytes. The owner says how long they stay valid. */
typedef struct bview {
    const uint8_t *p;
    size_t n;
} bview_t;

static inline bview_t bview(const void *p, size_t n)
{
    bview_t v = { (const uint8_t *)p, n };
    return v;
}

static inline bool bview_eq(bview_t a, bview_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/**
 * A 64-bit hash of n bytes for in-memory hash maps (not cryptographic): multiply-xorshift over
 * 8-byte words, finished so that every input bit reaches the low bits (maps index by them).
 * seed varies it (a per-process random seed keeps chosen keys from colliding).
 */
uint64_t bytes_hash64(uint64_t seed, const void *p, size_t n);

/** 20-byte address and 32-byte hash as distinct value types. */
typedef struct addr {
    uint8_t b[20];
} addr_t;

typedef struct hash {
    uint8_t b[32];
} hash_t;

static inline bool addr_eq(const addr_t *a, const addr_t *b)
{
    return memcmp(a->b, b->b, 20) == 0;
}

static inline bool hash_eq(const hash_t *a, const hash_t *b)
{
    return memcmp(a->b, b->b, 32) == 0;
}

static inline bool hash_is_zero(const hash_t *h)
{
    static const uint8_t z[32];
    return memcmp(h->b, z, 32) == 0;
}

/**
 * Owned, growable byte buffer with a hard cap (curl's dynbuf).
 *
 * buf_init(&b, cap) with cap the largest size the buffer may ever reach. Growing beyond the cap
 * returns ERR_TOO_LARGE and frees the buffer, leaving it empty and valid (so no caller holds a
 * half-written one). Memory comes from rn_malloc.
 */
typedef struct buf {
    uint8_t *p;
    size_t n;   /**< bytes in use */
    size_t cap; /**< bytes allocated */
    size_t max; /**< hard limit on n */
} buf_t;

enum {
    BUF_MAX_DEFAULT = 64u << 20
}; /**< 64 MiB: default cap for internal buffers */

void buf_init(buf_t *b, size_t max);
void buf_deinit(buf_t *b);

/** Drop contents but keep the allocation. */
static inline void buf_reset(buf_t *b)
{
    b->n = 0;
}

/** Ensure room for `extra` more bytes. */
RN_NODISCARD err_t buf_reserve(buf_t *b, size_t extra);
RN_NODISCARD err_t buf_append(buf_t *b, const void *p, size_t n);
RN_NODISCARD err_t buf_push(buf_t *b, uint8_t byte);
/** Append n zero bytes; *out (optional) receives a pointer to them, valid until the next grow. */
RN_NODISCARD err_t buf_append_zeros(buf_t *b, size_t n, uint8_t **out);
/** printf-style append of text (no NUL is counted in n, but one is kept after the data). */
RN_NODISCARD err_t buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Move the contents out: returns the heap pointer (caller frees with rn_free), buffer empties. */
uint8_t *buf_take(buf_t *b, size_t *n_out);

static inline bview_t buf_view(const buf_t *b)
{
    return bview(b->p, b->n);
}

/** Big-endian helpers. */
static inline uint64_t be_load64(const uint8_t *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
           ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

static inline void be_store64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline uint32_t be_load32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void be_store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/** Constant-time-ish zeroing of secrets. */
void secure_wipe(void *p, size_t n);

#endif
