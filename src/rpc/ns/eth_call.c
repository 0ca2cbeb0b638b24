/* eth_call, eth_estimateGas, eth_createAccessList and eth_coinbase, and the execution helpers
 * the debug namespace and eth_simulateV1 share (src/rpc/ns/exec.h): calls run on the state after
 * any block through the state history, under optional state overrides (a backend layer,
 * overlay.c) and block overrides. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "rpc/ns/exec.h"
#include "rpc/rpc_int.h"

enum {
    ACCESS_LIST_MAX_ROUNDS = 32, /* geth stops when the list is stable; a bound for safety */
};

/* ---- call objects ---- */

static bool bad_field(rpc_reply_t *r, const char *name, const char *k, const char *what)
{
    rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: %s: '%s' must be %s", name, k, what);
    return false;
}

static bool get_u256(const json_t *o, const char *name, const char *k, u256_t *out, bool *has,
                     rpc_reply_t *r)
{
    const json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    if (!s || strncmp(s, "0x", 2) != 0 || u256_from_hex(s, strlen(s), out) != ERR_OK)
        return bad_field(r, name, k, "a hex quantity");
    if (has)
        *has = true;
    return true;
}

static bool get_u64(const json_t *o, const char *name, const char *k, uint64_t *out, bool *has,
                    rpc_reply_t *r)
{
    u256_t v = u256_from_u64(0);
    bool h = false;
    if (!get_u256(o, name, k, &v, &h, r))
        return false;
    if (h && (v.w[1] | v.w[2] | v.w[3]))
        return bad_field(r, name, k, "a quantity of at most 64 bits");
    if (h) {
        *out = v.w[0];
        *has = true;
    }
    return true;
}

static bool get_addr(const json_t *o, const char *name, const char *k, addr_t *out, bool *has,
                     rpc_reply_t *r)
{
    const json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    if (!s || strncmp(s, "0x", 2) != 0 || addr_from_hex(out, s, strlen(s)) != ERR_OK)
        return bad_field(r, name, k, "a 20-byte address");
    *has = true;
    return true;
}

/* A 32-byte hex word ("0x" and 64 digits), as geth and reth require for slots. */
static bool word32(const json_t *v, u256_t *out)
{
    const char *s = json_string_value(v);
    uint8_t b[32];
    if (!s || strlen(s) != 66 || strncmp(s, "0x", 2) != 0 ||
        hex_decode_fixed(b, 32, s, 66) != ERR_OK)
        return false;
    *out = u256_from_be(b, 32);
    return true;
}

void rpc__access_list_free(rpc_access_list_t *al)
{
    for (size_t i = 0; i < al->n; i++)
        rn_free(al->t[i].keys);
    rn_free(al->t);
    al->t = NULL;
    al->n = 0;
}

static bool parse_access_list(const json_t *v, const char *name, rpc_access_list_t *al,
                              rpc_reply_t *r)
{
    if (!json_is_array(v))
        return bad_field(r, name, "accessList", "an array of {address, storageKeys}");
    al->t = RN_NEWV(access_tuple_t, json_array_size(v) + 1);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        const json_t *keys = json_object_get(e, "storageKeys");
        const char *as = json_string_value(json_object_get(e, "address"));
        access_tuple_t *t = &al->t[al->n++];
        if (!json_is_object(e) || !as || addr_from_hex(&t->addr, as, strlen(as)) != ERR_OK ||
            (keys && !json_is_array(keys)))
            return bad_field(r, name, "accessList", "an array of {address, storageKeys}");
        t->keys = RN_NEWV(hash_t, json_array_size(keys) + 1);
        for (size_t k = 0; k < json_array_size(keys); k++) {
            const char *ks = json_string_value(json_array_get(keys, k));
            if (!ks || strlen(ks) != 66 ||
                hex_decode_fixed(t->keys[k].b, 32, ks, strlen(ks)) != ERR_OK)
                return bad_field(r, name, "accessList", "storage keys of 32 bytes");
            t->nkeys++;
        }
    }
    return true;
}

bool rpc__parse_call_object(const json_t *o, const char *name, rpc_call_args_t *a,
                            rpc_access_list_t *al, rpc_reply_t *r)
{
    if (!json_is_object(o)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: %s must be a transaction object",
                        name);
        return false;
    }
    bool dummy = false;
    if (!get_addr(o, name, "from", &a->from, &a->has_from, r) ||
        !get_addr(o, name, "to", &a->to, &a->has_to, r) ||
        !get_u64(o, name, "gas", &a->gas, &a->has_gas, r) ||
        !get_u256(o, name, "gasPrice", &a->gas_price, &a->has_gas_price, r) ||
        !get_u256(o, name, "maxFeePerGas", &a->max_fee, &a->has_max_fee, r) ||
        !get_u256(o, name, "maxPriorityFeePerGas", &a->max_priority_fee, &a->has_max_priority_fee,
                  r) ||
        !get_u256(o, name, "value", &a->value, &dummy, r) ||
        !get_u64(o, name, "nonce", &a->nonce, &a->has_nonce, r))
        return false;
    if (a->has_gas_price && (a->has_max_fee || a->has_max_priority_fee)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: %s: both gasPrice and (maxFeePerGas or "
                        "maxPriorityFeePerGas) specified",
                        name);
        return false;
    }
    const json_t *in = json_object_get(o, "input");
    const json_t *data = json_object_get(o, "data");
    if (in && !json_is_null(in) && data && !json_is_null(data) &&
        !json_equal((json_t *)in, (json_t *)data)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: %s: both \"data\" and \"input\" are set and not equal",
                        name);
        return false;
    }
    const json_t *d = in && !json_is_null(in) ? in : data;
    if (d && !json_is_null(d)) {
        const char *s = json_string_value(d);
        if (!s || strncmp(s, "0x", 2) != 0 || hex_decode_buf(&a->data, s, strlen(s)) != ERR_OK)
            return bad_field(r, name, "input", "hex data");
    }
    const json_t *alj = json_object_get(o, "accessList");
    if (al && alj && !json_is_null(alj) && !parse_access_list(alj, name, al, r))
        return false;
    return true;
}

bool rpc__parse_call(const rpc_ctx_t *c, const json_t *params, rpc_call_args_t *a, rpc_reply_t *r)
{
    db_txn_t *t;
    if (!c->db || db_txn_begin(c->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        return false;
    }
    bool ok = rpc__block_param(t, rpc__param(params, 1), "argument 1 (block)", &a->block, NULL, r);
    db_txn_abort(t);
    return ok &&
           rpc__parse_call_object(rpc__param(params, 0), "argument 0 (transaction)", a, NULL, r);
}

bool rpc__at_open(const rpc_ctx_t *c, uint64_t block, rpc_at_t *at, rpc_reply_t *r)
{
    memset(at, 0, sizeof(*at));
    uint64_t num;
    if (!c->db || db_txn_begin(c->db, DB_TXN_READ, &at->txn) != ERR_OK ||
        chain_head(at->txn, &num, &at->hash) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        rpc__at_close(at);
        return false;
    }
    if (block != UINT64_MAX)
        num = block;
    if (chain_canonical_hash(at->txn, num, &at->hash) != ERR_OK ||
        chain_read_header(at->txn, &at->hash, &at->header) != ERR_OK) {
        rpc_reply_error(r, RPC_RESOURCE_NOT_FOUND, "block not found: 0x%" PRIx64, num);
        rpc__at_close(at);
        return false;
    }
    if (state_db_backend_at(at->txn, num, &at->be, &at->be_ctx) != ERR_OK) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "state for block %" PRIu64 " is not available", num);
        rpc__at_close(at);
        return false;
    }
    return true;
}

void rpc__at_close(rpc_at_t *at)
{
    state_db_backend_at_free(at->be_ctx);
    header_deinit(&at->header);
    db_txn_abort(at->txn);
    memset(at, 0, sizeof(*at));
}

/* The reason string of an Error(string) revert, or NULL. */
json_t *rpc__revert_reason(bview_t out)
{
    if (out.n < 68 || memcmp(out.p, "\x08\xc3\x79\xa0", 4) != 0)
        return NULL;
    u256_t off = u256_from_be(out.p + 4, 32), len = u256_from_be(out.p + 36, 32);
    if (off.w[1] | off.w[2] | off.w[3] | len.w[1] | len.w[2] | len.w[3] || off.w[0] != 32 ||
        len.w[0] > out.n - 68)
        return NULL;
    return json_stringn((const char *)out.p + 68, (size_t)len.w[0]); /* NULL if not UTF-8 */
}

const char *rpc__evm_error(evm_status_t s)
{
    switch (s) {
    case EVM_SUCCESS:
        return "";
    case EVM_REVERT:
        return "execution reverted";
    case EVM_OUT_OF_GAS:
        return "out of gas";
    case EVM_INVALID_INSTRUCTION:
        return "invalid opcode: INVALID";
    case EVM_UNDEFINED_INSTRUCTION:
        return "invalid opcode";
    case EVM_STACK_OVERFLOW:
        return "stack overflow";
    case EVM_STACK_UNDERFLOW:
        return "stack underflow";
    case EVM_BAD_JUMP_DESTINATION:
        return "invalid jump destination";
    case EVM_INVALID_MEMORY_ACCESS:
        return "return data out of bounds";
    case EVM_CALL_DEPTH_EXCEEDED:
        return "max call depth exceeded";
    case EVM_STATIC_MODE_VIOLATION:
        return "write protection";
    case EVM_PRECOMPILE_FAILURE:
        return "precompiled contract failed";
    case EVM_CONTRACT_VALIDATION_FAILURE:
        return "invalid code: must not begin with 0xef";
    case EVM_INSUFFICIENT_BALANCE:
        return "insufficient balance for transfer";
    case EVM_CREATE_COLLISION:
        return "contract address collision";
    case EVM_CODE_SIZE_EXCEEDED:
        return "max code size exceeded";
    case EVM_NONCE_OVERFLOW:
        return "nonce uint64 overflow";
    case EVM_INITCODE_SIZE_EXCEEDED:
        return "max initcode size exceeded";
    }
    return evm_status_name(s);
}

/* ---- block environment and overrides ---- */

void rpc__call_block_env(const rpc_ctx_t *c, const header_t *h, evm_block_t *blk)
{
    memset(blk, 0, sizeof(*blk));
    blk->number = h->number;
    blk->timestamp = h->timestamp;
    blk->gas_limit = h->gas_limit;
    blk->coinbase = c->spec->has_fee_vault ? c->spec->fee_vault : (addr_t){ { 0 } };
    blk->chain_id = u256_from_u64(c->spec->chain_id);
    if (h->has_base_fee)
        blk->base_fee = h->base_fee;
    blk->prevrandao = u256_from_be(h->mix_hash.b, 32);
}

void rpc__call_rules(const rpc_ctx_t *c, const evm_block_t *blk, evm_rules_t *rules)
{
    scroll_spec_t level = chain_spec_level(c->spec, blk->number, blk->timestamp);
    evm_rules_scroll(rules, (evm_scroll_spec_t)level);
}

bool rpc__block_overrides(const json_t *ov, const char *name, evm_block_t *blk, rpc_reply_t *r)
{
    if (!ov || json_is_null(ov))
        return true;
    if (!json_is_object(ov)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: %s must be an object", name);
        return false;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)ov, k, v)
    {
        bool has = false;
        uint64_t u = 0;
        u256_t w;
        if (json_is_null(v))
            continue;
        if (!strcmp(k, "number") || !strcmp(k, "time") || !strcmp(k, "gasLimit")) {
            if (!get_u64(ov, name, k, &u, &has, r))
                return false;
            if (!strcmp(k, "number"))
                blk->number = u;
            else if (!strcmp(k, "time"))
                blk->timestamp = u;
            else
                blk->gas_limit = u;
        } else if (!strcmp(k, "coinbase") || !strcmp(k, "feeRecipient")) {
            if (!get_addr(ov, name, k, &blk->coinbase, &has, r))
                return false;
        } else if (!strcmp(k, "baseFee") || !strcmp(k, "baseFeePerGas")) {
            if (!get_u256(ov, name, k, &blk->base_fee, &has, r))
                return false;
        } else if (!strcmp(k, "prevRandao") || !strcmp(k, "random")) {
            if (!word32(v, &w))
                return bad_field(r, name, k, "32 bytes of hex");
            blk->prevrandao = w;
        } else if (!strcmp(k, "difficulty") || !strcmp(k, "blobBaseFee")) {
            /* Scroll: DIFFICULTY reads 0 and there are no blobs; accepted and unused. */
            if (!get_u256(ov, name, k, &w, &has, r))
                return false;
        } else if (!strcmp(k, "withdrawals")) {
            if (!json_is_array(v) || json_array_size(v) != 0)
                return bad_field(r, name, k, "empty (Scroll has no withdrawals)");
        } else {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: %s: unknown or unsupported field '%.64s'", name, k);
            return false;
        }
    }
    return true;
}

/* ---- running a call ---- */

tx_invalid_t rpc__exec_call(evm_t *evm, state_t *st, const rpc_exec_t *x, const rpc_call_args_t *a,
                            uint64_t gas, tx_t *txo, state_tx_result_t *out, buf_t *output)
{
    evm_block_t blk = *x->blk;
    /* geth: a call without fee fields runs with base fee 0 (no fee check, BASEFEE reads 0). */
    bool priced = a->has_gas_price || a->has_max_fee || a->has_max_priority_fee;
    if (!x->validate && !priced)
        blk.base_fee = u256_from_u64(0);
    tx_t tx;
    memset(&tx, 0, sizeof(tx));
    addr_t from = a->has_from ? a->from : (addr_t){ { 0 } };
    tx.type = a->has_max_fee || a->has_max_priority_fee ? TX_DYNAMIC_FEE
              : x->al && x->al->n                       ? TX_ACCESS_LIST
                                                        : TX_LEGACY;
    tx.has_chain_id = true;
    tx.chain_id = blk.chain_id;
    if (x->validate) {
        tx.nonce = a->has_nonce ? a->nonce : state_nonce(st, &from);
    } else {
        /* The nonce check is skipped (geth): a given nonce becomes the sender's for this run. */
        if (a->has_nonce)
            state_set_nonce(st, &from, a->nonce);
        tx.nonce = state_nonce(st, &from);
    }
    tx.gas_price = a->gas_price;
    tx.max_fee = a->max_fee;
    tx.max_priority_fee = a->max_priority_fee;
    if (tx.type == TX_DYNAMIC_FEE && !a->has_max_fee) /* geth: maxFee defaults to the tip */
        tx.max_fee = a->max_priority_fee;
    tx.gas_limit = gas;
    tx.has_to = a->has_to;
    tx.to = a->to;
    tx.value = a->value;
    tx.data = a->data.p;
    tx.data_len = a->data.n;
    if (x->al) {
        tx.access_list = x->al->t;
        tx.naccess = x->al->n;
    }
    state_tx_env_t env = {
        .evm = evm, .rules = x->rules, .block = &blk, .block_gas_used = x->block_gas_used
    };
    tx_invalid_t v = state_tx_apply(st, &env, &tx, &from, out);
    buf_reset(output);
    if (v == TX_VALID && out->output.n &&
        buf_append(output, out->output.p, out->output.n) != ERR_OK)
        buf_reset(output);
    if (txo)
        *txo = tx;
    return v;
}

tx_invalid_t rpc__run_call(const rpc_ctx_t *c, evm_t *evm, const rpc_at_t *at,
                           const rpc_call_args_t *a, uint64_t gas, state_tx_result_t *out,
                           buf_t *output)
{
    evm_block_t blk;
    evm_rules_t rules;
    rpc__call_block_env(c, &at->header, &blk);
    rpc__call_rules(c, &blk, &rules);
    rpc_exec_t x = { .blk = &blk, .rules = &rules };
    state_t *st = state_new(&at->be);
    tx_invalid_t v = rpc__exec_call(evm, st, &x, a, gas, NULL, out, output);
    state_free(st);
    return v;
}

bool rpc__run_call_overrides(const rpc_ctx_t *c, evm_t *evm, const rpc_at_t *at,
                             const rpc_call_args_t *a, const json_t *state_ov,
                             const json_t *block_ov, uint64_t gas, tx_invalid_t *v,
                             state_tx_result_t *out, buf_t *output, rpc_reply_t *r)
{
    evm_block_t blk;
    evm_rules_t rules;
    rpc_overlay_t *ov = rpc__overlay_new(&at->be);
    rpc__call_block_env(c, &at->header, &blk);
    bool ok = rpc__state_overrides(ov, state_ov, "config.stateOverrides", r) &&
              rpc__block_overrides(block_ov, "config.blockOverrides", &blk, r);
    if (ok) {
        rpc__call_rules(c, &blk, &rules);
        rpc_exec_t x = { .blk = &blk, .rules = &rules };
        state_backend_t be = rpc__overlay_backend(ov);
        state_t *st = state_new(&be);
        *v = rpc__exec_call(evm, st, &x, a, gas, NULL, out, output);
        state_free(st);
    }
    rpc__overlay_free(ov);
    return ok;
}

/* ---- state overrides ---- */

static bool ov_err(rpc_reply_t *r, const char *name, const char *addr, const char *what)
{
    rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: %s: account %.42s: %s", name, addr,
                    what);
    return false;
}

static bool ov_slots(rpc_overlay_t *o, const addr_t *a, const json_t *m, const char *name,
                     const char *as, rpc_reply_t *r)
{
    if (!json_is_object(m))
        return ov_err(r, name, as, "'state' and 'stateDiff' must map 32-byte slots to values");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        u256_t key, val;
        json_t *kj = json_string(k);
        bool ok = kj && word32(kj, &key) && word32(v, &val);
        json_decref(kj);
        if (!ok)
            return ov_err(r, name, as, "storage slots and values must be 32 bytes of hex");
        rpc__overlay_set_storage(o, a, &key, val);
    }
    return true;
}

bool rpc__state_overrides(rpc_overlay_t *o, const json_t *ov, const char *name, rpc_reply_t *r)
{
    if (!ov || json_is_null(ov))
        return true;
    if (!json_is_object(ov)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: %s must be an object of address → account override", name);
        return false;
    }
    const char *as;
    const json_t *acc;
    json_object_foreach((json_t *)ov, as, acc)
    {
        addr_t a;
        if (strncmp(as, "0x", 2) != 0 || addr_from_hex(&a, as, strlen(as)) != ERR_OK) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: %s: key %.64s is not a 20-byte address", name, as);
            return false;
        }
        if (!json_is_object(acc))
            return ov_err(r, name, as, "the override must be an object");
        const json_t *state = json_object_get(acc, "state");
        const json_t *diff = json_object_get(acc, "stateDiff");
        if (state && !json_is_null(state) && diff && !json_is_null(diff))
            return ov_err(r, name, as, "has both 'state' and 'stateDiff'");
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)acc, k, v)
        {
            if (json_is_null(v))
                continue;
            if (!strcmp(k, "balance")) {
                u256_t b;
                bool has = false;
                if (!get_u256(acc, name, k, &b, &has, r))
                    return false;
                rpc__overlay_set_balance(o, &a, b);
            } else if (!strcmp(k, "nonce")) {
                uint64_t n = 0;
                bool has = false;
                if (!get_u64(acc, name, k, &n, &has, r))
                    return false;
                rpc__overlay_set_nonce(o, &a, n);
            } else if (!strcmp(k, "code")) {
                const char *s = json_string_value(v);
                buf_t code;
                buf_init(&code, EVM_MAX_CODE_SIZE * 4);
                if (!s || strncmp(s, "0x", 2) != 0 ||
                    hex_decode_buf(&code, s, strlen(s)) != ERR_OK) {
                    buf_deinit(&code);
                    return ov_err(r, name, as, "'code' must be hex data");
                }
                rpc__overlay_set_code(o, &a, code.p, code.n);
                buf_deinit(&code);
            } else if (!strcmp(k, "state")) {
                rpc__overlay_clear_storage(o, &a);
                if (!ov_slots(o, &a, v, name, as, r))
                    return false;
            } else if (!strcmp(k, "stateDiff")) {
                if (!ov_slots(o, &a, v, name, as, r))
                    return false;
            } else if (!strcmp(k, "movePrecompileToAddress")) {
                return ov_err(r, name, as, "movePrecompileToAddress is not supported");
            } else {
                rpc_reply_error(r, RPC_INVALID_PARAMS,
                                "invalid params: %s: account %.42s: unknown field '%.64s'", name,
                                as, k);
                return false;
            }
        }
    }
    return true;
}

/* ---- eth_call and eth_estimateGas ---- */

/* Everything a call method prepares: the arguments, the state at the block under the state
 * overrides, and the block environment under the block overrides. */
typedef struct call_prep {
    rpc_call_args_t a;
    rpc_access_list_t al;
    rpc_at_t at;
    rpc_overlay_t *ov;
    state_backend_t be;
    evm_block_t blk;
    evm_rules_t rules;
    buf_t output;
} call_prep_t;

static void prep_init(call_prep_t *p)
{
    memset(p, 0, sizeof(*p));
    buf_init(&p->a.data, RPC_MAX_BODY_BYTES);
    buf_init(&p->output, RPC_MAX_RESPONSE_BYTES / 2);
}

static void prep_deinit(call_prep_t *p)
{
    rpc__overlay_free(p->ov);
    rpc__at_close(&p->at);
    rpc__access_list_free(&p->al);
    buf_deinit(&p->output);
    buf_deinit(&p->a.data);
}

/* params: [call, block?, stateOverrides?, blockOverrides? (when max_params is 4)] */
static bool prepare(const rpc_ctx_t *c, const json_t *params, size_t max_params, call_prep_t *p,
                    rpc_reply_t *r)
{
    if (!c->spec || !c->db) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND, "the method does not exist/is not available");
        return false;
    }
    if (!rpc__arity(params, 1, max_params, r))
        return false;
    db_txn_t *t;
    if (db_txn_begin(c->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        return false;
    }
    bool ok =
        rpc__block_param(t, rpc__param(params, 1), "argument 1 (block)", &p->a.block, NULL, r);
    db_txn_abort(t);
    if (!ok ||
        !rpc__parse_call_object(rpc__param(params, 0), "argument 0 (transaction)", &p->a, &p->al,
                                r) ||
        !rpc__at_open(c, p->a.block, &p->at, r))
        return false;
    p->ov = rpc__overlay_new(&p->at.be);
    p->be = rpc__overlay_backend(p->ov);
    if (!rpc__state_overrides(p->ov, rpc__param(params, 2), "argument 2 (stateOverrides)", r))
        return false;
    rpc__call_block_env(c, &p->at.header, &p->blk);
    if (max_params > 3 &&
        !rpc__block_overrides(rpc__param(params, 3), "argument 3 (blockOverrides)", &p->blk, r))
        return false;
    rpc__call_rules(c, &p->blk, &p->rules);
    return true;
}

/* One run of the prepared call with `gas` on a fresh state. */
static tx_invalid_t run(call_prep_t *p, evm_t *evm, const rpc_access_list_t *al, uint64_t gas,
                        state_tx_result_t *res)
{
    rpc_exec_t x = { .blk = &p->blk, .rules = &p->rules, .al = al };
    state_t *st = state_new(&p->be);
    tx_invalid_t v = rpc__exec_call(evm, st, &x, &p->a, gas, NULL, res, &p->output);
    state_free(st);
    return v;
}

static uint64_t call_gas(const call_prep_t *p)
{
    return p->a.has_gas ? p->a.gas : p->blk.gas_limit;
}

static void revert_error(rpc_reply_t *r, const buf_t *output)
{
    /* geth and reth append a decodable Error(string) reason to the message. */
    json_t *why = rpc__revert_reason(buf_view(output));
    if (json_is_string(why))
        rpc_reply_error(r, RPC_EXECUTION_REVERTED, "execution reverted: %.200s",
                        json_string_value(why));
    else
        rpc_reply_error(r, RPC_EXECUTION_REVERTED, "execution reverted");
    json_decref(why);
    r->data = rpc__data(output->p, output->n);
}

static void call_common(void *ctx, const json_t *params, rpc_reply_t *r, bool estimate)
{
    const rpc_ctx_t *c = ctx;
    call_prep_t p;
    prep_init(&p);
    if (!prepare(c, params, estimate ? 3 : 4, &p, r))
        goto out;
    evm_t *evm = evm_thread();
    uint64_t hi = call_gas(&p);
    state_tx_result_t res;
    tx_invalid_t v = run(&p, evm, &p.al, hi, &res);
    if (v != TX_VALID) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "%s", tx_invalid_msg(v));
        goto out;
    }
    if (res.status == EVM_REVERT) {
        revert_error(r, &p.output);
        goto out;
    }
    if (res.status != EVM_SUCCESS) {
        if (estimate)
            rpc_reply_error(r, RPC_SERVER_ERROR, "gas required exceeds allowance (%" PRIu64 ")",
                            hi);
        else
            rpc_reply_error(r, RPC_SERVER_ERROR, "%s", rpc__evm_error(res.status));
        goto out;
    }
    if (!estimate) {
        r->result = rpc__data(p.output.p, p.output.n);
        goto out;
    }
    /* The lowest gas limit that succeeds: binary search from the gas used (geth's method). */
    uint64_t lo = res.gas_used - 1, top = hi;
    while (lo + 1 < top) {
        uint64_t mid = lo + (top - lo) / 2;
        if (lo > 0 && mid > lo * 2) /* first try close to the used gas */
            mid = lo * 2;
        state_tx_result_t m;
        tx_invalid_t mv = run(&p, evm, &p.al, mid, &m);
        if (mv == TX_VALID && m.status == EVM_SUCCESS)
            top = mid;
        else
            lo = mid;
    }
    r->result = rpc__quantity(top);
out:
    prep_deinit(&p);
}

static void eth_call(void *ctx, const json_t *params, rpc_reply_t *r)
{
    call_common(ctx, params, r, false);
}

static void eth_estimate_gas(void *ctx, const json_t *params, rpc_reply_t *r)
{
    call_common(ctx, params, r, true);
}

/* ---- eth_createAccessList ---- */

/* The addresses and slots a run touched (reth's access-list inspector): SLOAD/SSTORE slots of the
 * running contract, the address operands of BALANCE, EXTCODE*, SELFDESTRUCT and the CALL family;
 * as bare addresses the sender, the recipient (or created contract) and precompiles are left
 * out, but their storage slots are listed. A set of
 * (address, slot) keys in one open-addressing table; slot entries carry has_slot. */
typedef struct al_key {
    addr_t addr;
    bool used, has_slot;
    u256_t slot;
} al_key_t;

typedef struct al_set {
    al_key_t *k;
    size_t n, cap;
} al_set_t;

typedef struct al_tracer {
    al_set_t set;
    state_t *st;
    const precompile_rules_t *pc;
    addr_t from, to;
    addr_t frames[1100];
    int depth;
} al_tracer_t;

static size_t al_pos(const al_key_t *t, size_t cap, const addr_t *a, bool has_slot, const u256_t *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 20; i++)
        h = (h ^ a->b[i]) * 0x100000001b3ull;
    if (has_slot)
        for (int i = 0; i < 4; i++)
            h = (h ^ s->w[i]) * 0x100000001b3ull;
    size_t i = (size_t)(h ^ (h >> 31)) & (cap - 1);
    while (t[i].used && (memcmp(t[i].addr.b, a->b, 20) != 0 || t[i].has_slot != has_slot ||
                         (has_slot && !u256_eq(t[i].slot, *s))))
        i = (i + 1) & (cap - 1);
    return i;
}

static bool al_has(const al_set_t *s, const addr_t *a, bool has_slot, const u256_t *slot)
{
    return s->cap && s->k[al_pos(s->k, s->cap, a, has_slot, slot)].used;
}

static void al_add1(al_set_t *s, const addr_t *a, bool has_slot, const u256_t *slot)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        al_key_t *t = RN_NEWV(al_key_t, cap);
        for (size_t i = 0; i < s->cap; i++)
            if (s->k[i].used)
                t[al_pos(t, cap, &s->k[i].addr, s->k[i].has_slot, &s->k[i].slot)] = s->k[i];
        rn_free(s->k);
        s->k = t;
        s->cap = cap;
    }
    al_key_t *e = &s->k[al_pos(s->k, s->cap, a, has_slot, slot)];
    if (!e->used) {
        *e = (al_key_t){ .addr = *a, .used = true, .has_slot = has_slot };
        if (has_slot)
            e->slot = *slot;
        s->n++;
    }
}

static void al_add(al_set_t *s, const addr_t *a, const u256_t *slot)
{
    al_add1(s, a, false, NULL);
    if (slot)
        al_add1(s, a, true, slot);
}

static void al_tracer_add(al_tracer_t *t, const addr_t *a, const u256_t *slot)
{
    if (addr_eq(a, &t->from) || addr_eq(a, &t->to) || precompile_is_warm(t->pc, a))
        return;
    al_add(&t->set, a, slot);
}

static void al_step(void *ud, uint32_t pc, uint8_t op, int64_t gas, int64_t cost, size_t mem,
                    const u256_t *stack, size_t n, int32_t depth, int64_t refund)
{
    (void)pc, (void)gas, (void)cost, (void)mem, (void)depth, (void)refund;
    al_tracer_t *t = ud;
    if (t->depth == 0 || n == 0)
        return;
    switch (op) {
    case 0x54: /* SLOAD */
    case 0x55: /* SSTORE */
        /* Slots are listed for every contract, the excluded ones included (reth's
         * AccessListInspector; geth would drop the sender's and recipient's). */
        al_add(&t->set, &t->frames[t->depth - 1], &stack[n - 1]);
        break;
    case 0x31: /* BALANCE */
    case 0x3b: /* EXTCODESIZE */
    case 0x3c: /* EXTCODECOPY */
    case 0x3f: /* EXTCODEHASH */
    case 0xff: /* SELFDESTRUCT */
    {
        addr_t a = rpc__word_addr(stack[n - 1]);
        al_tracer_add(t, &a, NULL);
        break;
    }
    case 0xf1: /* CALL */
    case 0xf2: /* CALLCODE */
    case 0xf4: /* DELEGATECALL */
    case 0xfa: /* STATICCALL */
        if (n >= 2) {
            addr_t a = rpc__word_addr(stack[n - 2]);
            al_tracer_add(t, &a, NULL);
        }
        break;
    default:
        break;
    }
}

static void al_enter(void *ud, const evm_message_t *m)
{
    al_tracer_t *t = ud;
    if (t->depth >= (int)RN_ARRAY_LEN(t->frames))
        return;
    addr_t a = m->recipient;
    if (m->kind == EVM_CREATE) /* the EVM bumps the nonce after this hook */
        a = evm_create_address(&m->sender, state_nonce(t->st, &m->sender));
    else if (m->kind == EVM_CREATE2) {
        uint8_t salt[32];
        u256_to_be(salt, m->salt);
        a = evm_create2_address(&m->sender, salt, m->input, m->input_len);
    }
    t->frames[t->depth++] = a;
}

static void al_exit(void *ud, const evm_message_t *m, const evm_result_t *res)
{
    (void)m, (void)res;
    al_tracer_t *t = ud;
    if (t->depth > 0)
        t->depth--;
}

static int addr_cmp(const void *x, const void *y)
{
    const al_key_t *a = x, *b = y;
    int c = memcmp(a->addr.b, b->addr.b, 20);
    if (c || a->has_slot != b->has_slot)
        return c ? c : (a->has_slot ? 1 : -1);
    return a->has_slot ? u256_cmp(a->slot, b->slot) : 0;
}

/* The set as an access list (sorted by address, then slot) and as JSON. */
static void al_build(const al_set_t *s, rpc_access_list_t *al, json_t **js)
{
    al_key_t *v = RN_NEWV(al_key_t, s->n + 1);
    size_t n = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->k[i].used)
            v[n++] = s->k[i];
    qsort(v, n, sizeof(*v), addr_cmp);
    rpc__access_list_free(al);
    al->t = RN_NEWV(access_tuple_t, n + 1);
    json_t *arr = json_array();
    json_t *keys = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].has_slot) {
            access_tuple_t *t = &al->t[al->n++];
            t->addr = v[i].addr;
            size_t k = i + 1;
            while (k < n && v[k].has_slot && addr_eq(&v[k].addr, &v[i].addr))
                k++;
            t->keys = RN_NEWV(hash_t, k - i);
            keys = json_array();
            json_array_append_new(arr, json_pack("{s:o,s:o}", "address", rpc__data(v[i].addr.b, 20),
                                                 "storageKeys", keys));
            continue;
        }
        access_tuple_t *t = &al->t[al->n - 1];
        u256_to_be(t->keys[t->nkeys].b, v[i].slot);
        json_array_append_new(keys, rpc__data(t->keys[t->nkeys].b, 32));
        t->nkeys++;
    }
    rn_free(v);
    *js = arr;
}

static bool al_equal(const al_set_t *a, const al_set_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->cap; i++)
        if (a->k[i].used && !al_has(b, &a->k[i].addr, a->k[i].has_slot, &a->k[i].slot))
            return false;
    return true;
}

static void create_access_list(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    call_prep_t p;
    prep_init(&p);
    al_set_t prev = { 0 };
    json_t *list = NULL;
    if (!prepare(c, params, 3, &p, r))
        goto out;
    evm_t *evm = evm_thread();
    addr_t from = p.a.has_from ? p.a.from : (addr_t){ { 0 } };
    addr_t to = p.a.to;
    if (!p.a.has_to) {
        uint64_t nonce = p.a.has_nonce ? p.a.nonce : 0;
        if (!p.a.has_nonce) {
            state_account_t acc = { 0 };
            if (p.be.get_account(p.be.ctx, &from, &acc))
                nonce = acc.nonce;
        }
        to = evm_create_address(&from, nonce);
    }
    /* The list the caller gave seeds the first round (geth). */
    for (size_t i = 0; i < p.al.n; i++) {
        al_add(&prev, &p.al.t[i].addr, NULL);
        for (size_t k = 0; k < p.al.t[i].nkeys; k++) {
            u256_t s = u256_from_be(p.al.t[i].keys[k].b, 32);
            al_add(&prev, &p.al.t[i].addr, &s);
        }
    }
    for (int round = 0;; round++) {
        al_build(&prev, &p.al, &list);
        al_tracer_t *t = RN_NEW(al_tracer_t);
        t->pc = &p.rules.precompiles;
        t->from = from;
        t->to = to;
        for (size_t i = 0; i < prev.cap; i++) /* seeded with the list it runs with */
            if (prev.k[i].used)
                al_add1(&t->set, &prev.k[i].addr, prev.k[i].has_slot, &prev.k[i].slot);
        evm_tracer_t hooks = { .step = al_step, .enter = al_enter, .exit = al_exit, .ud = t };
        rpc_exec_t x = { .blk = &p.blk, .rules = &p.rules, .al = &p.al };
        state_t *st = state_new(&p.be);
        t->st = st;
        evm_set_tracer(evm, &hooks);
        state_tx_result_t res;
        tx_invalid_t v = rpc__exec_call(evm, st, &x, &p.a, call_gas(&p), NULL, &res, &p.output);
        evm_set_tracer(evm, NULL);
        state_free(st);
        if (v != TX_VALID) {
            rpc_reply_error(r, RPC_SERVER_ERROR, "failed to apply transaction: %s",
                            tx_invalid_msg(v));
            rn_free(t->set.k);
            rn_free(t);
            goto out;
        }
        bool same = al_equal(&t->set, &prev);
        rn_free(prev.k);
        prev = t->set;
        rn_free(t);
        if (same || round + 1 == ACCESS_LIST_MAX_ROUNDS) {
            r->result =
                json_pack("{s:o,s:o}", "accessList", list, "gasUsed", rpc__quantity(res.gas_used));
            list = NULL;
            if (res.status != EVM_SUCCESS) {
                json_t *why =
                    res.status == EVM_REVERT ? rpc__revert_reason(buf_view(&p.output)) : NULL;
                char msg[300];
                if (json_is_string(why))
                    snprintf(msg, sizeof(msg), "execution reverted: %.200s",
                             json_string_value(why));
                else
                    snprintf(msg, sizeof(msg), "%s", rpc__evm_error(res.status));
                json_decref(why);
                json_object_set_new(r->result, "error", json_string(msg));
            }
            break;
        }
        json_decref(list);
        list = NULL;
    }
out:
    json_decref(list);
    rn_free(prev.k);
    prep_deinit(&p);
}

/* eth_coinbase: reth answers "unimplemented" (there is no mining etherbase; the fee recipient of
 * Scroll blocks is the fee vault, which eth_getBlockByNumber shows as miner). */
static void eth_coinbase(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (!rpc__arity(params, 0, 0, r))
        return;
    rpc_reply_error(r, RPC_INTERNAL_ERROR, "unimplemented");
}

void rpc__register_eth_call(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "eth_call", RPC_NS_ETH, eth_call },
        { "eth_estimateGas", RPC_NS_ETH, eth_estimate_gas },
        { "eth_createAccessList", RPC_NS_ETH, create_access_list },
        { "eth_coinbase", RPC_NS_ETH, eth_coinbase },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
    rpc__register_eth_simulate(reg);
}
