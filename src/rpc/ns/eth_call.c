/* eth_call and eth_estimateGas, and the execution helpers the debug namespace shares
 * (src/rpc/ns/exec.h): calls run on the state after any block through the state history. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rpc/ns/exec.h"
#include "rpc/rpc_int.h"

static bool get_u256(const json_t *o, const char *k, u256_t *out, bool *has, rpc_reply_t *r)
{
    const json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    if (!s || strncmp(s, "0x", 2) != 0 || u256_from_hex(s, strlen(s), out) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: '%s' must be a hex quantity", k);
        return false;
    }
    if (has)
        *has = true;
    return true;
}

static bool get_u64(const json_t *o, const char *k, uint64_t *out, bool *has, rpc_reply_t *r)
{
    u256_t v = u256_from_u64(0);
    bool h = false;
    if (!get_u256(o, k, &v, &h, r))
        return false;
    if (h && (v.w[1] | v.w[2] | v.w[3])) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: '%s' exceeds 64 bits", k);
        return false;
    }
    if (h) {
        *out = v.w[0];
        *has = true;
    }
    return true;
}

static bool get_addr(const json_t *o, const char *k, addr_t *out, bool *has, rpc_reply_t *r)
{
    const json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    if (!s || addr_from_hex(out, s, strlen(s)) != ERR_OK) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: '%s' must be a 20-byte address", k);
        return false;
    }
    *has = true;
    return true;
}

/* A transaction object: from, to, gas, gasPrice, maxFeePerGas, maxPriorityFeePerGas, value,
 * input (or data), nonce. */
static bool parse_call_object(const json_t *params, rpc_call_args_t *a, rpc_reply_t *r)
{
    const json_t *o = rpc__param(params, 0);
    if (!json_is_object(o)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: argument 0 must be a transaction object");
        return false;
    }
    bool dummy = false;
    if (!get_addr(o, "from", &a->from, &a->has_from, r) ||
        !get_addr(o, "to", &a->to, &a->has_to, r) || !get_u64(o, "gas", &a->gas, &a->has_gas, r) ||
        !get_u256(o, "gasPrice", &a->gas_price, &a->has_gas_price, r) ||
        !get_u256(o, "maxFeePerGas", &a->max_fee, &a->has_max_fee, r) ||
        !get_u256(o, "maxPriorityFeePerGas", &a->max_priority_fee, &a->has_max_priority_fee, r) ||
        !get_u256(o, "value", &a->value, &dummy, r) ||
        !get_u64(o, "nonce", &a->nonce, &a->has_nonce, r))
        return false;
    const json_t *in = json_object_get(o, "input");
    const json_t *data = json_object_get(o, "data");
    if (in && !json_is_null(in) && data && !json_is_null(data) &&
        !json_equal((json_t *)in, (json_t *)data)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS,
                        "invalid params: both \"data\" and \"input\" are set and not equal");
        return false;
    }
    const json_t *d = in && !json_is_null(in) ? in : data;
    if (d && !json_is_null(d)) {
        const char *s = json_string_value(d);
        if (!s || strncmp(s, "0x", 2) != 0 || hex_decode_buf(&a->data, s, strlen(s)) != ERR_OK) {
            rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: 'input' must be hex data");
            return false;
        }
    }
    return true;
}

/* The block parameter of eth_call / eth_estimateGas: a tag, a number, or an EIP-1898 object
 * ({blockNumber} or {blockHash}). UINT64_MAX = the head. */
static bool call_block(void *ctx, const json_t *params, uint64_t *out, rpc_reply_t *r)
{
    *out = UINT64_MAX;
    const json_t *b = rpc__param(params, 1);
    if (!b)
        return true;
    const json_t *num = json_is_object(b) ? json_object_get(b, "blockNumber") : b;
    const json_t *bh = json_is_object(b) ? json_object_get(b, "blockHash") : NULL;
    const char *s = json_string_value(bh ? bh : num);
    if (!s)
        goto bad;
    if (bh) {
        hash_t h;
        db_txn_t *t;
        header_t hd;
        if (hex_decode_fixed(h.b, 32, s, strlen(s)) != ERR_OK)
            goto bad;
        if (db_txn_begin(((const rpc_ctx_t *)ctx)->db, DB_TXN_READ, &t) != ERR_OK) {
            rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
            return false;
        }
        err_t e = chain_read_header(t, &h, &hd);
        hash_t canon;
        bool ok = e == ERR_OK && chain_canonical_hash(t, hd.number, &canon) == ERR_OK &&
                  memcmp(canon.b, h.b, 32) == 0;
        if (e == ERR_OK) {
            *out = hd.number;
            header_deinit(&hd);
        }
        db_txn_abort(t);
        if (!ok) {
            rpc_reply_error(r, RPC_INVALID_PARAMS, "header for hash not found");
            return false;
        }
        return true;
    }
    if (!strcmp(s, "latest") || !strcmp(s, "pending") || !strcmp(s, "safe") ||
        !strcmp(s, "finalized"))
        return true;
    if (!strcmp(s, "earliest")) {
        *out = 0;
        return true;
    }
    u256_t v;
    if (strncmp(s, "0x", 2) == 0 && u256_from_hex(s, strlen(s), &v) == ERR_OK &&
        !(v.w[1] | v.w[2] | v.w[3])) {
        *out = v.w[0];
        return true;
    }
bad:
    rpc_reply_error(r, RPC_INVALID_PARAMS,
                    "invalid params: block must be a tag, a hex number or {blockHash}");
    return false;
}

bool rpc__parse_call(const rpc_ctx_t *c, const json_t *params, rpc_call_args_t *a, rpc_reply_t *r)
{
    return call_block((void *)c, params, &a->block, r) && parse_call_object(params, a, r);
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
        rpc_reply_error(r, RPC_SERVER_ERROR, "header not found");
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

tx_invalid_t rpc__run_call(const rpc_ctx_t *c, evm_t *evm, const rpc_at_t *at,
                           const rpc_call_args_t *a, uint64_t gas, state_tx_result_t *out,
                           buf_t *output)
{
    const header_t *head = &at->header;
    state_t *st = state_new(&at->be);
    evm_rules_t rules;
    scroll_spec_t level = chain_spec_level(c->spec, head->number, head->timestamp);
    evm_rules_scroll(&rules, (evm_scroll_spec_t)level);
    evm_block_t blk = {
        .number = head->number,
        .timestamp = head->timestamp,
        .gas_limit = head->gas_limit,
        .coinbase = c->spec->has_fee_vault ? c->spec->fee_vault : (addr_t){ { 0 } },
        .chain_id = u256_from_u64(c->spec->chain_id),
    };
    /* geth: a call without fee fields runs with base fee 0 (no fee check, BASEFEE reads 0). */
    bool priced = a->has_gas_price || a->has_max_fee;
    if (priced && head->has_base_fee)
        blk.base_fee = head->base_fee;
    tx_t tx;
    memset(&tx, 0, sizeof(tx));
    addr_t from = a->has_from ? a->from : (addr_t){ { 0 } };
    tx.type = a->has_max_fee || a->has_max_priority_fee ? TX_DYNAMIC_FEE : TX_LEGACY;
    tx.has_chain_id = true;
    tx.chain_id = blk.chain_id;
    /* The nonce check is skipped (geth): a given nonce becomes the sender's for this run. */
    if (a->has_nonce)
        state_set_nonce(st, &from, a->nonce);
    tx.nonce = state_nonce(st, &from);
    tx.gas_price = a->gas_price;
    tx.max_fee = a->max_fee;
    tx.max_priority_fee = a->max_priority_fee;
    tx.gas_limit = gas;
    tx.has_to = a->has_to;
    tx.to = a->to;
    tx.value = a->value;
    tx.data = a->data.p;
    tx.data_len = a->data.n;
    state_tx_env_t env = { .evm = evm, .rules = &rules, .block = &blk };
    tx_invalid_t v = state_tx_apply(st, &env, &tx, &from, out);
    buf_reset(output);
    if (v == TX_VALID && out->output.n &&
        buf_append(output, out->output.p, out->output.n) != ERR_OK)
        buf_reset(output);
    state_free(st);
    return v;
}

static void call_common(void *ctx, const json_t *params, rpc_reply_t *r, bool estimate)
{
    const rpc_ctx_t *c = ctx;
    if (!c->spec || !c->db) {
        rpc_reply_error(r, RPC_METHOD_NOT_FOUND, "the method does not exist/is not available");
        return;
    }
    rpc_call_args_t a;
    memset(&a, 0, sizeof(a));
    buf_init(&a.data, RPC_MAX_BODY_BYTES);
    buf_t output;
    buf_init(&output, RPC_MAX_RESPONSE_BYTES / 2);
    rpc_at_t at;
    memset(&at, 0, sizeof(at));
    evm_t *evm = NULL;
    if (!rpc__arity(params, 1, 3, r) || !rpc__parse_call(c, params, &a, r) ||
        !rpc__at_open(c, a.block, &at, r))
        goto out;
    evm = evm_thread();
    uint64_t hi = a.has_gas ? a.gas : at.header.gas_limit;
    state_tx_result_t res;
    tx_invalid_t v = rpc__run_call(c, evm, &at, &a, hi, &res, &output);
    if (v != TX_VALID) {
        rpc_reply_error(r, RPC_SERVER_ERROR, "%s", tx_invalid_msg(v));
        goto out;
    }
    if (res.status == EVM_REVERT) {
        /* geth and reth append a decodable Error(string) reason to the message. */
        json_t *why = rpc__revert_reason(buf_view(&output));
        if (json_is_string(why))
            rpc_reply_error(r, RPC_EXECUTION_REVERTED, "execution reverted: %.200s",
                            json_string_value(why));
        else
            rpc_reply_error(r, RPC_EXECUTION_REVERTED, "execution reverted");
        json_decref(why);
        r->data = rpc__data(output.p, output.n);
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
        r->result = rpc__data(output.p, output.n);
        goto out;
    }
    /* The lowest gas limit that succeeds: binary search from the gas used (geth's method). */
    uint64_t lo = res.gas_used - 1, top = hi;
    while (lo + 1 < top) {
        uint64_t mid = lo + (top - lo) / 2;
        if (lo > 0 && mid > lo * 2) /* first try close to the used gas */
            mid = lo * 2;
        state_tx_result_t m;
        tx_invalid_t mv = rpc__run_call(c, evm, &at, &a, mid, &m, &output);
        if (mv == TX_VALID && m.status == EVM_SUCCESS)
            top = mid;
        else
            lo = mid;
    }
    r->result = rpc__quantity(top);
out:
    rpc__at_close(&at);
    buf_deinit(&output);
    buf_deinit(&a.data);
}

static void eth_call(void *ctx, const json_t *params, rpc_reply_t *r)
{
    call_common(ctx, params, r, false);
}

static void eth_estimate_gas(void *ctx, const json_t *params, rpc_reply_t *r)
{
    call_common(ctx, params, r, true);
}

void rpc__register_eth_call(rpc_registry_t *reg)
{
    static const rpc_method_t methods[] = {
        { "eth_call", RPC_NS_ETH, eth_call },
        { "eth_estimateGas", RPC_NS_ETH, eth_estimate_gas },
    };
    rpc__register_methods(reg, methods, RN_ARRAY_LEN(methods));
}
