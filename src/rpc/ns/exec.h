/* src/rpc/ns/exec.h — private to the rpc module: running calls and replaying transactions over
 * the state at a block, shared by eth_call/eth_estimateGas and the debug/trace namespaces. */
#ifndef RN_RPC_NS_EXEC_H
#define RN_RPC_NS_EXEC_H

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
 *  reply (-32000 "header not found" above the head). */
bool rpc__at_open(const rpc_ctx_t *c, uint64_t block, rpc_at_t *at, rpc_reply_t *r);
void rpc__at_close(rpc_at_t *at);

/** Run a call object on `at` (geth's eth_call semantics: base fee 0 unless fees are given, the
 *  nonce check skipped). TX_VALID with *out, or the rejection. output receives the return data. */
tx_invalid_t rpc__run_call(const rpc_ctx_t *c, evm_t *evm, const rpc_at_t *at,
                           const rpc_call_args_t *a, uint64_t gas, state_tx_result_t *out,
                           buf_t *output);

/** geth's error text for an EVM status ("execution reverted", "out of gas", ...). */
const char *rpc__evm_error(evm_status_t s);

/** The reason of an Error(string) revert as a JSON string, or NULL. */
json_t *rpc__revert_reason(bview_t output);

/** Parse a call object (params[0]) and the block parameter (params[1]). */
bool rpc__parse_call(const rpc_ctx_t *c, const json_t *params, rpc_call_args_t *a, rpc_reply_t *r);

#endif
