/* eth_simulateV1 (execution-apis): calls in a chain of simulated blocks on top of a block, each
 * block with optional block and state overrides, the state carried from block to block.
 *
 * The state is a layer (overlay.c) over the state at the base block: a block's state overrides go
 * into the layer, its calls run as transactions on one state_t over it, and the block's change
 * set is folded into the layer before the next block. Per the spec and geth: at most 256 blocks
 * (gaps in block numbers are filled with empty blocks), numbers and timestamps strictly
 * increasing (default +1 and +12 s), base fee 0 without validation unless overridden, a call's
 * gas defaults to what is left in the block, invalid transactions fail the whole request with the
 * spec's -380xx codes, reverts and EVM errors are per call (code 3 / -32015). traceTransfers adds
 * ERC-20-style Transfer logs from 0xeeee…eeee for every value transfer, in execution order.
 *
 * Limits (docs/decisions/0015-call-overrides-and-simulate.md): 50M gas for all calls together
 * (a call's gas is capped by what is left, as geth's gas pool), stateRoot is the base block's
 * (the layer is not merkleized), no L1 data fee is charged, BLOCKHASH of simulated blocks follows
 * the chain's rule without the EIP-2935 system call, movePrecompileToAddress is refused, with
 * validation the base fee defaults to the parent's (Scroll's base fee comes from L1). */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "rpc/ns/exec.h"
#include "rpc/rpc_int.h"
#include "trie/trie.h"

enum {
    SIM_MAX_BLOCKS = 256,
    SIM_MAX_CALLS = 1000, /* over all blocks of one request */
    SIM_TIMESTAMP_INCREMENT = 12,
};

/* The gas all calls of one request may use (geth's and reth's default RPC gas cap). */
static const uint64_t SIM_GAS_BUDGET = 50000000;

enum {
    SIM_ERR_NONCE_TOO_LOW = -38010,
    SIM_ERR_NONCE_TOO_HIGH = -38011,
    SIM_ERR_BASE_FEE_TOO_LOW = -38012,
    SIM_ERR_INTRINSIC_GAS = -38013,
    SIM_ERR_INSUFFICIENT_FUNDS = -38014,
    SIM_ERR_BLOCK_GAS_LIMIT = -38015,
    SIM_ERR_BLOCK_NUMBER = -38020,
    SIM_ERR_BLOCK_TIMESTAMP = -38021,
    SIM_ERR_SENDER_NOT_EOA = -38024,
    SIM_ERR_INITCODE_SIZE = -38025,
    SIM_ERR_CLIENT_LIMIT = -38026,
    SIM_ERR_VM = -32015,
};

/* ---- traceTransfers ---- */

typedef struct xfer {
    bool is_log; /* a real LOGn of the EVM (its place in the order), else a value transfer */
    addr_t from, to;
    u256_t value;
} xfer_t;

typedef struct xfer_tracer {
    xfer_t *v;
    size_t n, cap;
    size_t mark[1100];  /* n when each open frame began */
    size_t entry[1100]; /* a create's transfer (its `to` known at exit), else SIZE_MAX */
    int depth;
} xfer_tracer_t;

static void xfer_push(xfer_tracer_t *t, xfer_t x)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = rn_realloc(t->v, t->cap * sizeof(*t->v));
    }
    t->v[t->n++] = x;
}

static void xfer_step(void *ud, uint32_t pc, uint8_t op, int64_t gas, int64_t cost, size_t mem,
                      const u256_t *stack, size_t n, int32_t depth, int64_t refund)
{
    (void)pc, (void)gas, (void)cost, (void)mem, (void)stack, (void)n, (void)depth, (void)refund;
    if (op >= 0xa0 && op <= 0xa4) /* LOG0..LOG4 */
        xfer_push(ud, (xfer_t){ .is_log = true });
}

static void xfer_enter(void *ud, const evm_message_t *m)
{
    xfer_tracer_t *t = ud;
    if (t->depth >= (int)RN_ARRAY_LEN(t->mark))
        return;
    t->mark[t->depth] = t->n;
    t->entry[t->depth] = SIZE_MAX;
    if (!u256_is_zero(m->value) && m->kind != EVM_DELEGATECALL && m->kind != EVM_STATICCALL) {
        if (m->kind == EVM_CREATE || m->kind == EVM_CREATE2)
            t->entry[t->depth] = t->n;
        xfer_push(t, (xfer_t){ .from = m->sender, .to = m->recipient, .value = m->value });
    }
    t->depth++;
}

static void xfer_exit(void *ud, const evm_message_t *m, const evm_result_t *res)
{
    (void)m;
    xfer_tracer_t *t = ud;
    if (t->depth == 0)
        return;
    t->depth--;
    if (res->status != EVM_SUCCESS)
        t->n = t->mark[t->depth]; /* the frame's logs and transfers are reverted */
    else if (t->entry[t->depth] != SIZE_MAX)
        t->v[t->entry[t->depth]].to = res->create_address;
}

/* ---- results ---- */

static json_t *log_json(const addr_t *a, const hash_t *topics, size_t nt, const uint8_t *d,
                        size_t dn, uint64_t number, const hash_t *txh, size_t txi, size_t li)
{
    json_t *tj = json_array();
    for (size_t i = 0; i < nt; i++)
        json_array_append_new(tj, rpc__data(topics[i].b, 32));
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "address", rpc__data(a->b, 20), "topics",
                     tj, "data", rpc__data(d, dn), "blockNumber", rpc__quantity(number),
                     "transactionHash", rpc__data(txh->b, 32), "transactionIndex",
                     rpc__quantity(txi), "logIndex", rpc__quantity(li), "removed", 0);
}

static const addr_t TRANSFER_ADDR = {
    { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
      0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee }
};

static json_t *transfer_log(const xfer_t *x, uint64_t number, const hash_t *txh, size_t txi,
                            size_t li)
{
    hash_t topics[3];
    static const char sig[] = "Transfer(address,address,uint256)";
    keccak256(topics[0].b, (const uint8_t *)sig, sizeof(sig) - 1);
    memset(topics[1].b, 0, 32);
    memset(topics[2].b, 0, 32);
    memcpy(topics[1].b + 12, x->from.b, 20);
    memcpy(topics[2].b + 12, x->to.b, 20);
    uint8_t v[32];
    u256_to_be(v, x->value);
    return log_json(&TRANSFER_ADDR, topics, 3, v, 32, number, txh, txi, li);
}

static int sim_code(tx_invalid_t v)
{
    switch (v) {
    case TX_INVALID_NONCE_TOO_LOW:
        return SIM_ERR_NONCE_TOO_LOW;
    case TX_INVALID_NONCE_TOO_HIGH:
    case TX_INVALID_NONCE_MAX:
        return SIM_ERR_NONCE_TOO_HIGH;
    case TX_INVALID_FEE_CAP_TOO_LOW:
        return SIM_ERR_BASE_FEE_TOO_LOW;
    case TX_INVALID_INTRINSIC_GAS:
    case TX_INVALID_FLOOR_DATA_GAS:
        return SIM_ERR_INTRINSIC_GAS;
    case TX_INVALID_INSUFFICIENT_FUNDS:
    case TX_INVALID_INSUFFICIENT_FUNDS_TRANSFER:
    case TX_INVALID_INSUFFICIENT_FUNDS_L1_FEE:
        return SIM_ERR_INSUFFICIENT_FUNDS;
    case TX_INVALID_GAS_LIMIT_REACHED:
        return SIM_ERR_BLOCK_GAS_LIMIT;
    case TX_INVALID_SENDER_NOT_EOA:
        return SIM_ERR_SENDER_NOT_EOA;
    case TX_INVALID_INITCODE_SIZE:
        return SIM_ERR_INITCODE_SIZE;
    default:
        return RPC_INVALID_PARAMS;
    }
}

/* ---- one request ---- */

typedef struct sim {
    const rpc_ctx_t *c;
    evm_t *evm;
    rpc_overlay_t *ov;
    state_backend_t be;
    bool validate, trace_transfers, full_txs;
    header_t parent; /* of the next block: its hash is parent_hash */
    hash_t parent_hash;
    size_t ncalls;
    uint64_t budget; /* gas left for the request's calls */
    json_t *out;
} sim_t;

typedef struct sim_block {
    evm_block_t blk;
    const json_t *state_ov, *calls;
    size_t index; /* in blockStateCalls, or SIZE_MAX for a filler */
} sim_block_t;

/* Run one block's calls and append its result; false with the reply set. */
static bool run_block(sim_t *s, const sim_block_t *sb, rpc_reply_t *r)
{
    char name[96];
    snprintf(name, sizeof(name), "blockStateCalls[%zu].stateOverrides", sb->index);
    if (sb->state_ov && !rpc__state_overrides(s->ov, sb->state_ov, name, r))
        return false;
    size_t ncalls = json_array_size(sb->calls);
    evm_rules_t rules;
    rpc__call_rules(s->c, &sb->blk, &rules);
    state_t *st = state_new(&s->be);
    tx_t *txs = RN_NEWV(tx_t, ncalls + 1);
    addr_t *froms = RN_NEWV(addr_t, ncalls + 1);
    hash_t *txh = RN_NEWV(hash_t, ncalls + 1);
    receipt_t *rcp = RN_NEWV(receipt_t, ncalls + 1);
    json_t *calls = json_array(), *all_logs = json_array();
    header_t h;
    memset(&h, 0, sizeof(h));
    bool ok = false;
    uint64_t used = 0;
    size_t log_index = 0;
    rpc_call_args_t a;
    memset(&a, 0, sizeof(a));
    buf_init(&a.data, RPC_MAX_BODY_BYTES);
    buf_t output;
    buf_init(&output, RPC_MAX_RESPONSE_BYTES / 2);
    for (size_t i = 0; i < ncalls; i++) {
        rpc_access_list_t al = { 0 };
        buf_reset(&a.data);
        memset(&a, 0, offsetof(rpc_call_args_t, data));
        snprintf(name, sizeof(name), "blockStateCalls[%zu].calls[%zu]", sb->index, i);
        if (!rpc__parse_call_object(json_array_get(sb->calls, i), name, &a, &al, r)) {
            rpc__access_list_free(&al);
            goto out;
        }
        if (++s->ncalls > SIM_MAX_CALLS) {
            rpc_reply_error(r, SIM_ERR_CLIENT_LIMIT, "too many calls: at most %d per request",
                            SIM_MAX_CALLS);
            rpc__access_list_free(&al);
            goto out;
        }
        uint64_t left = sb->blk.gas_limit > used ? sb->blk.gas_limit - used : 0;
        uint64_t gas = a.has_gas ? a.gas : left;
        if (gas > s->budget) /* geth: a call's gas is capped by what the budget has left */
            gas = s->budget;
        rpc_exec_t x = { .blk = &sb->blk,
                         .rules = &rules,
                         .validate = s->validate,
                         .block_gas_used = used,
                         .al = &al };
        xfer_tracer_t tt;
        memset(&tt, 0, sizeof(tt));
        evm_tracer_t hooks = {
            .step = xfer_step, .enter = xfer_enter, .exit = xfer_exit, .ud = &tt
        };
        if (s->trace_transfers)
            evm_set_tracer(s->evm, &hooks);
        state_tx_result_t res;
        tx_t tx;
        tx_invalid_t v = rpc__exec_call(s->evm, st, &x, &a, gas, &tx, &res, &output);
        evm_set_tracer(s->evm, NULL);
        if (v != TX_VALID) {
            rpc_reply_error(r, sim_code(v), "%s: %s", name, tx_invalid_msg(v));
            rn_free(tt.v);
            rpc__access_list_free(&al);
            goto out;
        }
        /* Keep the transaction: own its data and access list. */
        tx.data = NULL;
        if (a.data.n) {
            tx.data = rn_malloc(a.data.n);
            memcpy(tx.data, a.data.p, a.data.n);
        }
        tx.access_list = al.t;
        tx.naccess = al.n;
        al.t = NULL;
        txs[i] = tx;
        froms[i] = a.has_from ? a.from : (addr_t){ { 0 } };
        if (tx_hash(&txs[i], &txh[i]) != ERR_OK)
            memset(txh[i].b, 0, 32);
        used += res.gas_used;
        s->budget -= res.gas_used < s->budget ? res.gas_used : s->budget;
        /* Receipt (real logs only) and the call's logs (with transfers when traced). */
        size_t nl;
        const log_t *logs = state_logs(st, &nl);
        receipt_t *rc = &rcp[i];
        rc->type = txs[i].type;
        rc->status = res.status == EVM_SUCCESS;
        rc->cumulative_gas = used;
        rc->logs = RN_NEWV(log_t, nl + 1);
        for (size_t k = 0; k < nl; k++) {
            rc->logs[k] = logs[k];
            rc->logs[k].data = NULL;
            if (logs[k].data_len) {
                rc->logs[k].data = rn_malloc(logs[k].data_len);
                memcpy(rc->logs[k].data, logs[k].data, logs[k].data_len);
            }
            rc->nlogs++;
            bloom_add_log(rc->bloom, &logs[k]);
            bloom_add_log(h.bloom, &logs[k]);
        }
        json_t *lj = json_array();
        size_t placeholders = 0;
        for (size_t k = 0; k < tt.n; k++)
            placeholders += tt.v[k].is_log;
        size_t next = 0;
        bool interleave = s->trace_transfers && placeholders == nl;
        for (size_t k = 0; interleave && k < tt.n; k++) {
            json_t *o = tt.v[k].is_log
                            ? log_json(&logs[next].addr, logs[next].topics, logs[next].ntopics,
                                       logs[next].data, logs[next].data_len, sb->blk.number,
                                       &txh[i], i, log_index)
                            : transfer_log(&tt.v[k], sb->blk.number, &txh[i], i, log_index);
            next += tt.v[k].is_log;
            log_index++;
            json_array_append_new(lj, o);
        }
        for (size_t k = 0; !interleave && k < nl; k++)
            json_array_append_new(lj, log_json(&logs[k].addr, logs[k].topics, logs[k].ntopics,
                                               logs[k].data, logs[k].data_len, sb->blk.number,
                                               &txh[i], i, log_index++));
        for (size_t k = 0; !interleave && s->trace_transfers && k < tt.n; k++)
            if (!tt.v[k].is_log)
                json_array_append_new(
                    lj, transfer_log(&tt.v[k], sb->blk.number, &txh[i], i, log_index++));
        rn_free(tt.v);
        json_array_extend(all_logs, lj);
        json_t *cr = json_pack("{s:o,s:o,s:o,s:o}", "returnData", rpc__data(output.p, output.n),
                               "logs", lj, "gasUsed", rpc__quantity(res.gas_used), "status",
                               rpc__quantity(res.status == EVM_SUCCESS));
        if (res.status == EVM_REVERT) {
            json_t *why = rpc__revert_reason(buf_view(&output));
            char msg[300];
            if (json_is_string(why))
                snprintf(msg, sizeof(msg), "execution reverted: %.200s", json_string_value(why));
            else
                snprintf(msg, sizeof(msg), "execution reverted");
            json_decref(why);
            json_object_set_new(cr, "error",
                                json_pack("{s:i,s:s,s:o}", "code", RPC_EXECUTION_REVERTED,
                                          "message", msg, "data", rpc__data(output.p, output.n)));
        } else if (res.status != EVM_SUCCESS) {
            json_object_set_new(
                cr, "error",
                json_pack("{s:i,s:s}", "code", SIM_ERR_VM, "message", rpc__evm_error(res.status)));
        }
        json_array_append_new(calls, cr);
    }
    /* Fold the block's changes into the layer for the next block. */
    state_changes_t ch;
    if (state_changes(st, &ch) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "cannot collect the simulated state");
        goto out;
    }
    rpc__overlay_apply(s->ov, &ch);
    state_changes_free(&ch);

    /* The header. */
    h.parent_hash = s->parent_hash;
    h.ommers_hash = s->parent.ommers_hash;
    h.coinbase = sb->blk.coinbase;
    h.state_root = s->parent.state_root;
    h.number = sb->blk.number;
    h.gas_limit = sb->blk.gas_limit;
    h.gas_used = used;
    h.timestamp = sb->blk.timestamp;
    u256_to_be(h.mix_hash.b, sb->blk.prevrandao);
    h.has_base_fee = s->parent.has_base_fee || !u256_is_zero(sb->blk.base_fee);
    h.base_fee = sb->blk.base_fee;
    {
        buf_t enc;
        buf_init(&enc, 1u << 28);
        bview_t *items = RN_NEWV(bview_t, ncalls + 1);
        size_t *offs = RN_NEWV(size_t, ncalls + 1);
        bool eok = true;
        for (size_t i = 0; i < ncalls && eok; i++) {
            offs[i] = enc.n;
            eok = tx_encode(&txs[i], &enc) == ERR_OK;
        }
        for (size_t i = 0; i < ncalls && eok; i++)
            items[i] = bview(enc.p + offs[i], (i + 1 < ncalls ? offs[i + 1] : enc.n) - offs[i]);
        eok = eok && trie_root_ordered(&h.tx_root, items, ncalls) == ERR_OK;
        size_t tx_bytes = enc.n;
        buf_reset(&enc);
        for (size_t i = 0; i < ncalls && eok; i++) {
            offs[i] = enc.n;
            eok = receipt_encode(&rcp[i], &enc) == ERR_OK;
        }
        for (size_t i = 0; i < ncalls && eok; i++)
            items[i] = bview(enc.p + offs[i], (i + 1 < ncalls ? offs[i + 1] : enc.n) - offs[i]);
        eok = eok && trie_root_ordered(&h.receipts_root, items, ncalls) == ERR_OK;
        buf_reset(&enc);
        eok = eok && header_encode(&h, &enc) == ERR_OK;
        size_t header_bytes = enc.n;
        rn_free(items);
        rn_free(offs);
        buf_deinit(&enc);
        hash_t bh;
        if (!eok || header_hash(&h, &bh) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "cannot encode the simulated block");
            goto out;
        }
        json_t *bj = rpc_header_json(&h, &bh);
        json_t *txj = json_array();
        for (size_t i = 0; i < ncalls; i++) {
            if (!s->full_txs) {
                json_array_append_new(txj, rpc__data(txh[i].b, 32));
                continue;
            }
            json_array_append_new(txj, rpc__tx_json(&txs[i], &txh[i], &froms[i], &h, &bh, i));
        }
        json_object_set_new(bj, "transactions", txj);
        json_object_set_new(bj, "uncles", json_array());
        /* The RLP list header is at most 9 bytes (approximated with the payload's size). */
        size_t payload = header_bytes + tx_bytes + 2;
        json_object_set_new(bj, "size", rpc__quantity(payload + (payload < 56 ? 1 : 4)));
        size_t li;
        json_t *lo;
        json_array_foreach(all_logs, li, lo)
            json_object_set_new(lo, "blockHash", rpc__data(bh.b, 32));
        json_object_set_new(bj, "calls", calls);
        calls = NULL;
        json_array_append_new(s->out, bj);
        /* The next block's parent. */
        header_deinit(&s->parent);
        s->parent = h;
        s->parent.extra = NULL;
        s->parent_hash = bh;
    }
    ok = true;
out:
    state_free(st);
    for (size_t i = 0; i < ncalls; i++) {
        tx_deinit(&txs[i]);
        for (size_t k = 0; k < rcp[i].nlogs; k++)
            rn_free(rcp[i].logs[k].data);
        rn_free(rcp[i].logs);
    }
    rn_free(txs);
    rn_free(froms);
    rn_free(txh);
    rn_free(rcp);
    json_decref(calls);
    json_decref(all_logs);
    buf_deinit(&a.data);
    buf_deinit(&output);
    return ok;
}

static bool get_flag(const json_t *o, const char *k, bool *out, rpc_reply_t *r)
{
    const json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: argument 0: '%s' must be a boolean",
                        k);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

static void simulate(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!c->spec || !c->db) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND, "the method does not exist/is not available");
        return;
    }
    if (!rpc__arity(params, 1, 2, r))
        return;
    const json_t *p = rpc__param(params, 0);
    const json_t *bsc = json_object_get(p, "blockStateCalls");
    sim_t s;
    memset(&s, 0, sizeof(s));
    s.c = c;
    s.budget = SIM_GAS_BUDGET;
    if (!json_is_object(p) || !json_is_array(bsc)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument 0 must be {blockStateCalls: [...], "
                        "traceTransfers?, validation?, returnFullTransactions?}");
        return;
    }
    if (json_array_size(bsc) == 0) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "empty input");
        return;
    }
    if (!get_flag(p, "traceTransfers", &s.trace_transfers, r) ||
        !get_flag(p, "validation", &s.validate, r) ||
        !get_flag(p, "returnFullTransactions", &s.full_txs, r))
        return;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)p, k, v)
    {
        if (strcmp(k, "blockStateCalls") && strcmp(k, "traceTransfers") &&
            strcmp(k, "validation") && strcmp(k, "returnFullTransactions")) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: argument 0: unknown field '%.64s'", k);
            return;
        }
    }
    db_txn_t *t;
    uint64_t base;
    if (db_txn_begin(c->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        return;
    }
    bool ok = rpc__block_param(t, rpc__param(params, 1), "argument 1 (block)", &base, NULL, r);
    db_txn_abort(t);
    if (!ok)
        return;
    rpc_at_t at;
    if (!rpc__at_open(c, base, &at, r))
        return;
    s.evm = evm_thread();
    s.ov = rpc__overlay_new(&at.be);
    s.be = rpc__overlay_backend(s.ov);
    s.out = json_array();
    s.parent = at.header;
    s.parent.extra = NULL; /* at owns the extra data */
    s.parent.extra_len = 0;
    s.parent_hash = at.hash;
    size_t nblocks = 0;
    for (size_t i = 0; i < json_array_size(bsc); i++) {
        const json_t *b = json_array_get(bsc, i);
        const json_t *bo = json_object_get(b, "blockOverrides");
        const json_t *calls = json_object_get(b, "calls");
        char name[64];
        snprintf(name, sizeof(name), "blockStateCalls[%zu]", i);
        if (!json_is_object(b) || (calls && !json_is_null(calls) && !json_is_array(calls))) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: %s must be {blockOverrides?, stateOverrides?, "
                            "calls?: [...]}",
                            name);
            goto out;
        }
        json_object_foreach((json_t *)b, k, v)
        {
            if (strcmp(k, "blockOverrides") && strcmp(k, "stateOverrides") && strcmp(k, "calls")) {
                rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: %s: unknown field '%.64s'",
                                name, k);
                goto out;
            }
        }
        /* Defaults from the parent, then the overrides. */
        sim_block_t sb = { .index = i,
                           .state_ov = json_object_get(b, "stateOverrides"),
                           .calls = calls };
        rpc__call_block_env(c, &s.parent, &sb.blk);
        sb.blk.number = s.parent.number + 1;
        sb.blk.timestamp = s.parent.timestamp + SIM_TIMESTAMP_INCREMENT;
        sb.blk.prevrandao = u256_from_u64(0);
        if (!s.validate)
            sb.blk.base_fee = u256_from_u64(0);
        snprintf(name, sizeof(name), "blockStateCalls[%zu].blockOverrides", i);
        evm_block_t want = sb.blk;
        if (!rpc__block_overrides(bo, name, &want, r))
            goto out;
        if (want.number <= s.parent.number) {
            rpc_reply_error(r, SIM_ERR_BLOCK_NUMBER,
                            "block numbers must be in order: %" PRIu64 " <= %" PRIu64, want.number,
                            s.parent.number);
            goto out;
        }
        if (want.number - s.parent.number > SIM_MAX_BLOCKS ||
            nblocks + (want.number - s.parent.number) > SIM_MAX_BLOCKS) {
            rpc_reply_error(r, SIM_ERR_CLIENT_LIMIT, "too many blocks: at most %d", SIM_MAX_BLOCKS);
            goto out;
        }
        /* Gaps are filled with empty blocks. */
        while (s.parent.number + 1 < want.number) {
            sim_block_t gap = { .index = SIZE_MAX };
            rpc__call_block_env(c, &s.parent, &gap.blk);
            gap.blk.number = s.parent.number + 1;
            gap.blk.timestamp = s.parent.timestamp + SIM_TIMESTAMP_INCREMENT;
            gap.blk.prevrandao = u256_from_u64(0);
            gap.blk.coinbase = sb.blk.coinbase;
            if (!s.validate)
                gap.blk.base_fee = u256_from_u64(0);
            if (!run_block(&s, &gap, r))
                goto out;
            nblocks++;
        }
        /* A default timestamp follows the last (possibly filler) block. */
        const json_t *tov = json_object_get(bo, "time");
        if (!tov || json_is_null(tov))
            want.timestamp = s.parent.timestamp + SIM_TIMESTAMP_INCREMENT;
        if (want.timestamp <= s.parent.timestamp) {
            rpc_reply_error(r, SIM_ERR_BLOCK_TIMESTAMP,
                            "block timestamps must be in order: %" PRIu64 " <= %" PRIu64,
                            want.timestamp, s.parent.timestamp);
            goto out;
        }
        sb.blk = want;
        if (!run_block(&s, &sb, r))
            goto out;
        nblocks++;
    }
    r->result = s.out;
    s.out = NULL;
out:
    json_decref(s.out);
    header_deinit(&s.parent);
    rpc__overlay_free(s.ov);
    rpc__at_close(&at);
}

void rpc__register_eth_simulate(rpc_registry_t *reg)
{
    static const rpc_method_t m = { "eth_simulateV1", RPC_NS_ETH, simulate };
    rpc__register_methods(reg, &m, 1);
}
