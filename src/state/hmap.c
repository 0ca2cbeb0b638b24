/* src/state/hmap.c — a small open-addressing hash map with fixed-size keys and values, the one
 * container of the overlay and the in-memory backend. */
#include "state/state_int.h"

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
    rn_table_free(m->e, m->cap * m->esize);
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
    size_t i = (size_t)bytes_hash64(m->seed, key, m->ksize) & (m->cap - 1);
    for (;;) {
        uint8_t *e = entry(m, i);
        if (!e[0])
            return NULL;
        if (memcmp(e + 1, key, m->ksize) == 0)
            return e + m->voff;
        i = (i + 1) & (m->cap - 1);
    }
}

void state__hmap_prefetch(const hmap_t *m, const void *key)
{
    if (m->n)
        __builtin_prefetch(entry(m, (size_t)bytes_hash64(m->seed, key, m->ksize) & (m->cap - 1)));
}

static void rehash(hmap_t *m, size_t cap)
{
    uint8_t *old = m->e;
    size_t old_cap = m->cap;
    m->e = rn_table_alloc(cap * m->esize);
    m->cap = cap;
    for (size_t j = 0; j < old_cap; j++) {
        uint8_t *src = old + j * m->esize;
        if (!src[0])
            continue;
        size_t i = (size_t)bytes_hash64(m->seed, src + 1, m->ksize) & (cap - 1);
        while (entry(m, i)[0])
            i = (i + 1) & (cap - 1);
        memcpy(entry(m, i), src, m->esize);
    }
    rn_table_free(old, old_cap * m->esize);
}

void state__hmap_reserve(hmap_t *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 64;
    while (n * 4 > cap * 3)
        cap *= 2;
    if (cap != m->cap)
        rehash(m, cap);
}

void *state__hmap_put(hmap_t *m, const void *key, bool *found)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        rehash(m, m->cap ? m->cap * 2 : 64);
    size_t i = (size_t)bytes_hash64(m->seed, key, m->ksize) & (m->cap - 1);
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
