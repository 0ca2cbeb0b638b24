/* src/primitives/primitives.h — transactions (legacy, EIP-2930, EIP-1559, EIP-7702, Scroll's L1
 * message 0x7E), headers (Scroll: 15 fields before Curie, 16 after), blocks, receipts, logs,
 * bloom; their EIP-2718/RLP encodings and hashes (SCROLL.md §3, §8). */
#ifndef RN_PRIMITIVES_PRIMITIVES_H
#define RN_PRIMITIVES_PRIMITIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

enum {
    TX_MAX_BYTES = 4u << 20, /**< any decoded transaction; pool/block limits are smaller */
};

typedef enum tx_type {
    TX_LEGACY = 0x00,
    TX_ACCESS_LIST = 0x01, /**< EIP-2930 */
    TX_DYNAMIC_FEE = 0x02, /**< EIP-1559 */
    TX_BLOB = 0x03,        /**< EIP-4844: never valid on Scroll, never decoded */
    TX_SET_CODE = 0x04,    /**< EIP-7702 */
    TX_L1_MESSAGE = 0x7e,  /**< Scroll L1 message (SCROLL.md §3.2) */
} tx_type_t;

typedef struct access_tuple {
    addr_t addr;
    hash_t *keys; /**< owned by the transaction */
    size_t nkeys;
} access_tuple_t;

/** An EIP-7702 authorization: [chain_id, address, nonce, y_parity, r, s]. */
typedef struct authorization {
    u256_t chain_id;
    addr_t addr;
    uint64_t nonce;
    uint8_t y_parity;
    u256_t r, s;
} authorization_t;

/**
 * Any transaction. Decoded transactions own their arrays and data (tx_deinit frees them).
 * Fields a type does not have are zero.
 */
typedef struct tx {
    tx_type_t type;
    bool has_chain_id; /**< false only for legacy transactions without EIP-155 */
    u256_t chain_id;
    uint64_t nonce;
    u256_t gas_price;        /**< legacy and 2930 */
    u256_t max_priority_fee; /**< 1559 and 7702 */
    u256_t max_fee;          /**< 1559 and 7702 */
    uint64_t gas_limit;
    bool has_to; /**< false: contract creation */
    addr_t to;
    u256_t value;
    uint8_t *data; /**< owned; calldata or initcode */
    size_t data_len;
    access_tuple_t *access_list; /**< owned */
    size_t naccess;
    authorization_t *auths; /**< owned */
    size_t nauths;
    u256_t v; /**< legacy: the raw v (27/28 or chain_id·2+35/36) */
    uint8_t y_parity;
    u256_t r, s;
    uint64_t queue_index; /**< L1 message */
    addr_t sender;        /**< L1 message: the (aliased) L1 sender */
} tx_t;

/**
 * Decode EIP-2718 bytes strictly: exact field counts, canonical integers, `to` empty or 20
 * bytes (required for 7702 and L1 messages), legacy v of 27/28 or ≥ 35, typed y_parity 0/1.
 * ERR_TX_TYPE_UNSUPPORTED (type 3 and unknown types), ERR_TX_MALFORMED, ERR_TX_EMPTY, or an RLP
 * code. On error *tx is zeroed and owns nothing.
 */
RN_NODISCARD err_t tx_decode(tx_t *tx, bview_t raw);
/** Free what a decoded (or built) transaction owns; the struct is zeroed. */
void tx_deinit(tx_t *tx);
/** EIP-2718 encoding appended to out. */
RN_NODISCARD err_t tx_encode(const tx_t *tx, buf_t *out);
/** keccak256 of the EIP-2718 encoding. */
RN_NODISCARD err_t tx_hash(const tx_t *tx, hash_t *out);
/** The digest the sender signs (legacy pre-155: 6 fields; EIP-155: 9; typed: type ‖ rlp). */
RN_NODISCARD err_t tx_signing_hash(const tx_t *tx, hash_t *out);
/** Sender: recovered from the signature (EIP-2 low s required), or the L1 message's sender.
 *  ERR_TX_BAD_SIGNATURE. */
RN_NODISCARD err_t tx_recover_sender(const tx_t *tx, addr_t *out);
/** Sign with a secret key: fills v/y_parity/r/s (legacy with chain id: EIP-155). */
RN_NODISCARD err_t tx_sign(tx_t *tx, const uint8_t sk[static 32]);

/** EIP-7702 authority: keccak(0x05 ‖ rlp([chain_id, address, nonce])) signer. */
RN_NODISCARD err_t authorization_recover(const authorization_t *a, addr_t *out);
RN_NODISCARD err_t authorization_sign(authorization_t *a, const uint8_t sk[static 32]);

/** Rules for intrinsic gas (flags). */
typedef enum intrinsic_rules {
    INTRINSIC_ISTANBUL = 0,      /**< 16 gas per non-zero calldata byte (EIP-2028) */
    INTRINSIC_EIP3860 = 1u << 0, /**< Shanghai: 2 gas per initcode word */
    INTRINSIC_EIP7702 = 1u << 1, /**< Prague: 25 000 per authorization */
} intrinsic_rules_t;

/** Intrinsic gas: 21 000 (+32 000 create) + calldata + access list + initcode + auths. */
uint64_t tx_intrinsic_gas(const tx_t *tx, unsigned rules);
/** EIP-7623 floor: 21 000 + 10·(zero bytes + 4·non-zero bytes) of calldata. */
uint64_t tx_floor_gas(const tx_t *tx);

/* ---- headers and blocks ---- */

typedef struct header {
    hash_t parent_hash;
    hash_t ommers_hash;
    addr_t coinbase;
    hash_t state_root;
    hash_t tx_root;
    hash_t receipts_root;
    uint8_t bloom[256];
    u256_t difficulty;
    uint64_t number;
    uint64_t gas_limit;
    uint64_t gas_used;
    uint64_t timestamp;
    uint8_t *extra; /**< owned */
    size_t extra_len;
    hash_t mix_hash;
    uint64_t nonce;    /**< the 8-byte block nonce as a big-endian number */
    bool has_base_fee; /**< Curie and later: 16 fields */
    u256_t base_fee;
} header_t;

enum {
    HEADER_MAX_EXTRA = 1024
};

/** Decode a Scroll header: 15 fields, or 16 with baseFeePerGas; later Ethereum fields
 *  (withdrawalsRoot, blob gas, beacon root, requests) are rejected (ERR_HEADER_MALFORMED). */
RN_NODISCARD err_t header_decode(header_t *h, bview_t raw);
RN_NODISCARD err_t header_encode(const header_t *h, buf_t *out);
void header_deinit(header_t *h);
/** keccak256(rlp(header)). */
RN_NODISCARD err_t header_hash(const header_t *h, hash_t *out);
/** The sequencer's signing digest: keccak of the header RLP without extraData (ROLLUP-NODE.md
 *  §3, SCROLL.md §8.2). */
RN_NODISCARD err_t header_signing_hash(const header_t *h, hash_t *out);

typedef struct block {
    header_t header;
    tx_t *txs; /**< owned */
    size_t ntxs;
} block_t;

/** rlp([header, [tx…], []]); non-empty ommers or a withdrawals list → ERR_BLOCK_MALFORMED. */
RN_NODISCARD err_t block_decode(block_t *b, bview_t raw);
RN_NODISCARD err_t block_encode(const block_t *b, buf_t *out);
void block_deinit(block_t *b);

/* ---- receipts, logs, bloom ---- */

typedef struct log {
    addr_t addr;
    hash_t topics[4];
    uint8_t ntopics;
    uint8_t *data; /**< owned */
    size_t data_len;
} log_t;

typedef struct receipt {
    tx_type_t type;
    bool status; /**< true = success (post-Byzantium status 1) */
    uint64_t cumulative_gas;
    uint8_t bloom[256];
    log_t *logs; /**< owned */
    size_t nlogs;
} receipt_t;

/** Typed receipt encoding: legacy = rlp([status, cumulativeGas, bloom, logs]); typed = type ‖ that.
 */
RN_NODISCARD err_t receipt_encode(const receipt_t *r, buf_t *out);
RN_NODISCARD err_t receipt_decode(receipt_t *r, bview_t raw);
/** The form the node stores (chain's RECEIPTS table): the consensus encoding, except that an
 *  all-zero bloom (a receipt without logs) is the empty string, 256 bytes fewer. The decoder
 *  takes both forms; receipt_decode takes only the consensus one. */
RN_NODISCARD err_t receipt_encode_stored(const receipt_t *r, buf_t *out);
RN_NODISCARD err_t receipt_decode_stored(receipt_t *r, bview_t raw);
/** A stored receipt's cumulative gas and number of logs, with receipt_decode_stored's checks on
 *  all but the logs' contents, which are not decoded (walking a block's receipts up to one). */
RN_NODISCARD err_t receipt_counts(bview_t raw, uint64_t *cumulative_gas, size_t *nlogs);
void receipt_deinit(receipt_t *r);
/** rlp(log) = [address, [topics…], data]. */
RN_NODISCARD err_t log_encode(const log_t *l, buf_t *out);

/** Add one value (address or topic) to a 2048-bit bloom: 3 bits from keccak(value). */
void bloom_add(uint8_t bloom[static 256], const uint8_t *p, size_t n);
/** OR the bloom of a log (its address and topics) into bloom. */
void bloom_add_log(uint8_t bloom[static 256], const log_t *l);

/** The 3 bloom bits of one value, computed once to test many blooms (eth_getLogs). */
typedef struct bloom_probe {
    uint8_t byte[3];
    uint8_t mask[3];
} bloom_probe_t;

void bloom_probe(bloom_probe_t *pr, const uint8_t *p, size_t n);

/** Could the value of pr be in this bloom (all 3 of its bits set)? */
static inline bool bloom_probe_hit(const uint8_t bloom[256], const bloom_probe_t *pr)
{
    return (bloom[pr->byte[0]] & pr->mask[0]) == pr->mask[0] &&
           (bloom[pr->byte[1]] & pr->mask[1]) == pr->mask[1] &&
           (bloom[pr->byte[2]] & pr->mask[2]) == pr->mask[2];
}

/** The logsBloom of an RLP-encoded header without decoding the rest (ERR_HEADER_MALFORMED). */
RN_NODISCARD err_t header_peek_bloom(bview_t raw, uint8_t bloom[static 256]);

#endif
