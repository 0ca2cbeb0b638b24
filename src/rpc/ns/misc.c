/* Small methods clients probe at start-up: eth_syncing, eth_accounts, eth_protocolVersion,
 * eth_mining, eth_hashrate, and the admin namespace (nodeInfo, peers, addPeer and friends).
 * The node has no devp2p stack yet: admin reports no peers and refuses peer changes clearly. */
#include <stdio.h>
#include <string.h>

#include "rpc/ns/ns.h"
#include "rpc/rpc_int.h"

static void syncing(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (rpc__arity(params, 0, 0, r))
        r->result = json_false(); /* a sequencer is always at its own head */
}

static void accounts(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (rpc__arity(params, 0, 0, r))
        r->result = json_array(); /* the node holds no user keys */
}

static void protocol_version(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (rpc__arity(params, 0, 0, r))
        r->result = json_string("0x44"); /* eth/68 */
}

static void mining(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (rpc__arity(params, 0, 0, r))
        r->result = json_false();
}

static void hashrate(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (rpc__arity(params, 0, 0, r))
        r->result = json_string("0x0");
}

static void node_info(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    r->result = json_pack("{s:s,s:s,s:s,s:s,s:{s:i,s:i},s:{}}", "name", rpc_client_version(), "id",
                          "", "enode", "", "ip", "127.0.0.1", "ports", "discovery", 0, "listener",
                          0, "protocols");
    char chain[32];
    snprintf(chain, sizeof(chain), "%llu", (unsigned long long)c->chain_id);
    json_object_set_new(r->result, "chainId", json_string(chain));
}

static void peers(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (rpc__arity(params, 0, 0, r))
        r->result = json_array();
}

static void no_p2p(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    (void)params;
    rpc_reply_error(r, RPC_SERVER_ERROR, "peer-to-peer networking is not available in this build");
}

void rpc__register_misc(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "eth_syncing", RPC_NS_ETH, syncing },
        { "eth_accounts", RPC_NS_ETH, accounts },
        { "eth_protocolVersion", RPC_NS_ETH, protocol_version },
        { "eth_mining", RPC_NS_ETH, mining },
        { "eth_hashrate", RPC_NS_ETH, hashrate },
        { "admin_nodeInfo", RPC_NS_ADMIN, node_info },
        { "admin_peers", RPC_NS_ADMIN, peers },
        { "admin_addPeer", RPC_NS_ADMIN, no_p2p },
        { "admin_removePeer", RPC_NS_ADMIN, no_p2p },
        { "admin_addTrustedPeer", RPC_NS_ADMIN, no_p2p },
        { "admin_removeTrustedPeer", RPC_NS_ADMIN, no_p2p },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
