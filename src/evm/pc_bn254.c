/* src/evm/pc_bn254.c — alt_bn128 (bn254) arithmetic for the EIP-196/197 precompiles: the field
 * tower, G1 and G2 in Jacobian coordinates, and the optimal ate pairing.
 *
 * Our own implementation, written from the published mathematics:
 *  - curve and encodings: EIP-196 and EIP-197;
 *  - tower Fp2/Fp6/Fp12 and the D-type sextic twist: Beuchat et al., "High-Speed Software
 *    Implementation of the Optimal Ate Pairing over Barreto-Naehrig Curves" (2010), §2-4;
 *  - final exponentiation: the hard part (p^4 - p^2 + 1)/r = λ3·p^3 + λ2·p^2 + λ1·p + λ0 with
 *    λ3 = 1, λ2 = 6u^2 + 1, λ1 = -36u^3 - 18u^2 - 12u + 1, λ0 = -36u^3 - 30u^2 - 18u - 2
 *    (Scott et al., "On the Final Exponentiation for Calculating Pairings on Ordinary Elliptic
 *    Curves", 2009), evaluated directly from f^u, f^(u^2), f^(u^3).
 * Line functions are derived in comments next to the code. None of this is constant time: every
 * input of a precompile is public.
 *
 * Parameters (u = 4965661367192848881):
 *   p = 36u^4 + 36u^3 + 24u^2 + 6u + 1, r = 36u^4 + 36u^3 + 18u^2 + 6u + 1,
 *   Miller loop length 6u + 2 = 0x19d797039be763ba8. */
#include <string.h>

#include "evm/pc_int.h"
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "base/bytes.h"
#include "base/u256.h"

/* ---- constants (all field constants in Montgomery form; generated with Python's integers
 *      from the definitions in the comments and re-checked by tests/unit/evm) ---- */

const uint64_t BN_P[4] = { 0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL,
                           0x30644e72e131a029ULL };
const uint64_t BN_R[4] = { 0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL,
                           0x30644e72e131a029ULL };

static const bn_fp_t FP_P = { { 0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL,
                                0x30644e72e131a029ULL } };
/** -p^-1 mod 2^64 */
static const uint64_t FP_PINV = 0x87d20782e4866389ULL;
/** 2^256 mod p: one in Montgomery form. */
static const bn_fp_t FP_ONE = { { 0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL,
                                  0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL } };
/** 2^512 mod p: converts into Montgomery form. */
static const bn_fp_t FP_R2 = { { 0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL,
                                 0x47ab1eff0a417ff6ULL, 0x06d89f71cab8351fULL } };
/** p - 2, the Fermat inversion exponent. */
static const uint64_t FP_P_MINUS_2[4] = { 0x3c208c16d87cfd45ULL, 0x97816a916871ca8dULL,
                                          0xb85045b68181585dULL, 0x30644e72e131a029ULL };
/** 6u + 2 = 2^64 + ATE_LOOP_LO */
static const uint64_t ATE_LOOP_LO = 0x9d797039be763ba8ULL;
/** u */
static const uint64_t BN_U = 0x44e992b44a6909f1ULL;

/* clang-format off */
#define FP(a, b, c, d) { { a, b, c, d } }
#define FP2(a0, a1, a2, a3, b0, b1, b2, b3) { FP(a0, a1, a2, a3), FP(b0, b1, b2, b3) }

/** b' = 3 / xi, the twist's constant. */
static const bn_fp2_t TWIST_B = FP2(
    0x3bf938e377b802a8ULL, 0x020b1b273633535dULL, 0x26b7edf049755260ULL, 0x2514c6324384a86dULL,
    0x38e7ecccd1dcff67ULL, 0x65f0b37d93ce0d3eULL, 0xd749d0dd22ac00aaULL, 0x0141b9ce4a688d4dULL);
/** 3 (the curve constant b) in Montgomery form. */
static const bn_fp_t CURVE_B = FP(
    0x7a17caa950ad28d7ULL, 0x1f6ac17ae15521b9ULL, 0x334bea4e696bd284ULL, 0x2a1f6744ce179d8eULL);

/** FROB1[k-1] = xi^(k(p-1)/6), k = 1..5. */
static const bn_fp2_t FROB1[5] = {
    FP2(0xaf9ba69633144907ULL, 0xca6b1d7387afb78aULL, 0x11bded5ef08a2087ULL, 0x02f34d751a1f3a7cULL,
        0xa222ae234c492d72ULL, 0xd00f02a4565de15bULL, 0xdc2ff3a253dfc926ULL, 0x10a75716b3899551ULL),
    FP2(0xb5773b104563ab30ULL, 0x347f91c8a9aa6454ULL, 0x7a007127242e0991ULL, 0x1956bcd8118214ecULL,
        0x6e849f1ea0aa4757ULL, 0xaa1c7b6d89f89141ULL, 0xb6e713cdfae0ca3aULL, 0x26694fbb4e82ebc3ULL),
    FP2(0xe4bbdd0c2936b629ULL, 0xbb30f162e133bacbULL, 0x31a9d1b6f9645366ULL, 0x253570bea500f8ddULL,
        0xa1d77ce45ffe77c7ULL, 0x07affd117826d1dbULL, 0x6d16bd27bb7edc6bULL, 0x2c87200285defeccULL),
    FP2(0x7361d77f843abe92ULL, 0xa5bb2bd3273411fbULL, 0x9c941f314b3e2399ULL, 0x15df9cddbb9fd3ecULL,
        0x5dddfd154bd8c949ULL, 0x62cb29a5a4445b60ULL, 0x37bc870a0c7dd2b9ULL, 0x24830a9d3171f0fdULL),
    FP2(0xc970692f41690fe7ULL, 0xe240342127694b0bULL, 0x32bee66b83c459e8ULL, 0x12aabced0ab08841ULL,
        0x0d485d2340aebfa9ULL, 0x05193418ab2fcc57ULL, 0xd3b0a40b8a4910f5ULL, 0x2f21ebb535d2925aULL),
};
/** FROB2[k-1] = xi^(k(p^2-1)/6), k = 1..5 (all in Fp). */
static const bn_fp_t FROB2[5] = {
    FP(0xca8d800500fa1bf2ULL, 0xf0c5d61468b39769ULL, 0x0e201271ad0d4418ULL, 0x04290f65bad856e6ULL),
    FP(0x3350c88e13e80b9cULL, 0x7dce557cdb5e56b9ULL, 0x6001b4b8b615564aULL, 0x2682e617020217e0ULL),
    FP(0x68c3488912edefaaULL, 0x8d087f6872aabf4fULL, 0x51e1a24709081231ULL, 0x2259d6b14729c0faULL),
    FP(0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL, 0xaa303344d4741444ULL, 0x2c3b3f0d26594943ULL),
    FP(0x08cfc388c494f1abULL, 0x19b315148d1373d4ULL, 0x584e90fdcb6c0213ULL, 0x09e1685bdf2f8849ULL),
};
/** FROB3[k-1] = xi^(k(p^3-1)/6), k = 1..5. */
static const bn_fp2_t FROB3[5] = {
    FP2(0x365316184e46d97dULL, 0x0af7129ed4c96d9fULL, 0x659da72fca1009b5ULL, 0x08116d8983a20d23ULL,
        0xb1df4af7c39c1939ULL, 0x3d9f02878a73bf7fULL, 0x9b2220928caf0ae0ULL, 0x26684515eff054a6ULL),
    FP2(0xc9af22f716ad6badULL, 0xb311782a4aa662b2ULL, 0x19eeaf64e248c7f4ULL, 0x20273e77e3439f82ULL,
        0xacc02860f7ce93acULL, 0x3933d5817ba76b4cULL, 0x69e6188b446c8467ULL, 0x0a46036d4417cc55ULL),
    FP2(0x5764af0aaf46471eULL, 0xdc50792e873e0fc1ULL, 0x86a673ff881d04f6ULL, 0x0b2eddb43c30a74cULL,
        0x9a490f32787e8580ULL, 0x8fd16d7ff04af8b1ULL, 0x4b39888ec6027bf2ULL, 0x03dd2e705b52a15dULL),
    FP2(0x448a93a57b6762dfULL, 0xbfd62df528fdeadfULL, 0xd858f5d00e9bd47aULL, 0x06b03d4d3476ec58ULL,
        0x2b19daf4bcc936d1ULL, 0xa1a54e7a56f4299fULL, 0xb533eee05adeaef1ULL, 0x170c812b84dda0b2ULL),
    FP2(0xe0bc4b2275cf559fULL, 0xc238b945c154e60fULL, 0x803982a5929a7d5eULL, 0x15ce052df7e4a37eULL,
        0x2d28efbdbf3799a7ULL, 0x9b097e3c1ad60773ULL, 0x982d4113af4a535bULL, 0x24e18991e3056063ULL),
};

/* clang-format on */

/* ================================ Fp ================================ */

static inline bool fp_is_zero(const bn_fp_t *a)
{
    return (a->l[0] | a->l[1] | a->l[2] | a->l[3]) == 0;
}

static inline bool fp_eq(const bn_fp_t *a, const bn_fp_t *b)
{
    return ((a->l[0] ^ b->l[0]) | (a->l[1] ^ b->l[1]) | (a->l[2] ^ b->l[2]) |
            (a->l[3] ^ b->l[3])) == 0;
}

/* Add/subtract with carry. On x86-64 the intrinsics compile to adc/sbb chains; GCC turns the
 * portable 128-bit form into much slower code. */
#if defined(__x86_64__)
static inline uint64_t sbb(uint64_t a, uint64_t b, uint64_t *borrow)
{
    unsigned long long d;
    *borrow = _subborrow_u64((unsigned char)*borrow, a, b, &d);
    return d;
}

static inline uint64_t adc(uint64_t a, uint64_t b, uint64_t *carry)
{
    unsigned long long s;
    *carry = _addcarry_u64((unsigned char)*carry, a, b, &s);
    return s;
}
#else
static inline uint64_t sbb(uint64_t a, uint64_t b, uint64_t *borrow)
{
    u128_t d = (u128_t)a - b - *borrow;
    *borrow = (uint64_t)(d >> 64) & 1;
    return (uint64_t)d;
}

static inline uint64_t adc(uint64_t a, uint64_t b, uint64_t *carry)
{
    u128_t s = (u128_t)a + b + *carry;
    *carry = (uint64_t)(s >> 64);
    return (uint64_t)s;
}
#endif

/** r = t - p if t >= p, else t. One step: callers pass t < 2p (< 2^255, so no carry limb). */
static inline void fp_reduce_once(bn_fp_t *r, const uint64_t t[4])
{
    uint64_t bw = 0;
    uint64_t s0 = sbb(t[0], FP_P.l[0], &bw);
    uint64_t s1 = sbb(t[1], FP_P.l[1], &bw);
    uint64_t s2 = sbb(t[2], FP_P.l[2], &bw);
    uint64_t s3 = sbb(t[3], FP_P.l[3], &bw);
    /* bw = 1: t < p, keep t. Branch-free select. */
    uint64_t mask = 0 - bw;
    r->l[0] = (t[0] & mask) | (s0 & ~mask);
    r->l[1] = (t[1] & mask) | (s1 & ~mask);
    r->l[2] = (t[2] & mask) | (s2 & ~mask);
    r->l[3] = (t[3] & mask) | (s3 & ~mask);
}

static inline void fp_add(bn_fp_t *r, const bn_fp_t *a, const bn_fp_t *b)
{
    uint64_t t[4], c = 0;
    t[0] = adc(a->l[0], b->l[0], &c);
    t[1] = adc(a->l[1], b->l[1], &c);
    t[2] = adc(a->l[2], b->l[2], &c);
    t[3] = adc(a->l[3], b->l[3], &c);
    fp_reduce_once(r, t);
}

static inline void fp_sub(bn_fp_t *r, const bn_fp_t *a, const bn_fp_t *b)
{
    uint64_t t[4], bw = 0;
    t[0] = sbb(a->l[0], b->l[0], &bw);
    t[1] = sbb(a->l[1], b->l[1], &bw);
    t[2] = sbb(a->l[2], b->l[2], &bw);
    t[3] = sbb(a->l[3], b->l[3], &bw);
    /* On borrow add p back (mask is all ones then). */
    uint64_t mask = 0 - bw, c = 0;
    r->l[0] = adc(t[0], FP_P.l[0] & mask, &c);
    r->l[1] = adc(t[1], FP_P.l[1] & mask, &c);
    r->l[2] = adc(t[2], FP_P.l[2] & mask, &c);
    r->l[3] = adc(t[3], FP_P.l[3] & mask, &c);
}

static inline void fp_dbl(bn_fp_t *r, const bn_fp_t *a)
{
    fp_add(r, a, a);
}

static inline void fp_neg(bn_fp_t *r, const bn_fp_t *a)
{
    static const bn_fp_t zero = { { 0, 0, 0, 0 } };
    fp_sub(r, &zero, a);
}

/** t + a·b + c as a (high, low) pair. */
#define MAC(hi, lo, t, a, b, c)                    \
    do {                                           \
        u128_t m_ = (u128_t)(a) * (b) + (t) + (c); \
        (lo) = (uint64_t)m_;                       \
        (hi) = (uint64_t)(m_ >> 64);               \
    } while (0)

/** Montgomery product a·b·2^-256 mod p: CIOS with the reduction interleaved, in the form that
 *  needs no carry limb because p's top limb is below 2^63 - 1 (inputs < p; output < p). */
static inline void fp_mul(bn_fp_t *r, const bn_fp_t *a, const bn_fp_t *b)
{
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        uint64_t bi = b->l[i], A, C, m, lo;
        MAC(A, t0, t0, a->l[0], bi, 0);
        m = t0 * FP_PINV;
        MAC(C, lo, t0, m, FP_P.l[0], 0);
        (void)lo;
        MAC(A, t1, t1, a->l[1], bi, A);
        MAC(C, t0, t1, m, FP_P.l[1], C);
        MAC(A, t2, t2, a->l[2], bi, A);
        MAC(C, t1, t2, m, FP_P.l[2], C);
        MAC(A, t3, t3, a->l[3], bi, A);
        MAC(C, t2, t3, m, FP_P.l[3], C);
        t3 = C + A;
    }
    uint64_t t[4] = { t0, t1, t2, t3 };
    fp_reduce_once(r, t);
}

static inline void fp_sqr(bn_fp_t *r, const bn_fp_t *a)
{
    fp_mul(r, a, a);
}

/** a^e (e given as four limbs). */
static void fp_pow(bn_fp_t *r, const bn_fp_t *a, const uint64_t e[4])
{
    bn_fp_t acc = FP_ONE;
    for (int i = 255; i >= 0; i--) {
        fp_sqr(&acc, &acc);
        if ((e[i / 64] >> (i % 64)) & 1)
            fp_mul(&acc, &acc, a);
    }
    *r = acc;
}

/** Inverse by Fermat's little theorem (0 maps to 0). */
static void fp_inv(bn_fp_t *r, const bn_fp_t *a)
{
    fp_pow(r, a, FP_P_MINUS_2);
}

/** From a raw integer v < 2^256 into Montgomery form: reduce below p (2^256 < 6p, so at most
 *  five subtractions), then v·R2·2^-256 = v·2^256 mod p. */
static void fp_from_raw(bn_fp_t *r, const uint64_t v[4])
{
    bn_fp_t t;
    memcpy(t.l, v, sizeof(t.l));
    for (int i = 0; i < 5; i++)
        fp_reduce_once(&t, t.l);
    fp_mul(r, &t, &FP_R2);
}

/** Parse 32 big-endian bytes; false if the value is >= p. */
static bool fp_from_be(bn_fp_t *r, const uint8_t in[32])
{
    uint64_t v[4];
    for (int i = 0; i < 4; i++)
        v[i] = be_load64(in + 8 * (3 - i));
    for (int i = 3; i >= 0; i--) {
        if (v[i] != FP_P.l[i]) {
            if (v[i] > FP_P.l[i])
                return false;
            break;
        }
        if (i == 0)
            return false; /* equal to p */
    }
    bn_fp_t t;
    memcpy(t.l, v, sizeof(v));
    fp_mul(r, &t, &FP_R2);
    return true;
}

static void fp_to_be(uint8_t out[32], const bn_fp_t *a)
{
    static const bn_fp_t one_raw = { { 1, 0, 0, 0 } };
    bn_fp_t t;
    fp_mul(&t, a, &one_raw); /* leave Montgomery form */
    for (int i = 0; i < 4; i++) {
        uint64_t w = t.l[3 - i];
        for (int j = 0; j < 8; j++)
            out[8 * i + j] = (uint8_t)(w >> (56 - 8 * j));
    }
}

/* ================================ Fp2 ================================ */

static inline void fp2_add(bn_fp2_t *r, const bn_fp2_t *a, const bn_fp2_t *b)
{
    fp_add(&r->c0, &a->c0, &b->c0);
    fp_add(&r->c1, &a->c1, &b->c1);
}

static inline void fp2_sub(bn_fp2_t *r, const bn_fp2_t *a, const bn_fp2_t *b)
{
    fp_sub(&r->c0, &a->c0, &b->c0);
    fp_sub(&r->c1, &a->c1, &b->c1);
}

static inline void fp2_dbl(bn_fp2_t *r, const bn_fp2_t *a)
{
    fp_dbl(&r->c0, &a->c0);
    fp_dbl(&r->c1, &a->c1);
}

static inline void fp2_neg(bn_fp2_t *r, const bn_fp2_t *a)
{
    fp_neg(&r->c0, &a->c0);
    fp_neg(&r->c1, &a->c1);
}

static inline void fp2_conj(bn_fp2_t *r, const bn_fp2_t *a)
{
    r->c0 = a->c0;
    fp_neg(&r->c1, &a->c1);
}

static inline bool fp2_is_zero(const bn_fp2_t *a)
{
    return fp_is_zero(&a->c0) && fp_is_zero(&a->c1);
}

static inline bool fp2_eq(const bn_fp2_t *a, const bn_fp2_t *b)
{
    return fp_eq(&a->c0, &b->c0) && fp_eq(&a->c1, &b->c1);
}

/** (a0 + a1 i)(b0 + b1 i) with i^2 = -1, Karatsuba: three base multiplications. */
static inline void fp2_mul(bn_fp2_t *r, const bn_fp2_t *a, const bn_fp2_t *b)
{
    bn_fp_t t0, t1, s0, s1;
    fp_mul(&t0, &a->c0, &b->c0);
    fp_mul(&t1, &a->c1, &b->c1);
    fp_add(&s0, &a->c0, &a->c1);
    fp_add(&s1, &b->c0, &b->c1);
    fp_mul(&s0, &s0, &s1);
    fp_sub(&r->c0, &t0, &t1);
    fp_sub(&s0, &s0, &t0);
    fp_sub(&r->c1, &s0, &t1);
}

/** (a0 + a1 i)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 i. */
static inline void fp2_sqr(bn_fp2_t *r, const bn_fp2_t *a)
{
    bn_fp_t s, d, m;
    fp_add(&s, &a->c0, &a->c1);
    fp_sub(&d, &a->c0, &a->c1);
    fp_mul(&m, &a->c0, &a->c1);
    fp_mul(&r->c0, &s, &d);
    fp_dbl(&r->c1, &m);
}

static inline void fp2_mul_fp(bn_fp2_t *r, const bn_fp2_t *a, const bn_fp_t *b)
{
    fp_mul(&r->c0, &a->c0, b);
    fp_mul(&r->c1, &a->c1, b);
}

/** a·xi with xi = 9 + i: (9 a0 - a1) + (a0 + 9 a1) i. */
static inline void fp2_mul_xi(bn_fp2_t *r, const bn_fp2_t *a)
{
    bn_fp_t t0, t1;
    fp_dbl(&t0, &a->c0);
    fp_dbl(&t0, &t0);
    fp_dbl(&t0, &t0);
    fp_add(&t0, &t0, &a->c0); /* 9 a0 */
    fp_dbl(&t1, &a->c1);
    fp_dbl(&t1, &t1);
    fp_dbl(&t1, &t1);
    fp_add(&t1, &t1, &a->c1); /* 9 a1 */
    bn_fp_t c0, c1;
    fp_sub(&c0, &t0, &a->c1);
    fp_add(&c1, &a->c0, &t1);
    r->c0 = c0;
    r->c1 = c1;
}

/** 1/(a0 + a1 i) = (a0 - a1 i)/(a0^2 + a1^2). */
static void fp2_inv(bn_fp2_t *r, const bn_fp2_t *a)
{
    bn_fp_t t0, t1;
    fp_sqr(&t0, &a->c0);
    fp_sqr(&t1, &a->c1);
    fp_add(&t0, &t0, &t1);
    fp_inv(&t0, &t0);
    fp_mul(&r->c0, &a->c0, &t0);
    fp_mul(&t1, &a->c1, &t0);
    fp_neg(&r->c1, &t1);
}

/* ================================ Fp6 ================================ */

static inline void fp6_add(bn_fp6_t *r, const bn_fp6_t *a, const bn_fp6_t *b)
{
    fp2_add(&r->c0, &a->c0, &b->c0);
    fp2_add(&r->c1, &a->c1, &b->c1);
    fp2_add(&r->c2, &a->c2, &b->c2);
}

static inline void fp6_sub(bn_fp6_t *r, const bn_fp6_t *a, const bn_fp6_t *b)
{
    fp2_sub(&r->c0, &a->c0, &b->c0);
    fp2_sub(&r->c1, &a->c1, &b->c1);
    fp2_sub(&r->c2, &a->c2, &b->c2);
}

static inline void fp6_neg(bn_fp6_t *r, const bn_fp6_t *a)
{
    fp2_neg(&r->c0, &a->c0);
    fp2_neg(&r->c1, &a->c1);
    fp2_neg(&r->c2, &a->c2);
}

/** Product in Fp2[v]/(v^3 - xi), Karatsuba with six Fp2 multiplications:
 *  c0 = a0b0 + xi((a1+a2)(b1+b2) - a1b1 - a2b2), c1 = (a0+a1)(b0+b1) - a0b0 - a1b1 + xi a2b2,
 *  c2 = (a0+a2)(b0+b2) - a0b0 - a2b2 + a1b1. */
static void fp6_mul(bn_fp6_t *r, const bn_fp6_t *a, const bn_fp6_t *b)
{
    bn_fp2_t v0, v1, v2, s, t, c0, c1, c2;
    fp2_mul(&v0, &a->c0, &b->c0);
    fp2_mul(&v1, &a->c1, &b->c1);
    fp2_mul(&v2, &a->c2, &b->c2);

    fp2_add(&s, &a->c1, &a->c2);
    fp2_add(&t, &b->c1, &b->c2);
    fp2_mul(&c0, &s, &t);
    fp2_sub(&c0, &c0, &v1);
    fp2_sub(&c0, &c0, &v2);
    fp2_mul_xi(&c0, &c0);
    fp2_add(&c0, &c0, &v0);

    fp2_add(&s, &a->c0, &a->c1);
    fp2_add(&t, &b->c0, &b->c1);
    fp2_mul(&c1, &s, &t);
    fp2_sub(&c1, &c1, &v0);
    fp2_sub(&c1, &c1, &v1);
    fp2_mul_xi(&s, &v2);
    fp2_add(&c1, &c1, &s);

    fp2_add(&s, &a->c0, &a->c2);
    fp2_add(&t, &b->c0, &b->c2);
    fp2_mul(&c2, &s, &t);
    fp2_sub(&c2, &c2, &v0);
    fp2_sub(&c2, &c2, &v2);
    fp2_add(&c2, &c2, &v1);

    r->c0 = c0;
    r->c1 = c1;
    r->c2 = c2;
}

/** Squaring (Chung-Hasan SQR2): s0 = a0^2, s1 = 2a0a1, s2 = (a0 - a1 + a2)^2, s3 = 2a1a2,
 *  s4 = a2^2; c0 = s0 + xi s3, c1 = s1 + xi s4, c2 = s1 + s2 + s3 - s0 - s4. */
static void fp6_sqr(bn_fp6_t *r, const bn_fp6_t *a)
{
    bn_fp2_t s0, s1, s2, s3, s4, t;
    fp2_sqr(&s0, &a->c0);
    fp2_mul(&s1, &a->c0, &a->c1);
    fp2_dbl(&s1, &s1);
    fp2_sub(&t, &a->c0, &a->c1);
    fp2_add(&t, &t, &a->c2);
    fp2_sqr(&s2, &t);
    fp2_mul(&s3, &a->c1, &a->c2);
    fp2_dbl(&s3, &s3);
    fp2_sqr(&s4, &a->c2);

    fp2_mul_xi(&t, &s3);
    fp2_add(&r->c0, &s0, &t);
    fp2_mul_xi(&t, &s4);
    fp2_add(&t, &s1, &t);
    fp2_add(&s1, &s1, &s2);
    fp2_add(&s1, &s1, &s3);
    fp2_sub(&s1, &s1, &s0);
    fp2_sub(&r->c2, &s1, &s4);
    r->c1 = t;
}

/** a·v = xi a2 + a0 v + a1 v^2. */
static inline void fp6_mul_v(bn_fp6_t *r, const bn_fp6_t *a)
{
    bn_fp2_t t;
    fp2_mul_xi(&t, &a->c2);
    r->c2 = a->c1;
    r->c1 = a->c0;
    r->c0 = t;
}

/** a·b for b = b0 (an Fp2 scalar). */
static inline void fp6_mul_fp2(bn_fp6_t *r, const bn_fp6_t *a, const bn_fp2_t *b)
{
    fp2_mul(&r->c0, &a->c0, b);
    fp2_mul(&r->c1, &a->c1, b);
    fp2_mul(&r->c2, &a->c2, b);
}

/** a·(b0 + b1 v): c0 = a0b0 + xi a2b1, c1 = a0b1 + a1b0, c2 = a1b1 + a2b0 (Karatsuba on the
 *  a0/a1 part: five Fp2 multiplications). */
static void fp6_mul_01(bn_fp6_t *r, const bn_fp6_t *a, const bn_fp2_t *b0, const bn_fp2_t *b1)
{
    bn_fp2_t v0, v1, s, t, c0, c1, c2;
    fp2_mul(&v0, &a->c0, b0);
    fp2_mul(&v1, &a->c1, b1);

    fp2_mul(&c0, &a->c2, b1);
    fp2_mul_xi(&c0, &c0);
    fp2_add(&c0, &c0, &v0);

    fp2_add(&s, &a->c0, &a->c1);
    fp2_add(&t, b0, b1);
    fp2_mul(&c1, &s, &t);
    fp2_sub(&c1, &c1, &v0);
    fp2_sub(&c1, &c1, &v1);

    fp2_mul(&c2, &a->c2, b0);
    fp2_add(&c2, &c2, &v1);

    r->c0 = c0;
    r->c1 = c1;
    r->c2 = c2;
}

/** 1/a via the adjugate: A = a0^2 - xi a1a2, B = xi a2^2 - a0a1, C = a1^2 - a0a2,
 *  F = a0A + xi(a2B + a1C); 1/a = (A + Bv + Cv^2)/F. */
static void fp6_inv(bn_fp6_t *r, const bn_fp6_t *a)
{
    bn_fp2_t A, B, C, F, t;
    fp2_sqr(&A, &a->c0);
    fp2_mul(&t, &a->c1, &a->c2);
    fp2_mul_xi(&t, &t);
    fp2_sub(&A, &A, &t);

    fp2_sqr(&B, &a->c2);
    fp2_mul_xi(&B, &B);
    fp2_mul(&t, &a->c0, &a->c1);
    fp2_sub(&B, &B, &t);

    fp2_sqr(&C, &a->c1);
    fp2_mul(&t, &a->c0, &a->c2);
    fp2_sub(&C, &C, &t);

    fp2_mul(&F, &a->c2, &B);
    fp2_mul(&t, &a->c1, &C);
    fp2_add(&F, &F, &t);
    fp2_mul_xi(&F, &F);
    fp2_mul(&t, &a->c0, &A);
    fp2_add(&F, &F, &t);
    fp2_inv(&F, &F);

    fp2_mul(&r->c0, &A, &F);
    fp2_mul(&r->c1, &B, &F);
    fp2_mul(&r->c2, &C, &F);
}

/* ================================ Fp12 ================================ */

void bn_fp12_one(bn_fp12_t *r)
{
    memset(r, 0, sizeof(*r));
    r->c0.c0.c0 = FP_ONE;
}

bool bn_fp12_eq(const bn_fp12_t *a, const bn_fp12_t *b)
{
    return fp2_eq(&a->c0.c0, &b->c0.c0) && fp2_eq(&a->c0.c1, &b->c0.c1) &&
           fp2_eq(&a->c0.c2, &b->c0.c2) && fp2_eq(&a->c1.c0, &b->c1.c0) &&
           fp2_eq(&a->c1.c1, &b->c1.c1) && fp2_eq(&a->c1.c2, &b->c1.c2);
}

/** (a0 + a1 w)(b0 + b1 w) = (a0b0 + a1b1 v) + ((a0+a1)(b0+b1) - a0b0 - a1b1) w. */
void bn_fp12_mul(bn_fp12_t *r, const bn_fp12_t *a, const bn_fp12_t *b)
{
    bn_fp6_t t0, t1, s, t;
    fp6_mul(&t0, &a->c0, &b->c0);
    fp6_mul(&t1, &a->c1, &b->c1);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_add(&t, &b->c0, &b->c1);
    fp6_mul(&s, &s, &t);
    fp6_sub(&s, &s, &t0);
    fp6_sub(&r->c1, &s, &t1);
    fp6_mul_v(&t1, &t1);
    fp6_add(&r->c0, &t0, &t1);
}

/** (a0 + a1 w)^2: c0 = (a0 + a1)(a0 + a1 v) - a0a1 - a0a1 v, c1 = 2 a0a1. */
static void fp12_sqr(bn_fp12_t *r, const bn_fp12_t *a)
{
    bn_fp6_t m, s, t;
    fp6_mul(&m, &a->c0, &a->c1);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_mul_v(&t, &a->c1);
    fp6_add(&t, &t, &a->c0);
    fp6_mul(&s, &s, &t);
    fp6_sub(&s, &s, &m);
    fp6_mul_v(&t, &m);
    fp6_sub(&r->c0, &s, &t);
    fp6_add(&r->c1, &m, &m);
}

/** a^(p^6) = a0 - a1 w: the inverse for unitary elements (after the easy part). */
static inline void fp12_conj(bn_fp12_t *r, const bn_fp12_t *a)
{
    r->c0 = a->c0;
    fp6_neg(&r->c1, &a->c1);
}

/** 1/(a0 + a1 w) = (a0 - a1 w)/(a0^2 - a1^2 v). */
static void fp12_inv(bn_fp12_t *r, const bn_fp12_t *a)
{
    bn_fp6_t t0, t1;
    fp6_sqr(&t0, &a->c0);
    fp6_sqr(&t1, &a->c1);
    fp6_mul_v(&t1, &t1);
    fp6_sub(&t0, &t0, &t1);
    fp6_inv(&t0, &t0);
    fp6_mul(&r->c0, &a->c0, &t0);
    fp6_mul(&t1, &a->c1, &t0);
    fp6_neg(&r->c1, &t1);
}

/* Frobenius. Write a = sum_{k=0..5} g_k w^k with g_k in Fp2, where (w^2 = v)
 * g0 = c0.c0, g2 = c0.c1, g4 = c0.c2, g1 = c1.c0, g3 = c1.c1, g5 = c1.c2. Then
 * a^(p^j) = sum g_k^(p^j) w^k xi^(k(p^j - 1)/6), and g^(p^j) is g for even j, conj(g) for odd. */
void bn_fp12_frobenius(bn_fp12_t *r, const bn_fp12_t *a, int k)
{
    bn_fp2_t *out[6] = { &r->c0.c0, &r->c1.c0, &r->c0.c1, &r->c1.c1, &r->c0.c2, &r->c1.c2 };
    const bn_fp2_t *in[6] = { &a->c0.c0, &a->c1.c0, &a->c0.c1, &a->c1.c1, &a->c0.c2, &a->c1.c2 };
    bn_fp2_t g[6];
    for (int i = 0; i < 6; i++)
        g[i] = *in[i];
    for (int i = 0; i < 6; i++) {
        if (k == 2) {
            if (i == 0)
                *out[i] = g[i];
            else
                fp2_mul_fp(out[i], &g[i], &FROB2[i - 1]);
            continue;
        }
        bn_fp2_t c;
        fp2_conj(&c, &g[i]);
        if (i == 0)
            *out[i] = c;
        else
            fp2_mul(out[i], &c, k == 1 ? &FROB1[i - 1] : &FROB3[i - 1]);
    }
}

void bn_fp12_pow(bn_fp12_t *r, const bn_fp12_t *a, const uint64_t *e, size_t n)
{
    bn_fp12_t acc, base = *a;
    bn_fp12_one(&acc);
    for (size_t i = n * 64; i-- > 0;) {
        fp12_sqr(&acc, &acc);
        if ((e[i / 64] >> (i % 64)) & 1)
            bn_fp12_mul(&acc, &acc, &base);
    }
    *r = acc;
}

void bn_fp12_from_u64s(bn_fp12_t *r, uint64_t v[12][4])
{
    bn_fp_t *dst[12] = { &r->c0.c0.c0, &r->c0.c0.c1, &r->c0.c1.c0, &r->c0.c1.c1,
                         &r->c0.c2.c0, &r->c0.c2.c1, &r->c1.c0.c0, &r->c1.c0.c1,
                         &r->c1.c1.c0, &r->c1.c1.c1, &r->c1.c2.c0, &r->c1.c2.c1 };
    for (int i = 0; i < 12; i++)
        fp_from_raw(dst[i], v[i]);
}

/* Line values l = g0 + g1 w + g3 w^3 have L0 = g0 (in Fp6: c0 only) and L1 = g1 + g3 v. So
 * f·l = (F0 L0 + F1 L1 v) + ((F0 + F1)(L0 + L1) - F0 L0 - F1 L1) w, where L0 + L1 = (g0 + g1)
 * + g3 v is again of the (b0 + b1 v) shape. */
void bn_fp12_mul_line(bn_fp12_t *f, const bn_fp2_t *g0, const bn_fp2_t *g1, const bn_fp2_t *g3)
{
    bn_fp6_t t0, t1, s;
    bn_fp2_t b0;
    fp6_mul_fp2(&t0, &f->c0, g0);
    fp6_mul_01(&t1, &f->c1, g1, g3);
    fp6_add(&s, &f->c0, &f->c1);
    fp2_add(&b0, g0, g1);
    fp6_mul_01(&s, &s, &b0, g3);
    fp6_sub(&s, &s, &t0);
    fp6_sub(&f->c1, &s, &t1);
    fp6_mul_v(&t1, &t1);
    fp6_add(&f->c0, &t0, &t1);
}

/* ================================ G1 ================================ */

static bool g1_is_inf(const bn_g1_t *a)
{
    return fp_is_zero(&a->z);
}

static void g1_set_inf(bn_g1_t *a)
{
    memset(a, 0, sizeof(*a));
    a->x = FP_ONE;
    a->y = FP_ONE;
}

/** Doubling for a = 0 (dbl-2009-l): A = X^2, B = Y^2, C = B^2, D = 2((X+B)^2 - A - C),
 *  E = 3A, X3 = E^2 - 2D, Y3 = E(D - X3) - 8C, Z3 = 2YZ. */
static void g1_dbl(bn_g1_t *r, const bn_g1_t *a)
{
    if (g1_is_inf(a) || fp_is_zero(&a->y)) {
        g1_set_inf(r);
        return;
    }
    bn_fp_t A, B, C, D, E, t;
    fp_sqr(&A, &a->x);
    fp_sqr(&B, &a->y);
    fp_sqr(&C, &B);
    fp_add(&D, &a->x, &B);
    fp_sqr(&D, &D);
    fp_sub(&D, &D, &A);
    fp_sub(&D, &D, &C);
    fp_dbl(&D, &D);
    fp_dbl(&E, &A);
    fp_add(&E, &E, &A);
    bn_fp_t x3, y3, z3;
    fp_sqr(&x3, &E);
    fp_dbl(&t, &D);
    fp_sub(&x3, &x3, &t);
    fp_sub(&t, &D, &x3);
    fp_mul(&y3, &E, &t);
    fp_dbl(&C, &C);
    fp_dbl(&C, &C);
    fp_dbl(&C, &C);
    fp_sub(&y3, &y3, &C);
    fp_mul(&z3, &a->y, &a->z);
    fp_dbl(&z3, &z3);
    r->x = x3;
    r->y = y3;
    r->z = z3;
}

/** General addition: U1 = X1 Z2^2, U2 = X2 Z1^2, S1 = Y1 Z2^3, S2 = Y2 Z1^3, H = U2 - U1,
 *  R = S2 - S1; X3 = R^2 - H^3 - 2 U1 H^2, Y3 = R(U1 H^2 - X3) - S1 H^3, Z3 = Z1 Z2 H. */
void bn_g1_add(bn_g1_t *r, const bn_g1_t *a, const bn_g1_t *b)
{
    if (g1_is_inf(a)) {
        *r = *b;
        return;
    }
    if (g1_is_inf(b)) {
        *r = *a;
        return;
    }
    bn_fp_t z1z1, z2z2, u1, u2, s1, s2, h, rr, t;
    fp_sqr(&z1z1, &a->z);
    fp_sqr(&z2z2, &b->z);
    fp_mul(&u1, &a->x, &z2z2);
    fp_mul(&u2, &b->x, &z1z1);
    fp_mul(&s1, &a->y, &b->z);
    fp_mul(&s1, &s1, &z2z2);
    fp_mul(&s2, &b->y, &a->z);
    fp_mul(&s2, &s2, &z1z1);
    if (fp_eq(&u1, &u2)) {
        if (fp_eq(&s1, &s2))
            g1_dbl(r, a);
        else
            g1_set_inf(r);
        return;
    }
    fp_sub(&h, &u2, &u1);
    fp_sub(&rr, &s2, &s1);
    bn_fp_t hh, hhh, v, x3, y3, z3;
    fp_sqr(&hh, &h);
    fp_mul(&hhh, &hh, &h);
    fp_mul(&v, &u1, &hh);
    fp_sqr(&x3, &rr);
    fp_sub(&x3, &x3, &hhh);
    fp_dbl(&t, &v);
    fp_sub(&x3, &x3, &t);
    fp_sub(&t, &v, &x3);
    fp_mul(&y3, &rr, &t);
    fp_mul(&t, &s1, &hhh);
    fp_sub(&y3, &y3, &t);
    fp_mul(&z3, &a->z, &b->z);
    fp_mul(&z3, &z3, &h);
    r->x = x3;
    r->y = y3;
    r->z = z3;
}

void bn_g1_mul(bn_g1_t *r, const bn_g1_t *a, const uint64_t k[4])
{
    bn_g1_t acc;
    g1_set_inf(&acc);
    int top = 255;
    while (top >= 0 && !((k[top / 64] >> (top % 64)) & 1))
        top--;
    for (int i = top; i >= 0; i--) {
        g1_dbl(&acc, &acc);
        if ((k[i / 64] >> (i % 64)) & 1)
            bn_g1_add(&acc, &acc, a);
    }
    *r = acc;
}

static void g1_to_affine(bn_fp_t *x, bn_fp_t *y, const bn_g1_t *a)
{
    bn_fp_t zi, zi2, zi3;
    fp_inv(&zi, &a->z);
    fp_sqr(&zi2, &zi);
    fp_mul(&zi3, &zi2, &zi);
    fp_mul(x, &a->x, &zi2);
    fp_mul(y, &a->y, &zi3);
}

bool bn_g1_decode(bn_g1_t *out, const uint8_t in[64])
{
    bn_fp_t x, y;
    if (!fp_from_be(&x, in) || !fp_from_be(&y, in + 32))
        return false;
    if (fp_is_zero(&x) && fp_is_zero(&y)) {
        g1_set_inf(out);
        return true;
    }
    /* y^2 == x^3 + 3 */
    bn_fp_t l, rr;
    fp_sqr(&l, &y);
    fp_sqr(&rr, &x);
    fp_mul(&rr, &rr, &x);
    fp_add(&rr, &rr, &CURVE_B);
    if (!fp_eq(&l, &rr))
        return false;
    out->x = x;
    out->y = y;
    out->z = FP_ONE;
    return true;
}

void bn_g1_encode(uint8_t out[64], const bn_g1_t *a)
{
    if (g1_is_inf(a)) {
        memset(out, 0, 64);
        return;
    }
    bn_fp_t x, y;
    g1_to_affine(&x, &y, a);
    fp_to_be(out, &x);
    fp_to_be(out + 32, &y);
}

/* ================================ G2 ================================ */

static bool g2_is_inf(const bn_g2_t *a)
{
    return fp2_is_zero(&a->z);
}

static void g2_set_inf(bn_g2_t *a)
{
    memset(a, 0, sizeof(*a));
    a->x.c0 = FP_ONE;
    a->y.c0 = FP_ONE;
}

static void g2_dbl(bn_g2_t *r, const bn_g2_t *a)
{
    if (g2_is_inf(a) || fp2_is_zero(&a->y)) {
        g2_set_inf(r);
        return;
    }
    bn_fp2_t A, B, C, D, E, t, x3, y3, z3;
    fp2_sqr(&A, &a->x);
    fp2_sqr(&B, &a->y);
    fp2_sqr(&C, &B);
    fp2_add(&D, &a->x, &B);
    fp2_sqr(&D, &D);
    fp2_sub(&D, &D, &A);
    fp2_sub(&D, &D, &C);
    fp2_dbl(&D, &D);
    fp2_dbl(&E, &A);
    fp2_add(&E, &E, &A);
    fp2_sqr(&x3, &E);
    fp2_dbl(&t, &D);
    fp2_sub(&x3, &x3, &t);
    fp2_sub(&t, &D, &x3);
    fp2_mul(&y3, &E, &t);
    fp2_dbl(&C, &C);
    fp2_dbl(&C, &C);
    fp2_dbl(&C, &C);
    fp2_sub(&y3, &y3, &C);
    fp2_mul(&z3, &a->y, &a->z);
    fp2_dbl(&z3, &z3);
    r->x = x3;
    r->y = y3;
    r->z = z3;
}

void bn_g2_add(bn_g2_t *r, const bn_g2_t *a, const bn_g2_t *b)
{
    if (g2_is_inf(a)) {
        *r = *b;
        return;
    }
    if (g2_is_inf(b)) {
        *r = *a;
        return;
    }
    bn_fp2_t z1z1, z2z2, u1, u2, s1, s2, h, rr, t;
    fp2_sqr(&z1z1, &a->z);
    fp2_sqr(&z2z2, &b->z);
    fp2_mul(&u1, &a->x, &z2z2);
    fp2_mul(&u2, &b->x, &z1z1);
    fp2_mul(&s1, &a->y, &b->z);
    fp2_mul(&s1, &s1, &z2z2);
    fp2_mul(&s2, &b->y, &a->z);
    fp2_mul(&s2, &s2, &z1z1);
    if (fp2_eq(&u1, &u2)) {
        if (fp2_eq(&s1, &s2))
            g2_dbl(r, a);
        else
            g2_set_inf(r);
        return;
    }
    fp2_sub(&h, &u2, &u1);
    fp2_sub(&rr, &s2, &s1);
    bn_fp2_t hh, hhh, v, x3, y3, z3;
    fp2_sqr(&hh, &h);
    fp2_mul(&hhh, &hh, &h);
    fp2_mul(&v, &u1, &hh);
    fp2_sqr(&x3, &rr);
    fp2_sub(&x3, &x3, &hhh);
    fp2_dbl(&t, &v);
    fp2_sub(&x3, &x3, &t);
    fp2_sub(&t, &v, &x3);
    fp2_mul(&y3, &rr, &t);
    fp2_mul(&t, &s1, &hhh);
    fp2_sub(&y3, &y3, &t);
    fp2_mul(&z3, &a->z, &b->z);
    fp2_mul(&z3, &z3, &h);
    r->x = x3;
    r->y = y3;
    r->z = z3;
}

void bn_g2_mul(bn_g2_t *r, const bn_g2_t *a, const uint64_t k[4])
{
    bn_g2_t acc;
    g2_set_inf(&acc);
    int top = 255;
    while (top >= 0 && !((k[top / 64] >> (top % 64)) & 1))
        top--;
    for (int i = top; i >= 0; i--) {
        g2_dbl(&acc, &acc);
        if ((k[i / 64] >> (i % 64)) & 1)
            bn_g2_add(&acc, &acc, a);
    }
    *r = acc;
}

/** Y^2 = X^3 + b' Z^6 (Jacobian form of y^2 = x^3 + b'). Infinity counts as on the curve. */
bool bn_g2_is_on_curve(const bn_g2_t *a)
{
    if (g2_is_inf(a))
        return true;
    bn_fp2_t l, rr, z2, z6;
    fp2_sqr(&l, &a->y);
    fp2_sqr(&rr, &a->x);
    fp2_mul(&rr, &rr, &a->x);
    fp2_sqr(&z2, &a->z);
    fp2_mul(&z6, &z2, &a->z);
    fp2_sqr(&z6, &z6);
    fp2_mul(&z6, &z6, &TWIST_B);
    fp2_add(&rr, &rr, &z6);
    return fp2_eq(&l, &rr);
}

/** EIP-197 requires G2 inputs of order r. E'(Fp2) has order r·(2p - r), so points on the twist
 *  need not be in G2; the test is r·Q = infinity. */
bool bn_g2_in_subgroup(const bn_g2_t *a)
{
    bn_g2_t t;
    bn_g2_mul(&t, a, BN_R);
    return g2_is_inf(&t);
}

bool bn_g2_decode(bn_g2_t *out, const uint8_t in[128])
{
    bn_fp2_t x, y;
    if (!fp_from_be(&x.c1, in) || !fp_from_be(&x.c0, in + 32) || !fp_from_be(&y.c1, in + 64) ||
        !fp_from_be(&y.c0, in + 96))
        return false;
    if (fp2_is_zero(&x) && fp2_is_zero(&y)) {
        g2_set_inf(out);
        return true;
    }
    out->x = x;
    out->y = y;
    memset(&out->z, 0, sizeof(out->z));
    out->z.c0 = FP_ONE;
    return bn_g2_is_on_curve(out) && bn_g2_in_subgroup(out);
}

static void g2_to_affine(bn_fp2_t *x, bn_fp2_t *y, const bn_g2_t *a)
{
    bn_fp2_t zi, zi2, zi3;
    fp2_inv(&zi, &a->z);
    fp2_sqr(&zi2, &zi);
    fp2_mul(&zi3, &zi2, &zi);
    fp2_mul(x, &a->x, &zi2);
    fp2_mul(y, &a->y, &zi3);
}

void bn_g2_encode(uint8_t out[128], const bn_g2_t *a)
{
    if (g2_is_inf(a)) {
        memset(out, 0, 128);
        return;
    }
    bn_fp2_t x, y;
    g2_to_affine(&x, &y, a);
    fp_to_be(out, &x.c1);
    fp_to_be(out + 32, &x.c0);
    fp_to_be(out + 64, &y.c1);
    fp_to_be(out + 96, &y.c0);
}

/* ================================ pairing ================================ */

/* Lines. Points of G2 live on the twist E'; psi(x', y') = (x' w^2, y' w^3) maps them onto E over
 * Fp12 (w^6 = xi, so (y'w^3)^2 = xi y'^2 and (x'w^2)^3 + 3 = xi x'^3 + 3, which agree exactly
 * when y'^2 = x'^3 + 3/xi). A line on E' with slope m' maps to a line on E with slope m' w, and
 * its value at P = (xP, yP) in E(Fp) is
 *     l(P) = yP - m' xP w + (m' x' - y') w^3.
 * Any factor lying in a proper subfield (here Fp2) is erased by the final exponentiation, so
 * each line below is scaled to clear denominators. */

typedef struct pair_state {
    bn_fp_t xp, yp;  /**< affine P */
    bn_fp2_t xq, yq; /**< affine Q */
    bn_g2_t t;       /**< running multiple of Q, Jacobian */
} pair_state_t;

/** Tangent at T = (X, Y, Z) (x = X/Z^2, y = Y/Z^3), slope m' = 3X^2/(2YZ). Scaled by 2YZ^3:
 *  g0 = 2YZ^3·yP, g1 = -3X^2 Z^2·xP, g3 = 3X^3 - 2Y^2. Then T = 2T. */
static void line_dbl(pair_state_t *s, bn_fp2_t *g0, bn_fp2_t *g1, bn_fp2_t *g3)
{
    bn_g2_t *T = &s->t;
    bn_fp2_t A, B, C, D, E, zz, t, x3, y3, z3;
    fp2_sqr(&A, &T->x);
    fp2_sqr(&B, &T->y);
    fp2_sqr(&C, &B);
    fp2_sqr(&zz, &T->z);
    fp2_dbl(&E, &A);
    fp2_add(&E, &E, &A); /* 3X^2 */

    fp2_mul(&z3, &T->y, &T->z);
    fp2_dbl(&z3, &z3); /* 2YZ */
    fp2_mul(&t, &z3, &zz);
    fp2_mul_fp(g0, &t, &s->yp);
    fp2_mul(&t, &E, &zz);
    fp2_mul_fp(&t, &t, &s->xp);
    fp2_neg(g1, &t);
    fp2_mul(g3, &E, &T->x);
    fp2_dbl(&t, &B);
    fp2_sub(g3, g3, &t);

    fp2_add(&D, &T->x, &B);
    fp2_sqr(&D, &D);
    fp2_sub(&D, &D, &A);
    fp2_sub(&D, &D, &C);
    fp2_dbl(&D, &D);
    fp2_sqr(&x3, &E);
    fp2_dbl(&t, &D);
    fp2_sub(&x3, &x3, &t);
    fp2_sub(&t, &D, &x3);
    fp2_mul(&y3, &E, &t);
    fp2_dbl(&C, &C);
    fp2_dbl(&C, &C);
    fp2_dbl(&C, &C);
    fp2_sub(&y3, &y3, &C);
    T->x = x3;
    T->y = y3;
    T->z = z3;
}

/** Chord through T (Jacobian) and an affine point (xq, yq): H = xq Z^2 - X, R = yq Z^3 - Y,
 *  slope m' = R/(Z H). Scaled by Z H: g0 = ZH·yP, g1 = -R·xP, g3 = R xq - ZH yq.
 *  Then T = T + (xq, yq): X3 = R^2 - H^3 - 2X H^2, Y3 = R(X H^2 - X3) - Y H^3, Z3 = Z H.
 *  T = ±(xq, yq) cannot occur for points of G2 (see bn_pairing). */
static void line_add(pair_state_t *s, const bn_fp2_t *xq, const bn_fp2_t *yq, bn_fp2_t *g0,
                     bn_fp2_t *g1, bn_fp2_t *g3)
{
    bn_g2_t *T = &s->t;
    bn_fp2_t zz, h, rr, t, hh, hhh, v, x3, y3, z3;
    fp2_sqr(&zz, &T->z);
    fp2_mul(&h, xq, &zz);
    fp2_sub(&h, &h, &T->x);
    fp2_mul(&rr, yq, &zz);
    fp2_mul(&rr, &rr, &T->z);
    fp2_sub(&rr, &rr, &T->y);
    fp2_mul(&z3, &T->z, &h);

    fp2_mul_fp(g0, &z3, &s->yp);
    fp2_mul_fp(&t, &rr, &s->xp);
    fp2_neg(g1, &t);
    fp2_mul(g3, &rr, xq);
    fp2_mul(&t, &z3, yq);
    fp2_sub(g3, g3, &t);

    fp2_sqr(&hh, &h);
    fp2_mul(&hhh, &hh, &h);
    fp2_mul(&v, &T->x, &hh);
    fp2_sqr(&x3, &rr);
    fp2_sub(&x3, &x3, &hhh);
    fp2_dbl(&t, &v);
    fp2_sub(&x3, &x3, &t);
    fp2_sub(&t, &v, &x3);
    fp2_mul(&y3, &rr, &t);
    fp2_mul(&t, &T->y, &hhh);
    fp2_sub(&y3, &y3, &t);
    T->x = x3;
    T->y = y3;
    T->z = z3;
}

/* Squaring in the cyclotomic subgroup (elements with f^(p^4 - p^2 + 1) = 1, which every value
 * is after the easy part of the final exponentiation): Granger and Scott, "Faster Squaring in the
 * Cyclotomic Subgroup of Sixth Degree Extensions" (PKC 2010). With tau = w^3 (tau^2 = xi), write
 * f = A + B w + C w^2 with A, B, C in Fp4 = Fp2[tau]: A = g0 + g3 tau, B = g1 + g4 tau,
 * C = g2 + g5 tau (g_k as in bn_fp12_frobenius). Then
 *     f^2 = (3A^2 - 2 conj(A)) + (3 tau C^2 + 2 conj(B)) w + (3B^2 - 2 conj(C)) w^2,
 * where conj(x0 + x1 tau) = x0 - x1 tau. Nine Fp2 squarings instead of a full Fp12 squaring. */
static void fp4_sqr(bn_fp2_t *r0, bn_fp2_t *r1, const bn_fp2_t *a0, const bn_fp2_t *a1)
{
    bn_fp2_t t0, t1, s;
    fp2_sqr(&t0, a0);
    fp2_sqr(&t1, a1);
    fp2_add(&s, a0, a1);
    fp2_sqr(&s, &s);
    fp2_sub(&s, &s, &t0);
    fp2_sub(r1, &s, &t1); /* 2 a0 a1 */
    fp2_mul_xi(&t1, &t1);
    fp2_add(r0, &t0, &t1); /* a0^2 + xi a1^2 */
}

/** r = 3x - 2y and r = 3x + 2y helpers. */
static inline void fp2_3x_minus_2y(bn_fp2_t *r, const bn_fp2_t *x, const bn_fp2_t *y)
{
    bn_fp2_t t;
    fp2_sub(&t, x, y);
    fp2_dbl(&t, &t);
    fp2_add(r, &t, x);
}

static inline void fp2_3x_plus_2y(bn_fp2_t *r, const bn_fp2_t *x, const bn_fp2_t *y)
{
    bn_fp2_t t;
    fp2_add(&t, x, y);
    fp2_dbl(&t, &t);
    fp2_add(r, &t, x);
}

void bn_fp12_cyclotomic_sqr(bn_fp12_t *r, const bn_fp12_t *f)
{
    bn_fp2_t a0, a1, b0, b1, c0, c1;
    fp4_sqr(&a0, &a1, &f->c0.c0, &f->c1.c1); /* A^2 */
    fp4_sqr(&b0, &b1, &f->c1.c0, &f->c0.c2); /* B^2 */
    fp4_sqr(&c0, &c1, &f->c0.c1, &f->c1.c2); /* C^2 */
    bn_fp2_t xc1;
    fp2_mul_xi(&xc1, &c1); /* tau C^2 = xi c1 + c0 tau */
    bn_fp12_t o;
    fp2_3x_minus_2y(&o.c0.c0, &a0, &f->c0.c0); /* A' = 3A^2 - 2 conj(A) */
    fp2_3x_plus_2y(&o.c1.c1, &a1, &f->c1.c1);
    fp2_3x_plus_2y(&o.c1.c0, &xc1, &f->c1.c0); /* B' = 3 tau C^2 + 2 conj(B) */
    fp2_3x_minus_2y(&o.c0.c2, &c0, &f->c0.c2);
    fp2_3x_minus_2y(&o.c0.c1, &b0, &f->c0.c1); /* C' = 3B^2 - 2 conj(C) */
    fp2_3x_plus_2y(&o.c1.c2, &b1, &f->c1.c2);
    *r = o;
}

/* f^u for f in the cyclotomic subgroup (u has 63 bits). */
static void fp12_pow_u(bn_fp12_t *r, const bn_fp12_t *a)
{
    bn_fp12_t acc = *a;
    for (int i = 61; i >= 0; i--) {
        bn_fp12_cyclotomic_sqr(&acc, &acc);
        if ((BN_U >> i) & 1)
            bn_fp12_mul(&acc, &acc, a);
    }
    *r = acc;
}

/** f^((p^12 - 1)/r). */
static void final_exp(bn_fp12_t *r, const bn_fp12_t *f)
{
    bn_fp12_t t, g, a, b, c;
    /* Easy part: f^((p^6 - 1)(p^2 + 1)). */
    fp12_inv(&t, f);
    fp12_conj(&g, f);
    bn_fp12_mul(&g, &g, &t);
    bn_fp12_frobenius(&t, &g, 2);
    bn_fp12_mul(&g, &t, &g);
    /* Hard part: g^λ0 · (g^λ1)^p · (g^λ2)^(p^2) · g^(p^3); g is unitary now, so conj = inverse. */
    fp12_pow_u(&a, &g); /* g^u */
    fp12_pow_u(&b, &a); /* g^(u^2) */
    fp12_pow_u(&c, &b); /* g^(u^3) */

    bn_fp12_t c36, b6, b12, b18, b30, a6, a12, a18, g2, x;
    fp12_sqr(&c36, &c);            /* c^2 */
    fp12_sqr(&c36, &c36);          /* c^4 */
    fp12_sqr(&c36, &c36);          /* c^8 */
    bn_fp12_mul(&c36, &c36, &c);   /* c^9 */
    fp12_sqr(&c36, &c36);          /* c^18 */
    fp12_sqr(&c36, &c36);          /* c^36 */
    fp12_sqr(&b6, &b);             /* b^2 */
    bn_fp12_mul(&b6, &b6, &b);     /* b^3 */
    fp12_sqr(&b6, &b6);            /* b^6 */
    fp12_sqr(&b12, &b6);           /* b^12 */
    bn_fp12_mul(&b18, &b12, &b6);  /* b^18 */
    bn_fp12_mul(&b30, &b18, &b12); /* b^30 */
    fp12_sqr(&a6, &a);             /* a^2 */
    bn_fp12_mul(&a6, &a6, &a);     /* a^3 */
    fp12_sqr(&a6, &a6);            /* a^6 */
    fp12_sqr(&a12, &a6);           /* a^12 */
    bn_fp12_mul(&a18, &a12, &a6);  /* a^18 */
    fp12_sqr(&g2, &g);             /* g^2 */

    bn_fp12_t l0, l1, l2;
    /* g^λ0 = conj(c^36 b^30 a^18 g^2) */
    bn_fp12_mul(&x, &c36, &b30);
    bn_fp12_mul(&x, &x, &a18);
    bn_fp12_mul(&x, &x, &g2);
    fp12_conj(&l0, &x);
    /* g^λ1 = conj(c^36 b^18 a^12) g */
    bn_fp12_mul(&x, &c36, &b18);
    bn_fp12_mul(&x, &x, &a12);
    fp12_conj(&x, &x);
    bn_fp12_mul(&l1, &x, &g);
    /* g^λ2 = b^6 g */
    bn_fp12_mul(&l2, &b6, &g);

    bn_fp12_frobenius(&t, &l1, 1);
    bn_fp12_mul(&x, &l0, &t);
    bn_fp12_frobenius(&t, &l2, 2);
    bn_fp12_mul(&x, &x, &t);
    bn_fp12_frobenius(&t, &g, 3);
    bn_fp12_mul(r, &x, &t);
}

enum {
    PAIR_BATCH = 8
}; /**< pairs per shared Miller loop */

/* Multi-pairing Miller loop for the optimal ate pairing: f_{6u+2,Q}(P) · l_{[6u+2]Q, pi(Q)}(P)
 * · l_{[6u+2]Q + pi(Q), -pi^2(Q)}(P), with the squaring of f shared by all pairs. The running
 * point T = [k]Q with k < 6u + 2 < r never meets ±Q during the loop (that needs k = ±1 mod r),
 * and neither final chord is degenerate, so line_add needs no special cases. */
static void miller_loop(bn_fp12_t *f, pair_state_t *st, size_t n)
{
    bn_fp2_t g0, g1, g3;
    bn_fp12_one(f);
    for (size_t j = 0; j < n; j++) {
        st[j].t.x = st[j].xq;
        st[j].t.y = st[j].yq;
        memset(&st[j].t.z, 0, sizeof(st[j].t.z));
        st[j].t.z.c0 = FP_ONE;
    }
    /* 6u + 2 has 65 bits; the top one (bit 64) is the initial T = Q. */
    for (int i = 63; i >= 0; i--) {
        if (i != 63)
            fp12_sqr(f, f); /* f is still 1 on the first step */
        for (size_t j = 0; j < n; j++) {
            line_dbl(&st[j], &g0, &g1, &g3);
            bn_fp12_mul_line(f, &g0, &g1, &g3);
        }
        if ((ATE_LOOP_LO >> i) & 1) {
            for (size_t j = 0; j < n; j++) {
                line_add(&st[j], &st[j].xq, &st[j].yq, &g0, &g1, &g3);
                bn_fp12_mul_line(f, &g0, &g1, &g3);
            }
        }
    }
    for (size_t j = 0; j < n; j++) {
        /* pi(Q) = (conj(x) xi^((p-1)/3), conj(y) xi^((p-1)/2)) on the twist. */
        bn_fp2_t x1, y1, x2, y2;
        fp2_conj(&x1, &st[j].xq);
        fp2_mul(&x1, &x1, &FROB1[1]);
        fp2_conj(&y1, &st[j].yq);
        fp2_mul(&y1, &y1, &FROB1[2]);
        /* pi^2(Q) = (x xi^((p^2-1)/3), y xi^((p^2-1)/2)) = (x·FROB2[1], -y); we add its negation.
         */
        fp2_mul_fp(&x2, &st[j].xq, &FROB2[1]);
        y2 = st[j].yq;
        line_add(&st[j], &x1, &y1, &g0, &g1, &g3);
        bn_fp12_mul_line(f, &g0, &g1, &g3);
        line_add(&st[j], &x2, &y2, &g0, &g1, &g3);
        bn_fp12_mul_line(f, &g0, &g1, &g3);
    }
}

void bn_pairing(bn_fp12_t *out, const bn_g1_t *p, const bn_g2_t *q, size_t n)
{
    bn_fp12_t acc, f;
    bn_fp12_one(&acc);
    pair_state_t st[PAIR_BATCH];
    size_t m = 0;
    for (size_t j = 0; j <= n; j++) {
        if (j < n) {
            if (g1_is_inf(&p[j]) || g2_is_inf(&q[j]))
                continue;
            g1_to_affine(&st[m].xp, &st[m].yp, &p[j]);
            g2_to_affine(&st[m].xq, &st[m].yq, &q[j]);
            m++;
        }
        if (m == PAIR_BATCH || (j == n && m > 0)) {
            miller_loop(&f, st, m);
            bn_fp12_mul(&acc, &acc, &f);
            m = 0;
        }
    }
    final_exp(out, &acc);
}

/* ================================ precompile glue ================================ */

bool bn_precompile_add(uint8_t out[64], const uint8_t in[128])
{
    bn_g1_t a, b, r;
    if (!bn_g1_decode(&a, in) || !bn_g1_decode(&b, in + 64))
        return false;
    bn_g1_add(&r, &a, &b);
    bn_g1_encode(out, &r);
    return true;
}

bool bn_precompile_mul(uint8_t out[64], const uint8_t in[96])
{
    bn_g1_t a, r;
    if (!bn_g1_decode(&a, in))
        return false;
    uint64_t k[4];
    for (int i = 0; i < 4; i++)
        k[i] = be_load64(in + 64 + 8 * (3 - i));
    bn_g1_mul(&r, &a, k);
    bn_g1_encode(out, &r);
    return true;
}

bool bn_precompile_pairing(bool *result, const uint8_t *in, size_t n)
{
    size_t k = n / 192;
    bn_fp12_t acc, f, one;
    bn_fp12_one(&acc);
    bn_fp12_one(&one);
    pair_state_t st[PAIR_BATCH];
    size_t m = 0;
    /* Decode every pair first: an invalid point anywhere fails the call. */
    for (size_t j = 0; j <= k; j++) {
        if (j < k) {
            bn_g1_t p;
            bn_g2_t q;
            if (!bn_g1_decode(&p, in + 192 * j) || !bn_g2_decode(&q, in + 192 * j + 64))
                return false;
            if (g1_is_inf(&p) || g2_is_inf(&q))
                continue;
            st[m].xp = p.x;
            st[m].yp = p.y;
            st[m].xq = q.x;
            st[m].yq = q.y;
            m++;
        }
        if (m == PAIR_BATCH || (j == k && m > 0)) {
            miller_loop(&f, st, m);
            bn_fp12_mul(&acc, &acc, &f);
            m = 0;
        }
    }
    final_exp(&f, &acc);
    *result = bn_fp12_eq(&f, &one);
    return true;
}
