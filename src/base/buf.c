#include <stdarg.h>
#include <stdio.h>

#include "base/bytes.h"
#include "base/mem.h"

void buf_init(buf_t *b, size_t max)
{
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
    b->max = max;
}

void buf_deinit(buf_t *b)
{
    rn_free(b->p);
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
}

err_t buf_reserve(buf_t *b, size_t extra)
{
    size_t need;
    if (__builtin_add_overflow(b->n, extra, &need) || need > b->max) {
        buf_deinit(b);
        return ERR_TOO_LARGE;
    }
    /* Keep one spare byte so buf_printf can always NUL-terminate. */
    if (need + 1 <= b->cap)
        return ERR_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need + 1)
        cap = cap > SIZE_MAX / 2 ? need + 1 : cap * 2;
    b->p = rn_realloc(b->p, cap);
    b->cap = cap;
    return ERR_OK;
}

err_t buf_append(buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return ERR_OK;
    TRY(buf_reserve(b, n));
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return ERR_OK;
}

err_t buf_push(buf_t *b, uint8_t byte)
{
    TRY(buf_reserve(b, 1));
    b->p[b->n++] = byte;
    return ERR_OK;
}

err_t buf_append_zeros(buf_t *b, size_t n, uint8_t **out)
{
    TRY(buf_reserve(b, n));
    memset(b->p + b->n, 0, n);
    if (out)
        *out = b->p + b->n;
    b->n += n;
    return ERR_OK;
}

err_t buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return ERR_INVALID_ARG;
    TRY(buf_reserve(b, (size_t)len + 1));
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
    return ERR_OK;
}

uint8_t *buf_take(buf_t *b, size_t *n_out)
{
    uint8_t *p = b->p;
    if (n_out)
        *n_out = b->n;
    if (!p)
        p = rn_malloc(1);
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
    return p;
}

void secure_wipe(void *p, size_t n)
{
    if (!p || !n)
        return;
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
    __asm__ __volatile__("" ::: "memory");
}

uint64_t bytes_hash64(uint64_t seed, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}
