/* The write-back cache of the trie tables (db.h "Write-back tables", decision 0019).
 *
 * Three places hold a write-back table's entries, newest first: the write transaction's own map
 * (txn->wb: its puts and deletes, and clean copies of what it read from LMDB), the committed cache
 * (db->wb.map: clean entries and unflushed writes of committed transactions), and LMDB. Only the
 * writer thread changes the committed cache, and only under the mutex, at commit; so the writer
 * reads it without locking, and readers lock it.
 *
 * Flushing writes the unflushed entries to LMDB in key order inside the committing transaction,
 * so the batch is atomic with that block. */
#define LOG_TARGET "scroll::db"
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "db/db_int.h"

/* ---- the map ---- */

static size_t ent_size(const wb_ent_t *e)
{
    return sizeof(*e) + e->klen + e->vlen;
}

static bool ent_dirty(const wb_ent_t *e)
{
    return e->state == WB_DIRTY || e->state == WB_DELETED;
}

static wb_ent_t *ent_new(const uint8_t *key, size_t klen, uint64_t h, bview_t val, uint8_t state)
{
    wb_ent_t *e = rn_malloc(sizeof(*e) + klen + val.n);
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

static void map_account(wb_map_t *m, const wb_ent_t *e, int sign)
{
    size_t sz = ent_size(e);
    if (sign > 0) {
        m->bytes += sz;
        if (ent_dirty(e))
            m->dirty_bytes += sz;
    } else {
        m->bytes -= sz;
        if (ent_dirty(e))
            m->dirty_bytes -= sz;
    }
}

/* Grow to hold at least `want` entries below the load limit. Bulk moves from one map into
 * another reserve first: inserting a table's entries in slot order into a smaller table piles
 * them into long runs (linear probing's worst case). */
static void map_reserve(wb_map_t *m, size_t want)
{
    size_t ncap = m->cap ? m->cap : 1024;
    while (want * 4 > ncap * 3)
        ncap *= 2;
    if (ncap == m->cap)
        return;
    wb_slot_t *ns = RN_NEWV(wb_slot_t, ncap);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i].e)
            continue;
        size_t j = (size_t)m->slot[i].h & (ncap - 1);
        while (ns[j].e)
            j = (j + 1) & (ncap - 1);
        ns[j] = m->slot[i];
    }
    rn_free(m->slot);
    m->slot = ns;
    m->cap = ncap;
}

static void map_grow(wb_map_t *m)
{
    map_reserve(m, m->cap ? m->cap : 1024);
}

/* Insert e, freeing the entry it replaces. */
static void map_set(wb_map_t *m, wb_ent_t *e)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        map_grow(m);
    size_t i = map_slot(m, e->data, e->klen, e->h);
    wb_ent_t *old = m->slot[i].e;
    if (old) {
        map_account(m, old, -1);
        rn_free(old);
    } else {
        m->n++;
    }
    m->slot[i].h = e->h;
    m->slot[i].e = e;
    map_account(m, e, +1);
}

static void map_free(wb_map_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        rn_free(m->slot[i].e);
    rn_free(m->slot);
    memset(m, 0, sizeof(*m));
}

/* ---- keys and policy ---- */

bool db__wb_table(db_table_t t)
{
    return t == DB_ACCOUNT_TRIE || t == DB_STORAGE_TRIE;
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

void db_writeback_defaults(db_writeback_opts_t *o)
{
    o->flush_every = 128;
    o->flush_bytes = 64ull << 20;
    o->cache_bytes = 256ull << 20;
}

void db__wb_open(db_t *db)
{
    wb_cache_t *c = &db->wb; /* zeroed with db; the mutex is initialised by db_open */
    db_writeback_defaults(&c->opts);
    if (getrandom(&c->seed, sizeof(c->seed), 0) != (ssize_t)sizeof(c->seed))
        c->seed = (uint64_t)(uintptr_t)db ^ (uint64_t)getpid() << 32;
    /* The committed state is LMDB's unless it lags (a crash before a flush): then nothing is
     * served to readers (version 0) until the owner catches up and commits. */
    MDB_txn *t;
    if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &t) != 0)
        return;
    MDB_val k = { 6, (void *)"wb_lag" }, v, mk = { 7, (void *)"wb_mark" };
    c->lag_on_disk = mdb_get(t, db->dbi[DB_META], &k, &v) == 0 && v.mv_size == 1 &&
                     ((const uint8_t *)v.mv_data)[0] != 0;
    if (mdb_get(t, db->dbi[DB_META], &mk, &v) == 0 && v.mv_size == 8)
        c->mark = be_load64(v.mv_data);
    c->stale_disk = c->lag_on_disk;
    c->version = mdb_txn_id(t);
    mdb_txn_abort(t);
}

void db__wb_close(db_t *db)
{
    map_free(&db->wb.map);
    pthread_mutex_destroy(&db->wb.mu);
}

void db_writeback_configure(db_t *db, const db_writeback_opts_t *o)
{
    db->wb.opts = *o;
    if (db->wb.opts.flush_every == 0)
        db->wb.opts.flush_every = 1;
}

void db_writeback_get_stats(db_t *db, db_writeback_stats_t *out)
{
    pthread_mutex_lock(&db->wb.mu);
    *out = db->wb.stats;
    out->entries = db->wb.map.n;
    out->bytes = db->wb.map.bytes;
    out->dirty_bytes = db->wb.map.dirty_bytes;
    pthread_mutex_unlock(&db->wb.mu);
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
        size_t cap = n > 16384 ? n : 16384;
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
    pthread_mutex_lock(&c->mu);
    if (c->stale_disk || c->version != (uint64_t)mdb_txn_id(txn->txn)) {
        pthread_mutex_unlock(&c->mu);
        return ERR_DB_STALE;
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
    pthread_mutex_unlock(&c->mu);
    /* A miss: the snapshot is the cache's version, so LMDB's value is the current one. */
    return e ? r : lmdb_get(txn, t, key, val);
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
    wb_cache_t *c = &txn->db->wb;
    const wb_ent_t *e = map_find(&txn->wb, kb, kn, h);
    if (e)
        return answer(e, val);
    wb_ent_t *ce = map_find(&c->map, kb, kn, h);
    if (ce) {
        ce->ref = 1;
        c->stats.hits++;
        return answer(ce, val);
    }
    c->stats.misses++;
    bview_t v = { NULL, 0 };
    TRY(lmdb_get(txn, t, key, &v));
    /* Keep a clean copy: it joins the cache if this transaction commits. */
    wb_ent_t *ne = ent_new(kb, kn, h, v, WB_CLEAN);
    map_set(&txn->wb, ne);
    *val = ent_val(ne);
    return ERR_OK;
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
    map_set(&txn->wb, ent_new(kb, kn, h, del ? bview(NULL, 0) : val, del ? WB_DELETED : WB_DIRTY));
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
    if (prefix.n + 1 > WB_MAX_KEY)
        return ERR_INVALID_ARG;
    pb[0] = (uint8_t)t;
    if (prefix.n)
        memcpy(pb + 1, prefix.p, prefix.n);
    size_t pn = prefix.n + 1;
    /* Tombstones over this transaction's entries (same key: replaced in place)... */
    wb_map_t *m = &txn->wb;
    for (size_t i = 0; i < m->cap; i++) {
        wb_ent_t *e = m->slot[i].e;
        if (!e || !has_prefix(e, pb, pn) || e->state == WB_DELETED)
            continue;
        wb_ent_t *d = ent_new(e->data, e->klen, e->h, bview(NULL, 0), WB_DELETED);
        map_account(m, e, -1);
        rn_free(e);
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
            map_set(m, ent_new(e->data, e->klen, e->h, bview(NULL, 0), WB_DELETED));
    }
    return ERR_OK; /* the caller removes LMDB's entries in this transaction */
}

/* ---- commit ---- */

static int ent_cmp(const void *x, const void *y)
{
    const wb_ent_t *a = *(wb_ent_t *const *)x, *b = *(wb_ent_t *const *)y;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int r = memcmp(a->data, b->data, n);
    return r ? r : (a->klen > b->klen) - (a->klen < b->klen);
}

/* Write every unflushed entry (the cache's, unless this transaction overrides it, and this
 * transaction's) to LMDB in key order. */
static err_t flush_entries(db_txn_t *txn, size_t *count)
{
    const wb_map_t *cm = &txn->db->wb.map, *tm = &txn->wb;
    size_t cap = 0, n = 0;
    wb_ent_t **list = NULL;
    for (int pass = 0; pass < 2; pass++) {
        const wb_map_t *m = pass ? tm : cm;
        for (size_t i = 0; i < m->cap; i++) {
            wb_ent_t *e = m->slot[i].e;
            if (!e || !ent_dirty(e) || (!pass && map_find(tm, e->data, e->klen, e->h)))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                list = rn_realloc(list, cap * sizeof(*list));
            }
            list[n++] = e;
        }
    }
    if (n)
        qsort(list, n, sizeof(*list), ent_cmp);
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
    rn_free(list);
    *count = n;
    return err;
}

static err_t meta_put(db_txn_t *txn, const char *name, const void *v, size_t n)
{
    MDB_val k = { strlen(name), (void *)name }, mv = { n, (void *)v };
    return db__map_rc(mdb_put(txn->txn, txn->db->dbi[DB_META], &k, &mv, 0), "meta");
}

/* Move this transaction's entries into the cache; after a flush everything is clean. */
static void merge(wb_cache_t *c, wb_map_t *tm, bool flushed)
{
    wb_map_t *cm = &c->map;
    map_reserve(cm, cm->n + tm->n);
    for (size_t i = 0; i < tm->cap; i++) {
        wb_ent_t *e = tm->slot[i].e;
        if (!e)
            continue;
        tm->slot[i].e = NULL;
        if (e->state == WB_CLEAN && map_find(cm, e->data, e->klen, e->h)) {
            rn_free(e);
            continue;
        }
        map_set(cm, e);
    }
    tm->n = tm->bytes = tm->dirty_bytes = 0;
    if (!flushed)
        return;
    for (size_t i = 0; i < cm->cap; i++) {
        wb_ent_t *e = cm->slot[i].e;
        if (e && ent_dirty(e)) {
            map_account(cm, e, -1);
            e->state = e->state == WB_DIRTY ? WB_CLEAN : WB_ABSENT;
            map_account(cm, e, +1);
        }
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
    map_reserve(&keep, m->n);
    for (size_t i = 0; i < m->cap; i++) {
        wb_ent_t *e = m->slot[i].e;
        if (!e)
            continue;
        if (ent_dirty(e) || e->ref) {
            e->ref = 0;
            map_set(&keep, e);
        } else {
            rn_free(e);
            c->stats.evictions++;
        }
    }
    rn_free(m->slot);
    *m = keep;
}

err_t db__wb_commit(db_txn_t *txn)
{
    db_t *db = txn->db;
    wb_cache_t *c = &db->wb;
    bool flush =
        (txn->wb_force && !writer_blocked(txn)) ||
        (!c->stale_disk && (c->since_flush + 1 >= c->opts.flush_every ||
                            c->map.dirty_bytes + txn->wb.dirty_bytes >= c->opts.flush_bytes));
    bool lag_after = !flush && (c->stale_disk || c->map.dirty_bytes || txn->wb.dirty_bytes);
    size_t flushed = 0;
    err_t e = ERR_OK;
    if (flush) {
        e = flush_entries(txn, &flushed);
        uint8_t mk[8];
        be_store64(mk, txn->wb_has_mark ? txn->wb_mark : c->mark);
        if (!e)
            e = meta_put(txn, "wb_mark", mk, 8);
    }
    if (!e && lag_after != c->lag_on_disk)
        e = meta_put(txn, "wb_lag", lag_after ? "\x01" : "\x00", 1);
    if (!e && !flush && txn->wb.dirty_bytes) {
        /* Readers tell cache versions apart by LMDB's transaction id, which only advances when
         * LMDB changes: make sure it does whenever the cache does. */
        uint8_t seq[8];
        be_store64(seq, ++c->seq);
        e = meta_put(txn, "wb_seq", seq, 8);
    }
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (e)
        mdb_txn_abort(txn->txn);
    else
        rc = mdb_txn_commit(txn->txn);
    txn->txn = NULL;
    if (!e && !rc) {
        /* The snapshot new readers get (a commit that changed nothing in LMDB keeps the old). */
        MDB_envinfo info;
        mdb_env_info(db->env, &info);
        merge(c, &txn->wb, flush);
        c->version = info.me_last_txnid;
        c->lag_on_disk = lag_after;
        if (txn->wb_has_mark)
            c->mark = txn->wb_mark;
        if (flush) {
            c->stale_disk = false;
            c->since_flush = 0;
            c->stats.flushes++;
            c->stats.flushed_entries += flushed;
        } else {
            c->since_flush++;
        }
        evict(c);
    }
    pthread_mutex_unlock(&c->mu);
    db__wb_txn_end(txn);
    return e ? e : db__map_rc(rc, "commit");
}

void db__wb_txn_end(db_txn_t *txn)
{
    map_free(&txn->wb);
    while (txn->arena) {
        arena_chunk_t *p = txn->arena->prev;
        rn_free(txn->arena);
        txn->arena = p;
    }
}
