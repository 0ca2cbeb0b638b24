/* In-memory trie node store: an open-addressing hash map from nibble path to node encoding, for
 * tests and benchmarks, and as an overlay over another store (the node's tries as of an earlier
 * block, for eth_getProof). Linear probing, deletion by backward shift (an overlay keeps a
 * "deleted" entry instead, so the base's node stays hidden), grown at 1/2 load. */
#include <string.h>

#include "trie/trie.h"

typedef struct slot {
    uint8_t *path; /**< NULL = empty slot; else rn_malloc'd path followed by the node */
    size_t path_n;
    size_t node_n;
    uint64_t h;
    bool deleted; /**< overlay: the base's node at this path is gone */
} slot_t;

struct trie_mem_store {
    const trie_store_t *base; /**< overlay: reads of paths not held here go to base */
    slot_t *slots;
    size_t cap; /**< power of two */
    size_t used;
    size_t bytes;
    uint64_t gets, puts, dels;
};

/* FNV-1a over the path, mixed at the end so the low bits (the bucket) are well spread. */
static uint64_t hash_path(bview_t p)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < p.n; i++) {
        h ^= p.p[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

static size_t find(const trie_mem_store_t *m, bview_t path, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const slot_t *s = &m->slots[i];
        if (!s->path)
            return i;
        if (s->h == h && s->path_n == path.n &&
            (path.n == 0 || memcmp(s->path, path.p, path.n) == 0))
            return i;
    }
}

static void grow(trie_mem_store_t *m)
{
    slot_t *old = m->slots;
    size_t old_cap = m->cap;
    m->cap = old_cap ? old_cap * 2 : 1024;
    m->slots = RN_NEWV(slot_t, m->cap);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].path)
            continue;
        size_t mask = m->cap - 1;
        size_t j = (size_t)old[i].h & mask;
        while (m->slots[j].path)
            j = (j + 1) & mask;
        m->slots[j] = old[i];
    }
    rn_free(old);
}

/* The node at path: held here, hidden here (deleted), or the base's, read with base_get. */
static err_t lookup(const trie_mem_store_t *m, bview_t path, bview_t *node,
                    err_t (*base_get)(void *, bview_t, bview_t *))
{
    const slot_t *s = &m->slots[find(m, path, hash_path(path))];
    if (!s->path)
        return m->base ? base_get(m->base->ctx, path, node) : ERR_NOT_FOUND;
    if (s->deleted)
        return ERR_NOT_FOUND;
    *node = bview(s->path + s->path_n, s->node_n);
    return ERR_OK;
}

static err_t mem_get(void *ctx, bview_t path, bview_t *node)
{
    trie_mem_store_t *m = ctx;
    m->gets++;
    return lookup(m, path, node, m->base ? m->base->get : NULL);
}

/* mem_get for several readers at once: the map does not change while they read. */
static err_t mem_get_concurrent(void *ctx, bview_t path, bview_t *node)
{
    trie_mem_store_t *m = ctx;
    __atomic_fetch_add(&m->gets, 1, __ATOMIC_RELAXED);
    return lookup(m, path, node, m->base ? m->base->get_concurrent : NULL);
}

/* Hold node (or, deleted, a mark hiding the base's node) at path. */
static void store(trie_mem_store_t *m, bview_t path, bview_t node, bool deleted)
{
    if (2 * (m->used + 1) > m->cap)
        grow(m);
    uint64_t h = hash_path(path);
    slot_t *s = &m->slots[find(m, path, h)];
    uint8_t *copy = rn_malloc(path.n + node.n + 1);
    if (path.n)
        memcpy(copy, path.p, path.n);
    if (node.n)
        memcpy(copy + path.n, node.p, node.n);
    if (s->path) {
        m->bytes -= s->node_n;
        rn_free(s->path);
    } else {
        m->used++;
    }
    s->path = copy;
    s->path_n = path.n;
    s->node_n = node.n;
    s->h = h;
    s->deleted = deleted;
    m->bytes += node.n;
}

static err_t mem_put(void *ctx, bview_t path, bview_t node)
{
    trie_mem_store_t *m = ctx;
    m->puts++;
    store(m, path, node, false);
    return ERR_OK;
}

static err_t mem_del(void *ctx, bview_t path)
{
    trie_mem_store_t *m = ctx;
    m->dels++;
    if (m->base) {
        store(m, path, bview(NULL, 0), true);
        return ERR_OK;
    }
    size_t mask = m->cap - 1;
    size_t i = find(m, path, hash_path(path));
    if (!m->slots[i].path)
        return ERR_NOT_FOUND;
    m->bytes -= m->slots[i].node_n;
    m->used--;
    rn_free(m->slots[i].path);
    m->slots[i].path = NULL;
    /* Backward-shift: move later entries of the probe run into the hole when their home bucket
     * does not lie (cyclically) between the hole and their position. */
    for (size_t j = (i + 1) & mask; m->slots[j].path; j = (j + 1) & mask) {
        size_t home = (size_t)m->slots[j].h & mask;
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        m->slots[i] = m->slots[j];
        m->slots[j].path = NULL;
        i = j;
    }
    return ERR_OK;
}

trie_mem_store_t *trie_mem_store_new(void)
{
    trie_mem_store_t *m = RN_NEW(trie_mem_store_t);
    grow(m);
    return m;
}

trie_mem_store_t *trie_mem_store_over(const trie_store_t *base)
{
    trie_mem_store_t *m = trie_mem_store_new();
    m->base = base;
    return m;
}

void trie_mem_store_free(trie_mem_store_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        rn_free(m->slots[i].path);
    rn_free(m->slots);
    rn_free(m);
}

trie_store_t trie_mem_store(trie_mem_store_t *m)
{
    trie_store_t s = { .get = mem_get, .put = mem_put, .del = mem_del, .ctx = m };
    s.trusted = m->base && m->base->trusted;
    if (!m->base || m->base->get_concurrent)
        s.get_concurrent = mem_get_concurrent;
    return s;
}

void trie_mem_store_stats(const trie_mem_store_t *m, trie_mem_stats_t *out)
{
    out->gets = m->gets;
    out->puts = m->puts;
    out->dels = m->dels;
    out->nodes = m->used;
    out->bytes = m->bytes;
}

void trie_mem_store_reset_stats(trie_mem_store_t *m)
{
    m->gets = 0;
    m->puts = 0;
    m->dels = 0;
}
