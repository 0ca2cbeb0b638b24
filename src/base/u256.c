/* 256-bit arithmetic: the heavy operations of u256.h.
 *
 * Division. Long division is Knuth's Algorithm D (TAOCP vol. 2, 3rd ed., §4.3.1) on 64-bit
 * digits, with the divisor normalised (shifted left until its top bit is set). Each quotient
 * digit comes from the top three digits of the partial remainder and the top two of the divisor
 * through a 3-by-2 division by an invariant divisor, and a divisor of one digit is handled by
 * 2-by-1 divisions; both use a precomputed reciprocal instead of a hardware divide, following
 *
 *     N. Möller and T. Granlund, "Improved division by invariant integers",
 *     IEEE Transactions on Computers 60(2), 2011 — Algorithms 4 (div_2by1), 5 (div_3by2)
 *     and 6 (reciprocal_3by2).
 *
 * The 3-by-2 estimate is exact or one too large, so step D6 ("add back") runs at most once, and
 * only with probability about 2^-63 on random operands; the one input outside its domain (top two
 * remainder digits equal to the divisor's) has the digit 2^64-1 (proof in div_long_n). All
 * buffers are on the stack: the widest dividend is the 512-bit product of MULMOD. */
#include "base/u256.h"

#include <string.h>

#include "base/base.h"

/* ---- limb helpers ---- */

#define RN_U256_HOT static inline __attribute__((always_inline))

/* Number of significant limbs of x[0..n). */
static inline int nlimbs(const uint64_t *x, int n)
{
    while (n > 0 && x[n - 1] == 0)
        n--;
    return n;
}

/* x >> (64 - s) for s in 0..63, which is 0 for s == 0 (a plain shift by 64 is undefined). */
static inline uint64_t spill(uint64_t x, unsigned s)
{
    return (x >> 1) >> (63 - s);
}

/* u[0..n) -= q * v[0..n); returns the limb still to be subtracted from u[n]. */
static inline uint64_t submul(uint64_t *u, const uint64_t *v, int n, uint64_t q)
{
    uint64_t borrow = 0;
    for (int i = 0; i < n; i++) {
        /* q*v + borrow <= (2^64-1)^2 + 2^64-1 < 2^128; its high limb is 2^64-1 only when the
         * low limb is 0, so adding the borrow of the subtraction below cannot wrap. */
        u128_t p = (u128_t)q * v[i] + borrow;
        uint64_t lo = (uint64_t)p;
        borrow = (uint64_t)(p >> 64) + (u[i] < lo);
        u[i] -= lo;
    }
    return borrow;
}

/* u[0..n) += v[0..n); returns the carry out. */
static inline uint64_t add_n(uint64_t *u, const uint64_t *v, int n)
{
    uint64_t c = 0;
    for (int i = 0; i < n; i++) {
        u128_t s = (u128_t)u[i] + v[i] + c;
        u[i] = (uint64_t)s;
        c = (uint64_t)(s >> 64);
    }
    return c;
}

/* ---- Möller–Granlund division by an invariant, normalised divisor ---- */

/* v = floor((2^128 - 1) / d) - 2^64 for d >= 2^63. Since ~d < d the quotient fits in 64 bits;
 * this is the one hardware division per long division. */
static inline uint64_t reciprocal_2by1(uint64_t d)
{
    return (uint64_t)((((u128_t)~d << 64) | UINT64_MAX) / d);
}

/* Algorithm 4: (u1:u0) / d for d >= 2^63, u1 < d, v = reciprocal_2by1(d). */
static inline uint64_t udivrem_2by1(uint64_t u1, uint64_t u0, uint64_t d, uint64_t v, uint64_t *rem)
{
    /* v*u1 + (u1:u0) < 2^128 because (v + 2^64) * u1 < 2^128 * u1 / d and u1 < d. */
    u128_t qq = (u128_t)v * u1 + (((u128_t)u1 << 64) | u0);
    uint64_t q1 = (uint64_t)(qq >> 64) + 1;
    uint64_t q0 = (uint64_t)qq;
    uint64_t r = u0 - q1 * d;
    if (r > q0) {
        q1--;
        r += d;
    }
    if (__builtin_expect(r >= d, 0)) {
        q1++;
        r -= d;
    }
    *rem = r;
    return q1;
}

/* Algorithm 6: v = floor((2^192 - 1) / (d1:d0)) - 2^64 for d1 >= 2^63. */
static inline uint64_t reciprocal_3by2(uint64_t d1, uint64_t d0)
{
    uint64_t v = reciprocal_2by1(d1);
    uint64_t p = d1 * v + d0;
    if (p < d0) {
        v--;
        if (p >= d1) {
            v--;
            p -= d1;
        }
        p -= d1;
    }
    u128_t t = (u128_t)v * d0;
    uint64_t t1 = (uint64_t)(t >> 64), t0 = (uint64_t)t;
    p += t1;
    if (p < t1) {
        v--;
        if (p > d1 || (p == d1 && t0 >= d0))
            v--;
    }
    return v;
}

/* Algorithm 5: (u2:u1:u0) / (d1:d0) for d1 >= 2^63 and (u2:u1) < (d1:d0), with
 * v = reciprocal_3by2(d1, d0). The remainder (< d1:d0) goes to *rem. */
static inline uint64_t udivrem_3by2(uint64_t u2, uint64_t u1, uint64_t u0, uint64_t d1, uint64_t d0,
                                    uint64_t v, u128_t *rem)
{
    const u128_t d = ((u128_t)d1 << 64) | d0;
    u128_t qq = (u128_t)v * u2 + (((u128_t)u2 << 64) | u1);
    uint64_t q1 = (uint64_t)(qq >> 64);
    uint64_t q0 = (uint64_t)qq;
    uint64_t r1 = u1 - q1 * d1;
    /* All mod 2^128. */
    u128_t r = ((((u128_t)r1 << 64) | u0) - (u128_t)d0 * q1) - d;
    q1++;
    if ((uint64_t)(r >> 64) >= q0) {
        q1--;
        r += d;
    }
    if (__builtin_expect(r >= d, 0)) {
        q1++;
        r -= d;
    }
    *rem = r;
    return q1;
}

/* q[0..m) = u[0..m) / d; returns u mod d. d != 0, m >= 1; q may alias u. */
static uint64_t div_by_word(uint64_t *q, const uint64_t *u, int m, uint64_t d)
{
    unsigned s = (unsigned)__builtin_clzll(d);
    uint64_t dn = d << s;
    uint64_t v = reciprocal_2by1(dn);
    uint64_t r = spill(u[m - 1], s); /* < 2^s <= dn */
    for (int i = m - 1; i > 0; i--) {
        uint64_t digit = (u[i] << s) | spill(u[i - 1], s);
        q[i] = udivrem_2by1(r, digit, dn, v, &r);
    }
    q[0] = udivrem_2by1(r, u[0] << s, dn, v, &r);
    return r >> s;
}

/* Algorithm D: q[0..m-n] = u / v and r[0..n) = u mod v, for 2 <= n <= 4, n <= m <= 8 and
 * v[n-1] != 0. Instantiated below for each n, so that the loops over the divisor unroll. */
RN_U256_HOT void div_long_n(uint64_t *q, uint64_t *r, const uint64_t *u, int m, const uint64_t *v,
                            const int n)
{
    uint64_t un[9], vn[4];
    /* D1: normalise. The spill limb un[m] is < 2^s <= vn[n-1], so the first partial remainder
     * is below vn * 2^(64(m-n+1)) and every quotient digit fits in a limb. */
    unsigned s = (unsigned)__builtin_clzll(v[n - 1]);
    for (int i = n - 1; i > 0; i--)
        vn[i] = (v[i] << s) | spill(v[i - 1], s);
    vn[0] = v[0] << s;
    un[m] = spill(u[m - 1], s);
    for (int i = m - 1; i > 0; i--)
        un[i] = (u[i] << s) | spill(u[i - 1], s);
    un[0] = u[0] << s;

    const uint64_t d1 = vn[n - 1], d0 = vn[n - 2];
    const uint64_t rv = reciprocal_3by2(d1, d0);
    /* D2-D7, one quotient digit per step. Invariant: un[j+1 .. j+n] < vn, hence
     * (un[j+n]:un[j+n-1]) <= (d1:d0). */
    for (int j = m - n; j >= 0; j--) {
        uint64_t u2 = un[j + n], u1 = un[j + n - 1];
        uint64_t qhat;
        if (__builtin_expect(u2 == d1 && u1 == d0, 0)) {
            /* Outside the 3-by-2 domain (possible only for n >= 3). The digit is exactly
             * 2^64-1: with D = (d1:d0) >= 2^127 the partial remainder R = D*B^(n-1) + R' and
             * vn = D*B^(n-2) + V' (B = 2^64, R' < B^(n-1), V' < B^(n-2)) give
             * R - (B-1)*vn = R' + D*B^(n-2) - (B-1)*V' > 0, and the invariant gives R < B*vn. */
            qhat = UINT64_MAX;
            un[j + n] -= submul(un + j, vn, n, qhat);
            ASSERT(un[j + n] == 0);
        } else {
            /* D3: qhat and the remainder of the top three digits by the top two. */
            u128_t rem;
            qhat = udivrem_3by2(u2, u1, un[j + n - 2], d1, d0, rv, &rem);
            uint64_t r1 = (uint64_t)(rem >> 64), r0 = (uint64_t)rem;
            /* D4: subtract qhat times the divisor's remaining n-2 digits. */
            uint64_t borrow = submul(un + j, vn, n - 2, qhat);
            uint64_t brw = r0 < borrow;
            un[j + n - 2] = r0 - borrow;
            un[j + n - 1] = r1 - brw; /* un[j+n] is dead from here on */
            if (__builtin_expect(r1 < brw, 0)) {
                /* D6: qhat was one too large; the carry out of the addition cancels the
                 * borrow. */
                qhat--;
                (void)add_n(un + j, vn, n);
            }
        }
        q[j] = qhat;
    }
    /* D8: unnormalise the remainder. */
    for (int i = 0; i < n - 1; i++)
        r[i] = (un[i] >> s) | ((un[i + 1] << 1) << (63 - s));
    r[n - 1] = un[n - 1] >> s;
}

static void div_long(uint64_t *q, uint64_t *r, const uint64_t *u, int m, const uint64_t *v, int n)
{
    switch (n) {
    case 2:
        div_long_n(q, r, u, m, v, 2);
        break;
    case 3:
        div_long_n(q, r, u, m, v, 3);
        break;
    default:
        div_long_n(q, r, u, m, v, 4);
        break;
    }
}

/* r = u[0..m) mod v[0..4), v != 0, m <= 8. */
static u256_t mod_limbs(const uint64_t *u, int m, const uint64_t *v)
{
    u256_t r = u256_zero();
    uint64_t q[8];
    m = nlimbs(u, m);
    int n = nlimbs(v, 4);
    if (m < n) {
        memcpy(r.w, u, (size_t)m * sizeof(uint64_t));
    } else if (n == 1) {
        r.w[0] = div_by_word(q, u, m, v[0]);
    } else {
        div_long(q, r.w, u, m, v, n);
    }
    return r;
}

/* ---- multiplication ---- */

/* Schoolbook, keeping only the partial products below 2^256. Always inlined inside this file:
 * through the public wrapper every u256_t argument and result makes a trip through memory. */
RN_U256_HOT u256_t mul_lo(u256_t a, u256_t b)
{
    u256_t r;
    u128_t t;
    uint64_t c;
    t = (u128_t)a.w[0] * b.w[0];
    r.w[0] = (uint64_t)t;
    c = (uint64_t)(t >> 64);
    t = (u128_t)a.w[0] * b.w[1] + c;
    r.w[1] = (uint64_t)t;
    c = (uint64_t)(t >> 64);
    t = (u128_t)a.w[0] * b.w[2] + c;
    r.w[2] = (uint64_t)t;
    c = (uint64_t)(t >> 64);
    r.w[3] = a.w[0] * b.w[3] + c;

    t = (u128_t)a.w[1] * b.w[0] + r.w[1];
    r.w[1] = (uint64_t)t;
    c = (uint64_t)(t >> 64);
    t = (u128_t)a.w[1] * b.w[1] + r.w[2] + c;
    r.w[2] = (uint64_t)t;
    c = (uint64_t)(t >> 64);
    r.w[3] += a.w[1] * b.w[2] + c;

    t = (u128_t)a.w[2] * b.w[0] + r.w[2];
    r.w[2] = (uint64_t)t;
    c = (uint64_t)(t >> 64);
    r.w[3] += a.w[2] * b.w[1] + c;

    r.w[3] += a.w[3] * b.w[0];
    return r;
}

u256_t u256_mul(u256_t a, u256_t b)
{
    return mul_lo(a, b);
}

/* Full 256x256 -> 512-bit product, limbs least significant first. */
static void mul_full(uint64_t r[8], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t c = 0;
    for (int j = 0; j < 4; j++) {
        u128_t t = (u128_t)a[0] * b[j] + c;
        r[j] = (uint64_t)t;
        c = (uint64_t)(t >> 64);
    }
    r[4] = c;
    for (int i = 1; i < 4; i++) {
        c = 0;
        for (int j = 0; j < 4; j++) {
            /* (2^64-1)^2 + 2*(2^64-1) = 2^128 - 1: no overflow. */
            u128_t t = (u128_t)a[i] * b[j] + r[i + j] + c;
            r[i + j] = (uint64_t)t;
            c = (uint64_t)(t >> 64);
        }
        r[i + 4] = c;
    }
}

bool u256_mul_overflow(u256_t a, u256_t b, u256_t *r)
{
    uint64_t p[8];
    mul_full(p, a.w, b.w);
    memcpy(r->w, p, sizeof r->w);
    return (p[4] | p[5] | p[6] | p[7]) != 0;
}

/* ---- division ---- */

RN_U256_HOT void divmod(u256_t a, u256_t b, u256_t *q, u256_t *r)
{
    *q = u256_zero();
    *r = u256_zero();
    if (u256_fits_u64(b)) {
        uint64_t d = b.w[0];
        if (d == 0)
            return;
        if (u256_fits_u64(a)) {
            q->w[0] = a.w[0] / d;
            r->w[0] = a.w[0] % d;
            return;
        }
        r->w[0] = div_by_word(q->w, a.w, nlimbs(a.w, 4), d);
        return;
    }
    int m = nlimbs(a.w, 4), n = nlimbs(b.w, 4);
    if (m < n || (m == n && u256_lt(a, b))) {
        *r = a;
        return;
    }
    div_long(q->w, r->w, a.w, m, b.w, n);
}

void u256_divmod(u256_t a, u256_t b, u256_t *q, u256_t *r)
{
    u256_t qq, rr;
    divmod(a, b, &qq, &rr);
    if (q)
        *q = qq;
    if (r)
        *r = rr;
}

u256_t u256_div(u256_t a, u256_t b)
{
    u256_t q, r;
    divmod(a, b, &q, &r);
    return q;
}

u256_t u256_mod(u256_t a, u256_t b)
{
    u256_t q, r;
    divmod(a, b, &q, &r);
    return r;
}

u256_t u256_sdiv(u256_t a, u256_t b)
{
    /* |a| / |b| with the sign fixed afterwards. -2^255 has no positive counterpart, but its
     * negation wraps to 2^255, which as an unsigned magnitude is right; the one overflowing
     * case, -2^255 / -1, then yields 2^255 = -2^255 as the EVM requires. */
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    u256_t q, r;
    divmod(na ? u256_neg(a) : a, nb ? u256_neg(b) : b, &q, &r);
    return na != nb ? u256_neg(q) : q;
}

u256_t u256_smod(u256_t a, u256_t b)
{
    /* The remainder takes the sign of the dividend (truncated division). */
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    u256_t q, r;
    divmod(na ? u256_neg(a) : a, nb ? u256_neg(b) : b, &q, &r);
    return na ? u256_neg(r) : r;
}

u256_t u256_addmod(u256_t a, u256_t b, u256_t m)
{
    if (u256_is_zero(m))
        return u256_zero();
    u256_t s;
    bool carry = u256_add_overflow(a, b, &s);
    if (u256_lt(a, m) && u256_lt(b, m)) {
        /* Reduced operands (the common case): a + b < 2m, so one subtraction suffices, and
         * when the sum wrapped past 2^256 the wrapped difference is the right value. */
        if (carry || !u256_lt(s, m))
            s = u256_sub(s, m);
        return s;
    }
    uint64_t u[5] = { s.w[0], s.w[1], s.w[2], s.w[3], carry };
    return mod_limbs(u, 5, m.w);
}

u256_t u256_mulmod(u256_t a, u256_t b, u256_t m)
{
    if (u256_is_zero(m))
        return u256_zero();
    uint64_t p[8];
    mul_full(p, a.w, b.w);
    return mod_limbs(p, 8, m.w);
}

/* ---- exponentiation ---- */

u256_t u256_exp(u256_t base, u256_t exponent)
{
    if (u256_is_zero(exponent))
        return u256_from_u64(1); /* including 0^0 = 1 */
    if (u256_fits_u64(base) && base.w[0] <= 1)
        return base; /* 0^e = 0 and 1^e = 1 for e > 0 */
    bool big_e = !u256_fits_u64(exponent) || exponent.w[0] >= 256;
    if ((base.w[0] & 1) == 0) {
        /* An even base contributes at least one factor 2 per unit of exponent. */
        if (big_e)
            return u256_zero();
        if (u256_is_zero(u256_and(base, u256_sub(base, u256_from_u64(1))))) {
            /* base = 2^k with 1 <= k <= 255: a shift (k * e < 2^16; 256 and over give 0). */
            unsigned k = 255 - u256_clz(base);
            return u256_shl_n(u256_from_u64(1), k * (unsigned)exponent.w[0]);
        }
    }
    /* Square and multiply, least significant exponent bit first. */
    u256_t r = u256_from_u64(1);
    int top = nlimbs(exponent.w, 4) - 1;
    for (int i = 0; i <= top; i++) {
        uint64_t e = exponent.w[i];
        for (int k = 0; k < 64; k++) {
            if (e & 1)
                r = mul_lo(r, base);
            e >>= 1;
            if (i == top && e == 0)
                return r;
            base = mul_lo(base, base);
        }
    }
    return r;
}

/* ---- bytes, bits and shifts ---- */

u256_t u256_signextend(u256_t b, u256_t x)
{
    if (!u256_fits_u64(b) || b.w[0] >= 31)
        return x;
    unsigned bit = (unsigned)b.w[0] * 8 + 7; /* the sign bit, 7..247 */
    unsigned limb = bit / 64, off = bit % 64;
    uint64_t sign = (uint64_t)0 - ((x.w[limb] >> off) & 1); /* all ones if negative */
    uint64_t high = (UINT64_MAX << off) << 1;               /* bits above the sign bit */
    x.w[limb] = (x.w[limb] & ~high) | (sign & high);
    for (unsigned i = limb + 1; i < 4; i++)
        x.w[i] = sign;
    return x;
}

u256_t u256_byte(u256_t i, u256_t x)
{
    if (!u256_fits_u64(i) || i.w[0] >= 32)
        return u256_zero();
    unsigned pos = 31 - (unsigned)i.w[0]; /* counted from the least significant end */
    return u256_from_u64((x.w[pos / 8] >> (8 * (pos % 8))) & 0xff);
}

u256_t u256_shl_n(u256_t x, unsigned n)
{
    u256_t r = u256_zero();
    if (n >= 256)
        return r;
    unsigned k = n / 64, s = n % 64;
    for (unsigned i = 3; i > k; i--)
        r.w[i] = (x.w[i - k] << s) | spill(x.w[i - k - 1], s);
    r.w[k] = x.w[0] << s;
    return r;
}

u256_t u256_shr_n(u256_t x, unsigned n)
{
    u256_t r = u256_zero();
    if (n >= 256)
        return r;
    unsigned k = n / 64, s = n % 64;
    for (unsigned i = 0; i + k < 3; i++)
        r.w[i] = (x.w[i + k] >> s) | ((x.w[i + k + 1] << 1) << (63 - s));
    r.w[3 - k] = x.w[3] >> s;
    return r;
}

/* The shift count if it is below 256, else 256. */
static inline unsigned shift_count(u256_t shift)
{
    return u256_fits_u64(shift) && shift.w[0] < 256 ? (unsigned)shift.w[0] : 256;
}

u256_t u256_shl(u256_t shift, u256_t x)
{
    return u256_shl_n(x, shift_count(shift));
}

u256_t u256_shr(u256_t shift, u256_t x)
{
    return u256_shr_n(x, shift_count(shift));
}

u256_t u256_sar(u256_t shift, u256_t x)
{
    /* For negative x, x >> n (arithmetic) = ~(~x >> n) (logical); ~x is then non-negative.
     * A saturated shift gives 0 or all ones. */
    if (!u256_is_neg(x))
        return u256_shr_n(x, shift_count(shift));
    return u256_not(u256_shr_n(u256_not(x), shift_count(shift)));
}

unsigned u256_clz(u256_t x)
{
    for (int i = 3; i >= 0; i--) {
        if (x.w[i])
            return (unsigned)(3 - i) * 64 + (unsigned)__builtin_clzll(x.w[i]);
    }
    return 256;
}

unsigned u256_bit_length(u256_t x)
{
    return 256 - u256_clz(x);
}

unsigned u256_byte_length(u256_t x)
{
    return (u256_bit_length(x) + 7) / 8;
}

u256_t u256_from_be(const uint8_t *p, size_t n)
{
    uint8_t b[32] = { 0 };
    if (n > 32) {
        p += n - 32;
        n = 32;
    }
    if (n > 0)
        memcpy(b + 32 - n, p, n);
    u256_t r = { { be_load64(b + 24), be_load64(b + 16), be_load64(b + 8), be_load64(b) } };
    return r;
}

void u256_to_be(uint8_t out[32], u256_t x)
{
    for (int i = 0; i < 4; i++)
        be_store64(out + 8 * (3 - i), x.w[i]);
}

/* ---- text ---- */

err_t u256_from_hex(const char *s, size_t n, u256_t *out)
{
    s = hex_skip_prefix(s, &n);
    if (n == 0)
        return ERR_NUM_INVALID;
    if (n > 64)
        return ERR_NUM_OVERFLOW;
    u256_t r = u256_zero();
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return ERR_NUM_INVALID;
        size_t pos = n - 1 - i; /* nibble index from the least significant end */
        r.w[pos / 16] |= (uint64_t)d << (4 * (pos % 16));
    }
    *out = r;
    return ERR_OK;
}

/* 10^0 .. 10^19 (10^19 < 2^64 < 10^20). */
static const uint64_t pow10_u64[20] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull,
};

err_t u256_from_dec(const char *s, size_t n, u256_t *out)
{
    if (n == 0)
        return ERR_NUM_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_NUM_INVALID;
    }
    /* Groups of 19 digits (each fits a limb), the first group taking the remainder:
     * r = r * 10^len + group, overflow when a carry leaves the top limb. */
    u256_t r = u256_zero();
    size_t len = n % 19 ? n % 19 : 19;
    for (size_t i = 0; i < n; i += len, len = 19) {
        uint64_t c = 0;
        for (size_t k = 0; k < len; k++)
            c = c * 10 + (uint64_t)(s[i + k] - '0');
        const uint64_t m = pow10_u64[len];
        for (int w = 0; w < 4; w++) {
            u128_t t = (u128_t)r.w[w] * m + c;
            r.w[w] = (uint64_t)t;
            c = (uint64_t)(t >> 64);
        }
        if (c != 0)
            return ERR_NUM_OVERFLOW;
    }
    *out = r;
    return ERR_OK;
}

err_t u256_parse(const char *s, size_t n, u256_t *out)
{
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return u256_from_hex(s, n, out);
    return u256_from_dec(s, n, out);
}

void u256_to_hex(char out[67], u256_t x)
{
    static const char digits[] = "0123456789abcdef";
    out[0] = '0';
    out[1] = 'x';
    unsigned nib = (u256_bit_length(x) + 3) / 4;
    if (nib == 0) {
        out[2] = '0';
        out[3] = 0;
        return;
    }
    for (unsigned i = 0; i < nib; i++) {
        unsigned pos = nib - 1 - i;
        out[2 + i] = digits[(x.w[pos / 16] >> (4 * (pos % 16))) & 15];
    }
    out[2 + nib] = 0;
}

void u256_to_dec(char out[79], u256_t x)
{
    /* Peel base-10^19 digits (10^19 >= 2^63 is already normalised) with 2-by-1 divisions by
     * its reciprocal, then print each 64-bit chunk; 2^256 < 10^(19*5). */
    const uint64_t ten19 = pow10_u64[19];
    const uint64_t v = reciprocal_2by1(ten19);
    uint64_t chunk[5];
    int nc = 0;
    int m = nlimbs(x.w, 4);
    while (m > 1 || (m == 1 && x.w[0] >= ten19)) {
        uint64_t r = 0;
        for (int i = m - 1; i >= 0; i--)
            x.w[i] = udivrem_2by1(r, x.w[i], ten19, v, &r);
        chunk[nc++] = r;
        m = nlimbs(x.w, m);
    }
    chunk[nc++] = x.w[0];

    char *p = out;
    /* The most significant chunk without leading zeros ("0" for zero). */
    char tmp[20];
    int t = 0;
    uint64_t c = chunk[nc - 1];
    do {
        tmp[t++] = (char)('0' + c % 10);
        c /= 10;
    } while (c != 0);
    while (t > 0)
        *p++ = tmp[--t];
    /* The others as exactly 19 digits. */
    for (int i = nc - 2; i >= 0; i--) {
        c = chunk[i];
        for (int k = 18; k >= 0; k--) {
            p[k] = (char)('0' + c % 10);
            c /= 10;
        }
        p += 19;
    }
    *p = 0;
}
