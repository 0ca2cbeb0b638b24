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

static json_t *quantity256(u256_t v)
{
    char s[67];
    u256_to_hex(s, v);
    return json_string(s);
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

static bool get_u256(const json_t *o, const char *k, u256_t *out, bool *has, rpc_reply_t *r)
{
    const json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    if (!s || strncmp(s, "0x", 2) != 0 || u256_from_hex(s, strlen(s), out) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: '%s' must be a hex quantity", k);
        return false;
    }
    if (has)
        *has = true;
    return true;
}

static bool get_u64(const json_t *o, const char *k, uint64_t *out, bool *has, rpc_reply_t *r)
{
    u256_t v = u256_from_u64(0);
    bool h = false;
    if (!get_u256(o, k, &v, &h, r))
        return false;
    if (h && (v.w[1] | v.w[2] | v.w[3])) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: '%s' exceeds 64 bits", k);
        return false;
    }
    if (h) {
        *out = v.w[0];
        *has = true;
    }
    return true;
}

static bool get_addr(const json_t *o, const char *k, addr_t *out, bool *has, rpc_reply_t *r)
{
    const json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    if (!s || addr_from_hex(out, s, strlen(s)) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: '%s' must be a 20-byte address", k);
        return false;
    }
    *has = true;
    return true;
}

/* A transaction object: from, to, gas, gasPrice, maxFeePerGas, maxPriorityFeePerGas, value,
 * input (or data), nonce. */
static bool parse_call(const json_t *params, rpc_call_args_t *a, rpc_reply_t *r)
{
    const json_t *o = rpc__param(params, 0);
    if (!json_is_object(o)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument 0 must be a transaction object");
        return false;
    }
    bool dummy = false;
    if (!get_addr(o, "from", &a->from, &a->has_from, r) ||
        !get_addr(o, "to", &a->to, &a->has_to, r) || !get_u64(o, "gas", &a->gas, &a->has_gas, r) ||
        !get_u256(o, "gasPrice", &a->gas_price, &a->has_gas_price, r) ||
        !get_u256(o, "maxFeePerGas", &a->max_fee, &a->has_max_fee, r) ||
        !get_u256(o, "maxPriorityFeePerGas", &a->max_priority_fee, &a->has_max_priority_fee, r) ||
        !get_u256(o, "value", &a->value, &dummy, r) ||
        !get_u64(o, "nonce", &a->nonce, &a->has_nonce, r))
        return false;
    const json_t *in = json_object_get(o, "input");
    const json_t *data = json_object_get(o, "data");
    if (in && !json_is_null(in) && data && !json_is_null(data) &&
        !json_equal((json_t *)in, (json_t *)data)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: both \"data\" and \"input\" are set and not equal");
        return false;
    }
    const json_t *d = in && !json_is_null(in) ? in : data;
    if (d && !json_is_null(d)) {
        const char *s = json_string_value(d);
        if (!s || strncmp(s, "0x", 2) != 0 || hex_decode_buf(&a->data, s, strlen(s)) != ERR_OK) {
            rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: 'input' must be hex data");
            return false;
        }
    }
    return true;
}

/* The block parameter of eth_call / eth_estimateGas: a tag, a number, or an EIP-1898 object
 * ({blockNumber} or {blockHash}). UINT64_MAX = the head. */
static bool call_block(void *ctx, const json_t *params, uint64_t *out, rpc_reply_t *r)
{
    *out = UINT64_MAX;
    const json_t *b = rpc__param(params, 1);
    if (!b)
        return true;
    const json_t *num = json_is_object(b) ? json_object_get(b, "blockNumber") : b;
    const json_t *bh = json_is_object(b) ? json_object_get(b, "blockHash") : NULL;
    const char *s = json_string_value(bh ? bh : num);
    if (!s)
        goto bad;
    if (bh) {
        hash_t h;
        db_txn_t *t;
        header_t hd;
        if (hex_decode_fixed(h.b, 32, s, strlen(s)) != ERR_OK)
            goto bad;
        if (db_txn_begin(((const rpc_ctx_t *)ctx)->db, DB_TXN_READ, &t) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
            return false;
        }
        err_t e = chain_read_header(t, &h, &hd);
        hash_t canon;
        bool ok = e == ERR_OK && chain_canonical_hash(t, hd.number, &canon) == ERR_OK &&
                  memcmp(canon.b, h.b, 32) == 0;
        if (e == ERR_OK) {
            *out = hd.number;
            header_deinit(&hd);
        }
        db_txn_abort(t);
        if (!ok) {
            rpc_reply_error(r, RPC_INVALID_PARAMS, "header for hash not found");
            return false;
        }
        return true;
    }
    if (!strcmp(s, "latest") || !strcmp(s, "pending") || !strcmp(s, "safe") ||
        !strcmp(s, "finalized"))
        return true;
    if (!strcmp(s, "earliest")) {
        *out = 0;
        return true;
    }
    u256_t v;
    if (strncmp(s, "0x", 2) == 0 && u256_from_hex(s, strlen(s), &v) == ERR_OK &&
        !(v.w[1] | v.w[2] | v.w[3])) {
        *out = v.w[0];
        return true;
    }
bad:
    rpc_reply_error(r, RPC_INVALID_PARAMS,
                    "invalid params: block must be a tag, a hex number or {blockHash}");
    return false;
}

static void call_common(void *ctx, const json_t *params, rpc_reply_t *r, bool estimate)
{
    if (!ops(ctx) || !ops(ctx)->call) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND, "the method does not exist/is not available");
        return;
    }
    rpc_call_args_t a;
    memset(&a, 0, sizeof(a));
    if (!rpc__arity(params, 1, 3, r) || !call_block(ctx, params, &a.block, r))
        return;
    buf_init(&a.data, RPC_MAX_BODY_BYTES);
    rpc_call_result_t res;
    memset(&res, 0, sizeof(res));
    buf_init(&res.output, RPC_MAX_RESPONSE_BYTES / 2);
    if (parse_call(params, &a, r)) {
        ops(ctx)->call(ud(ctx), &a, estimate, &res);
        if (res.code == 0) {
            r->result = estimate ? rpc__quantity(res.gas) : rpc__data(res.output.p, res.output.n);
        } else {
            rpc_reply_error(r, res.code, "%s", res.message);
            if (res.code == RPC_EXECUTION_REVERTED)
                r->data = rpc__data(res.output.p, res.output.n);
        }
    }
    buf_deinit(&res.output);
    buf_deinit(&a.data);
}

static void eth_call(void *ctx, const json_t *params, rpc_reply_t *r)
{
    call_common(ctx, params, r, false);
}

static void eth_estimate_gas(void *ctx, const json_t *params, rpc_reply_t *r)
{
    call_common(ctx, params, r, true);
}

static void gas_price(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 0, 0, r))
        return;
    u256_t p = u256_from_u64(0), t = u256_from_u64(0);
    if (ops(ctx) && ops(ctx)->fees)
        ops(ctx)->fees(ud(ctx), &p, &t);
    r->result = quantity256(p);
}

static void max_priority_fee(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 0, 0, r))
        return;
    u256_t p = u256_from_u64(0), t = u256_from_u64(0);
    if (ops(ctx) && ops(ctx)->fees)
        ops(ctx)->fees(ud(ctx), &p, &t);
    r->result = quantity256(t);
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
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
    } else {
        r->result = json_pack("{s:{s:s,s:n,s:n,s:n},s:{s:s,s:{s:o,s:o,s:o}}}", "l1", "status",
                              "disabled", "latest", "finalized", "processed", "l2", "status",
                              "synced", "fcs", "head", block_ref(t, head), "safe",
                              block_ref(t, head), "finalized", block_ref(t, head));
    }
    db_txn_abort(t);
}

void rpc_register_node(rpc_registry_t *reg)
{
    rpc__register_eth_fees(reg);
    rpc__register_subs(reg);
    static const rpc_method_t methods[] = {
        { "eth_sendRawTransaction", RPC_NS_ETH, send_raw },
        { "eth_call", RPC_NS_ETH, eth_call },
        { "eth_estimateGas", RPC_NS_ETH, eth_estimate_gas },
        { "eth_gasPrice", RPC_NS_ETH, gas_price },
        { "eth_maxPriorityFeePerGas", RPC_NS_ETH, max_priority_fee },
        { "txpool_status", RPC_NS_TXPOOL, txpool_status },
        { "rollupNode_getBlockSignature", RPC_NS_ROLLUP_NODE, block_signature },
        { "rollupNode_status", RPC_NS_ROLLUP_NODE, status },
        { "rollupNodeAdmin_enableAutomaticSequencing", RPC_NS_ROLLUP_NODE_ADMIN, enable_seq },
        { "rollupNodeAdmin_disableAutomaticSequencing", RPC_NS_ROLLUP_NODE_ADMIN, disable_seq },
    };
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (rpc_registry_add(reg, &methods[i]) != ERR_OK)
            PANIC("duplicate RPC method %s", methods[i].name);
}
