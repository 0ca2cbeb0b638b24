/* src/db/db.h — the node's one LMDB environment under <datadir>/db/ (ARCHITECTURE.md, Storage).
 *
 * A thin, typed layer over LMDB: named tables from one list, err_t instead of LMDB's mixed error
 * numbers, an exclusive datadir lock, and a schema/chain check on open. One writer at a time
 * (the engine thread); any number of concurrent readers, each on its own MVCC snapshot that never
 * waits for the writer. Keys are big-endian where they are numbers so ranges iterate in order.
 *
 * Crash safety: a write transaction is all-or-nothing. With the default durability, a commit
 * that returned ERR_OK survives kill -9 and power loss; DB_OPEN_NOSYNC keeps the former only. */
#ifndef RN_DB_DB_H
#define RN_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* Tables: name (as stored in LMDB), identifier. ORDER DB_TABLE: append only. */
/* clang-format off */
#define DB_TABLE_LIST(X)                                                                           \
    X(META,            "meta")             /* metadata: schema, chain, heads, cursors */          \
    X(CANONICAL,       "canonical")        /* be64 number -> block hash */                        \
    X(HEADERS,         "headers")          /* hash -> header RLP */                               \
    X(BODIES,          "bodies")           /* hash -> body RLP */                                 \
    X(RECEIPTS,        "receipts")         /* hash -> receipts */                                 \
    X(TX_LOOKUP,       "tx_lookup")        /* tx hash -> block number ‖ index */                  \
    X(TX_RECENT,       "tx_recent")        /* be64 block -> its tx hashes ‖ be32 index, sorted */ \
    X(ACCOUNTS,        "accounts")         /* address -> flat account */                          \
    X(STORAGE,         "storage")          /* address ‖ slot -> value */                          \
    X(CODE,            "code")             /* code hash -> code */                                \
    X(ACCOUNT_TRIE,    "account_trie")     /* nibble path -> trie node */                         \
    X(STORAGE_TRIE,    "storage_trie")     /* address hash ‖ nibble path -> trie node */          \
    X(ACCOUNT_CHANGES, "account_changes")  /* be64 block ‖ address -> previous account */         \
    X(STORAGE_CHANGES, "storage_changes")  /* be64 block ‖ address ‖ slot -> previous value */    \
    X(L1_MESSAGES,     "l1_messages")      /* be64 queue index -> L1 message */                   \
    X(BATCHES,         "batches")          /* be64 batch index -> batch info */                   \
    X(BLOCK_BATCH,     "block_batch")      /* be64 block -> batch index */                        \
    X(SIGNATURES,      "signatures")       /* block hash -> 65-byte signature */          \
    X(BLOOMS,          "blooms")           /* be64 number -> logsBloom of the canonical block */ \
    X(ACCOUNT_HISTORY, "account_history")  /* address ‖ be64 block -> account before block */ \
    X(STORAGE_HISTORY, "storage_history")  /* address ‖ slot ‖ be64 block -> value before */     \
    X(WB_LOG,          "wb_log")           /* be64 commit -> its unflushed flat writes (wb.c) */ \
    X(SENDERS,         "senders")          /* block hash -> its transactions' senders, 20 B each */

/* clang-format on */

typedef enum db_table {
#define DB_TABLE_ENUM_(id, name) DB_##id,
    DB_TABLE_LIST(DB_TABLE_ENUM_)
#undef DB_TABLE_ENUM_
    DB_TABLE_COUNT
} db_table_t;

enum {
    /** 3: WB_LOG; 4: SENDERS; 5: RECEIPTS may hold an all-zero bloom as the empty string
     *  (receipt_encode_stored). Versions 2 to 4 are upgraded in place when opened to write (the
     *  new tables start empty: blocks stored before have no senders entry; receipts stored
     *  before read as they are). */
    DB_SCHEMA_VERSION = 5,
    DB_DEFAULT_MAP_SIZE_GB = 1024, /**< virtual reservation; the file grows as data is written */
};

typedef enum db_open_flags {
    DB_OPEN_DEFAULT = 0,
    DB_OPEN_READONLY = 1 << 0, /**< no writes, no datadir lock (tools) */
    DB_OPEN_NOSYNC = 1 << 1,   /**< skip fsync on commit: survives kill -9, not power loss */
} db_open_flags_t;

typedef struct db db_t;
typedef struct db_txn db_txn_t;
typedef struct db_cursor db_cursor_t;

/**
 * Open (creating if needed, unless read-only) the environment in `dir` (the node passes
 * `<datadir>/db`) and take an exclusive lock on it. map_size 0 uses the default.
 *
 * Returns ERR_OK; ERR_DB_LOCKED if another process holds the datadir (diag names the pid);
 * ERR_DB_SCHEMA if the stored schema version differs; ERR_IO / ERR_PERMISSION / ERR_DB with diag
 * for anything else. diag (may be NULL) receives one sentence.
 */
RN_NODISCARD err_t db_open(db_t **out, const char *dir, uint64_t map_size, db_open_flags_t flags,
                           char *diag, size_t diag_len);

/** Close; all transactions must be finished. NULL is a no-op. */
void db_close(db_t *db);

/**
 * Begin a transaction. Write transactions are serialised (a second writer waits); read-only ones
 * see the last committed state and never block. A read transaction may be used by one thread at
 * a time, but need not be on the thread that opened it.
 */
typedef enum db_txn_kind {
    DB_TXN_READ = 0,
    DB_TXN_WRITE = 1,
} db_txn_kind_t;

RN_NODISCARD err_t db_txn_begin(db_t *db, db_txn_kind_t kind, db_txn_t **out);
/** The environment txn belongs to. */
db_t *db_txn_db(db_txn_t *txn);
/** A number no other db_open of this process returns (1, 2, ...): unlike the pointer, never
 *  reused after db_close. */
uint64_t db_instance(const db_t *db);
/** Commit and free the transaction (also on error). ERR_DB_MAP_FULL if the map is full. */
RN_NODISCARD err_t db_txn_commit(db_txn_t *txn);
/** Discard and free. NULL is a no-op. */
void db_txn_abort(db_txn_t *txn);

/**
 * Look up key in table. On ERR_OK *val borrows the stored bytes, valid until the next write in
 * this transaction or its end. ERR_NOT_FOUND if absent.
 */
RN_NODISCARD err_t db_get(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val);
/**
 * db_get that several threads may call at once on the same write transaction, as long as
 * nothing else uses it meanwhile (no put, delete, db_get or commit until the last of them
 * returned). For the write-back tables only (ERR_UNSUPPORTED for the others, on a read
 * transaction, and for a table this transaction called db_del_prefix on): the caches are read
 * without a lock, and LMDB through read-only snapshots of the last commit, one per concurrent
 * reader; unlike db_get, a value read from LMDB is not kept in the cache.
 */
RN_NODISCARD err_t db_get_concurrent(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val);
/** A hint that a write transaction's db_get of (t, key) comes soon: starts fetching the
 *  write-back cache's slot for key. Changes nothing (a no-op for read transactions and tables
 *  outside the cache). */
void db_prefetch(db_txn_t *txn, db_table_t t, bview_t key);
/** Insert or replace. */
RN_NODISCARD err_t db_put(db_txn_t *txn, db_table_t t, bview_t key, bview_t val);
/** db_put for a key the caller expects past every key of the table (an append: no search from
 *  the root); any other key still lands where it belongs, by an ordinary put. */
RN_NODISCARD err_t db_put_last(db_txn_t *txn, db_table_t t, bview_t key, bview_t val);
/** Delete; deleting an absent key is ERR_OK. */
RN_NODISCARD err_t db_del(db_txn_t *txn, db_table_t t, bview_t key);
/** Remove every entry of a table. */
RN_NODISCARD err_t db_clear(db_txn_t *txn, db_table_t t);

/** Metadata helpers: META table, key = name (text). */
RN_NODISCARD err_t db_meta_get_u64(db_txn_t *txn, const char *name, uint64_t *out);
RN_NODISCARD err_t db_meta_put_u64(db_txn_t *txn, const char *name, uint64_t v);
/**
 * For an index filled in batches (decision 0012): META `name` is the last block it holds. Block
 * `number` is being written; *indexed receives the mark (set to number - 1 when missing: a
 * datadir from before the batches held every earlier block) and *due whether number completes
 * a batch of `batch` blocks. When due, the caller fills blocks *indexed + 1 .. number and stores
 * number as the mark.
 */
RN_NODISCARD err_t db_meta_batch_due(db_txn_t *txn, const char *name, uint64_t number,
                                     uint32_t batch, uint64_t *indexed, bool *due);
RN_NODISCARD err_t db_meta_get(db_txn_t *txn, const char *name, bview_t *out);
RN_NODISCARD err_t db_meta_put(db_txn_t *txn, const char *name, bview_t v);

/** Cursors iterate one table in key order. Freed by db_cursor_close (before the txn ends). */
RN_NODISCARD err_t db_cursor_open(db_txn_t *txn, db_table_t t, db_cursor_t **out);
void db_cursor_close(db_cursor_t *c);
/** Position at the first key >= key (ERR_NOT_FOUND past the end). */
RN_NODISCARD err_t db_cursor_seek(db_cursor_t *c, bview_t key, bview_t *k, bview_t *v);
RN_NODISCARD err_t db_cursor_first(db_cursor_t *c, bview_t *k, bview_t *v);
RN_NODISCARD err_t db_cursor_last(db_cursor_t *c, bview_t *k, bview_t *v);
RN_NODISCARD err_t db_cursor_next(db_cursor_t *c, bview_t *k, bview_t *v);
RN_NODISCARD err_t db_cursor_prev(db_cursor_t *c, bview_t *k, bview_t *v);
/** Delete the entry under the cursor (write transactions). */
RN_NODISCARD err_t db_cursor_del(db_cursor_t *c);

/**
 * Delete every entry of table t whose key starts with prefix (write transactions). In a
 * write-back table the deletion also reaches LMDB's copy in this transaction, flush or not: a
 * replay after a crash starts from the last flush with these prefixes already gone (the state
 * layer's replay rewrites every slot of a cleared storage trie, so that is what it needs).
 */
RN_NODISCARD err_t db_del_prefix(db_txn_t *txn, db_table_t t, bview_t prefix);

/* ---- Write-back tables (decision 0019) ------------------------------------------------------
 *
 * ACCOUNT_TRIE and STORAGE_TRIE are derived data: the tries can always be rebuilt from the flat
 * state and the change sets. ACCOUNTS and STORAGE (the flat state) are not, and are logged. The
 * writes of all four go to an in-memory cache instead of LMDB, and the cache is written to LMDB
 * in sorted batches inside later write transactions (a "flush"): the tries when flush_every
 * commits have passed or their unflushed bytes reach flush_bytes (db_writeback_flush_due), the
 * flat tables a slice of their key space per commit (each key's
 * committed changes reach LMDB within `slices` commits), and everything when the flat tables'
 * unflushed bytes reach 4 x flush_bytes or a transaction asks for it.
 * Reads see the cache first, so every transaction sees its own and all committed writes. A write
 * transaction's entries join the cache only if it commits.
 *
 * A commit that leaves flat writes unflushed also appends them to WB_LOG (one sequential value
 * per commit), so they are as durable as the rest of the commit; a logged commit leaves the log
 * once every slice has been flushed after it, or at a flush of everything. On disk,
 * META wb_lag = 1 says LMDB's copy is older than the committed state, and META wb_mark says which
 * state it holds (the mark of the flushing transaction, see db_txn_writeback_mark). After a crash
 * db_open puts the logged flat writes back into the cache; the owner of the tries (the state
 * layer) replays what happened to them after the mark and flushes; until then readers of the
 * tries get ERR_DB_STALE.
 *
 * A read transaction reads the tries consistently only while it is on the newest snapshot (the
 * cache holds the newest state only): a reader whose snapshot has META wb_lag = 1 and is older
 * than the last commit gets ERR_DB_STALE and should retry with a new transaction. The flat tables
 * never answer ERR_DB_STALE: such a reader reads them from its snapshot's log and LMDB copy.
 * Cursors and db_count/db_clear are not available on write-back tables (ERR_UNSUPPORTED); db_scan
 * reads the flat ones. Clean entries are kept up to cache_bytes (second-chance eviction). */

typedef struct db_writeback_opts {
    uint32_t flush_every; /**< commits between flushes; 1 = write through every commit */
    uint64_t flush_bytes; /**< flush the tries once their unflushed entries reach this many
                               bytes; everything once the flat tables' reach 4 times as many */
    uint64_t cache_bytes; /**< clean entries kept for reads */
    uint32_t slices;      /**< the flat tables flush 1/slices of their keys per commit (<= 256) */
} db_writeback_opts_t;

typedef struct db_writeback_stats {
    uint64_t flushes;                   /**< flushes since open */
    uint64_t flushed_entries;           /**< puts and deletes written by them */
    uint64_t hits, misses;              /**< reads answered by the cache / by LMDB (writer only;
                                             not db_get_concurrent's) */
    uint64_t evictions;                 /**< clean entries dropped */
    size_t entries, bytes, dirty_bytes; /**< now */
    size_t txn_slots; /**< the slot table kept for the next write transaction's own entries */
} db_writeback_stats_t;

/** Defaults: the tries every 128 commits or at 64 MiB unflushed, a 256th of the flat tables
 *  every commit (everything at 256 MiB of them unflushed); 256 MiB of clean entries. */
void db_writeback_defaults(db_writeback_opts_t *o);
/** Change the policy (no transaction may be open). */
void db_writeback_configure(db_t *db, const db_writeback_opts_t *o);
void db_writeback_get_stats(db_t *db, db_writeback_stats_t *out);
/** True when the next write commit would flush the tries (flush_every or flush_bytes reached):
 *  a caller with idle time (the sequencer between blocks) can commit an empty write transaction
 *  now, so that the flush does not land in its next block's commit. */
bool db_writeback_flush_due(db_t *db);
/** Make room for another commit like the last one, for a caller with idle time (the sequencer
 *  between blocks): the committed cache's table grows now if that commit's entries would grow
 *  it, and entry memory for as many bytes is mapped and touched, so that neither lands in the
 *  next block's commit. No transaction of this thread may be open. */
void db_writeback_prepare(db_t *db);
/** Tests only: fn(ud) runs on the committing thread after LMDB has committed a write transaction
 *  and before the write-back cache takes it in, where a reader can begin on a snapshot newer than
 *  the cache (NULL removes it). */
void db_test_commit_hook(db_t *db, void (*fn)(void *ud), void *ud);
/** This write transaction brings the write-back tables to the state the caller calls `mark`
 *  (the state layer: a block number). Stored as META wb_mark when the transaction flushes. */
void db_txn_writeback_mark(db_txn_t *w, uint64_t mark);
/** Write every unflushed entry to LMDB when this write transaction commits. */
void db_txn_writeback_flush(db_txn_t *w);
/**
 * True when the environment was opened with LMDB's copy lagging behind the committed state (the
 * process ended before a flush) and nobody has replayed since; *mark is the state LMDB's copy
 * holds. Then w (a write transaction) becomes the one allowed to replay into the tables, and its
 * commit, which must flush (db_txn_writeback_flush), makes them usable again. Until then other
 * transactions get ERR_DB_STALE from the write-back tables.
 */
bool db_writeback_begin_replay(db_txn_t *w, uint64_t *mark);

/** Called by db_scan for each entry (views valid during the call); false stops the scan. */
typedef bool (*db_scan_fn)(void *ctx, bview_t key, bview_t val);

/**
 * Call fn for every entry of table t whose key starts with prefix (empty: all), in key order.
 * Unlike a cursor it also reads the write-back flat tables (ACCOUNTS, STORAGE), merging their
 * unflushed entries over LMDB's as this transaction sees them; fn must not write to t. The trie
 * tables cannot be scanned (ERR_UNSUPPORTED).
 */
RN_NODISCARD err_t db_scan(db_txn_t *txn, db_table_t t, bview_t prefix, db_scan_fn fn, void *ctx);

/** Number of entries in a table. */
RN_NODISCARD err_t db_count(db_txn_t *txn, db_table_t t, uint64_t *out);

const char *db_table_name(db_table_t t);

#endif
