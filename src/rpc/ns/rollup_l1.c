/* rollupNode_getL1MessageByIndex(index) and rollupNode_getL1MessageByKey(key) (ROLLUP-NODE.md
 * §4): an L1 message the node knows, with the L1 block that carried it and the L2 block that
 * included it, or null. Shape: {transaction: {queueIndex, gas, to, value, input, sender},
 * transactionHash, l1BlockNumber, l2BlockNumber (null until included), queueHash (null: the
 * queue hash comes with the L1 watcher)}. */
#include <string.h>

#include "chain/chain.h"
#include "db/db.h"
#include "primitives/primitives.h"
#include "rpc/ns/ns.h"
#include "rpc/rpc_int.h"

static json_t *message_json(const chain_l1_message_t *m)
{
    tx_t tx;
    if (tx_decode(&tx, bview(m->raw, m->raw_len)) != ERR_OK)
        return NULL;
    json_t *t = json_object();
    json_object_set_new(t, "queueIndex", rpc__quantity(tx.queue_index));
    json_object_set_new(t, "gas", rpc__quantity(tx.gas_limit));
    json_object_set_new(t, "to", rpc__data(tx.to.b, 20));
    json_object_set_new(t, "value", rpc__quantity256(tx.value));
    json_object_set_new(t, "input", rpc__data(tx.data, tx.data_len));
    json_object_set_new(t, "sender", rpc__data(tx.sender.b, 20));
    tx_deinit(&tx);
    json_t *o = json_object();
    json_object_set_new(o, "transaction", t);
    json_object_set_new(o, "transactionHash", rpc__data(m->tx_hash.b, 32));
    json_object_set_new(o, "l1BlockNumber", rpc__quantity(m->l1_block));
    json_object_set_new(o, "l2BlockNumber", m->included ? rpc__quantity(m->l2_block) : json_null());
    json_object_set_new(o, "queueHash", json_null());
    return o;
}

/* A queue index: a JSON integer or a hex quantity. */
static bool index_value(const json_t *v, uint64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return false;
    uint64_t x = 0;
    for (size_t i = 2; i < n; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return false;
        x = (x << 4) | (uint64_t)d;
    }
    *out = x;
    return true;
}

static void reply_message(void *ctx, bool by_hash, uint64_t index, const hash_t *h, rpc_reply_t *r)
{
    db_txn_t *t;
    if (db_txn_begin(((const rpc_ctx_t *)ctx)->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        return;
    }
    err_t e = by_hash ? chain_l1_find(t, h, &index) : ERR_OK;
    chain_l1_message_t m;
    if (!e)
        e = chain_l1_get_message(t, index, &m);
    db_txn_abort(t);
    if (e == ERR_NOT_FOUND) {
        r->result = json_null();
        return;
    }
    if (e) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "cannot read the L1 message: %s", err_str(e));
        return;
    }
    r->result = message_json(&m);
    chain_l1_message_deinit(&m);
    if (!r->result)
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored L1 message is malformed");
}

static void by_index(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    uint64_t index;
    if (!index_value(rpc__param(params, 0), &index)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: index must be a queue index (a number or 0x quantity)");
        return;
    }
    reply_message(ctx, false, index, NULL, r);
}

/* key: a queue index, a transaction hash, or {"queueIndex": n} / {"transactionHash": h}. */
static void by_key(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    const json_t *k = rpc__param(params, 0);
    const json_t *v;
    if (json_is_object(k) && (v = json_object_get(k, "queueIndex")) != NULL)
        k = v;
    else if (json_is_object(k) && (v = json_object_get(k, "transactionHash")) != NULL)
        k = v;
    uint64_t index;
    hash_t h;
    if (json_is_string(k) && strlen(json_string_value(k)) == 66 &&
        hash_from_hex(&h, json_string_value(k), 66) == ERR_OK) {
        reply_message(ctx, true, 0, &h, r);
    } else if (index_value(k, &index)) {
        reply_message(ctx, false, index, NULL, r);
    } else {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: key must be a queue index or a 32-byte transaction hash");
    }
}

void rpc__register_rollup_l1(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "rollupNode_getL1MessageByIndex", RPC_NS_ROLLUP_NODE, by_index },
        { "rollupNode_getL1MessageByKey", RPC_NS_ROLLUP_NODE, by_key },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
