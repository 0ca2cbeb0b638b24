/* src/db/db_int.h — private to the db module: the environment, transactions, and the write-back
 * cache of the trie and flat state tables (wb.c, decision 0019). */
#ifndef RN_DB_DB_INT_H
#define RN_DB_DB_INT_H

#include <lmdb.h>
#include <pthread.h>

#include "db/db.h"

enum {
    WB_CLEAN = 1,         /**< equals what LMDB holds */
    WB_DIRTY = 2,         /**< written, not yet in LMDB */
    WB_DELETED = 3,       /**< deleted, not yet removed from LMDB */
    WB_ABSENT = 4,        /**< known absent from LMDB (a flushed deletion) */
    WB_MAX_KEY = 511,     /**< table byte + key: LMDB's own key limit */
    WB_SLICES = 256,      /**< the flat tables are flushed a slice (a first key byte) per commit */
    WB_SLAB_STEP = 32,    /**< entry sizes are rounded up to this in the slab */
    WB_SLAB_CLASSES = 33, /**< entries up to 1 KiB come from the slab, bigger from malloc */
};

/** Keys (be16 length ‖ key) made dirty in one slice since its last flush; repeats allowed. */
typedef struct wb_keys {
    uint8_t *p;
    size_t n, cap;
} wb_keys_t;

/** One cached entry: key (table byte first) then value, inline. */
typedef struct wb_ent {
    uint64_t h;
    uint32_t vlen;
    uint16_t klen;
    uint8_t state;
    uint8_t ref; /**< read since the last eviction sweep (second chance) */
    uint8_t data[];
} wb_ent_t;

/** Open-addressing map of entry pointers (linear probing, power-of-two capacity). */
/* A slot holds the entry's hash beside the pointer: probing compares hashes without touching
 * the entries (one cache miss per probe otherwise). */
typedef struct wb_slot {
    uint64_t h;
    wb_ent_t *e;
} wb_slot_t;

/** Where the entries' memory comes from (wb.c "entry memory"): a free list per size class,
 *  carved from chunks that live until the environment closes. A block replaces thousands of
 *  entries; through malloc they cost more than their map's work and scatter over a heap that
 *  grows a 4 KiB page fault at a time. Any thread may take or give back (the lock). */
typedef struct wb_slab {
    pthread_mutex_t mu;
    void *free[WB_SLAB_CLASSES];
    uint8_t *chunk; /**< the newest chunk (each begins with the link to the one before) */
    size_t used, cap;
    size_t total;   /**< bytes of all chunks */
    size_t carved;  /**< bytes carved since the last db_writeback_prepare */
    uint8_t *ready; /**< chunks db_writeback_prepare mapped and touched, not carved yet */
} wb_slab_t;

typedef struct wb_map {
    wb_slab_t *slab; /**< its entries' memory (kept by map_free) */
    wb_slot_t *slot;
    size_t cap, n;
    size_t peak;        /**< the most entries it held at once */
    size_t bytes;       /**< sum of entry sizes */
    size_t dirty_bytes; /**< of entries WB_DIRTY or WB_DELETED */
    size_t dirty_flat;  /**< of those, in the flat (logged) tables */
    uint32_t tables;    /**< bit t: an entry of table t may be here (a probe can find it) */
} wb_map_t;

typedef struct wb_cache {
    pthread_rwlock_t mu; /**< readers of the map share it; the writer takes it to change it */
    wb_map_t map;        /**< committed entries: clean, or dirty (not yet in LMDB) */
    uint64_t version;    /**< LMDB id of the newest committed transaction */
    uint64_t mark;       /**< the caller's mark of the committed state (db_txn_writeback_mark) */
    bool lag_on_disk;    /**< META wb_lag as last committed */
    /** LMDB's copy lagged when the environment was opened (a crash before a flush): only a
     *  forced flush, after the owner replayed what is missing, makes the tables usable. */
    bool stale_disk;
    uint32_t since_flush;
    uint64_t seq;     /**< META wb_seq: bumped by commits that change only the cache */
    uint64_t log_seq; /**< key of the newest WB_LOG value */
    wb_keys_t slice_keys[WB_SLICES];
    uint64_t slice_log[WB_SLICES]; /**< log_seq when the slice was last flushed */
    uint32_t slice_next;           /**< the slice the next commit flushes (mod WB_SLICES) */
    uint64_t seed;                 /**< of the maps' hash (random per environment) */
    /** An empty slot table a committed write transaction left, for the next one's map: it
     *  starts at the size the last block needed instead of growing to it again (under mu). */
    wb_slot_t *spare;
    size_t spare_cap;
    wb_slab_t slab;     /**< every map's entries, the transactions' and the readers' too */
    size_t last_merged; /**< entries the last commit's merge moved in (db_writeback_prepare) */
    db_writeback_opts_t opts;
    db_writeback_stats_t stats;
} wb_cache_t;

struct db {
    MDB_env *env;
    MDB_dbi dbi[DB_TABLE_COUNT];
    int lock_fd; /**< holds the exclusive flock on <dir>/LOCK; -1 when read-only */
    bool readonly;
    uint64_t instance; /**< db_instance(): unique per open in this process */
    wb_cache_t wb;
    void (*commit_hook)(void *ud); /**< db_test_commit_hook */
    void *commit_hook_ud;
};

/** A read-only snapshot for db_get_concurrent, and who holds it (opened at first use). */
enum {
    DB_SNAPS = 4 /**< snapshots per write transaction: concurrent LMDB readers */
};

typedef struct db_snap {
    pthread_mutex_t mu;
    MDB_txn *rd;
} db_snap_t;

/** Copies handed to readers of write-back tables live until the transaction ends. */
typedef struct arena_chunk {
    struct arena_chunk *prev;
    size_t used, cap;
    uint8_t data[];
} arena_chunk_t;

struct db_txn {
    db_t *db;
    MDB_txn *txn;
    bool write;
    /* Write transactions: this transaction's write-back entries (merged into the cache on
     * commit, dropped on abort). */
    wb_map_t wb;
    bool wb_force;
    bool wb_replay; /**< this transaction replays into stale tables (db_writeback_begin_replay) */
    bool wb_has_mark;
    uint64_t wb_mark;
    /* Write transactions: read-only snapshots of the last commit for db_get_concurrent's LMDB
     * reads (a write transaction may not be used from other threads; with MDB_NOTLS a read
     * transaction may, by one thread at a time: a reader takes a free one); and the write-back
     * tables whose LMDB entries this transaction changed itself (db_del_prefix), which those
     * snapshots would not show. */
    db_snap_t snap[DB_SNAPS];
    uint32_t lmdb_changed;
    /* Read transactions: META wb_lag in this snapshot (-1 not read yet). */
    int wb_lag;
    arena_chunk_t *arena;
};

err_t db__map_rc(int rc, const char *what);
bool db__wb_table(db_table_t t);
err_t db__wb_open(db_t *db);
void db__wb_close(db_t *db);
err_t db__wb_get(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val);
err_t db__wb_get_concurrent(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val);
err_t db__wb_put(db_txn_t *txn, db_table_t t, bview_t key, bview_t val, bool del);
void db__wb_prefetch(db_txn_t *txn, db_table_t t, bview_t key);
err_t db__wb_del_prefix(db_txn_t *txn, db_table_t t, bview_t prefix);
err_t db__wb_scan(db_txn_t *txn, db_table_t t, bview_t prefix, db_scan_fn fn, void *ctx);
/** Commit txn (a write transaction with the cache in use) and free it. */
err_t db__wb_commit(db_txn_t *txn);
/** Free the transaction's write-back state and arena. */
void db__wb_txn_end(db_txn_t *txn);
/** A write transaction begins: its map takes the spare slot table, if any. */
void db__wb_txn_begin(db_txn_t *txn);

#endif
