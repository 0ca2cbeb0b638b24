/* src/trie/trie.h — Merkle-Patricia trie (Yellow Paper, appendix D): roots of key/value sets.
 *
 * The root is computed in one pass over the keys in sorted order (a stack of branch/extension
 * nodes, like a streaming trie builder), so no tree is kept in memory. Later (issue #4) this
 * module grows the persistent, incremental trie stored in LMDB and proofs. */
#ifndef RN_TRIE_TRIE_H
#define RN_TRIE_TRIE_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef struct trie_kv {
    bview_t key;
    bview_t value; /**< empty = the key is absent */
    /** trie_db_update only, optional: the key's value in the stored trie before the update
     *  (empty = not known). When the leaf it implies matches its parent's hash, the update
     *  takes it from there instead of reading the leaf from the store; a wrong hint only costs
     *  that check. Other functions ignore it. */
    bview_t old;
} trie_kv_t;

/**
 * Root of the trie holding these pairs. Keys must be distinct; the array is sorted in place.
 * n == 0 (or all values empty) gives the empty root 0x56e8…b421. ERR_INVALID_ARG for duplicate
 * keys; ERR_TOO_LARGE if a key is longer than 64 bytes.
 */
RN_NODISCARD err_t trie_root(hash_t *out, trie_kv_t *kvs, size_t n);

/** Secure trie: every key is replaced by keccak256(key) first (account and storage tries). */
RN_NODISCARD err_t trie_root_secure(hash_t *out, const trie_kv_t *kvs, size_t n);

/** Root of a list (transactions or receipts root): key i = rlp(i), value = items[i]. */
RN_NODISCARD err_t trie_root_ordered(hash_t *out, const bview_t *items, size_t n);

/** The state-trie value of an account: rlp([nonce, balance, storageRoot, codeHash]). */
RN_NODISCARD err_t trie_account_rlp(buf_t *out, uint64_t nonce, u256_t balance,
                                    const hash_t *storage_root, const hash_t *code_hash);

/** The storage-trie value of a slot: rlp(value as a minimal big-endian integer). Zero values
 *  are absent from the trie: callers skip them. */
RN_NODISCARD err_t trie_storage_value_rlp(buf_t *out, u256_t value);

/* ---- Persistent, incremental trie (issue #4) -----------------------------------------------
 *
 * The trie lives in a node store the caller provides (LMDB in the node, a hash map in tests).
 * Nodes are keyed by their *path*: the nibbles from the root to where the node starts, one nibble
 * (0..15) per byte; the root is at the empty path. A stored value is the node's full RLP encoding.
 * An update reads, re-encodes, re-hashes and writes only the nodes on the paths of the keys it
 * touches, and deletes the nodes those paths no longer hold, so the store never holds garbage.
 *
 * Storage rule: the root (always) and every node whose encoding is 32 bytes or longer (those its
 * parent references by hash) are stored at their path. Nodes shorter than 32 bytes are embedded
 * in their parent's encoding and are *not* stored separately: they are read from the parent.
 * So the store holds exactly the nodes a hash refers to, which is also the set a proof carries.
 *
 * Keys are at most TRIE_DB_MAX_KEY bytes (secure tries use 32-byte keccak keys), so paths are at
 * most TRIE_DB_MAX_NIBBLES long and every recursion is bounded by that many levels. Nodes read
 * back are checked against the hash their parent holds (the root has no parent: its hash is the
 * trie's root); a missing, malformed or mismatching node is ERR_TRIE_CORRUPT.
 *
 * Not thread-safe: one caller at a time per store (the storage layer runs each call inside one
 * transaction; on error the store may be partly written and that transaction must be aborted).
 * An update may read through get_concurrent from helper threads of its own; it writes from the
 * caller's thread only. */

enum {
    TRIE_DB_MAX_KEY = 32,     /**< bytes */
    TRIE_DB_MAX_NIBBLES = 64, /**< longest node path */
    TRIE_PROOF_MAX = 66       /**< most nodes a proof can hold (one per level, plus the root) */
};

/** Node storage: a table of function pointers plus its context (evmc-style). */
typedef struct trie_store {
    /** Node at nibble path (one nibble per byte, length path.n). ERR_OK with *node borrowed until
     *  the next put/del, or ERR_NOT_FOUND; any other code is passed up unchanged. */
    err_t (*get)(void *ctx, bview_t path, bview_t *node);
    /** Store node at path, replacing any node there. The store copies both. */
    err_t (*put)(void *ctx, bview_t path, bview_t node);
    /** Remove the node at path; ERR_OK or ERR_NOT_FOUND if there was none. */
    err_t (*del)(void *ctx, bview_t path);
    void *ctx;
    /** The store holds only what this module's updates wrote to it (the node's own tables):
     *  trie_db_update then takes a loaded node's hash from its parent's reference instead of
     *  re-hashing the node to check it (a quarter of an update's time). Readers (get, prove)
     *  always check. */
    bool trusted;
    /** Optional: get, callable from several threads at once while nothing writes to the store.
     *  With it, trie_db_update spreads a large batch over the machine's cores. */
    err_t (*get_concurrent)(void *ctx, bview_t path, bview_t *node);
} trie_store_t;

/**
 * Apply a batch of updates and write the new root hash to *new_root. An empty value deletes the
 * key; deleting an absent key is a no-op. Updates may come in any order; when a key appears more
 * than once the last entry wins. The result equals trie_root() of the resulting key set (callers
 * of a secure trie pass keccak256(key) themselves).
 *
 * Returns ERR_OK; ERR_TOO_LARGE for a key longer than TRIE_DB_MAX_KEY (checked before anything is
 * written); ERR_TRIE_CORRUPT for a missing or bad stored node; store errors unchanged. The
 * update's views are only read during the call. *new_root is written on success only.
 */
RN_NODISCARD err_t trie_db_update(const trie_store_t *s, hash_t *new_root, const trie_kv_t *updates,
                                  size_t n);

/** Current root hash (0x56e8…b421 for an empty store). ERR_OK or store errors. */
RN_NODISCARD err_t trie_db_root(const trie_store_t *s, hash_t *out);

/**
 * Look key up. On ERR_OK *found says whether it is present, and if so its value is appended to
 * *value (caller-initialised buffer). ERR_TOO_LARGE for a key longer than TRIE_DB_MAX_KEY,
 * ERR_TRIE_CORRUPT for a bad stored node, store errors unchanged.
 */
RN_NODISCARD err_t trie_db_get(const trie_store_t *s, buf_t *value, bool *found, bview_t key);

/**
 * Merkle proof for key (eth_getProof's accountProof/storageProof): every node on the path from
 * the root towards key that is referenced by hash, root first — also when key is absent (then
 * the last node shows where the path ends). An empty trie gives *count = 0.
 *
 * The nodes' bytes are appended to *out (caller-initialised) and nodes[0..*count) are views into
 * it, valid until *out is next modified. Errors as trie_db_get; on error *count is 0.
 */
RN_NODISCARD err_t trie_db_prove(const trie_store_t *s, buf_t *out, bview_t nodes[TRIE_PROOF_MAX],
                                 size_t *count, bview_t key);

/**
 * Check a proof (nodes in any order, extra nodes ignored) for key against root. On ERR_OK the
 * proof is valid: *found says whether key is present, and if so its value is appended to *value.
 * ERR_TRIE_BAD_PROOF when a node the walk needs is missing or malformed; ERR_TOO_LARGE for a key
 * longer than TRIE_DB_MAX_KEY or more than TRIE_PROOF_MAX nodes. The empty root needs no nodes.
 */
RN_NODISCARD err_t trie_verify_proof(buf_t *value, bool *found, const hash_t *root, bview_t key,
                                     const bview_t *nodes, size_t n);

/* In-memory node store (a hash map keyed by path): for tests and benchmarks. */
typedef struct trie_mem_store trie_mem_store_t;

/** Counters of a memory store: calls since the last reset, and current contents. */
typedef struct trie_mem_stats {
    uint64_t gets, puts, dels; /**< calls since trie_mem_store_reset_stats */
    size_t nodes;              /**< nodes held now */
    size_t bytes;              /**< bytes of node encodings held now */
} trie_mem_stats_t;

/** New empty store; free with trie_mem_store_free (NULL is a no-op). Aborts on OOM. */
trie_mem_store_t *trie_mem_store_new(void);
/** An overlay over base (borrowed; must outlive the store): reads of paths not written or
 *  deleted here go to base; writes and deletes stay here, base is never changed. So an update
 *  through the overlay gives the updated trie while base keeps the original. */
trie_mem_store_t *trie_mem_store_over(const trie_store_t *base);
void trie_mem_store_free(trie_mem_store_t *m);
/** The trie_store_t view of m (borrowed: valid while m is). */
trie_store_t trie_mem_store(trie_mem_store_t *m);
void trie_mem_store_stats(const trie_mem_store_t *m, trie_mem_stats_t *out);
void trie_mem_store_reset_stats(trie_mem_store_t *m);

#endif
