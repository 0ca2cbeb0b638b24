/* src/state/mem.c — the in-memory backend: accounts, storage and code in hash maps, with the
 * Ethereum state root computed from scratch (tests, state tests, benchmarks). */
#include "crypto/crypto.h"
#include "state/state_int.h"
#include "trie/trie.h"

typedef struct macct {
    state_account_t a;
    bool live;
    hmap_t storage; /**< u256 key -> u256 value, non-zero values only */
} macct_t;

typedef struct mcode {
    uint8_t *p;
    size_t n;
} mcode_t;

struct state_mem {
    hmap_t index; /**< addr -> uint32 index into accts */
    macct_t *accts;
    size_t n, cap;
    hmap_t codes; /**< hash -> mcode_t */
};

state_mem_t *state_mem_new(void)
{
    state_mem_t *m = RN_NEW(state_mem_t);
    state__hmap_init(&m->index, sizeof(addr_t), sizeof(uint32_t));
    state__hmap_init(&m->codes, sizeof(hash_t), sizeof(mcode_t));
    return m;
}

void state_mem_free(state_mem_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        state__hmap_deinit(&m->accts[i].storage);
    rn_free(m->accts);
    size_t it = 0;
    void *v;
    while (state__hmap_next(&m->codes, &it, &v))
        rn_free(((mcode_t *)v)->p);
    state__hmap_deinit(&m->codes);
    state__hmap_deinit(&m->index);
    rn_free(m);
}

state_mem_t *state_mem_clone(const state_mem_t *src)
{
    state_mem_t *m = state_mem_new();
    size_t it = 0;
    void *v;
    const void *k;
    while ((k = state__hmap_next(&src->index, &it, &v))) {
        const macct_t *x = &src->accts[*(uint32_t *)v];
        if (!x->live)
            continue;
        bool found;
        uint32_t *i = state__hmap_put(&m->index, k, &found);
        *i = (uint32_t)m->n;
        STATE_GROW(m->accts, m->n, m->cap);
        macct_t *y = &m->accts[m->n++];
        y->a = x->a;
        y->live = true;
        y->storage = x->storage;
        if (x->storage.cap) {
            y->storage.e = rn_table_alloc(x->storage.cap * x->storage.esize);
            memcpy(y->storage.e, x->storage.e, x->storage.cap * x->storage.esize);
        }
    }
    it = 0;
    while ((k = state__hmap_next(&src->codes, &it, &v))) {
        const mcode_t *c = v;
        mcode_t *d = state__hmap_put(&m->codes, k, NULL);
        d->p = rn_memdup(c->p, c->n);
        d->n = c->n;
    }
    return m;
}

static macct_t *find(const state_mem_t *m, const addr_t *a)
{
    const uint32_t *i = state__hmap_get(&m->index, a->b);
    if (!i || !m->accts[*i].live)
        return NULL;
    return &m->accts[*i];
}

static macct_t *find_or_add(state_mem_t *m, const addr_t *a)
{
    bool found;
    uint32_t *i = state__hmap_put(&m->index, a->b, &found);
    if (!found) {
        *i = (uint32_t)m->n;
        STATE_GROW(m->accts, m->n, m->cap);
        macct_t *x = &m->accts[m->n++];
        memset(x, 0, sizeof(*x));
        state__hmap_init(&x->storage, sizeof(u256_t), sizeof(u256_t));
    }
    macct_t *x = &m->accts[*i];
    if (!x->live) {
        x->live = true;
        x->a.nonce = 0;
        x->a.balance = u256_zero();
        x->a.code_hash = KECCAK_EMPTY;
        state__hmap_clear(&x->storage);
    }
    return x;
}

static void put_code(state_mem_t *m, const hash_t *h, const uint8_t *code, size_t n)
{
    bool found;
    mcode_t *c = state__hmap_put(&m->codes, h->b, &found);
    if (!found) {
        c->p = rn_memdup(code, n);
        c->n = n;
    }
}

void state_mem_put_account(state_mem_t *m, const addr_t *a, uint64_t nonce, u256_t balance,
                           const uint8_t *code, size_t code_len)
{
    macct_t *x = find_or_add(m, a);
    x->a.nonce = nonce;
    x->a.balance = balance;
    if (code_len) {
        x->a.code_hash = keccak256_hash(code, code_len);
        put_code(m, &x->a.code_hash, code, code_len);
    } else {
        x->a.code_hash = KECCAK_EMPTY;
    }
}

static void put_slot(macct_t *x, const u256_t *key, u256_t v)
{
    if (u256_is_zero(v)) {
        /* The map has no deletion: keep a zero, which the root skips. */
        u256_t *cur = state__hmap_get(&x->storage, key);
        if (cur)
            *cur = v;
        return;
    }
    *(u256_t *)state__hmap_put(&x->storage, key, NULL) = v;
}

void state_mem_put_storage(state_mem_t *m, const addr_t *a, const u256_t *key, u256_t v)
{
    macct_t *x = find(m, a);
    if (!x)
        x = find_or_add(m, a);
    put_slot(x, key, v);
}

void state_mem_apply(state_mem_t *m, const state_changes_t *c)
{
    for (size_t i = 0; i < c->ncodes; i++)
        put_code(m, &c->codes[i].hash, c->codes[i].code.p, c->codes[i].code.n);
    for (size_t i = 0; i < c->naccounts; i++) {
        const state_account_change_t *ch = &c->accounts[i];
        if (ch->deleted) {
            macct_t *x = find(m, &ch->addr);
            if (x) {
                x->live = false;
                state__hmap_clear(&x->storage);
            }
            continue;
        }
        macct_t *x = find_or_add(m, &ch->addr);
        if (ch->storage_cleared)
            state__hmap_clear(&x->storage);
        x->a.nonce = ch->nonce;
        x->a.balance = ch->balance;
        x->a.code_hash = ch->code_hash;
    }
    for (size_t i = 0; i < c->nslots; i++) {
        macct_t *x = find(m, &c->slots[i].addr);
        if (x)
            put_slot(x, &c->slots[i].key, c->slots[i].value);
    }
}

bool state_mem_get(state_mem_t *m, const addr_t *a, state_account_t *out)
{
    const macct_t *x = find(m, a);
    if (!x)
        return false;
    *out = x->a;
    return true;
}

void state_mem_foreach(state_mem_t *m,
                       void (*fn)(void *ud, const addr_t *a, const state_account_t *acct), void *ud)
{
    size_t it = 0;
    void *v;
    const void *k;
    while ((k = state__hmap_next(&m->index, &it, &v))) {
        const macct_t *x = &m->accts[*(uint32_t *)v];
        if (x->live)
            fn(ud, k, &x->a);
    }
}

/* ---- backend view ---- */

static bool be_get_account(void *ctx, const addr_t *a, state_account_t *out)
{
    return state_mem_get(ctx, a, out);
}

static u256_t be_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    const macct_t *x = find(ctx, a);
    if (!x)
        return u256_zero();
    const u256_t *v = state__hmap_get(&x->storage, key);
    return v ? *v : u256_zero();
}

static bview_t be_get_code(void *ctx, const hash_t *h)
{
    const state_mem_t *m = ctx;
    const mcode_t *c = state__hmap_get(&m->codes, h->b);
    return c ? bview(c->p, c->n) : bview(NULL, 0);
}

static bool be_has_storage(void *ctx, const addr_t *a)
{
    const macct_t *x = find(ctx, a);
    if (!x)
        return false;
    size_t it = 0;
    void *v;
    while (state__hmap_next(&x->storage, &it, &v)) {
        if (!u256_is_zero(*(u256_t *)v))
            return true;
    }
    return false;
}

state_backend_t state_mem_backend(state_mem_t *m)
{
    state_backend_t b = {
        .get_account = be_get_account,
        .get_storage = be_get_storage,
        .get_code = be_get_code,
        .has_storage = be_has_storage,
        .ctx = m,
    };
    return b;
}

/* ---- state root ---- */

typedef struct kvbuf {
    uint8_t key[32];
    uint8_t val[128];
    size_t vlen;
} kvbuf_t;

static err_t storage_root(const macct_t *x, hash_t *out)
{
    size_t n = 0, it = 0;
    void *v;
    const void *k;
    kvbuf_t *bufs = RN_NEWV(kvbuf_t, x->storage.n ? x->storage.n : 1);
    trie_kv_t *kvs = RN_NEWV(trie_kv_t, x->storage.n ? x->storage.n : 1);
    buf_t b;
    buf_init(&b, 64);
    err_t e = ERR_OK;
    while ((k = state__hmap_next(&x->storage, &it, &v))) {
        u256_t val = *(u256_t *)v;
        if (u256_is_zero(val))
            continue;
        u256_t key;
        memcpy(&key, k, sizeof(key));
        u256_to_be(bufs[n].key, key);
        buf_reset(&b);
        if ((e = trie_storage_value_rlp(&b, val)) != ERR_OK)
            goto out;
        memcpy(bufs[n].val, b.p, b.n);
        bufs[n].vlen = b.n;
        kvs[n].key = bview(bufs[n].key, 32);
        kvs[n].value = bview(bufs[n].val, bufs[n].vlen);
        n++;
    }
    e = trie_root_secure(out, kvs, n);
out:
    buf_deinit(&b);
    rn_free(kvs);
    rn_free(bufs);
    return e;
}

err_t state_mem_root(state_mem_t *m, hash_t *out)
{
    kvbuf_t *bufs = RN_NEWV(kvbuf_t, m->n ? m->n : 1);
    trie_kv_t *kvs = RN_NEWV(trie_kv_t, m->n ? m->n : 1);
    buf_t b;
    buf_init(&b, 256);
    size_t n = 0, it = 0;
    void *v;
    const void *k;
    err_t e = ERR_OK;
    while ((k = state__hmap_next(&m->index, &it, &v))) {
        const macct_t *x = &m->accts[*(uint32_t *)v];
        if (!x->live)
            continue;
        hash_t sroot;
        if ((e = storage_root(x, &sroot)) != ERR_OK)
            goto out;
        buf_reset(&b);
        if ((e = trie_account_rlp(&b, x->a.nonce, x->a.balance, &sroot, &x->a.code_hash)) != ERR_OK)
            goto out;
        if (b.n > sizeof(bufs[n].val)) {
            e = ERR_TOO_LARGE;
            goto out;
        }
        memcpy(bufs[n].key, k, 20);
        memcpy(bufs[n].val, b.p, b.n);
        bufs[n].vlen = b.n;
        kvs[n].key = bview(bufs[n].key, 20);
        kvs[n].value = bview(bufs[n].val, bufs[n].vlen);
        n++;
    }
    e = trie_root_secure(out, kvs, n);
out:
    buf_deinit(&b);
    rn_free(kvs);
    rn_free(bufs);
    return e;
}
