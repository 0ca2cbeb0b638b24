/* tests/fuzz/fuzz_evm.c — arbitrary bytecode through the interpreter, over the real journaled
 * state (in-memory backend) as host.
 *
 * Input layout: byte 0 selects the rule set (low 4 bits: 0-3 Ethereum Shanghai..Osaka, 4-10
 * Scroll SHANGHAI..GALILEO, others Cancun); byte 1 scales the gas limit (1 + b·4096, so at most
 * ~1M); the rest is the code of the called contract 0xc0de, which also holds a balance and sits
 * beside a second contract 0xc0df with the same code, so CALL/CREATE/SELFDESTRUCT and recursion
 * are reachable. Checks: no crash or sanitizer report; 0 <= gas_left <= gas limit; a failed
 * frame leaves no gas; the computed-goto and switch loops agree on status, gas, refund, output
 * and the resulting state (the state is compared through its root). */
#include <stdlib.h>
#include <string.h>

#include "evm/evm.h"
#include "fuzz.h"
#include "state/state.h"

static void pick_rules(evm_rules_t *r, unsigned sel)
{
    if (sel < 4)
        evm_rules_ethereum(r, (evm_eth_fork_t)sel);
    else if (sel < 11)
        evm_rules_scroll(r, (evm_scroll_spec_t)(sel - 3));
    else
        evm_rules_ethereum(r, EVM_ETH_CANCUN);
}

static addr_t addr_n(uint32_t n)
{
    addr_t a;
    memset(&a, 0, sizeof(a));
    a.b[18] = (uint8_t)(n >> 8);
    a.b[19] = (uint8_t)n;
    return a;
}

typedef struct outcome {
    evm_status_t status;
    int64_t gas_left, refund;
    uint8_t out[64];
    size_t out_len;
    hash_t root;
} outcome_t;

static void run_once(const evm_rules_t *rules, evm_dispatch_t d, const uint8_t *code, size_t n,
                     int64_t gas, outcome_t *o)
{
    state_mem_t *mem = state_mem_new();
    addr_t self = addr_n(0xc0de), other = addr_n(0xc0df), caller = addr_n(0xca11);
    state_mem_put_account(mem, &self, 1, u256_from_u64(1000000), code, n);
    state_mem_put_account(mem, &other, 1, u256_zero(), code, n);
    state_mem_put_account(mem, &caller, 1, u256_from_u64(1000000000), NULL, 0);
    u256_t k = u256_from_u64(1);
    state_mem_put_storage(mem, &self, &k, u256_from_u64(7));
    state_backend_t be = state_mem_backend(mem);
    state_t *st = state_new(&be);
    evm_t *evm = evm_new();
    evm_set_dispatch(evm, d);
    evm_block_t blk;
    memset(&blk, 0, sizeof(blk));
    blk.number = 300;
    blk.timestamp = 1000;
    blk.gas_limit = 30000000;
    blk.chain_id = u256_from_u64(1);
    blk.base_fee = u256_from_u64(7);
    blk.coinbase = addr_n(0xc0b);
    evm_tx_env_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.origin = caller;
    tx.gas_price = u256_from_u64(10);
    evm_env_t env = {
        .rules = rules, .host = state_host(), .host_ctx = st, .block = &blk, .tx = &tx
    };
    state_tx_begin(st);
    state_warm_account(st, &caller);
    state_warm_account(st, &self);
    evm_message_t m;
    memset(&m, 0, sizeof(m));
    m.kind = EVM_CALL;
    m.gas = gas;
    m.recipient = m.code_address = self;
    m.sender = caller;
    m.input = code;
    m.input_len = n < 64 ? n : 64;
    evm_result_t r = evm_execute(evm, &env, &m);
    o->status = r.status;
    o->gas_left = r.gas_left;
    o->refund = r.gas_refund;
    o->out_len = r.output.n < sizeof(o->out) ? r.output.n : sizeof(o->out);
    if (o->out_len)
        memcpy(o->out, r.output.p, o->out_len);
    state_tx_end(st);
    state_changes_t ch;
    REQUIRE(state_changes(st, &ch) == ERR_OK);
    state_mem_apply(mem, &ch);
    state_changes_free(&ch);
    REQUIRE(state_mem_root(mem, &o->root) == ERR_OK);
    evm_free(evm);
    state_free(st);
    state_mem_free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 24576 + 2)
        return 0;
    evm_rules_t rules;
    pick_rules(&rules, data[0] & 15);
    int64_t gas = 1 + (int64_t)data[1] * 4096;
    outcome_t a, b;
    run_once(&rules, EVM_DISPATCH_CGOTO, data + 2, size - 2, gas, &a);
    run_once(&rules, EVM_DISPATCH_SWITCH, data + 2, size - 2, gas, &b);
    REQUIRE(a.gas_left >= 0 && a.gas_left <= gas);
    REQUIRE((unsigned)a.status <= EVM_INITCODE_SIZE_EXCEEDED);
    if (a.status != EVM_SUCCESS && a.status != EVM_REVERT)
        REQUIRE(a.gas_left == 0 && a.out_len == 0);
    REQUIRE(a.status == EVM_SUCCESS || a.refund == 0);
    REQUIRE(a.status == b.status && a.gas_left == b.gas_left && a.refund == b.refund);
    REQUIRE(a.out_len == b.out_len && memcmp(a.out, b.out, a.out_len) == 0);
    REQUIRE(hash_eq(&a.root, &b.root));
    return 0;
}
