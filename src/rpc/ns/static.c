/* Namespaces that need no chain state: web3, net, rpc, and eth_chainId. */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "rpc/ns/ns.h"

const json_t *rpc__param(const json_t *params, size_t i)
{
    const json_t *v = params ? json_array_get(params, i) : NULL;
    return v && !json_is_null(v) ? v : NULL;
}

bool rpc__arity(const json_t *params, size_t min, size_t max, rpc_reply_t *r)
{
    size_t n = params ? json_array_size(params) : 0;
    if (n < min || n > max) {
        if (min == max)
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: expected %zu argument%s, got %zu", min,
                            min == 1 ? "" : "s", n);
        else
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: expected %zu to %zu arguments, got %zu", min, max, n);
        return false;
    }
    return true;
}

bool rpc__param_bytes(const json_t *params, size_t i, buf_t *out, rpc_reply_t *r)
{
    const json_t *v = rpc__param(params, i);
    const char *s = json_string_value(v);
    if (!s || strncmp(s, "0x", 2) != 0 || hex_decode_buf(out, s, strlen(s)) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument %zu must be hex data with a 0x prefix", i);
        return false;
    }
    return true;
}

json_t *rpc__quantity(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "0x%llx", (unsigned long long)v);
    return json_string(s);
}

json_t *rpc__quantity256(u256_t v)
{
    char s[67];
    u256_to_hex(s, v);
    return json_string(s);
}

db_txn_t *rpc__read_txn(const rpc_ctx_t *c, rpc_reply_t *r)
{
    db_txn_t *t = NULL;
    if (!c->db || db_txn_begin(c->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        return NULL;
    }
    return t;
}

bool rpc__param_hash(const json_t *params, size_t i, hash_t *out, rpc_reply_t *r)
{
    const char *s = json_string_value(rpc__param(params, i));
    if (!s || s[0] != '0' || s[1] != 'x' || hash_from_hex(out, s, strlen(s)) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument %zu must be a 32-byte hash with a 0x prefix", i);
        return false;
    }
    return true;
}

void rpc__register_methods(rpc_registry_t *reg, const rpc_method_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rpc_registry_add(reg, &m[i]) != ERR_OK)
            PANIC("duplicate RPC method %s", m[i].name);
}

json_t *rpc__data(const uint8_t *p, size_t n)
{
    char *s = rn_malloc(2 * n + 3);
    hex_encode_0x(s, p, n);
    json_t *j = json_string(s);
    rn_free(s);
    return j;
}

static void web3_client_version(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    r->result = json_string(rpc_client_version());
}

static void web3_sha3(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (!rpc__arity(params, 1, 1, r))
        return;
    buf_t b;
    buf_init(&b, RPC_MAX_BODY_BYTES);
    if (rpc__param_bytes(params, 0, &b, r)) {
        hash_t h = keccak256_hash(b.p, b.n);
        r->result = rpc__data(h.b, 32);
    }
    buf_deinit(&b);
}

static void net_version(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    char s[24];
    snprintf(s, sizeof(s), "%llu", (unsigned long long)c->chain_id);
    r->result = json_string(s);
}

static void net_listening(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    r->result = json_true();
}

static void net_peer_count(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    r->result = rpc__quantity(c->peer_count ? c->peer_count(c->ud) : 0);
}

static void eth_chain_id(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    r->result = rpc__quantity(c->chain_id);
}

/* rpc_modules lists the namespaces this listener serves, with version "1.0" (geth and reth). */
static void rpc_modules(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    json_t *o = json_object();
    for (uint32_t bit = 1; bit && bit <= RPC_NS_ROLLUP_NODE_ADMIN; bit <<= 1) {
        if (c->ns_enabled & bit)
            json_object_set_new(o, rpc_ns_name(bit), json_string("1.0"));
    }
    r->result = o;
}

void rpc__register_static(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "web3_clientVersion", RPC_NS_WEB3, web3_client_version },
        { "web3_sha3", RPC_NS_WEB3, web3_sha3 },
        { "net_version", RPC_NS_NET, net_version },
        { "net_listening", RPC_NS_NET, net_listening },
        { "net_peerCount", RPC_NS_NET, net_peer_count },
        { "eth_chainId", RPC_NS_ETH, eth_chain_id },
        { "rpc_modules", RPC_NS_RPC, rpc_modules },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}

const char *rpc_client_version(void)
{
#define RN_STR2_(x) #x
#define RN_STR_(x)  RN_STR2_(x)
    return "rollup-node/v" RN_VERSION "/linux-x86_64/gcc-" RN_STR_(__GNUC__) "." RN_STR_(
        __GNUC_MINOR__) "." RN_STR_(__GNUC_PATCHLEVEL__);
}

void rpc_register_all(rpc_registry_t *reg)
{
    rpc__register_static(reg);
    rpc__register_eth_chain(reg);
}
