/* src/state/state.h — the journaled state overlay that executes transactions.
 *
 *   backend (read-only: accounts, storage, code by hash)
 *      ▲  reads on first touch
 *   state_t: account/slot cache + every change since creation, a journal of the current tx
 *      │  implements evm_host_t (state_host)        │ state_changes(): the change set
 *      ▼                                              ▼
 *   evm/ interpreter                                backend writer (memory map here; LMDB later)
 *
 * A state_t lives for one block (or one state test): transactions run one after another with
 * state_tx_apply, which validates, buys gas, runs the EVM and pays fees. Within a transaction,
 * snapshot = journal length and revert undoes the entries after it; warm sets, transient storage
 * and "original" slot values (EIP-2200) are per transaction; at the end of each transaction
 * touched empty accounts and self-destructed ones are deleted (EIP-161, EIP-6780).
 *
 * Threads: one state_t is used by one thread at a time. */
#ifndef RN_STATE_STATE_H
#define RN_STATE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/base.h"
#include "evm/evm.h"
#include "primitives/primitives.h"
#include "trie/trie.h"

/* ---- backend read interface ---- */

typedef struct state_account {
    uint64_t nonce;
    u256_t balance;
    hash_t code_hash;    /**< KECCAK_EMPTY for an account without code */
    hash_t storage_root; /**< when stored */
    /** Set by backends over the flat tables (state_db_backend): the answer, found (with
     *  storage_root) or absent, is exactly the table's record. The caller zeroes *out first. */
    bool stored;
} state_account_t;

/** What the overlay reads from below. Results for absent data: false / zero / empty. */
typedef struct state_backend {
    bool (*get_account)(void *ctx, const addr_t *a, state_account_t *out);
    u256_t (*get_storage)(void *ctx, const addr_t *a, const u256_t *key);
    /** Code by hash; borrowed, valid as long as the backend is unchanged. */
    bview_t (*get_code)(void *ctx, const hash_t *code_hash);
    /** True if a has at least one non-zero slot. */
    bool (*has_storage)(void *ctx, const addr_t *a);
    void *ctx;
    /** Optional: a hint that get_account(a) comes soon (start fetching what it reads). */
    void (*prefetch_account)(void *ctx, const addr_t *a);
} state_backend_t;

/* ---- change set ---- */

typedef struct state_account_change {
    addr_t addr;
    bool deleted;         /**< the account (and its storage) no longer exists */
    bool storage_cleared; /**< drop every stored slot before applying the slot changes */
    uint64_t nonce;
    u256_t balance;
    hash_t code_hash;
    /** The account as the backend held it when first read, if the backend vouched for it
     *  (prev.stored): prev_exists says whether there was one. Saves the commit a read. */
    bool prev_exists;
    state_account_t prev;
} state_account_change_t;

typedef struct state_slot_change {
    addr_t addr;
    u256_t key;
    u256_t value; /**< zero = delete the slot */
} state_slot_change_t;

typedef struct state_code {
    hash_t hash;
    bview_t code; /**< borrowed from the state_t */
} state_code_t;

/** Everything that differs from the backend, accounts sorted by address and slots by (address,
 *  key). Arrays owned; free with state_changes_free. */
typedef struct state_changes {
    state_account_change_t *accounts;
    size_t naccounts;
    state_slot_change_t *slots;
    size_t nslots;
    state_code_t *codes;
    size_t ncodes;
} state_changes_t;

/* ---- the overlay ---- */

typedef struct state state_t;

/** A new overlay over `backend` (copied; its ctx must outlive the state). */
state_t *state_new(const state_backend_t *backend);
/** NULL is a no-op. */
void state_free(state_t *st);
/** Room for n more accounts' records at once (a block builder knows its batch's size); growing
 *  their array record by record copies it, megabytes for a block of thousands. */
void state_reserve_accounts(state_t *st, size_t n);
/** A hint that a will be read soon: the backend starts fetching its record (a block builder
 *  calls it for the next transaction's accounts while the current one runs). */
void state_prefetch_account(state_t *st, const addr_t *a);

/** The EVM host table; pass the state_t as the host context. */
const evm_host_t *state_host(void);

/** Where BLOCKHASH (Ethereum rules) finds the hashes of previous blocks; without one it gets
 *  zero. The function is called only for the 256 blocks before the current one. */
typedef hash_t (*state_block_hash_fn)(void *ud, uint64_t number);
void state_set_block_hashes(state_t *st, state_block_hash_fn fn, void *ud);

/* Direct access for the transaction layer, the chain layer and tests. Mutations are journaled. */
bool state_exists(state_t *st, const addr_t *a);
u256_t state_balance(state_t *st, const addr_t *a);
uint64_t state_nonce(state_t *st, const addr_t *a);
bview_t state_code(state_t *st, const addr_t *a);
u256_t state_storage(state_t *st, const addr_t *a, const u256_t *key);
void state_add_balance(state_t *st, const addr_t *a, u256_t v);
/** Caller checks the balance first. */
void state_sub_balance(state_t *st, const addr_t *a, u256_t v);
void state_set_nonce(state_t *st, const addr_t *a, uint64_t nonce);
void state_set_code(state_t *st, const addr_t *a, const uint8_t *code, size_t n);
void state_set_storage(state_t *st, const addr_t *a, const u256_t *key, u256_t v);
/** Touch a (EIP-161: an empty touched account is deleted when the transaction ends). */
void state_touch(state_t *st, const addr_t *a);
void state_warm_account(state_t *st, const addr_t *a);
void state_warm_slot(state_t *st, const addr_t *a, const u256_t *key);
uint32_t state_snapshot(state_t *st);
void state_revert(state_t *st, uint32_t snap);

/** Start a transaction: clear warm sets, transient storage, logs and the journal. */
void state_tx_begin(state_t *st);
/** End a transaction: delete self-destructed and touched empty accounts, make the current slot
 *  values the "original" ones of the next transaction. */
void state_tx_end(state_t *st);
/** Logs of the current (or last ended) transaction; borrowed until the next state_tx_begin. */
const log_t *state_logs(const state_t *st, size_t *n);

/** Collect the change set (see state_changes_t). ERR_OK. */
RN_NODISCARD err_t state_changes(state_t *st, state_changes_t *out);
void state_changes_free(state_changes_t *c);

/* ---- in-memory backend (tests, state tests, benchmarks) ---- */

typedef struct state_mem state_mem_t;

state_mem_t *state_mem_new(void);
void state_mem_free(state_mem_t *m);
/** A deep copy. */
state_mem_t *state_mem_clone(const state_mem_t *m);
/** A backend view of m (valid while m lives). */
state_backend_t state_mem_backend(state_mem_t *m);
/** Create or replace an account (storage kept). */
void state_mem_put_account(state_mem_t *m, const addr_t *a, uint64_t nonce, u256_t balance,
                           const uint8_t *code, size_t code_len);
void state_mem_put_storage(state_mem_t *m, const addr_t *a, const u256_t *key, u256_t v);
/** Apply a change set. */
void state_mem_apply(state_mem_t *m, const state_changes_t *c);
/** Account of a, if any. */
bool state_mem_get(state_mem_t *m, const addr_t *a, state_account_t *out);
/** Ethereum state root (secure MPT of rlp([nonce, balance, storageRoot, codeHash])). */
RN_NODISCARD err_t state_mem_root(state_mem_t *m, hash_t *out);
/** Visit every account (order unspecified). */
void state_mem_foreach(state_mem_t *m,
                       void (*fn)(void *ud, const addr_t *a, const state_account_t *acct),
                       void *ud);

/* ---- transactions ---- */

/** Why a transaction is rejected (STYLE.md 2.4). ORDER TXI: the two string tables in tx.c. */
typedef enum tx_invalid {
    TX_VALID = 0,
    TX_INVALID_TYPE_NOT_SUPPORTED,
    TX_INVALID_NONCE_TOO_LOW,
    TX_INVALID_NONCE_TOO_HIGH,
    TX_INVALID_NONCE_MAX,
    TX_INVALID_SENDER_NOT_EOA,
    TX_INVALID_TIP_ABOVE_FEE_CAP,
    TX_INVALID_FEE_CAP_TOO_LOW,
    TX_INVALID_SET_CODE_CREATE,
    TX_INVALID_EMPTY_AUTH_LIST,
    TX_INVALID_INSUFFICIENT_FUNDS,
    TX_INVALID_GAS_LIMIT_REACHED,
    TX_INVALID_INTRINSIC_GAS,
    TX_INVALID_FLOOR_DATA_GAS,
    TX_INVALID_INSUFFICIENT_FUNDS_TRANSFER,
    TX_INVALID_INITCODE_SIZE,
    TX_INVALID_GAS_LIMIT_TOO_HIGH,
    TX_INVALID_INSUFFICIENT_FUNDS_L1_FEE,
    TX_INVALID_COUNT_
} tx_invalid_t;

/** geth's JSON-RPC message ("nonce too low"); never NULL. */
const char *tx_invalid_msg(tx_invalid_t t);
/** execution-spec-tests exception name ("TransactionException.NONCE_MISMATCH_TOO_LOW"). */
const char *tx_invalid_eest(tx_invalid_t t);

typedef struct state_tx_env {
    evm_t *evm;
    const evm_rules_t *rules;
    const evm_block_t *block;
    /** Scroll: L1 data fee computed by the chain layer (SCROLL.md §4); charged after the gas
     *  purchase and paid to the fee vault. Zero on Ethereum and for L1 messages. */
    u256_t l1_fee;
    /** Gas already used in the block (gas limit check: tx gas ≤ block limit − used). */
    uint64_t block_gas_used;
} state_tx_env_t;

typedef struct state_tx_result {
    evm_status_t status;   /**< of the top-level call (receipt status = SUCCESS) */
    uint64_t gas_used;     /**< charged gas: after refund and the EIP-7623 floor */
    uint64_t gas_refund;   /**< refund applied */
    addr_t create_address; /**< contract creations */
    bview_t output;        /**< borrowed from the evm_t until its next use */
} state_tx_result_t;

/**
 * Validate and execute tx from `sender` (recovered by the caller; an L1 message's sender field).
 * Returns TX_VALID with *out filled, or the rejection, in which case the state is unchanged.
 */
tx_invalid_t state_tx_apply(state_t *st, const state_tx_env_t *env, const tx_t *tx,
                            const addr_t *sender, state_tx_result_t *out);

/* ---- state tests (ethereum/tests GeneralStateTests and execution-spec-tests state fixtures) ----
 */

typedef struct state_test_opts {
    const char *fork;        /**< run only this fork's post entries (NULL: every supported fork) */
    const char *run_regex;   /**< POSIX extended regex matched against test names, or NULL */
    bool trace;              /**< EIP-3155 JSON lines on stderr */
    bool verbose;            /**< a line per entry, not just failures */
    const char *unsupported; /**< file listing unsupported tests ("name<space>reason"), or NULL */
    evm_dispatch_t dispatch; /**< interpreter loop flavour */
    FILE *out;               /**< where the report lines go (NULL: stdout) */
} state_test_opts_t;

typedef struct state_test_stats {
    size_t passed;
    size_t failed;
    size_t unsupported;
    size_t other_forks; /**< post entries of forks we do not run (pre-Shanghai): not counted */
    size_t files;
    /** The same per Ethereum fork (index evm_eth_fork_t). */
    size_t fork_passed[4], fork_failed[4], fork_unsupported[4];
} state_test_stats_t;

/**
 * Run every state test in a file, or in every *.json under a directory (recursively, in sorted
 * order). For each post entry of Shanghai, Cancun, Prague or Osaka: build the transaction from
 * the indexes, sign it with secretKey, apply it to `pre` under `env` with Ethereum rules, then
 * compare the state root, keccak(rlp(logs)) and expectException. Failures and unsupported
 * entries are printed to stdout, one line each; stats accumulate. ERR_IO / ERR_JSON_INVALID for a
 * file that cannot be read or parsed (reported and counted as a failure, the run continues).
 */
RN_NODISCARD err_t state_test_run_path(const char *path, const state_test_opts_t *o,
                                       state_test_stats_t *stats);

/** One post entry prepared for repeated execution (benchmarks). */
typedef struct state_test_entry state_test_entry_t;

/**
 * Load every post entry of `file` for `fork` (e.g. "Shanghai"; entries of other forks are run
 * under that fork's rules when fork_override is set, e.g. London benchmarks under Shanghai).
 * *out receives an array of *n entries; free with state_test_entries_free.
 */
RN_NODISCARD err_t state_test_load(const char *file, const char *fork_override,
                                   state_test_entry_t ***out, size_t *n);
void state_test_entries_free(state_test_entry_t **e, size_t n);
const char *state_test_entry_name(const state_test_entry_t *e);
/** Execute once on a fresh overlay over the pre-state; *gas_used receives the tx's gas. */
RN_NODISCARD err_t state_test_entry_exec(state_test_entry_t *e, evm_t *evm, uint64_t *gas_used);

/* ---- the node's state in LMDB (docs/decisions/0009-storage-layout.md) ----
 *
 * Flat tables: ACCOUNTS address → rlp([nonce, balance, storageRoot, codeHash]) (the trie value),
 * STORAGE address ‖ slot → minimal big-endian value, CODE hash → code. Per block, the previous
 * values of everything a block changes go to ACCOUNT_CHANGES (be64 number ‖ address → previous
 * ACCOUNTS value, empty = absent) and STORAGE_CHANGES (be64 number ‖ address ‖ slot → previous
 * value, empty = absent): enough to unwind a block or read an older state. */

struct db_txn;

/** A backend reading the latest state through txn (read or write transaction; the returned
 *  views live as long as LMDB keeps them: until the next write in txn or its end). */
state_backend_t state_db_backend(struct db_txn *txn);

/**
 * The same, with accounts kept in memory across blocks (reth's execution cache): one cache per
 * process, of the state with a given META head_number and state_root. Opening checks that the
 * cache is of txn's state: if the block sealed last (state_db_commit) was committed and is now
 * the head, its accounts join the cache; a cache of any other state is emptied. Reads then hit
 * the cache while it stays of txn's state (another transaction may move it on: then this one
 * reads LMDB). Holds at most STATE_DB_CACHE_ACCOUNTS accounts; full, it starts over.
 */
typedef struct state_db_cached {
    struct db_txn *txn;
    uint64_t db; /**< db_instance */
    uint64_t number;
    hash_t root;
    bool use; /**< txn's state has META head_number and state_root (an initialised datadir) */
} state_db_cached_t;

enum {
    STATE_DB_CACHE_ACCOUNTS = 1 << 18
};

state_backend_t state_db_backend_cached(struct db_txn *txn, state_db_cached_t *ctx);
/** Hits and misses of the account cache since start (for benches and tests). */
void state_db_cache_stats(uint64_t *hits, uint64_t *misses);

/**
 * Apply a block's change set to the flat tables inside the caller's write transaction, record
 * the previous values under `number`, refresh the storage roots of changed accounts, and return
 * the new state root (also stored as META state_root).
 */
RN_NODISCARD err_t state_db_commit(struct db_txn *txn, uint64_t number, const state_changes_t *c,
                                   hash_t *root);

/** The state root: the root of the persistent account trie. */
RN_NODISCARD err_t state_db_root(struct db_txn *txn, hash_t *root);
/** The same root recomputed from the flat tables alone (every account; storage roots as
 *  stored): O(state). Tests compare the two. */
RN_NODISCARD err_t state_db_root_full(struct db_txn *txn, hash_t *root);
/**
 * The tries as of an earlier block (eth_getProof behind the head, reth's --rpc.eth-proof-window):
 * built in memory over the head's tries by putting back, from the history, the value after
 * `number` of every account and slot that blocks number+1 … head changed; the stored tries are
 * not changed. Cost grows with the keys those blocks changed. Use within txn (a read snapshot),
 * free before it ends. ERR_INVALID_ARG for number >= head, ERR_NOT_FOUND below the kept history,
 * ERR_DB_STALE as the head's tries (retry on a new snapshot).
 */
typedef struct state_past state_past_t;
RN_NODISCARD err_t state_db_past_open(struct db_txn *txn, uint64_t number, state_past_t **out);
void state_db_past_free(state_past_t *p);
/** Its state root: equals that block's header state root. */
const hash_t *state_db_past_root(const state_past_t *p);

/** Merkle proofs (eth_getProof) from the head's tries (past NULL) or an earlier block's: nodes
 *  root first, views into *out (caller-initialised); see trie_db_prove. */
RN_NODISCARD err_t state_db_prove_account(struct db_txn *txn, state_past_t *past, const addr_t *a,
                                          buf_t *out, bview_t nodes[TRIE_PROOF_MAX], size_t *count);
RN_NODISCARD err_t state_db_prove_storage(struct db_txn *txn, state_past_t *past, const addr_t *a,
                                          const u256_t *slot, buf_t *out,
                                          bview_t nodes[TRIE_PROOF_MAX], size_t *count);
/** The storage root of a's trie at the head (past NULL) or the earlier block. */
RN_NODISCARD err_t state_db_storage_root(struct db_txn *txn, state_past_t *past, const addr_t *a,
                                         hash_t *root);
/** Build the account and storage tries from the flat tables (genesis). */
RN_NODISCARD err_t state_db_build_tries(struct db_txn *txn);

/**
 * A backend reading the state as it was after block `number` (the flat state for the head;
 * older blocks through the history index: one cursor seek per account or slot). ERR_NOT_FOUND
 * above the head or below the oldest kept history. Free *ctx with state_db_backend_at_free
 * (NULL-safe) after the last use of the backend.
 */
RN_NODISCARD err_t state_db_backend_at(struct db_txn *txn, uint64_t number, state_backend_t *out,
                                       void **ctx);
void state_db_backend_at_free(void *ctx);

/** Undo the state changes of blocks from … to+1 (newest first) inside txn; *root = the state
 *  root after block `to`. The block store is unwound by chain_unwind. */
RN_NODISCARD err_t state_db_unwind(struct db_txn *txn, uint64_t from, uint64_t to, hash_t *root);

/**
 * The blocks that changed account a (from the history index and, after it, the change sets):
 * backward = blocks <= from, newest first; forward = blocks >= from, oldest first. Free with
 * state_db_changed_blocks_close (NULL-safe) before txn ends. next returns false at the end, and
 * sets *err on a database error.
 */
typedef struct state_hist_iter state_hist_iter_t;
RN_NODISCARD err_t state_db_changed_blocks_open(struct db_txn *txn, const addr_t *a, uint64_t from,
                                                bool backward, state_hist_iter_t **out);
bool state_db_changed_blocks_next(state_hist_iter_t *it, uint64_t *block, bool *err);
void state_db_changed_blocks_close(state_hist_iter_t *it);

/** Blocks between additions to the history index (default 128; tests use small values). The
 *  history of newer blocks is read from their change sets. Process-wide. */
void state_db_set_history_batch(uint32_t blocks);
/** If block head + 1's commit would add a batch to the history index, add blocks .. head now
 *  (*did set): the sequencer does it between blocks, so that no block pays for it. */
RN_NODISCARD err_t state_db_index_ahead(struct db_txn *txn, uint64_t head, bool *did);

/**
 * After opening a datadir whose tries on disk lag behind the flat state (the process ended
 * before the write-back cache was flushed, decision 0019): replay the keys changed by the blocks
 * after the tries' mark up to head into the tries, check the root against META state_root, and
 * flush them in txn. *ran says whether the tables lagged (a replay ran, possibly of 0 blocks:
 * the flat tables' log alone was behind); *replayed = blocks replayed. ERR_TRIE_CORRUPT if the
 * replayed root disagrees.
 */
RN_NODISCARD err_t state_db_catch_up(struct db_txn *txn, uint64_t head, bool *ran,
                                     uint64_t *replayed);

#endif
