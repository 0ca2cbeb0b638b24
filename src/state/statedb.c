/* The node's state in LMDB: a backend for the overlay, the per-block commit with change sets,
 * and the state root (layout in state.h and docs/decisions/0009-storage-layout.md).
 *
 * Roots come from the persistent tries (src/trie over ACCOUNT_TRIE and STORAGE_TRIE): a block
 * re-hashes only the paths it touches. state_db_root_full recomputes the same root from the flat
 * tables alone; tests use it to check that tries and flat state agree. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/clock.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "rlp/rlp.h"
#include "state/state.h"
#include "state/state_int.h"
#include "trie/trie.h"

/* ---- decoding the flat account ---- */

typedef struct flat_account {
    uint64_t nonce;
    u256_t balance;
    hash_t storage_root;
    hash_t code_hash;
} flat_account_t;

static err_t flat_decode(bview_t raw, flat_account_t *a)
{
    rlp_item_t list, it;
    TRY(rlp_decode_one(raw, &list));
    if (!list.is_list)
        return ERR_DB;
    bview_t cur = list.payload;
    TRY(rlp_next(&cur, &it));
    TRY(rlp_read_u64(&it, &a->nonce));
    TRY(rlp_next(&cur, &it));
    TRY(rlp_read_u256(&it, &a->balance));
    TRY(rlp_next(&cur, &it));
    TRY(rlp_read_hash(&it, &a->storage_root));
    TRY(rlp_next(&cur, &it));
    TRY(rlp_read_hash(&it, &a->code_hash));
    return cur.n ? ERR_DB : ERR_OK;
}

/* ---- backend ---- */

static bool b_get_account(void *ctx, const addr_t *a, state_account_t *out)
{
    bview_t v;
    flat_account_t f;
    err_t e = db_get(ctx, DB_ACCOUNTS, bview(a->b, 20), &v);
    if (e == ERR_NOT_FOUND)
        out->stored = true; /* known absent */
    if (e != ERR_OK || flat_decode(v, &f) != ERR_OK)
        return false;
    out->nonce = f.nonce;
    out->balance = f.balance;
    out->code_hash = f.code_hash;
    out->storage_root = f.storage_root;
    out->stored = true;
    return true;
}

static u256_t b_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    uint8_t k[52];
    memcpy(k, a->b, 20);
    u256_to_be(k + 20, *key);
    bview_t v;
    if (db_get(ctx, DB_STORAGE, bview(k, 52), &v) != ERR_OK || v.n > 32)
        return u256_from_u64(0);
    return u256_from_be(v.p, v.n);
}

static bview_t b_get_code(void *ctx, const hash_t *h)
{
    bview_t v;
    if (db_get(ctx, DB_CODE, bview(h->b, 32), &v) != ERR_OK)
        return bview(NULL, 0);
    return v;
}

/* Whether a has slots: its storage root, kept exact with them, says so without a scan. */
static bool has_slots(bool (*get)(void *, const addr_t *, state_account_t *), void *ctx,
                      const addr_t *a)
{
    state_account_t acc;
    memset(&acc, 0, sizeof(acc));
    return get(ctx, a, &acc) && !hash_eq(&acc.storage_root, &KECCAK_EMPTY_TRIE);
}

static bool b_has_storage(void *ctx, const addr_t *a)
{
    return has_slots(b_get_account, ctx, a);
}

state_backend_t state_db_backend(db_txn_t *txn)
{
    state_backend_t b = {
        .get_account = b_get_account,
        .get_storage = b_get_storage,
        .get_code = b_get_code,
        .has_storage = b_has_storage,
        .ctx = txn,
    };
    return b;
}

/* An account written by a block commit: its trie key and value, and the account itself. */
typedef struct acct_out {
    hash_t key; /* keccak(addr), filled for the whole batch at once */
    addr_t addr;
    state_account_t acc; /* the account after the block, when vlen (absent otherwise) */
    uint8_t val[160];
    size_t vlen;
    uint8_t old[160]; /* the value before the block: the trie update's leaf hint */
    size_t oldlen;
} acct_out_t;

/* ---- accounts across blocks (state_db_backend_cached) ----
 * One cache per process, of one state: (db, META head_number, META state_root). A state root
 * commits to every account field, so entries of that state are right for any transaction that
 * sees it. The block commit stages the accounts it wrote (all of them: changed, created,
 * deleted, storage roots refreshed) with the state they lead to; the next opening promotes them
 * if that state is then the head (the transaction committed), and drops them otherwise. */

typedef struct acct_val {
    bool exists;
    state_account_t a; /**< when exists; a.stored is set */
} acct_val_t;

typedef struct acct_pend {
    addr_t addr;
    acct_val_t v;
} acct_pend_t;

static struct {
    pthread_mutex_t mu;
    bool valid;  /* map holds accounts of (db, number, root) */
    uint64_t db; /* db_instance */
    uint64_t number;
    hash_t root;
    hmap_t map; /* addr -> acct_val_t */
    /* Staged by the last commit: the accounts of (p_db, p_number, p_root), written over the
     * state (p_db, p_number - 1, p_parent). */
    uint64_t p_db;
    uint64_t p_number;
    hash_t p_root, p_parent;
    acct_pend_t *pend;
    size_t npend, cap_pend;
    uint64_t hits, misses;
} g_ac = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void cache_reset(uint64_t db, uint64_t number, const hash_t *root)
{
    if (!g_ac.map.esize) {
        state__hmap_init(&g_ac.map, 20, sizeof(acct_val_t));
        /* Keys are addresses anyone can pick: a secret seed keeps probe runs short. */
        uint64_t seed;
        if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
            seed = (uint64_t)clock_mono_ns() * 0x9e3779b97f4a7c15ull;
        g_ac.map.seed = seed;
    }
    state__hmap_clear(&g_ac.map);
    g_ac.valid = true;
    g_ac.db = db;
    g_ac.number = number;
    g_ac.root = *root;
}

static bool cache_is(uint64_t db, uint64_t number, const hash_t *root)
{
    return g_ac.valid && g_ac.db == db && g_ac.number == number &&
           memcmp(g_ac.root.b, root->b, 32) == 0;
}

static void cache_put(const addr_t *a, const acct_val_t *v)
{
    if (g_ac.map.n >= STATE_DB_CACHE_ACCOUNTS)
        state__hmap_clear(&g_ac.map); /* full: start over */
    acct_val_t *slot = state__hmap_put(&g_ac.map, a->b, NULL);
    *slot = *v;
}

static void cache_stage(db_txn_t *txn, uint64_t number, const hash_t *parent, const hash_t *root,
                        const acct_out_t *outs, size_t n)
{
    pthread_mutex_lock(&g_ac.mu);
    if (n > g_ac.cap_pend) {
        g_ac.cap_pend = n;
        g_ac.pend = rn_realloc_huge(g_ac.pend, n * sizeof(*g_ac.pend));
    }
    for (size_t i = 0; i < n; i++) {
        g_ac.pend[i].addr = outs[i].addr;
        g_ac.pend[i].v.exists = outs[i].vlen != 0;
        g_ac.pend[i].v.a = outs[i].vlen ? outs[i].acc : (state_account_t){ .stored = true };
    }
    g_ac.npend = n;
    g_ac.p_db = db_instance(db_txn_db(txn));
    g_ac.p_number = number;
    g_ac.p_root = *root;
    g_ac.p_parent = *parent;
    pthread_mutex_unlock(&g_ac.mu);
}

static bool c_get_account(void *ctx, const addr_t *a, state_account_t *out)
{
    state_db_cached_t *c = ctx;
    if (c->use) {
        pthread_mutex_lock(&g_ac.mu);
        const acct_val_t *v =
            cache_is(c->db, c->number, &c->root) ? state__hmap_get(&g_ac.map, a->b) : NULL;
        if (v) {
            g_ac.hits++;
            *out = v->a;
        }
        pthread_mutex_unlock(&g_ac.mu);
        if (v)
            return v->exists;
    }
    bool found = b_get_account(c->txn, a, out);
    if (c->use && out->stored) {
        acct_val_t nv = { .exists = found, .a = *out };
        if (!found)
            nv.a = (state_account_t){ .stored = true };
        pthread_mutex_lock(&g_ac.mu);
        g_ac.misses++;
        if (cache_is(c->db, c->number, &c->root))
            cache_put(a, &nv);
        pthread_mutex_unlock(&g_ac.mu);
    }
    return found;
}

static void c_prefetch_account(void *ctx, const addr_t *a)
{
    state_db_cached_t *c = ctx;
    if (!c->use)
        return;
    pthread_mutex_lock(&g_ac.mu);
    if (cache_is(c->db, c->number, &c->root))
        state__hmap_prefetch(&g_ac.map, a->b);
    pthread_mutex_unlock(&g_ac.mu);
    db_prefetch(c->txn, DB_ACCOUNTS, bview(a->b, 20)); /* on a miss, the flat record's slot */
}

static u256_t c_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    return b_get_storage(((state_db_cached_t *)ctx)->txn, a, key);
}

static bview_t c_get_code(void *ctx, const hash_t *h)
{
    return b_get_code(((state_db_cached_t *)ctx)->txn, h);
}

static bool c_has_storage(void *ctx, const addr_t *a)
{
    return has_slots(c_get_account, ctx, a);
}

state_backend_t state_db_backend_cached(db_txn_t *txn, state_db_cached_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->txn = txn;
    ctx->db = db_instance(db_txn_db(txn));
    bview_t r;
    ctx->use = db_meta_get_u64(txn, "head_number", &ctx->number) == ERR_OK &&
               db_meta_get(txn, "state_root", &r) == ERR_OK && r.n == 32;
    if (ctx->use) {
        memcpy(ctx->root.b, r.p, 32);
        pthread_mutex_lock(&g_ac.mu);
        if (!cache_is(ctx->db, ctx->number, &ctx->root)) {
            bool promote = g_ac.npend && g_ac.p_db == ctx->db && g_ac.p_number == ctx->number &&
                           memcmp(g_ac.p_root.b, ctx->root.b, 32) == 0 &&
                           cache_is(ctx->db, ctx->number - 1, &g_ac.p_parent);
            if (promote) { /* the block sealed last was committed: its accounts join */
                g_ac.number = ctx->number;
                g_ac.root = ctx->root;
                for (size_t i = 0; i < g_ac.npend; i++)
                    cache_put(&g_ac.pend[i].addr, &g_ac.pend[i].v);
                /* Room for as many new accounts again, so that the next block's misses do not
                 * grow the table on the block's path (the sequencer opens this between blocks). */
                size_t want = g_ac.map.n + g_ac.npend;
                state__hmap_reserve(
                    &g_ac.map, want < STATE_DB_CACHE_ACCOUNTS ? want : STATE_DB_CACHE_ACCOUNTS);
            } else {
                cache_reset(ctx->db, ctx->number, &ctx->root);
            }
            g_ac.npend = 0;
        }
        pthread_mutex_unlock(&g_ac.mu);
    }
    state_backend_t b = {
        .get_account = c_get_account,
        .get_storage = c_get_storage,
        .get_code = c_get_code,
        .has_storage = c_has_storage,
        .ctx = ctx,
        .prefetch_account = c_prefetch_account,
    };
    return b;
}

void state_db_cache_stats(uint64_t *hits, uint64_t *misses)
{
    pthread_mutex_lock(&g_ac.mu);
    *hits = g_ac.hits;
    *misses = g_ac.misses;
    pthread_mutex_unlock(&g_ac.mu);
}

/* ---- the tries in LMDB ---- */

/* A trie_store over one table; storage tries share STORAGE_TRIE under keccak(address). A node's
 * key is [prefix ‖] path length ‖ path (LMDB keys cannot be empty, and the root's path is). */
typedef struct tstore {
    db_txn_t *txn;
    db_table_t table;
    uint8_t key[32 + 1 + TRIE_DB_MAX_NIBBLES];
    size_t plen;
} tstore_t;

/* The node key of path into out (which holds sizeof(t->key) bytes). */
static bview_t ts_key_in(const tstore_t *t, uint8_t *out, bview_t path)
{
    if (out != t->key)
        memcpy(out, t->key, t->plen);
    out[t->plen] = (uint8_t)path.n;
    if (path.n)
        memcpy(out + t->plen + 1, path.p, path.n);
    return bview(out, t->plen + 1 + path.n);
}

static bview_t ts_key(tstore_t *t, bview_t path)
{
    return ts_key_in(t, t->key, path);
}

static err_t ts_get(void *ctx, bview_t path, bview_t *node)
{
    tstore_t *t = ctx;
    return db_get(t->txn, t->table, ts_key(t, path), node);
}

/* ts_get for several threads at once (the account trie's large updates, decision 0025): the
 * key is built on the caller's stack. */
static err_t ts_get_concurrent(void *ctx, bview_t path, bview_t *node)
{
    const tstore_t *t = ctx;
    uint8_t key[sizeof(t->key)];
    return db_get_concurrent(t->txn, t->table, ts_key_in(t, key, path), node);
}

static err_t ts_put(void *ctx, bview_t path, bview_t node)
{
    tstore_t *t = ctx;
    return db_put(t->txn, t->table, ts_key(t, path), node);
}

static err_t ts_del(void *ctx, bview_t path)
{
    tstore_t *t = ctx;
    return db_del(t->txn, t->table, ts_key(t, path));
}

static trie_store_t account_trie(tstore_t *t, db_txn_t *txn)
{
    t->txn = txn;
    t->table = DB_ACCOUNT_TRIE;
    t->plen = 0;
    return (trie_store_t){ ts_get, ts_put, ts_del, t, true, ts_get_concurrent };
}

static trie_store_t storage_trie(tstore_t *t, db_txn_t *txn, const addr_t *a)
{
    t->txn = txn;
    t->table = DB_STORAGE_TRIE;
    keccak256(t->key, a->b, 20);
    t->plen = 32;
    /* No get_concurrent: db_del_prefix may have emptied this table's LMDB entries of an account
     * in the same transaction (decision 0025); a contract's batch is small anyway. */
    return (trie_store_t){ ts_get, ts_put, ts_del, t, true, NULL };
}

/* Remove every node of a's storage trie. */
static err_t drop_storage_trie(db_txn_t *txn, const addr_t *a)
{
    uint8_t pre[32];
    keccak256(pre, a->b, 20);
    return db_del_prefix(txn, DB_STORAGE_TRIE, bview(pre, 32));
}

/* One storage-trie update: keccak(slot) → rlp(value) (empty = delete). */
typedef struct slot_upd {
    uint8_t key[32];
    uint8_t val[34];
    size_t vlen;
    uint8_t old[34]; /* the stored value before: the trie update's leaf hint (empty: none) */
    size_t oldlen;
} slot_upd_t;

/* The storage-trie value of a slot: rlp(value as a minimal big-endian integer), empty for 0. */
static size_t slot_rlp(uint8_t out[34], u256_t value)
{
    if (u256_is_zero(value))
        return 0;
    uint8_t be[32];
    unsigned n = u256_byte_length(value);
    u256_to_be(be, value);
    /* rlp of a minimal big-endian integer: a single byte < 0x80 is itself. */
    if (n == 1 && be[31] < 0x80) {
        out[0] = be[31];
        return 1;
    }
    out[0] = (uint8_t)(0x80 + n);
    memcpy(out + 1, be + 32 - n, n);
    return n + 1;
}

static void slot_upd_set(slot_upd_t *u, const u256_t *slot, u256_t value)
{
    uint8_t be[32];
    u256_to_be(be, *slot);
    keccak256(u->key, be, 32);
    u->vlen = slot_rlp(u->val, value);
    u->oldlen = 0;
}

/* Apply slot updates to the storage trie in st (none: just its root). */
static err_t slot_trie_update(const trie_store_t *st, const slot_upd_t *u, size_t n, hash_t *root)
{
    if (n == 0)
        return trie_db_root(st, root);
    trie_kv_t *kv = RN_NEWV(trie_kv_t, n);
    for (size_t i = 0; i < n; i++) {
        kv[i].key = bview(u[i].key, 32);
        kv[i].value = bview(u[i].val, u[i].vlen);
        kv[i].old = bview(u[i].old, u[i].oldlen);
    }
    err_t e = trie_db_update(st, root, kv, n);
    rn_free(kv);
    return e;
}

static err_t apply_slot_updates(db_txn_t *txn, const addr_t *a, const slot_upd_t *u, size_t n,
                                hash_t *root)
{
    tstore_t ts;
    trie_store_t st = storage_trie(&ts, txn, a);
    return slot_trie_update(&st, u, n, root);
}

/* Account-trie update for a from its current flat value (absent = delete). */
static err_t account_trie_update(db_txn_t *txn, const addr_t *const *addrs, size_t n, hash_t *root)
{
    tstore_t ts;
    trie_store_t st = account_trie(&ts, txn);
    if (n == 0)
        return trie_db_root(&st, root);
    trie_kv_t *kv = RN_NEWV(trie_kv_t, n);
    uint8_t(*keys)[32] = rn_calloc(n, 32);
    uint8_t(*vals)[160] = rn_calloc(n, 160);
    err_t e = ERR_OK;
    for (size_t i = 0; i < n && !e; i++) {
        keccak256(keys[i], addrs[i]->b, 20);
        kv[i].key = bview(keys[i], 32);
        bview_t v;
        if (db_get(txn, DB_ACCOUNTS, bview(addrs[i]->b, 20), &v) == ERR_OK) {
            if (v.n > 160) {
                e = ERR_DB;
                break;
            }
            memcpy(vals[i], v.p, v.n);
            kv[i].value = bview(vals[i], v.n);
        } else {
            kv[i].value = bview(NULL, 0);
        }
    }
    if (!e)
        e = trie_db_update(&st, root, kv, n);
    rn_free(vals);
    rn_free(keys);
    rn_free(kv);
    return e;
}

/* ---- commit ---- */

static err_t record_slot(db_txn_t *txn, const uint8_t num[8], const uint8_t key[52], bview_t prev)
{
    uint8_t ck[60];
    memcpy(ck, num, 8);
    memcpy(ck + 8, key, 52);
    bview_t have;
    if (db_get(txn, DB_STORAGE_CHANGES, bview(ck, 60), &have) == ERR_OK)
        return ERR_OK; /* the first previous value of this block wins */
    /* LMDB values may alias the table being written: copy before the first put. */
    uint8_t v[32];
    size_t n = prev.n <= 32 ? prev.n : 32;
    if (n)
        memcpy(v, prev.p, n);
    return db_put_last(txn, DB_STORAGE_CHANGES, bview(ck, 60), bview(v, n));
}

/* The account before block num, in the block's change set. Called once per account and block:
 * state_changes lists an account once, and the accounts whose slots alone changed are not in
 * that list. (The address-keyed history index is filled from the change sets in batches.) */
static err_t record_account(db_txn_t *txn, const uint8_t num[8], const addr_t *a, bview_t prev)
{
    uint8_t ck[28];
    memcpy(ck, num, 8);
    memcpy(ck + 8, a->b, 20);
    uint8_t v[160];
    if (prev.n > sizeof(v))
        return ERR_DB;
    if (prev.n)
        memcpy(v, prev.p, prev.n);
    /* Keys grow (block, then address: changes come sorted), so this is usually an append. */
    return db_put_last(txn, DB_ACCOUNT_CHANGES, bview(ck, 28), bview(v, prev.n));
}

/* ---- the history index, filled in batches ----
 *
 * ACCOUNT_HISTORY / STORAGE_HISTORY (key ‖ block → value before the block) hold the change sets
 * of blocks up to META history_indexed (absent: every block, as datadirs written before the
 * batches). Newer blocks are added every history_batch blocks, in key order, in that block's
 * transaction: per block the history costs a sequential append to the change sets instead of a
 * random B-tree write per key. Readers look at the change sets of the blocks after the mark. */

static uint32_t g_history_batch = 128;

void state_db_set_history_batch(uint32_t blocks)
{
    g_history_batch = blocks ? blocks : 1;
}

static uint64_t history_indexed(db_txn_t *txn, uint64_t head)
{
    uint64_t v;
    return db_meta_get_u64(txn, "history_indexed", &v) == ERR_OK && v < head ? v : head;
}

typedef struct hrec {
    uint8_t key[60]; /* key ‖ be64 block */
    uint8_t val[160];
    uint8_t klen, vlen;
} hrec_t;

static int hrec_cmp(const void *x, const void *y)
{
    const hrec_t *a = x, *b = y;
    return memcmp(a->key, b->key, a->klen);
}

/* Copy the change sets of blocks from..to of one kind into its history index. */
static err_t index_changes(db_txn_t *txn, db_table_t changes, db_table_t hist, size_t kn,
                           uint64_t from, uint64_t to)
{
    uint8_t start[8];
    be_store64(start, from);
    db_cursor_t *c;
    TRY(db_cursor_open(txn, changes, &c));
    hrec_t *r = NULL;
    size_t n = 0, cap = 0;
    bview_t k, v;
    err_t e = db_cursor_seek(c, bview(start, 8), &k, &v);
    for (; e == ERR_OK; e = db_cursor_next(c, &k, &v)) {
        if (k.n != 8 + kn || v.n > sizeof(r->val)) {
            e = ERR_DB;
            break;
        }
        if (be_load64(k.p) > to)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            r = rn_realloc(r, cap * sizeof(*r));
        }
        memcpy(r[n].key, k.p + 8, kn);
        memcpy(r[n].key + kn, k.p, 8);
        r[n].klen = (uint8_t)(kn + 8);
        if (v.n)
            memcpy(r[n].val, v.p, v.n);
        r[n].vlen = (uint8_t)v.n;
        n++;
    }
    db_cursor_close(c);
    if (e == ERR_NOT_FOUND)
        e = ERR_OK;
    if (!e && n)
        qsort(r, n, sizeof(*r), hrec_cmp); /* each B-tree page visited once */
    for (size_t i = 0; i < n && !e; i++)
        e = db_put(txn, hist, bview(r[i].key, r[i].klen), bview(r[i].val, r[i].vlen));
    rn_free(r);
    return e;
}

/* Index the blocks up to `upto` when a batch is due at block `at` (upto itself after its change
 * sets are written, or the head, ahead of the next block). */
static err_t index_history_at(db_txn_t *txn, uint64_t at, uint64_t upto, bool *did)
{
    uint64_t indexed;
    bool due;
    TRY(db_meta_batch_due(txn, "history_indexed", at, g_history_batch, &indexed, &due));
    if (!due)
        return ERR_OK;
    TRY(index_changes(txn, DB_ACCOUNT_CHANGES, DB_ACCOUNT_HISTORY, 20, indexed + 1, upto));
    TRY(index_changes(txn, DB_STORAGE_CHANGES, DB_STORAGE_HISTORY, 52, indexed + 1, upto));
    if (did)
        *did = true;
    return db_meta_put_u64(txn, "history_indexed", upto);
}

static err_t index_history(db_txn_t *txn, uint64_t number)
{
    return index_history_at(txn, number, number, NULL);
}

err_t state_db_index_ahead(db_txn_t *txn, uint64_t head, bool *did)
{
    return index_history_at(txn, head + 1, head, did);
}

/* Entries of a flat table copied out of a scan (the scan's views end with it). */
typedef struct flat_list {
    buf_t data;     /* key ‖ value, back to back */
    size_t *off;    /* where entry i starts in data */
    uint32_t *lens; /* key length, value length of entry i */
    size_t n, cap;
    err_t err;
} flat_list_t;

static bool flat_list_add(void *ctx, bview_t k, bview_t v)
{
    flat_list_t *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->off = rn_realloc(l->off, l->cap * sizeof(*l->off));
        l->lens = rn_realloc(l->lens, l->cap * 2 * sizeof(*l->lens));
    }
    l->off[l->n] = l->data.n;
    l->lens[2 * l->n] = (uint32_t)k.n;
    l->lens[2 * l->n + 1] = (uint32_t)v.n;
    l->n++;
    l->err = buf_append(&l->data, k.p, k.n);
    if (!l->err)
        l->err = buf_append(&l->data, v.p, v.n);
    return !l->err;
}

static err_t flat_list_load(flat_list_t *l, db_txn_t *txn, db_table_t t, bview_t prefix)
{
    memset(l, 0, sizeof(*l));
    buf_init(&l->data, SIZE_MAX); /* a whole table when the prefix is empty */
    err_t e = db_scan(txn, t, prefix, flat_list_add, l);
    return e ? e : l->err;
}

static bview_t flat_list_key(const flat_list_t *l, size_t i)
{
    return bview(l->data.p + l->off[i], l->lens[2 * i]);
}

static bview_t flat_list_val(const flat_list_t *l, size_t i)
{
    return bview(l->data.p + l->off[i] + l->lens[2 * i], l->lens[2 * i + 1]);
}

static void flat_list_free(flat_list_t *l)
{
    buf_deinit(&l->data);
    rn_free(l->off);
    rn_free(l->lens);
}

/* Delete every slot of a (recording previous values). */
static err_t clear_storage(db_txn_t *txn, const uint8_t num[8], const addr_t *a)
{
    flat_list_t l;
    err_t e = flat_list_load(&l, txn, DB_STORAGE, bview(a->b, 20));
    for (size_t i = 0; i < l.n && !e; i++) {
        bview_t k = flat_list_key(&l, i);
        e = k.n == 52 ? record_slot(txn, num, k.p, flat_list_val(&l, i)) : ERR_DB;
    }
    flat_list_free(&l);
    return e ? e : db_del_prefix(txn, DB_STORAGE, bview(a->b, 20));
}

static const addr_t *g_sort_addrs; /* qsort has no context: the slot array being sorted */

static int slot_idx_cmp(const void *x, const void *y)
{
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = memcmp(g_sort_addrs[i].b, g_sort_addrs[j].b, 20);
    return c ? c : (i < j ? -1 : i > j);
}

/* The account trie's batch: keccak(address) → the flat value written (vlen 0 = deleted). */

static err_t out_value(acct_out_t *o, const addr_t *a, bview_t v, bview_t old)
{
    if (v.n > sizeof(o->val) || old.n > sizeof(o->old))
        return ERR_DB;
    o->addr = *a;
    if (v.n)
        memcpy(o->val, v.p, v.n);
    o->vlen = v.n;
    if (old.n)
        memcpy(o->old, old.p, old.n);
    o->oldlen = old.n;
    return ERR_OK;
}

/* Write a's flat account with its storage root: from the change when there is one, else from
 * the stored value (an account whose slots alone changed, recording its previous value). The
 * value written (or its absence) goes to *o. */
static err_t write_account(db_txn_t *txn, const uint8_t num[8], const addr_t *a,
                           const state_account_change_t *ac, bview_t prev, const hash_t *sroot,
                           buf_t *b, acct_out_t *o)
{
    flat_account_t f;
    if (ac) {
        f.nonce = ac->nonce;
        f.balance = ac->balance;
        f.code_hash = ac->code_hash;
    } else {
        bview_t v;
        if (db_get(txn, DB_ACCOUNTS, bview(a->b, 20), &v) != ERR_OK)
            return out_value(o, a, bview(NULL, 0), prev); /* its slots were cleared with it */
        TRY(flat_decode(v, &f));
        TRY(record_account(txn, num, a, v));
        prev = v;
    }
    /* The old value is copied before the put: LMDB views may alias the page being written. */
    buf_reset(b);
    TRY(trie_account_rlp(b, f.nonce, f.balance, sroot, &f.code_hash));
    TRY(out_value(o, a, buf_view(b), prev));
    o->acc = (state_account_t){ .nonce = f.nonce,
                                .balance = f.balance,
                                .code_hash = f.code_hash,
                                .storage_root = *sroot,
                                .stored = true };
    return db_put(txn, DB_ACCOUNTS, bview(a->b, 20), buf_view(b));
}

static const state_account_change_t *g_sort_accts; /* qsort has no context */

static int acct_idx_cmp(const void *x, const void *y)
{
    return memcmp(g_sort_accts[*(const size_t *)x].addr.b, g_sort_accts[*(const size_t *)y].addr.b,
                  20);
}

/* Index into c->accounts of a's change, or SIZE_MAX; by[] holds the indexes sorted by address. */
static size_t find_account(const state_changes_t *c, const size_t *by, const addr_t *a)
{
    size_t lo = 0, hi = c->naccounts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = memcmp(c->accounts[by[mid]].addr.b, a->b, 20);
        if (r == 0)
            return by[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* ---- scratch for state_db_commit, kept per thread between blocks ----
 * A big block's largest temporaries are two per-account arrays (~660 bytes an account: 13 MB at
 * 20 000 transfers). Fresh memory costs a page fault per 4 KiB on first touch (~12 µs here,
 * decision 0021), so each committing thread keeps them, as tables (huge pages when large), at
 * the largest size asked so far; they are freed when the thread exits. Not kept under
 * AddressSanitizer, which should see each one's end of life. */

enum {
    SCRATCH_PREV,
    SCRATCH_OUTS,
    SCRATCH_N
};

typedef struct commit_scratch {
    void *p[SCRATCH_N];
    size_t cap[SCRATCH_N];
} commit_scratch_t;

static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;

static void scratch_destroy(void *v)
{
    commit_scratch_t *s = v;
    for (int i = 0; i < SCRATCH_N; i++)
        rn_table_free(s->p[i], s->cap[i]);
    rn_free(s);
}

static void scratch_key_init(void)
{
    if (pthread_key_create(&g_scratch_key, scratch_destroy) != 0)
        PANIC("pthread_key_create failed");
}

/* At least n bytes of this thread's scratch i; the contents are undefined. */
static void *scratch_get(int i, size_t n)
{
    pthread_once(&g_scratch_once, scratch_key_init);
    commit_scratch_t *s = pthread_getspecific(g_scratch_key);
    if (!s) {
        s = RN_NEW(commit_scratch_t);
        if (pthread_setspecific(g_scratch_key, s) != 0)
            PANIC("pthread_setspecific failed");
    }
    if (s->cap[i] < n) {
        rn_table_free(s->p[i], s->cap[i]);
        s->cap[i] = n > 2 * s->cap[i] ? n : 2 * s->cap[i];
        s->p[i] = rn_table_alloc(s->cap[i]);
    }
    return s->p[i];
}

/* The end of a commit: under ASan, give the scratch back. */
static void scratch_done(void)
{
#if defined(__SANITIZE_ADDRESS__)
    commit_scratch_t *s = pthread_getspecific(g_scratch_key);
    if (s) {
        pthread_setspecific(g_scratch_key, NULL);
        scratch_destroy(s);
    }
#endif
}

err_t state_db_commit(db_txn_t *txn, uint64_t number, const state_changes_t *c, hash_t *root)
{
    uint8_t num[8];
    be_store64(num, number);
    err_t e = ERR_OK;
    db_txn_writeback_mark(txn, number); /* the tries (write-back tables) now hold this block */
    /* The state this block starts from, for the account cache (state_db_backend_cached). */
    hash_t parent;
    bview_t pr;
    uint64_t pn;
    bool has_parent = db_meta_get(txn, "state_root", &pr) == ERR_OK && pr.n == 32 &&
                      db_meta_get_u64(txn, "head_number", &pn) == ERR_OK && pn + 1 == number;
    if (has_parent)
        memcpy(parent.b, pr.p, 32);
    size_t na1 = c->naccounts + 1;
    uint8_t(*prev_val)[160] = scratch_get(SCRATCH_PREV, na1 * 160); /* flat value before */
    size_t *prev_len = RN_NEWV(size_t, na1);
    /* 1. Previous account values; deletions and storage clears (flat slots and trie). */
    buf_t pb;
    buf_init(&pb, 160);
    for (size_t i = 0; i < c->naccounts && !e; i++) {
        const state_account_change_t *ac = &c->accounts[i];
        bview_t prev = bview(NULL, 0);
        if (ac->prev.stored) { /* what execution read: the record, re-encoded */
            buf_reset(&pb);
            if (ac->prev_exists &&
                (e = trie_account_rlp(&pb, ac->prev.nonce, ac->prev.balance, &ac->prev.storage_root,
                                      &ac->prev.code_hash)) == ERR_OK)
                prev = buf_view(&pb);
        } else if (db_get(txn, DB_ACCOUNTS, bview(ac->addr.b, 20), &prev) != ERR_OK) {
            prev = bview(NULL, 0);
        }
        if (e)
            break;
        if (prev.n > 160) {
            e = ERR_DB;
            break;
        }
        if (prev.n)
            memcpy(prev_val[i], prev.p, prev.n);
        prev_len[i] = prev.n;
        e = record_account(txn, num, &ac->addr, prev);
        /* Clearing scans the unflushed slots of every account: only where there are slots (an
         * undecodable record is cleared, to be safe). */
        flat_account_t pf;
        bool had_slots = prev.n && (flat_decode(prev, &pf) != ERR_OK ||
                                    !hash_eq(&pf.storage_root, &KECCAK_EMPTY_TRIE));
        if (!e && had_slots && (ac->deleted || ac->storage_cleared)) {
            e = clear_storage(txn, num, &ac->addr);
            if (!e)
                e = drop_storage_trie(txn, &ac->addr);
        }
    }
    buf_deinit(&pb);
    /* 2. Flat slots. */
    u256_t *slot_prev = RN_NEWV(u256_t, c->nslots ? c->nslots : 1); /* value before the block */
    for (size_t i = 0; i < c->nslots && !e; i++) {
        const state_slot_change_t *sc = &c->slots[i];
        uint8_t key[52];
        memcpy(key, sc->addr.b, 20);
        u256_to_be(key + 20, sc->key);
        bview_t prev;
        if (db_get(txn, DB_STORAGE, bview(key, 52), &prev) != ERR_OK)
            prev = bview(NULL, 0);
        slot_prev[i] = prev.n <= 32 ? u256_from_be(prev.p, prev.n) : u256_from_u64(0);
        e = record_slot(txn, num, key, prev);
        if (!e && u256_is_zero(sc->value)) {
            e = db_del(txn, DB_STORAGE, bview(key, 52));
        } else if (!e) {
            uint8_t be[32];
            u256_to_be(be, sc->value);
            unsigned n = u256_byte_length(sc->value);
            e = db_put(txn, DB_STORAGE, bview(key, 52), bview(be + 32 - n, n));
        }
    }
    /* 3. Code. */
    for (size_t i = 0; i < c->ncodes && !e; i++)
        e = db_put(txn, DB_CODE, bview(c->codes[i].hash.b, 32), c->codes[i].code);
    /* 4. Storage tries, one batch per account (slots grouped by address), then the flat account
     *    with its new storage root; accounts without slot changes keep theirs. Every written
     *    value also goes to the account trie's batch. */
    size_t *order = RN_NEWV(size_t, c->nslots ? c->nslots : 1);
    addr_t *slot_addrs = RN_NEWV(addr_t, c->nslots ? c->nslots : 1);
    for (size_t i = 0; i < c->nslots; i++) {
        order[i] = i;
        slot_addrs[i] = c->slots[i].addr;
    }
    g_sort_addrs = slot_addrs;
    qsort(order, c->nslots, sizeof(size_t), slot_idx_cmp);
    size_t *by_addr = RN_NEWV(size_t, na1);
    for (size_t i = 0; i < c->naccounts; i++)
        by_addr[i] = i;
    g_sort_accts = c->accounts;
    qsort(by_addr, c->naccounts, sizeof(size_t), acct_idx_cmp);
    slot_upd_t *upd = RN_NEWV(slot_upd_t, c->nslots ? c->nslots : 1);
    acct_out_t *outs =
        scratch_get(SCRATCH_OUTS, (c->naccounts + c->nslots + 1) * sizeof(acct_out_t));
    size_t nout = 0;
    buf_t b;
    buf_init(&b, 256);
    bool *done = RN_NEWV(bool, na1);
    for (size_t i = 0; i < c->nslots && !e;) {
        const addr_t *a = &c->slots[order[i]].addr;
        size_t j = i, nu = 0;
        for (; j < c->nslots && addr_eq(&c->slots[order[j]].addr, a); j++) {
            slot_upd_t *su = &upd[nu++];
            slot_upd_set(su, &c->slots[order[j]].key, c->slots[order[j]].value);
            su->oldlen = slot_rlp(su->old, slot_prev[order[j]]);
        }
        size_t k = find_account(c, by_addr, a);
        const state_account_change_t *ac = k == SIZE_MAX ? NULL : &c->accounts[k];
        if (ac)
            done[k] = true;
        bview_t prev = ac ? bview(prev_val[k], prev_len[k]) : bview(NULL, 0);
        if (ac && ac->deleted) { /* its slots were cleared above */
            e = db_del(txn, DB_ACCOUNTS, bview(a->b, 20));
            if (!e)
                e = out_value(&outs[nout++], a, bview(NULL, 0), prev);
        } else {
            hash_t sroot;
            e = apply_slot_updates(txn, a, upd, nu, &sroot);
            if (!e)
                e = write_account(txn, num, a, ac, prev, &sroot, &b, &outs[nout++]);
        }
        i = j;
    }
    for (size_t k = 0; k < c->naccounts && !e; k++) {
        const state_account_change_t *ac = &c->accounts[k];
        if (done[k])
            continue;
        bview_t prev = bview(prev_val[k], prev_len[k]);
        if (ac->deleted) {
            e = db_del(txn, DB_ACCOUNTS, bview(ac->addr.b, 20));
            if (!e)
                e = out_value(&outs[nout++], &ac->addr, bview(NULL, 0), prev);
            continue;
        }
        /* Without slot changes the storage root stays as it was (empty after a clear). */
        hash_t sroot = KECCAK_EMPTY_TRIE;
        flat_account_t pf;
        if (!ac->storage_cleared && prev.n && (e = flat_decode(prev, &pf)) == ERR_OK)
            sroot = pf.storage_root;
        if (!e)
            e = write_account(txn, num, &ac->addr, ac, prev, &sroot, &b, &outs[nout++]);
    }
    buf_deinit(&b);
    /* 5. The account trie: each address once (slot groups and the other accounts are disjoint). */
    if (!e) {
        tstore_t ts;
        trie_store_t st = account_trie(&ts, txn);
        trie_kv_t *kv = RN_NEWV(trie_kv_t, nout ? nout : 1);
        bview_t *addrs = RN_NEWV(bview_t, nout ? nout : 1);
        hash_t *keys = RN_NEWV(hash_t, nout ? nout : 1);
        for (size_t i = 0; i < nout; i++)
            addrs[i] = bview(outs[i].addr.b, 20);
        keccak256_many(keys, addrs, nout);
        for (size_t i = 0; i < nout; i++)
            outs[i].key = keys[i];
        rn_free(keys);
        rn_free(addrs);
        for (size_t i = 0; i < nout; i++) {
            kv[i].key = bview(outs[i].key.b, 32);
            kv[i].value = bview(outs[i].val, outs[i].vlen);
            kv[i].old = bview(outs[i].old, outs[i].oldlen);
        }
        e = nout ? trie_db_update(&st, root, kv, nout) : trie_db_root(&st, root);
        rn_free(kv);
    }
    if (!e && has_parent)
        cache_stage(txn, number, &parent, root, outs, nout);
    rn_free(done);
    rn_free(upd);
    rn_free(by_addr);
    rn_free(slot_addrs);
    rn_free(order);
    rn_free(slot_prev);
    scratch_done();
    rn_free(prev_len);
    if (!e)
        e = index_history(txn, number);
    if (!e)
        e = db_meta_put(txn, "state_root", bview(root->b, 32));
    return e;
}

err_t state_db_root_full(db_txn_t *txn, hash_t *root)
{
    flat_list_t l;
    err_t e = flat_list_load(&l, txn, DB_ACCOUNTS, bview(NULL, 0));
    trie_kv_t *kv = RN_NEWV(trie_kv_t, l.n ? l.n : 1);
    for (size_t i = 0; i < l.n; i++) {
        kv[i].key = flat_list_key(&l, i);
        kv[i].value = flat_list_val(&l, i);
    }
    if (!e)
        e = trie_root_secure(root, kv, l.n);
    rn_free(kv);
    flat_list_free(&l);
    return e;
}

err_t state_db_root(db_txn_t *txn, hash_t *root)
{
    tstore_t ts;
    trie_store_t st = account_trie(&ts, txn);
    return trie_db_root(&st, root);
}

err_t state_db_build_tries(db_txn_t *txn)
{
    /* Storage tries from the flat slots, one account at a time (key order is address order),
     * then the account trie from the flat accounts. */
    flat_list_t l;
    err_t e = flat_list_load(&l, txn, DB_STORAGE, bview(NULL, 0));
    slot_upd_t *u = RN_NEWV(slot_upd_t, l.n ? l.n : 1);
    for (size_t i = 0, n = 0; i < l.n && !e; i++) {
        bview_t k = flat_list_key(&l, i), v = flat_list_val(&l, i);
        if (k.n != 52) {
            e = ERR_DB;
            break;
        }
        u256_t slot = u256_from_be(k.p + 20, 32);
        slot_upd_set(&u[n++], &slot, v.n <= 32 ? u256_from_be(v.p, v.n) : u256_from_u64(0));
        bview_t next = i + 1 < l.n ? flat_list_key(&l, i + 1) : bview(NULL, 0);
        if (next.n < 20 || memcmp(next.p, k.p, 20) != 0) { /* the last slot of this account */
            addr_t a;
            hash_t sroot;
            memcpy(a.b, k.p, 20);
            e = apply_slot_updates(txn, &a, u, n, &sroot);
            n = 0;
        }
    }
    rn_free(u);
    flat_list_free(&l);
    if (e)
        return e;
    /* The account trie: the flat values as they are (their storage roots were written from the
     * same slots). */
    e = flat_list_load(&l, txn, DB_ACCOUNTS, bview(NULL, 0));
    addr_t *addrs = RN_NEWV(addr_t, l.n ? l.n : 1);
    const addr_t **ptrs = RN_NEWV(const addr_t *, l.n ? l.n : 1);
    for (size_t i = 0; i < l.n && !e; i++) {
        bview_t k = flat_list_key(&l, i);
        if (k.n != 20) {
            e = ERR_DB;
            break;
        }
        memcpy(addrs[i].b, k.p, 20);
        ptrs[i] = &addrs[i];
    }
    hash_t root;
    if (!e)
        e = account_trie_update(txn, ptrs, l.n, &root);
    rn_free(ptrs);
    rn_free(addrs);
    flat_list_free(&l);
    db_txn_writeback_flush(txn); /* a new datadir starts with its tries on disk */
    return e;
}

/* ---- history ---- */

typedef struct at_ctx {
    db_txn_t *txn;
    uint64_t number;  /* the state after this block */
    uint64_t head;    /* of the snapshot */
    uint64_t indexed; /* history index covers blocks <= indexed */
} at_ctx_t;

/* The value a key had after block x->number: the "before" record of the first later block that
 * changed it, or the current flat value. found=false when it did not exist then. The history
 * index answers for blocks up to x->indexed; the change sets of the blocks after it are looked
 * at one by one (at most a batch of them). */
static bool hist_lookup(const at_ctx_t *x, db_table_t hist, db_table_t changes, db_table_t flat,
                        const uint8_t *key, size_t kn, bview_t *out)
{
    uint64_t first = x->number + 1;
    if (first <= x->indexed) {
        uint8_t hk[60];
        memcpy(hk, key, kn);
        be_store64(hk + kn, first);
        db_cursor_t *c;
        if (db_cursor_open(x->txn, hist, &c) == ERR_OK) {
            bview_t k, v;
            bool hit = db_cursor_seek(c, bview(hk, kn + 8), &k, &v) == ERR_OK && k.n == kn + 8 &&
                       memcmp(k.p, key, kn) == 0;
            db_cursor_close(c);
            if (hit) {
                *out = v;
                return v.n > 0;
            }
        }
        first = x->indexed + 1;
    }
    uint8_t ck[60];
    memcpy(ck + 8, key, kn);
    for (uint64_t b = first; b <= x->head; b++) {
        be_store64(ck, b);
        if (db_get(x->txn, changes, bview(ck, kn + 8), out) == ERR_OK)
            return out->n > 0;
    }
    return db_get(x->txn, flat, bview(key, kn), out) == ERR_OK;
}

static bool h_get_account(void *ctx, const addr_t *a, state_account_t *out)
{
    at_ctx_t *x = ctx;
    bview_t v;
    flat_account_t f;
    if (!hist_lookup(x, DB_ACCOUNT_HISTORY, DB_ACCOUNT_CHANGES, DB_ACCOUNTS, a->b, 20, &v) ||
        flat_decode(v, &f) != ERR_OK)
        return false;
    out->nonce = f.nonce;
    out->balance = f.balance;
    out->code_hash = f.code_hash;
    return true;
}

static u256_t h_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    at_ctx_t *x = ctx;
    uint8_t k[52];
    memcpy(k, a->b, 20);
    u256_to_be(k + 20, *key);
    bview_t v;
    if (!hist_lookup(x, DB_STORAGE_HISTORY, DB_STORAGE_CHANGES, DB_STORAGE, k, 52, &v) || v.n > 32)
        return u256_from_u64(0);
    return u256_from_be(v.p, v.n);
}

static bview_t h_get_code(void *ctx, const hash_t *h)
{
    return b_get_code(((at_ctx_t *)ctx)->txn, h); /* code is never deleted */
}

static bool h_has_storage(void *ctx, const addr_t *a)
{
    /* The account's storage root at that block tells: empty trie or not. */
    at_ctx_t *x = ctx;
    bview_t v;
    flat_account_t f;
    static const uint8_t empty_root[32] = { 0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6,
                                            0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
                                            0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0,
                                            0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21 };
    if (!hist_lookup(x, DB_ACCOUNT_HISTORY, DB_ACCOUNT_CHANGES, DB_ACCOUNTS, a->b, 20, &v) ||
        flat_decode(v, &f) != ERR_OK)
        return false;
    return memcmp(f.storage_root.b, empty_root, 32) != 0;
}

err_t state_db_backend_at(db_txn_t *txn, uint64_t number, state_backend_t *out, void **ctx)
{
    uint64_t head;
    TRY(db_meta_get_u64(txn, "head_number", &head));
    if (number > head)
        return ERR_NOT_FOUND;
    if (number == head) {
        *out = state_db_backend(txn);
        *ctx = NULL;
        return ERR_OK;
    }
    uint64_t pruned = 0;
    if (db_meta_get_u64(txn, "history_from", &pruned) == ERR_OK && number < pruned)
        return ERR_NOT_FOUND;
    at_ctx_t *x = RN_NEW(at_ctx_t);
    x->txn = txn;
    x->number = number;
    x->head = head;
    x->indexed = history_indexed(txn, head);
    out->get_account = h_get_account;
    out->get_storage = h_get_storage;
    out->get_code = h_get_code;
    out->has_storage = h_has_storage;
    out->ctx = x;
    *ctx = x;
    return ERR_OK;
}

void state_db_backend_at_free(void *ctx)
{
    rn_free(ctx);
}

/* ---- blocks that changed an account ---- */

struct state_hist_iter {
    db_txn_t *txn;
    db_cursor_t *cur;
    addr_t a;
    bool backward;
    int phase;     /* backward: 0 tail, 1 index; forward: 0 index, 1 tail; 2 done */
    bool started;  /* the index cursor has been positioned */
    uint64_t next; /* tail: the next block to look at */
    uint64_t from; /* first block to yield (inclusive) */
    uint64_t head, indexed;
};

err_t state_db_changed_blocks_open(db_txn_t *txn, const addr_t *a, uint64_t from, bool backward,
                                   state_hist_iter_t **out)
{
    uint64_t head;
    TRY(db_meta_get_u64(txn, "head_number", &head));
    state_hist_iter_t *it = RN_NEW(state_hist_iter_t);
    it->txn = txn;
    it->a = *a;
    it->backward = backward;
    it->from = from;
    it->head = head;
    it->indexed = history_indexed(txn, head);
    err_t e = db_cursor_open(txn, DB_ACCOUNT_HISTORY, &it->cur);
    if (e) {
        rn_free(it);
        return e;
    }
    if (backward) {
        it->next = from < head ? from : head;
    } else {
        it->next = from > it->indexed ? from : it->indexed + 1;
    }
    *out = it;
    return ERR_OK;
}

void state_db_changed_blocks_close(state_hist_iter_t *it)
{
    if (!it)
        return;
    db_cursor_close(it->cur);
    rn_free(it);
}

/* The change sets of the blocks after the index, one block at a time. */
static bool tail_next(state_hist_iter_t *it, uint64_t *block, bool *err)
{
    uint8_t ck[28];
    memcpy(ck + 8, it->a.b, 20);
    for (;;) {
        if (it->backward ? it->next <= it->indexed : it->next > it->head)
            return false;
        uint64_t b = it->next;
        if (it->backward) {
            it->next--;
        } else {
            it->next++;
        }
        be_store64(ck, b);
        bview_t v;
        err_t e = db_get(it->txn, DB_ACCOUNT_CHANGES, bview(ck, 28), &v);
        if (e == ERR_OK) {
            *block = b;
            return true;
        }
        if (e != ERR_NOT_FOUND) {
            *err = true;
            return false;
        }
        if (it->backward && b == 0)
            return false;
    }
}

static bool index_next(state_hist_iter_t *it, uint64_t *block, bool *err)
{
    bview_t k, v;
    err_t e;
    if (!it->started) {
        it->started = true;
        uint8_t key[28];
        memcpy(key, it->a.b, 20);
        if (it->backward) {
            uint64_t top = it->from < it->indexed ? it->from : it->indexed;
            /* top < 2^64 − 1: seek past it, then step back once. */
            be_store64(key + 20, top + 1);
            e = db_cursor_seek(it->cur, bview(key, 28), &k, &v);
            e = e == ERR_NOT_FOUND ? db_cursor_last(it->cur, &k, &v)
                                   : (e ? e : db_cursor_prev(it->cur, &k, &v));
        } else {
            be_store64(key + 20, it->from);
            e = db_cursor_seek(it->cur, bview(key, 28), &k, &v);
        }
    } else {
        e = it->backward ? db_cursor_prev(it->cur, &k, &v) : db_cursor_next(it->cur, &k, &v);
    }
    if (e != ERR_OK && e != ERR_NOT_FOUND)
        *err = true;
    if (e != ERR_OK || k.n != 28 || memcmp(k.p, it->a.b, 20) != 0)
        return false;
    *block = be_load64(k.p + 20);
    return *block <= it->indexed;
}

bool state_db_changed_blocks_next(state_hist_iter_t *it, uint64_t *block, bool *err)
{
    while (it->phase < 2) {
        bool tail = it->backward ? it->phase == 0 : it->phase == 1;
        if (tail ? tail_next(it, block, err) : index_next(it, block, err))
            return true;
        if (*err)
            return false;
        it->phase++;
    }
    return false;
}

/* ---- unwind ---- */

/* Keys an unwind touched, so the tries can follow the restored flat values. */
typedef struct touched {
    uint8_t (*slots)[52];
    size_t nslots, cap_slots;
    addr_t *accts;
    size_t naccts, cap_accts;
} touched_t;

static void touch_slot(touched_t *t, const uint8_t key[52])
{
    if (t->nslots == t->cap_slots) {
        t->cap_slots = t->cap_slots ? t->cap_slots * 2 : 64;
        t->slots = rn_realloc(t->slots, t->cap_slots * 52);
    }
    memcpy(t->slots[t->nslots++], key, 52);
}

static void touch_acct(touched_t *t, const uint8_t a[20])
{
    if (t->naccts == t->cap_accts) {
        t->cap_accts = t->cap_accts ? t->cap_accts * 2 : 64;
        t->accts = rn_realloc(t->accts, t->cap_accts * sizeof(addr_t));
    }
    memcpy(t->accts[t->naccts++].b, a, 20);
}

static err_t unwind_block(db_txn_t *txn, uint64_t number, touched_t *tt)
{
    uint8_t num[8];
    be_store64(num, number);
    db_cursor_t *c;
    bview_t k, v;
    TRY(db_cursor_open(txn, DB_STORAGE_CHANGES, &c));
    err_t e = db_cursor_seek(c, bview(num, 8), &k, &v);
    while (e == ERR_OK && k.n == 60 && memcmp(k.p, num, 8) == 0) {
        uint8_t key[52], val[32], hk[60];
        size_t vn = v.n <= 32 ? v.n : 32;
        memcpy(key, k.p + 8, 52);
        if (vn)
            memcpy(val, v.p, vn);
        memcpy(hk, key, 52);
        memcpy(hk + 52, num, 8);
        touch_slot(tt, key);
        e = vn ? db_put(txn, DB_STORAGE, bview(key, 52), bview(val, vn))
               : db_del(txn, DB_STORAGE, bview(key, 52));
        if (!e)
            e = db_del(txn, DB_STORAGE_HISTORY, bview(hk, 60));
        if (!e)
            e = db_cursor_del(c);
        if (!e)
            e = db_cursor_seek(c, bview(num, 8), &k, &v);
    }
    db_cursor_close(c);
    if (e != ERR_OK && e != ERR_NOT_FOUND)
        return e;
    TRY(db_cursor_open(txn, DB_ACCOUNT_CHANGES, &c));
    e = db_cursor_seek(c, bview(num, 8), &k, &v);
    while (e == ERR_OK && k.n == 28 && memcmp(k.p, num, 8) == 0) {
        uint8_t a[20], val[160], hk[28];
        if (v.n > sizeof(val)) {
            e = ERR_DB;
            break;
        }
        size_t vn = v.n;
        memcpy(a, k.p + 8, 20);
        if (vn)
            memcpy(val, v.p, vn);
        memcpy(hk, a, 20);
        memcpy(hk + 20, num, 8);
        touch_acct(tt, a);
        e = vn ? db_put(txn, DB_ACCOUNTS, bview(a, 20), bview(val, vn))
               : db_del(txn, DB_ACCOUNTS, bview(a, 20));
        if (!e)
            e = db_del(txn, DB_ACCOUNT_HISTORY, bview(hk, 28));
        if (!e)
            e = db_cursor_del(c);
        if (!e)
            e = db_cursor_seek(c, bview(num, 8), &k, &v);
    }
    db_cursor_close(c);
    return e == ERR_NOT_FOUND ? ERR_OK : e;
}

static int key52_cmp(const void *x, const void *y)
{
    return memcmp(x, y, 52);
}

static int addr_cmp(const void *x, const void *y)
{
    return memcmp(x, y, 20);
}

/* Sort the touched keys and drop repeats; the account of every touched slot counts as touched
 * (its storage root changes with it). */
static void touched_sort(touched_t *tt)
{
    for (size_t i = 0; i < tt->nslots; i++)
        touch_acct(tt, tt->slots[i]);
    if (tt->nslots) /* qsort wants a valid array even when it is empty */
        qsort(tt->slots, tt->nslots, 52, key52_cmp);
    size_t n = 0;
    for (size_t i = 0; i < tt->nslots; i++)
        if (n == 0 || memcmp(tt->slots[n - 1], tt->slots[i], 52) != 0)
            memmove(tt->slots[n++], tt->slots[i], 52);
    tt->nslots = n;
    if (tt->naccts)
        qsort(tt->accts, tt->naccts, sizeof(addr_t), addr_cmp);
    n = 0;
    for (size_t i = 0; i < tt->naccts; i++)
        if (n == 0 || !addr_eq(&tt->accts[n - 1], &tt->accts[i]))
            tt->accts[n++] = tt->accts[i];
    tt->naccts = n;
}

/* A slot's value (key = address ‖ slot): after block at->number, or the flat one (at NULL). */
static u256_t slot_value(db_txn_t *txn, const at_ctx_t *at, const uint8_t key[52])
{
    bview_t v;
    bool ok = at ? hist_lookup(at, DB_STORAGE_HISTORY, DB_STORAGE_CHANGES, DB_STORAGE, key, 52, &v)
                 : db_get(txn, DB_STORAGE, bview(key, 52), &v) == ERR_OK;
    return ok && v.n <= 32 ? u256_from_be(v.p, v.n) : u256_from_u64(0);
}

/* The updates for the touched slots of one account, from index i of the sorted list, to the
 * values slot_value gives; *nu of them in u. Returns the index after that account's slots. */
static size_t slot_group(db_txn_t *txn, const at_ctx_t *at, const touched_t *tt, size_t i,
                         slot_upd_t *u, size_t *nu)
{
    size_t j = i;
    *nu = 0;
    for (; j < tt->nslots && memcmp(tt->slots[j], tt->slots[i], 20) == 0; j++) {
        u256_t slot = u256_from_be(tt->slots[j] + 20, 32);
        slot_upd_set(&u[(*nu)++], &slot, slot_value(txn, at, tt->slots[j]));
    }
    return j;
}

/* Bring the tries to the flat values of every touched key: storage tries one batch per
 * account, then the account trie (flat accounts carry their storage roots). */
static err_t retrie(db_txn_t *txn, touched_t *tt, hash_t *root)
{
    err_t e = ERR_OK;
    touched_sort(tt);
    slot_upd_t *u = RN_NEWV(slot_upd_t, tt->nslots ? tt->nslots : 1);
    for (size_t i = 0; i < tt->nslots && !e;) {
        addr_t a;
        memcpy(a.b, tt->slots[i], 20);
        size_t nu;
        i = slot_group(txn, NULL, tt, i, u, &nu);
        hash_t sroot;
        e = apply_slot_updates(txn, &a, u, nu, &sroot);
    }
    rn_free(u);
    const addr_t **ptrs = RN_NEWV(const addr_t *, tt->naccts ? tt->naccts : 1);
    for (size_t i = 0; i < tt->naccts; i++)
        ptrs[i] = &tt->accts[i];
    if (!e)
        e = account_trie_update(txn, ptrs, tt->naccts, root);
    rn_free(ptrs);
    return e;
}

err_t state_db_unwind(db_txn_t *txn, uint64_t from, uint64_t to, hash_t *root)
{
    touched_t tt;
    memset(&tt, 0, sizeof(tt));
    err_t e = ERR_OK;
    uint64_t indexed = history_indexed(txn, from);
    for (uint64_t n = from; n > to && !e; n--)
        e = unwind_block(txn, n, &tt); /* removes the blocks' index entries too, if any */
    if (!e && indexed > to)
        e = db_meta_put_u64(txn, "history_indexed", to);
    if (!e)
        e = retrie(txn, &tt, root);
    rn_free(tt.slots);
    rn_free(tt.accts);
    /* The change sets of the unwound blocks are gone: the tries on disk must not need them. */
    db_txn_writeback_mark(txn, to);
    db_txn_writeback_flush(txn);
    if (!e)
        e = db_meta_put(txn, "state_root", bview(root->b, 32));
    return e;
}

/* Keys changed by block number, from its change sets. */
static err_t touched_by(db_txn_t *txn, uint64_t number, touched_t *tt)
{
    uint8_t num[8];
    be_store64(num, number);
    db_cursor_t *c;
    bview_t k, v;
    TRY(db_cursor_open(txn, DB_STORAGE_CHANGES, &c));
    err_t e = db_cursor_seek(c, bview(num, 8), &k, &v);
    for (; e == ERR_OK && k.n == 60 && memcmp(k.p, num, 8) == 0; e = db_cursor_next(c, &k, &v))
        touch_slot(tt, k.p + 8);
    db_cursor_close(c);
    if (e != ERR_OK && e != ERR_NOT_FOUND)
        return e;
    TRY(db_cursor_open(txn, DB_ACCOUNT_CHANGES, &c));
    e = db_cursor_seek(c, bview(num, 8), &k, &v);
    for (; e == ERR_OK && k.n == 28 && memcmp(k.p, num, 8) == 0; e = db_cursor_next(c, &k, &v))
        touch_acct(tt, k.p + 8);
    db_cursor_close(c);
    return e == ERR_NOT_FOUND ? ERR_OK : e;
}

err_t state_db_catch_up(db_txn_t *txn, uint64_t head, bool *ran, uint64_t *replayed)
{
    uint64_t mark;
    *replayed = 0;
    *ran = db_writeback_begin_replay(txn, &mark);
    if (!*ran)
        return ERR_OK;
    if (mark > head)
        return ERR_DB_CORRUPT;
    touched_t tt;
    memset(&tt, 0, sizeof(tt));
    err_t e = ERR_OK;
    for (uint64_t n = mark + 1; n <= head && !e; n++)
        e = touched_by(txn, n, &tt);
    hash_t root;
    if (!e)
        e = retrie(txn, &tt, &root);
    rn_free(tt.slots);
    rn_free(tt.accts);
    bview_t want;
    if (!e && db_meta_get(txn, "state_root", &want) == ERR_OK &&
        (want.n != 32 || memcmp(want.p, root.b, 32) != 0))
        e = ERR_TRIE_CORRUPT;
    db_txn_writeback_mark(txn, head);
    db_txn_writeback_flush(txn);
    *replayed = head - mark;
    return e;
}

/* ---- proofs ---- */

/* The tries as of an earlier block: overlays over the head's tries holding the nodes that differ
 * (reth's approach: revert the newer blocks' changes, in memory). */
typedef struct past_storage {
    addr_t a;
    tstore_t ts;
    trie_store_t base;
    trie_mem_store_t *m;
    trie_store_t st;
} past_storage_t;

struct state_past {
    db_txn_t *txn;
    at_ctx_t at;
    tstore_t ts;
    trie_store_t base;
    trie_mem_store_t *acct;
    trie_store_t st;
    hash_t root;
    touched_t tt; /* keys changed after the block; slots sorted */
    past_storage_t **stor;
    size_t nstor;
};

void state_db_past_free(state_past_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nstor; i++) {
        trie_mem_store_free(p->stor[i]->m);
        rn_free(p->stor[i]);
    }
    rn_free(p->stor);
    trie_mem_store_free(p->acct);
    rn_free(p->tt.slots);
    rn_free(p->tt.accts);
    rn_free(p);
}

err_t state_db_past_open(db_txn_t *txn, uint64_t number, state_past_t **out)
{
    *out = NULL;
    uint64_t head, pruned = 0;
    TRY(db_meta_get_u64(txn, "head_number", &head));
    if (number >= head)
        return ERR_INVALID_ARG;
    if (db_meta_get_u64(txn, "history_from", &pruned) == ERR_OK && number < pruned)
        return ERR_NOT_FOUND;
    state_past_t *p = RN_NEW(state_past_t);
    p->txn = txn;
    p->at = (at_ctx_t){ txn, number, head, history_indexed(txn, head) };
    p->base = account_trie(&p->ts, txn);
    p->acct = trie_mem_store_over(&p->base);
    p->st = trie_mem_store(p->acct);
    err_t e = ERR_OK;
    for (uint64_t b = number + 1; b <= head && !e; b++)
        e = touched_by(txn, b, &p->tt);
    touched_sort(&p->tt);
    size_t na = p->tt.naccts;
    /* Every account the later blocks changed goes back to its value after `number` (the flat
     * bytes, storage root included). */
    trie_kv_t *kv = RN_NEWV(trie_kv_t, na ? na : 1);
    uint8_t(*keys)[32] = rn_calloc(na ? na : 1, 32);
    for (size_t i = 0; i < na && !e; i++) {
        keccak256(keys[i], p->tt.accts[i].b, 20);
        kv[i].key = bview(keys[i], 32);
        bview_t v;
        if (!hist_lookup(&p->at, DB_ACCOUNT_HISTORY, DB_ACCOUNT_CHANGES, DB_ACCOUNTS,
                         p->tt.accts[i].b, 20, &v))
            v = bview(NULL, 0);
        kv[i].value = v; /* views into the read snapshot: valid while txn is */
    }
    if (!e)
        e = na ? trie_db_update(&p->st, &p->root, kv, na) : trie_db_root(&p->st, &p->root);
    rn_free(keys);
    rn_free(kv);
    if (e) {
        state_db_past_free(p);
        return e;
    }
    *out = p;
    return ERR_OK;
}

const hash_t *state_db_past_root(const state_past_t *p)
{
    return &p->root;
}

/* a's storage trie as of the past block (built on first use). */
static err_t past_storage(state_past_t *p, const addr_t *a, trie_store_t **out)
{
    for (size_t i = 0; i < p->nstor; i++) {
        if (addr_eq(&p->stor[i]->a, a)) {
            *out = &p->stor[i]->st;
            return ERR_OK;
        }
    }
    past_storage_t *ps = RN_NEW(past_storage_t);
    ps->a = *a;
    ps->base = storage_trie(&ps->ts, p->txn, a);
    ps->m = trie_mem_store_over(&ps->base);
    ps->st = trie_mem_store(ps->m);
    p->stor = rn_realloc(p->stor, (p->nstor + 1) * sizeof(*p->stor));
    p->stor[p->nstor++] = ps;
    /* The slots of a the later blocks changed, back to their values after the block. */
    size_t lo = 0, hi = p->tt.nslots;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (memcmp(p->tt.slots[mid], a->b, 20) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t nu = 0;
    slot_upd_t *u = RN_NEWV(slot_upd_t, p->tt.nslots - lo + 1);
    if (lo < p->tt.nslots && memcmp(p->tt.slots[lo], a->b, 20) == 0)
        slot_group(p->txn, &p->at, &p->tt, lo, u, &nu);
    hash_t r;
    err_t e = nu ? slot_trie_update(&ps->st, u, nu, &r) : ERR_OK;
    rn_free(u);
    *out = &ps->st;
    return e;
}

err_t state_db_prove_account(db_txn_t *txn, state_past_t *past, const addr_t *a, buf_t *out,
                             bview_t nodes[TRIE_PROOF_MAX], size_t *count)
{
    tstore_t ts;
    trie_store_t st = past ? past->st : account_trie(&ts, txn);
    uint8_t key[32];
    keccak256(key, a->b, 20);
    return trie_db_prove(&st, out, nodes, count, bview(key, 32));
}

err_t state_db_prove_storage(db_txn_t *txn, state_past_t *past, const addr_t *a, const u256_t *slot,
                             buf_t *out, bview_t nodes[TRIE_PROOF_MAX], size_t *count)
{
    tstore_t ts;
    trie_store_t st, *sp = &st;
    if (past)
        TRY(past_storage(past, a, &sp));
    else
        st = storage_trie(&ts, txn, a);
    uint8_t be[32], key[32];
    u256_to_be(be, *slot);
    keccak256(key, be, 32);
    return trie_db_prove(sp, out, nodes, count, bview(key, 32));
}

err_t state_db_storage_root(db_txn_t *txn, state_past_t *past, const addr_t *a, hash_t *root)
{
    tstore_t ts;
    trie_store_t st, *sp = &st;
    if (past)
        TRY(past_storage(past, a, &sp));
    else
        st = storage_trie(&ts, txn, a);
    return trie_db_root(sp, root);
}
