/* Methods the running node serves through rpc_ctx_t.node: eth_sendRawTransaction, eth_call,
 * eth_estimateGas, eth_gasPrice, eth_maxPriorityFeePerGas, txpool_status and the
 * rollupNodeAdmin sequencing switches. This file parses and formats; the node executes. */
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "db/db.h"
#include "rpc/ns/ns.h"
#include "rpc/rpc_int.h"

static const rpc_node_ops_t *ops(void *ctx)
{
    return ((const rpc_ctx_t *)ctx)->node;
}

static void *ud(void *ctx)
{
    return ((const rpc_ctx_t *)ctx)->ud;
}

static void send_raw(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!ops(ctx) || !ops(ctx)->send_raw_tx) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND,
                        "the method eth_sendRawTransaction does not exist/is not available");
        return;
    }
    if (!rpc__arity(params, 1, 1, r))
        return;
    buf_t raw;
    buf_init(&raw, RPC_MAX_BODY_BYTES);
    if (rpc__param_bytes(params, 0, &raw, r)) {
        hash_t h;
        char msg[256] = "";
        int code = ops(ctx)->send_raw_tx(ud(ctx), buf_view(&raw), &h, msg, sizeof(msg));
        if (code)
            rpc_reply_error(r, code, "%s", msg);
        else
            r->result = rpc__data(h.b, 32);
    }
    buf_deinit(&raw);
}

static void gas_price(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 0, 0, r))
        return;
    u256_t p = u256_from_u64(0), t = u256_from_u64(0);
    if (ops(ctx) && ops(ctx)->fees)
        ops(ctx)->fees(ud(ctx), &p, &t);
    r->result = rpc__quantity256(p);
}

static void max_priority_fee(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 0, 0, r))
        return;
    u256_t p = u256_from_u64(0), t = u256_from_u64(0);
    if (ops(ctx) && ops(ctx)->fees)
        ops(ctx)->fees(ud(ctx), &p, &t);
    r->result = rpc__quantity256(t);
}

static void txpool_status(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 0, 0, r))
        return;
    size_t p = 0, q = 0;
    if (ops(ctx) && ops(ctx)->pool_counts)
        ops(ctx)->pool_counts(ud(ctx), &p, &q);
    r->result = json_pack("{s:o,s:o}", "pending", rpc__quantity(p), "queued", rpc__quantity(q));
}

static void sequencing(void *ctx, const json_t *params, rpc_reply_t *r, bool on)
{
    if (!rpc__arity(params, 0, 0, r))
        return;
    if (!ops(ctx) || !ops(ctx)->set_sequencing) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "this node is not a sequencer");
        return;
    }
    r->result = json_boolean(ops(ctx)->set_sequencing(ud(ctx), on));
}

static void enable_seq(void *ctx, const json_t *params, rpc_reply_t *r)
{
    sequencing(ctx, params, r, true);
}

static void disable_seq(void *ctx, const json_t *params, rpc_reply_t *r)
{
    sequencing(ctx, params, r, false);
}

/* rollupNode_getBlockSignature(blockHash): the sequencer's 65-byte signature, or null. */
static void block_signature(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    buf_t h;
    buf_init(&h, 64);
    if (!rpc__param_bytes(params, 0, &h, r)) {
        buf_deinit(&h);
        return;
    }
    if (h.n != 32) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: a 32-byte block hash expected");
        buf_deinit(&h);
        return;
    }
    hash_t hash;
    memcpy(hash.b, h.p, 32);
    buf_deinit(&h);
    db_txn_t *t;
    if (db_txn_begin(((const rpc_ctx_t *)ctx)->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        return;
    }
    uint8_t sig[65];
    r->result = chain_read_signature(t, &hash, sig) == ERR_OK ? rpc__data(sig, 65) : json_null();
    db_txn_abort(t);
}

static json_t *block_ref(db_txn_t *t, uint64_t n)
{
    hash_t h;
    if (chain_canonical_hash(t, n, &h) != ERR_OK)
        return json_null();
    return json_pack("{s:o,s:o}", "number", rpc__quantity(n), "hash", rpc__data(h.b, 32));
}

/* rollupNode_status: without an L1 connection (dev) there is no derivation, so safe and
 * finalized are the head, like the block tags. */
static void status(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 0, 0, r))
        return;
    db_txn_t *t;
    uint64_t head;
    hash_t hh;
    if (db_txn_begin(((const rpc_ctx_t *)ctx)->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        return;
    }
    uint64_t l1_latest, l1_final;
    bool l1 = chain_l1_heads(t, &l1_latest, &l1_final) == ERR_OK;
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
    } else {
        /* L1: what the L1 watcher last recorded (none without --l1.url). */
        r->result = json_pack(
            "{s:{s:s,s:o,s:o,s:o},s:{s:s,s:{s:o,s:o,s:o}}}", "l1", "status",
            l1 ? "synced" : "disabled", "latest", l1 ? rpc__quantity(l1_latest) : json_null(),
            "finalized", l1 ? rpc__quantity(l1_final) : json_null(), "processed",
            l1 ? rpc__quantity(l1_latest) : json_null(), "l2", "status", "synced", "fcs", "head",
            block_ref(t, head), "safe", block_ref(t, head), "finalized", block_ref(t, head));
    }
    db_txn_abort(t);
}

void rpc_register_node(rpc_registry_t *reg)
{
    rpc__register_eth_fees(reg);
    rpc__register_eth_call(reg);
    rpc__register_debug(reg);
    rpc__register_eth_proof(reg);
    rpc__register_txpool(reg);
    rpc__register_misc(reg);
    rpc__register_subs(reg);
    rpc__register_rollup_l1(reg);
    rpc__register_ots(reg);
    rpc__register_trace(reg);
    static const rpc_method_t methods[] = {
        { "eth_sendRawTransaction", RPC_NS_ETH, send_raw },
        { "eth_gasPrice", RPC_NS_ETH, gas_price },
        { "eth_maxPriorityFeePerGas", RPC_NS_ETH, max_priority_fee },
        { "txpool_status", RPC_NS_TXPOOL, txpool_status },
        { "rollupNode_getBlockSignature", RPC_NS_ROLLUP_NODE, block_signature },
        { "rollupNode_status", RPC_NS_ROLLUP_NODE, status },
        { "rollupNodeAdmin_enableAutomaticSequencing", RPC_NS_ROLLUP_NODE_ADMIN, enable_seq },
        { "rollupNodeAdmin_disableAutomaticSequencing", RPC_NS_ROLLUP_NODE_ADMIN, disable_seq },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
