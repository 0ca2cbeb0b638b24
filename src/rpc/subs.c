/* Subscriptions and filters: eth_subscribe / eth_unsubscribe over WebSocket (newHeads, logs,
 * newPendingTransactions) and the polling filters (eth_newFilter, eth_newBlockFilter,
 * eth_newPendingTransactionFilter, eth_getFilterChanges, eth_getFilterLogs, eth_uninstallFilter).
 *
 * The node publishes events (rpc_publish_block, rpc_publish_pending_tx); the hub matches them
 * against every subscription: WebSocket ones are pushed to their connection's worker, filters
 * keep them until polled. Filters not polled for 5 minutes are removed (geth). */
#define LOG_TARGET "rpc::server"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "rpc/ns/ns.h"
#include "rpc/rpc_int.h"

enum {
    FILTER_TIMEOUT_US = 5 * 60 * 1000000,
    FILTER_MAX_ITEMS = 10000, /* per filter; older items are dropped first */
    HUB_MAX_SUBS = 10000,
};

typedef enum sub_kind {
    SUB_HEADS = 0,
    SUB_LOGS = 1,
    SUB_PENDING = 2,
} sub_kind_t;

typedef struct sub {
    char id[35]; /* "0x" + 32 hex digits */
    sub_kind_t kind;
    json_t *criteria; /* logs: {address, topics} (owned) */
    bool ws;
    rpc_sink_t sink; /* ws */
    json_t *pending; /* filters: accumulated items (owned array) */
    uint64_t last_poll_us;
} sub_t;

struct rpc_hub {
    pthread_mutex_t mu;
    sub_t *subs;
    size_t n, cap;
};

_Thread_local const rpc_sink_t *rpc__current_sink;

rpc_hub_t *rpc__hub_new(void)
{
    rpc_hub_t *h = RN_NEW(rpc_hub_t);
    pthread_mutex_init(&h->mu, NULL);
    return h;
}

static void sub_clear(sub_t *s)
{
    json_decref(s->criteria);
    json_decref(s->pending);
}

void rpc__hub_free(rpc_hub_t *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        sub_clear(&h->subs[i]);
    rn_free(h->subs);
    pthread_mutex_destroy(&h->mu);
    rn_free(h);
}

static void remove_at(rpc_hub_t *h, size_t i)
{
    sub_clear(&h->subs[i]);
    h->subs[i] = h->subs[--h->n];
}

/* Under the lock: drop filters nobody polled for FILTER_TIMEOUT_US. */
static void expire(rpc_hub_t *h, uint64_t now)
{
    for (size_t i = 0; i < h->n;) {
        if (!h->subs[i].ws && now - h->subs[i].last_poll_us > FILTER_TIMEOUT_US)
            remove_at(h, i);
        else
            i++;
    }
}

void rpc__hub_drop_conn(rpc_hub_t *h, void *worker, uint64_t conn_id)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->n;) {
        sub_t *s = &h->subs[i];
        if (s->ws && s->sink.worker == worker && s->sink.conn_id == conn_id)
            remove_at(h, i);
        else
            i++;
    }
    pthread_mutex_unlock(&h->mu);
}

/* ---- log criteria ---- */

static bool hex_eq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static bool valid_hex(const json_t *v, size_t bytes)
{
    const char *s = json_string_value(v);
    uint8_t tmp[32];
    return s && bytes <= 32 && hex_decode_fixed(tmp, bytes, s, strlen(s)) == ERR_OK;
}

/* {address: a | [a…], topics: [null | t | [t…]]…} — checked once at creation. */
static bool criteria_valid(const json_t *c, char *why, size_t wl)
{
    const json_t *a = json_object_get(c, "address");
    if (a && !json_is_null(a)) {
        if (json_is_array(a)) {
            size_t i;
            const json_t *x;
            json_array_foreach(a, i, x)
            {
                if (!valid_hex(x, 20)) {
                    snprintf(why, wl, "invalid params: address %zu is not a 20-byte address", i);
                    return false;
                }
            }
        } else if (!valid_hex(a, 20)) {
            snprintf(why, wl, "invalid params: address is not a 20-byte address");
            return false;
        }
    }
    const json_t *t = json_object_get(c, "topics");
    if (t && !json_is_null(t)) {
        if (!json_is_array(t) || json_array_size(t) > 4) {
            snprintf(why, wl, "invalid params: topics must be an array of at most 4 entries");
            return false;
        }
        size_t i;
        const json_t *x;
        json_array_foreach(t, i, x)
        {
            if (json_is_null(x))
                continue;
            if (json_is_array(x)) {
                size_t j;
                const json_t *y;
                json_array_foreach(x, j, y)
                {
                    if (!json_is_null(y) && !valid_hex(y, 32)) {
                        snprintf(why, wl, "invalid params: topic %zu.%zu is not 32 bytes", i, j);
                        return false;
                    }
                }
            } else if (!valid_hex(x, 32)) {
                snprintf(why, wl, "invalid params: topic %zu is not 32 bytes", i);
                return false;
            }
        }
    }
    return true;
}

static bool log_matches(const json_t *crit, const json_t *log)
{
    const char *addr = json_string_value(json_object_get(log, "address"));
    const json_t *a = json_object_get(crit, "address");
    if (json_is_string(a) && !hex_eq(json_string_value(a), addr))
        return false;
    if (json_is_array(a) && json_array_size(a)) {
        bool any = false;
        size_t i;
        const json_t *x;
        json_array_foreach(a, i, x) any = any || hex_eq(json_string_value(x), addr);
        if (!any)
            return false;
    }
    const json_t *t = json_object_get(crit, "topics");
    const json_t *lt = json_object_get(log, "topics");
    size_t i;
    const json_t *x;
    json_array_foreach(t, i, x)
    {
        if (json_is_null(x))
            continue;
        if (i >= json_array_size(lt))
            return false;
        const char *have = json_string_value(json_array_get(lt, i));
        if (json_is_string(x)) {
            if (!hex_eq(json_string_value(x), have))
                return false;
        } else if (json_is_array(x) && json_array_size(x)) {
            bool any = false;
            size_t j;
            const json_t *y;
            json_array_foreach(x, j, y) any =
                any || json_is_null(y) || hex_eq(json_string_value(y), have);
            if (!any)
                return false;
        }
    }
    return true;
}

/* ---- publishing ---- */

/* Compact JSON text in our allocator (freed with rn_free), or NULL. */
static char *dump(const json_t *v)
{
    size_t n = v ? json_dumpb(v, NULL, 0, JSON_COMPACT) : 0;
    if (n == 0)
        return NULL;
    char *t = rn_malloc(n + 1);
    json_dumpb(v, t, n, JSON_COMPACT);
    t[n] = 0;
    return t;
}

static void deliver(sub_t *s, json_t *item)
{
    if (!s->ws) {
        if (json_array_size(s->pending) >= FILTER_MAX_ITEMS)
            json_array_remove(s->pending, 0);
        json_array_append(s->pending, item);
        return;
    }
    json_t *msg = json_pack("{s:s,s:s,s:{s:s,s:O}}", "jsonrpc", "2.0", "method", "eth_subscription",
                            "params", "subscription", s->id, "result", item);
    char *text = dump(msg);
    json_decref(msg);
    if (text)
        s->sink.push(s->sink.worker, s->sink.conn_id, text);
}

static void publish(rpc_hub_t *h, sub_kind_t kind, json_t *item, json_t *block_hash)
{
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->n; i++) {
        sub_t *s = &h->subs[i];
        if (s->kind != kind)
            continue;
        if (kind == SUB_LOGS && !log_matches(s->criteria, item))
            continue;
        /* Block filters collect hashes; newHeads subscriptions get the header. */
        deliver(s, kind == SUB_HEADS && !s->ws ? block_hash : item);
    }
    pthread_mutex_unlock(&h->mu);
}

json_t *rpc_header_json(const header_t *h, const hash_t *hash)
{
    json_t *o = json_object();
    json_object_set_new(o, "hash", rpc__data(hash->b, 32));
    json_object_set_new(o, "parentHash", rpc__data(h->parent_hash.b, 32));
    json_object_set_new(o, "sha3Uncles", rpc__data(h->ommers_hash.b, 32));
    json_object_set_new(o, "miner", rpc__data(h->coinbase.b, 20));
    json_object_set_new(o, "stateRoot", rpc__data(h->state_root.b, 32));
    json_object_set_new(o, "transactionsRoot", rpc__data(h->tx_root.b, 32));
    json_object_set_new(o, "receiptsRoot", rpc__data(h->receipts_root.b, 32));
    json_object_set_new(o, "logsBloom", rpc__data(h->bloom, 256));
    json_object_set_new(o, "difficulty", rpc__quantity256(h->difficulty));
    json_object_set_new(o, "number", rpc__quantity(h->number));
    json_object_set_new(o, "gasLimit", rpc__quantity(h->gas_limit));
    json_object_set_new(o, "gasUsed", rpc__quantity(h->gas_used));
    json_object_set_new(o, "timestamp", rpc__quantity(h->timestamp));
    json_object_set_new(o, "extraData", rpc__data(h->extra, h->extra_len));
    json_object_set_new(o, "mixHash", rpc__data(h->mix_hash.b, 32));
    uint8_t nonce[8];
    be_store64(nonce, h->nonce);
    json_object_set_new(o, "nonce", rpc__data(nonce, 8));
    if (h->has_base_fee)
        json_object_set_new(o, "baseFeePerGas", rpc__quantity256(h->base_fee));
    return o;
}

void rpc_publish_block(const rpc_registry_t *reg, const block_t *b, const hash_t *hash,
                       const chain_receipts_t *rs)
{
    rpc_hub_t *h = rpc__registry_hub(reg);
    pthread_mutex_lock(&h->mu);
    bool any = h->n > 0;
    pthread_mutex_unlock(&h->mu);
    if (!any)
        return; /* nobody listens: build nothing */
    json_t *bh = rpc__data(hash->b, 32);
    json_t *head = rpc_header_json(&b->header, hash);
    publish(h, SUB_HEADS, head, bh);
    json_decref(head);
    uint64_t log_index = 0;
    for (size_t i = 0; i < rs->n && i < b->ntxs; i++) {
        hash_t th;
        if (rs->r[i].nlogs == 0)
            continue;
        if (rs->tx_hash) /* the builder's */
            th = rs->tx_hash[i];
        else if (tx_hash(&b->txs[i], &th) != ERR_OK)
            continue;
        for (size_t j = 0; j < rs->r[i].nlogs; j++, log_index++) {
            const log_t *l = &rs->r[i].logs[j];
            json_t *topics = json_array();
            for (unsigned k = 0; k < l->ntopics; k++)
                json_array_append_new(topics, rpc__data(l->topics[k].b, 32));
            json_t *o = json_pack(
                "{s:o,s:o,s:o,s:o,s:o,s:o,s:O,s:o,s:b}", "address", rpc__data(l->addr.b, 20),
                "topics", topics, "data", rpc__data(l->data, l->data_len), "blockNumber",
                rpc__quantity(b->header.number), "transactionHash", rpc__data(th.b, 32),
                "transactionIndex", rpc__quantity(i), "blockHash", bh, "logIndex",
                rpc__quantity(log_index), "removed", 0);
            publish(h, SUB_LOGS, o, NULL);
            json_decref(o);
        }
    }
    json_decref(bh);
}

void rpc_publish_pending_tx(const rpc_registry_t *reg, const hash_t *tx_hash)
{
    rpc_hub_t *h = rpc__registry_hub(reg);
    json_t *v = rpc__data(tx_hash->b, 32);
    publish(h, SUB_PENDING, v, NULL);
    json_decref(v);
}

/* ---- methods ---- */

static rpc_hub_t *hub_of(void *ctx)
{
    const rpc_ctx_t *c = ctx;
    return c && c->registry ? rpc__registry_hub(c->registry) : NULL;
}

static bool add_sub(rpc_hub_t *h, sub_t *s, rpc_reply_t *r)
{
    if (!h) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "subscriptions are not available");
        return false;
    }
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no randomness for the id");
        return false;
    }
    hex_encode_0x(s->id, rnd, 16);
    s->last_poll_us = clock_unix_us();
    pthread_mutex_lock(&h->mu);
    expire(h, s->last_poll_us);
    if (h->n >= HUB_MAX_SUBS) {
        pthread_mutex_unlock(&h->mu);
        rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "too many subscriptions and filters (limit %d)",
                        HUB_MAX_SUBS);
        return false;
    }
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->subs = rn_realloc(h->subs, h->cap * sizeof(sub_t));
    }
    h->subs[h->n++] = *s;
    pthread_mutex_unlock(&h->mu);
    r->result = json_string(s->id);
    return true;
}

static void eth_subscribe(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_sink_t *sink = rpc__current_sink;
    if (!sink) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND, "notifications not supported: use a WebSocket");
        return;
    }
    if (!rpc__arity(params, 1, 2, r))
        return;
    const char *kind = json_string_value(json_array_get(params, 0));
    sub_t s = { .ws = true, .sink = *sink };
    if (kind && !strcmp(kind, "newHeads")) {
        s.kind = SUB_HEADS;
    } else if (kind && !strcmp(kind, "newPendingTransactions")) {
        s.kind = SUB_PENDING;
    } else if (kind && !strcmp(kind, "logs")) {
        s.kind = SUB_LOGS;
        const json_t *c = rpc__param(params, 1);
        char why[160];
        if (c && (!json_is_object(c) || !criteria_valid(c, why, sizeof(why)))) {
            rpc_reply_error(r, RPC_INVALID_PARAMS, "%s",
                            json_is_object(c) ? why
                                              : "invalid params: the filter must be an object");
            return;
        }
        s.criteria = c ? json_deep_copy(c) : json_object();
    } else {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: unknown subscription '%.64s' (newHeads, logs, "
                        "newPendingTransactions)",
                        kind ? kind : "");
        return;
    }
    if (!add_sub(hub_of(ctx), &s, r))
        sub_clear(&s);
}

static bool remove_id(rpc_hub_t *h, const char *id, bool ws)
{
    bool found = false;
    if (!h)
        return false;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->n && !found; i++) {
        if (h->subs[i].ws == ws && !strcasecmp(h->subs[i].id, id)) {
            remove_at(h, i);
            found = true;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return found;
}

static void eth_unsubscribe(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    const char *id = json_string_value(json_array_get(params, 0));
    if (!id) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: subscription id expected");
        return;
    }
    r->result = json_boolean(remove_id(hub_of(ctx), id, true));
}

static void new_filter_common(void *ctx, sub_kind_t kind, json_t *criteria, rpc_reply_t *r)
{
    sub_t s = { .kind = kind, .criteria = criteria, .pending = json_array() };
    if (!add_sub(hub_of(ctx), &s, r))
        sub_clear(&s);
}

static void eth_new_filter(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    const json_t *c = rpc__param(params, 0);
    char why[160];
    if (!json_is_object(c)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: the filter must be an object");
        return;
    }
    if (!criteria_valid(c, why, sizeof(why))) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "%s", why);
        return;
    }
    new_filter_common(ctx, SUB_LOGS, json_deep_copy(c), r);
}

static void eth_new_block_filter(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (rpc__arity(params, 0, 0, r))
        new_filter_common(ctx, SUB_HEADS, NULL, r);
}

static void eth_new_pending_filter(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (rpc__arity(params, 0, 1, r))
        new_filter_common(ctx, SUB_PENDING, NULL, r);
}

static void eth_get_filter_changes(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    const char *id = json_string_value(json_array_get(params, 0));
    rpc_hub_t *h = hub_of(ctx);
    if (!h) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "filter not found");
        return;
    }
    pthread_mutex_lock(&h->mu);
    uint64_t now = clock_unix_us();
    expire(h, now);
    for (size_t i = 0; id && i < h->n; i++) {
        sub_t *s = &h->subs[i];
        if (!s->ws && !strcasecmp(s->id, id)) {
            r->result = s->pending;
            s->pending = json_array();
            s->last_poll_us = now;
            break;
        }
    }
    pthread_mutex_unlock(&h->mu);
    if (!r->result)
        rpc_reply_error(r, RPC_SERVER_ERROR, "filter not found");
}

static void eth_get_filter_logs(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    const char *id = json_string_value(json_array_get(params, 0));
    rpc_hub_t *h = hub_of(ctx);
    json_t *crit = NULL;
    if (!h) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "filter not found");
        return;
    }
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; id && i < h->n; i++) {
        sub_t *s = &h->subs[i];
        if (!s->ws && s->kind == SUB_LOGS && !strcasecmp(s->id, id)) {
            crit = json_deep_copy(s->criteria);
            s->last_poll_us = clock_unix_us();
        }
    }
    pthread_mutex_unlock(&h->mu);
    if (!crit) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "filter not found");
        return;
    }
    /* The same answer as eth_getLogs with the filter's criteria. */
    const rpc_ctx_t *c = ctx;
    json_t *req = json_pack("{s:s,s:i,s:s,s:[o]}", "jsonrpc", "2.0", "id", 1, "method",
                            "eth_getLogs", "params", crit);
    char *body = dump(req);
    json_decref(req);
    buf_t out;
    buf_init(&out, RPC_MAX_RESPONSE_BYTES);
    if (body)
        rpc_handle_body(c->registry, RPC_NS_ETH, body, strlen(body), &out);
    rn_free(body);
    json_t *resp = json_loadb((const char *)out.p, out.n, 0, NULL);
    buf_deinit(&out);
    json_t *res = json_object_get(resp, "result");
    json_t *err = json_object_get(resp, "error");
    if (res) {
        r->result = json_incref(res);
    } else {
        rpc_reply_error(r, (int)json_integer_value(json_object_get(err, "code")), "%s",
                        json_string_value(json_object_get(err, "message"))
                            ? json_string_value(json_object_get(err, "message"))
                            : "eth_getLogs failed");
    }
    json_decref(resp);
}

static void eth_uninstall_filter(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    const char *id = json_string_value(json_array_get(params, 0));
    if (!id) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: filter id expected");
        return;
    }
    r->result = json_boolean(remove_id(hub_of(ctx), id, false));
}

void rpc__register_subs(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "eth_subscribe", RPC_NS_ETH, eth_subscribe },
        { "eth_unsubscribe", RPC_NS_ETH, eth_unsubscribe },
        { "eth_newFilter", RPC_NS_ETH, eth_new_filter },
        { "eth_newBlockFilter", RPC_NS_ETH, eth_new_block_filter },
        { "eth_newPendingTransactionFilter", RPC_NS_ETH, eth_new_pending_filter },
        { "eth_getFilterChanges", RPC_NS_ETH, eth_get_filter_changes },
        { "eth_getFilterLogs", RPC_NS_ETH, eth_get_filter_logs },
        { "eth_uninstallFilter", RPC_NS_ETH, eth_uninstall_filter },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
