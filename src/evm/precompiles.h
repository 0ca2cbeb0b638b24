/* src/evm/precompiles.h — precompiled contracts (internal to the evm module; the interpreter's
 * call path is the only user). Which precompiles exist at which address, and their pricing
 * variants, are data: the caller fills precompile_rules_t from its fork rules. */
#ifndef RN_EVM_PRECOMPILES_H
#define RN_EVM_PRECOMPILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef enum precompile_id {
    PC_NONE = 0, /**< not a precompile: a plain account */
    PC_ECRECOVER,
    PC_SHA256,
    PC_RIPEMD160,
    PC_IDENTITY,
    PC_MODEXP,
    PC_BN254_ADD,
    PC_BN254_MUL,
    PC_BN254_PAIRING,
    PC_BLAKE2F,
    PC_P256VERIFY,
    PC_KZG_POINT_EVAL, /**< 0x0a: not supported (never on Scroll); see docs */
    PC_BLS,            /**< 0x0b–0x11: not supported (never on Scroll) */
} precompile_id_t;

typedef enum pc_variant {
    PC_ABSENT = 0,   /**< address is a plain account */
    PC_STANDARD = 1, /**< Ethereum behaviour for the rules below */
    PC_DISABLED =
        2, /**< Scroll: in the precompile set (warm) but every call fails, using all gas */
} pc_variant_t;

typedef enum modexp_pricing {
    MODEXP_EIP198 = 0,  /**< Byzantium pricing (pre-Berlin) */
    MODEXP_EIP2565 = 1, /**< Berlin .. Prague */
    MODEXP_EIP7883 = 2, /**< Osaka: EIP-7883 pricing and EIP-7823 1024-byte operand limit */
} modexp_pricing_t;

typedef enum p256_variant {
    P256_RIP7212 = 0, /**< 3450 gas */
    P256_EIP7951 = 1, /**< 6900 gas, stricter input checks */
} p256_variant_t;

/** Everything that differs between forks and chains. Built once per rule set. */
typedef struct precompile_rules {
    pc_variant_t at[0x12];   /**< addresses 0x01..0x11 (index = address byte) */
    pc_variant_t p256verify; /**< address 0x100 */
    modexp_pricing_t modexp;
    bool modexp_max_32_bytes;   /**< Scroll pre-Galileo: any length > 32 errors */
    uint32_t pairing_max_pairs; /**< 0 = unlimited; Scroll pre-Feynman: 4 */
    p256_variant_t p256;
} precompile_rules_t;

/** Which precompile, if any, lives at `a` under `r` (PC_NONE for plain accounts). */
precompile_id_t precompile_lookup(const precompile_rules_t *r, const addr_t *a);

/** True if `a` is in the precompile set (warm under EIP-2929), disabled ones included. */
bool precompile_is_warm(const precompile_rules_t *r, const addr_t *a);

typedef struct precompile_result {
    bool success;      /**< false: the call fails and consumes all gas given to it */
    uint64_t gas_used; /**< <= gas_limit when success */
} precompile_result_t;

/**
 * Run precompile `id` on input[0..n) with gas_limit. Output bytes are appended to `out` (which the
 * caller resets first). If the gas cost exceeds gas_limit, or the input is invalid for a precompile
 * that errors on bad input, or the precompile is disabled, result.success = false (all gas used,
 * no output). Deterministic, no global state, thread-safe.
 */
precompile_result_t precompile_run(const precompile_rules_t *r, precompile_id_t id,
                                   const uint8_t *input, size_t n, uint64_t gas_limit, buf_t *out);

/** Fill rules for an Ethereum fork: 0 = Shanghai, 1 = Cancun, 2 = Prague, 3 = Osaka. */
void precompile_rules_ethereum(precompile_rules_t *r, int fork);

/** Fill rules for a Scroll spec per SCROLL.md §2.2: 1 = SHANGHAI .. 7 = GALILEO (scroll-revm order:
 *  SHANGHAI(1) BERNOULLI(2) CURIE(3) DARWIN(4) EUCLID(5) FEYNMAN(6) GALILEO(7)). */
void precompile_rules_scroll(precompile_rules_t *r, int spec);

#endif
