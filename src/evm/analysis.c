/* src/evm/analysis.c — code analysis (padded copy + JUMPDEST bitmap, evmone's baseline
 * analysis) and the cache of analysed code keyed by code hash. */
#include "evm/evm_int.h"

void evm__analyse(evm_code_t *c, const uint8_t *code, size_t n)
{
    size_t words = (n + 63) / 64;
    size_t code_bytes = (n + EVM_CODE_PADDING + 7) & ~(size_t)7; /* keep the bitmap aligned */
    size_t need = code_bytes + words * 8;
    if (c->alloc < need) {
        rn_free(c->code);
        size_t cap = c->alloc * 2 > need ? c->alloc * 2 : need;
        c->code = rn_malloc(cap);
        c->alloc = cap;
    }
    c->len = n;
    if (n)
        memcpy(c->code, code, n);
    memset(c->code + n, 0, code_bytes - n);
    c->jumpdests = (uint64_t *)(void *)(c->code + code_bytes);
    memset(c->jumpdests, 0, words * 8);
    for (size_t i = 0; i < n; i++) {
        uint8_t op = code[i];
        if (op == OP_JUMPDEST)
            c->jumpdests[i >> 6] |= (uint64_t)1 << (i & 63);
        else if (op >= OP_PUSH1 && op <= OP_PUSH32)
            i += (size_t)(op - OP_PUSH1 + 1); /* skip the immediate bytes */
    }
}

static size_t slot_of(const hash_t *h, size_t cap)
{
    uint64_t v;
    memcpy(&v, h->b, 8); /* a keccak hash: any 8 bytes are uniformly distributed */
    return (size_t)v & (cap - 1);
}

static void cache_insert(evm_cache_t *c, evm_code_t *e)
{
    size_t i = slot_of(&e->hash, c->cap);
    while (c->slots[i])
        i = (i + 1) & (c->cap - 1);
    c->slots[i] = e;
    c->n++;
}

static void cache_grow(evm_cache_t *c)
{
    evm_code_t **old = c->slots;
    size_t old_cap = c->cap;
    c->cap = old_cap ? old_cap * 2 : 256;
    c->slots = RN_NEWV(evm_code_t *, c->cap);
    c->n = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i])
            cache_insert(c, old[i]);
    }
    rn_free(old);
}

const evm_code_t *evm__code_get(evm_t *evm, const hash_t *hash, bview_t code)
{
    evm_cache_t *c = &evm->cache;
    if (c->cap) {
        size_t i = slot_of(hash, c->cap);
        while (c->slots[i]) {
            if (hash_eq(&c->slots[i]->hash, hash))
                return c->slots[i];
            i = (i + 1) & (c->cap - 1);
        }
    }
    if ((c->n + 1) * 2 > c->cap)
        cache_grow(c);
    evm_code_t *e = RN_NEW(evm_code_t);
    evm__analyse(e, code.p, code.n);
    e->hash = *hash;
    c->bytes += e->alloc + sizeof(*e);
    cache_insert(c, e);
    return e;
}

void evm__cache_free(evm_cache_t *c)
{
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i]) {
            rn_free(c->slots[i]->code);
            rn_free(c->slots[i]);
        }
    }
    rn_free(c->slots);
    memset(c, 0, sizeof(*c));
}

void evm__cache_trim(evm_cache_t *c)
{
    /* Entries are only freed between executions: a running frame may point into any of them. */
    if (c->bytes > EVM_CACHE_MAX_BYTES)
        evm__cache_free(c);
}

void evm__bytes_reserve(evm_bytes_t *b, size_t n)
{
    if (b->cap >= n)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n)
        cap *= 2;
    rn_free(b->p);
    b->p = rn_malloc(cap);
    b->cap = cap;
}

void evm__mem_grow(evm_bytes_t *m, size_t new_size)
{
    if (new_size > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < new_size)
            cap *= 2; /* geometric growth: amortised O(1) per byte */
        m->p = rn_realloc(m->p, cap);
        m->cap = cap;
    }
    memset(m->p + m->n, 0, new_size - m->n);
    m->n = new_size;
}
