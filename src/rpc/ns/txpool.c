/* txpool namespace (geth): txpool_content, txpool_contentFrom, txpool_inspect. txpool_status is
 * in eth_tx.c. Transactions are grouped by sender (checksum address) and nonce (decimal). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "primitives/primitives.h"
#include "rpc/ns/ns.h"
#include "rpc/rpc_int.h"

typedef struct collect {
    json_t *pending, *queued;
    bool inspect;
    bool filter;
    addr_t only;
} collect_t;

static void visit(void *vud, bview_t raw, const addr_t *sender, bool pending)
{
    collect_t *c = vud;
    if (c->filter && !addr_eq(&c->only, sender))
        return;
    tx_t tx;
    if (tx_decode(&tx, raw) != ERR_OK)
        return;
    hash_t h = keccak256_hash(raw.p, raw.n);
    char a[43], nonce[24];
    addr_to_checksum_hex(a, sender);
    snprintf(nonce, sizeof(nonce), "%" PRIu64, tx.nonce);
    json_t *group = pending ? c->pending : c->queued;
    json_t *by_sender = c->filter ? group : json_object_get(group, a);
    if (!by_sender) {
        by_sender = json_object();
        json_object_set_new(group, a, by_sender);
    }
    json_t *v;
    if (c->inspect) {
        /* "0xto: 1 wei + 21000 gas × 2 wei" (geth's summary line). */
        char to[43] = "contract creation", val[79], price[79];
        if (tx.has_to)
            addr_to_checksum_hex(to, &tx.to);
        u256_to_dec(val, tx.value);
        bool market = tx.type == TX_DYNAMIC_FEE || tx.type == TX_SET_CODE;
        u256_to_dec(price, market ? tx.max_fee : tx.gas_price);
        char line[256];
        snprintf(line, sizeof(line), "%s: %s wei + %" PRIu64 " gas × %s wei", to, val, tx.gas_limit,
                 price);
        v = json_string(line);
    } else {
        v = rpc__tx_json(&tx, &h, sender, NULL, NULL, 0);
    }
    json_object_set_new(by_sender, nonce, v);
    tx_deinit(&tx);
}

static void content_common(void *ctx, const json_t *params, rpc_reply_t *r, bool inspect, bool from)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, from ? 1 : 0, from ? 1 : 0, r))
        return;
    collect_t col = { .pending = json_object(), .queued = json_object(), .inspect = inspect };
    if (from) {
        const char *s = json_string_value(rpc__param(params, 0));
        if (!s || addr_from_hex(&col.only, s, strlen(s)) != ERR_OK) {
            json_decref(col.pending);
            json_decref(col.queued);
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: argument 0 must be a 20-byte address");
            return;
        }
        col.filter = true;
    }
    if (c->node && c->node->pool_visit)
        c->node->pool_visit(c->ud, visit, &col);
    r->result = json_pack("{s:o,s:o}", "pending", col.pending, "queued", col.queued);
}

static void content(void *ctx, const json_t *params, rpc_reply_t *r)
{
    content_common(ctx, params, r, false, false);
}

static void content_from(void *ctx, const json_t *params, rpc_reply_t *r)
{
    content_common(ctx, params, r, false, true);
}

static void inspect(void *ctx, const json_t *params, rpc_reply_t *r)
{
    content_common(ctx, params, r, true, false);
}

void rpc__register_txpool(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "txpool_content", RPC_NS_TXPOOL, content },
        { "txpool_contentFrom", RPC_NS_TXPOOL, content_from },
        { "txpool_inspect", RPC_NS_TXPOOL, inspect },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
