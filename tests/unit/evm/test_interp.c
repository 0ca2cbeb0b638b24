/* tests/unit/evm/test_interp.c — the interpreter against hand-built bytecode and a recording mock
 * host: results, status codes, and exact gas (memory expansion, EIP-2929, EIP-2200/3529 table,
 * EIP-150 63/64, call stipend, CREATE rules, EIP-3541/170/3860, EIP-5656, EIP-1153, EIP-7939,
 * EIP-7702). Every program runs under both dispatch flavours, which must agree. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "evm/evm.h"
#include "evm_test_util.h"
#include "harness.h"

static const uint8_t *out32(const evm_result_t *r)
{
    static const uint8_t zero[32];
    return r->output.n == 32 ? r->output.p : zero;
}

static uint64_t out_u64(const evm_result_t *r)
{
    return u256_from_be(out32(r), 32).w[0];
}

#define RUN(code, opts)                                         \
    bool agree_;                                                \
    evm_result_t r = run_code(&(code), &(opts), NULL, &agree_); \
    CHECK(agree_)

TEST(interp, add_returns_sum_with_exact_gas)
{
    bc_t b = { .n = 0 };
    bc_push(&b, 2);
    bc_push(&b, 3);
    bc_op(&b, OP_ADD);
    bc_return_top(&b);
    run_opts_t o = { 0 };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(out_u64(&r), 5);
    /* 3 PUSH + ADD + PUSH + MSTORE(3 + 3 memory) + 2 PUSH + RETURN */
    CHECK_EQ_U64(1000000 - r.gas_left, 3 + 3 + 3 + 3 + 6 + 3 + 3);
}

TEST(interp, arithmetic_edge_cases)
{
    /* SUB is top - second; DIV by zero is 0; SDIV(-2^255, -1) = -2^255. */
    bc_t b = { .n = 0 };
    bc_push(&b, 3);
    bc_push(&b, 10);
    bc_op(&b, OP_SUB); /* 10 - 3 */
    bc_push(&b, 0);
    bc_push(&b, 5);
    bc_op(&b, OP_DIV); /* 5 / 0 = 0 */
    bc_op(&b, OP_ADD);
    bc_return_top(&b);
    run_opts_t o = { 0 };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(out_u64(&r), 7);
}

TEST(interp, stack_underflow_consumes_all_gas)
{
    bc_t b = { .n = 0 };
    bc_push(&b, 1);
    bc_op(&b, OP_ADD);
    run_opts_t o = { 0 };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_STACK_UNDERFLOW);
    CHECK_EQ_U64(r.gas_left, 0);
}

TEST(interp, stack_overflow_at_1025_items)
{
    bc_t b = { .n = 0 };
    for (int i = 0; i < 1024; i++)
        bc_push(&b, 1);
    bc_op(&b, OP_STOP);
    run_opts_t o = { 0 };
    {
        RUN(b, o);
        CHECK_EQ_INT(r.status, EVM_SUCCESS); /* 1024 items fit */
    }
    b.n--;
    bc_push(&b, 1);
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_STACK_OVERFLOW);
}

TEST(interp, undefined_and_invalid_opcodes)
{
    bc_t b = { .n = 0 };
    bc_op(&b, 0x0c);
    run_opts_t o = { 0 };
    {
        RUN(b, o);
        CHECK_EQ_INT(r.status, EVM_UNDEFINED_INSTRUCTION);
        CHECK_EQ_U64(r.gas_left, 0);
    }
    b.n = 0;
    bc_op(&b, OP_INVALID);
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_INVALID_INSTRUCTION);
}

TEST(interp, jump_into_push_data_is_rejected)
{
    /* PUSH1 4 JUMP PUSH1 0x5b STOP: byte 4 is 0x5b but push data. */
    bc_t b = { .n = 0 };
    bc_push(&b, 4);
    bc_op(&b, OP_JUMP);
    bc_push(&b, 0x5b);
    bc_op(&b, OP_STOP);
    run_opts_t o = { 0 };
    {
        RUN(b, o);
        CHECK_EQ_INT(r.status, EVM_BAD_JUMP_DESTINATION);
    }
    /* PUSH1 4 JUMP INVALID JUMPDEST PUSH1 9 ...: a real JUMPDEST. */
    b.n = 0;
    bc_push(&b, 4);
    bc_op(&b, OP_JUMP);
    bc_op(&b, OP_INVALID);
    bc_op(&b, OP_JUMPDEST);
    bc_push(&b, 9);
    bc_return_top(&b);
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(out_u64(&r), 9);
}

TEST(interp, memory_expansion_cost_is_quadratic)
{
    /* MSTORE at 4064 touches 128 words: 3·128 + 128²/512 = 416. */
    bc_t b = { .n = 0 };
    bc_push(&b, 1);
    bc_push(&b, 4064);
    bc_op(&b, OP_MSTORE);
    bc_op(&b, OP_MSIZE);
    bc_return_top(&b);
    run_opts_t o = { 0 };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(out_u64(&r), 4096);
    CHECK_EQ_U64(1000000 - r.gas_left, 3 + 3 + 3 + 416 + 2 + 3 + 3 + 3 + 3 + 0);
}

TEST(interp, huge_memory_offset_is_out_of_gas)
{
    bc_t b = { .n = 0 };
    bc_push(&b, 1);
    bc_push_u256(&b, u256_from_u64(UINT64_MAX));
    bc_op(&b, OP_MSTORE);
    run_opts_t o = { 0 };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_OUT_OF_GAS);
    CHECK_EQ_U64(r.gas_left, 0);
}

static void warm_slot0(mock_host_t *m)
{
    addr_t self = test_addr(0xc0de);
    u256_t k = u256_zero();
    const evm_host_t *h = mock_table();
    (void)h->access_storage(m, &self, &k);
}

static uint64_t g_orig;

static void setup_orig(mock_host_t *m)
{
    warm_slot0(m);
    if (g_orig) {
        addr_t self = test_addr(0xc0de);
        mock_account_t *x = mock_account(m, &self);
        x->slots[0].key = u256_zero();
        x->slots[0].value = x->slots[0].original = u256_from_u64(g_orig);
        x->nslots = 1;
    }
}

TEST(gas, sstore_eip3529_table)
{
    /* The test cases of EIP-3529 (slot already warm). */
    static const struct {
        const char *code;
        uint64_t used, refund, orig;
    } T[] = {
        { "60006000556000600055", 212, 0, 0 },
        { "60006000556001600055", 20112, 0, 0 },
        { "60016000556000600055", 20112, 19900, 0 },
        { "60016000556002600055", 20112, 0, 0 },
        { "60016000556001600055", 20112, 0, 0 },
        { "60006000556000600055", 3012, 4800, 1 },
        { "60006000556001600055", 3012, 2800, 1 },
        { "60006000556002600055", 3012, 0, 1 },
        { "60026000556000600055", 3012, 4800, 1 },
        { "60026000556003600055", 3012, 0, 1 },
        { "60026000556001600055", 3012, 2800, 1 },
        { "60026000556002600055", 3012, 0, 1 },
        { "60016000556000600055", 3012, 4800, 1 },
        { "60016000556002600055", 3012, 0, 1 },
        { "60016000556001600055", 212, 0, 1 },
        { "600160005560006000556001600055", 40118, 19900, 0 },
        { "600060005560016000556000600055", 5918, 7600, 1 },
    };

    for (size_t i = 0; i < RN_ARRAY_LEN(T); i++) {
        size_t n;
        uint8_t *code = test_unhex(T[i].code, &n);
        bc_t b = { .n = 0 };
        bc_bytes(&b, code, n);
        free(code);
        g_orig = T[i].orig;
        run_opts_t o = { .setup = setup_orig };
        RUN(b, o);
        CHECK_EQ_INT(r.status, EVM_SUCCESS);
        CHECK_EQ_U64(1000000 - r.gas_left, T[i].used);
        CHECK_EQ_U64(r.gas_refund, T[i].refund);
    }
}

TEST(gas, sstore_fails_at_or_below_stipend)
{
    bc_t b = { .n = 0 };
    bc_push(&b, 1);
    bc_push(&b, 0);
    bc_op(&b, OP_SSTORE);
    run_opts_t o = { .gas = 6 + 2300, .setup = warm_slot0 };
    {
        RUN(b, o);
        CHECK_EQ_INT(r.status, EVM_OUT_OF_GAS); /* EIP-2200 sentry: gas left 2300 */
    }
    o.gas = 6 + 2301 + 20000;
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
}

TEST(gas, sload_and_balance_cold_then_warm)
{
    addr_t other = test_addr(0xbeef);
    bc_t b = { .n = 0 };
    bc_push(&b, 7);
    bc_op(&b, OP_SLOAD);
    bc_push(&b, 7);
    bc_op(&b, OP_SLOAD);
    bc_push_addr(&b, &other);
    bc_op(&b, OP_BALANCE);
    bc_push_addr(&b, &other);
    bc_op(&b, OP_BALANCE);
    bc_op(&b, OP_STOP);
    run_opts_t o = { 0 };
    mock_host_t *h;
    bool agree;
    evm_result_t r = run_code(&b, &o, &h, &agree);
    size_t nacc = mock_count(h, MC_ACCESS_ACCOUNT, &other);
    size_t nslot = mock_count(h, MC_ACCESS_STORAGE, NULL);
    mock_free(h);
    CHECK(agree);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    /* 4 pushes, SLOAD cold 2100 + warm 100, BALANCE cold 2600 + warm 100 */
    CHECK_EQ_U64(1000000 - r.gas_left, 4 * 3 + 2100 + 100 + 2600 + 100);
    CHECK_EQ_U64(nacc, 2);
    CHECK_EQ_U64(nslot, 2);
}

static const addr_t *g_callee_addr;
static bc_t g_callee;

static void setup_callee(mock_host_t *m)
{
    mock_set_code(m, g_callee_addr, &g_callee);
    addr_t self = test_addr(0xc0de);
    mock_account(m, &self)->balance = u256_from_u64(1000);
}

TEST(calls, value_call_gets_stipend)
{
    /* The callee reports GAS: it received 1000 + 2300 (stipend) and spent 2 on GAS. */
    addr_t callee = test_addr(0xbeef);
    g_callee_addr = &callee;
    g_callee.n = 0;
    bc_op(&g_callee, OP_GAS);
    bc_return_top(&g_callee);
    bc_t b = { .n = 0 };
    bc_call(&b, OP_CALL, 1000, &callee, 1, 0, 0, 0, 32);
    bc_op(&b, OP_POP);
    bc_push(&b, 0);
    bc_op(&b, OP_MLOAD);
    bc_return_top(&b);
    run_opts_t o = { .setup = setup_callee };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(out_u64(&r), 3300 - 2);
}

/* The code counts its frames in slot 0 and calls itself until there are 60 (the mock host keeps
 * 64 snapshots). Frames with code run on the evm's own stack (decision 0011). */
static bc_t self_recursion(void)
{
    addr_t self = test_addr(0xc0de);
    bc_t b = { .n = 0 };
    bc_push(&b, 0);
    bc_op(&b, OP_SLOAD);
    bc_push(&b, 1);
    bc_op(&b, OP_ADD);
    bc_op(&b, OP_DUP1);
    bc_push(&b, 0);
    bc_op(&b, OP_SSTORE); /* slot 0 = count; count stays on the stack */
    bc_push(&b, 60);
    bc_op(&b, OP_GT); /* 60 > count */
    size_t at = b.n;
    bc_push(&b, 0xff); /* patched below: the JUMPDEST */
    bc_op(&b, OP_JUMPI);
    bc_op(&b, OP_STOP);
    b.p[at + 1] = (uint8_t)b.n;
    bc_op(&b, OP_JUMPDEST);
    bc_call(&b, OP_CALL, 0xffffffffffffull, &self, 0, 0, 0, 0, 0);
    bc_op(&b, OP_STOP);
    return b;
}

static uint64_t recursion_frames(void)
{
    bc_t b = self_recursion();
    run_opts_t o = { .gas = 100000000 };
    bool agree;
    mock_host_t *m = NULL;
    evm_result_t r = run_code(&b, &o, &m, &agree);
    addr_t self = test_addr(0xc0de);
    uint64_t frames = agree && r.status == EVM_SUCCESS ? mock_storage(m, &self, 0).w[0] : 0;
    mock_free(m);
    return frames;
}

static void *recursion_thread(void *arg)
{
    *(uint64_t *)arg = recursion_frames();
    return NULL;
}

TEST(calls, recursion_on_the_fiber_from_any_thread)
{
    /* The same evm_t (run_code keeps one per dispatch flavour) on this thread, on another one,
     * and here again: its stack is remade for a new thread and reused otherwise. */
    CHECK_EQ_U64(recursion_frames(), 60);
    uint64_t other = 0;
    pthread_t t;
    CHECK_EQ_INT(pthread_create(&t, NULL, recursion_thread, &other), 0);
    CHECK_EQ_INT(pthread_join(t, NULL), 0);
    CHECK_EQ_U64(other, 60);
    CHECK_EQ_U64(recursion_frames(), 60);
}

TEST(calls, eip150_forwards_all_but_one_64th)
{
    addr_t callee = test_addr(0xbeef);
    g_callee_addr = &callee;
    g_callee.n = 0;
    bc_op(&g_callee, OP_GAS);
    bc_return_top(&g_callee);
    bc_t b = { .n = 0 };
    bc_push(&b, 32); /* out len */
    bc_push(&b, 0);
    bc_push(&b, 0);
    bc_push(&b, 0);
    bc_push(&b, 0); /* value */
    bc_push_addr(&b, &callee);
    bc_push_u256(&b, u256_max()); /* ask for everything */
    bc_op(&b, OP_CALL);
    bc_op(&b, OP_POP);
    bc_push(&b, 0);
    bc_op(&b, OP_MLOAD);
    bc_return_top(&b);
    run_opts_t o = { .setup = setup_callee };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    /* 7 pushes (21), CALL 100 + cold 2500 + 3 memory; then 63/64 of the rest. */
    int64_t left = 1000000 - 21 - 100 - 2500 - 3;
    CHECK_EQ_U64(out_u64(&r), (uint64_t)(left - left / 64 - 2));
}

TEST(calls, failed_call_returns_gas_and_pushes_zero)
{
    /* Value above the balance: the call fails early, gas (and stipend) come back. */
    addr_t callee = test_addr(0xbeef);
    g_callee_addr = &callee;
    g_callee.n = 0;
    bc_op(&g_callee, OP_STOP);
    bc_t b = { .n = 0 };
    bc_call(&b, OP_CALL, 5000, &callee, 100000, 0, 0, 0, 0);
    bc_return_top(&b);
    run_opts_t o = { .setup = setup_callee };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(out_u64(&r), 0);
}

TEST(calls, staticcall_forbids_sstore)
{
    addr_t callee = test_addr(0xbeef);
    g_callee_addr = &callee;
    g_callee.n = 0;
    bc_push(&g_callee, 1);
    bc_sstore_top(&g_callee, 0);
    bc_t b = { .n = 0 };
    bc_call(&b, OP_STATICCALL, 50000, &callee, 0, 0, 0, 0, 0);
    bc_return_top(&b);
    run_opts_t o = { .setup = setup_callee };
    RUN(b, o);
    CHECK_EQ_U64(out_u64(&r), 0);
}

TEST(calls, returndatacopy_past_end_halts)
{
    bc_t b = { .n = 0 };
    bc_push(&b, 1); /* len */
    bc_push(&b, 0); /* offset in return data (empty) */
    bc_push(&b, 0);
    bc_op(&b, OP_RETURNDATACOPY);
    run_opts_t o = { 0 };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_INVALID_MEMORY_ACCESS);
}

TEST(create, addresses_match_known_vectors)
{
    addr_t s;
    CHECK_OK(addr_from_hex(&s, "6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0", 40));
    static const char *const want[] = { "cd234a471b72ba2f1ccf0a70fcaba648a5eecd8d",
                                        "343c43a37d37dff08ae8c4a11544c718abb4fcf8",
                                        "f778b86fa74e846c4f0a1fbd1335fe81c00a0c91" };
    for (uint64_t n = 0; n < 3; n++) {
        addr_t a = evm_create_address(&s, n), w;
        CHECK_OK(addr_from_hex(&w, want[n], 40));
        CHECK_MEM_EQ(a.b, 20, w.b, 20);
    }
    /* EIP-1014 examples 0 and 1. */
    uint8_t salt[32] = { 0 }, init = 0x00;
    addr_t z, w;
    memset(&z, 0, sizeof(z));
    addr_t a = evm_create2_address(&z, salt, &init, 1);
    CHECK_OK(addr_from_hex(&w, "4d1a2e2bb4f88f0250f26ffff098b0b30b26bf38", 40));
    CHECK_MEM_EQ(a.b, 20, w.b, 20);
    CHECK_OK(addr_from_hex(&z, "deadbeef00000000000000000000000000000000", 40));
    a = evm_create2_address(&z, salt, &init, 1);
    CHECK_OK(addr_from_hex(&w, "b928f69bb1d91cd65274e3c79d8986362984fda3", 40));
    CHECK_MEM_EQ(a.b, 20, w.b, 20);
}

/** CREATE of an initcode that returns `retlen` bytes starting with `first`; returns the address
 *  pushed (0 on failure). */
static void build_create(bc_t *b, uint8_t first, uint64_t retlen)
{
    /* initcode: MSTORE8(0, first); RETURN(0, retlen) */
    bc_t init = { .n = 0 };
    bc_push(&init, first);
    bc_push(&init, 0);
    bc_op(&init, OP_MSTORE8);
    bc_push(&init, retlen);
    bc_push(&init, 0);
    bc_op(&init, OP_RETURN);
    /* store initcode in memory at 0 (one PUSH32 per word, init is short), then CREATE */
    uint8_t word[32] = { 0 };
    memcpy(word, init.p, init.n);
    bc_op(b, OP_PUSH32);
    bc_bytes(b, word, 32);
    bc_push(b, 0);
    bc_op(b, OP_MSTORE);
    bc_push(b, init.n);
    bc_push(b, 0);
    bc_push(b, 0);
    bc_op(b, OP_CREATE);
    bc_return_top(b);
}

TEST(create, code_rules_eip3541_and_eip170)
{
    run_opts_t o = { .gas = 10000000 };
    bc_t b = { .n = 0 };
    build_create(&b, 0x60, 1);
    {
        RUN(b, o);
        CHECK_EQ_INT(r.status, EVM_SUCCESS);
        CHECK(out_u64(&r) != 0); /* created */
    }
    b.n = 0;
    build_create(&b, 0xef, 1); /* EIP-3541: code may not start with 0xEF */
    {
        RUN(b, o);
        CHECK_EQ_U64(out_u64(&r), 0);
    }
    b.n = 0;
    build_create(&b, 0x60, EVM_MAX_CODE_SIZE + 1); /* EIP-170 */
    {
        RUN(b, o);
        CHECK_EQ_U64(out_u64(&r), 0);
    }
    b.n = 0;
    build_create(&b, 0x60, EVM_MAX_CODE_SIZE);
    RUN(b, o);
    CHECK(out_u64(&r) != 0);
}

TEST(create, initcode_over_limit_halts_the_creator)
{
    /* EIP-3860: CREATE with 49153 bytes of initcode is an exceptional halt. */
    bc_t b = { .n = 0 };
    bc_push(&b, EVM_MAX_INITCODE_SIZE + 1);
    bc_push(&b, 0);
    bc_push(&b, 0);
    bc_op(&b, OP_CREATE);
    run_opts_t o = { .gas = 10000000 };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_INITCODE_SIZE_EXCEEDED);
    CHECK_EQ_U64(r.gas_left, 0);
}

TEST(cancun, mcopy_moves_memory_with_word_cost)
{
    /* MSTORE(32, 0x1234); MCOPY(0, 32, 32); MLOAD(0) */
    bc_t b = { .n = 0 };
    bc_push(&b, 0x1234);
    bc_push(&b, 32);
    bc_op(&b, OP_MSTORE);
    bc_push(&b, 32);
    bc_push(&b, 32);
    bc_push(&b, 0);
    bc_op(&b, OP_MCOPY);
    bc_push(&b, 0);
    bc_op(&b, OP_MLOAD);
    bc_return_top(&b);
    run_opts_t o = { 0 };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(out_u64(&r), 0x1234);
    /* push,push,MSTORE(3+6 for 2 words), 3 pushes, MCOPY 3+3, push, MLOAD, return part */
    CHECK_EQ_U64(1000000 - r.gas_left, 3 + 3 + 9 + 9 + 6 + 3 + 3 + 3 + 3 + 3 + 3 + 0);
}

TEST(cancun, transient_storage_and_static_tstore)
{
    bc_t b = { .n = 0 };
    bc_push(&b, 42);
    bc_push(&b, 1);
    bc_op(&b, OP_TSTORE);
    bc_push(&b, 1);
    bc_op(&b, OP_TLOAD);
    bc_return_top(&b);
    run_opts_t o = { 0 };
    {
        RUN(b, o);
        CHECK_EQ_INT(r.status, EVM_SUCCESS);
        CHECK_EQ_U64(out_u64(&r), 42);
        CHECK_EQ_U64(1000000 - r.gas_left, 3 + 3 + 100 + 3 + 100 + 3 + 6 + 3 + 3);
    }
    o.is_static = true;
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_STATIC_MODE_VIOLATION);
}

TEST(osaka, clz_counts_leading_zeros)
{
    evm_rules_t osaka, prague;
    evm_rules_ethereum(&osaka, EVM_ETH_OSAKA);
    evm_rules_ethereum(&prague, EVM_ETH_PRAGUE);

    static const struct {
        u256_t x;
        uint64_t want;
    } T[] = {
        { { { 0, 0, 0, 0 } }, 256 },
        { { { 1, 0, 0, 0 } }, 255 },
        { { { 0, 0, 0, 1ull << 63 } }, 0 },
        { { { 0, 0, 1, 0 } }, 127 },
    };

    for (size_t i = 0; i < RN_ARRAY_LEN(T); i++) {
        bc_t b = { .n = 0 };
        bc_push_u256(&b, T[i].x);
        bc_op(&b, OP_CLZ);
        bc_return_top(&b);
        run_opts_t o = { .rules = &osaka };
        RUN(b, o);
        CHECK_EQ_INT(r.status, EVM_SUCCESS);
        CHECK_EQ_U64(out_u64(&r), T[i].want);
    }
    bc_t b = { .n = 0 };
    bc_push(&b, 1);
    bc_op(&b, OP_CLZ);
    run_opts_t o = { .rules = &prague };
    RUN(b, o);
    CHECK_EQ_INT(r.status, EVM_UNDEFINED_INSTRUCTION);
}

static addr_t g_delegate;

static void setup_delegation(mock_host_t *m)
{
    /* 0xbeef carries a designator pointing at 0xd00d, whose code stores 42 in slot 1. */
    addr_t eoa = test_addr(0xbeef);
    g_delegate = test_addr(0xd00d);
    mock_account_t *x = mock_account(m, &eoa);
    evm_make_delegation(x->code, &g_delegate);
    x->code_len = EVM_DELEGATION_LEN;
    bc_t t = { .n = 0 };
    bc_push(&t, 42);
    bc_sstore_top(&t, 1);
    mock_set_code(m, &g_delegate, &t);
}

TEST(prague, call_runs_delegated_code_in_the_eoa)
{
    evm_rules_t prague;
    evm_rules_ethereum(&prague, EVM_ETH_PRAGUE);
    addr_t eoa = test_addr(0xbeef);
    bc_t b = { .n = 0 };
    bc_call(&b, OP_CALL, 100000, &eoa, 0, 0, 0, 0, 0);
    bc_return_top(&b);
    run_opts_t o = { .rules = &prague, .setup = setup_delegation };
    mock_host_t *h;
    bool agree;
    evm_result_t r = run_code(&b, &o, &h, &agree);
    u256_t stored = mock_storage(h, &eoa, 1);
    u256_t target_stored = mock_storage(h, &g_delegate, 1);
    size_t target_access = mock_count(h, MC_ACCESS_ACCOUNT, &g_delegate);
    mock_free(h);
    CHECK(agree);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(out_u64(&r), 1);
    CHECK_EQ_U64(stored.w[0], 42);      /* in the EOA's storage */
    CHECK(u256_is_zero(target_stored)); /* not the delegate's */
    CHECK_EQ_U64(target_access, 1);     /* the delegate is accessed (and charged) */
    /* EXTCODESIZE sees the 23-byte designator (final EIP-7702). */
    bc_t c = { .n = 0 };
    bc_push_addr(&c, &eoa);
    bc_op(&c, OP_EXTCODESIZE);
    bc_return_top(&c);
    run_opts_t o2 = { .rules = &prague, .setup = setup_delegation };
    bool ag2;
    evm_result_t r2 = run_code(&c, &o2, NULL, &ag2);
    CHECK(ag2);
    CHECK_EQ_U64(out_u64(&r2), 23);
}

TEST(prague, delegation_is_ignored_before_prague)
{
    addr_t eoa = test_addr(0xbeef);
    bc_t b = { .n = 0 };
    bc_call(&b, OP_CALL, 100000, &eoa, 0, 0, 0, 0, 0);
    bc_return_top(&b);
    run_opts_t o = { .setup = setup_delegation }; /* Cancun: 0xef… is just (invalid) code */
    mock_host_t *h;
    bool agree;
    evm_result_t r = run_code(&b, &o, &h, &agree);
    u256_t stored = mock_storage(h, &eoa, 1);
    mock_free(h);
    CHECK(agree);
    CHECK_EQ_U64(out_u64(&r), 0); /* 0xEF is undefined: the call fails */
    CHECK(u256_is_zero(stored));
}

TEST(cancun, selfdestruct_moves_balance_and_charges_new_account)
{
    addr_t ben = test_addr(0xbe4e);
    bc_t b = { .n = 0 };
    bc_push_addr(&b, &ben);
    bc_op(&b, OP_SELFDESTRUCT);
    run_opts_t o = { .setup = setup_callee }; /* gives the contract a balance of 1000 */
    g_callee_addr = &ben;
    g_callee.n = 0;
    bc_op(&g_callee, OP_STOP);
    mock_host_t *h;
    bool agree;
    evm_result_t r = run_code(&b, &o, &h, &agree);
    size_t nsd = mock_count(h, MC_SELFDESTRUCT, NULL);
    mock_free(h);
    CHECK(agree);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(nsd, 1);
    /* 5000 + cold beneficiary 2600; the beneficiary has code so it is not empty */
    CHECK_EQ_U64(1000000 - r.gas_left, 3 + 5000 + 2600);
}

TEST(interp, log_topics_and_static_violation)
{
    bc_t b = { .n = 0 };
    bc_push(&b, 0xabcd); /* topic */
    bc_push(&b, 0);      /* size */
    bc_push(&b, 0);      /* offset */
    bc_op(&b, OP_LOG1);
    bc_op(&b, OP_STOP);
    run_opts_t o = { 0 };
    mock_host_t *h;
    bool agree;
    evm_result_t r = run_code(&b, &o, &h, &agree);
    size_t nlogs = mock_count(h, MC_EMIT_LOG, NULL);
    uint8_t t0 = h->last_topic0.b[31];
    mock_free(h);
    CHECK(agree);
    CHECK_EQ_INT(r.status, EVM_SUCCESS);
    CHECK_EQ_U64(nlogs, 1);
    CHECK_EQ_U64(t0, 0xcd);
    CHECK_EQ_U64(1000000 - r.gas_left, 9 + 750);
    o.is_static = true;
    bool ag2;
    evm_result_t r2 = run_code(&b, &o, NULL, &ag2);
    CHECK(ag2);
    CHECK_EQ_INT(r2.status, EVM_STATIC_MODE_VIOLATION);
}

TEST(rules, names_and_features)
{
    evm_rules_t r;
    CHECK_OK(evm_rules_from_name(&r, "Cancun"));
    CHECK(evm_rules_has(&r, EVM_F_TSTORE));
    CHECK(!evm_rules_has(&r, EVM_F_EIP7702));
    CHECK_OK(evm_rules_from_name(&r, "prague"));
    CHECK(evm_rules_has(&r, EVM_F_EIP7702) && evm_rules_has(&r, EVM_F_EIP7623));
    CHECK_OK(evm_rules_from_name(&r, "scroll:FEYNMAN"));
    CHECK_EQ_INT(r.chain, EVM_CHAIN_SCROLL);
    CHECK_EQ_INT(r.blockhash, EVM_BLOCKHASH_SCROLL_HISTORY);
    CHECK_ERR(ERR_NOT_FOUND, evm_rules_from_name(&r, "London"));
    CHECK_STR_EQ(evm_op_name(OP_PUSH32), "PUSH32");
    CHECK(evm_op_name(0x0c) == NULL);
}
