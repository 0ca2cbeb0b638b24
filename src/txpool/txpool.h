/* src/txpool/txpool.h — pending and queued transactions, ordered for block building.
 *
 * The pool keeps, per sender, transactions by nonce: "pending" ones continue the sender's account
 * nonce without a gap and can go into the next block; "queued" ones wait for a gap to fill. The
 * block builder takes pending transactions best effective tip first, each sender in nonce order.
 * A transaction with the same sender and nonce replaces the old one only with a fee bump of at
 * least `price_bump_pct` on both fee fields (geth/reth: 10%). Limits per sender and overall evict
 * the cheapest queued, then pending, transactions.
 *
 * Stateless checks (decoding, signature, chain id, intrinsic gas, size, type gating) and the
 * affordability check against state (balance ≥ cost incl. the L1 fee, SCROLL.md §10) are done by
 * the caller before txpool_add, which receives the sender's state nonce and balance. Thread-safe:
 * every function takes the pool's mutex. */
#ifndef RN_TXPOOL_TXPOOL_H
#define RN_TXPOOL_TXPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef struct txpool txpool_t;

/** What the pool needs to know about a transaction (the caller decoded and checked it). */
typedef struct txpool_tx_info {
    hash_t hash;
    addr_t sender;
    uint64_t nonce;
    uint64_t gas_limit;
    u256_t max_fee;          /**< maxFeePerGas, or gasPrice for legacy/2930 */
    u256_t max_priority_fee; /**< maxPriorityFeePerGas, or gasPrice for legacy/2930 */
    u256_t cost;             /**< the most the sender can pay: value + gasLimit·maxFee + L1 fee */
    size_t raw_zstd;         /**< the raw bytes' zstd size if the intake computed it, else 0 */
    addr_t to;               /**< the recipient, if has_to (a builder prefetches its account) */
    bool has_to;
} txpool_tx_info_t;

typedef struct txpool_config {
    size_t max_pending;      /**< pending transactions overall (10 000) */
    size_t max_queued;       /**< queued transactions overall (10 000) */
    size_t max_per_sender;   /**< transactions per sender (64) */
    unsigned price_bump_pct; /**< replacement fee bump in percent (10) */
    uint64_t max_nonce_gap;  /**< queued nonce at most this far ahead of the account (1024) */
} txpool_config_t;

void txpool_config_default(txpool_config_t *cfg);

/** Why a transaction was not added; messages are geth's JSON-RPC texts. ORDER TXPOOL_REJECT. */
typedef enum txpool_reject {
    TXPOOL_OK = 0,
    TXPOOL_ALREADY_KNOWN,       /**< "already known" */
    TXPOOL_NONCE_TOO_LOW,       /**< "nonce too low" */
    TXPOOL_UNDERPRICED_REPLACE, /**< "replacement transaction underpriced" */
    TXPOOL_INSUFFICIENT_FUNDS,  /**< "insufficient funds for gas * price + value" */
    TXPOOL_FULL,                /**< "txpool is full" */
    TXPOOL_SENDER_LIMIT,        /**< "too many transactions from this sender" */
    TXPOOL_NONCE_GAP,           /**< "nonce too high" */
} txpool_reject_t;

const char *txpool_reject_message(txpool_reject_t r);

txpool_t *txpool_new(const txpool_config_t *cfg);
void txpool_free(txpool_t *pool);

/**
 * Add a transaction with its encoded bytes (copied). account_nonce / balance are the sender's
 * state at the pool's current head. Returns TXPOOL_OK when added (or replaced) and sets
 * *pending to whether it is immediately includable.
 */
txpool_reject_t txpool_add(txpool_t *pool, const txpool_tx_info_t *tx, bview_t raw,
                           uint64_t account_nonce, u256_t balance, bool *pending);

/** Counts. */
void txpool_counts(txpool_t *pool, size_t *pending, size_t *queued);

/** Is a transaction with this hash in the pool? */
bool txpool_contains(txpool_t *pool, const hash_t *hash);

/** Copy of a pooled transaction's bytes (caller frees with rn_free); NULL if absent. */
uint8_t *txpool_get_raw(txpool_t *pool, const hash_t *hash, size_t *len);

/** The same by sender and nonce (a map lookup, for the block builder); NULL unless the pooled
 *  transaction at that nonce has this hash. */
uint8_t *txpool_get_raw_of(txpool_t *pool, const addr_t *sender, uint64_t nonce, const hash_t *hash,
                           size_t *len);

/** A sender's state at the new head, supplied by the caller for txpool_on_new_head. */
typedef void (*txpool_account_fn)(void *ud, const addr_t *sender, uint64_t *nonce, u256_t *balance);

/**
 * Re-validate after a new head: drop transactions whose nonce is now below the account's,
 * promote queued ones that became contiguous, demote ones the sender can no longer afford.
 */
void txpool_on_new_head(txpool_t *pool, txpool_account_fn account, void *ud);

/** Remove one transaction, found by its sender, nonce and hash (and make the sender's later
 *  ones queued). Transactions a new block included need no removal: txpool_on_new_head drops
 *  every transaction below its sender's new nonce. */
void txpool_remove(txpool_t *pool, const txpool_tx_info_t *tx);

/**
 * Pending transactions for a block, best first: by effective tip
 * min(max_priority_fee, max_fee − base_fee) across senders, each sender strictly in nonce order;
 * transactions whose max_fee is below base_fee are not offered. Writes up to `cap` entries
 * (hash and info) and returns the count. The builder skips a sender's later nonces itself when
 * one of its transactions fails.
 */
size_t txpool_best(txpool_t *pool, u256_t base_fee, txpool_tx_info_t *out, size_t cap);

/** The next nonce a block being built expects from a sender, or false when the block has none
 *  of its transactions yet (its pending transactions start at the state nonce). */
typedef bool (*txpool_nonce_fn)(void *ud, const addr_t *sender, uint64_t *next);

/** txpool_best, leaving out what the block already holds: a sender's transactions start at the
 *  nonce `next` gives (so a builder that polls the pool while filling a block is offered only
 *  new work). next NULL = txpool_best. */
size_t txpool_best_after(txpool_t *pool, u256_t base_fee, txpool_nonce_fn next, void *ud,
                         txpool_tx_info_t *out, size_t cap);

/** A counter that changes whenever the pool's content does (a builder skips polling when it did
 *  not). */
uint64_t txpool_generation(txpool_t *pool);

/** Visit every pooled transaction (under the pool's lock: the callback must not call back into
 *  the pool): its info, bytes, and whether it is pending (else queued). Order: by sender, then
 *  nonce. */
typedef void (*txpool_visit_fn)(void *ud, const txpool_tx_info_t *info, bview_t raw, bool pending);
void txpool_foreach(txpool_t *pool, txpool_visit_fn fn, void *ud);

/** The nonce a sender's next transaction should carry: state_nonce plus the pooled transactions
 *  that continue it without a gap (eth_getTransactionCount with "pending"). */
uint64_t txpool_next_nonce(txpool_t *pool, const addr_t *sender, uint64_t state_nonce);

#endif
