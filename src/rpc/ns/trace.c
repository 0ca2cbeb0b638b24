/* trace namespace (OpenEthereum/reth "parity" traces): trace_block, trace_transaction, trace_get,
 * trace_filter, trace_call, trace_replayTransaction, trace_replayBlockTransactions.
 *
 * A transaction's call frames come from debug.c's replay (callTracer with the EVM frame's own
 * gas: the top-level action.gas is the gas limit minus intrinsic gas and result.gasUsed leaves
 * the intrinsic gas out, as parity traces count them) and are flattened depth-first: each frame
 * one trace with its traceAddress (child indexes from the top) and subtraces (its child count).
 * Errors use parity's names ("Reverted", "Out of gas", …) and drop the result. Scroll has no block
 * reward, so no "reward" traces. The replays' stateDiff is built from geth's prestate diff
 * (debug.c): "=", {"+": v}, {"-": v} or {"*": {from, to}} per balance, nonce, code and slot.
 * A revert keeps its result (gasUsed, output = revert data),
 * other failures have result null, as reth and anvil answer. Calls to precompiles that move no
 * value are left out (reth's default_parity: exclude_precompile_calls). Of the replay trace types
 * "trace" and "stateDiff" are served; "vmTrace" (and stateDiff for trace_call) is -32602. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rpc/ns/exec.h"
#include "rpc/rpc_int.h"

enum {
    TRACE_FILTER_MAX_BLOCKS = 1000, /* blocks a trace_filter may replay */
    TRACE_FILTER_MAX_RESULTS = 10000,
};

static const char *parity_error(const char *e)
{
    static const struct {
        const char *ours, *parity;
    } map[] = {
        { "execution reverted", "Reverted" },
        { "out of gas", "Out of gas" },
        { "invalid opcode: INVALID", "Bad instruction" },
        { "invalid opcode", "Bad instruction" },
        { "stack overflow", "Out of stack" },
        { "stack underflow", "Stack underflow" },
        { "invalid jump destination", "Bad jump destination" },
        { "return data out of bounds", "Out of bounds" },
        { "max call depth exceeded", "Out of depth" },
        { "write protection", "Mutable Call In Static Context" },
        { "precompiled contract failed", "Built-in failed" },
        { "insufficient balance for transfer", "Insufficient balance for transfer" },
    };

    for (size_t i = 0; i < RN_ARRAY_LEN(map); i++)
        if (!strcmp(e, map[i].ours))
            return map[i].parity;
    return e;
}

/* Where a flattened trace sits, for the per-trace fields of trace_block/transaction/filter. */
typedef struct trace_site {
    const hash_t *block_hash; /**< NULL: replay shape (no block fields) */
    uint64_t block_number;
    const hash_t *tx_hash;
    size_t tx_pos;
    precompile_rules_t pc; /**< the block's precompiles: calls to them without value are left
                                out, as reth's parity tracer does */
} trace_site_t;

static void site_rules(trace_site_t *site, const rpc_ctx_t *c, uint64_t number, uint64_t ts)
{
    precompile_rules_scroll(&site->pc, (int)chain_spec_level(c->spec, number, ts));
}

/* A call to a precompile that moves no value: not traced (reth's exclude_precompile_calls). */
static bool skipped(const trace_site_t *site, const json_t *frame)
{
    const char *to = json_string_value(json_object_get(frame, "to"));
    const char *type = json_string_value(json_object_get(frame, "type"));
    const char *value = json_string_value(json_object_get(frame, "value"));
    addr_t a;
    if (!to || !type || !strcmp(type, "CREATE") || !strcmp(type, "CREATE2") ||
        addr_from_hex(&a, to, strlen(to)) != ERR_OK)
        return false;
    return precompile_is_warm(&site->pc, &a) && (!value || !strcmp(value, "0x0"));
}

static json_t *str_or(const json_t *o, const char *k, const char *dflt)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_incref((json_t *)v) : json_string(dflt);
}

/* Append the traces of frame (and its children, depth first) to out. */
static void flatten(const json_t *frame, const trace_site_t *site, json_t *addr, json_t *out)
{
    const char *type = json_string_value(json_object_get(frame, "type"));
    bool create = type && (!strcmp(type, "CREATE") || !strcmp(type, "CREATE2"));
    const json_t *calls = json_object_get(frame, "calls");
    size_t ncalls = json_is_array(calls) ? json_array_size(calls) : 0, nsub = 0;
    for (size_t i = 0; i < ncalls; i++)
        nsub += !skipped(site, json_array_get(calls, i));
    json_t *action = json_object();
    json_object_set_new(action, "from", str_or(frame, "from", "0x"));
    if (create) {
        json_object_set_new(action, "gas", str_or(frame, "gas", "0x0"));
        json_object_set_new(action, "init", str_or(frame, "input", "0x"));
        json_object_set_new(action, "value", str_or(frame, "value", "0x0"));
        json_object_set_new(action, "creationMethod",
                            json_string(!strcmp(type, "CREATE2") ? "create2" : "create"));
    } else {
        char ct[16] = "call";
        for (size_t i = 0; type && type[i] && i < sizeof(ct) - 1; i++) {
            ct[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
            ct[i + 1] = '\0';
        }
        json_object_set_new(action, "callType", json_string(ct));
        json_object_set_new(action, "gas", str_or(frame, "gas", "0x0"));
        json_object_set_new(action, "input", str_or(frame, "input", "0x"));
        json_object_set_new(action, "to", str_or(frame, "to", "0x"));
        json_object_set_new(action, "value", str_or(frame, "value", "0x0"));
    }
    json_t *t = json_object();
    json_object_set_new(t, "action", action);
    if (site->block_hash) {
        json_object_set_new(t, "blockHash", rpc__data(site->block_hash->b, 32));
        json_object_set_new(t, "blockNumber", json_integer((json_int_t)site->block_number));
    }
    const json_t *err = json_object_get(frame, "error");
    if (json_is_string(err))
        json_object_set_new(t, "error", json_string(parity_error(json_string_value(err))));
    /* A revert keeps its result (gas used, revert data); other failures have null. */
    if (json_is_string(err) && strcmp(json_string_value(err), "execution reverted") != 0) {
        json_object_set_new(t, "result", json_null());
    } else {
        json_t *res = json_object();
        if (create) {
            json_object_set_new(res, "address", str_or(frame, "to", "0x"));
            json_object_set_new(res, "code", str_or(frame, "output", "0x")); /* deployed code */
            json_object_set_new(res, "gasUsed", str_or(frame, "gasUsed", "0x0"));
        } else {
            json_object_set_new(res, "gasUsed", str_or(frame, "gasUsed", "0x0"));
            json_object_set_new(res, "output", str_or(frame, "output", "0x"));
        }
        json_object_set_new(t, "result", res);
    }
    json_object_set_new(t, "subtraces", json_integer((json_int_t)nsub));
    json_object_set_new(t, "traceAddress", json_deep_copy(addr));
    if (site->block_hash) {
        json_object_set_new(t, "transactionHash", rpc__data(site->tx_hash->b, 32));
        json_object_set_new(t, "transactionPosition", json_integer((json_int_t)site->tx_pos));
    }
    json_object_set_new(t, "type", json_string(create ? "create" : "call"));
    json_array_append_new(out, t);
    for (size_t i = 0, k = 0; i < ncalls; i++) {
        const json_t *child = json_array_get(calls, i);
        if (skipped(site, child))
            continue;
        json_array_append_new(addr, json_integer((json_int_t)k++));
        flatten(child, site, addr, out);
        json_array_remove(addr, json_array_size(addr) - 1);
    }
}

static void flatten_root(const json_t *frame, const trace_site_t *site, json_t *out)
{
    json_t *addr = json_array();
    if (json_is_object(frame))
        flatten(frame, site, addr, out);
    json_decref(addr);
}

static json_t *state_diff(const json_t *prestate);

/* Which parts a replay answer carries (trace_replay*: the requested trace types). */
typedef struct replay_parts {
    bool trace, state_diff;
} replay_parts_t;

/* The traces of block n (hash bh): every transaction (only = SIZE_MAX) or one. Appends to out,
 * or with `outputs` one replay answer per transaction holding the parts asked for. */
static bool block_traces(const rpc_ctx_t *c, db_txn_t *t, uint64_t n, const hash_t *bh, size_t only,
                         bool with_site, json_t *out, json_t *outputs, replay_parts_t parts,
                         rpc_reply_t *r)
{
    json_t *frames = json_array(), *diffs = json_array();
    bool ok = rpc__trace_block_frames(c, t, bh, only, frames, r);
    if (ok && outputs && parts.state_diff)
        ok = rpc__trace_block_prestate_diff(c, t, bh, only, diffs, r);
    header_t h;
    uint64_t ts = 0;
    if (ok && chain_read_header(t, bh, &h) == ERR_OK) {
        ts = h.timestamp;
        header_deinit(&h);
    }
    for (size_t i = 0; ok && i < json_array_size(frames); i++) {
        const json_t *item = json_array_get(frames, i);
        const json_t *frame = only == SIZE_MAX ? json_object_get(item, "result") : item;
        hash_t th;
        size_t pos = only == SIZE_MAX ? i : only;
        if (chain_tx_hash_at(t, bh, pos, &th) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored block is corrupt");
            ok = false;
            break;
        }
        trace_site_t site = {
            .block_hash = with_site ? bh : NULL, .block_number = n, .tx_hash = &th, .tx_pos = pos
        };
        site_rules(&site, c, n, ts);
        json_t *list = outputs ? json_array() : out;
        flatten_root(frame, &site, list);
        if (outputs) {
            json_t *one = json_object();
            json_object_set_new(one, "output", str_or(frame, "output", "0x"));
            const json_t *d = json_array_get(diffs, i);
            if (d && only == SIZE_MAX)
                d = json_object_get(d, "result");
            json_object_set_new(one, "stateDiff",
                                parts.state_diff && d ? state_diff(d) : json_null());
            if (!parts.trace)
                json_array_clear(list);
            json_object_set_new(one, "trace", list);
            json_object_set_new(one, "vmTrace", json_null());
            json_object_set_new(one, "transactionHash", rpc__data(th.b, 32));
            json_array_append_new(outputs, one);
        }
    }
    json_decref(frames);
    json_decref(diffs);
    return ok;
}

/* ---- stateDiff: parity's view of geth's prestate diff ---- */

static json_t *diff_value(const json_t *from, const json_t *to)
{
    if (!from && !to)
        return json_string("=");
    if (!from)
        return json_pack("{s:O}", "+", to);
    if (!to)
        return json_pack("{s:O}", "-", from);
    if (json_equal(from, to))
        return json_string("=");
    return json_pack("{s:{s:O,s:O}}", "*", "from", from, "to", to);
}

/* One account: pre (NULL: created) and post (NULL: deleted) in geth's diff shape, where post
 * holds only what changed and zero slots are left out. */
static json_t *account_diff(const json_t *pre, const json_t *post)
{
    static const char ZERO[] = "0x0000000000000000000000000000000000000000000000000000000000000000";
    json_t *d = json_object();
    json_t *zero_q = json_string("0x0"), *empty = json_string("0x");

    struct {
        const char *k;
        json_t *dflt;
    } f[] = { { "balance", zero_q }, { "nonce", NULL }, { "code", empty } };

    for (size_t i = 0; i < 3; i++) {
        const json_t *a = pre ? json_object_get(pre, f[i].k) : NULL;
        const json_t *b = post ? json_object_get(post, f[i].k) : NULL;
        json_t *av = NULL, *bv = NULL;
        if (!strcmp(f[i].k, "nonce")) { /* geth: a number, omitted when 0; parity: a quantity */
            av = pre ? rpc__quantity(json_is_integer(a) ? (uint64_t)json_integer_value(a) : 0)
                     : NULL;
            bv = post ? (b ? rpc__quantity((uint64_t)json_integer_value(b)) : json_incref(av))
                      : NULL;
            if (!pre && post && !b)
                bv = rpc__quantity(0);
        } else {
            av = pre ? json_incref(a ? (json_t *)a : f[i].dflt) : NULL;
            bv = post ? json_incref(b ? (json_t *)b : (av ? av : f[i].dflt)) : NULL;
        }
        json_object_set_new(d, f[i].k, diff_value(av, bv));
        json_decref(av);
        json_decref(bv);
    }
    json_t *st = json_object();
    const json_t *ps = pre ? json_object_get(pre, "storage") : NULL;
    const json_t *qs = post ? json_object_get(post, "storage") : NULL;
    json_t *zero = json_string(ZERO);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)ps, k, v)
    {
        const json_t *to = qs ? json_object_get(qs, k) : NULL;
        json_object_set_new(st, k, diff_value(v, post ? (to ? to : zero) : NULL));
    }
    json_object_foreach((json_t *)qs, k, v)
    {
        if (ps && json_object_get(ps, k))
            continue;
        json_object_set_new(st, k, diff_value(pre ? zero : NULL, v));
    }
    json_decref(zero);
    json_object_set_new(d, "storage", st);
    json_decref(zero_q);
    json_decref(empty);
    return d;
}

static json_t *state_diff(const json_t *prestate)
{
    const json_t *pre = json_object_get(prestate, "pre"), *post = json_object_get(prestate, "post");
    json_t *out = json_object();
    const char *a;
    const json_t *v;
    json_object_foreach((json_t *)pre, a, v)
    {
        json_object_set_new(out, a, account_diff(v, json_object_get(post, a)));
    }
    json_object_foreach((json_t *)post, a, v)
    {
        if (!json_object_get(pre, a))
            json_object_set_new(out, a, account_diff(NULL, v));
    }
    return out;
}

/* traceTypes: a non-empty array of "trace" / "vmTrace" / "stateDiff"; vmTrace is refused. */
static bool trace_types(const json_t *p, size_t i, bool *want_trace, bool *want_diff,
                        rpc_reply_t *r)
{
    *want_trace = *want_diff = false;
    if (!json_is_array(p) || json_array_size(p) == 0) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument %zu must be an array of trace types", i);
        return false;
    }
    for (size_t k = 0; k < json_array_size(p); k++) {
        const char *s = json_string_value(json_array_get(p, k));
        if (s && !strcmp(s, "trace")) {
            *want_trace = true;
            continue;
        }
        if (s && !strcmp(s, "stateDiff")) {
            *want_diff = true;
            continue;
        }
        if (s && !strcmp(s, "vmTrace")) {
            rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: trace type %s is not supported",
                            s);
        } else {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: unknown trace type in argument %zu (trace, vmTrace, "
                            "stateDiff)",
                            i);
        }
        return false;
    }
    return true;
}

/* trace_block(block) → every trace of the block, or null for a block not stored. */
static void m_block(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 1, 1, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t n;
    hash_t bh;
    rpc_reply_t probe = { 0 };
    if (!rpc__block_param(t, rpc__param(params, 0), "argument 0 (block)", &n, &bh, &probe)) {
        if (probe.code == RPC_RESOURCE_NOT_FOUND)
            r->result = json_null();
        else
            *r = probe;
        db_txn_abort(t);
        return;
    }
    json_t *out = json_array();
    if (n == 0)
        r->result = out; /* genesis has no transactions */
    else if (block_traces(c, t, n, &bh, SIZE_MAX, true, out, NULL, (replay_parts_t){ 0 }, r))
        r->result = out;
    else
        json_decref(out);
    db_txn_abort(t);
}

/* The block and position of a stored transaction; false: not found. */
static bool locate(db_txn_t *t, const hash_t *th, uint64_t *n, hash_t *bh, uint32_t *idx)
{
    return chain_tx_lookup(t, th, n, idx) == ERR_OK && chain_canonical_hash(t, *n, bh) == ERR_OK;
}

/* trace_transaction(hash) → its traces, or null. */
static void m_transaction(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    hash_t th, bh;
    if (!rpc__arity(params, 1, 1, r) || !rpc__param_hash(params, 0, &th, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t n;
    uint32_t idx;
    if (!locate(t, &th, &n, &bh, &idx)) {
        r->result = json_null();
    } else {
        json_t *out = json_array();
        if (block_traces(c, t, n, &bh, idx, true, out, NULL, (replay_parts_t){ 0 }, r))
            r->result = out;
        else
            json_decref(out);
    }
    db_txn_abort(t);
}

/* trace_get(hash, [index]) → the index-th trace of the transaction, or null. */
static void m_get(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    hash_t th, bh;
    if (!rpc__arity(params, 2, 2, r) || !rpc__param_hash(params, 0, &th, r))
        return;
    const json_t *ix = rpc__param(params, 1);
    if (!json_is_array(ix)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument 1 must be an array of trace indexes");
        return;
    }
    uint64_t want = 0;
    for (size_t k = 0; k < json_array_size(ix); k++) {
        const json_t *v = json_array_get(ix, k);
        const char *s = json_string_value(v);
        u256_t x = u256_zero();
        bool good = json_is_integer(v)
                        ? json_integer_value(v) >= 0
                        : s && u256_from_hex(s, strlen(s), &x) == ERR_OK && u256_fits_u64(x);
        if (!good) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: argument 1 must hold trace indexes");
            return;
        }
        want = json_is_integer(v) ? (uint64_t)json_integer_value(v) : x.w[0];
    }
    if (json_array_size(ix) != 1) { /* reth: only a single index selects a trace */
        r->result = json_null();
        return;
    }
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t n;
    uint32_t idx;
    if (!locate(t, &th, &n, &bh, &idx)) {
        r->result = json_null();
    } else {
        json_t *out = json_array();
        if (block_traces(c, t, n, &bh, idx, true, out, NULL, (replay_parts_t){ 0 }, r)) {
            json_t *one = want < json_array_size(out) ? json_array_get(out, (size_t)want) : NULL;
            r->result = one ? json_incref(one) : json_null();
        }
        json_decref(out);
    }
    db_txn_abort(t);
}

/* trace_replayTransaction(hash, types) → {output, stateDiff, trace, vmTrace}. */
static void m_replay_transaction(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    hash_t th, bh;
    replay_parts_t parts;
    if (!rpc__arity(params, 2, 2, r) || !rpc__param_hash(params, 0, &th, r) ||
        !trace_types(rpc__param(params, 1), 1, &parts.trace, &parts.state_diff, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t n;
    uint32_t idx;
    if (!locate(t, &th, &n, &bh, &idx)) {
        rpc_reply_error(r, RPC_RESOURCE_NOT_FOUND, "transaction not found");
    } else {
        json_t *outs = json_array();
        if (block_traces(c, t, n, &bh, idx, false, NULL, outs, parts, r)) {
            json_t *one = json_incref(json_array_get(outs, 0));
            json_object_del(one, "transactionHash");
            r->result = one;
        }
        json_decref(outs);
    }
    db_txn_abort(t);
}

/* trace_replayBlockTransactions(block, types) → per transaction {output, stateDiff, trace,
 * vmTrace, transactionHash}. */
static void m_replay_block(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    replay_parts_t parts;
    if (!rpc__arity(params, 2, 2, r) ||
        !trace_types(rpc__param(params, 1), 1, &parts.trace, &parts.state_diff, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t n;
    hash_t bh;
    if (rpc__block_param(t, rpc__param(params, 0), "argument 0 (block)", &n, &bh, r)) {
        json_t *outs = json_array();
        if (n == 0 || block_traces(c, t, n, &bh, SIZE_MAX, false, NULL, outs, parts, r))
            r->result = outs;
        else
            json_decref(outs);
    }
    db_txn_abort(t);
}

/* trace_call(call, types, block?) → {output, stateDiff, trace, vmTrace}. */
static void m_call(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!c->db || !c->spec) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND, "the method does not exist/is not available");
        return;
    }
    bool want_trace, want_diff;
    if (!rpc__arity(params, 2, 3, r) ||
        !trace_types(rpc__param(params, 1), 1, &want_trace, &want_diff, r))
        return;
    if (want_diff) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: stateDiff is not supported by trace_call yet");
        return;
    }
    /* rpc__parse_call reads the call object at 0 and the block at 1: move the block there. */
    json_t *p = json_array();
    json_array_append(p, json_array_get(params, 0));
    if (rpc__param(params, 2))
        json_array_append(p, json_array_get(params, 2));
    rpc_call_args_t a;
    memset(&a, 0, sizeof(a));
    buf_init(&a.data, RPC_MAX_BODY_BYTES);
    buf_t output;
    buf_init(&output, RPC_MAX_RESPONSE_BYTES / 2);
    rpc_at_t at;
    memset(&at, 0, sizeof(at));
    if (rpc__parse_call(c, p, &a, r) && rpc__at_open(c, a.block, &at, r)) {
        uint64_t gas = a.has_gas ? a.gas : at.header.gas_limit;
        json_t *frame = rpc__trace_call_frame(c, &at, &a, gas, &output, r);
        if (frame) {
            trace_site_t site = { 0 };
            site_rules(&site, c, at.header.number + 1, at.header.timestamp);
            json_t *list = json_array();
            flatten_root(frame, &site, list);
            r->result = json_pack("{s:o,s:n,s:o,s:n}", "output", rpc__data(output.p, output.n),
                                  "stateDiff", "trace", list, "vmTrace");
            json_decref(frame);
        }
    }
    rpc__at_close(&at);
    buf_deinit(&output);
    buf_deinit(&a.data);
    json_decref(p);
}

/* Is a filter address list (absent/null = any) matched by s? */
static bool addr_in(const json_t *list, const char *s)
{
    if (!json_is_array(list) || json_array_size(list) == 0)
        return true;
    for (size_t i = 0; s && i < json_array_size(list); i++) {
        const char *a = json_string_value(json_array_get(list, i));
        if (a && !strcasecmp(a, s))
            return true;
    }
    return false;
}

static bool addr_list_ok(const json_t *v)
{
    if (!v || json_is_null(v))
        return true;
    if (!json_is_array(v))
        return false;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        addr_t a;
        if (!s || addr_from_hex(&a, s, strlen(s)) != ERR_OK)
            return false;
    }
    return true;
}

/* trace_filter({fromBlock, toBlock, fromAddress, toAddress, after, count}). */
static void m_filter(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 1, 1, r))
        return;
    const json_t *f = rpc__param(params, 0);
    if (!json_is_object(f)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument 0 must be a filter object");
        return;
    }
    const json_t *fa = json_object_get(f, "fromAddress"), *ta = json_object_get(f, "toAddress");
    if (!addr_list_ok(fa) || !addr_list_ok(ta)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: fromAddress and toAddress must be arrays of addresses");
        return;
    }
    uint64_t after = 0, count = UINT64_MAX;
    const json_t *av = json_object_get(f, "after"), *cv = json_object_get(f, "count");
    if ((av && !json_is_null(av) && (!json_is_integer(av) || json_integer_value(av) < 0)) ||
        (cv && !json_is_null(cv) && (!json_is_integer(cv) || json_integer_value(cv) < 0))) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: after and count must be non-negative integers");
        return;
    }
    if (json_is_integer(av))
        after = (uint64_t)json_integer_value(av);
    if (json_is_integer(cv))
        count = (uint64_t)json_integer_value(cv);
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t from, to, head;
    hash_t hh;
    const json_t *fb = json_object_get(f, "fromBlock"), *tb = json_object_get(f, "toBlock");
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
        goto out;
    }
    from = to = head;
    if ((fb && !json_is_null(fb) && !rpc__block_param(t, fb, "fromBlock", &from, NULL, r)) ||
        (tb && !json_is_null(tb) && !rpc__block_param(t, tb, "toBlock", &to, NULL, r)))
        goto out;
    if (from > to) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: fromBlock is after toBlock");
        goto out;
    }
    if (to - from >= TRACE_FILTER_MAX_BLOCKS) {
        rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "query exceeds max block range %d",
                        TRACE_FILTER_MAX_BLOCKS);
        goto out;
    }
    json_t *out = json_array();
    uint64_t seen = 0;
    for (uint64_t n = from ? from : 1; n <= to && json_array_size(out) < count; n++) {
        hash_t bh;
        if (chain_canonical_hash(t, n, &bh) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "canonical block %llu is missing",
                            (unsigned long long)n);
            json_decref(out);
            goto out;
        }
        json_t *all = json_array();
        if (!block_traces(c, t, n, &bh, SIZE_MAX, true, all, NULL, (replay_parts_t){ 0 }, r)) {
            json_decref(all);
            json_decref(out);
            goto out;
        }
        for (size_t i = 0; i < json_array_size(all) && json_array_size(out) < count; i++) {
            json_t *tr = json_array_get(all, i);
            const json_t *act = json_object_get(tr, "action");
            const char *src = json_string_value(json_object_get(act, "from"));
            const char *dst = json_string_value(json_object_get(act, "to"));
            if (!dst) /* a create: its address */
                dst = json_string_value(json_object_get(json_object_get(tr, "result"), "address"));
            if (!addr_in(fa, src) || !addr_in(ta, dst))
                continue;
            if (seen++ < after)
                continue;
            if (json_array_size(out) >= TRACE_FILTER_MAX_RESULTS) {
                rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "query exceeds max results %d",
                                TRACE_FILTER_MAX_RESULTS);
                json_decref(all);
                json_decref(out);
                goto out;
            }
            json_array_append(out, tr);
        }
        json_decref(all);
    }
    r->result = out;
out:
    db_txn_abort(t);
}

void rpc__register_trace(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "trace_block", RPC_NS_TRACE, m_block },
        { "trace_transaction", RPC_NS_TRACE, m_transaction },
        { "trace_get", RPC_NS_TRACE, m_get },
        { "trace_filter", RPC_NS_TRACE, m_filter },
        { "trace_call", RPC_NS_TRACE, m_call },
        { "trace_replayTransaction", RPC_NS_TRACE, m_replay_transaction },
        { "trace_replayBlockTransactions", RPC_NS_TRACE, m_replay_block },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
