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

#endif
