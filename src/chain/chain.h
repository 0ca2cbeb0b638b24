/* src/chain/chain.h — Scroll chain rules: fork specs, the L1 data fee and the L2 base fee
 * (SCROLL.md §1, §4, §5). Chain specs, genesis and the block executor join this header in
 * issue #4. */
#ifndef RN_CHAIN_CHAIN_H
#define RN_CHAIN_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "state/state.h"

/** scroll-revm's spec levels, in order (SCROLL.md §1.2). EUCLID is the EuclidV2 fork. */
typedef enum scroll_spec {
    SCROLL_SPEC_SHANGHAI = 1,
    SCROLL_SPEC_BERNOULLI = 2,
    SCROLL_SPEC_CURIE = 3,
    SCROLL_SPEC_DARWIN = 4,
    SCROLL_SPEC_EUCLID = 5,
    SCROLL_SPEC_FEYNMAN = 6,
    SCROLL_SPEC_GALILEO = 7,
} scroll_spec_t;

/** L1GasPriceOracle (0x5300…02) storage values that feed the fee (SCROLL.md §4.1). */
typedef struct gpo_values {
    u256_t l1_base_fee;       /**< slot 1 */
    u256_t overhead;          /**< slot 2 (pre-Curie) */
    u256_t scalar;            /**< slot 3 (pre-Curie, ×1e9) */
    u256_t l1_blob_base_fee;  /**< slot 5 (Curie+) */
    u256_t commit_scalar;     /**< slot 6: Curie commit scalar; Feynman+ exec scalar (×1e9) */
    u256_t blob_scalar;       /**< slot 7 (×1e9) */
    u256_t penalty_threshold; /**< slot 9 (Feynman, ×1e9) */
    u256_t penalty_factor;    /**< slot 10 (Feynman multiplier ×1e9; Galileo divisor) */
} gpo_values_t;

enum {
    GPO_SLOT_L1_BASE_FEE = 1,
    GPO_SLOT_OVERHEAD = 2,
    GPO_SLOT_SCALAR = 3,
    GPO_SLOT_L1_BLOB_BASE_FEE = 5,
    GPO_SLOT_COMMIT_SCALAR = 6,
    GPO_SLOT_BLOB_SCALAR = 7,
    GPO_SLOT_IS_CURIE = 8,
    GPO_SLOT_PENALTY_THRESHOLD = 9,
    GPO_SLOT_PENALTY_FACTOR = 10,
    GPO_SLOT_IS_FEYNMAN = 11,
    GPO_SLOT_IS_GALILEO = 12,
};

/** The L1GasPriceOracle's address (0x5300…02). */
extern const addr_t SCROLL_GPO_ADDRESS;

/** Read the oracle's fee parameters, slot by slot, through get(ctx, slot) — the oracle's storage
 *  as the caller sees it (the builder's overlay, or a database snapshot). */
void scroll_gpo_read(gpo_values_t *g, u256_t (*get)(void *ctx, uint64_t slot), void *ctx);

/**
 * L1 data fee of a transaction under `spec` (SCROLL.md §4.2), capped at 2^64−1.
 * raw = the EIP-2718 encoding of the signed transaction; input = its calldata (Feynman's
 * compression ratio is over the calldata only). L1 messages and system txs pay 0: the caller
 * does not call this for them. Intermediate products saturate at 2^256−1 like revm.
 */
uint64_t scroll_l1_fee(scroll_spec_t spec, const gpo_values_t *gpo, bview_t raw, bview_t input);
/** The same with raw's zstd size already known (raw_zstd = scroll_zstd_size(raw), 0 when not
 *  computed): the pool keeps the size its intake computed, so a block does not compress the same
 *  bytes again. */
uint64_t scroll_l1_fee_z(scroll_spec_t spec, const gpo_values_t *gpo, bview_t raw, bview_t input,
                         size_t raw_zstd);

/** The formulas with the compression results given, for tests and tools. */
uint64_t scroll_l1_fee_feynman_ratio(const gpo_values_t *gpo, size_t n, u256_t ratio);
uint64_t scroll_l1_fee_galileo_size(const gpo_values_t *gpo, uint64_t compressed_size);

/**
 * Length of the zstd frame Scroll's fee rules measure (SCROLL.md §4.3): level 3, literal
 * compression disabled, window log 22, target block size 126 976, magicless frame, no checksum,
 * no dictionary id, content size in the header. Returns SIZE_MAX if compression fails.
 */
size_t scroll_zstd_size(const uint8_t *p, size_t n);

/** Feynman compression ratio ×1e9 of calldata: 2^256−1 for empty input (SCROLL.md §4.2). */
u256_t scroll_compression_ratio(bview_t input);

#define SCROLL_MAX_BASE_FEE              10000000000ull    /**< 10 gwei cap (SCROLL.md §5.1) */
#define SCROLL_DEFAULT_BASE_FEE_SCALAR   34000000000000ull /**< 3.4e13 with 1e18 precision */
#define SCROLL_DEFAULT_BASE_FEE_OVERHEAD 15680000ull

/** Curie … before Feynman: min(10 gwei, l1BaseFee·scalar/1e18 + overhead). Zero scalar or
 *  overhead (unset L2SystemConfig slots) mean the defaults above. */
uint64_t scroll_base_fee_curie(u256_t l1_base_fee, u256_t scalar, u256_t overhead);

/** Feynman and later: EIP-1559 step on (parent base fee − overhead), then + overhead, capped at
 *  10 gwei. parent_is_feynman false (the first Feynman block) returns the parent's base fee
 *  (10 000 000 if it has none, as reth). `overhead` is taken as given (see
 *  docs/decisions/0007-feynman-base-fee-overhead.md). */
uint64_t scroll_base_fee_feynman(bool parent_is_feynman, bool parent_has_base_fee,
                                 uint64_t parent_base_fee, uint64_t parent_gas_limit,
                                 uint64_t parent_gas_used, uint64_t overhead);

/* ---- forks and chain specs (SCROLL.md §1, §12, §14) ---- */

/** Scroll forks in activation order. ORDER SCROLL_FORK: spec.c's tables follow it. */
typedef enum scroll_fork {
    FORK_ARCHIMEDES = 0,
    FORK_SHANGHAI,
    FORK_BERNOULLI,
    FORK_CURIE,
    FORK_DARWIN,
    FORK_DARWIN_V2,
    FORK_EUCLID,
    FORK_EUCLID_V2,
    FORK_FEYNMAN,
    FORK_GALILEO,
    FORK_GALILEO_V2,
    FORK_COUNT,
} scroll_fork_t;

#define FORK_NEVER UINT64_MAX

typedef struct fork_activation {
    bool by_time; /**< timestamp fork (else block number) */
    uint64_t at;  /**< block number or Unix time; FORK_NEVER if not scheduled */
} fork_activation_t;

typedef struct genesis_slot {
    u256_t key;
    u256_t value;
} genesis_slot_t;

typedef struct genesis_account {
    addr_t addr;
    u256_t balance;
    uint64_t nonce;
    uint8_t *code; /**< owned; NULL when empty */
    size_t code_len;
    genesis_slot_t *storage; /**< owned, sorted by key */
    size_t nstorage;
} genesis_account_t;

typedef struct chain_spec {
    char name[32]; /**< "dev", "scroll-mainnet", "scroll-sepolia" or "custom" */
    uint64_t chain_id;
    fork_activation_t forks[FORK_COUNT];
    addr_t fee_vault; /**< COINBASE and fee recipient (SCROLL.md §2.1) */
    bool has_fee_vault;
    uint64_t max_tx_payload_bytes; /**< 122 880 */
    uint64_t max_tx_per_block;     /**< 0 = no limit */
    uint64_t num_l1_messages_per_block;
    uint64_t l1_chain_id;
    addr_t l1_message_queue, l1_message_queue_v2, scroll_chain, system_contract;
    addr_t l2_system_config; /**< zero on dev: base-fee defaults */
    uint64_t start_l1_block;
    bool l1_data_fee_buffer_check;
    /* genesis header */
    uint64_t timestamp;
    uint64_t gas_limit;
    u256_t difficulty;
    hash_t mix_hash;
    addr_t coinbase;
    uint64_t nonce;
    uint8_t *extra_data; /**< owned */
    size_t extra_len;
    bool has_base_fee; /**< 16-field genesis header (Curie at block 0, l2geth's rule) */
    u256_t base_fee;
    /** The canonical genesis hash for named chains whose genesis header carries a zktrie root
     *  (SCROLL.md §8.4): an MPT node keeps it as a constant. Zero for other chains. */
    hash_t canonical_genesis_hash;
    /** The header's state root when it is not the MPT root of the alloc (mainnet's zktrie
     *  root); zero otherwise. */
    hash_t genesis_state_root_override;
    genesis_account_t *alloc; /**< owned, sorted by address, distinct */
    size_t nalloc;
} chain_spec_t;

/**
 * Load a chain spec: "dev", "scroll-mainnet" (alias "scroll"), "scroll-sepolia" (alias
 * "sepolia"), or a path to a genesis JSON file (l2geth/reth format). Named chains are built into
 * the binary. ERR_NOT_FOUND for an unknown name that is not a readable file; ERR_JSON_INVALID /
 * ERR_CONFIG_INVALID with diag naming the field for a bad genesis file.
 */
RN_NODISCARD err_t chain_spec_load(chain_spec_t **out, const char *name_or_path, char *diag,
                                   size_t diag_len);
/** Parse a genesis JSON document (see chain_spec_load). */
RN_NODISCARD err_t chain_spec_from_json(chain_spec_t **out, const char *json, size_t n, char *diag,
                                        size_t diag_len);
void chain_spec_free(chain_spec_t *spec);
/**
 * The spec as a genesis JSON file (l2geth/reth format, rn_free the text): config with the fork
 * schedule and the `scroll` block, header fields, alloc. Loading the text gives the same genesis
 * except for chains whose genesis header carries a zktrie root (mainnet): the file cannot carry
 * that override, so their hash differs.
 */
char *chain_spec_to_json(const chain_spec_t *spec);

/** Is `fork` active for a block with this number and timestamp? */
bool chain_fork_active(const chain_spec_t *spec, scroll_fork_t fork, uint64_t number,
                       uint64_t timestamp);
/** The scroll-revm spec level for a block (SCROLL.md §1.2: EuclidV2 → EUCLID, Euclid → DARWIN). */
scroll_spec_t chain_spec_level(const chain_spec_t *spec, uint64_t number, uint64_t timestamp);
/** Lookup of a genesis account (NULL if absent). */
const genesis_account_t *chain_genesis_account(const chain_spec_t *spec, const addr_t *a);
const char *chain_fork_name(scroll_fork_t fork);

/* ---- genesis ---- */

struct header;

/** MPT state root of the genesis alloc (storage and accounts as secure tries). */
RN_NODISCARD err_t chain_genesis_state_root(const chain_spec_t *spec, hash_t *out);

/**
 * The genesis header (extraData owned by *out: free with header_deinit) and the genesis hash.
 * The header carries the MPT root, or the spec's zktrie root override (mainnet); the hash is the
 * canonical constant where the spec has one (SCROLL.md §8.4), else keccak of the header.
 */
RN_NODISCARD err_t chain_genesis_header(const chain_spec_t *spec, struct header *out, hash_t *hash);

struct db_txn;

/**
 * Initialise an empty database with the genesis of `spec`, or check that it already holds it.
 * In one write transaction: block 0 (canonical number → hash, header, empty body and receipts),
 * the alloc as flat state (accounts, storage, code — layout in
 * docs/decisions/0009-storage-layout.md), and metadata (chain id, genesis hash, head).
 *
 * Returns ERR_OK with *written true when it wrote, false when the same genesis was already
 * there; ERR_CONFIG_INVALID with diag when the database belongs to another chain.
 */
RN_NODISCARD err_t chain_genesis_init(struct db_txn *txn, const chain_spec_t *spec,
                                      hash_t *genesis_hash, bool *written, char *diag,
                                      size_t diag_len);

/* ---- block store (docs/decisions/0012-block-store.md) ----
 *
 * HEADERS hash → header RLP; BODIES hash → rlp([[tx…], []]) with txs as in a block; RECEIPTS
 * hash → rlp([stored receipt…]) where a stored receipt is rlp([typed receipt encoding (bytes),
 * l1Fee]); CANONICAL be64 number → hash; TX_LOOKUP tx hash → be64 number ‖ be32 index;
 * SIGNATURES hash → 65 bytes; META head_number/head_hash. Derived receipt fields (gasUsed,
 * contractAddress, effectiveGasPrice, from, bloom) are computed on read. */

struct block;
struct receipt;

/** Receipts of a block with Scroll's L1 data fee per transaction. */
typedef struct chain_receipts {
    struct receipt *r; /**< owned */
    u256_t *l1_fee;    /**< owned, one per receipt */
    addr_t *from;      /**< owned, one per receipt: the senders (SENDERS), or NULL: not known */
    hash_t *tx_hash;   /**< owned, one per receipt: the transactions' hashes, or NULL: hash them */
    size_t n;
    /** Encodings sealing made anyway, or empty: chain_receipts_encode and chain_store_block use
     *  them instead of encoding again. enc: the receipts' consensus encodings back to back,
     *  enc_end[i] where the i-th ends (NULL: none), which for a receipt with logs is also its
     *  stored form (receipt_encode_stored); body: the block's body as stored. */
    buf_t enc;
    size_t *enc_end;
    buf_t body;
} chain_receipts_t;

void chain_receipts_free(chain_receipts_t *rs);
RN_NODISCARD err_t chain_receipts_encode(const chain_receipts_t *rs, buf_t *out);
RN_NODISCARD err_t chain_receipts_decode(chain_receipts_t *rs, bview_t raw);

/**
 * Write a block as the canonical block at its number and make it the head: header, body,
 * receipts, tx lookups, canonical hash, signature (NULL: none) and META head_number/head_hash.
 * Part of the caller's write transaction (the block commit is one transaction).
 */
RN_NODISCARD err_t chain_store_block(struct db_txn *txn, const struct block *b, const hash_t *hash,
                                     const chain_receipts_t *rs, const uint8_t sig[65]);
/** Head number and hash (META). */
RN_NODISCARD err_t chain_head(struct db_txn *txn, uint64_t *number, hash_t *hash);
/** Canonical hash at number; ERR_NOT_FOUND above the head. */
RN_NODISCARD err_t chain_canonical_hash(struct db_txn *txn, uint64_t number, hash_t *out);
/** Header by hash (extraData owned by *out); ERR_NOT_FOUND. */
RN_NODISCARD err_t chain_read_header(struct db_txn *txn, const hash_t *hash, struct header *out);
/** Only the logsBloom of a header (eth_getLogs scans: no decoding, no allocation). */
RN_NODISCARD err_t chain_read_bloom(struct db_txn *txn, const hash_t *hash, uint8_t bloom[256]);

/** The canonical blocks from..to with their hashes, timestamps and blooms, read in number order
 *  from the BLOOMS table (one sequential cursor; blocks without an entry — genesis — fall back
 *  to the header). */
typedef struct chain_bloom_iter chain_bloom_iter_t;
RN_NODISCARD err_t chain_bloom_iter_open(struct db_txn *txn, uint64_t from, uint64_t to,
                                         chain_bloom_iter_t **out);

typedef struct chain_bloom_entry {
    uint64_t number;
    hash_t hash;
    uint64_t timestamp;
    uint8_t bloom[256];
} chain_bloom_entry_t;

/** The next block: ERR_NOT_FOUND after `to` (or when a canonical block is missing). */
RN_NODISCARD err_t chain_bloom_iter_next(chain_bloom_iter_t *it, chain_bloom_entry_t *out);
void chain_bloom_iter_close(chain_bloom_iter_t *it);
/** The hash of transaction `index` of a stored block, read from the body's bytes without
 *  decoding it (ERR_NOT_FOUND past the last transaction). */
RN_NODISCARD err_t chain_tx_hash_at(struct db_txn *txn, const hash_t *block_hash, size_t index,
                                    hash_t *out);
/** Transaction `index` of a stored block and its hash, decoded alone from the body's bytes (a
 *  lookup by hash costs one transaction's decoding, not the block's); ERR_NOT_FOUND past the
 *  last. Free *out with tx_deinit. */
RN_NODISCARD err_t chain_read_tx_at(struct db_txn *txn, const hash_t *block_hash, size_t index,
                                    struct tx *out, hash_t *hash);
/** Receipt `index` of a stored block, decoded alone, its L1 fee, and what its JSON needs from the
 *  receipts before it (read without decoding them): the previous cumulative gas (0 for the
 *  first) and how many logs they hold. ERR_NOT_FOUND past the last. Free *out with
 *  receipt_deinit. */
RN_NODISCARD err_t chain_read_receipt_at(struct db_txn *txn, const hash_t *block_hash, size_t index,
                                         struct receipt *out, u256_t *l1_fee,
                                         uint64_t *prev_cumulative_gas, uint64_t *log_base);
/** What a block's summary needs besides its header, read from the stored bytes without decoding
 *  the transactions: their hashes (*txh: rn_free; NULL when there are none), their count, and the
 *  block's RLP size, rlp([header, [tx…], []]). ERR_NOT_FOUND. */
RN_NODISCARD err_t chain_read_block_index(struct db_txn *txn, const hash_t *hash, hash_t **txh,
                                          size_t *ntxs, size_t *size);
/** Block (header and transactions) by hash; free with block_deinit. */
RN_NODISCARD err_t chain_read_block(struct db_txn *txn, const hash_t *hash, struct block *out);
RN_NODISCARD err_t chain_read_receipts(struct db_txn *txn, const hash_t *hash,
                                       chain_receipts_t *out);
/** Blocks between fills of the transaction lookup index (default 128; tests use 1 and 2). */
void chain_set_tx_index_batch(uint32_t blocks);
/** The batches the next block's commit would add to the transaction lookup and history indexes,
 *  added now, up to the head (*did says whether there were any): the sequencer runs this between
 *  blocks so that no block pays for them (decision 0012). */
RN_NODISCARD err_t chain_index_ahead(struct db_txn *txn, bool *did);
/** Where a transaction is: block number and index; ERR_NOT_FOUND. */
RN_NODISCARD err_t chain_tx_lookup(struct db_txn *txn, const hash_t *tx_hash, uint64_t *number,
                                   uint32_t *index);
/**
 * Unwind the canonical chain to block `to` (followers, when L1 disagrees): the blocks above stop
 * being canonical (their tx lookups go), the state returns to block `to` (*state_root, equal to
 * that block's header root), and `to` becomes the head. ERR_INVALID_ARG above the head.
 */
RN_NODISCARD err_t chain_unwind(struct db_txn *txn, uint64_t to, hash_t *state_root);
/** The senders of a stored block's n transactions, kept with the block by chain_store_block
 *  (no signature recovery); ERR_NOT_FOUND for a block stored without them (before schema 4). */
RN_NODISCARD err_t chain_read_senders(struct db_txn *txn, const hash_t *hash, size_t n,
                                      addr_t *out);
/** The sender of transaction `index` alone, the same way. */
RN_NODISCARD err_t chain_read_sender_at(struct db_txn *txn, const hash_t *hash, size_t index,
                                        addr_t *out);
/** The stored sequencer signature of a block; ERR_NOT_FOUND. */
RN_NODISCARD err_t chain_read_signature(struct db_txn *txn, const hash_t *hash, uint8_t sig[65]);

/* ---- block building and execution (SCROLL.md §5, §7, §11) ---- */

struct evm;
struct tx;
typedef struct chain_builder chain_builder_t;

/**
 * Start a block on top of `parent` (hash parent_hash) with the state read through txn (the
 * block's write transaction): base fee per §5.1, pre-execution per §7.1 (GPO migrations, the
 * EIP-2935 system call), the GPO values for L1 fees. gas_limit 0 keeps the parent's.
 */
RN_NODISCARD err_t chain_builder_new(chain_builder_t **out, const chain_spec_t *spec,
                                     struct evm *evm, struct db_txn *txn,
                                     const struct header *parent, const hash_t *parent_hash,
                                     uint64_t timestamp, uint64_t gas_limit);
/** The same over another state (replays and traces: the state after the parent block, read
 *  through state_db_backend_at); such a builder is never sealed. */
RN_NODISCARD err_t chain_builder_new_on(chain_builder_t **out, const chain_spec_t *spec,
                                        struct evm *evm, struct db_txn *txn,
                                        const state_backend_t *backend, const struct header *parent,
                                        const hash_t *parent_hash, uint64_t timestamp,
                                        uint64_t gas_limit);
void chain_builder_free(chain_builder_t *b);
/** Use this base fee (an existing block's, when replaying it) instead of the computed one. */
void chain_builder_set_base_fee(chain_builder_t *b, u256_t base_fee);

/** Outcome of adding a transaction. */
typedef struct chain_add_result {
    tx_invalid_t invalid; /**< TX_VALID = included */
    uint64_t gas_used;    /**< included: gas charged */
    u256_t l1_fee;        /**< included: L1 data fee charged */
    bool status;          /**< included: receipt status */
} chain_add_result_t;

/**
 * Execute tx (sender recovered by the caller; raw = its EIP-2718 bytes) after the ones already
 * added. Included: the builder takes ownership of *tx (which is zeroed). Rejected: nothing
 * changes and *tx stays the caller's.
 */
void chain_builder_add(chain_builder_t *b, struct tx *tx, const addr_t *sender, bview_t raw,
                       chain_add_result_t *res);
/** The same with raw's zstd size known (scroll_l1_fee_z; 0: not computed). */
void chain_builder_add_z(chain_builder_t *b, struct tx *tx, const addr_t *sender, bview_t raw,
                         size_t raw_zstd, chain_add_result_t *res);
size_t chain_builder_count(const chain_builder_t *b);
/** Make room for n more transactions at once (the sequencer knows its candidates), so that
 *  adding them does not grow the block's arrays one doubling at a time. Grows at least twofold,
 *  so that reserving a few more at each poll of the pool stays linear. */
void chain_builder_reserve(chain_builder_t *b, size_t n);
/** A hint that a transaction from sender to `to` (NULL: a creation) comes next: its accounts'
 *  records are fetched while the current one runs. */
void chain_builder_prefetch(chain_builder_t *b, const addr_t *sender, const addr_t *to);
/** The builder's state after the transactions added so far (read it between adds: tracers). */
state_t *chain_builder_state(chain_builder_t *b);
/** The block's fee recipient (COINBASE). */
addr_t chain_builder_coinbase(const chain_builder_t *b);
uint64_t chain_builder_gas_used(const chain_builder_t *b);
uint64_t chain_builder_gas_limit(const chain_builder_t *b);
/** Sum of encoded sizes of the non-L1-message transactions (§6 rule 7). */
uint64_t chain_builder_payload_bytes(const chain_builder_t *b);
u256_t chain_builder_base_fee(const chain_builder_t *b);

/**
 * Finish: write the state changes into the transaction (state_db_commit: flat state, change
 * sets, root) and assemble the block. *out owns the transactions afterwards (block_deinit);
 * *rs the receipts (chain_receipts_free). The builder is spent (free it).
 */
RN_NODISCARD err_t chain_builder_seal(chain_builder_t *b, struct block *out, hash_t *hash,
                                      chain_receipts_t *rs);

/* ---- L1 messages (SCROLL.md §3.2, ROLLUP-NODE.md §2; layout in l1msg.c) ----
 * Written by the L1 watcher (and tests), included by the sequencer in queue order, checked on
 * import. The next queue index a block must continue from moves in the block's own commit. */

typedef struct chain_l1_message {
    uint64_t queue_index;
    uint64_t l1_block; /**< the L1 block whose QueueTransaction event carried it */
    hash_t tx_hash;    /**< keccak of raw */
    uint8_t *raw;      /**< owned: the 0x7E transaction's EIP-2718 bytes */
    size_t raw_len;
    bool included; /**< in a canonical L2 block: l2_block */
    uint64_t l2_block;
} chain_l1_message_t;

void chain_l1_message_deinit(chain_l1_message_t *m);
/** Store a message seen in L1 block l1_block (idempotent; other content under the same queue
 *  index → ERR_INVALID_ARG with diag, as does anything that is not a 0x7E transaction). */
RN_NODISCARD err_t chain_l1_put_message(struct db_txn *txn, uint64_t l1_block, bview_t raw,
                                        char *diag, size_t diag_len);
/** The message at a queue index (*out owns raw); ERR_NOT_FOUND. */
RN_NODISCARD err_t chain_l1_get_message(struct db_txn *txn, uint64_t index,
                                        chain_l1_message_t *out);
/** Queue index of the message with this transaction hash; ERR_NOT_FOUND. */
RN_NODISCARD err_t chain_l1_find(struct db_txn *txn, const hash_t *tx_hash, uint64_t *index);
/** The L1 head and finalized block numbers the watcher last reported (finalized ≤ latest). */
RN_NODISCARD err_t chain_l1_set_heads(struct db_txn *txn, uint64_t latest, uint64_t finalized);
/** ERR_NOT_FOUND until the first chain_l1_set_heads. */
RN_NODISCARD err_t chain_l1_heads(struct db_txn *txn, uint64_t *latest, uint64_t *finalized);
/** The queue index the next L1 message in a block must have (0 on a fresh chain). */
RN_NODISCARD err_t chain_l1_next_index(struct db_txn *txn, uint64_t *next);

/** ROLLUP-NODE.md §2 inclusion modes: finalized:N (L1 block ≤ finalized − N), depth:N
 *  (L1 block ≤ latest − N). */
typedef enum chain_l1_mode {
    CHAIN_L1_FINALIZED,
    CHAIN_L1_DEPTH
} chain_l1_mode_t;

const char *chain_l1_mode_name(chain_l1_mode_t m);
/** The highest eligible L1 block number under a mode; *any false when none is (no L1 view yet,
 *  or the chain is shorter than N). */
RN_NODISCARD err_t chain_l1_eligible_bound(struct db_txn *txn, chain_l1_mode_t mode, uint64_t n,
                                           uint64_t *bound, bool *any);
/**
 * Add to a fresh builder the L1 messages eligible under (mode, n): from the next queue index on,
 * contiguous, at most max, while their gas limits fit the block. Stops at the first message that
 * is not eligible, not stored, does not fit, or is invalid (logged: skipping one would leave a
 * gap followers reject). *added = how many went in.
 */
RN_NODISCARD err_t chain_builder_add_l1_messages(chain_builder_t *b, struct db_txn *txn,
                                                 chain_l1_mode_t mode, uint64_t n, uint64_t max,
                                                 size_t *added);

/** Why an imported block is invalid (SCROLL.md §6). ORDER CHAIN_INVALID: the table in exec.c. */
typedef enum chain_invalid {
    CHAIN_VALID = 0,
    CHAIN_INVALID_PARENT,       /**< unknown parent or number not parent + 1 */
    CHAIN_INVALID_TIMESTAMP,    /**< before the parent */
    CHAIN_INVALID_OMMERS,       /**< ommers hash not the empty list */
    CHAIN_INVALID_BASE_FEE,     /**< missing/present against the fork, or above 10 gwei */
    CHAIN_INVALID_GAS_LIMIT,    /**< outside parent ± parent/1024, below 5000 */
    CHAIN_INVALID_TX,           /**< a transaction is invalid */
    CHAIN_INVALID_TX_TYPE,      /**< a type not allowed at this fork */
    CHAIN_INVALID_L1_ORDER,     /**< L1 messages not first */
    CHAIN_INVALID_L1_QUEUE,     /**< queue index not the next expected one */
    CHAIN_INVALID_L1_MESSAGE,   /**< not the message the L1 queue holds at that index */
    CHAIN_INVALID_PAYLOAD_SIZE, /**< non-L1 payload above 122 880 bytes */
    CHAIN_INVALID_GAS_USED,     /**< header gasUsed differs */
    CHAIN_INVALID_TX_ROOT,
    CHAIN_INVALID_RECEIPTS_ROOT,
    CHAIN_INVALID_BLOOM,
    CHAIN_INVALID_STATE_ROOT,
    CHAIN_INVALID_COUNT_
} chain_invalid_t;

const char *chain_invalid_msg(chain_invalid_t v);

/**
 * Validate and execute an imported block on top of the head in txn and, when valid, write it
 * (state, block, receipts, signature) as the new head. Returns ERR_OK with *why = CHAIN_VALID, or
 * ERR_OK with the rule it breaks (nothing written; abort the transaction), or another err_t.
 * The block's transactions move into the executor as they run: *blk is spent afterwards, valid
 * or not (import a copy to try the same block twice).
 */
RN_NODISCARD err_t chain_import_block(struct db_txn *txn, const chain_spec_t *spec, struct evm *evm,
                                      struct block *blk, const uint8_t sig[65],
                                      chain_invalid_t *why, char *diag, size_t diag_len);

#endif
