/* tests/unit/evm/evm_test_util.h — a bytecode builder and a recording mock host for the EVM unit
 * tests (STYLE.md 2.9; evmone's bytecode helpers and MockedHost). */
#ifndef RN_TESTS_EVM_TEST_UTIL_H
#define RN_TESTS_EVM_TEST_UTIL_H

#include "evm/evm.h"

/* ---- bytecode builder ---- */

typedef struct bc {
    uint8_t p[8192];
    size_t n;
} bc_t;

void bc_op(bc_t *b, uint8_t op);
/** Shortest PUSHn of v (PUSH1 for 0, so the code runs without PUSH0). */
void bc_push(bc_t *b, uint64_t v);
void bc_push_u256(bc_t *b, u256_t v);
void bc_push_addr(bc_t *b, const addr_t *a);
void bc_bytes(bc_t *b, const uint8_t *p, size_t n);
/** SSTORE(key, <top of stack>) */
void bc_sstore_top(bc_t *b, uint64_t key);
/** MSTORE(0, top); RETURN(0, 32) */
void bc_return_top(bc_t *b);
/** CALL-family with all arguments pushed (gas, address, value (CALL/CALLCODE only), in, out). */
void bc_call(bc_t *b, uint8_t op, uint64_t gas, const addr_t *to, uint64_t value, uint64_t in_off,
             uint64_t in_len, uint64_t out_off, uint64_t out_len);

/* ---- recording mock host ---- */

enum {
    MOCK_MAX_ACCOUNTS = 16,
    MOCK_MAX_SLOTS = 16,
    MOCK_MAX_CODE = 24576,
    MOCK_MAX_RECORDS = 256,
    MOCK_MAX_WARM = 32,
};

typedef enum mock_call {
    MC_ACCESS_ACCOUNT,
    MC_ACCESS_STORAGE,
    MC_GET_STORAGE,
    MC_SET_STORAGE,
    MC_GET_BALANCE,
    MC_TRANSFER,
    MC_EMIT_LOG,
    MC_SELFDESTRUCT,
    MC_BLOCK_HASH,
    MC_CREATE_ACCOUNT,
    MC_TOUCH,
} mock_call_t;

typedef struct mock_record {
    mock_call_t call;
    addr_t addr;
    u256_t key;
    uint64_t number;
} mock_record_t;

typedef struct mock_slot {
    u256_t key, value, original;
} mock_slot_t;

typedef struct mock_account {
    addr_t addr;
    bool exists;
    bool created;
    bool destructed;
    uint64_t nonce;
    u256_t balance;
    uint8_t code[MOCK_MAX_CODE];
    size_t code_len;
    mock_slot_t slots[MOCK_MAX_SLOTS];
    size_t nslots;
} mock_account_t;

typedef struct mock_state {
    mock_account_t acct[MOCK_MAX_ACCOUNTS];
    size_t nacct;
    addr_t warm[MOCK_MAX_WARM];
    size_t nwarm;

    struct {
        addr_t a;
        u256_t k;
    } warm_slots[MOCK_MAX_WARM];

    size_t nwarm_slots;

    struct {
        addr_t a;
        u256_t k, v;
    } transient[MOCK_MAX_SLOTS];

    size_t ntransient;
    size_t nlogs;
} mock_state_t;

typedef struct mock_host {
    mock_state_t s;
    mock_state_t *snaps[64];
    size_t nsnaps;
    mock_record_t rec[MOCK_MAX_RECORDS];
    size_t nrec;
    hash_t last_topic0;
} mock_host_t;

/** Fresh host (heap: the struct is large). Free with mock_free. */
mock_host_t *mock_new(void);
void mock_free(mock_host_t *m);
const evm_host_t *mock_table(void);
mock_account_t *mock_account(mock_host_t *m, const addr_t *a); /**< creates (exists) */
void mock_set_code(mock_host_t *m, const addr_t *a, const bc_t *b);
u256_t mock_storage(mock_host_t *m, const addr_t *a, uint64_t key);
/** Count of recorded calls of kind c (optionally for address a). */
size_t mock_count(const mock_host_t *m, mock_call_t c, const addr_t *a);
void mock_warm(mock_host_t *m, const addr_t *a);

/* ---- running ---- */

/** Address helper: 0x00…00nn. */
addr_t test_addr(uint32_t n);

typedef struct run_opts {
    const evm_rules_t *rules;
    int64_t gas;
    u256_t value;
    const uint8_t *input;
    size_t input_len;
    const evm_block_t *block; /**< NULL: a default block (number 100, chain id 1) */
    bool is_static;
    void (*setup)(mock_host_t *m); /**< pre-state beyond the code (optional) */
} run_opts_t;

/**
 * Put code at test_addr(0xc0de) and call it from test_addr(0xca11) under both dispatch flavours
 * (a fresh host each time); the two results must agree (status, gas, output), which is checked
 * and reported as a test failure through *agree. Returns the cgoto run; *host (if non-NULL)
 * receives that run's host (caller frees).
 */
evm_result_t run_code(const bc_t *code, const run_opts_t *o, mock_host_t **host, bool *agree);

#endif
