/* tests/unit/state/test_tx.c — transaction execution: rejections (and that they change nothing),
 * Ethereum fees (tip to coinbase, base fee burned), Scroll fees (everything plus the L1 fee to
 * the fee vault), L1 messages (SCROLL.md §3.2), EIP-7702 authorizations, the EIP-7623 floor. */
#include <string.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "state/state.h"

static const char *const SK = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";

static addr_t A(uint32_t n)
{
    addr_t a;
    memset(&a, 0, sizeof(a));
    a.b[18] = (uint8_t)(n >> 8);
    a.b[19] = (uint8_t)n;
    return a;
}

static u256_t U(uint64_t v)
{
    return u256_from_u64(v);
}

typedef struct env {
    state_mem_t *mem;
    state_backend_t be;
    state_t *st;
    evm_t *evm;
    evm_rules_t rules;
    evm_block_t block;
    addr_t sender;
    uint8_t sk[32];
} env_t;

/* Contract 0xc0de: SSTORE(0, 0) (clears slot 0, which holds 1: a 4800 refund) then STOP. */
static const uint8_t CLEAR_CODE[] = { 0x60, 0x00, 0x60, 0x00, 0x55, 0x00 };

static void env_init(env_t *e, const evm_rules_t *rules, uint64_t sender_balance)
{
    memset(e, 0, sizeof(*e));
    e->mem = state_mem_new();
    if (hex_decode_fixed(e->sk, 32, SK, 64) != ERR_OK || addr_from_seckey(&e->sender, e->sk))
        memset(&e->sender, 0, sizeof(e->sender));
    state_mem_put_account(e->mem, &e->sender, 0, U(sender_balance), NULL, 0);
    addr_t c = A(0xc0de);
    u256_t k = U(0);
    state_mem_put_account(e->mem, &c, 1, U(0), CLEAR_CODE, sizeof(CLEAR_CODE));
    state_mem_put_storage(e->mem, &c, &k, U(1));
    e->be = state_mem_backend(e->mem);
    e->st = state_new(&e->be);
    e->evm = evm_new();
    e->rules = *rules;
    e->block.number = 10;
    e->block.timestamp = 1000;
    e->block.gas_limit = 30000000;
    e->block.chain_id = U(1);
    e->block.base_fee = U(7);
    e->block.coinbase = A(0xc0b);
}

static void env_free(env_t *e)
{
    state_free(e->st);
    evm_free(e->evm);
    state_mem_free(e->mem);
}

static tx_t call_tx(uint64_t nonce, uint64_t gas, uint64_t price)
{
    tx_t t;
    memset(&t, 0, sizeof(t));
    t.type = TX_LEGACY;
    t.nonce = nonce;
    t.gas_limit = gas;
    t.gas_price = U(price);
    t.has_to = true;
    t.to = A(0xc0de);
    return t;
}

static tx_invalid_t apply(env_t *e, const tx_t *t, u256_t l1_fee, state_tx_result_t *r)
{
    state_tx_env_t te = { .evm = e->evm, .rules = &e->rules, .block = &e->block, .l1_fee = l1_fee };
    return state_tx_apply(e->st, &te, t, &e->sender, r);
}

TEST(tx, rejections_leave_the_state_unchanged)
{
    evm_rules_t cancun;
    evm_rules_ethereum(&cancun, EVM_ETH_CANCUN);

    static const struct {
        uint64_t nonce, gas, price;
        tx_invalid_t want;
    } T[] = {
        { 1, 100000, 10, TX_INVALID_NONCE_TOO_HIGH },
        { 0, 20999, 10, TX_INVALID_INTRINSIC_GAS },
        { 0, 100000, 6, TX_INVALID_FEE_CAP_TOO_LOW },
        { 0, 100000, 100000, TX_INVALID_INSUFFICIENT_FUNDS },
        { 0, 40000000, 10, TX_INVALID_GAS_LIMIT_REACHED },
    };

    for (size_t i = 0; i < RN_ARRAY_LEN(T); i++) {
        env_t e;
        env_init(&e, &cancun, 1000000000);
        tx_t t = call_tx(T[i].nonce, T[i].gas, T[i].price);
        state_tx_result_t r;
        tx_invalid_t got = apply(&e, &t, U(0), &r);
        state_changes_t ch;
        err_t ce = state_changes(e.st, &ch);
        size_t changed = ch.naccounts + ch.nslots;
        state_changes_free(&ch);
        env_free(&e);
        CHECK_OK(ce);
        CHECK_EQ_INT(got, T[i].want);
        CHECK_EQ_U64(changed, 0);
    }
    CHECK_STR_EQ(tx_invalid_msg(TX_INVALID_NONCE_TOO_LOW), "nonce too low");
    CHECK_STR_EQ(tx_invalid_eest(TX_INVALID_INTRINSIC_GAS),
                 "TransactionException.INTRINSIC_GAS_TOO_LOW");
}

TEST(tx, more_rejections_nonce_low_tip_eoa_block_limit)
{
    evm_rules_t cancun;
    evm_rules_ethereum(&cancun, EVM_ETH_CANCUN);
    env_t e;
    env_init(&e, &cancun, 1000000000);
    state_tx_begin(e.st);
    state_set_nonce(e.st, &e.sender, 3);
    state_tx_end(e.st);
    tx_t t = call_tx(2, 100000, 10);
    state_tx_result_t r;
    tx_invalid_t low = apply(&e, &t, U(0), &r);
    t.nonce = 3;
    t.type = TX_DYNAMIC_FEE;
    t.max_fee = U(10);
    t.max_priority_fee = U(11);
    tx_invalid_t tip = apply(&e, &t, U(0), &r);
    t.max_priority_fee = U(1);
    t.gas_limit = e.block.gas_limit + 1;
    tx_invalid_t limit = apply(&e, &t, U(0), &r);
    t.gas_limit = 100000;
    state_tx_begin(e.st);
    static const uint8_t code[] = { 0x00 };
    state_set_code(e.st, &e.sender, code, 1);
    state_tx_end(e.st);
    tx_invalid_t eoa = apply(&e, &t, U(0), &r);
    env_free(&e);
    CHECK_EQ_INT(low, TX_INVALID_NONCE_TOO_LOW);
    CHECK_EQ_INT(tip, TX_INVALID_TIP_ABOVE_FEE_CAP);
    CHECK_EQ_INT(limit, TX_INVALID_GAS_LIMIT_REACHED);
    CHECK_EQ_INT(eoa, TX_INVALID_SENDER_NOT_EOA);
}

TEST(tx, ethereum_pays_the_tip_burns_the_base_fee_and_caps_refunds)
{
    evm_rules_t cancun;
    evm_rules_ethereum(&cancun, EVM_ETH_CANCUN);
    env_t e;
    env_init(&e, &cancun, 1000000000);
    tx_t t = call_tx(0, 100000, 10);
    state_tx_result_t r;
    tx_invalid_t v = apply(&e, &t, U(0), &r);
    /* 21000 + 2·3 (PUSH1) + SSTORE 2100 cold + 2900 = 26006; refund 4800 ≤ 26006/5. */
    uint64_t used = 26006 - 4800;
    u256_t sb = state_balance(e.st, &e.sender), cb = state_balance(e.st, &e.block.coinbase);
    uint64_t nonce = state_nonce(e.st, &e.sender);
    env_free(&e);
    CHECK_EQ_INT(v, TX_VALID);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(r.gas_used, used);
    CHECK_EQ_U64(r.gas_refund, 4800);
    CHECK_EQ_U64(sb.w[0], 1000000000 - used * 10);
    CHECK_EQ_U64(cb.w[0], used * 3); /* tip = 10 - 7 */
    CHECK_EQ_U64(nonce, 1);
}

TEST(tx, scroll_sends_everything_and_the_l1_fee_to_the_fee_vault)
{
    evm_rules_t curie;
    evm_rules_scroll(&curie, EVM_SCROLL_CURIE);
    env_t e;
    env_init(&e, &curie, 1000000000);
    e.block.coinbase.b[0] = 0x53; /* 0x5300…05 */
    e.block.coinbase.b[19] = 0x05;
    e.block.coinbase.b[18] = 0;
    tx_t t = call_tx(0, 100000, 10);
    state_tx_result_t r;
    tx_invalid_t v = apply(&e, &t, U(12345), &r);
    uint64_t used = 26006 - 4800;
    u256_t sb = state_balance(e.st, &e.sender), vb = state_balance(e.st, &e.block.coinbase);
    env_free(&e);
    CHECK_EQ_INT(v, TX_VALID);
    CHECK_EQ_U64(r.gas_used, used);
    CHECK_EQ_U64(sb.w[0], 1000000000 - used * 10 - 12345);
    CHECK_EQ_U64(vb.w[0], used * 10 + 12345); /* no burn */

    /* The L1 fee must fit in what is left after buying gas. */
    env_init(&e, &curie, 100000 * 10 + 100);
    tx_invalid_t low = apply(&e, &t, U(101), &r);
    tx_invalid_t ok = apply(&e, &t, U(100), &r);
    env_free(&e);
    CHECK_EQ_INT(low, TX_INVALID_INSUFFICIENT_FUNDS_L1_FEE);
    CHECK_EQ_INT(ok, TX_VALID);
}

static tx_t l1_msg(const addr_t *sender, uint64_t value)
{
    tx_t t;
    memset(&t, 0, sizeof(t));
    t.type = TX_L1_MESSAGE;
    t.queue_index = 7;
    t.gas_limit = 100000;
    t.has_to = true;
    t.to = A(0xc0de);
    t.value = U(value);
    t.sender = *sender;
    return t;
}

TEST(tx, l1_message_no_gas_purchase_no_refund_nonce_bumped)
{
    evm_rules_t euclid;
    evm_rules_scroll(&euclid, EVM_SCROLL_EUCLID);
    env_t e;
    env_init(&e, &euclid, 1000);
    addr_t l1s = e.sender;
    state_tx_begin(e.st);
    state_set_nonce(e.st, &l1s, 5); /* any nonce: not checked */
    state_tx_end(e.st);
    tx_t t = l1_msg(&l1s, 10);
    state_tx_env_t te = { .evm = e.evm, .rules = &e.rules, .block = &e.block };
    state_tx_result_t r;
    tx_invalid_t v = state_tx_apply(e.st, &te, &t, &l1s, &r);
    u256_t sb = state_balance(e.st, &l1s), cb = state_balance(e.st, &e.block.coinbase);
    u256_t cv = state_balance(e.st, &t.to);
    uint64_t nonce = state_nonce(e.st, &l1s);
    env_free(&e);
    CHECK_EQ_INT(v, TX_VALID);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(r.gas_used, 26006); /* no refund for L1 messages */
    CHECK_EQ_U64(sb.w[0], 990);      /* only the value left */
    CHECK_EQ_U64(cv.w[0], 10);
    CHECK(u256_is_zero(cb)); /* no fee */
    CHECK_EQ_U64(nonce, 6);
}

TEST(tx, l1_message_without_funds_fails_from_euclid_invalid_before)
{
    evm_rules_t euclid, darwin;
    evm_rules_scroll(&euclid, EVM_SCROLL_EUCLID);
    evm_rules_scroll(&darwin, EVM_SCROLL_DARWIN);
    env_t e;
    env_init(&e, &euclid, 0);
    tx_t t = l1_msg(&e.sender, 10);
    state_tx_env_t te = { .evm = e.evm, .rules = &e.rules, .block = &e.block };
    state_tx_result_t r;
    tx_invalid_t v = state_tx_apply(e.st, &te, &t, &e.sender, &r);
    uint64_t nonce = state_nonce(e.st, &e.sender);
    env_free(&e);
    CHECK_EQ_INT(v, TX_VALID);
    CHECK(r.status != EVM_SUCCESS);
    CHECK_EQ_U64(r.gas_used, 21000); /* intrinsic only */
    CHECK_EQ_U64(nonce, 1);

    env_init(&e, &darwin, 0);
    te.evm = e.evm;
    te.rules = &e.rules;
    te.block = &e.block;
    v = state_tx_apply(e.st, &te, &t, &e.sender, &r);
    env_free(&e);
    CHECK_EQ_INT(v, TX_INVALID_INSUFFICIENT_FUNDS);
}

TEST(tx, eip7702_authorization_installs_a_delegation)
{
    evm_rules_t prague;
    evm_rules_ethereum(&prague, EVM_ETH_PRAGUE);
    env_t e;
    env_init(&e, &prague, 1000000000);
    /* The authority is a second key; the sender pays. */
    uint8_t ask[32];
    memset(ask, 0x11, sizeof(ask));
    addr_t authority;
    CHECK_OK(addr_from_seckey(&authority, ask));
    authorization_t au;
    memset(&au, 0, sizeof(au));
    au.chain_id = U(1);
    au.addr = A(0xc0de);
    au.nonce = 0;
    CHECK_OK(authorization_sign(&au, ask));
    tx_t t;
    memset(&t, 0, sizeof(t));
    t.type = TX_SET_CODE;
    t.gas_limit = 200000;
    t.max_fee = U(10);
    t.max_priority_fee = U(1);
    t.has_to = true;
    t.to = authority; /* call the authority: runs 0xc0de's code in its context */
    t.auths = &au;
    t.nauths = 1;
    state_tx_result_t r;
    tx_invalid_t v = apply(&e, &t, U(0), &r);
    bview_t code = state_code(e.st, &authority);
    addr_t target;
    bool deleg = evm_parse_delegation(code, &target) && addr_eq(&target, &au.addr);
    uint64_t anonce = state_nonce(e.st, &authority);
    env_free(&e);
    CHECK_EQ_INT(v, TX_VALID);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK(deleg);
    CHECK_EQ_U64(anonce, 1);
    /* Empty authority list and creation are rejected. */
    env_init(&e, &prague, 1000000000);
    t.nauths = 0;
    tx_invalid_t empty = apply(&e, &t, U(0), &r);
    t.nauths = 1;
    t.has_to = false;
    tx_invalid_t create = apply(&e, &t, U(0), &r);
    env_free(&e);
    CHECK_EQ_INT(empty, TX_INVALID_EMPTY_AUTH_LIST);
    CHECK_EQ_INT(create, TX_INVALID_SET_CODE_CREATE);
}

TEST(tx, eip7623_floor_applies_after_refunds)
{
    evm_rules_t prague;
    evm_rules_ethereum(&prague, EVM_ETH_PRAGUE);
    static uint8_t data[1000];
    memset(data, 1, sizeof(data));
    /* floor = 21000 + 10·4·1000 = 61000; intrinsic = 21000 + 16·1000 = 37000. */
    env_t e;
    env_init(&e, &prague, 1000000000);
    tx_t t = call_tx(0, 61000, 10);
    t.data = data;
    t.data_len = sizeof(data);
    state_tx_result_t r;
    tx_invalid_t v = apply(&e, &t, U(0), &r);
    env_free(&e);
    CHECK_EQ_INT(v, TX_VALID);
    CHECK_EQ_U64(r.gas_used, 61000);
    env_init(&e, &prague, 1000000000);
    t.gas_limit = 60999;
    tx_invalid_t below = apply(&e, &t, U(0), &r);
    env_free(&e);
    CHECK_EQ_INT(below, TX_INVALID_FLOOR_DATA_GAS);
    /* Cancun has no floor: 37000 + 5006 execution − 4800 refund (cap 8401). */
    evm_rules_t cancun;
    evm_rules_ethereum(&cancun, EVM_ETH_CANCUN);
    env_init(&e, &cancun, 1000000000);
    t.gas_limit = 100000;
    v = apply(&e, &t, U(0), &r);
    env_free(&e);
    CHECK_EQ_INT(v, TX_VALID);
    CHECK_EQ_U64(r.gas_used, 37000 + 5006 - 4800);
}

TEST(tx, contract_creation_sets_code_and_address)
{
    evm_rules_t cancun;
    evm_rules_ethereum(&cancun, EVM_ETH_CANCUN);
    env_t e;
    env_init(&e, &cancun, 1000000000);
    /* initcode: RETURN(0, 1) of memory byte 0 = 0x00 → runtime code "00" */
    static uint8_t init[] = { 0x60, 0x01, 0x60, 0x00, 0xf3 };
    tx_t t = call_tx(0, 100000, 10);
    t.has_to = false;
    t.data = init;
    t.data_len = sizeof(init);
    state_tx_result_t r;
    tx_invalid_t v = apply(&e, &t, U(0), &r);
    addr_t want = evm_create_address(&e.sender, 0);
    bool code_ok = state_code(e.st, &want).n == 1 && state_nonce(e.st, &want) == 1;
    uint64_t snonce = state_nonce(e.st, &e.sender);
    env_free(&e);
    CHECK_EQ_INT(v, TX_VALID);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_MEM_EQ(r.create_address.b, 20, want.b, 20);
    CHECK(code_ok);
    CHECK_EQ_U64(snonce, 1);
}
