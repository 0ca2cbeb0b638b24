/* debug namespace: transaction, block and call traces with geth's struct logger (the default)
 * and callTracer, and the raw getters (debug_getRawHeader/Block/Transaction/Receipts); the
 * call-frame replays the trace namespace builds on (trace.c).
 *
 * A trace replays the block from the state after its parent (state history) with the block's
 * own base fee, running the earlier transactions untraced and the wanted ones under the
 * tracer. Struct-log gasCost is geth's: for calls and creates it includes the gas handed to the
 * callee (what the frame spent plus what the callee gave back). The struct logger honours
 * disableStack, enableMemory (32-byte words), enableReturnData and disableStorage (at SLOAD/SSTORE
 * the contract's slots seen so far; an SLOAD's value is read from the replayed state, or for
 * debug_traceCall from the state before the call unless the trace wrote it). Not yet:
 * callTracer logs; prestateTracer for debug_traceCall.
 *
 * prestateTracer: the accounts a transaction touched (sender, recipient, fee recipient, every
 * frame's address and code address, created addresses, BALANCE, EXTCODESIZE/COPY/HASH and
 * SELFDESTRUCT operands) and the slots SLOAD/SSTORE touched, read from a second builder kept one
 * transaction behind (the state before) and from the replaying one (after). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "rpc/ns/exec.h"
#include "rpc/rpc_int.h"

enum {
    STRUCT_LOG_MAX_STEPS = 1000000, /* a trace longer than this is refused (memory bound) */
};

/* ---- tracers ---- */

typedef enum tracer_kind {
    TRACER_STRUCT = 0,
    TRACER_CALL = 1,
    TRACER_PRESTATE = 2,
} tracer_kind_t;

typedef struct trace_opts {
    tracer_kind_t kind;
    bool disable_stack;
    bool only_top_call;
    bool frame_gas; /**< callTracer root keeps the EVM frame's gas (trace_*), not the tx's */
    bool diff_mode; /**< prestateTracer: {pre, post} of what changed */
    bool enable_memory, disable_storage, enable_return_data; /**< struct logger (geth's) */
} trace_opts_t;

/* prestateTracer: the accounts and slots a transaction touched. */
typedef struct touched_slot {
    addr_t addr;
    u256_t key;
} touched_slot_t;

typedef struct step {
    uint32_t pc;
    uint8_t op;
    int32_t depth;
    int64_t gas, cost, refund;
    uint32_t stack_off, stack_n;           /* into the tracer's stack pool */
    size_t mem_off, mem_n, ret_off, ret_n; /* into the tracer's byte pool */
    json_t *storage;        /* SLOAD/SSTORE steps: the contract's slots seen so far (owned) */
    int64_t child_gas_left; /* calls and creates: the gas the callee handed back */
} step_t;

typedef struct frame {
    json_t *obj;
    json_t *calls;
} frame_t;

typedef struct tracer {
    trace_opts_t o;
    /* struct logger */
    step_t *steps;
    size_t nsteps, cap;
    u256_t *pool;
    size_t npool, pool_cap;
    buf_t bytes; /* memory and return data copies (enableMemory, enableReturnData) */
    size_t pend_mem_off, pend_mem_n, pend_ret_off, pend_ret_n;
    state_t *st;               /* replay: the state being executed (SLOAD values) */
    const state_backend_t *be; /* debug_traceCall: the state before the call */
    json_t *contract_storage;  /* address → {slot: value} seen so far */
    addr_t frames[1100];       /* storage context of each frame */
    int nframes;
    size_t call_step[1100]; /* per depth: the call/create step that opened the next frame */
    bool overflow;
    /* callTracer */
    frame_t stack[1100];
    int depth;
    json_t *root;
    /* prestateTracer */
    addr_t *accts;
    size_t naccts, cap_accts;
    touched_slot_t *slots;
    size_t nslots, cap_slots;
    addr_t ctx_stack[1100]; /* storage context of each frame */
    bool ctx_create[1100];  /* a create frame: its address is known only at exit */
    int ctx_depth;
    uint32_t ncreates;
    addr_t created[64]; /* addresses this transaction created (diff mode leaves them out of pre) */
    size_t ncreated;
} tracer_t;

static void touch_acct(tracer_t *t, const addr_t *a)
{
    for (size_t i = 0; i < t->naccts; i++)
        if (addr_eq(&t->accts[i], a))
            return;
    if (t->naccts == t->cap_accts) {
        t->cap_accts = t->cap_accts ? 2 * t->cap_accts : 16;
        t->accts = rn_realloc(t->accts, t->cap_accts * sizeof(addr_t));
    }
    t->accts[t->naccts++] = *a;
}

static void touch_slot(tracer_t *t, const addr_t *a, const u256_t *k, bool placeholder)
{
    if (!placeholder)
        touch_acct(t, a);
    for (size_t i = 0; i < t->nslots; i++)
        if (addr_eq(&t->slots[i].addr, a) && u256_eq(t->slots[i].key, *k))
            return;
    if (t->nslots == t->cap_slots) {
        t->cap_slots = t->cap_slots ? 2 * t->cap_slots : 16;
        t->slots = rn_realloc(t->slots, t->cap_slots * sizeof(touched_slot_t));
    }
    t->slots[t->nslots++] = (touched_slot_t){ *a, *k };
}

static void pre_step(void *ud, uint32_t pc, uint8_t op, int64_t gas, int64_t cost, size_t mem,
                     const u256_t *stack, size_t n, int32_t depth, int64_t refund)
{
    (void)pc, (void)gas, (void)cost, (void)mem, (void)depth, (void)refund;
    tracer_t *t = ud;
    if (n == 0 || t->ctx_depth == 0)
        return;
    switch (op) {
    case 0x54: /* SLOAD */
    case 0x55: /* SSTORE */
        if (t->ctx_depth <= (int)RN_ARRAY_LEN(t->ctx_stack))
            touch_slot(t, &t->ctx_stack[t->ctx_depth - 1], &stack[n - 1],
                       t->ctx_create[t->ctx_depth - 1]);
        break;
    case 0x31: /* BALANCE */
    case 0x3b: /* EXTCODESIZE */
    case 0x3c: /* EXTCODECOPY */
    case 0x3f: /* EXTCODEHASH */
    case 0xff: /* SELFDESTRUCT */
    {
        addr_t a = rpc__word_addr(stack[n - 1]);
        touch_acct(t, &a);
        break;
    }
    default:
        break;
    }
}

static void pre_enter(void *ud, const evm_message_t *m)
{
    tracer_t *t = ud;
    touch_acct(t, &m->sender);
    if (m->kind != EVM_CREATE && m->kind != EVM_CREATE2) {
        touch_acct(t, &m->recipient);
        touch_acct(t, &m->code_address);
    }
    if (t->ctx_depth < (int)RN_ARRAY_LEN(t->ctx_stack)) {
        bool create = m->kind == EVM_CREATE || m->kind == EVM_CREATE2;
        addr_t ctx = m->recipient;
        if (create) { /* a placeholder unique to this frame, replaced at its exit */
            memset(ctx.b, 0xfe, 20);
            be_store64(ctx.b + 12, ++t->ncreates);
        }
        t->ctx_stack[t->ctx_depth] = ctx;
        t->ctx_create[t->ctx_depth] = create;
    }
    t->ctx_depth++;
}

static void pre_exit(void *ud, const evm_message_t *m, const evm_result_t *res)
{
    tracer_t *t = ud;
    if (m->kind == EVM_CREATE || m->kind == EVM_CREATE2) {
        touch_acct(t, &res->create_address);
        if (res->status == EVM_SUCCESS && t->ncreated < RN_ARRAY_LEN(t->created))
            t->created[t->ncreated++] = res->create_address;
        if (t->ctx_depth > 0 && t->ctx_depth <= (int)RN_ARRAY_LEN(t->ctx_stack)) {
            const addr_t ph = t->ctx_stack[t->ctx_depth - 1];
            for (size_t i = 0; i < t->nslots; i++)
                if (addr_eq(&t->slots[i].addr, &ph))
                    t->slots[i].addr = res->create_address;
        }
    }
    if (t->ctx_depth > 0)
        t->ctx_depth--;
}

static void on_step_data(void *ud, const uint8_t *mem, size_t mem_n, const uint8_t *ret,
                         size_t ret_n)
{
    tracer_t *t = ud;
    t->pend_mem_n = t->pend_ret_n = 0;
    if (t->o.enable_memory && mem_n) {
        t->pend_mem_off = t->bytes.n;
        if (buf_append(&t->bytes, mem, mem_n) == ERR_OK)
            t->pend_mem_n = mem_n;
        else
            t->overflow = true;
    }
    if (t->o.enable_return_data && ret_n) {
        t->pend_ret_off = t->bytes.n;
        if (buf_append(&t->bytes, ret, ret_n) == ERR_OK)
            t->pend_ret_n = ret_n;
        else
            t->overflow = true;
    }
}

static void word_hex(char out[67], u256_t v) /* reth writes storage words 0x-prefixed */
{
    uint8_t b[32];
    u256_to_be(b, v);
    hex_encode_0x(out, b, 32);
}

/* geth's struct-log storage: at SLOAD and SSTORE, the running contract's slots seen so far. */
static json_t *storage_step(tracer_t *t, uint8_t op, const u256_t *stack, size_t n)
{
    if (t->o.disable_storage || (op != 0x54 && op != 0x55) || n < (op == 0x55 ? 2u : 1u) ||
        t->nframes == 0 || t->nframes > (int)RN_ARRAY_LEN(t->frames))
        return NULL;
    const addr_t *a = &t->frames[t->nframes - 1];
    char as[43], ks[67], vs[67];
    hex_encode_0x(as, a->b, 20);
    if (!t->contract_storage)
        t->contract_storage = json_object();
    json_t *m = json_object_get(t->contract_storage, as);
    if (!m) {
        m = json_object();
        json_object_set_new(t->contract_storage, as, m);
    }
    u256_t key = stack[n - 1];
    word_hex(ks, key);
    if (op == 0x55) {
        word_hex(vs, stack[n - 2]);
    } else if (!json_object_get(m, ks)) {
        u256_t v = t->st   ? state_storage(t->st, a, &key)
                   : t->be ? t->be->get_storage(t->be->ctx, a, &key)
                           : u256_zero();
        word_hex(vs, v);
    } else {
        return json_deep_copy(m);
    }
    json_object_set_new(m, ks, json_string(vs));
    return json_deep_copy(m);
}

static void log_enter(void *ud, const evm_message_t *m)
{
    tracer_t *t = ud;
    if (t->nframes < (int)RN_ARRAY_LEN(t->frames)) {
        addr_t a = m->recipient;
        if (m->kind == EVM_CREATE || m->kind == EVM_CREATE2) {
            /* the new address is not known yet: a key unique to this frame's storage */
            memset(a.b, 0xfe, 20);
            be_store64(a.b + 12, (uint64_t)++t->ncreates);
        }
        t->frames[t->nframes] = a;
    }
    t->nframes++;
}

static void log_exit(void *ud, const evm_message_t *m, const evm_result_t *res)
{
    tracer_t *t = ud;
    if (t->nframes > 0)
        t->nframes--;
    /* geth's gasCost of a call or create counts the gas handed to the callee: remember what it
     * gave back (the frame's own accounting shows only the difference). */
    if (m->depth > 0 && m->depth <= (int32_t)RN_ARRAY_LEN(t->call_step)) {
        size_t i = t->call_step[m->depth - 1];
        if (i < t->nsteps && t->steps[i].depth == m->depth - 1)
            t->steps[i].child_gas_left = res->gas_left;
    }
}

static void on_step(void *ud, uint32_t pc, uint8_t op, int64_t gas, int64_t cost, size_t mem,
                    const u256_t *stack, size_t stack_n, int32_t depth, int64_t refund)
{
    (void)mem;
    tracer_t *t = ud;
    if (t->overflow || t->nsteps >= STRUCT_LOG_MAX_STEPS) {
        t->overflow = true;
        return;
    }
    if (t->nsteps == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->steps = rn_realloc(t->steps, t->cap * sizeof(step_t));
    }
    size_t keep = t->o.disable_stack ? 0 : stack_n;
    if (t->npool + keep > t->pool_cap) {
        while (t->npool + keep > t->pool_cap)
            t->pool_cap = t->pool_cap ? t->pool_cap * 2 : 4096;
        t->pool = rn_realloc(t->pool, t->pool_cap * sizeof(u256_t));
    }
    if (keep)
        memcpy(t->pool + t->npool, stack, keep * sizeof(u256_t));
    t->steps[t->nsteps++] = (step_t){ pc,
                                      op,
                                      depth,
                                      gas,
                                      cost,
                                      refund,
                                      (uint32_t)t->npool,
                                      (uint32_t)keep,
                                      t->pend_mem_off,
                                      t->pend_mem_n,
                                      t->pend_ret_off,
                                      t->pend_ret_n,
                                      storage_step(t, op, stack, stack_n),
                                      0 };
    if ((op == 0xf0 || op == 0xf1 || op == 0xf2 || op == 0xf4 || op == 0xf5 || op == 0xfa) &&
        depth >= 0 && depth < (int32_t)RN_ARRAY_LEN(t->call_step))
        t->call_step[depth] = t->nsteps - 1;
    t->pend_mem_n = t->pend_ret_n = 0;
    t->npool += keep;
}

static const char *call_type(evm_call_kind_t k)
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

static void on_frame_enter(void *ud, const evm_message_t *m)
{
    tracer_t *t = ud;
    if (t->depth >= (int)(sizeof(t->stack) / sizeof(t->stack[0])))
        return;
    bool create = m->kind == EVM_CREATE || m->kind == EVM_CREATE2;
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(call_type(m->kind)));
    json_object_set_new(o, "from", rpc__data(m->sender.b, 20));
    if (!create)
        json_object_set_new(o, "to", rpc__data(m->recipient.b, 20));
    if (m->kind != EVM_STATICCALL && m->kind != EVM_DELEGATECALL)
        json_object_set_new(o, "value", rpc__quantity256(m->value));
    json_object_set_new(o, "gas", rpc__quantity((uint64_t)m->gas));
    json_object_set_new(o, "input", rpc__data(m->input, m->input_len));
    t->stack[t->depth++] = (frame_t){ o, NULL };
}

static void on_frame_exit(void *ud, const evm_message_t *m, const evm_result_t *res)
{
    tracer_t *t = ud;
    if (t->depth == 0)
        return;
    frame_t f = t->stack[--t->depth];
    bool create = m->kind == EVM_CREATE || m->kind == EVM_CREATE2;
    if (create)
        json_object_set_new(f.obj, "to", rpc__data(res->create_address.b, 20));
    json_object_set_new(f.obj, "gasUsed", rpc__quantity((uint64_t)(m->gas - res->gas_left)));
    if (create && res->status == EVM_SUCCESS)
        json_object_set_new(f.obj, "output", rpc__data(res->created_code.p, res->created_code.n));
    else if (res->status == EVM_SUCCESS || res->status == EVM_REVERT)
        if (res->output.n || !create)
            json_object_set_new(f.obj, "output", rpc__data(res->output.p, res->output.n));
    if (res->status != EVM_SUCCESS) {
        json_object_set_new(f.obj, "error", json_string(rpc__evm_error(res->status)));
        json_t *why = res->status == EVM_REVERT ? rpc__revert_reason(res->output) : NULL;
        if (why && json_is_string(why))
            json_object_set_new(f.obj, "revertReason", why);
        else
            json_decref(why);
    }
    if (f.calls)
        json_object_set_new(f.obj, "calls", f.calls);
    if (t->depth == 0) {
        json_decref(t->root);
        t->root = f.obj;
    } else if (t->o.only_top_call) {
        json_decref(f.obj);
    } else {
        frame_t *p = &t->stack[t->depth - 1];
        if (!p->calls)
            p->calls = json_array();
        json_array_append_new(p->calls, f.obj);
    }
}

static void tracer_init(tracer_t *t, const trace_opts_t *o, evm_tracer_t *hooks)
{
    memset(t, 0, sizeof(*t));
    t->o = *o;
    memset(hooks, 0, sizeof(*hooks));
    hooks->ud = t;
    if (o->kind == TRACER_STRUCT) {
        hooks->step = on_step;
        if (o->enable_memory || o->enable_return_data)
            hooks->step_data = on_step_data;
        hooks->enter = log_enter;
        hooks->exit = log_exit;
        buf_init(&t->bytes, 1u << 30);
    } else if (o->kind == TRACER_PRESTATE) {
        hooks->step = pre_step;
        hooks->enter = pre_enter;
        hooks->exit = pre_exit;
    } else {
        hooks->enter = on_frame_enter;
        hooks->exit = on_frame_exit;
    }
}

static void tracer_deinit(tracer_t *t)
{
    for (size_t i = 0; i < t->nsteps; i++)
        json_decref(t->steps[i].storage);
    json_decref(t->contract_storage);
    buf_deinit(&t->bytes);
    rn_free(t->accts);
    rn_free(t->slots);
    rn_free(t->steps);
    rn_free(t->pool);
    while (t->depth > 0)
        json_decref(t->stack[--t->depth].obj);
    json_decref(t->root);
}

/* The geth-shaped result of one traced transaction (gas used as the receipt has it). */
static json_t *tracer_result(tracer_t *t, const tx_t *tx, const state_tx_result_t *res)
{
    if (t->o.kind == TRACER_CALL) {
        json_t *root = t->root;
        t->root = NULL;
        if (!root)
            return json_null();
        if (!t->o.frame_gas) {
            json_object_set_new(root, "gas", rpc__quantity(tx->gas_limit));
            json_object_set_new(root, "gasUsed", rpc__quantity(res->gas_used));
        }
        return root;
    }
    if (t->overflow)
        return NULL;
    json_t *logs = json_array();
    for (size_t i = 0; i < t->nsteps; i++) {
        const step_t *s = &t->steps[i];
        int64_t cost = s->cost;
        for (size_t j = i + 1; j < t->nsteps; j++) {
            if (t->steps[j].depth == s->depth) {
                cost = s->gas - t->steps[j].gas + s->child_gas_left;
                break;
            }
            if (t->steps[j].depth < s->depth)
                break;
        }
        const char *name = evm_op_name(s->op);
        json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:i}", "pc", (json_int_t)s->pc, "op",
                              name ? name : "INVALID", "gas", (json_int_t)s->gas, "gasCost",
                              (json_int_t)cost, "depth", (int)s->depth + 1);
        if (!t->o.disable_stack) {
            json_t *st = json_array();
            for (uint32_t k = 0; k < s->stack_n; k++)
                json_array_append_new(st, rpc__quantity256(t->pool[s->stack_off + k]));
            json_object_set_new(o, "stack", st);
        }
        if (t->o.enable_memory) {
            json_t *mem = json_array();
            for (size_t k = 0; k + 32 <= s->mem_n; k += 32) /* 0x-prefixed words, as reth */
                json_array_append_new(mem, rpc__data(t->bytes.p + s->mem_off + k, 32));
            json_object_set_new(o, "memory", mem);
        }
        if (t->o.enable_return_data)
            json_object_set_new(o, "returnData",
                                rpc__data(s->ret_n ? t->bytes.p + s->ret_off : NULL, s->ret_n));
        if (s->storage)
            json_object_set_new(o, "storage", json_incref(s->storage));
        if (s->refund)
            json_object_set_new(o, "refund", json_integer((json_int_t)s->refund));
        json_array_append_new(logs, o);
    }
    return json_pack("{s:I,s:b,s:o,s:o}", "gas", (json_int_t)res->gas_used, "failed",
                     res->status != EVM_SUCCESS, "returnValue",
                     rpc__data(res->output.p, res->output.n), "structLogs", logs);
}

/* One account of a prestateTracer answer as geth writes it: balance always, nonce and code when
 * set, the given slots' values (all of them, or only those in `only` when not NULL). */
static json_t *account_json(state_t *st, const tracer_t *t, const addr_t *a, bool want_balance,
                            bool want_nonce, bool want_code, state_t *cmp)
{
    json_t *o = json_object();
    if (want_balance)
        json_object_set_new(o, "balance", rpc__quantity256(state_balance(st, a)));
    uint64_t nonce = state_nonce(st, a);
    if (want_nonce && nonce)
        json_object_set_new(o, "nonce", json_integer((json_int_t)nonce));
    bview_t code = state_code(st, a);
    if (want_code && code.n)
        json_object_set_new(o, "code", rpc__data(code.p, code.n));
    json_t *storage = json_object();
    for (size_t i = 0; i < t->nslots; i++) {
        if (!addr_eq(&t->slots[i].addr, a))
            continue;
        u256_t v = state_storage(st, a, &t->slots[i].key);
        if (cmp && (u256_eq(v, state_storage(cmp, a, &t->slots[i].key)) || u256_is_zero(v)))
            continue; /* diff mode: unchanged slot, or one that is empty on this side */
        uint8_t kb[32], vb[32];
        char ks[67];
        u256_to_be(kb, t->slots[i].key);
        u256_to_be(vb, v);
        hex_encode_0x(ks, kb, 32);
        json_object_set_new(storage, ks, rpc__data(vb, 32));
    }
    if (json_object_size(storage))
        json_object_set_new(o, "storage", storage);
    else
        json_decref(storage);
    return o;
}

/* The prestateTracer answer from the states before (pre) and after (post) the transaction. */
static json_t *prestate_result(const tracer_t *t, state_t *pre, state_t *post, bool diff)
{
    json_t *pre_j = json_object(), *post_j = json_object();
    for (size_t i = 0; i < t->naccts; i++) {
        const addr_t *a = &t->accts[i];
        char as[43];
        hex_encode_0x(as, a->b, 20);
        if (!diff) {
            json_object_set_new(pre_j, as, account_json(pre, t, a, true, true, true, NULL));
            continue;
        }
        bool existed = state_exists(pre, a), exists = state_exists(post, a);
        bool bal = !u256_eq(state_balance(pre, a), state_balance(post, a));
        bool non = state_nonce(pre, a) != state_nonce(post, a);
        bview_t c0 = state_code(pre, a), c1 = state_code(post, a);
        bool code = c0.n != c1.n || (c0.n && memcmp(c0.p, c1.p, c0.n) != 0);
        bool slots = false;
        for (size_t k = 0; k < t->nslots && !slots; k++)
            slots =
                addr_eq(&t->slots[k].addr, a) && !u256_eq(state_storage(pre, a, &t->slots[k].key),
                                                          state_storage(post, a, &t->slots[k].key));
        if (!bal && !non && !code && !slots && existed == exists)
            continue;
        bool created = false; /* geth: a contract created here has no "pre" */
        for (size_t k = 0; k < t->ncreated && !created; k++)
            created = addr_eq(&t->created[k], a);
        if (!created)
            json_object_set_new(pre_j, as, account_json(pre, t, a, true, true, true, post));
        if (exists)
            json_object_set_new(post_j, as, account_json(post, t, a, bal, non, code, pre));
    }
    if (!diff) {
        json_decref(post_j);
        return pre_j;
    }
    return json_pack("{s:o,s:o}", "post", post_j, "pre", pre_j);
}

/* {"tracer": "callTracer" | "prestateTracer" | absent, "tracerConfig": {"onlyTopCall": b,
 *  "diffMode": b}, "disableStack": b} */
static bool parse_opts(const json_t *j, trace_opts_t *o, rpc_reply_t *r)
{
    memset(o, 0, sizeof(*o));
    if (!j)
        return true;
    if (!json_is_object(j)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: trace options must be an object");
        return false;
    }
    const json_t *tr = json_object_get(j, "tracer");
    if (tr && !json_is_null(tr)) {
        const char *n = json_string_value(tr);
        if (n && !strcmp(n, "callTracer")) {
            o->kind = TRACER_CALL;
        } else if (n && !strcmp(n, "prestateTracer")) {
            o->kind = TRACER_PRESTATE;
        } else if (!n || strcmp(n, "structLogger") != 0) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "tracer not supported: %.64s (structLogger, callTracer and "
                            "prestateTracer are)",
                            n ? n : "?");
            return false;
        }
    }
    o->disable_stack = json_is_true(json_object_get(j, "disableStack"));
    const json_t *cfg = json_object_get(j, "tracerConfig");
    o->only_top_call = json_is_true(json_object_get(cfg, "onlyTopCall"));
    o->diff_mode = json_is_true(json_object_get(cfg, "diffMode"));
    o->enable_memory = json_is_true(json_object_get(j, "enableMemory"));
    o->disable_storage = json_is_true(json_object_get(j, "disableStorage"));
    o->enable_return_data = json_is_true(json_object_get(j, "enableReturnData"));
    return true;
}

/* ---- replaying a block ---- */

bool rpc__replay(const rpc_ctx_t *c, db_txn_t *t, const hash_t *bh, rpc_replay_t *rp,
                 rpc_reply_t *r)
{
    block_t b;
    header_t parent;
    memset(&parent, 0, sizeof(parent));
    if (!c->spec) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND, "the method does not exist/is not available");
        return false;
    }
    if (chain_read_block(t, bh, &b) != ERR_OK) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "block not found");
        return false;
    }
    bool ok = false;
    evm_t *evm = NULL;
    chain_builder_t *bld = NULL, *shadow = NULL;
    void *be_ctx = NULL;
    state_backend_t be;
    buf_t raw;
    buf_init(&raw, 1u << 26);
    /* The senders stored with the block (a block from before schema 4: recovered one by one). */
    addr_t *senders = RN_NEWV(addr_t, b.ntxs ? b.ntxs : 1);
    bool stored = b.ntxs && chain_read_senders(t, bh, b.ntxs, senders) == ERR_OK;
    if (b.header.number == 0) {
        ok = true; /* genesis has no transactions */
        goto out;
    }
    if (chain_read_header(t, &b.header.parent_hash, &parent) != ERR_OK ||
        state_db_backend_at(t, b.header.number - 1, &be, &be_ctx) != ERR_OK) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "state for the parent block is not available");
        goto out;
    }
    evm_rules_scroll(&rp->rules, (evm_scroll_spec_t)chain_spec_level(c->spec, b.header.number,
                                                                     b.header.timestamp));
    evm = evm_thread();
    for (int k = 0; k < (rp->shadow ? 2 : 1); k++) {
        chain_builder_t **dst = k ? &shadow : &bld;
        if (chain_builder_new_on(dst, c->spec, evm, t, &be, &parent, &b.header.parent_hash,
                                 b.header.timestamp, b.header.gas_limit) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "cannot replay the block");
            goto out;
        }
        if (b.header.has_base_fee)
            chain_builder_set_base_fee(*dst, b.header.base_fee);
    }
    for (size_t i = 0; i < b.ntxs && (rp->only == SIZE_MAX || i <= rp->only); i++) {
        tx_t *tx = &b.txs[i];
        addr_t sender;
        hash_t th;
        buf_reset(&raw);
        if (stored)
            sender = senders[i];
        if (tx_encode(tx, &raw) != ERR_OK || (!stored && tx_recover_sender(tx, &sender)) ||
            tx_hash(tx, &th) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored transaction %zu is unreadable", i);
            goto out;
        }
        rpc_replay_tx_t rt = { .index = i,
                               .hash = &th,
                               .sender = &sender,
                               .raw = buf_view(&raw),
                               .gas_limit = tx->gas_limit,
                               .has_to = tx->has_to,
                               .to = tx->to,
                               .bld = bld,
                               .shadow = shadow,
                               .evm = evm,
                               .rules = &rp->rules };
        bool hooked = rp->only == SIZE_MAX || i == rp->only;
        const evm_tracer_t *hooks = hooked && rp->before ? rp->before(rp->ud, &rt) : NULL;
        if (hooks)
            evm_set_tracer(evm, hooks);
        chain_builder_add(bld, tx, &sender, buf_view(&raw), &rt.res);
        evm_set_tracer(evm, NULL);
        if (rt.res.invalid != TX_VALID) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "replay of transaction %zu failed: %s", i,
                            tx_invalid_msg(rt.res.invalid));
            if (hooked && rp->after)
                rp->after(rp->ud, &rt, NULL);
            goto out;
        }
        if (hooked && rp->after && !rp->after(rp->ud, &rt, r))
            goto out;
        if (shadow) {
            tx_t copy;
            chain_add_result_t pres;
            if (tx_decode(&copy, buf_view(&raw)) != ERR_OK) {
                rpc_reply_error(r, RPC_INTERNAL_ERROR, "stored transaction %zu is unreadable", i);
                goto out;
            }
            chain_builder_add(shadow, &copy, &sender, buf_view(&raw), &pres);
            tx_deinit(&copy);
        }
    }
    ok = true;
out:
    chain_builder_free(shadow);
    chain_builder_free(bld);
    if (evm)
        evm_set_tracer(evm, NULL);
    state_db_backend_at_free(be_ctx);
    buf_deinit(&raw);
    rn_free(senders);
    header_deinit(&parent);
    block_deinit(&b);
    return ok;
}

/* The debug tracers over rpc__replay: one tracer_t per hooked transaction. */
typedef struct debug_replay {
    const trace_opts_t *o;
    size_t only;
    json_t *out;
    tracer_t tr;
    evm_tracer_t hooks;
} debug_replay_t;

static const evm_tracer_t *dbg_before(void *ud, const rpc_replay_tx_t *tx)
{
    debug_replay_t *d = ud;
    tracer_init(&d->tr, d->o, &d->hooks);
    d->tr.st = chain_builder_state(tx->bld);
    return &d->hooks;
}

static bool dbg_after(void *ud, const rpc_replay_tx_t *tx, rpc_reply_t *r)
{
    debug_replay_t *d = ud;
    if (!r) { /* the transaction failed: just clean up */
        tracer_deinit(&d->tr);
        return false;
    }
    json_t *one;
    if (d->o->kind == TRACER_PRESTATE) {
        touch_acct(&d->tr, tx->sender);
        if (tx->has_to)
            touch_acct(&d->tr, &tx->to);
        addr_t cb = chain_builder_coinbase(tx->bld);
        touch_acct(&d->tr, &cb);
        one = prestate_result(&d->tr, chain_builder_state(tx->shadow), chain_builder_state(tx->bld),
                              d->o->diff_mode);
    } else {
        /* The builder owns the transaction now; the result needs only its gas limit. */
        tx_t lim = { .gas_limit = tx->gas_limit };
        state_tx_result_t sr = { .status = tx->res.status ? EVM_SUCCESS : EVM_REVERT,
                                 .gas_used = tx->res.gas_used,
                                 .output = evm_last_output(tx->evm) };
        one = tracer_result(&d->tr, &lim, &sr);
    }
    tracer_deinit(&d->tr);
    if (!one) {
        rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "trace exceeds %d steps", STRUCT_LOG_MAX_STEPS);
        return false;
    }
    if (d->only == SIZE_MAX)
        json_array_append_new(
            d->out, json_pack("{s:o,s:o}", "txHash", rpc__data(tx->hash->b, 32), "result", one));
    else
        json_array_append_new(d->out, one);
    return true;
}

/* Replay block `bh` on the state after its parent; trace transaction `only` (SIZE_MAX: all) and
 * append each result (or {txHash, result} when all) to out. */
static bool replay(const rpc_ctx_t *c, db_txn_t *t, const hash_t *bh, size_t only,
                   const trace_opts_t *o, json_t *out, rpc_reply_t *r)
{
    header_t h;
    if (chain_read_header(t, bh, &h) == ERR_OK) {
        bool genesis = h.number == 0;
        header_deinit(&h);
        if (genesis) {
            rpc_reply_error(r, RPC_SERVER_ERROR, "genesis is not traceable");
            return false;
        }
    }
    debug_replay_t *d = RN_NEW(debug_replay_t);
    d->o = o;
    d->only = only;
    d->out = out;
    rpc_replay_t rp = { .only = only,
                        .shadow = o->kind == TRACER_PRESTATE,
                        .before = dbg_before,
                        .after = dbg_after,
                        .ud = d };
    bool ok = rpc__replay(c, t, bh, &rp, r);
    rn_free(d);
    return ok;
}

static void trace_transaction(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    trace_opts_t o;
    hash_t th;
    if (!rpc__arity(params, 1, 2, r) || !rpc__param_hash(params, 0, &th, r) ||
        !parse_opts(rpc__param(params, 1), &o, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    uint64_t num;
    uint32_t idx;
    hash_t bh;
    if (chain_tx_lookup(t, &th, &num, &idx) != ERR_OK || chain_canonical_hash(t, num, &bh)) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "transaction not found");
    } else {
        json_t *out = json_array();
        if (replay(c, t, &bh, idx, &o, out, r))
            r->result = json_incref(json_array_get(out, 0));
        json_decref(out);
    }
    db_txn_abort(t);
}

static void trace_block_common(const rpc_ctx_t *c, db_txn_t *t, const hash_t *bh,
                               const json_t *opts, rpc_reply_t *r)
{
    trace_opts_t o;
    if (!parse_opts(opts, &o, r))
        return;
    json_t *out = json_array();
    if (replay(c, t, bh, SIZE_MAX, &o, out, r))
        r->result = out;
    else
        json_decref(out);
}

static bool block_by_number(db_txn_t *t, const json_t *p, hash_t *bh, rpc_reply_t *r)
{
    uint64_t n;
    return rpc__block_param(t, p, "argument 0 (block)", &n, bh, r);
}

static void trace_block_by_number(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 1, 2, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    hash_t bh;
    if (block_by_number(t, rpc__param(params, 0), &bh, r))
        trace_block_common(c, t, &bh, rpc__param(params, 1), r);
    db_txn_abort(t);
}

static void trace_block_by_hash(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    hash_t bh;
    if (!rpc__arity(params, 1, 2, r) || !rpc__param_hash(params, 0, &bh, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    trace_block_common(c, t, &bh, rpc__param(params, 1), r);
    db_txn_abort(t);
}

static void trace_call(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!c->db || !c->spec) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND, "the method does not exist/is not available");
        return;
    }
    trace_opts_t o;
    if (!rpc__arity(params, 1, 3, r) || !parse_opts(rpc__param(params, 2), &o, r))
        return;
    if (o.kind == TRACER_PRESTATE) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "prestateTracer is served for transactions and blocks, not for calls yet");
        return;
    }
    rpc_call_args_t a;
    memset(&a, 0, sizeof(a));
    buf_init(&a.data, RPC_MAX_BODY_BYTES);
    buf_t output;
    buf_init(&output, RPC_MAX_RESPONSE_BYTES / 2);
    rpc_at_t at;
    memset(&at, 0, sizeof(at));
    if (rpc__parse_call(c, params, &a, r) && rpc__at_open(c, a.block, &at, r)) {
        evm_t *evm = evm_thread();
        tracer_t tr;
        evm_tracer_t hooks;
        tracer_init(&tr, &o, &hooks);
        tr.be = &at.be;
        evm_set_tracer(evm, &hooks);
        uint64_t gas = a.has_gas ? a.gas : at.header.gas_limit;
        state_tx_result_t res;
        const json_t *cfg = rpc__param(params, 2);
        tx_invalid_t v = TX_VALID;
        if (!rpc__run_call_overrides(c, evm, &at, &a, json_object_get(cfg, "stateOverrides"),
                                     json_object_get(cfg, "blockOverrides"), gas, &v, &res, &output,
                                     r)) {
            /* r holds the -32602 for a bad override */
        } else if (v != TX_VALID) {
            rpc_reply_error(r, RPC_SERVER_ERROR, "%s", tx_invalid_msg(v));
        } else {
            tx_t lim = { .gas_limit = gas };
            res.output = buf_view(&output);
            r->result = tracer_result(&tr, &lim, &res);
            if (!r->result)
                rpc_reply_error(r, RPC_LIMIT_EXCEEDED, "trace exceeds %d steps",
                                STRUCT_LOG_MAX_STEPS);
        }
        tracer_deinit(&tr);
        evm_set_tracer(evm, NULL);
    }
    rpc__at_close(&at);
    buf_deinit(&output);
    buf_deinit(&a.data);
}

/* ---- call frames for the trace namespace ---- */

bool rpc__trace_block_frames(const rpc_ctx_t *c, db_txn_t *t, const hash_t *bh, size_t only,
                             json_t *out, rpc_reply_t *r)
{
    trace_opts_t o = { .kind = TRACER_CALL, .frame_gas = true };
    return replay(c, t, bh, only, &o, out, r);
}

bool rpc__trace_block_prestate_diff(const rpc_ctx_t *c, db_txn_t *t, const hash_t *bh, size_t only,
                                    json_t *out, rpc_reply_t *r)
{
    trace_opts_t o = { .kind = TRACER_PRESTATE, .diff_mode = true };
    return replay(c, t, bh, only, &o, out, r);
}

json_t *rpc__trace_call_frame(const rpc_ctx_t *c, const rpc_at_t *at, const rpc_call_args_t *a,
                              uint64_t gas, buf_t *output, rpc_reply_t *r)
{
    trace_opts_t o = { .kind = TRACER_CALL, .frame_gas = true };
    evm_t *evm = evm_thread();
    tracer_t tr;
    evm_tracer_t hooks;
    tracer_init(&tr, &o, &hooks);
    evm_set_tracer(evm, &hooks);
    state_tx_result_t res;
    tx_invalid_t v = rpc__run_call(c, evm, at, a, gas, &res, output);
    evm_set_tracer(evm, NULL);
    json_t *frame = NULL;
    if (v != TX_VALID) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "%s", tx_invalid_msg(v));
    } else {
        tx_t lim = { .gas_limit = gas };
        res.output = buf_view(output);
        frame = tracer_result(&tr, &lim, &res);
    }
    tracer_deinit(&tr);
    return frame;
}

/* ---- raw getters ---- */

static void raw_common(void *ctx, const json_t *params, rpc_reply_t *r, int what)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 1, 1, r))
        return;
    db_txn_t *t = rpc__read_txn(c, r);
    if (!t)
        return;
    hash_t h;
    bview_t v;
    const json_t *p = rpc__param(params, 0);
    const char *s = json_string_value(p);
    if (what == 2) { /* transaction by hash */
        uint64_t num;
        uint32_t idx;
        hash_t bh;
        block_t b;
        if (!rpc__param_hash(params, 0, &h, r)) {
            db_txn_abort(t);
            return;
        }
        if (chain_tx_lookup(t, &h, &num, &idx) != ERR_OK ||
            chain_canonical_hash(t, num, &bh) != ERR_OK || chain_read_block(t, &bh, &b) != ERR_OK) {
            r->result = json_null();
        } else {
            buf_t out;
            buf_init(&out, 1u << 26);
            if (idx < b.ntxs && tx_encode(&b.txs[idx], &out) == ERR_OK)
                r->result = rpc__data(out.p, out.n);
            else
                r->result = json_null();
            buf_deinit(&out);
            block_deinit(&b);
        }
        db_txn_abort(t);
        return;
    }
    bool by_hash = s && strlen(s) == 66;
    if (by_hash ? !rpc__param_hash(params, 0, &h, r) : !block_by_number(t, p, &h, r)) {
        db_txn_abort(t);
        return;
    }
    if (what == 0) { /* header */
        r->result =
            db_get(t, DB_HEADERS, bview(h.b, 32), &v) == ERR_OK ? rpc__data(v.p, v.n) : json_null();
    } else if (what == 1) { /* block */
        block_t b;
        buf_t out;
        buf_init(&out, 1u << 28);
        if (chain_read_block(t, &h, &b) == ERR_OK) {
            r->result = block_encode(&b, &out) == ERR_OK ? rpc__data(out.p, out.n) : json_null();
            block_deinit(&b);
        } else {
            r->result = json_null();
        }
        buf_deinit(&out);
    } else { /* receipts: the consensus encodings */
        chain_receipts_t rs;
        if (chain_read_receipts(t, &h, &rs) == ERR_OK) {
            json_t *arr = json_array();
            buf_t out;
            buf_init(&out, 1u << 26);
            for (size_t i = 0; i < rs.n; i++) {
                buf_reset(&out);
                if (receipt_encode(&rs.r[i], &out) == ERR_OK)
                    json_array_append_new(arr, rpc__data(out.p, out.n));
            }
            buf_deinit(&out);
            chain_receipts_free(&rs);
            r->result = arr;
        } else {
            r->result = json_null();
        }
    }
    db_txn_abort(t);
}

static void raw_header(void *ctx, const json_t *params, rpc_reply_t *r)
{
    raw_common(ctx, params, r, 0);
}

static void raw_block(void *ctx, const json_t *params, rpc_reply_t *r)
{
    raw_common(ctx, params, r, 1);
}

static void raw_transaction(void *ctx, const json_t *params, rpc_reply_t *r)
{
    raw_common(ctx, params, r, 2);
}

static void raw_receipts(void *ctx, const json_t *params, rpc_reply_t *r)
{
    raw_common(ctx, params, r, 3);
}

void rpc__register_debug(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "debug_traceTransaction", RPC_NS_DEBUG, trace_transaction },
        { "debug_traceBlockByNumber", RPC_NS_DEBUG, trace_block_by_number },
        { "debug_traceBlockByHash", RPC_NS_DEBUG, trace_block_by_hash },
        { "debug_traceCall", RPC_NS_DEBUG, trace_call },
        { "debug_getRawHeader", RPC_NS_DEBUG, raw_header },
        { "debug_getRawBlock", RPC_NS_DEBUG, raw_block },
        { "debug_getRawTransaction", RPC_NS_DEBUG, raw_transaction },
        { "debug_getRawReceipts", RPC_NS_DEBUG, raw_receipts },
        { "eth_getRawTransactionByHash", RPC_NS_ETH, raw_transaction },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
