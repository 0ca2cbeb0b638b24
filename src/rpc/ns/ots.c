/* ots namespace: the Otterscan JSON-RPC extensions at API level 8, in Erigon's shapes
 * (otterscan docs/custom-jsonrpc.md).
 *
 * Traces (ots_traceTransaction, ots_getInternalOperations, ots_getTransactionError) replay the
 * transaction's block on the state after its parent with the EVM's call enter/exit hooks, like
 * the debug namespace. Finding an address's transactions uses the state history instead of an
 * index of its own (docs/decisions/0014-ots-search.md): state_db_changed_blocks_* lists every
 * block that changed the account (history index and newer change sets), so the search replays
 * only those blocks and keeps
 * the transactions in which the address is the sender, the recipient, a created contract or a
 * party of an internal call; sender+nonce and contract creator binary-search the account's
 * nonce and code hash over the state at a block. Scroll has no SELFDESTRUCT (undefined under
 * every Scroll spec), so operation type 1 and SELFDESTRUCT trace entries never appear. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "rpc/ns/exec.h"
#include "rpc/rpc_int.h"

enum {
    OTS_API_LEVEL = 8,
    OTS_MAX_PAGE_SIZE = 100,        /**< search page size limit (Erigon's default is 25) */
    OTS_MAX_SEARCH_BLOCKS = 512,    /**< blocks replayed by one search call */
    OTS_MAX_TRACE_ENTRIES = 200000, /**< trace entries / operations of one transaction */
};

/* Internal operation types (Erigon's OperationType). */
enum {
    OTS_OP_TRANSFER = 0,
    OTS_OP_SELF_DESTRUCT = 1,
    OTS_OP_CREATE = 2,
    OTS_OP_CREATE2 = 3
};

/* ---- parameters ---- */

static bool hash_param(const json_t *params, size_t i, const char *name, hash_t *h, rpc_reply_t *r)
{
    const char *s = json_string_value(rpc__param(params, i));
    if (!s || strncmp(s, "0x", 2) != 0 || hex_decode_fixed(h->b, 32, s, strlen(s)) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: %s (argument %zu) must be a 32-byte hash", name, i);
        return false;
    }
    return true;
}

static bool addr_param(const json_t *params, size_t i, addr_t *a, rpc_reply_t *r)
{
    const char *s = json_string_value(rpc__param(params, i));
    if (!s || strncmp(s, "0x", 2) != 0 || addr_from_hex(a, s, strlen(s)) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: address (argument %zu) must be a 20-byte address", i);
        return false;
    }
    return true;
}

/* A non-negative integer: a JSON number (what Otterscan sends) or a "0x" quantity. */
static bool u64_value(const json_t *v, uint64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0)
            return false;
        *out = (uint64_t)n;
        return true;
    }
    const char *s = json_string_value(v);
    u256_t x;
    if (!s || strncmp(s, "0x", 2) != 0 || u256_from_hex(s, strlen(s), &x) != ERR_OK ||
        (x.w[1] | x.w[2] | x.w[3]))
        return false;
    *out = x.w[0];
    return true;
}

static bool u64_param(const json_t *params, size_t i, const char *name, uint64_t max, uint64_t *out,
                      rpc_reply_t *r)
{
    if (!u64_value(rpc__param(params, i), out) || *out > max) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: %s (argument %zu) must be an integer from 0 to %" PRIu64,
                        name, i, max);
        return false;
    }
    return true;
}

/* A block: number (JSON or quantity), tag, or (when by_hash) a 32-byte block hash. *found false
 * for a number above the head or an unknown hash. */
static bool block_param(db_txn_t *t, const json_t *params, size_t i, bool by_hash, uint64_t *num,
                        hash_t *bh, bool *found, rpc_reply_t *r)
{
    const json_t *v = rpc__param(params, i);
    const char *s = json_string_value(v);
    uint64_t head;
    hash_t hh;
    *found = false;
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
        return false;
    }
    if (by_hash && s && strlen(s) == 66) {
        header_t h;
        if (!hash_param(params, i, "block hash", bh, r))
            return false;
        hash_t canon;
        if (chain_read_header(t, bh, &h) == ERR_OK) {
            *num = h.number;
            header_deinit(&h);
            *found = chain_canonical_hash(t, *num, &canon) == ERR_OK && hash_eq(&canon, bh);
        }
        return true;
    }
    if (!v || (s && (!strcmp(s, "latest") || !strcmp(s, "pending") || !strcmp(s, "safe") ||
                     !strcmp(s, "finalized")))) {
        *num = head;
    } else if (s && !strcmp(s, "earliest")) {
        *num = 0;
    } else if (!u64_value(v, num)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: block (argument %zu) must be a block number%s or tag", i,
                        by_hash ? ", hash" : "");
        return false;
    }
    *found = *num <= head && chain_canonical_hash(t, *num, bh) == ERR_OK;
    return true;
}

/* ---- JSON shapes ---- */

static json_t *jaddr(const addr_t *a)
{
    return rpc__data(a->b, 20);
}

static json_t *jhash(const hash_t *h)
{
    return rpc__data(h->b, 32);
}

/* The block as eth_getBlockByNumber shows it, without transactions, plus Erigon's
 * transactionCount and a null logsBloom. */
static json_t *block_json(rpc_block_t *l)
{
    json_t *o = rpc__block_json(l, false);
    json_object_del(o, "transactions");
    json_object_set_new(o, "logsBloom", json_null());
    json_object_set_new(o, "transactionCount", json_integer((json_int_t)l->b.ntxs));
    return o;
}

/* Receipt i in geth's shape with Scroll's l1Fee. with_logs false: logs and logsBloom null
 * (ots_getBlockTransactions); timestamp: add the block time (the search methods). */
static json_t *receipt_json(rpc_block_t *l, const chain_receipts_t *rs, size_t i, bool with_logs,
                            bool timestamp)
{
    uint64_t log_base = 0;
    for (size_t k = 0; k < i; k++)
        log_base += rs->r[k].nlogs;
    json_t *o = rpc__receipt_json(l, rs, i, log_base);
    if (!with_logs) {
        json_object_set_new(o, "logs", json_null());
        json_object_set_new(o, "logsBloom", json_null());
    }
    if (timestamp)
        json_object_set_new(o, "timestamp", json_integer((json_int_t)l->b.header.timestamp));
    return o;
}

/* ---- replaying a block under call hooks ---- */

typedef struct replay {
    evm_tracer_t hooks; /**< enter/exit, active while a wanted transaction runs */
    size_t only;        /**< trace only this transaction and stop after it; SIZE_MAX: all */
    /** Called before / after each traced transaction (may be NULL). */
    void (*tx_begin)(void *ud, size_t i);
    void (*tx_end)(void *ud, size_t i, const hash_t *th);
    void *ud;
    evm_rules_t rules; /**< the block's rules, set before the first transaction runs */
} replay_t;

static const evm_tracer_t *ots_before(void *ud, const rpc_replay_tx_t *tx)
{
    replay_t *rp = ud;
    rp->rules = *tx->rules;
    if (rp->tx_begin)
        rp->tx_begin(rp->ud, tx->index);
    return &rp->hooks;
}

static bool ots_after(void *ud, const rpc_replay_tx_t *tx, rpc_reply_t *r)
{
    replay_t *rp = ud;
    if (r && rp->tx_end)
        rp->tx_end(rp->ud, tx->index, tx->hash);
    return true;
}

/* Replay canonical block `number` on the state after its parent (rpc__replay). */
static bool replay_block(const rpc_ctx_t *c, db_txn_t *t, uint64_t number, replay_t *rp,
                         rpc_reply_t *r)
{
    hash_t bh;
    if (chain_canonical_hash(t, number, &bh) != ERR_OK) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "block #%" PRIu64 " not found", number);
        return false;
    }
    rpc_replay_t g = { .only = rp->only, .before = ots_before, .after = ots_after, .ud = rp };
    return rpc__replay(c, t, &bh, &g, r);
}

/* Where a mined transaction is; false (with Erigon's "not found" error) otherwise. */
static bool locate_tx(db_txn_t *t, const hash_t *th, uint64_t *num, uint32_t *idx, rpc_reply_t *r)
{
    hash_t bh;
    if (chain_tx_lookup(t, th, num, idx) != ERR_OK ||
        chain_canonical_hash(t, *num, &bh) != ERR_OK) {
        char hx[67];
        hex_encode_0x(hx, th->b, 32);
        rpc_reply_error(r, RPC_SERVER_ERROR, "transaction %s not found", hx);
        return false;
    }
    return true;
}

/* The parties of a frame as geth's tracers see them: DELEGATECALL and CALLCODE run the code of
 * code_address in the caller's context, so the caller is the frame's recipient. */
static void frame_parties(const evm_message_t *m, addr_t *from, addr_t *to)
{
    switch (m->kind) {
    case EVM_DELEGATECALL:
        *from = m->recipient;
        *to = m->code_address;
        break;
    case EVM_CALLCODE:
        *from = m->sender;
        *to = m->code_address;
        break;
    default:
        *from = m->sender;
        *to = m->recipient; /* creates: replaced by the new address on exit */
        break;
    }
}

static bool is_create(const evm_message_t *m)
{
    return m->kind == EVM_CREATE || m->kind == EVM_CREATE2;
}

/* ---- ots_traceTransaction / ots_getInternalOperations / ots_getTransactionError ---- */

typedef enum collect_kind {
    COLLECT_TRACE,
    COLLECT_OPS,
    COLLECT_ERROR
} collect_kind_t;

typedef struct collector {
    collect_kind_t kind;
    const replay_t *rp;
    json_t *out;                     /**< trace entries or operations */
    json_t *open[EVM_MAX_DEPTH + 2]; /**< per depth: the entry waiting for its exit (or NULL) */
    bool overflow;
    evm_status_t top_status;
    buf_t top_output; /**< the top-level frame's output */
} collector_t;

static const char *kind_name(evm_call_kind_t k)
{
    switch (k) {
    case EVM_CALL:
        return "CALL";
    case EVM_CALLCODE:
        return "CALLCODE";
    case EVM_DELEGATECALL:
        return "DELEGATECALL";
    case EVM_STATICCALL:
        return "STATICCALL";
    case EVM_CREATE:
        return "CREATE";
    case EVM_CREATE2:
        return "CREATE2";
    }
    return "CALL";
}

static void col_enter(void *ud, const evm_message_t *m)
{
    collector_t *c = ud;
    int32_t d = m->depth;
    if (d < 0 || d > EVM_MAX_DEPTH)
        return;
    c->open[d] = NULL;
    if (c->kind == COLLECT_ERROR || c->overflow)
        return;
    if (json_array_size(c->out) >= OTS_MAX_TRACE_ENTRIES) {
        c->overflow = true;
        return;
    }
    addr_t from, to;
    frame_parties(m, &from, &to);
    json_t *e = NULL;
    if (c->kind == COLLECT_TRACE) {
        /* Erigon leaves out calls to precompiles (but not the transaction's own frame). */
        if (d > 0 && !is_create(m) &&
            precompile_lookup(&c->rp->rules.precompiles, &m->code_address) != PC_NONE)
            return;
        bool valued = m->kind != EVM_STATICCALL && m->kind != EVM_DELEGATECALL;
        e = json_pack("{s:s,s:i,s:o,s:o,s:o,s:o}", "type", kind_name(m->kind), "depth", (int)d,
                      "from", jaddr(&from), "to", jaddr(&to), "value",
                      valued ? rpc__quantity256(m->value) : json_null(), "input",
                      rpc__data(m->input, m->input_len));
    } else {
        /* Internal operations: frames below the transaction's own one. */
        if (d == 0)
            return;
        int type = -1;
        if (m->kind == EVM_CALL && !u256_is_zero(m->value))
            type = OTS_OP_TRANSFER;
        else if (m->kind == EVM_CREATE)
            type = OTS_OP_CREATE;
        else if (m->kind == EVM_CREATE2)
            type = OTS_OP_CREATE2;
        if (type < 0)
            return;
        e = json_pack("{s:i,s:o,s:o,s:o}", "type", type, "from", jaddr(&from), "to", jaddr(&to),
                      "value", rpc__quantity256(m->value));
    }
    json_array_append_new(c->out, e);
    c->open[d] = e;
}

static void col_exit(void *ud, const evm_message_t *m, const evm_result_t *res)
{
    collector_t *c = ud;
    int32_t d = m->depth;
    if (d < 0 || d > EVM_MAX_DEPTH)
        return;
    if (d == 0) {
        c->top_status = res->status;
        buf_reset(&c->top_output);
        if (buf_append(&c->top_output, res->output.p, res->output.n) != ERR_OK)
            buf_reset(&c->top_output);
    }
    json_t *e = c->open[d];
    c->open[d] = NULL;
    if (!e)
        return;
    if (is_create(m))
        json_object_set_new(e, "to", jaddr(&res->create_address));
    if (c->kind == COLLECT_TRACE)
        json_object_set_new(e, "output", rpc__data(res->output.p, res->output.n));
}

/* Replay the transaction with hash params[0] under a collector. */
static void collect_tx(void *ctx, const json_t *params, rpc_reply_t *r, collect_kind_t kind)
{
    const rpc_ctx_t *c = ctx;
    hash_t th;
    if (!rpc__arity(params, 1, 1, r) || !hash_param(params, 0, "transaction hash", &th, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t num;
    uint32_t idx;
    if (locate_tx(t, &th, &num, &idx, r)) {
        collector_t col;
        memset(&col, 0, sizeof(col));
        col.kind = kind;
        col.out = json_array();
        col.top_status = EVM_SUCCESS;
        buf_init(&col.top_output, RPC_MAX_RESPONSE_BYTES / 2);
        replay_t rp;
        memset(&rp, 0, sizeof(rp));
        rp.hooks = (evm_tracer_t){ .enter = col_enter, .exit = col_exit, .ud = &col };
        rp.only = idx;
        col.rp = &rp;
        if (replay_block(c, t, num, &rp, r)) {
            if (col.overflow) {
                rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "trace exceeds %d entries",
                                OTS_MAX_TRACE_ENTRIES);
            } else if (kind == COLLECT_ERROR) {
                /* Erigon: the revert data of a reverted transaction, else empty. */
                r->result = col.top_status == EVM_REVERT
                                ? rpc__data(col.top_output.p, col.top_output.n)
                                : json_string("0x");
            } else {
                r->result = json_incref(col.out);
            }
        }
        json_decref(col.out);
        buf_deinit(&col.top_output);
    }
    db_txn_abort(t);
}

static void trace_transaction(void *ctx, const json_t *params, rpc_reply_t *r)
{
    collect_tx(ctx, params, r, COLLECT_TRACE);
}

static void internal_operations(void *ctx, const json_t *params, rpc_reply_t *r)
{
    collect_tx(ctx, params, r, COLLECT_OPS);
}

static void transaction_error(void *ctx, const json_t *params, rpc_reply_t *r)
{
    collect_tx(ctx, params, r, COLLECT_ERROR);
}

/* ---- small methods ---- */

static void api_level(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (rpc__arity(params, 0, 0, r))
        r->result = json_integer(OTS_API_LEVEL);
}

/* ots_hasCode(address, block): the account has code in the state after that block. */
static void has_code(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    addr_t a;
    if (!rpc__arity(params, 1, 2, r) || !addr_param(params, 0, &a, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t num;
    hash_t bh;
    bool found;
    if (block_param(t, params, 1, true, &num, &bh, &found, r)) {
        state_backend_t be;
        void *be_ctx = NULL;
        if (!found) {
            rpc_reply_error(r, RPC_SERVER_ERROR, "header not found");
        } else if (state_db_backend_at(t, num, &be, &be_ctx) != ERR_OK) {
            rpc_reply_error(r, RPC_SERVER_ERROR, "state of block #%" PRIu64 " is not available",
                            num);
        } else {
            state_account_t acc;
            r->result = json_boolean(be.get_account(be.ctx, &a, &acc) &&
                                     !hash_eq(&acc.code_hash, &KECCAK_EMPTY));
        }
        state_db_backend_at_free(be_ctx);
    }
    db_txn_abort(t);
}

/* ---- blocks ---- */

static void block_details_common(const rpc_ctx_t *c, const json_t *params, bool by_hash,
                                 rpc_reply_t *r)
{
    if (!rpc__arity(params, 1, 1, r))
        return;
    hash_t bh;
    if (by_hash && !hash_param(params, 0, "block hash", &bh, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t num;
    bool found;
    rpc_block_t l;
    if (block_param(t, params, 0, by_hash, &num, &bh, &found, r)) {
        if (!found || rpc__block_load(t, &bh, &l) != ERR_OK) {
            r->result = json_null();
        } else {
            chain_receipts_t rs;
            if (rpc__block_receipts(t, &l, &rs, r)) {
                /* Erigon: Σ gasUsed × price paid; Scroll mints nothing per block. */
                u256_t fees = u256_zero();
                for (size_t i = 0; i < rs.n; i++) {
                    uint64_t prev = i ? rs.r[i - 1].cumulative_gas : 0;
                    uint64_t used = rs.r[i].cumulative_gas - prev;
                    fees =
                        u256_add(fees, u256_mul(rpc__effective_gas_price(&l.b.txs[i], &l.b.header),
                                                u256_from_u64(used)));
                }
                chain_receipts_free(&rs);
                r->result = json_pack("{s:o,s:{s:s,s:s,s:s},s:o}", "block", block_json(&l),
                                      "issuance", "blockReward", "0x0", "uncleReward", "0x0",
                                      "issuance", "0x0", "totalFees", rpc__quantity256(fees));
            }
            rpc__block_free(&l);
        }
    }
    db_txn_abort(t);
}

static void block_details(void *ctx, const json_t *params, rpc_reply_t *r)
{
    block_details_common(ctx, params, false, r);
}

static void block_details_by_hash(void *ctx, const json_t *params, rpc_reply_t *r)
{
    block_details_common(ctx, params, true, r);
}

/* ots_getBlockTransactions(block, pageNumber, pageSize): page 0 holds the last pageSize
 * transactions (Erigon's slicing), in block order; inputs cut to their 4-byte selector,
 * receipts without logs. */
static void block_transactions(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    uint64_t page, size;
    if (!rpc__arity(params, 3, 3, r) || !u64_param(params, 1, "pageNumber", UINT32_MAX, &page, r) ||
        !u64_param(params, 2, "pageSize", UINT32_MAX, &size, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t num;
    hash_t bh;
    bool found;
    rpc_block_t l;
    if (block_param(t, params, 0, false, &num, &bh, &found, r)) {
        if (!found || rpc__block_load(t, &bh, &l) != ERR_OK) {
            r->result = json_null();
        } else {
            chain_receipts_t rs;
            if (rpc__block_receipts(t, &l, &rs, r)) {
                uint64_t n = l.b.ntxs, skip = page * size; /* ≤ 2^64 − 2^33 + 1: no overflow */
                uint64_t end = skip < n ? n - skip : 0;
                uint64_t start = end > size ? end - size : 0;
                json_t *txs = json_array(), *rcs = json_array();
                for (uint64_t i = start; i < end; i++) {
                    json_t *tj = rpc__tx_json(&l.b.txs[i], &l.txh[i], rpc__block_sender(&l, i),
                                              &l.b.header, &l.hash, i);
                    const tx_t *tx = &l.b.txs[i];
                    json_object_set_new(tj, "input",
                                        rpc__data(tx->data, tx->data_len < 4 ? tx->data_len : 4));
                    json_array_append_new(txs, tj);
                    json_array_append_new(rcs, receipt_json(&l, &rs, i, false, false));
                }
                json_t *fb = block_json(&l);
                json_object_set_new(fb, "transactions", txs);
                r->result = json_pack("{s:o,s:o}", "fullblock", fb, "receipts", rcs);
                chain_receipts_free(&rs);
            }
            rpc__block_free(&l);
        }
    }
    db_txn_abort(t);
}

/* ---- account history ---- */

/* The oldest block whose post-state can be read (history before it was pruned). */
static uint64_t history_from(db_txn_t *t)
{
    uint64_t from = 0;
    if (db_meta_get_u64(t, "history_from", &from) != ERR_OK)
        from = 0;
    return from;
}

/* The account after block n; false when it did not exist. *err set when the state is not
 * readable. */
static bool account_at(db_txn_t *t, const addr_t *a, uint64_t n, state_account_t *acc, bool *err)
{
    state_backend_t be;
    void *be_ctx = NULL;
    if (state_db_backend_at(t, n, &be, &be_ctx) != ERR_OK) {
        *err = true;
        return false;
    }
    bool ok = be.get_account(be.ctx, a, acc);
    state_db_backend_at_free(be_ctx);
    return ok;
}

/* Smallest block in (lo, hi] after which pred holds, given that it holds after hi and not after
 * lo (the predicate is monotonic over the range). */
typedef bool (*acct_pred_fn)(const state_account_t *acc, bool exists, const void *arg);

static bool bisect(db_txn_t *t, const addr_t *a, uint64_t lo, uint64_t hi, acct_pred_fn pred,
                   const void *arg, uint64_t *out)
{
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        state_account_t acc;
        bool err = false;
        bool ex = account_at(t, a, mid, &acc, &err);
        if (err)
            return false;
        if (pred(&acc, ex, arg))
            hi = mid;
        else
            lo = mid;
    }
    *out = hi;
    return true;
}

static bool nonce_above(const state_account_t *acc, bool exists, const void *arg)
{
    return exists && acc->nonce > *(const uint64_t *)arg;
}

static bool has_code_hash(const state_account_t *acc, bool exists, const void *arg)
{
    return exists && hash_eq(&acc->code_hash, (const hash_t *)arg);
}

/* Find the block in which pred first held (and has held since): false with *none when it held
 * already at the oldest readable block (genesis alloc, or pruned history). */
static bool first_block(db_txn_t *t, const addr_t *a, acct_pred_fn pred, const void *arg,
                        uint64_t head, uint64_t *out, bool *none, rpc_reply_t *r)
{
    uint64_t lo = history_from(t);
    *none = false;
    state_account_t acc;
    bool err = false;
    bool ex = account_at(t, a, lo, &acc, &err);
    if (err) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "state history is not available");
        return false;
    }
    if (pred(&acc, ex, arg) || lo >= head) {
        *none = true;
        return false;
    }
    ex = account_at(t, a, head, &acc, &err);
    if (!err && !pred(&acc, ex, arg)) {
        *none = true; /* never happened (yet) */
        return false;
    }
    if (!bisect(t, a, lo, head, pred, arg, out)) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "state history is not available");
        return false;
    }
    return true;
}

/* ots_getTransactionBySenderAndNonce(address, nonce): the hash, or null. */
static void tx_by_sender_and_nonce(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    addr_t a;
    uint64_t nonce;
    if (!rpc__arity(params, 2, 2, r) || !addr_param(params, 0, &a, r) ||
        !u64_param(params, 1, "nonce", UINT64_MAX, &nonce, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t head, b;
    hash_t hh;
    bool none;
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
    } else if (first_block(t, &a, nonce_above, &nonce, head, &b, &none, r)) {
        /* Block b moved the nonce past `nonce`: the transaction is among its own. */
        hash_t bh;
        block_t blk;
        r->result = json_null();
        if (chain_canonical_hash(t, b, &bh) == ERR_OK && chain_read_block(t, &bh, &blk) == ERR_OK) {
            for (size_t i = 0; i < blk.ntxs; i++) {
                const tx_t *tx = &blk.txs[i];
                addr_t from;
                hash_t th;
                if (tx->type == TX_L1_MESSAGE || tx->nonce != nonce ||
                    tx_recover_sender(tx, &from) != ERR_OK || !addr_eq(&from, &a) ||
                    tx_hash(tx, &th) != ERR_OK)
                    continue;
                json_decref(r->result);
                r->result = jhash(&th);
                break;
            }
            block_deinit(&blk);
        }
    } else if (none) {
        r->result = json_null();
    }
    db_txn_abort(t);
}

typedef struct creator_find {
    addr_t target;
    bool found;
    addr_t creator;
    size_t tx_index, cur;
    hash_t tx_hash;
} creator_find_t;

static void cf_enter(void *ud, const evm_message_t *m)
{
    (void)ud;
    (void)m;
}

static void cf_exit(void *ud, const evm_message_t *m, const evm_result_t *res)
{
    creator_find_t *f = ud;
    if (is_create(m) && res->status == EVM_SUCCESS && addr_eq(&res->create_address, &f->target)) {
        f->found = true;
        f->creator = m->sender;
        f->tx_index = f->cur;
    }
}

static void cf_begin(void *ud, size_t i)
{
    ((creator_find_t *)ud)->cur = i;
}

static void cf_end(void *ud, size_t i, const hash_t *th)
{
    creator_find_t *f = ud;
    if (f->found && f->tx_index == i)
        f->tx_hash = *th;
}

/* ots_getContractCreator(address): {hash, creator} of the creation, or null for accounts
 * without code, EIP-7702 delegations and genesis contracts. */
static void contract_creator(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    addr_t a;
    if (!rpc__arity(params, 1, 1, r) || !addr_param(params, 0, &a, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t head, b;
    hash_t hh;
    state_account_t acc;
    bool none;
    state_backend_t be = state_db_backend(t);
    addr_t deleg;
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
    } else if (!be.get_account(be.ctx, &a, &acc) || hash_eq(&acc.code_hash, &KECCAK_EMPTY) ||
               evm_parse_delegation(be.get_code(be.ctx, &acc.code_hash), &deleg)) {
        r->result = json_null();
    } else if (first_block(t, &a, has_code_hash, &acc.code_hash, head, &b, &none, r)) {
        creator_find_t f;
        memset(&f, 0, sizeof(f));
        f.target = a;
        replay_t rp;
        memset(&rp, 0, sizeof(rp));
        rp.hooks = (evm_tracer_t){ .enter = cf_enter, .exit = cf_exit, .ud = &f };
        rp.only = SIZE_MAX;
        rp.tx_begin = cf_begin;
        rp.tx_end = cf_end;
        rp.ud = &f;
        if (replay_block(c, t, b, &rp, r)) {
            r->result = f.found ? json_pack("{s:o,s:o}", "hash", jhash(&f.tx_hash), "creator",
                                            jaddr(&f.creator))
                                : json_null();
        }
    } else if (none) {
        r->result = json_null();
    }
    db_txn_abort(t);
}

/* ---- searching an address's transactions ---- */

typedef struct touch {
    addr_t target;
    bool hit;    /**< the current transaction touches target */
    size_t *idx; /**< transactions that touched it */
    size_t n, cap;
} touch_t;

static void touch_enter(void *ud, const evm_message_t *m)
{
    touch_t *tc = ud;
    addr_t from, to;
    frame_parties(m, &from, &to);
    if (addr_eq(&from, &tc->target) || (!is_create(m) && addr_eq(&to, &tc->target)))
        tc->hit = true;
}

static void touch_exit(void *ud, const evm_message_t *m, const evm_result_t *res)
{
    touch_t *tc = ud;
    if (is_create(m) && addr_eq(&res->create_address, &tc->target))
        tc->hit = true;
}

static void touch_begin(void *ud, size_t i)
{
    (void)i;
    ((touch_t *)ud)->hit = false;
}

static void touch_end(void *ud, size_t i, const hash_t *th)
{
    (void)th;
    touch_t *tc = ud;
    if (!tc->hit)
        return;
    if (tc->n == tc->cap) {
        tc->cap = tc->cap ? tc->cap * 2 : 16;
        tc->idx = rn_realloc(tc->idx, tc->cap * sizeof(size_t));
    }
    tc->idx[tc->n++] = i;
}

/* Append the matching transactions of block `number` (newest first when backward). */
static bool search_block(const rpc_ctx_t *c, db_txn_t *t, uint64_t number, const addr_t *a,
                         bool backward, json_t *txs, json_t *rcs, size_t *count, rpc_reply_t *r)
{
    touch_t tc;
    memset(&tc, 0, sizeof(tc));
    tc.target = *a;
    replay_t rp;
    memset(&rp, 0, sizeof(rp));
    rp.hooks = (evm_tracer_t){ .enter = touch_enter, .exit = touch_exit, .ud = &tc };
    rp.only = SIZE_MAX;
    rp.tx_begin = touch_begin;
    rp.tx_end = touch_end;
    rp.ud = &tc;
    bool ok = replay_block(c, t, number, &rp, r);
    if (ok && tc.n) {
        hash_t bh;
        rpc_block_t l;
        chain_receipts_t rs;
        if (chain_canonical_hash(t, number, &bh) != ERR_OK ||
            rpc__block_load(t, &bh, &l) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored block #%" PRIu64 " is unreadable",
                            number);
            ok = false;
        } else {
            ok = rpc__block_receipts(t, &l, &rs, r);
            for (size_t k = 0; ok && k < tc.n; k++) {
                size_t i = tc.idx[backward ? tc.n - 1 - k : k];
                json_array_append_new(txs,
                                      rpc__tx_json(&l.b.txs[i], &l.txh[i], rpc__block_sender(&l, i),
                                                   &l.b.header, &l.hash, i));
                json_array_append_new(rcs, receipt_json(&l, &rs, i, true, true));
            }
            if (ok) {
                *count += tc.n;
                chain_receipts_free(&rs);
            }
            rpc__block_free(&l);
        }
    }
    rn_free(tc.idx);
    return ok;
}

static void json_array_reverse(json_t *a)
{
    size_t n = json_array_size(a);
    for (size_t i = 0; i < n / 2; i++) {
        json_t *x = json_incref(json_array_get(a, i));
        json_array_set(a, i, json_array_get(a, n - 1 - i));
        json_array_set_new(a, n - 1 - i, x);
    }
}

/* ots_searchTransactionsBefore/After(address, blockNumber, pageSize). Before: blocks below
 * blockNumber (0 = from the head; firstPage), newest first. After: blocks above blockNumber
 * (0 = from genesis; lastPage), the page returned newest first. Whole blocks are added until
 * pageSize is reached, so a page may hold a few more (Erigon does the same). */
static void search(void *ctx, const json_t *params, rpc_reply_t *r, bool backward)
{
    const rpc_ctx_t *c = ctx;
    addr_t a;
    uint64_t bn, size;
    if (!rpc__arity(params, 3, 3, r) || !addr_param(params, 0, &a, r) ||
        !u64_param(params, 1, "blockNumber", UINT64_MAX, &bn, r) ||
        !u64_param(params, 2, "pageSize", OTS_MAX_PAGE_SIZE, &size, r))
        return;
    if (size == 0) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: pageSize (argument 2) must be from 1 to %d",
                        OTS_MAX_PAGE_SIZE);
        return;
    }
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t head;
    hash_t hh;
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
        db_txn_abort(t);
        return;
    }
    uint64_t from;
    if (backward)
        from = bn == 0 || bn - 1 > head ? head : bn - 1;
    else
        from = bn == 0 ? 0 : bn == UINT64_MAX ? UINT64_MAX : bn + 1;
    /* A block is replayable when the state after its parent is kept. */
    uint64_t oldest = history_from(t) + 1;
    state_hist_iter_t *it;
    if (state_db_changed_blocks_open(t, &a, from, backward, &it) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        db_txn_abort(t);
        return;
    }
    json_t *txs = json_array(), *rcs = json_array();
    size_t count = 0, scanned = 0;
    bool ok = true, more = false, err = false;
    uint64_t b;
    if (backward || bn != UINT64_MAX) {
        while (state_db_changed_blocks_next(it, &b, &err)) {
            if (b > head || b < oldest) {
                if (backward && b < oldest)
                    break; /* older blocks cannot be replayed */
                continue;
            }
            if (count >= size) {
                more = true;
                break;
            }
            if (scanned == OTS_MAX_SEARCH_BLOCKS) {
                if (count == 0) {
                    rpc_reply_error(r, RPC_LIMIT_EXCEEDED,
                                    "search replayed %d blocks that changed the address without a "
                                    "match; continue from block %" PRIu64,
                                    OTS_MAX_SEARCH_BLOCKS, b);
                    ok = false;
                }
                more = true;
                break;
            }
            scanned++;
            if (!search_block(c, t, b, &a, backward, txs, rcs, &count, r)) {
                ok = false;
                break;
            }
        }
    }
    if (ok && err) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "account history is unreadable");
        ok = false;
    }
    state_db_changed_blocks_close(it);
    if (ok) {
        if (!backward) {
            json_array_reverse(txs);
            json_array_reverse(rcs);
        }
        bool first = backward ? bn == 0 : !more;
        bool last = backward ? !more : bn == 0;
        r->result = json_pack("{s:o,s:o,s:b,s:b}", "txs", txs, "receipts", rcs, "firstPage", first,
                              "lastPage", last);
    } else {
        json_decref(txs);
        json_decref(rcs);
    }
    db_txn_abort(t);
}

static void search_before(void *ctx, const json_t *params, rpc_reply_t *r)
{
    search(ctx, params, r, true);
}

static void search_after(void *ctx, const json_t *params, rpc_reply_t *r)
{
    search(ctx, params, r, false);
}

void rpc__register_ots(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "ots_getApiLevel", RPC_NS_OTS, api_level },
        { "ots_hasCode", RPC_NS_OTS, has_code },
        { "ots_getInternalOperations", RPC_NS_OTS, internal_operations },
        { "ots_getTransactionError", RPC_NS_OTS, transaction_error },
        { "ots_traceTransaction", RPC_NS_OTS, trace_transaction },
        { "ots_getBlockDetails", RPC_NS_OTS, block_details },
        { "ots_getBlockDetailsByHash", RPC_NS_OTS, block_details_by_hash },
        { "ots_getBlockTransactions", RPC_NS_OTS, block_transactions },
        { "ots_searchTransactionsBefore", RPC_NS_OTS, search_before },
        { "ots_searchTransactionsAfter", RPC_NS_OTS, search_after },
        { "ots_getTransactionBySenderAndNonce", RPC_NS_OTS, tx_by_sender_and_nonce },
        { "ots_getContractCreator", RPC_NS_OTS, contract_creator },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
