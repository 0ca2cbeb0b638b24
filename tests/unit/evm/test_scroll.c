/* tests/unit/evm/test_scroll.c — Scroll's EVM deltas (SCROLL.md §2) with its vectors: BLOCKHASH
 * before and from FEYNMAN, SELFDESTRUCT invalid, DIFFICULTY 0, COINBASE = fee vault, Curie
 * opcodes, CLZ from GALILEO, no blob opcodes, PUSH0 from genesis, per-spec precompiles. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "evm/evm.h"
#include "evm_test_util.h"
#include "harness.h"

static const evm_scroll_spec_t ALL_SPECS[] = {
    EVM_SCROLL_SHANGHAI, EVM_SCROLL_BERNOULLI, EVM_SCROLL_CURIE,   EVM_SCROLL_DARWIN,
    EVM_SCROLL_EUCLID,   EVM_SCROLL_FEYNMAN,   EVM_SCROLL_GALILEO,
};

static evm_block_t scroll_block(uint64_t number)
{
    evm_block_t b;
    memset(&b, 0, sizeof(b));
    b.number = number;
    b.timestamp = 1700000000;
    b.gas_limit = 20000000;
    b.chain_id = u256_from_u64(534352);
    b.coinbase.b[0] = 0x53; /* the fee vault 0x5300…05 */
    b.coinbase.b[19] = 0x05;
    b.prevrandao = u256_from_u64(0x1234); /* ignored on Scroll */
    b.base_fee = u256_from_u64(7);
    return b;
}

static evm_status_t run_status(const bc_t *b, const evm_rules_t *r, const evm_block_t *blk,
                               bool *agree, uint64_t *out, int64_t *gas_left)
{
    run_opts_t o = { .rules = r, .block = blk };
    evm_result_t res = run_code(b, &o, NULL, agree);
    if (out)
        *out = res.output.n == 32 ? u256_from_be(res.output.p, 32).w[0] : 0;
    if (gas_left)
        *gas_left = res.gas_left;
    return res.status;
}

TEST(scroll, blockhash_before_feynman_is_keccak_of_chain_and_number)
{
    /* SCROLL.md §2.1 vector: chain 534352, block 100. */
    evm_rules_t r;
    evm_rules_scroll(&r, EVM_SCROLL_EUCLID);
    evm_block_t blk = scroll_block(101);
    bc_t b = { .n = 0 };
    bc_push(&b, 100);
    bc_op(&b, OP_BLOCKHASH);
    bc_return_top(&b);
    run_opts_t o = { .rules = &r, .block = &blk };
    mock_host_t *h;
    bool agree;
    evm_result_t res = run_code(&b, &o, &h, &agree);
    size_t host_calls = mock_count(h, MC_BLOCK_HASH, NULL);
    mock_free(h);
    CHECK(agree);
    CHECK_EQ_INT(res.status, EVM_SUCCESS);
    size_t n;
    uint8_t *want =
        test_unhex("e1df473f98e7556ac0a639877404b3582eb2a4b088fbab6f03ed779f4f684e07", &n);
    int same = res.output.n == 32 && memcmp(res.output.p, want, 32) == 0;
    free(want);
    CHECK(same);
    CHECK_EQ_U64(host_calls, 0); /* computed, not asked */

    /* Range: cur-256 <= n < cur. The current block and 257 back give 0; 256 back does not. */
    static const struct {
        uint64_t cur, n;
        bool zero;
    } T[] = { { 101, 101, true }, { 400, 143, true }, { 400, 0, true }, { 400, 144, false } };

    for (size_t i = 0; i < RN_ARRAY_LEN(T); i++) {
        evm_block_t bb = scroll_block(T[i].cur);
        bc_t c = { .n = 0 };
        bc_push(&c, T[i].n);
        bc_op(&c, OP_BLOCKHASH);
        bc_return_top(&c);
        run_opts_t oc = { .rules = &r, .block = &bb };
        evm_result_t rc = run_code(&c, &oc, NULL, &agree);
        CHECK(agree);
        CHECK_EQ_INT(rc.status, EVM_SUCCESS);
        static const uint8_t zero[32];
        CHECK_EQ_INT(rc.output.n == 32 && memcmp(rc.output.p, zero, 32) == 0, T[i].zero);
    }
}

static void setup_history(mock_host_t *m)
{
    /* The EIP-2935 contract holds block 9000's hash in slot 9000 mod 8191 = 809. */
    mock_account_t *x = mock_account(m, &EVM_HISTORY_CONTRACT);
    x->nonce = 1;
    x->code[0] = 0x00;
    x->code_len = 1;
    x->slots[0].key = u256_from_u64(9000 % EVM_HISTORY_SERVE_WINDOW);
    x->slots[0].value = x->slots[0].original = u256_from_u64(0xabcdef);
    x->nslots = 1;
}

TEST(scroll, blockhash_from_feynman_reads_and_warms_the_history_contract)
{
    evm_rules_t r;
    evm_rules_scroll(&r, EVM_SCROLL_FEYNMAN);
    evm_block_t blk = scroll_block(9001);
    bc_t b = { .n = 0 };
    bc_push(&b, 9000);
    bc_op(&b, OP_BLOCKHASH);
    bc_return_top(&b);
    run_opts_t o = { .rules = &r, .block = &blk, .setup = setup_history };
    mock_host_t *h;
    bool agree;
    evm_result_t res = run_code(&b, &o, &h, &agree);
    size_t acc = mock_count(h, MC_ACCESS_ACCOUNT, &EVM_HISTORY_CONTRACT);
    size_t slot_acc = mock_count(h, MC_ACCESS_STORAGE, &EVM_HISTORY_CONTRACT);
    bool slot_ok = false;
    for (size_t i = 0; i < h->nrec; i++) {
        if (h->rec[i].call == MC_ACCESS_STORAGE)
            slot_ok = h->rec[i].key.w[0] == 809;
    }
    bool warm = false;
    for (size_t i = 0; i < h->s.nwarm; i++)
        warm |= addr_eq(&h->s.warm[i], &EVM_HISTORY_CONTRACT);
    mock_free(h);
    CHECK(agree);
    CHECK_EQ_INT(res.status, EVM_SUCCESS);
    CHECK_EQ_U64(u256_from_be(res.output.p, 32).w[0], 0xabcdef);
    CHECK_EQ_U64(acc, 1);
    CHECK_EQ_U64(slot_acc, 1);
    CHECK(slot_ok);
    CHECK(warm);
    /* No extra gas: PUSH2 + BLOCKHASH 20 + the return sequence. */
    CHECK_EQ_U64(1000000 - res.gas_left, 3 + 20 + 3 + 6 + 3 + 3);
    /* Ethereum asks the host instead. */
    evm_rules_t eth;
    evm_rules_ethereum(&eth, EVM_ETH_CANCUN);
    run_opts_t o2 = { .rules = &eth, .block = &blk };
    res = run_code(&b, &o2, &h, &agree);
    size_t asked = mock_count(h, MC_BLOCK_HASH, NULL);
    mock_free(h);
    CHECK(agree);
    CHECK_EQ_U64(asked, 1);
}

TEST(scroll, selfdestruct_is_invalid_in_every_spec)
{
    bc_t b = { .n = 0 };
    bc_push(&b, 0);
    bc_op(&b, OP_SELFDESTRUCT);
    for (size_t i = 0; i < RN_ARRAY_LEN(ALL_SPECS); i++) {
        evm_rules_t r;
        evm_rules_scroll(&r, ALL_SPECS[i]);
        evm_block_t blk = scroll_block(10);
        bool agree;
        int64_t left;
        CHECK_EQ_INT(run_status(&b, &r, &blk, &agree, NULL, &left), EVM_UNDEFINED_INSTRUCTION);
        CHECK(agree);
        CHECK_EQ_U64(left, 0); /* consumes all frame gas */
    }
}

TEST(scroll, difficulty_is_zero_and_coinbase_is_the_fee_vault)
{
    for (size_t i = 0; i < RN_ARRAY_LEN(ALL_SPECS); i++) {
        evm_rules_t r;
        evm_rules_scroll(&r, ALL_SPECS[i]);
        evm_block_t blk = scroll_block(10);
        bc_t b = { .n = 0 };
        bc_op(&b, OP_PREVRANDAO);
        bc_return_top(&b);
        bool agree;
        uint64_t out = 1;
        CHECK_EQ_INT(run_status(&b, &r, &blk, &agree, &out, NULL), EVM_SUCCESS);
        CHECK(agree);
        CHECK_EQ_U64(out, 0);
        bc_t c = { .n = 0 };
        bc_op(&c, OP_COINBASE);
        bc_return_top(&c);
        run_opts_t o = { .rules = &r, .block = &blk };
        evm_result_t res = run_code(&c, &o, NULL, &agree);
        CHECK(agree);
        CHECK(res.output.n == 32);
        CHECK_MEM_EQ(res.output.p + 12, 20, blk.coinbase.b, 20);
    }
    /* Ethereum returns prevrandao. */
    evm_rules_t eth;
    evm_rules_ethereum(&eth, EVM_ETH_SHANGHAI);
    evm_block_t blk = scroll_block(10);
    bc_t b = { .n = 0 };
    bc_op(&b, OP_PREVRANDAO);
    bc_return_top(&b);
    bool agree;
    uint64_t out;
    CHECK_EQ_INT(run_status(&b, &eth, &blk, &agree, &out, NULL), EVM_SUCCESS);
    CHECK_EQ_U64(out, 0x1234);
}

/** Is `op` (with enough stack) defined under r? */
static bool defined(const evm_rules_t *r, uint8_t op)
{
    bc_t b = { .n = 0 };
    for (int i = 0; i < 4; i++)
        bc_push(&b, 1);
    bc_op(&b, op);
    bc_op(&b, OP_STOP);
    evm_block_t blk = scroll_block(10);
    bool agree;
    evm_status_t st = run_status(&b, r, &blk, &agree, NULL, NULL);
    return agree && st != EVM_UNDEFINED_INSTRUCTION;
}

TEST(scroll, opcode_availability_per_spec)
{
    for (size_t i = 0; i < RN_ARRAY_LEN(ALL_SPECS); i++) {
        evm_scroll_spec_t s = ALL_SPECS[i];
        evm_rules_t r;
        evm_rules_scroll(&r, s);
        bool curie = s >= EVM_SCROLL_CURIE;
        CHECK_EQ_INT(defined(&r, OP_BASEFEE), curie);
        CHECK_EQ_INT(defined(&r, OP_TLOAD), curie);
        CHECK_EQ_INT(defined(&r, OP_TSTORE), curie);
        CHECK_EQ_INT(defined(&r, OP_MCOPY), curie);
        CHECK_EQ_INT(defined(&r, OP_CLZ), s >= EVM_SCROLL_GALILEO);
        CHECK(!defined(&r, OP_BLOBHASH));
        CHECK(!defined(&r, OP_BLOBBASEFEE));
        CHECK(defined(&r, OP_PUSH0));
        CHECK(!defined(&r, OP_SELFDESTRUCT));
    }
    evm_rules_t cancun;
    evm_rules_ethereum(&cancun, EVM_ETH_CANCUN);
    CHECK(defined(&cancun, OP_BLOBHASH));
    CHECK(defined(&cancun, OP_BLOBBASEFEE));
    CHECK(defined(&cancun, OP_SELFDESTRUCT));
    CHECK(!defined(&cancun, OP_CLZ));
}

TEST(scroll, clz_from_galileo_costs_5)
{
    evm_rules_t r;
    evm_rules_scroll(&r, EVM_SCROLL_GALILEO);
    evm_block_t blk = scroll_block(10);
    bc_t b = { .n = 0 };
    bc_push(&b, 0xff);
    bc_op(&b, OP_CLZ);
    bc_return_top(&b);
    bool agree;
    uint64_t out;
    int64_t left;
    CHECK_EQ_INT(run_status(&b, &r, &blk, &agree, &out, &left), EVM_SUCCESS);
    CHECK(agree);
    CHECK_EQ_U64(out, 248);
    CHECK_EQ_U64(1000000 - left, 3 + 5 + 3 + 6 + 3 + 3);
}

/** CALL precompile `pc` with 32 bytes of input and 10000 gas; returns the success flag. */
static uint64_t call_precompile(const evm_rules_t *r, uint32_t pc, int64_t *used)
{
    addr_t a = test_addr(pc);
    bc_t b = { .n = 0 };
    bc_call(&b, OP_STATICCALL, 10000, &a, 0, 0, 32, 0, 32);
    bc_return_top(&b);
    evm_block_t blk = scroll_block(10);
    bool agree;
    uint64_t out = 9;
    int64_t left;
    (void)run_status(&b, r, &blk, &agree, &out, &left);
    *used = 1000000 - left;
    return agree ? out : 9;
}

TEST(scroll, precompile_set_per_spec)
{
    evm_rules_t sh, be;
    evm_rules_scroll(&sh, EVM_SCROLL_SHANGHAI);
    evm_rules_scroll(&be, EVM_SCROLL_BERNOULLI);
    int64_t used_disabled, used_ok;
    /* sha256 (0x02): disabled before Bernoulli — the call fails and burns the 10000 given. */
    CHECK_EQ_U64(call_precompile(&sh, 2, &used_disabled), 0);
    CHECK_EQ_U64(call_precompile(&be, 2, &used_ok), 1);
    CHECK(used_disabled > used_ok + 9000); /* cold access in both; sha256 itself costs 72 */
    /* ripemd160 (0x03) is disabled in every spec; identity (0x04) works. */
    for (size_t i = 0; i < RN_ARRAY_LEN(ALL_SPECS); i++) {
        evm_rules_t r;
        evm_rules_scroll(&r, ALL_SPECS[i]);
        int64_t u;
        CHECK_EQ_U64(call_precompile(&r, 3, &u), 0);
        CHECK_EQ_U64(call_precompile(&r, 4, &u), 1);
    }
}
