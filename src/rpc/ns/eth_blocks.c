/* eth namespace over the block store: blocks, transactions, receipts and logs.
 *
 * Output follows geth and reth field for field so viem, ethers and cast parse it; Scroll adds
 * "l1Fee" to receipts and "queueIndex"/"sender" to L1 messages (SCROLL.md §3.2, §4.5). Unknown
 * blocks and transactions answer null, as geth does; malformed parameters answer -32602. */
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"
#include "rpc/ns/ns.h"

enum {
    LOGS_MAX_BLOCK_RANGE = 10000, /**< eth_getLogs: blocks per query */
    LOGS_MAX_RESULTS = 20000,     /**< eth_getLogs: logs per answer (reth's default) */
    LOGS_MAX_TOPICS = 4,
};

static json_t *jaddr(const addr_t *a)
{
    return rpc__data(a->b, 20);
}

static json_t *jhash(const hash_t *h)
{
    return rpc__data(h->b, 32);
}

/* ---- parameters ---- */

/* A "0x…" quantity that fits 64 bits. */
static bool parse_qty(const json_t *v, uint64_t *out)
{
    const char *s = json_string_value(v);
    return s && s[0] == '0' && s[1] == 'x' && s[2] && parse_u64(s, strlen(s), out) == ERR_OK;
}

static bool parse_hash(const json_t *v, hash_t *out)
{
    const char *s = json_string_value(v);
    return s && s[0] == '0' && s[1] == 'x' && hash_from_hex(out, s, strlen(s)) == ERR_OK;
}

static bool parse_addr(const json_t *v, addr_t *out)
{
    const char *s = json_string_value(v);
    return s && s[0] == '0' && s[1] == 'x' && addr_from_hex(out, s, strlen(s)) == ERR_OK;
}

static bool head_number(db_txn_t *t, uint64_t *n, rpc_reply_t *r)
{
    hash_t h;
    if (chain_head(t, n, &h) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
        return false;
    }
    return true;
}

/* A block number or tag (what is named for errors). "latest" and "pending" are the head;
 * "safe" and "finalized" are the head too until the node follows L1 finality; "earliest" is 0. */
static bool block_number(db_txn_t *t, const json_t *p, const char *what, uint64_t *out,
                         rpc_reply_t *r)
{
    const char *s = json_string_value(p);
    if (s && (!strcmp(s, "latest") || !strcmp(s, "pending") || !strcmp(s, "safe") ||
              !strcmp(s, "finalized")))
        return head_number(t, out, r);
    if (s && !strcmp(s, "earliest")) {
        *out = 0;
        return true;
    }
    if (parse_qty(p, out))
        return true;
    rpc_reply_error(r, RPC_INVALID_PARAMS,
                    "invalid params: %s must be a hex block number or one of latest, pending, "
                    "safe, finalized, earliest",
                    what);
    return false;
}

/*
 * Resolve a block parameter to a stored block's hash: a number or tag (block_number), a bare
 * 32-byte block hash (geth and reth take one too), or an EIP-1898 object {"blockNumber": …} or
 * {"blockHash": …, "requireCanonical": bool}. Returns false with an error reply for a malformed
 * parameter; true with *found false when there is no such block (the method answers null).
 */
static bool resolve_block(db_txn_t *t, const json_t *p, const char *what, hash_t *hash, bool *found,
                          rpc_reply_t *r)
{
    *found = false;
    const json_t *bh = NULL, *rc = NULL;
    if (json_is_object(p)) {
        bh = json_object_get(p, "blockHash");
        rc = json_object_get(p, "requireCanonical");
        const json_t *bn = json_object_get(p, "blockNumber");
        if ((bh && bn) || (!bh && !bn)) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: %s must have exactly one of blockHash, blockNumber",
                            what);
            return false;
        }
        if (bn)
            p = bn;
    } else if (json_is_string(p) && json_string_length(p) == 66) {
        bh = p;
    }
    if (bh) {
        if (!parse_hash(bh, hash) || (rc && !json_is_boolean(rc))) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: %s: blockHash must be a 32-byte hash and "
                            "requireCanonical a boolean",
                            what);
            return false;
        }
        header_t h;
        err_t e = chain_read_header(t, hash, &h);
        if (e == ERR_NOT_FOUND)
            return true;
        if (e) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored header is corrupt");
            return false;
        }
        hash_t canon;
        bool canonical =
            chain_canonical_hash(t, h.number, &canon) == ERR_OK && hash_eq(&canon, hash);
        header_deinit(&h);
        if (json_is_true(rc) && !canonical) {
            rpc_reply_error(r, RPC_SERVER_ERROR, "hash is not currently canonical");
            return false;
        }
        *found = true;
        return true;
    }
    uint64_t n;
    if (!block_number(t, p, what, &n, r))
        return false;
    err_t e = chain_canonical_hash(t, n, hash);
    if (e == ERR_NOT_FOUND)
        return true;
    if (e) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "canonical index is corrupt");
        return false;
    }
    *found = true;
    return true;
}

/* ---- a block read from the store ---- */

void rpc__block_free(rpc_block_t *l)
{
    if (!l->b.txs)
        l->b.ntxs = 0; /* a summary: nothing decoded to free */
    block_deinit(&l->b);
    rn_free(l->txh);
    rn_free(l->from);
    rn_free(l->has_from);
    memset(l, 0, sizeof(*l));
}

/* The header (or the whole block), the transaction hashes from the stored bytes, and the size. */
static err_t block_load(db_txn_t *t, const hash_t *hash, rpc_block_t *l, bool txs)
{
    memset(l, 0, sizeof(*l));
    l->hash = *hash;
    size_t ntxs;
    err_t e = txs ? chain_read_block(t, hash, &l->b) : chain_read_header(t, hash, &l->b.header);
    if (!e)
        e = chain_read_block_index(t, hash, &l->txh, &ntxs, &l->size);
    if (!e && txs && ntxs != l->b.ntxs)
        e = ERR_DB_CORRUPT;
    if (e) {
        rpc__block_free(l);
        return e;
    }
    l->b.ntxs = ntxs;
    l->from = RN_NEWV(addr_t, ntxs ? ntxs : 1);
    l->has_from = RN_NEWV(bool, ntxs ? ntxs : 1);
    /* The senders stored with the block; a block stored without them (before schema 4) has
     * each recovered from its signature when asked (rpc__block_sender). */
    if (txs && ntxs && chain_read_senders(t, hash, ntxs, l->from) == ERR_OK)
        for (size_t i = 0; i < ntxs; i++)
            l->has_from[i] = true;
    return ERR_OK;
}

err_t rpc__block_load(db_txn_t *t, const hash_t *hash, rpc_block_t *l)
{
    return block_load(t, hash, l, true);
}

/* Sender of a stored transaction: recovered from the signature, or the L1 message's sender. A
 * stored transaction always has a valid one; a failure would show as the zero address. */
static void recover_sender(const tx_t *tx, addr_t *from)
{
    if (tx_recover_sender(tx, from) != ERR_OK)
        memset(from, 0, sizeof(*from));
}

/* Sender of transaction i of the block `bh`: stored with the block, else recovered. */
static void stored_sender(db_txn_t *t, const hash_t *bh, size_t i, const tx_t *tx, addr_t *from)
{
    if (chain_read_sender_at(t, bh, i, from) != ERR_OK)
        recover_sender(tx, from);
}

const addr_t *rpc__block_sender(rpc_block_t *l, size_t i)
{
    if (!l->has_from[i]) {
        recover_sender(&l->b.txs[i], &l->from[i]);
        l->has_from[i] = true;
    }
    return &l->from[i];
}

/* Load the block with this hash, answering null (false) or an internal error when it cannot. */
static bool load_or_reply(db_txn_t *t, const hash_t *hash, rpc_block_t *l, bool txs, rpc_reply_t *r)
{
    err_t e = block_load(t, hash, l, txs);
    if (e == ERR_NOT_FOUND) {
        r->result = json_null();
        return false;
    }
    if (e) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored block is corrupt");
        return false;
    }
    return true;
}

/* ---- transactions ---- */

static bool is_dynamic_fee(const tx_t *tx)
{
    return tx->type == TX_DYNAMIC_FEE || tx->type == TX_SET_CODE;
}

/* The price paid per gas: EIP-1559 min(maxFee, baseFee + tip) in a block with a base fee; the
 * gas price for legacy and 2930; 0 for L1 messages (SCROLL.md §3.2). */
u256_t rpc__effective_gas_price(const tx_t *tx, const header_t *h)
{
    if (tx->type == TX_L1_MESSAGE)
        return u256_zero();
    if (!is_dynamic_fee(tx))
        return tx->gas_price;
    if (!h->has_base_fee)
        return tx->max_fee;
    u256_t p;
    if (u256_add_overflow(h->base_fee, tx->max_priority_fee, &p) || u256_gt(p, tx->max_fee))
        return tx->max_fee;
    return p;
}

static json_t *access_list_json(const tx_t *tx)
{
    json_t *a = json_array();
    for (size_t i = 0; i < tx->naccess; i++) {
        const access_tuple_t *at = &tx->access_list[i];
        json_t *keys = json_array();
        for (size_t k = 0; k < at->nkeys; k++)
            json_array_append_new(keys, jhash(&at->keys[k]));
        json_array_append_new(
            a, json_pack("{s:o,s:o}", "address", jaddr(&at->addr), "storageKeys", keys));
    }
    return a;
}

static json_t *auth_list_json(const tx_t *tx)
{
    json_t *a = json_array();
    for (size_t i = 0; i < tx->nauths; i++) {
        const authorization_t *au = &tx->auths[i];
        json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "chainId",
                                           rpc__quantity256(au->chain_id), "address",
                                           jaddr(&au->addr), "nonce", rpc__quantity(au->nonce),
                                           "yParity", rpc__quantity(au->y_parity), "r",
                                           rpc__quantity256(au->r), "s", rpc__quantity256(au->s)));
    }
    return a;
}

json_t *rpc__tx_json(const tx_t *tx, const hash_t *txh, const addr_t *from, const header_t *h,
                     const hash_t *block_hash, size_t index)
{
    bool l1 = tx->type == TX_L1_MESSAGE;
    json_t *o = json_object();
    json_object_set_new(o, "blockHash", h ? jhash(block_hash) : json_null());
    json_object_set_new(o, "blockNumber", h ? rpc__quantity(h->number) : json_null());
    if (h) /* execution-apis: mined transactions carry their block's timestamp */
        json_object_set_new(o, "blockTimestamp", rpc__quantity(h->timestamp));
    json_object_set_new(o, "from", jaddr(from));
    json_object_set_new(o, "gas", rpc__quantity(tx->gas_limit));
    /* Pending: geth shows the fee cap as the price. */
    json_object_set_new(o, "gasPrice",
                        h ? rpc__quantity256(rpc__effective_gas_price(tx, h))
                          : rpc__quantity256(is_dynamic_fee(tx) ? tx->max_fee : tx->gas_price));
    if (is_dynamic_fee(tx)) {
        json_object_set_new(o, "maxFeePerGas", rpc__quantity256(tx->max_fee));
        json_object_set_new(o, "maxPriorityFeePerGas", rpc__quantity256(tx->max_priority_fee));
    }
    json_object_set_new(o, "hash", jhash(txh));
    json_object_set_new(o, "input", rpc__data(tx->data, tx->data_len));
    json_object_set_new(o, "nonce", rpc__quantity(l1 ? 0 : tx->nonce));
    json_object_set_new(o, "to", tx->has_to ? jaddr(&tx->to) : json_null());
    json_object_set_new(o, "transactionIndex", h ? rpc__quantity(index) : json_null());
    json_object_set_new(o, "value", rpc__quantity256(tx->value));
    json_object_set_new(o, "type", rpc__quantity(tx->type));
    if (tx->type == TX_ACCESS_LIST || is_dynamic_fee(tx))
        json_object_set_new(o, "accessList", access_list_json(tx));
    if (tx->type == TX_SET_CODE)
        json_object_set_new(o, "authorizationList", auth_list_json(tx));
    if (tx->has_chain_id && !l1)
        json_object_set_new(o, "chainId", rpc__quantity256(tx->chain_id));
    if (l1) {
        /* l2geth and reth report an all-zero signature for L1 messages. */
        json_object_set_new(o, "queueIndex", rpc__quantity(tx->queue_index));
        json_object_set_new(o, "sender", jaddr(&tx->sender));
        json_object_set_new(o, "v", json_string("0x0"));
        json_object_set_new(o, "r", json_string("0x0"));
        json_object_set_new(o, "s", json_string("0x0"));
        json_object_set_new(o, "yParity", json_string("0x0"));
    } else if (tx->type == TX_LEGACY) {
        json_object_set_new(o, "v", rpc__quantity256(tx->v));
        json_object_set_new(o, "r", rpc__quantity256(tx->r));
        json_object_set_new(o, "s", rpc__quantity256(tx->s));
    } else {
        json_object_set_new(o, "v", rpc__quantity(tx->y_parity));
        json_object_set_new(o, "r", rpc__quantity256(tx->r));
        json_object_set_new(o, "s", rpc__quantity256(tx->s));
        json_object_set_new(o, "yParity", rpc__quantity(tx->y_parity));
    }
    return o;
}

/* Transaction i of a block in geth's RPCTransaction shape (with reth's L1 message fields). */
static json_t *tx_json(rpc_block_t *l, size_t i)
{
    return rpc__tx_json(&l->b.txs[i], &l->txh[i], rpc__block_sender(l, i), &l->b.header, &l->hash,
                        i);
}

/* A transaction still in the pool, as geth shows it (no block fields). */
static json_t *pooled_tx_json(const rpc_ctx_t *c, const hash_t *h)
{
    if (!c->node || !c->node->pool_raw)
        return NULL;
    size_t n;
    uint8_t *raw = c->node->pool_raw(c->ud, h, &n);
    if (!raw)
        return NULL;
    tx_t tx;
    addr_t from;
    json_t *o = NULL;
    if (tx_decode(&tx, bview(raw, n)) == ERR_OK) {
        if (tx_recover_sender(&tx, &from) == ERR_OK)
            o = rpc__tx_json(&tx, h, &from, NULL, NULL, 0);
        tx_deinit(&tx);
    }
    rn_free(raw);
    return o;
}

/* ---- blocks ---- */

/* geth's RPCMarshalBlock. totalDifficulty is omitted, as reth does since the merge. */
json_t *rpc__block_json(rpc_block_t *l, bool full)
{
    const header_t *h = &l->b.header;
    json_t *o = json_object();
    uint8_t nonce[8];
    be_store64(nonce, h->nonce);
    json_object_set_new(o, "number", rpc__quantity(h->number));
    json_object_set_new(o, "hash", jhash(&l->hash));
    json_object_set_new(o, "parentHash", jhash(&h->parent_hash));
    json_object_set_new(o, "nonce", rpc__data(nonce, 8));
    json_object_set_new(o, "mixHash", jhash(&h->mix_hash));
    json_object_set_new(o, "sha3Uncles", jhash(&h->ommers_hash));
    json_object_set_new(o, "logsBloom", rpc__data(h->bloom, 256));
    json_object_set_new(o, "stateRoot", jhash(&h->state_root));
    json_object_set_new(o, "miner", jaddr(&h->coinbase));
    json_object_set_new(o, "difficulty", rpc__quantity256(h->difficulty));
    json_object_set_new(o, "extraData", rpc__data(h->extra, h->extra_len));
    json_object_set_new(o, "gasLimit", rpc__quantity(h->gas_limit));
    json_object_set_new(o, "gasUsed", rpc__quantity(h->gas_used));
    json_object_set_new(o, "timestamp", rpc__quantity(h->timestamp));
    json_object_set_new(o, "transactionsRoot", jhash(&h->tx_root));
    json_object_set_new(o, "receiptsRoot", jhash(&h->receipts_root));
    if (h->has_base_fee)
        json_object_set_new(o, "baseFeePerGas", rpc__quantity256(h->base_fee));
    json_object_set_new(o, "size", rpc__quantity(l->size));
    json_t *txs = json_array();
    for (size_t i = 0; i < l->b.ntxs; i++)
        json_array_append_new(txs, full ? tx_json(l, i) : jhash(&l->txh[i]));
    json_object_set_new(o, "transactions", txs);
    json_object_set_new(o, "uncles", json_array());
    return o;
}

/* The "full transactions" flag of eth_getBlockBy*: a boolean, absent meaning false. */
static bool full_param(const json_t *params, bool *full, rpc_reply_t *r)
{
    const json_t *f = rpc__param(params, 1);
    if (f && !json_is_boolean(f)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: argument 1 must be a boolean");
        return false;
    }
    *full = json_is_true(f);
    return true;
}

/* What a method does with the block it resolved. */
typedef void (*block_fn)(db_txn_t *t, rpc_block_t *l, const json_t *params, rpc_reply_t *r);

/* How with_block finds and loads the block. */
enum {
    BY_HASH = 1u << 0,  /**< argument 0 is a hash only (else a number, tag, hash or EIP-1898) */
    WITH_TXS = 1u << 1, /**< decode the transactions (else the summary: hashes and count) */
};

/* Resolve the block named by argument 0, load it and run fn; null when there is no such
 * block. */
static void with_block(void *ctx, const json_t *params, size_t min, size_t max, unsigned how,
                       block_fn fn, rpc_reply_t *r)
{
    bool by_hash = how & BY_HASH;
    if (!rpc__arity(params, min, max, r))
        return;
    hash_t hash;
    if (by_hash && !rpc__param_hash(params, 0, &hash, r))
        return;
    db_txn_t *t = rpc__read_txn(ctx, r);
    if (!t)
        return;
    bool found = true;
    rpc_block_t l;
    if (!by_hash && !resolve_block(t, rpc__param(params, 0), "argument 0", &hash, &found, r)) {
        db_txn_abort(t);
        return;
    }
    if (!found)
        r->result = json_null();
    else if (load_or_reply(t, &hash, &l, how & WITH_TXS, r)) {
        fn(t, &l, params, r);
        rpc__block_free(&l);
    }
    db_txn_abort(t);
}

/* eth_getBlockBy*: transactions decoded only for full objects. */
static unsigned full_txs(const json_t *params)
{
    return json_is_true(rpc__param(params, 1)) ? WITH_TXS : 0;
}

static void do_get_block(db_txn_t *t, rpc_block_t *l, const json_t *params, rpc_reply_t *r)
{
    (void)t;
    bool full;
    if (full_param(params, &full, r))
        r->result = rpc__block_json(l, full);
}

static void eth_get_block_by_number(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 1, 2, full_txs(params), do_get_block, r);
}

static void eth_get_block_by_hash(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 1, 2, BY_HASH | full_txs(params), do_get_block, r);
}

static void do_tx_count(db_txn_t *t, rpc_block_t *l, const json_t *params, rpc_reply_t *r)
{
    (void)t;
    (void)params;
    r->result = rpc__quantity(l->b.ntxs);
}

static void eth_get_block_tx_count_by_number(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 1, 1, 0, do_tx_count, r);
}

static void eth_get_block_tx_count_by_hash(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 1, 1, BY_HASH, do_tx_count, r);
}

/* Scroll blocks never have uncles: 0 for a known block, null for an unknown one (geth). */
static void do_uncle_count(db_txn_t *t, rpc_block_t *l, const json_t *params, rpc_reply_t *r)
{
    (void)t;
    (void)l;
    (void)params;
    r->result = rpc__quantity(0);
}

static void eth_get_uncle_count_by_number(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 1, 1, 0, do_uncle_count, r);
}

static void eth_get_uncle_count_by_hash(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 1, 1, BY_HASH, do_uncle_count, r);
}

/* eth_getUncleBy*AndIndex: always null, after checking the index is a quantity. */
static void do_uncle(db_txn_t *t, rpc_block_t *l, const json_t *params, rpc_reply_t *r)
{
    (void)t;
    (void)l;
    uint64_t i;
    if (!parse_qty(rpc__param(params, 1), &i)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: argument 1 must be a hex index");
        return;
    }
    r->result = json_null();
}

static void eth_get_uncle_by_number_and_index(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 2, 2, 0, do_uncle, r);
}

static void eth_get_uncle_by_hash_and_index(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 2, 2, BY_HASH, do_uncle, r);
}

/* Transaction i of a block summary, decoded alone. */
static void do_tx_by_index(db_txn_t *t, rpc_block_t *l, const json_t *params, rpc_reply_t *r)
{
    uint64_t i;
    if (!parse_qty(rpc__param(params, 1), &i)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: argument 1 must be a hex index");
        return;
    }
    if (i >= l->b.ntxs) {
        r->result = json_null();
        return;
    }
    tx_t tx;
    hash_t h;
    addr_t from;
    if (chain_read_tx_at(t, &l->hash, (size_t)i, &tx, &h) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored block is corrupt");
        return;
    }
    stored_sender(t, &l->hash, (size_t)i, &tx, &from);
    r->result = rpc__tx_json(&tx, &h, &from, &l->b.header, &l->hash, (size_t)i);
    tx_deinit(&tx);
}

static void eth_get_tx_by_number_and_index(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 2, 2, 0, do_tx_by_index, r);
}

static void eth_get_tx_by_hash_and_index(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 2, 2, BY_HASH, do_tx_by_index, r);
}

/* ---- receipts and logs ---- */

/* CREATE address: keccak256(rlp([sender, nonce]))[12:]. */
static bool create_address(const addr_t *from, uint64_t nonce, addr_t *out)
{
    uint8_t tmp[64];
    buf_t b;
    buf_init(&b, sizeof(tmp));
    size_t m;
    bool ok = rlp_list_begin(&b, &m) == ERR_OK && rlp_encode_addr(&b, from) == ERR_OK &&
              rlp_encode_u64(&b, nonce) == ERR_OK && rlp_list_end(&b, m) == ERR_OK;
    if (ok) {
        hash_t h = keccak256_hash(b.p, b.n);
        memcpy(out->b, h.b + 12, 20);
    }
    buf_deinit(&b);
    return ok;
}

/* Where a mined transaction is: its block's header and hash, its index, hash and sender. */
typedef struct tx_place {
    const header_t *h;
    const hash_t *block_hash;
    size_t index;
    const tx_t *tx;
    const hash_t *txh;
    const addr_t *from;
} tx_place_t;

static json_t *log_json(const log_t *lg, const tx_place_t *at, uint64_t log_index)
{
    json_t *topics = json_array();
    for (size_t k = 0; k < lg->ntopics; k++)
        json_array_append_new(topics, jhash(&lg->topics[k]));
    json_t *o = json_object();
    json_object_set_new(o, "address", jaddr(&lg->addr));
    json_object_set_new(o, "topics", topics);
    json_object_set_new(o, "data", rpc__data(lg->data, lg->data_len));
    json_object_set_new(o, "blockNumber", rpc__quantity(at->h->number));
    json_object_set_new(o, "transactionHash", jhash(at->txh));
    json_object_set_new(o, "transactionIndex", rpc__quantity(at->index));
    json_object_set_new(o, "blockHash", jhash(at->block_hash));
    json_object_set_new(o, "blockTimestamp", rpc__quantity(at->h->timestamp));
    json_object_set_new(o, "logIndex", rpc__quantity(log_index));
    json_object_set_new(o, "removed", json_false());
    return o;
}

/* A receipt in geth's shape plus Scroll's l1Fee; prev = the cumulative gas of the receipt
 * before (0 for the first), log_base = the logs of the receipts before. */
static json_t *receipt_json(const tx_place_t *at, const receipt_t *rc, uint64_t prev, u256_t l1_fee,
                            uint64_t log_base)
{
    const tx_t *tx = at->tx;
    const addr_t *from = at->from;
    json_t *o = json_object();
    json_object_set_new(o, "blockHash", jhash(at->block_hash));
    json_object_set_new(o, "blockNumber", rpc__quantity(at->h->number));
    json_object_set_new(o, "transactionHash", jhash(at->txh));
    json_object_set_new(o, "transactionIndex", rpc__quantity(at->index));
    json_object_set_new(o, "from", jaddr(from));
    json_object_set_new(o, "to", tx->has_to ? jaddr(&tx->to) : json_null());
    json_object_set_new(o, "cumulativeGasUsed", rpc__quantity(rc->cumulative_gas));
    json_object_set_new(o, "gasUsed",
                        rpc__quantity(rc->cumulative_gas >= prev ? rc->cumulative_gas - prev : 0));
    json_object_set_new(o, "effectiveGasPrice",
                        rpc__quantity256(rpc__effective_gas_price(tx, at->h)));
    addr_t created;
    if (!tx->has_to && tx->type != TX_L1_MESSAGE && create_address(from, tx->nonce, &created))
        json_object_set_new(o, "contractAddress", jaddr(&created));
    else
        json_object_set_new(o, "contractAddress", json_null());
    json_t *logs = json_array();
    for (size_t k = 0; k < rc->nlogs; k++)
        json_array_append_new(logs, log_json(&rc->logs[k], at, log_base + k));
    json_object_set_new(o, "logs", logs);
    json_object_set_new(o, "logsBloom", rpc__data(rc->bloom, 256));
    json_object_set_new(o, "type", rpc__quantity(rc->type));
    json_object_set_new(o, "status", rpc__quantity(rc->status ? 1 : 0));
    json_object_set_new(o, "l1Fee", rpc__quantity256(l1_fee));
    return o;
}

json_t *rpc__receipt_json(rpc_block_t *l, const chain_receipts_t *rs, size_t i, uint64_t log_base)
{
    tx_place_t at = {
        &l->b.header, &l->hash, i, &l->b.txs[i], &l->txh[i], rpc__block_sender(l, i)
    };
    return receipt_json(&at, &rs->r[i], i ? rs->r[i - 1].cumulative_gas : 0, rs->l1_fee[i],
                        log_base);
}

/* Receipts of a loaded block; false with an internal-error reply when they do not match it. */
bool rpc__block_receipts(db_txn_t *t, const rpc_block_t *l, chain_receipts_t *rs, rpc_reply_t *r)
{
    if (chain_read_receipts(t, &l->hash, rs) != ERR_OK || rs->n != l->b.ntxs) {
        chain_receipts_free(rs);
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored receipts are missing or corrupt");
        return false;
    }
    return true;
}

static void do_block_receipts(db_txn_t *t, rpc_block_t *l, const json_t *params, rpc_reply_t *r)
{
    (void)params;
    chain_receipts_t rs;
    if (!rpc__block_receipts(t, l, &rs, r))
        return;
    json_t *a = json_array();
    uint64_t log_base = 0;
    for (size_t i = 0; i < rs.n; i++) {
        json_array_append_new(a, rpc__receipt_json(l, &rs, i, log_base));
        log_base += rs.r[i].nlogs;
    }
    chain_receipts_free(&rs);
    r->result = a;
}

static void eth_get_block_receipts(void *ctx, const json_t *params, rpc_reply_t *r)
{
    with_block(ctx, params, 1, 1, WITH_TXS, do_block_receipts, r);
}

/* A mined transaction found by hash: only it is decoded, not its block's other transactions
 * (wallets poll receipts by hash; a block can hold thousands of transactions). */
typedef struct mined_tx {
    hash_t block_hash;
    header_t h;
    uint32_t index;
    tx_t tx;
    hash_t txh;
    addr_t from;
    tx_place_t at;
} mined_tx_t;

static void mined_tx_free(mined_tx_t *m)
{
    header_deinit(&m->h);
    tx_deinit(&m->tx);
}

/* Find a mined transaction: *found false (null answer) when it is not in a canonical block. */
static bool find_tx(db_txn_t *t, const json_t *params, mined_tx_t *m, bool *found, rpc_reply_t *r)
{
    *found = false;
    memset(m, 0, sizeof(*m));
    hash_t th;
    uint64_t number;
    if (!rpc__param_hash(params, 0, &th, r))
        return false;
    if (chain_tx_lookup(t, &th, &number, &m->index) != ERR_OK ||
        chain_canonical_hash(t, number, &m->block_hash) != ERR_OK)
        return true;
    err_t e = chain_read_tx_at(t, &m->block_hash, m->index, &m->tx, &m->txh);
    if (!e && !hash_eq(&m->txh, &th))
        e = ERR_NOT_FOUND; /* a stale lookup entry */
    if (!e)
        e = chain_read_header(t, &m->block_hash, &m->h);
    if (e == ERR_NOT_FOUND) {
        mined_tx_free(m);
        return true;
    }
    if (e) {
        mined_tx_free(m);
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored block is corrupt");
        return false;
    }
    stored_sender(t, &m->block_hash, m->index, &m->tx, &m->from);
    m->at = (tx_place_t){ &m->h, &m->block_hash, m->index, &m->tx, &m->txh, &m->from };
    *found = true;
    return true;
}

static void eth_get_tx_by_hash(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    db_txn_t *t = rpc__read_txn(ctx, r);
    if (!t)
        return;
    mined_tx_t m;
    bool found;
    if (find_tx(t, params, &m, &found, r)) {
        if (found) {
            r->result = rpc__tx_json(&m.tx, &m.txh, &m.from, &m.h, &m.block_hash, m.index);
            mined_tx_free(&m);
        } else {
            hash_t h;
            json_t *p = parse_hash(rpc__param(params, 0), &h) ? pooled_tx_json(ctx, &h) : NULL;
            r->result = p ? p : json_null();
        }
    }
    db_txn_abort(t);
}

static void eth_get_tx_receipt(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    db_txn_t *t = rpc__read_txn(ctx, r);
    if (!t)
        return;
    mined_tx_t m;
    bool found;
    if (find_tx(t, params, &m, &found, r)) {
        if (!found) {
            r->result = json_null();
        } else {
            receipt_t rc;
            u256_t l1_fee;
            uint64_t prev, log_base;
            if (chain_read_receipt_at(t, &m.block_hash, m.index, &rc, &l1_fee, &prev, &log_base) ==
                ERR_OK) {
                r->result = receipt_json(&m.at, &rc, prev, l1_fee, log_base);
                receipt_deinit(&rc);
            } else {
                rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored receipts are missing or corrupt");
            }
            mined_tx_free(&m);
        }
    }
    db_txn_abort(t);
}

/* ---- eth_getLogs ---- */

typedef struct log_filter {
    addr_t *addrs; /**< any of these; none = any address */
    size_t naddrs;
    hash_t *topics[LOGS_MAX_TOPICS]; /**< per position, any of these; none = wildcard */
    size_t ntopics[LOGS_MAX_TOPICS];
    /* The bloom bits of every address and topic, computed once per query (filter_probes). */
    bloom_probe_t *addr_probes;
    bloom_probe_t *topic_probes[LOGS_MAX_TOPICS];
} log_filter_t;

static void filter_free(log_filter_t *f)
{
    rn_free(f->addrs);
    rn_free(f->addr_probes);
    for (size_t i = 0; i < LOGS_MAX_TOPICS; i++) {
        rn_free(f->topics[i]);
        rn_free(f->topic_probes[i]);
    }
    memset(f, 0, sizeof(*f));
}

static void filter_probes(log_filter_t *f)
{
    f->addr_probes = RN_NEWV(bloom_probe_t, f->naddrs + 1);
    for (size_t i = 0; i < f->naddrs; i++)
        bloom_probe(&f->addr_probes[i], f->addrs[i].b, 20);
    for (size_t p = 0; p < LOGS_MAX_TOPICS; p++) {
        f->topic_probes[p] = RN_NEWV(bloom_probe_t, f->ntopics[p] + 1);
        for (size_t i = 0; i < f->ntopics[p]; i++)
            bloom_probe(&f->topic_probes[p][i], f->topics[p][i].b, 32);
    }
}

/* "address": one address or an array of them; null or absent = any. */
static bool parse_addresses(const json_t *v, log_filter_t *f, rpc_reply_t *r)
{
    if (!v || json_is_null(v))
        return true;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    f->addrs = RN_NEWV(addr_t, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        if (!parse_addr(json_is_array(v) ? json_array_get(v, i) : v, &f->addrs[i])) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: filter address must be a 20-byte address or an "
                            "array of addresses");
            return false;
        }
    }
    f->naddrs = n;
    return true;
}

/* "topics": up to 4 positions, each null (any), a hash, or an array of hashes (any of them; a
 * null inside the array makes the position a wildcard, as geth). */
static bool parse_topics(const json_t *v, log_filter_t *f, rpc_reply_t *r)
{
    if (!v || json_is_null(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) > LOGS_MAX_TOPICS) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: filter topics must be an array of at most 4 entries");
        return false;
    }
    for (size_t p = 0; p < json_array_size(v); p++) {
        const json_t *e = json_array_get(v, p);
        if (json_is_null(e))
            continue;
        size_t n = json_is_array(e) ? json_array_size(e) : 1;
        bool wildcard = n == 0;
        f->topics[p] = RN_NEWV(hash_t, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            const json_t *x = json_is_array(e) ? json_array_get(e, i) : e;
            if (json_is_null(x) && json_is_array(e)) {
                wildcard = true;
                continue;
            }
            if (!parse_hash(x, &f->topics[p][i])) {
                rpc_reply_error(r, RPC_INVALID_PARAMS,
                                "invalid params: filter topic %zu must be null, a 32-byte hash "
                                "or an array of hashes",
                                p);
                return false;
            }
        }
        /* Nulls leave gaps; a wildcard position keeps no set at all. */
        if (wildcard) {
            rn_free(f->topics[p]);
            f->topics[p] = NULL;
            continue;
        }
        f->ntopics[p] = n;
    }
    return true;
}

/* The block bloom test: some wanted address, and some wanted topic at each position. */
static bool bloom_matches(const uint8_t bloom[256], const log_filter_t *f)
{
    bool any = f->naddrs == 0;
    for (size_t i = 0; i < f->naddrs && !any; i++)
        any = bloom_probe_hit(bloom, &f->addr_probes[i]);
    if (!any)
        return false;
    for (size_t p = 0; p < LOGS_MAX_TOPICS; p++) {
        any = f->ntopics[p] == 0;
        for (size_t i = 0; i < f->ntopics[p] && !any; i++)
            any = bloom_probe_hit(bloom, &f->topic_probes[p][i]);
        if (!any)
            return false;
    }
    return true;
}

static bool log_matches(const log_t *lg, const log_filter_t *f)
{
    bool any = f->naddrs == 0;
    for (size_t i = 0; i < f->naddrs && !any; i++)
        any = addr_eq(&lg->addr, &f->addrs[i]);
    if (!any)
        return false;
    for (size_t p = 0; p < LOGS_MAX_TOPICS; p++) {
        if (f->ntopics[p] == 0)
            continue;
        if (p >= lg->ntopics)
            return false;
        any = false;
        for (size_t i = 0; i < f->ntopics[p] && !any; i++)
            any = hash_eq(&lg->topics[p], &f->topics[p][i]);
        if (!any)
            return false;
    }
    return true;
}

/* "0x…" of bytes into a JSON text buffer. */
static err_t text_hex(buf_t *o, const uint8_t *p, size_t n)
{
    uint8_t *d;
    TRY(buf_append_zeros(o, 2 * n + 4, &d));
    d[0] = '"';
    hex_encode_0x((char *)d + 1, p, n); /* writes 2n + 2 digits and a NUL */
    d[2 * n + 3] = '"';
    return ERR_OK;
}

/* ",\"name\":\"0x…\"" of a u64 quantity. */
static err_t text_qty(buf_t *o, const char *name, uint64_t v)
{
    char tmp[64];
    size_t n = 0;
    tmp[n++] = ',';
    tmp[n++] = '"';
    size_t l = strlen(name);
    memcpy(tmp + n, name, l);
    n += l;
    memcpy(tmp + n, "\":\"0x", 5);
    n += 5;
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        tmp[n++] = "0123456789abcdef"[(v >> shift) & 0xf];
    tmp[n++] = '"';
    return buf_append(o, tmp, n);
}

/* One log as JSON text, the fields and order of log_json. */
static err_t log_text(buf_t *o, const log_t *lg, uint64_t number, uint64_t timestamp,
                      const hash_t *block_hash, const hash_t *tx_hash, size_t tx_index,
                      uint64_t log_index)
{
    TRY(buf_append(o, "{\"address\":", 11));
    TRY(text_hex(o, lg->addr.b, 20));
    TRY(buf_append(o, ",\"topics\":[", 11));
    for (size_t k = 0; k < lg->ntopics; k++) {
        if (k)
            TRY(buf_push(o, ','));
        TRY(text_hex(o, lg->topics[k].b, 32));
    }
    TRY(buf_append(o, "],\"data\":", 9));
    TRY(text_hex(o, lg->data, lg->data_len));
    TRY(text_qty(o, "blockNumber", number));
    TRY(buf_append(o, ",\"transactionHash\":", 19));
    TRY(text_hex(o, tx_hash->b, 32));
    TRY(text_qty(o, "transactionIndex", tx_index));
    TRY(buf_append(o, ",\"blockHash\":", 13));
    TRY(text_hex(o, block_hash->b, 32));
    TRY(text_qty(o, "blockTimestamp", timestamp));
    TRY(text_qty(o, "logIndex", log_index));
    return buf_append(o, ",\"removed\":false}", 17);
}

/* Append the matching logs of one block to out as JSON text (*count of them so far); false with
 * a reply on a store error or when the answer would exceed LOGS_MAX_RESULTS (from = the first
 * block of the query). Only the receipts are decoded; the header and the hashes of transactions
 * with a match are read when the first match shows up. */
static bool block_logs(db_txn_t *t, const hash_t *hash, uint64_t number, uint64_t timestamp,
                       const log_filter_t *f, uint64_t from, buf_t *out, size_t *count,
                       rpc_reply_t *r)
{
    chain_receipts_t rs;
    if (chain_read_receipts(t, hash, &rs) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored receipts are missing or corrupt");
        return false;
    }
    bool ok = true;
    uint64_t log_index = 0;
    for (size_t i = 0; i < rs.n && ok; i++) {
        hash_t txh;
        bool have_txh = false;
        for (size_t k = 0; k < rs.r[i].nlogs && ok; k++, log_index++) {
            if (!log_matches(&rs.r[i].logs[k], f))
                continue;
            if (!have_txh && chain_tx_hash_at(t, hash, i, &txh) == ERR_OK)
                have_txh = true;
            if (!have_txh) {
                rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored block is corrupt");
                ok = false;
                break;
            }
            if (*count >= LOGS_MAX_RESULTS) {
                uint64_t last = number > from ? number - 1 : from;
                rpc_reply_error(r, RPC_LIMIT_EXCEEDED,
                                "query exceeds max results %d, retry with the range "
                                "%llu-%llu",
                                LOGS_MAX_RESULTS, (unsigned long long)from,
                                (unsigned long long)last);
                ok = false;
                break;
            }
            if ((*count && buf_push(out, ',') != ERR_OK) ||
                log_text(out, &rs.r[i].logs[k], number, timestamp, hash, &txh, i, log_index) !=
                    ERR_OK) {
                rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "response too large");
                ok = false;
                break;
            }
            (*count)++;
        }
    }
    chain_receipts_free(&rs);
    return ok;
}

/* The range of a filter: fromBlock/toBlock (default latest), clamped to the head. *empty when
 * the range starts above the head. */
static bool filter_range(db_txn_t *t, const json_t *o, uint64_t *from, uint64_t *to, bool *empty,
                         rpc_reply_t *r)
{
    const json_t *fb = json_object_get(o, "fromBlock");
    const json_t *tb = json_object_get(o, "toBlock");
    uint64_t head;
    if (!head_number(t, &head, r))
        return false;
    *from = *to = head;
    if (fb && !json_is_null(fb) && !block_number(t, fb, "fromBlock", from, r))
        return false;
    if (tb && !json_is_null(tb) && !block_number(t, tb, "toBlock", to, r))
        return false;
    if (*from > *to) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: invalid block range params");
        return false;
    }
    *empty = *from > head;
    if (*to > head)
        *to = head;
    if (!*empty && *to - *from >= LOGS_MAX_BLOCK_RANGE) {
        rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "query exceeds max block range %d",
                        LOGS_MAX_BLOCK_RANGE);
        return false;
    }
    return true;
}

static void get_logs(db_txn_t *t, const json_t *o, const log_filter_t *f, rpc_reply_t *r)
{
    const json_t *bh = json_object_get(o, "blockHash");
    buf_t out;
    buf_init(&out, RPC_MAX_RESPONSE_BYTES);
    size_t count = 0;
    if (buf_push(&out, '[') != ERR_OK)
        goto fail;
    if (bh && !json_is_null(bh)) {
        hash_t hash;
        header_t h;
        if (!parse_hash(bh, &hash)) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: filter blockHash must be a 32-byte hash");
            goto fail;
        }
        err_t e = chain_read_header(t, &hash, &h);
        if (e) {
            rpc_reply_error(r, e == ERR_NOT_FOUND ? RPC_SERVER_ERROR : RPC_INTERNAL_ERROR,
                            e == ERR_NOT_FOUND ? "unknown block" : "stored header is corrupt");
            goto fail;
        }
        bool scan = bloom_matches(h.bloom, f);
        uint64_t number = h.number, timestamp = h.timestamp;
        header_deinit(&h);
        if (scan && !block_logs(t, &hash, number, timestamp, f, number, &out, &count, r))
            goto fail;
        goto done;
    }
    uint64_t from, to;
    bool empty;
    if (!filter_range(t, o, &from, &to, &empty, r))
        goto fail;
    if (!empty) {
        chain_bloom_iter_t *it;
        if (chain_bloom_iter_open(t, from, to, &it) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "cannot read the block index");
            goto fail;
        }
        for (uint64_t n = from; n <= to; n++) {
            chain_bloom_entry_t be;
            if (chain_bloom_iter_next(it, &be) != ERR_OK || be.number != n) {
                rpc_reply_error(r, RPC_INTERNAL_ERROR, "canonical block %llu is missing",
                                (unsigned long long)n);
                chain_bloom_iter_close(it);
                goto fail;
            }
            if (bloom_matches(be.bloom, f) &&
                !block_logs(t, &be.hash, n, be.timestamp, f, from, &out, &count, r)) {
                chain_bloom_iter_close(it);
                goto fail;
            }
        }
        chain_bloom_iter_close(it);
    }
done:
    if (buf_push(&out, ']') != ERR_OK) {
        rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "response too large");
        goto fail;
    }
    r->raw = buf_take(&out, &r->raw_len);
    return;
fail:
    buf_deinit(&out);
}

static void eth_get_logs(void *ctx, const json_t *params, rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    const json_t *o = rpc__param(params, 0);
    if (!json_is_object(o)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument 0 must be a filter object");
        return;
    }
    const json_t *bh = json_object_get(o, "blockHash");
    const json_t *fb = json_object_get(o, "fromBlock");
    const json_t *tb = json_object_get(o, "toBlock");
    if (bh && !json_is_null(bh) && ((fb && !json_is_null(fb)) || (tb && !json_is_null(tb)))) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: cannot specify both blockHash and fromBlock/toBlock, "
                        "choose one or the other");
        return;
    }
    log_filter_t f;
    memset(&f, 0, sizeof(f));
    if (parse_addresses(json_object_get(o, "address"), &f, r) &&
        parse_topics(json_object_get(o, "topics"), &f, r)) {
        filter_probes(&f);
        db_txn_t *t = rpc__read_txn(ctx, r);
        if (t) {
            get_logs(t, o, &f, r);
            db_txn_abort(t);
        }
    }
    filter_free(&f);
}

void rpc__register_eth_blocks(rpc_registry_t *reg)
{
    /* clang-format off */
    static const rpc_method_t methods[] = {
        { "eth_getBlockByNumber",                    RPC_NS_ETH, eth_get_block_by_number },
        { "eth_getBlockByHash",                      RPC_NS_ETH, eth_get_block_by_hash },
        { "eth_getBlockTransactionCountByNumber",    RPC_NS_ETH, eth_get_block_tx_count_by_number },
        { "eth_getBlockTransactionCountByHash",      RPC_NS_ETH, eth_get_block_tx_count_by_hash },
        { "eth_getUncleCountByBlockNumber",          RPC_NS_ETH, eth_get_uncle_count_by_number },
        { "eth_getUncleCountByBlockHash",            RPC_NS_ETH, eth_get_uncle_count_by_hash },
        { "eth_getUncleByBlockNumberAndIndex",       RPC_NS_ETH, eth_get_uncle_by_number_and_index },
        { "eth_getUncleByBlockHashAndIndex",         RPC_NS_ETH, eth_get_uncle_by_hash_and_index },
        { "eth_getTransactionByHash",                RPC_NS_ETH, eth_get_tx_by_hash },
        { "eth_getTransactionByBlockNumberAndIndex", RPC_NS_ETH, eth_get_tx_by_number_and_index },
        { "eth_getTransactionByBlockHashAndIndex",   RPC_NS_ETH, eth_get_tx_by_hash_and_index },
        { "eth_getTransactionReceipt",               RPC_NS_ETH, eth_get_tx_receipt },
        { "eth_getBlockReceipts",                    RPC_NS_ETH, eth_get_block_receipts },
        { "eth_getLogs",                             RPC_NS_ETH, eth_get_logs },
    };
    /* clang-format on */
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
