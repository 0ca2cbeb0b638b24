/* src/crypto/keccak_impl.h — internal to crypto/, its tests and bench_keccak: which body of
 * Keccak-f[1600] runs. Not part of the module's contract; other modules include crypto.h only. */
#ifndef RN_CRYPTO_KECCAK_IMPL_H
#define RN_CRYPTO_KECCAK_IMPL_H

#include <stdbool.h>

typedef enum keccak_impl {
    KECCAK_IMPL_PORTABLE = 0, /**< plain C, lane-complemented chi; every target */
    KECCAK_IMPL_BMI = 1,      /**< x86-64 with BMI1 + BMI2 (ANDN, RORX) */
} keccak_impl_t;

/**
 * Make impl the body every keccak function uses, for the whole process. Returns false (and
 * changes nothing) if this build or this CPU lacks it. The default, chosen before main, is the
 * fastest the CPU supports. Not thread-safe: call only while no thread is hashing.
 */
bool keccak_impl_select(keccak_impl_t impl);
keccak_impl_t keccak_impl_active(void);
/** "portable" or "bmi". */
const char *keccak_impl_name(keccak_impl_t impl);

/** Which body keccak256_many uses for four inputs at a time (x86-64 only). */
typedef enum keccak_x4 {
    KECCAK_X4_NONE = 0,   /**< one input at a time with the active keccak_impl_t */
    KECCAK_X4_AVX2 = 1,   /**< four lanes in a 256-bit vector */
    KECCAK_X4_AVX512 = 2, /**< the same with AVX-512VL's rotate and ternary logic */
} keccak_x4_t;

/** As keccak_impl_select, for keccak256_many's body. */
bool keccak_x4_select(keccak_x4_t impl);
keccak_x4_t keccak_x4_active(void);
/** "none", "avx2" or "avx512". */
const char *keccak_x4_name(keccak_x4_t impl);

#endif
