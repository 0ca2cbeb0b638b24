/* The write-back cache of the trie and flat state tables (db.h "Write-back tables", decision
 * 0019).
 *
 * Three places hold a write-back table's entries, newest first: the write transaction's own map
 * (txn->wb: its puts and deletes, and clean copies of what it read from LMDB), the committed cache
 * (db->wb.map: clean entries and unflushed writes of committed transactions), and LMDB. Only the
 * writer thread changes the committed cache, and only under the mutex, at commit; so the writer
 * reads it without locking, and readers lock it.
 *
 * Flushing writes the unflushed entries to LMDB in key order inside the committing transaction,
 * so the batch is atomic with that block.
 *
 * The flat tables (ACCOUNTS, STORAGE) are not derived data, so a commit that leaves their writes
 * unflushed also appends them to WB_LOG, one value per commit: the entries sorted by key, behind
 * a table of offsets. The log is what a reader overtaken by newer commits reads instead of the
 * cache (newest commit first, then LMDB), what db_scan merges over LMDB, and what db__wb_open
 * puts back into the cache after a crash. A flush empties it in the same transaction. */
#define LOG_TARGET "scroll::db"
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "db/db_int.h"

/* ---- entry memory ---- */

_Static_assert(DB_TABLE_COUNT <= 32, "wb_map_t.tables has a bit per table");

enum {
    SLAB_SMALL = 256 * 1024, /**< the first chunks: an idle node's cache is small */
    SLAB_BIG = 2 << 20,      /**< later ones: one transparent huge page each */
    SLAB_HDR = 16,           /**< a chunk begins with the link to the one before */
};

/* Under AddressSanitizer every entry is its own malloc: it should see each one's end of life. */
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ON 0
#else
#define SLAB_ON 1
#endif

static uint8_t *chunk_link(const uint8_t *c)
{
    uint8_t *prev;
    memcpy(&prev, c, sizeof(prev));
    return prev;
}

static size_t chunk_cap(const uint8_t *c)
{
    size_t cap;
    memcpy(&cap, c + 8, sizeof(cap));
    return cap;
}

static uint8_t *chunk_new(size_t cap, uint8_t *link)
{
    uint8_t *c = rn_table_alloc(cap); /* 2 MiB: aligned and hinted huge */
    memcpy(c, &link, sizeof(link));
    memcpy(c + 8, &cap, sizeof(cap));
    return c;
}

static void *slab_carve(wb_slab_t *s, size_t n)
{
    if (s->used + n > s->cap) {
        uint8_t *c = s->ready;
        if (c) {
            s->ready = chunk_link(c);
        } else {
            c = chunk_new(s->total < SLAB_BIG ? SLAB_SMALL : SLAB_BIG, NULL);
            s->total += chunk_cap(c);
        }
        memcpy(c, &s->chunk, sizeof(s->chunk));
        s->chunk = c;
        s->used = SLAB_HDR;
        s->cap = chunk_cap(c);
    }
    void *p = s->chunk + s->used;
    s->used += n;
    s->carved += n;
    return p;
}

/* Map and touch chunks for as many bytes as were carved since the last call, less what is left
 * (db_writeback_prepare). Only big chunks: small ones are an idle node's. */
static void slab_prepare(wb_slab_t *s)
{
    pthread_mutex_lock(&s->mu);
    size_t have = s->cap - s->used, want = s->carved < (64u << 20) ? s->carved : (64u << 20);
    for (const uint8_t *c = s->ready; c; c = chunk_link(c))
        have += chunk_cap(c) - SLAB_HDR;
    s->carved = 0;
    while (SLAB_ON && s->total >= SLAB_BIG && have < want) {
        uint8_t *c = chunk_new(SLAB_BIG, s->ready);
        for (size_t off = 4096; off < SLAB_BIG; off += 4096) /* one fault per huge page */
            c[off] = 0;
        s->ready = c;
        s->total += SLAB_BIG;
        have += SLAB_BIG - SLAB_HDR;
    }
    pthread_mutex_unlock(&s->mu);
}

/* Whether a block of n bytes comes from the heap (too big for a class, or no slab); else its
 * size class in *k. */
static bool slab_malloced(size_t n, size_t *k)
{
    *k = (n + WB_SLAB_STEP - 1) / WB_SLAB_STEP;
    return !SLAB_ON || *k >= WB_SLAB_CLASSES;
}

static void *slab_alloc(wb_slab_t *s, size_t n)
{
    size_t k;
    if (slab_malloced(n, &k))
        return rn_malloc(n);
    pthread_mutex_lock(&s->mu);
    void *p = s->free[k];
    if (p) {
        memcpy(&s->free[k], p, sizeof(p));
        /* The next pop reads the block's link and the caller then fills it: fetch it now, so
         * neither waits for memory (freed blocks are cold). */
        if (s->free[k])
            __builtin_prefetch(s->free[k], 1, 3);
    } else {
        p = slab_carve(s, k * WB_SLAB_STEP);
    }
    pthread_mutex_unlock(&s->mu);
    return p;
}

/* Give back p, of n bytes (what slab_alloc was asked for), with the slab's lock held. */
static void slab_free_locked(wb_slab_t *s, void *p, size_t n)
{
    size_t k;
    if (slab_malloced(n, &k)) {
        rn_free(p);
        return;
    }
    memcpy(p, &s->free[k], sizeof(p));
    s->free[k] = p;
}

/* Give back p, of n bytes (what slab_alloc was asked for). */
static void slab_free(wb_slab_t *s, void *p, size_t n)
{
    if (!p)
        return;
    pthread_mutex_lock(&s->mu);
    slab_free_locked(s, p, n);
    pthread_mutex_unlock(&s->mu);
}

/* All chunks, when the environment closes (the maps gave their entries back first). */
static void slab_release(wb_slab_t *s)
{
    uint8_t **lists[] = { &s->chunk, &s->ready };
    for (unsigned i = 0; i < 2; i++)
        while (*lists[i]) {
            uint8_t *c = *lists[i];
            *lists[i] = chunk_link(c);
            rn_table_free(c, chunk_cap(c));
        }
    memset(s->free, 0, sizeof(s->free));
    s->used = s->cap = s->total = 0;
}

/* ---- the map ---- */

static size_t ent_size(const wb_ent_t *e)
{
    return sizeof(*e) + e->klen + e->vlen;
}

static bool ent_dirty(const wb_ent_t *e)
{
    return e->state == WB_DIRTY || e->state == WB_DELETED;
}

static wb_ent_t *ent_new(wb_slab_t *s, const uint8_t *key, size_t klen, uint64_t h, bview_t val,
                         uint8_t state)
{
    wb_ent_t *e = slab_alloc(s, sizeof(*e) + klen + val.n);
    e->h = h;
    e->klen = (uint16_t)klen;
    e->vlen = (uint32_t)val.n;
    e->state = state;
    e->ref = 1;
    memcpy(e->data, key, klen);
    if (val.n)
        memcpy(e->data + klen, val.p, val.n);
    return e;
}

static void ent_free(wb_slab_t *s, wb_ent_t *e)
{
    if (e)
        slab_free(s, e, ent_size(e));
}

/* ent_free of n entries under one lock. */
static void ent_free_many(wb_slab_t *s, wb_ent_t **ents, size_t n)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < n; i++)
        slab_free_locked(s, ents[i], ent_size(ents[i]));
    pthread_mutex_unlock(&s->mu);
}

static bview_t ent_val(const wb_ent_t *e)
{
    return bview(e->data + e->klen, e->vlen);
}

/* Slot index holding key, or the empty slot where it would go. cap must be non-zero. */
static size_t map_slot(const wb_map_t *m, const uint8_t *key, size_t klen, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    for (;;) {
        const wb_ent_t *e = m->slot[i].e;
        if (!e || (m->slot[i].h == h && e->klen == klen && memcmp(e->data, key, klen) == 0))
            return i;
        i = (i + 1) & mask;
    }
}

static wb_ent_t *map_find(const wb_map_t *m, const uint8_t *key, size_t klen, uint64_t h)
{
    if (!m->n)
        return NULL;
    return m->slot[map_slot(m, key, klen, h)].e;
}

/* Start loading what a probe for h will read first: its home slot; or, once that slot is likely
 * in cache, the entry it holds if it is h's. A probe is two cache misses otherwise (the slot,
 * then the entry to compare keys), and a block's merge makes thousands. */
static void map_prefetch_slot(const wb_map_t *m, uint64_t h)
{
    __builtin_prefetch(&m->slot[(size_t)h & (m->cap - 1)]);
}

static void map_prefetch_ent(const wb_map_t *m, uint64_t h)
{
    const wb_slot_t *s = &m->slot[(size_t)h & (m->cap - 1)];
    if (s->h == h && s->e)
        __builtin_prefetch(s->e);
}

static bool logged_table(unsigned t);

static void map_account(wb_map_t *m, const wb_ent_t *e, int sign)
{
    size_t sz = ent_size(e);
    bool dirty = ent_dirty(e), flat = dirty && logged_table(e->data[0]);
    if (sign > 0) {
        m->bytes += sz;
        m->dirty_bytes += dirty ? sz : 0;
        m->dirty_flat += flat ? sz : 0;
    } else {
        m->bytes -= sz;
        m->dirty_bytes -= dirty ? sz : 0;
        m->dirty_flat -= flat ? sz : 0;
    }
}

/* The slots a table starting at `from` (a power of two) grows to for `want` entries: at most
 * 3/4 full. */
static size_t map_cap_for(size_t from, size_t want)
{
    while (want * 4 > from * 3)
        from *= 2;
    return from;
}

/* Grow to hold at least `want` entries below the load limit. Bulk moves from one map into
 * another reserve first: inserting a table's entries in slot order into a smaller table piles
 * them into long runs (linear probing's worst case). */
static void map_reserve(wb_map_t *m, size_t want)
{
    size_t ncap = map_cap_for(m->cap ? m->cap : 1024, want);
    if (ncap == m->cap)
        return;
    wb_slot_t *ns = rn_table_alloc(ncap * sizeof(wb_slot_t));
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i].e)
            continue;
        size_t j = (size_t)m->slot[i].h & (ncap - 1);
        while (ns[j].e)
            j = (j + 1) & (ncap - 1);
        ns[j] = m->slot[i];
    }
    rn_table_free(m->slot, m->cap * sizeof(wb_slot_t));
    m->slot = ns;
    m->cap = ncap;
}

static void map_grow(wb_map_t *m)
{
    map_reserve(m, m->cap ? m->cap : 1024);
}

/* Insert e; the entry it replaces, if any, is the caller's to free. */
static wb_ent_t *map_put(wb_map_t *m, wb_ent_t *e)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        map_grow(m);
    size_t i = map_slot(m, e->data, e->klen, e->h);
    wb_ent_t *old = m->slot[i].e;
    if (old)
        map_account(m, old, -1);
    else if (++m->n > m->peak)
        m->peak = m->n;
    m->slot[i].h = e->h;
    m->slot[i].e = e;
    m->tables |= 1u << e->data[0];
    map_account(m, e, +1);
    return old;
}

/* Insert e, freeing the entry it replaces. */
static void map_set(wb_map_t *m, wb_ent_t *e)
{
    ent_free(m->slab, map_put(m, e));
}

/* Free the entries and the slot table; the map stays usable, empty, with its slab. */
static void map_free(wb_map_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        ent_free(m->slab, m->slot[i].e);
    rn_table_free(m->slot, m->cap * sizeof(wb_slot_t));
    wb_slab_t *s = m->slab;
    memset(m, 0, sizeof(*m));
    m->slab = s;
}

/* A flushed entry: what LMDB now holds. */
static void ent_mark_clean(wb_map_t *m, wb_ent_t *e)
{
    map_account(m, e, -1);
    e->state = e->state == WB_DIRTY ? WB_CLEAN : WB_ABSENT;
    map_account(m, e, +1);
}

/* ---- keys and policy ---- */

bool db__wb_table(db_table_t t)
{
    return t == DB_ACCOUNT_TRIE || t == DB_STORAGE_TRIE || t == DB_ACCOUNTS || t == DB_STORAGE;
}

/* Tables whose unflushed writes are also logged (the others are rebuilt by their owner). */
static bool logged_table(unsigned t)
{
    return t == DB_ACCOUNTS || t == DB_STORAGE;
}

static bool ent_logged(const wb_ent_t *e)
{
    return logged_table(e->data[0]) && ent_dirty(e);
}

static unsigned slice_of(const wb_cache_t *c, const uint8_t *key)
{
    return key[1] % c->opts.slices;
}

static void keys_add(wb_keys_t *k, const uint8_t *key, size_t klen)
{
    if (k->cap - k->n < 2 + klen) {
        k->cap = k->cap * 2 > k->n + 2 + klen ? k->cap * 2 : k->n + 2 + klen + 256;
        k->p = rn_realloc(k->p, k->cap);
    }
    k->p[k->n] = (uint8_t)(klen >> 8);
    k->p[k->n + 1] = (uint8_t)klen;
    memcpy(k->p + k->n + 2, key, klen);
    k->n += 2 + klen;
}

static void slice_add(wb_cache_t *c, const wb_ent_t *e)
{
    keys_add(&c->slice_keys[slice_of(c, e->data)], e->data, e->klen);
}

static err_t make_key(uint8_t *out, size_t *n, db_table_t t, bview_t key)
{
    if (key.n + 1 > WB_MAX_KEY || key.n == 0)
        return ERR_INVALID_ARG;
    out[0] = (uint8_t)t;
    memcpy(out + 1, key.p, key.n);
    *n = key.n + 1;
    return ERR_OK;
}

/* A table's prefix as the maps store it (table byte first); an empty prefix is the table. */
static err_t make_prefix(uint8_t *out, size_t *n, db_table_t t, bview_t prefix)
{
    if (prefix.n + 1 > WB_MAX_KEY)
        return ERR_INVALID_ARG;
    out[0] = (uint8_t)t;
    if (prefix.n)
        memcpy(out + 1, prefix.p, prefix.n);
    *n = prefix.n + 1;
    return ERR_OK;
}

static void list_add(wb_ent_t ***list, size_t *n, size_t *cap, wb_ent_t *e)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *list = rn_realloc(*list, *cap * sizeof(**list));
    }
    (*list)[(*n)++] = e;
}

void db_writeback_defaults(db_writeback_opts_t *o)
{
    o->flush_every = 128;
    o->slices = WB_SLICES;
    o->flush_bytes = 64ull << 20;
    o->cache_bytes = 256ull << 20;
}

static err_t log_replay(db_t *db, MDB_txn *t);

err_t db__wb_open(db_t *db)
{
    wb_cache_t *c = &db->wb; /* zeroed with db; the mutexes are initialised by db_open */
    c->map.slab = &c->slab;
    db_writeback_defaults(&c->opts);
    if (getrandom(&c->seed, sizeof(c->seed), 0) != (ssize_t)sizeof(c->seed))
        c->seed = (uint64_t)(uintptr_t)db ^ (uint64_t)getpid() << 32;
    /* The committed state is LMDB's unless it lags (a crash before a flush): then nothing is
     * served to readers (version 0) until the owner catches up and commits. */
    MDB_txn *t;
    int rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &t);
    if (rc)
        return db__map_rc(rc, "wb_open");
    MDB_val k = { 6, (void *)"wb_lag" }, v, mk = { 7, (void *)"wb_mark" };
    c->lag_on_disk = mdb_get(t, db->dbi[DB_META], &k, &v) == 0 && v.mv_size == 1 &&
                     ((const uint8_t *)v.mv_data)[0] != 0;
    if (mdb_get(t, db->dbi[DB_META], &mk, &v) == 0 && v.mv_size == 8)
        c->mark = be_load64(v.mv_data);
    c->stale_disk = c->lag_on_disk;
    c->version = mdb_txn_id(t);
    MDB_cursor *cur;
    MDB_val lk, lv;
    if (mdb_cursor_open(t, db->dbi[DB_WB_LOG], &cur) == 0) {
        if (mdb_cursor_get(cur, &lk, &lv, MDB_LAST) == 0 && lk.mv_size == 8)
            c->log_seq = be_load64(lk.mv_data);
        mdb_cursor_close(cur);
    }
    err_t e = c->lag_on_disk ? log_replay(db, t) : ERR_OK;
    mdb_txn_abort(t);
    return e;
}

void db__wb_close(db_t *db)
{
    map_free(&db->wb.map);
    rn_table_free(db->wb.spare, db->wb.spare_cap * sizeof(wb_slot_t));
    for (unsigned j = 0; j < WB_SLICES; j++)
        rn_free(db->wb.slice_keys[j].p);
    slab_release(&db->wb.slab);
    pthread_mutex_destroy(&db->wb.slab.mu);
    pthread_rwlock_destroy(&db->wb.mu);
}

void db_writeback_configure(db_t *db, const db_writeback_opts_t *o)
{
    db->wb.opts = *o;
    if (db->wb.opts.flush_every == 0)
        db->wb.opts.flush_every = 1;
    if (db->wb.opts.slices == 0 || db->wb.opts.slices > WB_SLICES)
        db->wb.opts.slices = WB_SLICES;
    /* Sort the pending keys into the new slices; a log commit leaves the log only after every
     * new slice has been flushed. */
    wb_cache_t *c = &db->wb;
    wb_keys_t all = { NULL, 0, 0 };
    uint64_t oldest = UINT64_MAX;
    for (unsigned j = 0; j < WB_SLICES; j++) {
        wb_keys_t *k = &c->slice_keys[j];
        if (k->n) {
            all.p = rn_realloc(all.p, all.n + k->n);
            memcpy(all.p + all.n, k->p, k->n);
            all.n += k->n;
            k->n = 0;
        }
        if (c->slice_log[j] < oldest)
            oldest = c->slice_log[j];
    }
    for (unsigned j = 0; j < WB_SLICES; j++)
        c->slice_log[j] = oldest;
    for (size_t off = 0; off + 2 <= all.n;) {
        size_t klen = (size_t)all.p[off] << 8 | all.p[off + 1];
        keys_add(&c->slice_keys[slice_of(c, all.p + off + 2)], all.p + off + 2, klen);
        off += 2 + klen;
    }
    rn_free(all.p);
}

void db_writeback_get_stats(db_t *db, db_writeback_stats_t *out)
{
    pthread_rwlock_rdlock(&db->wb.mu);
    *out = db->wb.stats;
    out->entries = db->wb.map.n;
    out->bytes = db->wb.map.bytes;
    out->dirty_bytes = db->wb.map.dirty_bytes;
    out->txn_slots = db->wb.spare_cap;
    pthread_rwlock_unlock(&db->wb.mu);
}

/* Whether a commit leaving `trie_bytes` of unflushed trie entries flushes the tries. */
static bool tries_due(const wb_cache_t *c, size_t trie_bytes)
{
    return !c->stale_disk &&
           (c->since_flush + 1 >= c->opts.flush_every || trie_bytes >= c->opts.flush_bytes);
}

bool db_writeback_flush_due(db_t *db)
{
    wb_cache_t *c = &db->wb;
    pthread_rwlock_rdlock(&c->mu);
    bool due = tries_due(c, c->map.dirty_bytes - c->map.dirty_flat);
    pthread_rwlock_unlock(&c->mu);
    return due;
}

void db_writeback_prepare(db_t *db)
{
    wb_cache_t *c = &db->wb;
    pthread_rwlock_wrlock(&c->mu);
    map_reserve(&c->map, c->map.n + c->last_merged);
    pthread_rwlock_unlock(&c->mu);
    slab_prepare(&c->slab);
}

void db_test_commit_hook(db_t *db, void (*fn)(void *ud), void *ud)
{
    db->commit_hook = fn;
    db->commit_hook_ud = ud;
}

void db_txn_writeback_mark(db_txn_t *w, uint64_t mark)
{
    w->wb_has_mark = true;
    w->wb_mark = mark;
}

void db_txn_writeback_flush(db_txn_t *w)
{
    w->wb_force = true;
}

bool db_writeback_begin_replay(db_txn_t *w, uint64_t *mark)
{
    *mark = w->db->wb.mark;
    if (!w->db->wb.stale_disk || !w->write)
        return false;
    w->wb_replay = true;
    return true;
}

/* Writers may use stale tables only to replay into them. */
static bool writer_blocked(const db_txn_t *txn)
{
    return txn->db->wb.stale_disk && !txn->wb_replay;
}

/* ---- reads and writes ---- */

static void *arena_alloc(db_txn_t *txn, size_t n)
{
    arena_chunk_t *c = txn->arena;
    if (!c || c->cap - c->used < n) {
        /* A small first chunk (most readers copy a few values): a request of 1 KiB or more makes
         * glibc consolidate its fast bins, which per RPC request showed in profiles. */
        size_t want = c ? 16384 : 960 - sizeof(*c);
        size_t cap = n > want ? n : want;
        arena_chunk_t *nc = rn_malloc(sizeof(*nc) + cap);
        nc->prev = c;
        nc->used = 0;
        nc->cap = cap;
        txn->arena = c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static err_t lmdb_get(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val)
{
    MDB_val k = { key.n, (void *)key.p }, v;
    int rc = mdb_get(txn->txn, txn->db->dbi[t], &k, &v);
    if (rc)
        return db__map_rc(rc, "get");
    *val = bview(v.mv_data, v.mv_size);
    return ERR_OK;
}

static err_t answer(const wb_ent_t *e, bview_t *val)
{
    if (e->state == WB_DELETED || e->state == WB_ABSENT)
        return ERR_NOT_FOUND;
    *val = ent_val(e);
    return ERR_OK;
}

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    return r ? r : (an > bn) - (an < bn);
}

/* An entry with its key's first 8 bytes (big-endian, zero-padded), which order most pairs by
 * an integer: a radix sort on them put a 952-transfer block's 1 907 logged accounts in order in
 * 0.025 ms, where qsort through the entries took 0.15 ms. Zero padding agrees with key_cmp (a
 * shorter key that is a prefix comes first); equal prefixes fall back to the keys. */
typedef struct ent_key {
    uint64_t k;
    wb_ent_t *e;
} ent_key_t;

static int ent_key_cmp(const void *x, const void *y)
{
    const ent_key_t *a = x, *b = y;
    if (a->k != b->k)
        return a->k < b->k ? -1 : 1;
    return key_cmp(a->e->data, a->e->klen, b->e->data, b->e->klen);
}

/* Sort entries by key (table byte first), as LMDB orders them. */
static void sort_ents(wb_ent_t **list, size_t n)
{
    if (n < 2)
        return;
    ent_key_t *v = RN_NEWV(ent_key_t, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t b[8] = { 0 };
        memcpy(b, list[i]->data, list[i]->klen < 8 ? list[i]->klen : 8);
        v[i].k = be_load64(b);
        v[i].e = list[i];
    }
    /* LSD radix sort on the prefix, a byte per pass (passes where every key has the same byte
     * are skipped), then runs of equal prefixes by the whole key. */
    ent_key_t *tmp = RN_NEWV(ent_key_t, n);
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[257] = { 0 };
        for (size_t i = 0; i < n; i++)
            count[(v[i].k >> shift & 0xff) + 1]++;
        if (count[(v[0].k >> shift & 0xff) + 1] == n)
            continue;
        for (unsigned b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++)
            tmp[count[v[i].k >> shift & 0xff]++] = v[i];
        ent_key_t *t = v;
        v = tmp;
        tmp = t;
    }
    rn_free(tmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j].k == v[i].k)
            j++;
        if (j - i > 1)
            qsort(v + i, j - i, sizeof(*v), ent_key_cmp);
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        list[i] = v[i].e;
    rn_free(v);
}

/* ---- the log of the flat tables ----
 * A value: be32 n ‖ n × be32 offset of a record from the value's start ‖ the records in key order.
 * A record: be16 key length ‖ state (WB_DIRTY or WB_DELETED) ‖ be32 value length ‖ key (table
 * byte first) ‖ value. */

enum {
    LOG_REC_HDR = 7
};

typedef struct log_rec {
    const uint8_t *key;
    size_t klen;
    uint8_t state;
    bview_t val;
} log_rec_t;

static size_t log_count(bview_t v)
{
    return v.n >= 4 ? be_load32(v.p) : 0;
}

static bool log_rec_at(bview_t v, size_t i, log_rec_t *r)
{
    size_t n = log_count(v);
    if (i >= n || (v.n - 4) / 4 < n)
        return false;
    size_t off = be_load32(v.p + 4 + 4 * i);
    if (off > v.n || v.n - off < LOG_REC_HDR)
        return false;
    const uint8_t *p = v.p + off;
    size_t klen = (size_t)p[0] << 8 | p[1], vlen = be_load32(p + 3), room = v.n - off - LOG_REC_HDR;
    if (klen == 0 || klen > WB_MAX_KEY || klen > room || vlen > room - klen ||
        (p[2] != WB_DIRTY && p[2] != WB_DELETED))
        return false;
    r->key = p + LOG_REC_HDR;
    r->klen = klen;
    r->state = p[2];
    r->val = bview(p + LOG_REC_HDR + klen, vlen);
    return true;
}

/* Binary search of one commit's records: 1 found (*r), 0 absent, -1 a damaged value. */
static int log_find(bview_t v, const uint8_t *kb, size_t kn, log_rec_t *r)
{
    size_t lo = 0, hi = log_count(v);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (!log_rec_at(v, mid, r))
            return -1;
        int c = key_cmp(r->key, r->klen, kb, kn);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Every record of every logged commit, oldest first, whose key starts with pb, into m (a newer
 * record replaces an older one). */
static err_t log_load(db_t *db, MDB_txn *t, const uint8_t *pb, size_t pn, wb_map_t *m)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t, db->dbi[DB_WB_LOG], &cur);
    if (rc)
        return db__map_rc(rc, "log");
    MDB_val k, v;
    err_t e = ERR_OK;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !e;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        bview_t lv = bview(v.mv_data, v.mv_size);
        size_t n = log_count(lv);
        for (size_t i = 0; i < n && !e; i++) {
            log_rec_t r;
            if (!log_rec_at(lv, i, &r)) {
                e = ERR_DB_CORRUPT;
                break;
            }
            if (pn && (r.klen < pn || memcmp(r.key, pb, pn) != 0))
                continue;
            uint64_t h = bytes_hash64(db->wb.seed, r.key, r.klen);
            map_set(m, ent_new(m->slab, r.key, r.klen, h,
                               r.state == WB_DIRTY ? r.val : bview(NULL, 0), r.state));
        }
    }
    mdb_cursor_close(cur);
    if (!e && rc != MDB_NOTFOUND)
        e = db__map_rc(rc, "log");
    return e;
}

/* After a crash: the logged commits since the last flush go back into the cache, unflushed. */
static err_t log_replay(db_t *db, MDB_txn *t)
{
    TRY(log_load(db, t, NULL, 0, &db->wb.map));
    const wb_map_t *m = &db->wb.map;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].e && ent_logged(m->slot[i].e))
            slice_add(&db->wb, m->slot[i].e);
    return ERR_OK;
}

/* Append this transaction's unflushed writes of the logged tables as one value. */
static err_t log_append(db_txn_t *txn)
{
    enum {
        AHEAD = 16 /* slots between an entry's prefetch and its use */
    };

    const wb_map_t *m = &txn->wb;
    if (!(m->tables & (1u << DB_ACCOUNTS | 1u << DB_STORAGE)))
        return ERR_OK;
    wb_ent_t **list = RN_NEWV(wb_ent_t *, m->n ? m->n : 1);
    size_t n = 0, size = 4;
    for (size_t i = 0; i < m->cap; i++) {
        if (i + AHEAD < m->cap && m->slot[i + AHEAD].e)
            __builtin_prefetch(m->slot[i + AHEAD].e);
        wb_ent_t *e = m->slot[i].e;
        if (e && ent_logged(e)) {
            list[n++] = e;
            size += 4 + LOG_REC_HDR + e->klen + (e->state == WB_DIRTY ? e->vlen : 0);
        }
    }
    if (!n) {
        rn_free(list);
        return ERR_OK;
    }
    sort_ents(list, n);
    /* Written in place in LMDB's page (MDB_RESERVE): no copy of its own. */
    uint8_t kb[8];
    be_store64(kb, ++txn->db->wb.log_seq);
    MDB_val k = { 8, kb }, v = { size, NULL };
    int rc = mdb_put(txn->txn, txn->db->dbi[DB_WB_LOG], &k, &v, MDB_APPEND | MDB_RESERVE);
    if (!rc) {
        uint8_t *val = v.mv_data, *p = val + 4 + 4 * n;
        be_store32(val, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
            const wb_ent_t *e = list[i];
            be_store32(val + 4 + 4 * i, (uint32_t)(p - val));
            p[0] = (uint8_t)(e->klen >> 8);
            p[1] = (uint8_t)e->klen;
            p[2] = e->state;
            be_store32(p + 3, e->state == WB_DIRTY ? e->vlen : 0);
            memcpy(p + LOG_REC_HDR, e->data, e->klen);
            p += LOG_REC_HDR + e->klen;
            if (e->state == WB_DIRTY) {
                memcpy(p, e->data + e->klen, e->vlen);
                p += e->vlen;
            }
        }
        ASSERT((size_t)(p - val) == size);
    }
    rn_free(list);
    return db__map_rc(rc, "log");
}

/* A reader whose snapshot is older than the cache: its snapshot's log, newest commit first,
 * then its snapshot of LMDB. */
static err_t log_get(db_txn_t *txn, db_table_t t, const uint8_t *kb, size_t kn, bview_t key,
                     bview_t *val)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->db->dbi[DB_WB_LOG], &cur);
    if (rc)
        return db__map_rc(rc, "log");
    MDB_val k, v;
    int found = 0;
    log_rec_t r;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    while (rc == 0 && !(found = log_find(bview(v.mv_data, v.mv_size), kb, kn, &r)))
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    mdb_cursor_close(cur);
    if (found < 0)
        return ERR_DB_CORRUPT;
    if (found > 0) {
        *val = r.val;
        return r.state == WB_DIRTY ? ERR_OK : ERR_NOT_FOUND;
    }
    if (rc != MDB_NOTFOUND)
        return db__map_rc(rc, "log");
    return lmdb_get(txn, t, key, val);
}

static err_t reader_get(db_txn_t *txn, db_table_t t, const uint8_t *kb, size_t kn, uint64_t h,
                        bview_t key, bview_t *val)
{
    wb_cache_t *c = &txn->db->wb;
    if (txn->wb_lag < 0) {
        MDB_val k = { 6, (void *)"wb_lag" }, v;
        txn->wb_lag = mdb_get(txn->txn, txn->db->dbi[DB_META], &k, &v) == 0 && v.mv_size == 1 &&
                      ((const uint8_t *)v.mv_data)[0] != 0;
    }
    if (!txn->wb_lag)
        return lmdb_get(txn, t, key, val); /* LMDB held everything when this snapshot was taken */
    pthread_rwlock_rdlock(&c->mu);
    if (c->stale_disk || c->version != (uint64_t)mdb_txn_id(txn->txn)) {
        pthread_rwlock_unlock(&c->mu);
        return logged_table(t) ? log_get(txn, t, kb, kn, key, val) : ERR_DB_STALE;
    }
    const wb_ent_t *e = map_find(&c->map, kb, kn, h);
    err_t r = ERR_OK;
    if (e) {
        r = answer(e, val);
        if (r == ERR_OK) {
            uint8_t *copy = arena_alloc(txn, val->n ? val->n : 1);
            memcpy(copy, val->p, val->n);
            val->p = copy;
        }
    }
    pthread_rwlock_unlock(&c->mu);
    /* A miss: the snapshot is the cache's version, so LMDB's value is the current one. */
    return e ? r : lmdb_get(txn, t, key, val);
}

/* The write transaction's entry for a key: its own, else the committed cache's (marked read),
 * else NULL (a miss). Concurrent callers (db_get_concurrent) leave the counters alone and set
 * the mark only where it is clear: writing shared lines on every read made two threads slower
 * than one. */
static const wb_ent_t *writer_find(db_txn_t *txn, const uint8_t *kb, size_t kn, uint64_t h,
                                   bool concurrent)
{
    const wb_ent_t *e = txn->wb.tables >> kb[0] & 1 ? map_find(&txn->wb, kb, kn, h) : NULL;
    if (e)
        return e;
    wb_cache_t *c = &txn->db->wb;
    wb_ent_t *ce = map_find(&c->map, kb, kn, h);
    if (concurrent) {
        if (ce && !__atomic_load_n(&ce->ref, __ATOMIC_RELAXED))
            __atomic_store_n(&ce->ref, 1, __ATOMIC_RELAXED);
        return ce;
    }
    if (ce) {
        ce->ref = 1;
        c->stats.hits++;
    } else {
        c->stats.misses++;
    }
    return ce;
}

err_t db__wb_get(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val)
{
    uint8_t kb[WB_MAX_KEY];
    size_t kn;
    TRY(make_key(kb, &kn, t, key));
    uint64_t h = bytes_hash64(txn->db->wb.seed, kb, kn);
    if (!txn->write)
        return reader_get(txn, t, kb, kn, h, key, val);
    if (writer_blocked(txn))
        return ERR_DB_STALE;
    const wb_ent_t *e = writer_find(txn, kb, kn, h, false);
    if (e)
        return answer(e, val);
    bview_t v = { NULL, 0 };
    TRY(lmdb_get(txn, t, key, &v));
    /* Keep a clean copy: it joins the cache if this transaction commits. */
    wb_ent_t *ne = ent_new(txn->wb.slab, kb, kn, h, v, WB_CLEAN);
    map_set(&txn->wb, ne);
    *val = ent_val(ne);
    return ERR_OK;
}

/* db__wb_get's lookups for threads sharing the write transaction (db_get_concurrent): neither
 * map changes while they run, so both are read without a lock. A miss reads LMDB through a
 * read-only snapshot of the last commit that no other thread is using: for these tables it holds
 * what the write transaction sees, since their LMDB entries change only when a commit flushes them
 * (or by db_del_prefix, refused here). What it returns is not kept: inserting would change the
 * map the others are reading. */
err_t db__wb_get_concurrent(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val)
{
    uint8_t kb[WB_MAX_KEY];
    size_t kn;
    TRY(make_key(kb, &kn, t, key));
    uint64_t h = bytes_hash64(txn->db->wb.seed, kb, kn);
    if (writer_blocked(txn))
        return ERR_DB_STALE;
    const wb_ent_t *e = writer_find(txn, kb, kn, h, true);
    if (e)
        return answer(e, val);
    if (txn->lmdb_changed & (1u << t))
        return ERR_UNSUPPORTED;
    db_snap_t *sn = NULL; /* a free snapshot, else wait for the first */
    for (unsigned i = 0; i < DB_SNAPS && !sn; i++)
        sn = pthread_mutex_trylock(&txn->snap[i].mu) == 0 ? &txn->snap[i] : NULL;
    if (!sn) {
        sn = &txn->snap[0];
        pthread_mutex_lock(&sn->mu);
    }
    db_t *db = txn->db;
    int rc = sn->rd ? 0 : mdb_txn_begin(db->env, NULL, MDB_RDONLY, &sn->rd);
    MDB_val k = { key.n, (void *)key.p }, v;
    if (!rc)
        rc = mdb_get(sn->rd, db->dbi[t], &k, &v);
    pthread_mutex_unlock(&sn->mu);
    if (rc)
        return db__map_rc(rc, "get");
    *val = bview(v.mv_data, v.mv_size);
    return ERR_OK;
}

/* The committed cache's map only: the transaction's own is small and recently used. */
void db__wb_prefetch(db_txn_t *txn, db_table_t t, bview_t key)
{
    uint8_t kb[WB_MAX_KEY];
    size_t kn;
    const wb_map_t *m = &txn->db->wb.map;
    if (m->cap && make_key(kb, &kn, t, key) == ERR_OK)
        map_prefetch_slot(m, bytes_hash64(txn->db->wb.seed, kb, kn));
}

err_t db__wb_put(db_txn_t *txn, db_table_t t, bview_t key, bview_t val, bool del)
{
    if (!txn->write)
        return ERR_PERMISSION;
    if (writer_blocked(txn))
        return ERR_DB_STALE;
    uint8_t kb[WB_MAX_KEY];
    size_t kn;
    TRY(make_key(kb, &kn, t, key));
    uint64_t h = bytes_hash64(txn->db->wb.seed, kb, kn);
    map_set(&txn->wb, ent_new(txn->wb.slab, kb, kn, h, del ? bview(NULL, 0) : val,
                              del ? WB_DELETED : WB_DIRTY));
    return ERR_OK;
}

static bool has_prefix(const wb_ent_t *e, const uint8_t *p, size_t n)
{
    return e->klen >= n && memcmp(e->data, p, n) == 0;
}

err_t db__wb_del_prefix(db_txn_t *txn, db_table_t t, bview_t prefix)
{
    if (!txn->write)
        return ERR_PERMISSION;
    if (writer_blocked(txn))
        return ERR_DB_STALE;
    uint8_t pb[WB_MAX_KEY];
    size_t pn;
    TRY(make_prefix(pb, &pn, t, prefix));
    /* Tombstones over this transaction's entries (same key: replaced in place)... */
    wb_map_t *m = &txn->wb;
    for (size_t i = 0; i < m->cap; i++) {
        wb_ent_t *e = m->slot[i].e;
        if (!e || !has_prefix(e, pb, pn) || e->state == WB_DELETED)
            continue;
        wb_ent_t *d = ent_new(m->slab, e->data, e->klen, e->h, bview(NULL, 0), WB_DELETED);
        map_account(m, e, -1);
        ent_free(m->slab, e);
        m->slot[i].e = d;
        map_account(m, d, +1);
    }
    /* ...and over the committed cache's (the writer may read it without the lock). */
    const wb_map_t *cm = &txn->db->wb.map;
    for (size_t i = 0; i < cm->cap; i++) {
        const wb_ent_t *e = cm->slot[i].e;
        if (!e || !has_prefix(e, pb, pn) || e->state == WB_ABSENT || e->state == WB_DELETED)
            continue;
        if (!map_find(m, e->data, e->klen, e->h))
            map_set(m, ent_new(m->slab, e->data, e->klen, e->h, bview(NULL, 0), WB_DELETED));
    }
    return ERR_OK; /* the caller removes LMDB's entries in this transaction */
}

/* ---- scans ---- */

err_t db__wb_scan(db_txn_t *txn, db_table_t t, bview_t prefix, db_scan_fn fn, void *ctx)
{
    if (!logged_table(t))
        return ERR_UNSUPPORTED; /* the tries are read by path, never scanned */
    if (txn->write && writer_blocked(txn))
        return ERR_DB_STALE;
    uint8_t pb[WB_MAX_KEY];
    size_t pn;
    TRY(make_prefix(pb, &pn, t, prefix));
    /* The unflushed entries under the prefix, newest version of each key: the writer's own and
     * the cache's (clean ones equal LMDB's); a reader's from its snapshot's log. */
    wb_map_t tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.slab = &txn->db->wb.slab;
    wb_ent_t **list = NULL;
    size_t n = 0, cap = 0;
    err_t err = ERR_OK;
    if (txn->write) {
        const wb_map_t *tm = &txn->wb, *cm = &txn->db->wb.map;
        for (size_t i = 0; i < tm->cap; i++)
            if (tm->slot[i].e && ent_dirty(tm->slot[i].e) && has_prefix(tm->slot[i].e, pb, pn))
                list_add(&list, &n, &cap, tm->slot[i].e);
        for (size_t i = 0; i < cm->cap; i++) {
            wb_ent_t *e = cm->slot[i].e;
            if (e && ent_dirty(e) && has_prefix(e, pb, pn) && !map_find(tm, e->data, e->klen, e->h))
                list_add(&list, &n, &cap, e);
        }
    } else {
        err = log_load(txn->db, txn->txn, pb, pn, &tmp);
        for (size_t i = 0; i < tmp.cap && !err; i++)
            if (tmp.slot[i].e)
                list_add(&list, &n, &cap, tmp.slot[i].e);
    }
    if (n)
        sort_ents(list, n);
    /* Merge with LMDB's entries under the prefix; an unflushed entry wins over LMDB's. */
    MDB_cursor *cur = NULL;
    int rc = err ? 0 : mdb_cursor_open(txn->txn, txn->db->dbi[t], &cur);
    if (rc)
        err = db__map_rc(rc, "scan");
    MDB_val k = { prefix.n, (void *)prefix.p }, v;
    if (!err)
        rc = mdb_cursor_get(cur, &k, &v, prefix.n ? MDB_SET_RANGE : MDB_FIRST);
    for (size_t i = 0; !err;) {
        if (rc && rc != MDB_NOTFOUND) {
            err = db__map_rc(rc, "scan");
            break;
        }
        bool disk = rc == 0 && k.mv_size >= prefix.n &&
                    (prefix.n == 0 || memcmp(k.mv_data, prefix.p, prefix.n) == 0);
        if (!disk && i == n)
            break;
        int c = !disk ? 1
                : i == n
                    ? -1
                    : key_cmp(k.mv_data, k.mv_size, list[i]->data + 1, (size_t)list[i]->klen - 1);
        bool go = true;
        if (c < 0) {
            go = fn(ctx, bview(k.mv_data, k.mv_size), bview(v.mv_data, v.mv_size));
        } else {
            const wb_ent_t *o = list[i++];
            if (o->state == WB_DIRTY)
                go = fn(ctx, bview(o->data + 1, (size_t)o->klen - 1), ent_val(o));
        }
        if (!go)
            break;
        if (c <= 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (cur)
        mdb_cursor_close(cur);
    rn_free(list);
    map_free(&tmp);
    return err;
}

/* ---- commit ---- */

/* Write every unflushed entry (the cache's, unless this transaction overrides it, and this
 * transaction's) to LMDB in key order. */
static err_t write_sorted(db_txn_t *txn, wb_ent_t **list, size_t n)
{
    if (n)
        sort_ents(list, n);
    err_t err = ERR_OK;
    for (size_t i = 0; i < n && !err; i++) {
        const wb_ent_t *e = list[i];
        MDB_val k = { (size_t)e->klen - 1, (void *)(e->data + 1) };
        MDB_dbi dbi = txn->db->dbi[e->data[0]];
        int rc;
        if (e->state == WB_DIRTY) {
            MDB_val v = { e->vlen, (void *)(e->data + e->klen) };
            rc = mdb_put(txn->txn, dbi, &k, &v, 0);
        } else {
            rc = mdb_del(txn->txn, dbi, &k, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        err = db__map_rc(rc, "writeback");
    }
    return err;
}

/* Write every unflushed entry (all tables, or the tries only) to LMDB in key order: the cache's,
 * unless this transaction overrides it, and this transaction's. */
static err_t flush_entries(db_txn_t *txn, bool all, size_t *count)
{
    const wb_map_t *cm = &txn->db->wb.map, *tm = &txn->wb;
    size_t cap = 0, n = 0;
    wb_ent_t **list = NULL;
    for (int pass = 0; pass < 2; pass++) {
        const wb_map_t *m = pass ? tm : cm;
        for (size_t i = 0; i < m->cap; i++) {
            wb_ent_t *e = m->slot[i].e;
            if (!e || !ent_dirty(e) || (!all && logged_table(e->data[0])) ||
                (!pass && map_find(tm, e->data, e->klen, e->h)))
                continue;
            list_add(&list, &n, &cap, e);
        }
    }
    err_t err = write_sorted(txn, list, n);
    rn_free(list);
    *count = n;
    return err;
}

/* ---- the flat tables' slices ----
 * The flat tables are flushed a slice at a time, one slice per commit in turn (slice = the
 * key's first byte, an address byte: uniform), so each commit writes the committed changes of
 * 1/slices of the key space, gathered over the last `slices` commits: many per B-tree page,
 * and never all at once. A logged commit is redundant once every slice has been flushed after
 * it; then it leaves the log. */

/* Write the cache's unflushed entries of slice j; *out receives them (to be marked clean once
 * the transaction has committed). */
static err_t slice_flush(db_txn_t *txn, unsigned j, wb_ent_t ***out, size_t *nout, size_t *bytes)
{
    wb_cache_t *c = &txn->db->wb;
    const wb_keys_t *k = &c->slice_keys[j];
    size_t n = 0, cap = 0;
    wb_ent_t **list = NULL;
    for (size_t off = 0; off + 2 <= k->n;) {
        size_t klen = (size_t)k->p[off] << 8 | k->p[off + 1];
        const uint8_t *key = k->p + off + 2;
        off += 2 + klen;
        wb_ent_t *e = map_find(&c->map, key, klen, bytes_hash64(c->seed, key, klen));
        if (e && ent_dirty(e))
            list_add(&list, &n, &cap, e);
    }
    err_t err = ERR_OK;
    if (n) {
        sort_ents(list, n);
        size_t u = 0; /* a key made dirty twice is listed twice */
        for (size_t i = 0; i < n; i++)
            if (u == 0 || list[u - 1] != list[i])
                list[u++] = list[i];
        n = u;
        for (size_t i = 0; i < n; i++)
            *bytes += ent_size(list[i]);
        err = write_sorted(txn, list, n);
    }
    *out = list;
    *nout = n;
    return err;
}

/* The newest logged commit every slice has been flushed after. */
static uint64_t log_covered(const wb_cache_t *c, unsigned j, uint64_t now)
{
    uint64_t m = now;
    for (unsigned i = 0; i < c->opts.slices; i++) {
        uint64_t at = i == j ? now : c->slice_log[i];
        if (at < m)
            m = at;
    }
    return m;
}

static err_t log_prune(db_txn_t *txn, uint64_t upto)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->db->dbi[DB_WB_LOG], &cur);
    if (rc)
        return db__map_rc(rc, "log");
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0 && k.mv_size == 8 && be_load64(k.mv_data) <= upto;
         rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST))
        rc = mdb_cursor_del(cur, 0);
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? ERR_OK : db__map_rc(rc, "log");
}

static err_t meta_put(db_txn_t *txn, const char *name, const void *v, size_t n)
{
    MDB_val k = { strlen(name), (void *)name }, mv = { n, (void *)v };
    return db__map_rc(mdb_put(txn->txn, txn->db->dbi[DB_META], &k, &mv, 0), "meta");
}

/* Move this transaction's entries into the cache (unflushed flat ones join their slice); after
 * a flush of all tables (FLUSHED_ALL) or of the tries (FLUSHED_TRIES) those are clean. */
enum {
    FLUSHED_NONE,
    FLUSHED_TRIES,
    FLUSHED_ALL
};

static void merge(wb_cache_t *c, wb_map_t *tm, int flushed)
{
    enum {
        AHEAD = 8 /* entries between a slot's prefetch and its use; the entry's at half */
    };

    wb_map_t *cm = &c->map;
    map_reserve(cm, cm->n + tm->n);
    c->last_merged = tm->n;
    /* The slots, hashes and all: prefetching by an entry's own hash would read the entry. */
    wb_slot_t *v = RN_NEWV(wb_slot_t, tm->n ? tm->n : 1);
    size_t nv = 0;
    /* What the merge replaces, freed together at the end: one slab lock, not one each. */
    wb_ent_t **olds = RN_NEWV(wb_ent_t *, tm->n ? tm->n : 1);
    size_t nold = 0;
    for (size_t i = 0; i < tm->cap; i++) {
        if (tm->slot[i].e) {
            ASSERT(nv < tm->n);
            v[nv++] = tm->slot[i];
        }
        tm->slot[i].e = NULL;
    }
    for (size_t i = 0; i < nv; i++) {
        if (i + AHEAD < nv) {
            map_prefetch_slot(cm, v[i + AHEAD].h);
            __builtin_prefetch(v[i + AHEAD].e);
        }
        if (i + AHEAD / 2 < nv)
            map_prefetch_ent(cm, v[i + AHEAD / 2].h);
        wb_ent_t *e = v[i].e;
        if (e->state == WB_CLEAN && map_find(cm, e->data, e->klen, e->h)) {
            olds[nold++] = e;
            continue;
        }
        if (flushed != FLUSHED_ALL && ent_logged(e))
            slice_add(c, e);
        wb_ent_t *old = map_put(cm, e);
        if (old)
            olds[nold++] = old;
    }
    ent_free_many(&c->slab, olds, nold);
    rn_free(olds);
    rn_free(v);
    tm->n = tm->bytes = tm->dirty_bytes = tm->dirty_flat = 0;
    tm->tables = 0;
    if (flushed == FLUSHED_NONE)
        return;
    for (size_t i = 0; i < cm->cap; i++) {
        wb_ent_t *e = cm->slot[i].e;
        if (e && ent_dirty(e) && (flushed == FLUSHED_ALL || !logged_table(e->data[0])))
            ent_mark_clean(cm, e);
    }
    if (flushed == FLUSHED_ALL)
        for (unsigned j = 0; j < WB_SLICES; j++) {
            c->slice_keys[j].n = 0;
            c->slice_log[j] = c->log_seq;
        }
}

/* Second chance: drop clean entries not read since the last sweep; clear the others' bits. */
static void evict(wb_cache_t *c)
{
    wb_map_t *m = &c->map;
    if (m->bytes - m->dirty_bytes <= c->opts.cache_bytes)
        return;
    wb_map_t keep;
    memset(&keep, 0, sizeof(keep));
    keep.slab = &c->slab;
    map_reserve(&keep, m->n);
    for (size_t i = 0; i < m->cap; i++) {
        wb_ent_t *e = m->slot[i].e;
        if (!e)
            continue;
        if (ent_dirty(e) || e->ref) {
            e->ref = 0;
            map_set(&keep, e);
        } else {
            ent_free(&c->slab, e);
            c->stats.evictions++;
        }
    }
    rn_table_free(m->slot, m->cap * sizeof(wb_slot_t));
    *m = keep;
}

err_t db__wb_commit(db_txn_t *txn)
{
    db_t *db = txn->db;
    wb_cache_t *c = &db->wb;
    /* The tries every flush_every commits or when their unflushed bytes reach flush_bytes; the
     * flat tables one slice per commit. Everything (emptying the log) when asked, or when the
     * flat tables' unflushed bytes reach 4 x flush_bytes (the slices are not keeping up). */
    const wb_map_t *cm = &c->map, *tm = &txn->wb;
    size_t flat = cm->dirty_flat + tm->dirty_flat;
    size_t trie = cm->dirty_bytes + tm->dirty_bytes - flat;
    bool all = (txn->wb_force && !writer_blocked(txn)) ||
               (!c->stale_disk && flat >= 4 * c->opts.flush_bytes);
    bool tries = all || tries_due(c, trie);
    bool slice = !all && !c->stale_disk;
    unsigned j = c->slice_next % c->opts.slices;
    size_t flushed = 0, nsliced = 0, sliced_bytes = 0;
    wb_ent_t **sliced = NULL;
    err_t e = ERR_OK;
    if (tries) {
        e = flush_entries(txn, all, &flushed);
        uint8_t mk[8];
        be_store64(mk, txn->wb_has_mark ? txn->wb_mark : c->mark);
        if (!e)
            e = meta_put(txn, "wb_mark", mk, 8);
    }
    if (!e && all) /* LMDB now holds everything the log held */
        e = db__map_rc(mdb_drop(txn->txn, db->dbi[DB_WB_LOG], 0), "log");
    if (!e && slice)
        e = slice_flush(txn, j, &sliced, &nsliced, &sliced_bytes);
    /* LMDB's copy lags behind this commit if anything stays unflushed. */
    bool lag_after =
        !all &&
        (c->stale_disk || tm->dirty_flat || cm->dirty_flat > sliced_bytes ||
         (!tries && (tm->dirty_bytes > tm->dirty_flat || cm->dirty_bytes > cm->dirty_flat)));
    uint64_t logged_before = c->log_seq;
    if (!e && !all)
        e = log_append(txn);
    if (!e && slice)
        e = log_prune(txn, log_covered(c, j, logged_before));
    if (!e && lag_after != c->lag_on_disk)
        e = meta_put(txn, "wb_lag", lag_after ? "\x01" : "\x00", 1);
    if (!e && !all && txn->wb.dirty_bytes) {
        /* Readers tell cache versions apart by LMDB's transaction id, which only advances when
         * LMDB changes: make sure it does whenever the cache does. */
        uint8_t seq[8];
        be_store64(seq, ++c->seq);
        e = meta_put(txn, "wb_seq", seq, 8);
    }
    /* LMDB commits (and syncs) outside the cache's lock, so readers are not held up by it.
     * Until the merge below, the cache stays the version of the previous commit: a reader of
     * that snapshot still reads it, and one that begins on the new snapshot finds the version
     * behind its own and reads its snapshot's log, as an overtaken reader does (decision 0019;
     * trie readers get ERR_DB_STALE and retry). */
    int rc = 0;
    if (e)
        mdb_txn_abort(txn->txn);
    else
        rc = mdb_txn_commit(txn->txn);
    txn->txn = NULL;
    /* The snapshot new readers get (a commit that changed nothing in LMDB keeps the old). */
    MDB_envinfo info;
    if (!e && !rc) {
        mdb_env_info(db->env, &info);
        if (db->commit_hook)
            db->commit_hook(db->commit_hook_ud);
    }
    pthread_rwlock_wrlock(&c->mu);
    if (e || rc) {
        c->log_seq = logged_before; /* the appended key was not committed */
    } else {
        if (slice) {
            for (size_t i = 0; i < nsliced; i++)
                ent_mark_clean(&c->map, sliced[i]);
            c->slice_keys[j].n = 0;
            c->slice_log[j] = logged_before;
            c->slice_next++;
            c->stats.flushed_entries += nsliced;
        }
        merge(c, &txn->wb, all ? FLUSHED_ALL : tries ? FLUSHED_TRIES : FLUSHED_NONE);
        c->version = info.me_last_txnid;
        c->lag_on_disk = lag_after;
        if (txn->wb_has_mark)
            c->mark = txn->wb_mark;
        if (tries) {
            c->stale_disk = false;
            c->since_flush = 0;
            c->stats.flushes++;
            c->stats.flushed_entries += flushed;
        } else {
            c->since_flush++;
        }
        evict(c);
    }
    pthread_rwlock_unlock(&c->mu);
    rn_free(sliced);
    db__wb_txn_end(txn);
    return e ? e : db__map_rc(rc, "commit");
}

void db__wb_txn_begin(db_txn_t *txn)
{
    wb_cache_t *c = &txn->db->wb;
    txn->wb.slab = &c->slab;
    pthread_rwlock_wrlock(&c->mu);
    txn->wb.slot = c->spare;
    txn->wb.cap = c->spare_cap;
    c->spare = NULL;
    c->spare_cap = 0;
    pthread_rwlock_unlock(&c->mu);
}

enum {
    SPARE_ALWAYS = 65536, /* slots: a transaction's table this small is always kept */
};

void db__wb_txn_end(db_txn_t *txn)
{
    wb_map_t *m = &txn->wb;
    if (txn->write && m->cap) { /* the slot table, emptied, for the next write transaction */
        for (size_t i = 0; i < m->cap; i++) {
            ent_free(m->slab, m->slot[i].e); /* none after a commit's merge; an abort's */
            m->slot[i].e = NULL;
        }
        wb_cache_t *c = &txn->db->wb;
        /* Kept for the next transaction, unless it is large and this one used a small part of
         * it: a table grown for one big block (20 000 transfers: half a million slots, 8 MiB)
         * would make every later block probe a sparse table and clear all of it. */
        bool keep = m->cap <= SPARE_ALWAYS || m->cap <= 4 * map_cap_for(1024, m->peak);
        pthread_rwlock_wrlock(&c->mu);
        if (keep && m->cap > c->spare_cap) {
            rn_table_free(c->spare, c->spare_cap * sizeof(wb_slot_t));
            c->spare = m->slot;
            c->spare_cap = m->cap;
            m->slot = NULL;
            m->cap = 0;
        }
        pthread_rwlock_unlock(&c->mu);
    }
    map_free(m);
    while (txn->arena) {
        arena_chunk_t *p = txn->arena->prev;
        rn_free(txn->arena);
        txn->arena = p;
    }
}
