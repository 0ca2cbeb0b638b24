/* src/rpc/ns/exec.h — private to the rpc module: running calls and replaying transactions over
 * the state at a block, shared by eth_call/eth_estimateGas/eth_createAccessList/eth_simulateV1
 * and the debug/trace namespaces; state and block overrides. */
#ifndef RN_RPC_NS_EXEC_H
#define RN_RPC_NS_EXEC_H

#include <string.h>

#include "chain/chain.h"
#include "db/db.h"
#include "evm/evm.h"
#include "rpc/ns/ns.h"
#include "state/state.h"

/** The state and header after a block, for running calls on it. */
typedef struct rpc_at {
    db_txn_t *txn;
    header_t header;
    hash_t hash;
    state_backend_t be;
    void *be_ctx;
} rpc_at_t;

/** Open a read transaction on the state after `block` (UINT64_MAX = head); false with an error
 *  reply (-32001 "block not found" above the head). */
bool rpc__at_open(const rpc_ctx_t *c, uint64_t block, rpc_at_t *at, rpc_reply_t *r);
void rpc__at_close(rpc_at_t *at);

/** Run a call object on `at` (geth's eth_call semantics: base fee 0 unless fees are given, the
 *  nonce check skipped). TX_VALID with *out, or the rejection. output receives the return data. */
tx_invalid_t rpc__run_call(const rpc_ctx_t *c, evm_t *evm, const rpc_at_t *at,
                           const rpc_call_args_t *a, uint64_t gas, state_tx_result_t *out,
                           buf_t *output);

/** rpc__run_call under debug_traceCall's config overrides: state_ov (config.stateOverrides)
 *  and block_ov (config.blockOverrides), either NULL. False with a -32602 reply for a bad
 *  override; otherwise true with *v (and *out when TX_VALID). */
bool rpc__run_call_overrides(const rpc_ctx_t *c, evm_t *evm, const rpc_at_t *at,
                             const rpc_call_args_t *a, const json_t *state_ov,
                             const json_t *block_ov, uint64_t gas, tx_invalid_t *v,
                             state_tx_result_t *out, buf_t *output, rpc_reply_t *r);

/** geth's error text for an EVM status ("execution reverted", "out of gas", ...). */
const char *rpc__evm_error(evm_status_t s);

/** The reason of an Error(string) revert as a JSON string, or NULL. */
json_t *rpc__revert_reason(bview_t output);

/** Parse a call object (params[0]) and the block parameter (params[1]). */
bool rpc__parse_call(const rpc_ctx_t *c, const json_t *params, rpc_call_args_t *a, rpc_reply_t *r);

/* ---- call objects with an access list ---- */

typedef struct rpc_access_list {
    access_tuple_t *t; /**< owned, keys owned */
    size_t n;
} rpc_access_list_t;

void rpc__access_list_free(rpc_access_list_t *al);

/** Parse a call object o named `name` in errors (-32602): from, to, gas, gasPrice,
 *  maxFeePerGas, maxPriorityFeePerGas, value, input/data, nonce, and accessList into *al (NULL:
 *  not accepted). a->data must be initialised by the caller; a->block is left alone. */
bool rpc__parse_call_object(const json_t *o, const char *name, rpc_call_args_t *a,
                            rpc_access_list_t *al, rpc_reply_t *r);

/* ---- the block a call runs in ---- */

/** The header's block environment for calls: its number, time, gas limit, base fee, chain id
 *  and the fee vault as coinbase. */
void rpc__call_block_env(const rpc_ctx_t *c, const header_t *h, evm_block_t *blk);
/** Apply block overrides {number, time, gasLimit, coinbase|feeRecipient, baseFee|baseFeePerGas,
 *  prevRandao|random, difficulty} named `name`; false with -32602 (unknown fields included). */
bool rpc__block_overrides(const json_t *ov, const char *name, evm_block_t *blk, rpc_reply_t *r);
/** The rules of the chain at blk's number and time. */
void rpc__call_rules(const rpc_ctx_t *c, const evm_block_t *blk, evm_rules_t *rules);

/** How one call runs on a state (rpc__exec_call). */
typedef struct rpc_exec {
    const evm_block_t *blk;
    const evm_rules_t *rules;
    /** eth_simulateV1 validation: the nonce must match and the fee cap cover the base fee as for
     *  a real transaction. Otherwise geth's eth_call rules: base fee 0 for a call without fee
     *  fields, a given nonce becomes the sender's. */
    bool validate;
    uint64_t block_gas_used;
    const rpc_access_list_t *al; /**< or NULL */
} rpc_exec_t;

/** Run call a with `gas` on st as one transaction of the block (its changes stay in st). *tx
 *  (if not NULL) receives the transaction it ran as (data and access list borrowed from a/al). */
tx_invalid_t rpc__exec_call(evm_t *evm, state_t *st, const rpc_exec_t *x, const rpc_call_args_t *a,
                            uint64_t gas, tx_t *tx, state_tx_result_t *out, buf_t *output);

/* ---- state overrides: a backend layered over another ---- */

typedef struct rpc_overlay rpc_overlay_t;

/** A layer over base (whose ctx must outlive it). */
rpc_overlay_t *rpc__overlay_new(const state_backend_t *base);
/** NULL is a no-op. */
void rpc__overlay_free(rpc_overlay_t *o);
/** The backend reading the layer, then base (valid while o lives). */
state_backend_t rpc__overlay_backend(rpc_overlay_t *o);
void rpc__overlay_set_balance(rpc_overlay_t *o, const addr_t *a, u256_t v);
void rpc__overlay_set_nonce(rpc_overlay_t *o, const addr_t *a, uint64_t nonce);
void rpc__overlay_set_code(rpc_overlay_t *o, const addr_t *a, const uint8_t *code, size_t n);
/** Every slot of a reads zero (before later set_storage calls). */
void rpc__overlay_clear_storage(rpc_overlay_t *o, const addr_t *a);
void rpc__overlay_set_storage(rpc_overlay_t *o, const addr_t *a, const u256_t *key, u256_t v);
/** Keep code by hash (*hash = its keccak). */
void rpc__overlay_put_code(rpc_overlay_t *o, const uint8_t *code, size_t n, hash_t *hash);
/** Fold a state_t's change set in (eth_simulateV1 carries state from block to block). */
void rpc__overlay_apply(rpc_overlay_t *o, const state_changes_t *c);

/** Apply a state override object {address: {balance, nonce, code, state | stateDiff}} named
 *  `name` (e.g. "argument 2 (stateOverride)") to o. False with -32602 naming the address and
 *  field: malformed values, unknown fields, both state and stateDiff, movePrecompileToAddress
 *  (not supported). debug_traceCall's config.stateOverrides takes the same object. */
bool rpc__state_overrides(rpc_overlay_t *o, const json_t *ov, const char *name, rpc_reply_t *r);

/** Register eth_simulateV1 (simulate.c); called by rpc__register_eth_call. */
void rpc__register_eth_simulate(rpc_registry_t *reg);

/** The address in the low 20 bytes of a stack word (BALANCE, CALL, … operands). */
static inline addr_t rpc__word_addr(u256_t w)
{
    uint8_t b[32];
    addr_t a;
    u256_to_be(b, w);
    memcpy(a.b, b + 12, 20);
    return a;
}

/* ---- replaying a stored block (debug.c; the debug, trace and ots namespaces) ---- */

/** One transaction of a replayed block as the callbacks see it. */
typedef struct rpc_replay_tx {
    size_t index;
    const hash_t *hash;
    const addr_t *sender;
    bview_t raw; /**< its EIP-2718 bytes */
    uint64_t gas_limit;
    bool has_to;
    addr_t to;
    chain_builder_t *bld;    /**< the replaying builder (state after the tx, once added) */
    chain_builder_t *shadow; /**< with rpc_replay_t.shadow: one transaction behind */
    evm_t *evm;
    const evm_rules_t *rules; /**< the block's EVM rules */
    chain_add_result_t res;   /**< set before `after` runs */
} rpc_replay_tx_t;

typedef struct rpc_replay {
    size_t only; /**< SIZE_MAX: every transaction is hooked; else replay up to this one */
    bool shadow; /**< keep a second builder one transaction behind (prestate) */
    /** Before a hooked transaction: the tracer to install while it runs (NULL: none). */
    const evm_tracer_t *(*before)(void *ud, const rpc_replay_tx_t *tx);
    /** After it: false stops the replay with r set. r is NULL when the transaction failed to
     *  replay (the reply is already an error): clean up only. */
    bool (*after)(void *ud, const rpc_replay_tx_t *tx, rpc_reply_t *r);
    void *ud;
    evm_rules_t rules; /**< the block's EVM rules, set before the first transaction */
} rpc_replay_t;

/** Replay block bh on the state after its parent (the block's own base fee), calling the hooks
 *  around the wanted transactions. Genesis replays as a block without transactions. */
bool rpc__replay(const rpc_ctx_t *c, db_txn_t *t, const hash_t *bh, rpc_replay_t *rp,
                 rpc_reply_t *r);

/* ---- call frames (debug.c), for the trace namespace ---- */

/** Replay block bh on its parent's state with a callTracer whose root keeps the EVM frame's own
 *  gas and gasUsed (intrinsic gas excluded, as parity traces count). only = one transaction index
 *  (out gets its frame) or SIZE_MAX (out gets {txHash, result} per transaction). */
bool rpc__trace_block_frames(const rpc_ctx_t *c, db_txn_t *t, const hash_t *bh, size_t only,
                             json_t *out, rpc_reply_t *r);
/** The same with geth's prestateTracer in diffMode ({pre, post} of what each transaction
 *  changed), for the parity stateDiff. */
bool rpc__trace_block_prestate_diff(const rpc_ctx_t *c, db_txn_t *t, const hash_t *bh, size_t only,
                                    json_t *out, rpc_reply_t *r);
/** The same for a call object run on `at`: its frame tree, or NULL with a reply. */
json_t *rpc__trace_call_frame(const rpc_ctx_t *c, const rpc_at_t *at, const rpc_call_args_t *a,
                              uint64_t gas, buf_t *output, rpc_reply_t *r);

#endif
