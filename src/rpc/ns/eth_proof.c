/* eth_getProof (EIP-1186): account and storage proofs from the persistent tries. The head's
 * tries answer for the head; a block up to --rpc.eth-proof-window behind it gets tries rebuilt in
 * memory from the history (state_db_past_open, reth's approach); further back answers -32000. */
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "rpc/ns/ns.h"
#include "rpc/rpc_int.h"
#include "state/state.h"

enum {
    PROOF_MAX_SLOTS = 1024,
};

static json_t *nodes_json(const bview_t *nodes, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, rpc__data(nodes[i].p, nodes[i].n));
    return a;
}

/* The EIP-1186 answer for a at the snapshot t (the head). ERR_DB_STALE: t was overtaken by a
 * newer block while the tries' newest nodes are in the write-back cache; retry. */
static err_t prove(db_txn_t *t, uint64_t num, state_past_t *past, const addr_t *a,
                   const u256_t *slots, const json_t *keys, json_t **out)
{
    buf_t buf;
    buf_init(&buf, 1u << 24);
    bview_t nodes[TRIE_PROOF_MAX];
    size_t n;
    hash_t sroot;
    err_t e = state_db_prove_account(t, past, a, &buf, nodes, &n);
    if (!e)
        e = state_db_storage_root(t, past, a, &sroot);
    if (e) {
        buf_deinit(&buf);
        return e;
    }
    state_backend_t be; /* the values at the block */
    void *bctx;
    if ((e = state_db_backend_at(t, num, &be, &bctx)) != ERR_OK) {
        buf_deinit(&buf);
        return e;
    }
    state_account_t acct = { .code_hash = KECCAK_EMPTY };
    bool exists = be.get_account(be.ctx, a, &acct);
    json_t *res = json_object();
    json_object_set_new(res, "address", rpc__data(a->b, 20));
    json_object_set_new(res, "accountProof", nodes_json(nodes, n));
    json_object_set_new(res, "balance", rpc__quantity256(acct.balance));
    json_object_set_new(res, "codeHash", rpc__data(exists ? acct.code_hash.b : KECCAK_EMPTY.b, 32));
    json_object_set_new(res, "nonce", rpc__quantity(acct.nonce));
    json_object_set_new(res, "storageHash", rpc__data(sroot.b, 32));
    json_t *sp = json_array();
    for (size_t i = 0; i < json_array_size(keys) && !e; i++) {
        buf_reset(&buf);
        e = state_db_prove_storage(t, past, a, &slots[i], &buf, nodes, &n);
        if (e)
            break;
        json_array_append_new(sp,
                              json_pack("{s:O,s:o,s:o}", "key", json_array_get(keys, i), "value",
                                        rpc__quantity256(be.get_storage(be.ctx, a, &slots[i])),
                                        "proof", nodes_json(nodes, n)));
    }
    json_object_set_new(res, "storageProof", sp);
    buf_deinit(&buf);
    state_db_backend_at_free(bctx);
    if (e) {
        json_decref(res);
        return e;
    }
    *out = res;
    return ERR_OK;
}

static void get_proof(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 2, 3, r))
        return;
    addr_t a;
    const char *as = json_string_value(rpc__param(params, 0));
    if (!as || addr_from_hex(&a, as, strlen(as)) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument 0 must be a 20-byte address");
        return;
    }
    const json_t *keys = rpc__param(params, 1);
    if (!json_is_array(keys) || json_array_size(keys) > PROOF_MAX_SLOTS) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument 1 must be an array of at most %d storage keys",
                        PROOF_MAX_SLOTS);
        return;
    }
    u256_t *slots = RN_NEWV(u256_t, json_array_size(keys) + 1);
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const char *ks = json_string_value(json_array_get(keys, i));
        if (!ks || u256_from_hex(ks, strlen(ks), &slots[i]) != ERR_OK) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: storage key %zu must be hex of at most 32 bytes", i);
            rn_free(slots);
            return;
        }
    }
    /* The tries' newest nodes may live in the write-back cache, which serves the newest
     * snapshot only (decision 0019): a snapshot overtaken by a new block is retried. */
    int attempts = 0;
retry:
    attempts++;
    db_txn_t *t;
    if (!c->db || db_txn_begin(c->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        rn_free(slots);
        return;
    }
    uint64_t head, num;
    hash_t hh;
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
        goto out;
    }
    if (!rpc__block_param(t, rpc__param(params, 2), "argument 2 (block)", &num, NULL, r))
        goto out;
    if (head - num > c->proof_window) {
        /* reth's EthApiError::ExceedsMaxProofWindow */
        rpc_reply_error(r, RPC_SERVER_ERROR,
                        "distance to target block exceeds maximum proof window (%llu blocks; "
                        "--rpc.eth-proof-window)",
                        (unsigned long long)c->proof_window);
        goto out;
    }
    state_past_t *past = NULL;
    err_t pe = ERR_OK;
    if (num < head)
        pe = state_db_past_open(t, num, &past);
    json_t *res = NULL;
    if (!pe)
        pe = prove(t, num, past, &a, slots, keys, &res);
    state_db_past_free(past);
    if (pe == ERR_DB_STALE && attempts < 20) {
        db_txn_abort(t);
        goto retry;
    }
    if (pe != ERR_OK)
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "cannot build the proof: %s", err_str(pe));
    else
        r->result = res;
out:
    db_txn_abort(t);
    rn_free(slots);
}

void rpc__register_eth_proof(rpc_registry_t *reg)
{
    static const rpc_method_t m = { "eth_getProof", RPC_NS_ETH, get_proof };
    rpc__register_methods(reg, &m, 1);
}
