/* src/state/hmap.c — a small open-addressing hash map with fixed-size keys and values, the one
 * container of the overlay and the in-memory backend. */
#include "state/state_int.h"

uint64_t state__hash_bytes(const uint8_t *p, size_t n)
{
    /* Multiply-xorshift over 8-byte words: addresses in tests are often 0x00…01, so every byte
     * must reach the high bits. */
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
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

void state__hmap_init(hmap_t *m, size_t ksize, size_t vsize)
{
    memset(m, 0, sizeof(*m));
    m->ksize = ksize;
    m->vsize = vsize;
    m->voff = (1 + ksize + 7) & ~(size_t)7;
    m->esize = (m->voff + vsize + 7) & ~(size_t)7;
}

void state__hmap_deinit(hmap_t *m)
{
    rn_free(m->e);
    m->e = NULL;
    m->cap = m->n = 0;
}

void state__hmap_clear(hmap_t *m)
{
    if (m->n && m->e)
        memset(m->e, 0, m->cap * m->esize);
    m->n = 0;
}

static inline uint8_t *entry(const hmap_t *m, size_t i)
{
    return m->e + i * m->esize;
}

void *state__hmap_get(const hmap_t *m, const void *key)
{
    if (!m->n)
        return NULL;
    size_t i = (size_t)state__hash_bytes(key, m->ksize) & (m->cap - 1);
    for (;;) {
        uint8_t *e = entry(m, i);
        if (!e[0])
            return NULL;
        if (memcmp(e + 1, key, m->ksize) == 0)
            return e + m->voff;
        i = (i + 1) & (m->cap - 1);
    }
}

static void rehash(hmap_t *m, size_t cap)
{
    uint8_t *old = m->e;
    size_t old_cap = m->cap;
    m->e = rn_calloc(cap, m->esize);
    m->cap = cap;
    for (size_t j = 0; j < old_cap; j++) {
        uint8_t *src = old + j * m->esize;
        if (!src[0])
            continue;
        size_t i = (size_t)state__hash_bytes(src + 1, m->ksize) & (cap - 1);
        while (entry(m, i)[0])
            i = (i + 1) & (cap - 1);
        memcpy(entry(m, i), src, m->esize);
    }
    rn_free(old);
}

void *state__hmap_put(hmap_t *m, const void *key, bool *found)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        rehash(m, m->cap ? m->cap * 2 : 64);
    size_t i = (size_t)state__hash_bytes(key, m->ksize) & (m->cap - 1);
    for (;;) {
        uint8_t *e = entry(m, i);
        if (!e[0]) {
            e[0] = 1;
            memcpy(e + 1, key, m->ksize);
            memset(e + m->voff, 0, m->vsize);
            m->n++;
            if (found)
                *found = false;
            return e + m->voff;
        }
        if (memcmp(e + 1, key, m->ksize) == 0) {
            if (found)
                *found = true;
            return e + m->voff;
        }
        i = (i + 1) & (m->cap - 1);
    }
}

const void *state__hmap_next(const hmap_t *m, size_t *i, void **val)
{
    while (*i < m->cap) {
        uint8_t *e = entry(m, (*i)++);
        if (e[0]) {
            if (val)
                *val = e + m->voff;
            return e + 1;
        }
    }
    return NULL;
}
