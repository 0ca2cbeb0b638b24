/* src/base/u256.h — 256-bit unsigned integers with every EVM operation.
 *
 * Four 64-bit limbs, least significant first (intx). Values are passed by value; the simple
 * operations are static inline here, the heavy ones (mul, div, exp, text conversions) live in
 * u256.c. Signed operations treat the value as two's complement. Semantics follow the EVM
 * (Yellow Paper appendix H): division by zero gives 0, shifts >= 256 give 0 (or all ones for SAR
 * of a negative), and so on. */
#ifndef RN_BASE_U256_H
#define RN_BASE_U256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/** 128-bit unsigned helper type (GCC/Clang extension, marked so -Wpedantic accepts it). */
__extension__ typedef unsigned __int128 u128_t;

typedef struct u256 {
    uint64_t w[4]; /**< w[0] least significant */
} u256_t;

static inline u256_t u256_zero(void)
{
    u256_t r = { { 0, 0, 0, 0 } };
    return r;
}

static inline u256_t u256_from_u64(uint64_t v)
{
    u256_t r = { { v, 0, 0, 0 } };
    return r;
}

static inline u256_t u256_max(void)
{
    u256_t r = { { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX } };
    return r;
}

static inline bool u256_is_zero(u256_t a)
{
    return (a.w[0] | a.w[1] | a.w[2] | a.w[3]) == 0;
}

static inline bool u256_fits_u64(u256_t a)
{
    return (a.w[1] | a.w[2] | a.w[3]) == 0;
}

static inline uint64_t u256_low64(u256_t a)
{
    return a.w[0];
}

static inline bool u256_eq(u256_t a, u256_t b)
{
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2]) | (a.w[3] ^ b.w[3])) == 0;
}

static inline bool u256_lt(u256_t a, u256_t b)
{
    for (int i = 3; i >= 0; i--) {
        if (a.w[i] != b.w[i])
            return a.w[i] < b.w[i];
    }
    return false;
}

static inline bool u256_gt(u256_t a, u256_t b)
{
    return u256_lt(b, a);
}

static inline bool u256_is_neg(u256_t a)
{
    return (a.w[3] >> 63) != 0;
}

static inline bool u256_slt(u256_t a, u256_t b)
{
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    if (na != nb)
        return na;
    return u256_lt(a, b);
}

static inline bool u256_sgt(u256_t a, u256_t b)
{
    return u256_slt(b, a);
}

/** -1 / 0 / 1 unsigned comparison. */
static inline int u256_cmp(u256_t a, u256_t b)
{
    return u256_lt(a, b) ? -1 : u256_eq(a, b) ? 0 : 1;
}

static inline u256_t u256_add(u256_t a, u256_t b)
{
    u256_t r;
    u128_t c = 0;
    for (int i = 0; i < 4; i++) {
        c += (u128_t)a.w[i] + b.w[i];
        r.w[i] = (uint64_t)c;
        c >>= 64;
    }
    return r;
}

/** a + b; returns true on overflow past 2^256 (r holds the wrapped sum). */
static inline bool u256_add_overflow(u256_t a, u256_t b, u256_t *r)
{
    u128_t c = 0;
    for (int i = 0; i < 4; i++) {
        c += (u128_t)a.w[i] + b.w[i];
        r->w[i] = (uint64_t)c;
        c >>= 64;
    }
    return c != 0;
}

static inline u256_t u256_sub(u256_t a, u256_t b)
{
    u256_t r;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t d = a.w[i] - b.w[i];
        uint64_t b1 = a.w[i] < b.w[i];
        uint64_t d2 = d - borrow;
        uint64_t b2 = d < borrow;
        r.w[i] = d2;
        borrow = b1 | b2;
    }
    return r;
}

static inline u256_t u256_and(u256_t a, u256_t b)
{
    u256_t r = { { a.w[0] & b.w[0], a.w[1] & b.w[1], a.w[2] & b.w[2], a.w[3] & b.w[3] } };
    return r;
}

static inline u256_t u256_or(u256_t a, u256_t b)
{
    u256_t r = { { a.w[0] | b.w[0], a.w[1] | b.w[1], a.w[2] | b.w[2], a.w[3] | b.w[3] } };
    return r;
}

static inline u256_t u256_xor(u256_t a, u256_t b)
{
    u256_t r = { { a.w[0] ^ b.w[0], a.w[1] ^ b.w[1], a.w[2] ^ b.w[2], a.w[3] ^ b.w[3] } };
    return r;
}

static inline u256_t u256_not(u256_t a)
{
    u256_t r = { { ~a.w[0], ~a.w[1], ~a.w[2], ~a.w[3] } };
    return r;
}

/** Two's complement negation. */
static inline u256_t u256_neg(u256_t a)
{
    return u256_sub(u256_zero(), a);
}

/* ---- in u256.c ---- */

/** a * b mod 2^256. */
u256_t u256_mul(u256_t a, u256_t b);
/** a * b; returns true if the full product does not fit in 256 bits. */
bool u256_mul_overflow(u256_t a, u256_t b, u256_t *r);
/** Unsigned division; 0 when b == 0 (EVM DIV). */
u256_t u256_div(u256_t a, u256_t b);
/** Unsigned remainder; 0 when b == 0 (EVM MOD). */
u256_t u256_mod(u256_t a, u256_t b);
/** Quotient and remainder in one pass; both 0 when b == 0. Either output may be NULL. */
void u256_divmod(u256_t a, u256_t b, u256_t *q, u256_t *r);
/** Signed division, truncating toward zero; 0 when b == 0; -2^255 / -1 = -2^255 (EVM SDIV). */
u256_t u256_sdiv(u256_t a, u256_t b);
/** Signed remainder with the sign of a; 0 when b == 0 (EVM SMOD). */
u256_t u256_smod(u256_t a, u256_t b);
/** (a + b) mod m over the full 257-bit sum; 0 when m == 0 (EVM ADDMOD). */
u256_t u256_addmod(u256_t a, u256_t b, u256_t m);
/** (a * b) mod m over the full 512-bit product; 0 when m == 0 (EVM MULMOD). */
u256_t u256_mulmod(u256_t a, u256_t b, u256_t m);
/** base ^ exponent mod 2^256 (EVM EXP). */
u256_t u256_exp(u256_t base, u256_t exponent);
/** EVM SIGNEXTEND: extend the sign of byte b (0 = least significant) of x; b >= 31 returns x. */
u256_t u256_signextend(u256_t b, u256_t x);
/** EVM BYTE: byte i of x counting from the most significant (i >= 32 gives 0). */
u256_t u256_byte(u256_t i, u256_t x);
/** EVM SHL/SHR/SAR with the shift as a 256-bit value (shift >= 256 saturates). */
u256_t u256_shl(u256_t shift, u256_t x);
u256_t u256_shr(u256_t shift, u256_t x);
u256_t u256_sar(u256_t shift, u256_t x);
/** Shifts by a small count (n < 256 required; n >= 256 returns 0). */
u256_t u256_shl_n(u256_t x, unsigned n);
u256_t u256_shr_n(u256_t x, unsigned n);
/** Number of leading zero bits (256 for 0) — EVM CLZ (EIP-7939). */
unsigned u256_clz(u256_t x);
/** Number of significant bits (0 for 0). */
unsigned u256_bit_length(u256_t x);
/** Number of significant bytes (0 for 0). */
unsigned u256_byte_length(u256_t x);

/** From up to 32 big-endian bytes (right-aligned: "01 02" is 0x0102). n > 32 uses the last 32. */
u256_t u256_from_be(const uint8_t *p, size_t n);
/** To exactly 32 big-endian bytes. */
void u256_to_be(uint8_t out[32], u256_t x);
/**
 * Parse hex: an optional 0x/0X prefix, then 1..64 digits of either case (leading zeros allowed
 * within the 64). ERR_NUM_INVALID if there are no digits or one is not hex; ERR_NUM_OVERFLOW
 * for more than 64 digits, even if the extra ones are leading zeros (the length is checked
 * first). *out is written only on success.
 */
RN_NODISCARD err_t u256_from_hex(const char *s, size_t n, u256_t *out);
/**
 * Parse decimal digits (any number of leading zeros; no sign, no spaces). ERR_NUM_INVALID if
 * empty or a character is not a digit (checked before the value); ERR_NUM_OVERFLOW if the value
 * is >= 2^256. *out is written only on success.
 */
RN_NODISCARD err_t u256_from_dec(const char *s, size_t n, u256_t *out);
/** Parse either: "0x..."/"0X..." as u256_from_hex, otherwise as u256_from_dec. */
RN_NODISCARD err_t u256_parse(const char *s, size_t n, u256_t *out);
/** Minimal "0x"-prefixed lowercase hex, "0x0" for zero (JSON-RPC quantity). out: 67 bytes. */
void u256_to_hex(char out[67], u256_t x);
/** Decimal text. out: 79 bytes. */
void u256_to_dec(char out[79], u256_t x);

#endif
