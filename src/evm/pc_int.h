/* src/evm/pc_int.h — internals of the precompiled contracts (precompiles.c and pc_*.c), shared
 * with their unit tests and fuzz target. Nothing outside those files includes this header.
 *
 * The bn254 (alt_bn128) arithmetic is our own: the base field Fp in Montgomery form (four 64-bit
 * limbs, least significant first), the tower Fp2 = Fp[i]/(i^2 + 1), Fp6 = Fp2[v]/(v^3 - xi) with
 * xi = 9 + i, Fp12 = Fp6[w]/(w^2 - v); G1 = E(Fp): y^2 = x^3 + 3 and G2 on the sextic D-twist
 * E'(Fp2): y^2 = x^3 + 3/xi, both in Jacobian coordinates (z = 0 is the point at infinity). */
#ifndef RN_EVM_PC_INT_H
#define RN_EVM_PC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- bn254 field tower and groups (pc_bn254.c) ---- */

typedef struct bn_fp {
    uint64_t l[4]; /**< Montgomery form a·2^256 mod p, fully reduced (< p) */
} bn_fp_t;

typedef struct bn_fp2 {
    bn_fp_t c0, c1; /**< c0 + c1·i */
} bn_fp2_t;

typedef struct bn_fp6 {
    bn_fp2_t c0, c1, c2; /**< c0 + c1·v + c2·v^2 */
} bn_fp6_t;

typedef struct bn_fp12 {
    bn_fp6_t c0, c1; /**< c0 + c1·w */
} bn_fp12_t;

typedef struct bn_g1 {
    bn_fp_t x, y, z; /**< Jacobian: (x/z^2, y/z^3); z = 0 is infinity */
} bn_g1_t;

typedef struct bn_g2 {
    bn_fp2_t x, y, z; /**< Jacobian over Fp2; z = 0 is infinity */
} bn_g2_t;

/** Decode a G1 point as EIP-196 encodes it: x ‖ y, 32-byte big-endian each; (0, 0) is infinity.
 *  False if a coordinate is >= p or the point is not on the curve. */
bool bn_g1_decode(bn_g1_t *out, const uint8_t in[64]);
/** Encode in affine form (infinity as 64 zero bytes). */
void bn_g1_encode(uint8_t out[64], const bn_g1_t *a);
/** Decode a G2 point as EIP-197 encodes it: x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0 (imaginary part first);
 *  all zero is infinity. False if a coordinate is >= p, the point is not on the twist, or it is
 *  not in the order-r subgroup. */
bool bn_g2_decode(bn_g2_t *out, const uint8_t in[128]);
void bn_g2_encode(uint8_t out[128], const bn_g2_t *a);

void bn_g1_add(bn_g1_t *r, const bn_g1_t *a, const bn_g1_t *b);
/** k·a for a 256-bit scalar given as four limbs, least significant first. */
void bn_g1_mul(bn_g1_t *r, const bn_g1_t *a, const uint64_t k[4]);
void bn_g2_add(bn_g2_t *r, const bn_g2_t *a, const bn_g2_t *b);
void bn_g2_mul(bn_g2_t *r, const bn_g2_t *a, const uint64_t k[4]);
bool bn_g2_is_on_curve(const bn_g2_t *a);
bool bn_g2_in_subgroup(const bn_g2_t *a);

/** Product of the optimal ate pairings e(P_j, Q_j), j < n, final exponentiation included.
 *  Pairs where either point is infinity contribute 1. */
void bn_pairing(bn_fp12_t *out, const bn_g1_t *p, const bn_g2_t *q, size_t n);

void bn_fp12_one(bn_fp12_t *r);
bool bn_fp12_eq(const bn_fp12_t *a, const bn_fp12_t *b);
void bn_fp12_mul(bn_fp12_t *r, const bn_fp12_t *a, const bn_fp12_t *b);
/** a^e for an exponent of n limbs, least significant first. */
void bn_fp12_pow(bn_fp12_t *r, const bn_fp12_t *a, const uint64_t *e, size_t n);
/** a^(p^k) for k = 1, 2, 3 by the Frobenius map. */
void bn_fp12_frobenius(bn_fp12_t *r, const bn_fp12_t *a, int k);
/** Fp12 element from 12 base-field values (each < 2^256; reduced mod p), in tower order
 *  c0.c0.c0, c0.c0.c1, c0.c1.c0, ... c1.c2.c1. */
void bn_fp12_from_u64s(bn_fp12_t *r, uint64_t v[12][4]);
/** Squaring valid only in the cyclotomic subgroup (e.g. any pairing value): Granger-Scott. */
void bn_fp12_cyclotomic_sqr(bn_fp12_t *r, const bn_fp12_t *a);
/** Multiply by a sparse line value g0 + g1·w + g3·w^3 (the Miller loop's special product). */
void bn_fp12_mul_line(bn_fp12_t *f, const bn_fp2_t *g0, const bn_fp2_t *g1, const bn_fp2_t *g3);
/** The order r of G1, G2 and GT, four limbs. */
extern const uint64_t BN_R[4];
/** The field prime p, four limbs. */
extern const uint64_t BN_P[4];

/** The three precompiles on padded inputs. False means "invalid input" (the call errors). */
bool bn_precompile_add(uint8_t out[64], const uint8_t in[128]);
bool bn_precompile_mul(uint8_t out[64], const uint8_t in[96]);
/** n must be a multiple of 192. *result receives whether the pairing product is one. */
bool bn_precompile_pairing(bool *result, const uint8_t *in, size_t n);

/* ---- blake2f (pc_blake2f.c) ---- */

/** The BLAKE2b compression function F (RFC 7693 §3.2) with a caller-chosen round count. */
void blake2b_compress(uint64_t h[8], const uint64_t m[16], const uint64_t t[2], bool final,
                      uint32_t rounds);

/* ---- modexp (pc_modexp.c) ---- */

typedef struct modexp_args {
    uint64_t base_len, exp_len, mod_len; /**< saturated at UINT64_MAX */
    bool lens_over_32;                   /**< any of the three words > 32 */
    bool lens_over_1024;                 /**< any of the three words > 1024 */
} modexp_args_t;

/** Parse the three length words (input right-padded with zeros). */
void modexp_parse(modexp_args_t *a, const uint8_t *in, size_t n);
/** Gas under `pricing` (a modexp_pricing_t), saturating at UINT64_MAX. */
uint64_t modexp_gas(const modexp_args_t *a, int pricing, const uint8_t *in, size_t n);
/** Compute the output (mod_len bytes) into out, which must have room for mod_len bytes. Only
 *  mod_len must be bounded by the caller (gas pays for it): a truncated base or exponent implies
 *  a zero modulus, so their bignums never exceed the input size. */
void modexp_compute(uint8_t *out, const modexp_args_t *a, const uint8_t *in, size_t n);

/* ---- P256VERIFY (pc_p256.c) ---- */

/** True iff in[0..160) = hash ‖ r ‖ s ‖ qx ‖ qy is a valid secp256r1 ECDSA signature under the
 *  EIP-7951 checks (r, s in [1, n-1]; qx, qy < p; Q on the curve and not infinity). */
bool p256_verify(const uint8_t in[160]);

#endif
