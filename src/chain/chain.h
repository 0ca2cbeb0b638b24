/* src/chain/chain.h — Scroll chain rules: fork specs, the L1 data fee and the L2 base fee
 * (SCROLL.md §1, §4, §5). Chain specs, genesis and the block executor join this header in
 * issue #4. */
#ifndef RN_CHAIN_CHAIN_H
#define RN_CHAIN_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/** scroll-revm's spec levels, in order (SCROLL.md §1.2). EUCLID is the EuclidV2 fork. */
typedef enum scroll_spec {
    SCROLL_SPEC_SHANGHAI = 1,
    SCROLL_SPEC_BERNOULLI = 2,
    SCROLL_SPEC_CURIE = 3,
    SCROLL_SPEC_DARWIN = 4,
    SCROLL_SPEC_EUCLID = 5,
    SCROLL_SPEC_FEYNMAN = 6,
    SCROLL_SPEC_GALILEO = 7,
} scroll_spec_t;

/** L1GasPriceOracle (0x5300…02) storage values that feed the fee (SCROLL.md §4.1). */
typedef struct gpo_values {
    u256_t l1_base_fee;       /**< slot 1 */
    u256_t overhead;          /**< slot 2 (pre-Curie) */
    u256_t scalar;            /**< slot 3 (pre-Curie, ×1e9) */
    u256_t l1_blob_base_fee;  /**< slot 5 (Curie+) */
    u256_t commit_scalar;     /**< slot 6: Curie commit scalar; Feynman+ exec scalar (×1e9) */
    u256_t blob_scalar;       /**< slot 7 (×1e9) */
    u256_t penalty_threshold; /**< slot 9 (Feynman, ×1e9) */
    u256_t penalty_factor;    /**< slot 10 (Feynman multiplier ×1e9; Galileo divisor) */
} gpo_values_t;

enum {
    GPO_SLOT_L1_BASE_FEE = 1,
    GPO_SLOT_OVERHEAD = 2,
    GPO_SLOT_SCALAR = 3,
    GPO_SLOT_L1_BLOB_BASE_FEE = 5,
    GPO_SLOT_COMMIT_SCALAR = 6,
    GPO_SLOT_BLOB_SCALAR = 7,
    GPO_SLOT_IS_CURIE = 8,
    GPO_SLOT_PENALTY_THRESHOLD = 9,
    GPO_SLOT_PENALTY_FACTOR = 10,
    GPO_SLOT_IS_FEYNMAN = 11,
    GPO_SLOT_IS_GALILEO = 12,
};

/**
 * L1 data fee of a transaction under `spec` (SCROLL.md §4.2), capped at 2^64−1.
 * raw = the EIP-2718 encoding of the signed transaction; input = its calldata (Feynman's
 * compression ratio is over the calldata only). L1 messages and system txs pay 0: the caller
 * does not call this for them. Intermediate products saturate at 2^256−1 like revm.
 */
uint64_t scroll_l1_fee(scroll_spec_t spec, const gpo_values_t *gpo, bview_t raw, bview_t input);

/** The formulas with the compression results given, for tests and tools. */
uint64_t scroll_l1_fee_feynman_ratio(const gpo_values_t *gpo, size_t n, u256_t ratio);
uint64_t scroll_l1_fee_galileo_size(const gpo_values_t *gpo, uint64_t compressed_size);

/**
 * Length of the zstd frame Scroll's fee rules measure (SCROLL.md §4.3): level 3, literal
 * compression disabled, window log 22, target block size 126 976, magicless frame, no checksum,
 * no dictionary id, content size in the header. Returns SIZE_MAX if compression fails.
 */
size_t scroll_zstd_size(const uint8_t *p, size_t n);

/** Feynman compression ratio ×1e9 of calldata: 2^256−1 for empty input (SCROLL.md §4.2). */
u256_t scroll_compression_ratio(bview_t input);

enum { SCROLL_MAX_BASE_FEE = 10000000000ull }; /**< 10 gwei cap (SCROLL.md §5.1) */
#define SCROLL_DEFAULT_BASE_FEE_SCALAR   34000000000000ull /**< 3.4e13 with 1e18 precision */
#define SCROLL_DEFAULT_BASE_FEE_OVERHEAD 15680000ull

/** Curie … before Feynman: min(10 gwei, l1BaseFee·scalar/1e18 + overhead). Zero scalar or
 *  overhead (unset L2SystemConfig slots) mean the defaults above. */
uint64_t scroll_base_fee_curie(u256_t l1_base_fee, u256_t scalar, u256_t overhead);

/** Feynman and later: EIP-1559 step on (parent base fee − overhead), then + overhead, capped at
 *  10 gwei. parent_is_feynman false (the first Feynman block) returns the parent's base fee
 *  (10 000 000 if it has none, as reth). `overhead` is taken as given (see
 *  docs/decisions/0006-feynman-base-fee-overhead.md). */
uint64_t scroll_base_fee_feynman(bool parent_is_feynman, bool parent_has_base_fee,
                                 uint64_t parent_base_fee, uint64_t parent_gas_limit,
                                 uint64_t parent_gas_used, uint64_t overhead);

#endif
