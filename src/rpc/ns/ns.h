/* src/rpc/ns/ns.h — private to the rpc module: the context every namespace handler receives and
 * the parameter helpers they share. */
#ifndef RN_RPC_NS_NS_H
#define RN_RPC_NS_NS_H

#include "chain/chain.h"
#include "primitives/primitives.h"
#include "rpc/rpc.h"

/** Parameter at index i, or NULL when absent (JSON null counts as absent for optional ones). */
const json_t *rpc__param(const json_t *params, size_t i);
/** Require exactly min..max parameters; otherwise fill an invalid-params reply and return false. */
bool rpc__arity(const json_t *params, size_t min, size_t max, rpc_reply_t *r);
/** Hex-encoded byte parameter; false (and an invalid-params reply naming index i) when bad. */
bool rpc__param_bytes(const json_t *params, size_t i, buf_t *out, rpc_reply_t *r);
/** "0x…" quantity of a u64. */
json_t *rpc__quantity(uint64_t v);
/** "0x…" quantity of a u256. */
json_t *rpc__quantity256(u256_t v);
struct db_txn;
/** A read transaction on the node's database, or NULL with an internal-error reply. */
struct db_txn *rpc__read_txn(const rpc_ctx_t *c, rpc_reply_t *r);
/** A 0x-prefixed 32-byte hash parameter; false with -32602 naming argument i. */
bool rpc__param_hash(const json_t *params, size_t i, hash_t *out, rpc_reply_t *r);
/** Register a table of methods (a duplicate name is a programming error: PANIC). */
void rpc__register_methods(rpc_registry_t *reg, const rpc_method_t *m, size_t n);
/** "0x…" data of bytes. */
json_t *rpc__data(const uint8_t *p, size_t n);

enum {
    RPC_RESOURCE_NOT_FOUND = -32001, /**< reth: "block not found: …" */
};

struct db_txn;
/** The block parameter p named `name` (NULL or JSON null = "latest"): "latest", "pending", "safe",
 *  "finalized" (the head until derivation exists), "earliest", a hex number, or EIP-1898
 *  {blockNumber} / {blockHash, requireCanonical}. A stored canonical block: *num and, if hash is
 *  not NULL, *hash. Otherwise false with reth's error: -32602 naming `name` when malformed,
 *  -32001 "block not found: 0x5" / "…: hash 0x…" when not stored (block_param.c). */
bool rpc__block_param(struct db_txn *t, const json_t *p, const char *name, uint64_t *num,
                      hash_t *hash, rpc_reply_t *r);

void rpc__register_static(rpc_registry_t *reg);
/** rollupNode_getL1MessageByIndex / ByKey (rollup_l1.c). */
void rpc__register_rollup_l1(rpc_registry_t *reg);
void rpc__register_eth_chain(rpc_registry_t *reg);
/** Blocks, transactions, receipts and logs (eth_blocks.c); called by rpc__register_eth_chain. */
void rpc__register_eth_blocks(rpc_registry_t *reg);
/** The Otterscan ots_* methods (ots.c); called by rpc_register_node. */
void rpc__register_ots(rpc_registry_t *reg);
/** The parity-style trace_* methods (trace.c); called by rpc_register_node. */
void rpc__register_trace(rpc_registry_t *reg);

struct tx;
struct header;

/* ---- stored blocks as JSON (eth_blocks.c; also used by ots.c) ---- */

/** A stored block with its hash and transaction hashes; senders recovered on first use. */
typedef struct rpc_block {
    hash_t hash;
    block_t b;   /**< b.txs NULL after a load without transactions (b.ntxs is set) */
    hash_t *txh; /**< b.ntxs hashes */
    size_t size; /**< the block's RLP size */
    addr_t *from;
    bool *has_from;
} rpc_block_t;

/** ERR_NOT_FOUND for an unknown hash. */
RN_NODISCARD err_t rpc__block_load(struct db_txn *t, const hash_t *hash, rpc_block_t *l);
void rpc__block_free(rpc_block_t *l);
/** Sender of transaction i (recovered once; the zero address if it cannot be). */
const addr_t *rpc__block_sender(rpc_block_t *l, size_t i);
/** geth's RPCMarshalBlock (full: transaction objects, else hashes). */
json_t *rpc__block_json(rpc_block_t *l, bool full);
/** Receipt i in geth's shape plus l1Fee; log_base = logs of the receipts before i. */
json_t *rpc__receipt_json(rpc_block_t *l, const chain_receipts_t *rs, size_t i, uint64_t log_base);
/** The block's receipts; false with an internal-error reply when they do not match it. */
bool rpc__block_receipts(struct db_txn *t, const rpc_block_t *l, chain_receipts_t *rs,
                         rpc_reply_t *r);
/** The price per gas a transaction paid in a block (0 for L1 messages). */
u256_t rpc__effective_gas_price(const struct tx *tx, const struct header *h);
/** A transaction in geth's RPCTransaction shape; h NULL = pending (no block fields). */
json_t *rpc__tx_json(const struct tx *tx, const hash_t *txh, const addr_t *from,
                     const struct header *h, const hash_t *block_hash, size_t index);

#endif
