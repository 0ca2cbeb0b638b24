/* src/evm/evm.h — the Ethereum Virtual Machine: one interpreter for Ethereum forks (Shanghai,
 * Cancun, Prague, Osaka) and Scroll specs (SHANGHAI .. GALILEO, SCROLL.md §1.2, §2).
 *
 * The EVM reaches state only through evm_host_t (a table of functions plus a context pointer,
 * evmc-style): state/ implements it over its journaled overlay; unit tests use a recording mock.
 * Which opcodes exist and how they behave under a rule set is data (evm_rules_t), built from an
 * Ethereum fork or a Scroll spec; there is no compile-time fork selection.
 *
 * An evm_t holds what is reused across calls and transactions: the stacks and memories of every
 * call depth (allocated once, grown geometrically), the cache of analysed code (padded code and
 * JUMPDEST bitmap, keyed by code hash), and the output buffer. One evm_t is used by one thread at
 * a time. */
#ifndef RN_EVM_EVM_H
#define RN_EVM_EVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "evm/precompiles.h"

enum {
    EVM_STACK_LIMIT = 1024,        /**< items */
    EVM_MAX_DEPTH = 1024,          /**< deepest nested call (the top-level frame is depth 0) */
    EVM_MAX_CODE_SIZE = 24576,     /**< EIP-170 */
    EVM_MAX_INITCODE_SIZE = 49152, /**< EIP-3860 */
    EVM_CALL_STIPEND = 2300,       /**< gas added to a value-carrying call */
};

/** How an EVM execution ended (STYLE.md 2.4: data, not an error; it ends up in receipts). */
typedef enum evm_status {
    EVM_SUCCESS = 0,
    EVM_REVERT = 1, /**< REVERT: state undone, gas left returned, output kept */
    EVM_OUT_OF_GAS = 2,
    EVM_INVALID_INSTRUCTION = 3,   /**< 0xFE */
    EVM_UNDEFINED_INSTRUCTION = 4, /**< not defined under the rules (includes Scroll's gated ops) */
    EVM_STACK_OVERFLOW = 5,
    EVM_STACK_UNDERFLOW = 6,
    EVM_BAD_JUMP_DESTINATION = 7,
    EVM_INVALID_MEMORY_ACCESS = 8, /**< RETURNDATACOPY past the end of the return data */
    EVM_CALL_DEPTH_EXCEEDED = 9,   /**< gas is returned to the caller */
    EVM_STATIC_MODE_VIOLATION = 10,
    EVM_PRECOMPILE_FAILURE = 11,
    EVM_CONTRACT_VALIDATION_FAILURE = 12, /**< EIP-3541: new code starts with 0xEF */
    EVM_INSUFFICIENT_BALANCE = 13,        /**< value transfer not covered; gas is returned */
    EVM_CREATE_COLLISION = 14,            /**< nonce, code or storage at the new address */
    EVM_CODE_SIZE_EXCEEDED = 15,          /**< EIP-170 */
    EVM_NONCE_OVERFLOW = 16,              /**< creator's nonce is 2^64-1; gas is returned */
    EVM_INITCODE_SIZE_EXCEEDED = 17,      /**< EIP-3860 */
} evm_status_t;

/** "SUCCESS", "OUT_OF_GAS", ... never NULL. */
const char *evm_status_name(evm_status_t s);

/* ---- rules ---- */

/** Feature bits: which opcodes exist and which transaction-level EIPs apply. */
typedef enum evm_feature {
    EVM_F_BASE = 1u << 0,         /**< always set */
    EVM_F_PUSH0 = 1u << 1,        /**< EIP-3855 */
    EVM_F_BASEFEE = 1u << 2,      /**< EIP-3198 (Scroll: CURIE) */
    EVM_F_TSTORE = 1u << 3,       /**< EIP-1153 (Cancun; Scroll: CURIE) */
    EVM_F_MCOPY = 1u << 4,        /**< EIP-5656 (Cancun; Scroll: CURIE) */
    EVM_F_BLOBHASH = 1u << 5,     /**< EIP-4844 opcode (Cancun; never on Scroll) */
    EVM_F_BLOBBASEFEE = 1u << 6,  /**< EIP-7516 (Cancun; never on Scroll) */
    EVM_F_CLZ = 1u << 7,          /**< EIP-7939 (Osaka; Scroll: GALILEO) */
    EVM_F_SELFDESTRUCT = 1u << 8, /**< opcode defined (Scroll: never) */
    EVM_F_EIP6780 = 1u << 9,      /**< SELFDESTRUCT only deletes accounts created in the same tx */
    EVM_F_EIP7702 = 1u << 10, /**< set-code transactions and delegation (Prague; Scroll: EUCLID) */
    EVM_F_EIP7623 = 1u << 11, /**< calldata floor (Prague; Scroll: FEYNMAN) */
    EVM_F_BLOB_TX = 1u << 12, /**< blob transactions exist (Cancun) — not supported here */
    EVM_F_PREVRANDAO_ZERO = 1u << 13, /**< Scroll: DIFFICULTY/PREVRANDAO always 0 */
    EVM_F_FEE_VAULT =
        1u << 14, /**< Scroll: no base-fee burn, all fees to the coinbase (fee vault) */
    EVM_F_L1_MSG_FAIL_VALUE =
        1u << 15,                /**< Scroll EUCLID+: L1 message without funds fails but stays */
    EVM_F_TX_GAS_CAP = 1u << 16, /**< EIP-7825 (Osaka): tx gas limit ≤ 2^24 */
} evm_feature_t;

typedef enum evm_chain_kind {
    EVM_CHAIN_ETHEREUM = 0,
    EVM_CHAIN_SCROLL = 1,
} evm_chain_kind_t;

/** Ethereum forks (same numbering as precompile_rules_ethereum). */
typedef enum evm_eth_fork {
    EVM_ETH_SHANGHAI = 0,
    EVM_ETH_CANCUN = 1,
    EVM_ETH_PRAGUE = 2,
    EVM_ETH_OSAKA = 3,
} evm_eth_fork_t;

/** Scroll spec levels, scroll-revm order (SCROLL.md §1.2; same numbering as
 *  precompile_rules_scroll). */
typedef enum evm_scroll_spec {
    EVM_SCROLL_SHANGHAI = 1,
    EVM_SCROLL_BERNOULLI = 2,
    EVM_SCROLL_CURIE = 3,
    EVM_SCROLL_DARWIN = 4,
    EVM_SCROLL_EUCLID = 5,
    EVM_SCROLL_FEYNMAN = 6,
    EVM_SCROLL_GALILEO = 7,
} evm_scroll_spec_t;

/** Where BLOCKHASH gets its answer for the 256 previous blocks. */
typedef enum evm_blockhash_mode {
    EVM_BLOCKHASH_HOST = 0,          /**< Ethereum: host->block_hash */
    EVM_BLOCKHASH_SCROLL_KECCAK = 1, /**< Scroll before FEYNMAN: keccak(be64(chainId) ‖ be64(n)) */
    EVM_BLOCKHASH_SCROLL_HISTORY =
        2, /**< Scroll FEYNMAN+: slot n mod 8191 of the EIP-2935 contract */
} evm_blockhash_mode_t;

/** Per-opcode data derived from ops.def and the features (the loop's checks, STYLE.md 2.10). */
typedef struct evm_op_info {
    int32_t gas;        /**< static gas */
    int16_t min_height; /**< stack items required; 0x7fff marks an undefined opcode */
    int16_t range;      /**< max height before the op minus min_height */
} evm_op_info_t;

/** One rule set. Build with evm_rules_ethereum / evm_rules_scroll; read-only afterwards. */
typedef struct evm_rules {
    evm_chain_kind_t chain;
    int fork;          /**< evm_eth_fork_t or evm_scroll_spec_t, per chain */
    uint32_t features; /**< EVM_F_* */
    evm_blockhash_mode_t blockhash;
    precompile_rules_t precompiles;
    evm_op_info_t ops[256];
    char name[24]; /**< "Cancun", "scroll:FEYNMAN" */
} evm_rules_t;

void evm_rules_ethereum(evm_rules_t *r, evm_eth_fork_t fork);
void evm_rules_scroll(evm_rules_t *r, evm_scroll_spec_t spec);
/** From a name: "Shanghai", "Cancun", "Prague", "Osaka" (case-insensitive), or a Scroll spec
 *  "scroll:CURIE" / "SCROLL_CURIE" / "Curie"-style names of SCROLL.md §1.2 prefixed with
 *  "scroll:". ERR_NOT_FOUND for anything else (e.g. "London": not supported). */
RN_NODISCARD err_t evm_rules_from_name(evm_rules_t *r, const char *name);

static inline bool evm_rules_has(const evm_rules_t *r, evm_feature_t f)
{
    return (r->features & (uint32_t)f) != 0;
}

/** Opcode bytes, generated from ops.def (OP_ADD = 0x01, ...). */
typedef enum evm_opcode {
#define EVM_OP(NAME, BYTE, IMM, IN, OUT, GAS, FEAT, DOC) OP_##NAME = BYTE,
#include "evm/ops.def"
#undef EVM_OP
} evm_opcode_t;

/** Opcode mnemonic ("PUSH1"), or NULL for a byte no rule set defines. */
const char *evm_op_name(uint8_t op);

/* ---- environment ---- */

typedef struct evm_block {
    uint64_t number;
    uint64_t timestamp;
    uint64_t gas_limit;
    addr_t coinbase; /**< Scroll: the fee vault (SCROLL.md §2.1) */
    u256_t base_fee;
    u256_t prevrandao; /**< post-merge DIFFICULTY value (ignored under EVM_F_PREVRANDAO_ZERO) */
    u256_t chain_id;
    u256_t blob_base_fee;
} evm_block_t;

typedef struct evm_tx_env {
    addr_t origin;
    u256_t gas_price;          /**< effective gas price */
    const hash_t *blob_hashes; /**< EIP-4844 versioned hashes (borrowed) */
    size_t nblob_hashes;
} evm_tx_env_t;

/** What SELFDESTRUCT asks of the host. */
typedef enum evm_selfdestruct_mode {
    EVM_SD_FULL = 0, /**< pre-Cancun: the account is deleted at the end of the tx */
    EVM_SD_EIP6780 =
        1, /**< Cancun+: deleted only if created in this tx, otherwise only the balance moves */
} evm_selfdestruct_mode_t;

/**
 * The host: every access to state. All functions are required. Addresses and keys are borrowed
 * for the duration of the call. A change is undone by `revert` to an earlier `snapshot`.
 * Accounts follow EIP-161: "empty" = nonce 0, balance 0, no code.
 */
typedef struct evm_host {
    bool (*account_exists)(void *ctx, const addr_t *a);
    bool (*account_is_empty)(void *ctx, const addr_t *a); /**< true also if it does not exist */
    u256_t (*get_balance)(void *ctx, const addr_t *a);
    uint64_t (*get_nonce)(void *ctx, const addr_t *a);
    /** Create the account if missing. */
    void (*set_nonce)(void *ctx, const addr_t *a, uint64_t nonce);
    /** Code of a (empty view if none). Valid until the code of a changes or the tx ends. */
    bview_t (*get_code)(void *ctx, const addr_t *a);
    /** keccak256 of the code (KECCAK_EMPTY for none); zero hash if a does not exist. */
    hash_t (*get_code_hash)(void *ctx, const addr_t *a);
    void (*set_code)(void *ctx, const addr_t *a, const uint8_t *code, size_t n);
    /** True if a has any non-zero storage slot (EIP-7610 create collision). */
    bool (*has_storage)(void *ctx, const addr_t *a);
    u256_t (*get_storage)(void *ctx, const addr_t *a, const u256_t *key);
    /** Store value; report the slot's value at the start of the tx (*original, EIP-2200) and
     *  just before this write (*current). */
    void (*set_storage)(void *ctx, const addr_t *a, const u256_t *key, u256_t value,
                        u256_t *original, u256_t *current);
    u256_t (*get_transient)(void *ctx, const addr_t *a, const u256_t *key);
    void (*set_transient)(void *ctx, const addr_t *a, const u256_t *key, u256_t value);
    /** EIP-2929: mark warm; return true if it already was. */
    bool (*access_account)(void *ctx, const addr_t *a);
    bool (*access_storage)(void *ctx, const addr_t *a, const u256_t *key);
    void (*emit_log)(void *ctx, const addr_t *a, const hash_t *topics, size_t ntopics,
                     const uint8_t *data, size_t n);
    /** Move value from -> to (both touched, `to` created if missing). The caller has checked the
     *  balance. A zero value still touches both (EIP-161). */
    void (*transfer)(void *ctx, const addr_t *from, const addr_t *to, u256_t value);
    /** Touch a (create if missing) without changing it (EIP-161). */
    void (*touch)(void *ctx, const addr_t *a);
    /** a becomes a new contract: remembered as created in this tx (EIP-6780), storage empty,
     *  balance kept, nonce and code set by later calls. */
    void (*create_account)(void *ctx, const addr_t *a);
    /** SELFDESTRUCT of a in favour of beneficiary: move the balance and record the deletion as
     *  `mode` says (a == beneficiary burns the balance when the account is deleted). */
    void (*selfdestruct)(void *ctx, const addr_t *a, const addr_t *beneficiary,
                         evm_selfdestruct_mode_t mode);
    uint32_t (*snapshot)(void *ctx);
    void (*revert)(void *ctx, uint32_t snapshot);
    /** Hash of block `number` (only asked for the 256 previous blocks, EVM_BLOCKHASH_HOST). */
    hash_t (*block_hash)(void *ctx, uint64_t number);
} evm_host_t;

/* ---- messages and results ---- */

typedef enum evm_call_kind {
    EVM_CALL = 0,
    EVM_CALLCODE = 1,
    EVM_DELEGATECALL = 2,
    EVM_STATICCALL = 3,
    EVM_CREATE = 4,
    EVM_CREATE2 = 5,
} evm_call_kind_t;

typedef struct evm_message {
    evm_call_kind_t kind;
    bool is_static; /**< no state changes allowed (EIP-214) */
    int32_t depth;  /**< 0 for the transaction's own call */
    int64_t gas;
    addr_t recipient; /**< account whose storage and balance are used (ignored for creates) */
    addr_t sender;
    addr_t code_address;  /**< account whose code runs (CALL/STATICCALL: = recipient) */
    u256_t value;         /**< DELEGATECALL: the apparent value, not transferred */
    const uint8_t *input; /**< calldata, or the initcode of a create (borrowed) */
    size_t input_len;
    u256_t salt; /**< CREATE2 */
} evm_message_t;

typedef struct evm_result {
    evm_status_t status;
    int64_t gas_left;
    int64_t gas_refund;    /**< refund counter at the end (0 unless SUCCESS) */
    bview_t output;        /**< valid until the next call on the same evm_t */
    addr_t create_address; /**< creates: the new address (also on failure) */
    bview_t created_code;  /**< successful creates: the code deployed (for tracers' exit hook;
                                valid only there) — output stays empty, as the EVM requires */
} evm_result_t;

/** EIP-3155 step hook (for --trace). Called before each instruction with the gas left before it
 *  and its static cost; stack[0] is the bottom item. */
typedef struct evm_tracer {
    /** Per instruction (NULL: none; a step hook makes the switch loop run). */
    void (*step)(void *ud, uint32_t pc, uint8_t op, int64_t gas, int64_t cost, size_t mem_size,
                 const u256_t *stack, size_t stack_n, int32_t depth, int64_t refund);
    /** With step, just before it (NULL: none): the frame's memory and its last call's return
     *  data, borrowed for the call (struct loggers with enableMemory / enableReturnData). */
    void (*step_data)(void *ud, const uint8_t *mem, size_t mem_n, const uint8_t *ret, size_t ret_n);
    /** Per call frame, before anything of it runs (NULL: none): call tracers. */
    void (*enter)(void *ud, const struct evm_message *msg);
    /** When that frame ends: its result (create_address set for creates). */
    void (*exit)(void *ud, const struct evm_message *msg, const struct evm_result *res);
    void *ud;
} evm_tracer_t;

/** Everything one execution needs to know about where it runs (all borrowed). */
typedef struct evm_env {
    const evm_rules_t *rules;
    const evm_host_t *host;
    void *host_ctx;
    const evm_block_t *block;
    const evm_tx_env_t *tx;
} evm_env_t;

typedef struct evm evm_t;

/** Dispatch strategy of the interpreter loop (both are always compiled in; STYLE.md 2.10).
 *  While a tracer is set the switch loop runs (the computed-goto loop has no tracer test). */
typedef enum evm_dispatch {
    EVM_DISPATCH_CGOTO = 0,  /**< computed goto (default) */
    EVM_DISPATCH_SWITCH = 1, /**< portable switch */
} evm_dispatch_t;

evm_t *evm_new(void);
/** NULL is a no-op. */
void evm_free(evm_t *evm);
/** This thread's evm_t for short executions (RPC calls): created on first use, kept with its
 *  analysed-code cache and stack, freed when the thread exits; returned without a tracer. Not
 *  re-entrant: one execution at a time per thread. */
evm_t *evm_thread(void);
void evm_set_tracer(evm_t *evm, const evm_tracer_t *tracer);
void evm_set_dispatch(evm_t *evm, evm_dispatch_t d);
/** Output of the last evm_execute (valid until the next one on this evm_t). */
bview_t evm_last_output(const evm_t *evm);
/** Drop the analysed-code cache (e.g. between unrelated test cases). */
void evm_clear_cache(evm_t *evm);

/**
 * Execute a message as the transaction's own call or create (depth 0 normally): value
 * transfer, create address and nonce, precompiles, code execution, nested calls, and the
 * revert of everything on failure. For a create the caller's nonce is incremented here (as for
 * CREATE); for a call the transaction layer has already incremented it. The refund counter
 * starts at 0. Runs on the evm_t's own stack (docs/decisions/0011), so the calling thread's stack
 * size does not limit call depth. Not re-entrant: a host function must not call evm_execute on
 * the same evm_t.
 */
evm_result_t evm_execute(evm_t *evm, const evm_env_t *env, const evm_message_t *msg);

/** Address of CREATE from sender and nonce: keccak(rlp([sender, nonce]))[12:]. */
addr_t evm_create_address(const addr_t *sender, uint64_t nonce);
/** Address of CREATE2: keccak(0xff ‖ sender ‖ salt ‖ keccak(initcode))[12:]. */
addr_t evm_create2_address(const addr_t *sender, const uint8_t salt[static 32],
                           const uint8_t *initcode, size_t n);

/** EIP-7702: if code is a delegation designator 0xef0100 ‖ address, store the address and
 *  return true. */
bool evm_parse_delegation(bview_t code, addr_t *target);

enum {
    EVM_DELEGATION_LEN = 23
};

/** Write 0xef0100 ‖ target. */
void evm_make_delegation(uint8_t out[static 23], const addr_t *target);

/** EIP-2935 history contract (SCROLL.md §0) and its ring size. */
extern const addr_t EVM_HISTORY_CONTRACT;

enum {
    EVM_HISTORY_SERVE_WINDOW = 8191
};

#endif
