/* eth namespace over the database: the head and the state at any block (blocks, transactions,
 * receipts and logs are in eth_blocks.c). */
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"
#include "rpc/ns/ns.h"
#include "state/state.h"

static void eth_block_number(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t head = 0;
    if (db_meta_get_u64(t, "head_number", &head) != ERR_OK)
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
    else
        r->result = rpc__quantity(head);
    db_txn_abort(t);
}

/* State reads at a block (rpc__block_param): the backend reads the state after that block
 * (state history). `name` names the parameter in errors. */
static bool state_at(db_txn_t *t, const json_t *block, const char *name, state_backend_t *be,
                     void **be_ctx, rpc_reply_t *r)
{
    uint64_t n;
    *be_ctx = NULL;
    if (!rpc__block_param(t, block, name, &n, NULL, r))
        return false;
    if (state_db_backend_at(t, n, be, be_ctx) != ERR_OK) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "state for block %llu is not available",
                        (unsigned long long)n);
        return false;
    }
    return true;
}

static bool addr_param(const json_t *params, size_t i, addr_t *a, rpc_reply_t *r)
{
    const char *s = json_string_value(rpc__param(params, i));
    if (!s || strncmp(s, "0x", 2) != 0 || addr_from_hex(a, s, strlen(s)) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument %zu must be a 20-byte address", i);
        return false;
    }
    return true;
}

typedef enum acct_field {
    FIELD_BALANCE,
    FIELD_NONCE,
    FIELD_CODE,
} acct_field_t;

static void account_read(const rpc_ctx_t *c, const json_t *params, acct_field_t field,
                         rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 2, r))
        return;
    addr_t a;
    if (!addr_param(params, 0, &a, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    state_backend_t be;
    void *be_ctx;
    if (state_at(t, rpc__param(params, 1), "argument 1 (block)", &be, &be_ctx, r)) {
        state_account_t acc = { .code_hash = KECCAK_EMPTY };
        if (!be.get_account(be.ctx, &a, &acc))
            acc.code_hash = KECCAK_EMPTY;
        if (field == FIELD_BALANCE) {
            r->result = rpc__quantity256(acc.balance);
        } else if (field == FIELD_NONCE) {
            /* "pending" counts the sender's gap-free pooled transactions (wallets sending
             * several transactions before the first is mined rely on it). */
            const char *tag = json_string_value(rpc__param(params, 1));
            uint64_t n = acc.nonce;
            if (tag && !strcmp(tag, "pending") && c->node && c->node->pool_next_nonce)
                n = c->node->pool_next_nonce(c->ud, &a, n);
            r->result = rpc__quantity(n);
        } else {
            bview_t code = hash_eq(&acc.code_hash, &KECCAK_EMPTY)
                               ? bview(NULL, 0)
                               : be.get_code(be.ctx, &acc.code_hash);
            r->result = rpc__data(code.p, code.n);
        }
        state_db_backend_at_free(be_ctx);
    }
    db_txn_abort(t);
}

static void eth_get_balance(void *ctx, const json_t *params, rpc_reply_t *r)
{
    account_read(ctx, params, FIELD_BALANCE, r);
}

static void eth_get_transaction_count(void *ctx, const json_t *params, rpc_reply_t *r)
{
    account_read(ctx, params, FIELD_NONCE, r);
}

static void eth_get_code(void *ctx, const json_t *params, rpc_reply_t *r)
{
    account_read(ctx, params, FIELD_CODE, r);
}

static void eth_get_storage_at(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 2, 3, r))
        return;
    addr_t a;
    if (!addr_param(params, 0, &a, r))
        return;
    const char *ks = json_string_value(rpc__param(params, 1));
    u256_t slot;
    if (!ks || u256_from_hex(ks, strlen(ks), &slot) != ERR_OK) {
        rpc_reply_error(
            r, RPC_INVALID_PARAMS,
            "invalid params: argument 1 must be a storage slot (hex, at most 32 bytes)");
        return;
    }
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    state_backend_t be;
    void *be_ctx;
    if (state_at(t, rpc__param(params, 2), "argument 2 (block)", &be, &be_ctx, r)) {
        uint8_t word[32];
        u256_to_be(word, be.get_storage(be.ctx, &a, &slot));
        r->result = rpc__data(word, 32);
        state_db_backend_at_free(be_ctx);
    }
    db_txn_abort(t);
}

void rpc__register_eth_chain(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "eth_blockNumber", RPC_NS_ETH, eth_block_number },
        { "eth_getBalance", RPC_NS_ETH, eth_get_balance },
        { "eth_getTransactionCount", RPC_NS_ETH, eth_get_transaction_count },
        { "eth_getCode", RPC_NS_ETH, eth_get_code },
        { "eth_getStorageAt", RPC_NS_ETH, eth_get_storage_at },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
    rpc__register_eth_blocks(reg);
}
