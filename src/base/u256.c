/* 256-bit arithmetic: the heavy operations of u256.h.
 *
 * Division is Knuth's Algorithm D (TAOCP vol. 2, §4.3.1) on 64-bit digits with the divisor
 * normalised so its top bit is set; quotient digits are estimated from the top two dividend
 * digits with a 128-by-64 division and corrected at most twice. */
#include "base/u256.h"

#include <string.h>

#include "base/hex.h"

/* Full 256×256 → 512-bit product, little-endian limbs. */
static void mul_full(const uint64_t a[4], const uint64_t b[4], uint64_t r[8])
{
    memset(r, 0, 8 * sizeof(uint64_t));
    for (int i = 0; i < 4; i++) {
        u128_t carry = 0;
        if (a[i] == 0)
            continue;
        for (int j = 0; j < 4; j++) {
            u128_t t = (u128_t)a[i] * b[j] + r[i + j] + carry;
            r[i + j] = (uint64_t)t;
            carry = t >> 64;
        }
        r[i + 4] = (uint64_t)carry;
    }
}

u256_t u256_mul(u256_t a, u256_t b)
{
    u256_t r;
    u128_t t;
    /* Only the products that land in the low 256 bits. */
    t = (u128_t)a.w[0] * b.w[0];
    r.w[0] = (uint64_t)t;
    u128_t c1 = t >> 64;
    t = (u128_t)a.w[0] * b.w[1] + c1;
    u128_t s1 = (uint64_t)t;
    u128_t c2 = t >> 64;
    t = (u128_t)a.w[1] * b.w[0] + s1;
    r.w[1] = (uint64_t)t;
    c2 += t >> 64;
    /* limb 2 */
    u128_t acc = c2;
    uint64_t hi3 = 0;
    t = (u128_t)a.w[0] * b.w[2];
    acc += (uint64_t)t;
    hi3 += (uint64_t)(t >> 64);
    t = (u128_t)a.w[1] * b.w[1];
    acc += (uint64_t)t;
    hi3 += (uint64_t)(t >> 64);
    t = (u128_t)a.w[2] * b.w[0];
    acc += (uint64_t)t;
    hi3 += (uint64_t)(t >> 64);
    r.w[2] = (uint64_t)acc;
    uint64_t l3 = (uint64_t)(acc >> 64) + hi3;
    l3 += a.w[0] * b.w[3] + a.w[1] * b.w[2] + a.w[2] * b.w[1] + a.w[3] * b.w[0];
    r.w[3] = l3;
    return r;
}

bool u256_mul_overflow(u256_t a, u256_t b, u256_t *r)
{
    uint64_t p[8];
    mul_full(a.w, b.w, p);
    memcpy(r->w, p, 32);
    return (p[4] | p[5] | p[6] | p[7]) != 0;
}

static int nlimbs(const uint64_t *x, int n)
{
    while (n > 0 && x[n - 1] == 0)
        n--;
    return n;
}

/* q = u / v, r = u % v for u of m limbs and v of n limbs (v != 0). q needs m limbs, r n limbs.
 * Algorithm D. */
static void divmod_limbs(const uint64_t *u, int m, const uint64_t *v, int n, uint64_t *q,
                         uint64_t *r)
{
    m = nlimbs(u, m);
    n = nlimbs(v, n);
    for (int i = 0; i < m; i++)
        q[i] = 0;
    if (m < n) {
        for (int i = 0; i < n; i++)
            r[i] = i < m ? u[i] : 0;
        return;
    }
    if (n == 1) {
        u128_t rem = 0;
        for (int i = m - 1; i >= 0; i--) {
            u128_t cur = (rem << 64) | u[i];
            q[i] = (uint64_t)(cur / v[0]);
            rem = cur % v[0];
        }
        r[0] = (uint64_t)rem;
        return;
    }
    /* D1: normalise. */
    int s = __builtin_clzll(v[n - 1]);
    uint64_t vn[8], un[17];
    for (int i = n - 1; i > 0; i--)
        vn[i] = s ? (v[i] << s) | (v[i - 1] >> (64 - s)) : v[i];
    vn[0] = v[0] << s;
    un[m] = s ? u[m - 1] >> (64 - s) : 0;
    for (int i = m - 1; i > 0; i--)
        un[i] = s ? (u[i] << s) | (u[i - 1] >> (64 - s)) : u[i];
    un[0] = u[0] << s;
    /* D2–D7 */
    for (int j = m - n; j >= 0; j--) {
        u128_t num = ((u128_t)un[j + n] << 64) | un[j + n - 1];
        u128_t qhat = num / vn[n - 1];
        u128_t rhat = num % vn[n - 1];
        while (qhat >> 64 || qhat * vn[n - 2] > ((rhat << 64) | un[j + n - 2])) {
            qhat--;
            rhat += vn[n - 1];
            if (rhat >> 64)
                break;
        }
        /* D4: multiply and subtract. */
        uint64_t borrow = 0;
        uint64_t carry = 0;
        for (int i = 0; i < n; i++) {
            u128_t p = qhat * vn[i] + carry;
            carry = (uint64_t)(p >> 64);
            uint64_t plo = (uint64_t)p;
            uint64_t t = un[i + j] - plo;
            uint64_t b1 = un[i + j] < plo;
            uint64_t t2 = t - borrow;
            uint64_t b2 = t < borrow;
            un[i + j] = t2;
            borrow = b1 + b2;
        }
        uint64_t t = un[j + n] - carry;
        uint64_t b1 = un[j + n] < carry;
        uint64_t t2 = t - borrow;
        uint64_t b2 = t < borrow;
        un[j + n] = t2;
        q[j] = (uint64_t)qhat;
        if (b1 || b2) {
            /* D6: add back. */
            q[j]--;
            u128_t c = 0;
            for (int i = 0; i < n; i++) {
                c += (u128_t)un[i + j] + vn[i];
                un[i + j] = (uint64_t)c;
                c >>= 64;
            }
            un[j + n] += (uint64_t)c;
        }
    }
    /* D8: unnormalise the remainder. */
    for (int i = 0; i < n; i++)
        r[i] = s ? (un[i] >> s) | (un[i + 1] << (64 - s)) : un[i];
}

void u256_divmod(u256_t a, u256_t b, u256_t *q, u256_t *r)
{
    u256_t qq = u256_zero(), rr = u256_zero();
    if (!u256_is_zero(b)) {
        if (u256_fits_u64(a) && u256_fits_u64(b)) {
            qq.w[0] = a.w[0] / b.w[0];
            rr.w[0] = a.w[0] % b.w[0];
        } else if (u256_lt(a, b)) {
            rr = a;
        } else {
            divmod_limbs(a.w, 4, b.w, 4, qq.w, rr.w);
        }
    }
    if (q)
        *q = qq;
    if (r)
        *r = rr;
}

u256_t u256_div(u256_t a, u256_t b)
{
    u256_t q;
    u256_divmod(a, b, &q, NULL);
    return q;
}

u256_t u256_mod(u256_t a, u256_t b)
{
    u256_t r;
    u256_divmod(a, b, NULL, &r);
    return r;
}

u256_t u256_sdiv(u256_t a, u256_t b)
{
    if (u256_is_zero(b))
        return u256_zero();
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    u256_t q = u256_div(na ? u256_neg(a) : a, nb ? u256_neg(b) : b);
    return na != nb ? u256_neg(q) : q;
}

u256_t u256_smod(u256_t a, u256_t b)
{
    if (u256_is_zero(b))
        return u256_zero();
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    u256_t r = u256_mod(na ? u256_neg(a) : a, nb ? u256_neg(b) : b);
    return na ? u256_neg(r) : r;
}

u256_t u256_addmod(u256_t a, u256_t b, u256_t m)
{
    if (u256_is_zero(m))
        return u256_zero();
    uint64_t s[5];
    u128_t c = 0;
    for (int i = 0; i < 4; i++) {
        c += (u128_t)a.w[i] + b.w[i];
        s[i] = (uint64_t)c;
        c >>= 64;
    }
    s[4] = (uint64_t)c;
    uint64_t q[5];
    u256_t r = u256_zero();
    divmod_limbs(s, 5, m.w, 4, q, r.w);
    return r;
}

u256_t u256_mulmod(u256_t a, u256_t b, u256_t m)
{
    if (u256_is_zero(m))
        return u256_zero();
    uint64_t p[8], q[8];
    mul_full(a.w, b.w, p);
    u256_t r = u256_zero();
    divmod_limbs(p, 8, m.w, 4, q, r.w);
    return r;
}

u256_t u256_exp(u256_t base, u256_t exponent)
{
    u256_t result = u256_from_u64(1);
    unsigned bits = u256_bit_length(exponent);
    for (unsigned i = 0; i < bits; i++) {
        if ((exponent.w[i / 64] >> (i % 64)) & 1)
            result = u256_mul(result, base);
        if (i + 1 < bits)
            base = u256_mul(base, base);
    }
    return result;
}

u256_t u256_signextend(u256_t b, u256_t x)
{
    if (!u256_fits_u64(b) || b.w[0] >= 31)
        return x;
    unsigned bit = (unsigned)b.w[0] * 8 + 7;
    unsigned limb = bit / 64, off = bit % 64;
    bool neg = (x.w[limb] >> off) & 1;
    uint64_t mask = off == 63 ? UINT64_MAX : ((uint64_t)1 << (off + 1)) - 1;
    if (neg) {
        x.w[limb] |= ~mask;
        for (unsigned i = limb + 1; i < 4; i++)
            x.w[i] = UINT64_MAX;
    } else {
        x.w[limb] &= mask;
        for (unsigned i = limb + 1; i < 4; i++)
            x.w[i] = 0;
    }
    return x;
}

u256_t u256_byte(u256_t i, u256_t x)
{
    if (!u256_fits_u64(i) || i.w[0] >= 32)
        return u256_zero();
    unsigned bytepos = 31 - (unsigned)i.w[0]; /* from the least significant end */
    return u256_from_u64((x.w[bytepos / 8] >> (8 * (bytepos % 8))) & 0xff);
}

u256_t u256_shl_n(u256_t x, unsigned n)
{
    if (n >= 256)
        return u256_zero();
    u256_t r = u256_zero();
    unsigned limbs = n / 64, bits = n % 64;
    for (int i = 3; i >= (int)limbs; i--) {
        uint64_t v = x.w[i - (int)limbs] << bits;
        if (bits && i - (int)limbs - 1 >= 0)
            v |= x.w[i - (int)limbs - 1] >> (64 - bits);
        r.w[i] = v;
    }
    return r;
}

u256_t u256_shr_n(u256_t x, unsigned n)
{
    if (n >= 256)
        return u256_zero();
    u256_t r = u256_zero();
    unsigned limbs = n / 64, bits = n % 64;
    for (unsigned i = 0; i + limbs < 4; i++) {
        uint64_t v = x.w[i + limbs] >> bits;
        if (bits && i + limbs + 1 < 4)
            v |= x.w[i + limbs + 1] << (64 - bits);
        r.w[i] = v;
    }
    return r;
}

u256_t u256_shl(u256_t shift, u256_t x)
{
    if (!u256_fits_u64(shift) || shift.w[0] >= 256)
        return u256_zero();
    return u256_shl_n(x, (unsigned)shift.w[0]);
}

u256_t u256_shr(u256_t shift, u256_t x)
{
    if (!u256_fits_u64(shift) || shift.w[0] >= 256)
        return u256_zero();
    return u256_shr_n(x, (unsigned)shift.w[0]);
}

u256_t u256_sar(u256_t shift, u256_t x)
{
    bool neg = u256_is_neg(x);
    if (!u256_fits_u64(shift) || shift.w[0] >= 256)
        return neg ? u256_max() : u256_zero();
    unsigned n = (unsigned)shift.w[0];
    u256_t r = u256_shr_n(x, n);
    if (neg && n > 0)
        r = u256_or(r, u256_shl_n(u256_max(), 256 - n));
    return r;
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
    if (n > 32) {
        p += n - 32;
        n = 32;
    }
    u256_t r = u256_zero();
    for (size_t i = 0; i < n; i++) {
        size_t pos = n - 1 - i; /* byte index from the least significant end */
        r.w[pos / 8] |= (uint64_t)p[i] << (8 * (pos % 8));
    }
    return r;
}

void u256_to_be(uint8_t out[32], u256_t x)
{
    for (int i = 0; i < 4; i++)
        be_store64(out + 8 * (3 - i), x.w[i]);
}

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

err_t u256_from_dec(const char *s, size_t n, u256_t *out)
{
    if (n == 0)
        return ERR_NUM_INVALID;
    u256_t r = u256_zero(), ten = u256_from_u64(10);
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_NUM_INVALID;
        u256_t t;
        if (u256_mul_overflow(r, ten, &t) ||
            u256_add_overflow(t, u256_from_u64((uint64_t)(s[i] - '0')), &r))
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
    char tmp[80];
    size_t n = 0;
    if (u256_is_zero(x))
        tmp[n++] = '0';
    /* Peel 19 decimal digits at a time with a 64-bit divisor. */
    const uint64_t chunk = 10000000000000000000ull;
    while (!u256_is_zero(x)) {
        u256_t q, r;
        u256_divmod(x, u256_from_u64(chunk), &q, &r);
        uint64_t v = r.w[0];
        for (int d = 0; d < 19 && (v || !u256_is_zero(q)); d++) {
            tmp[n++] = (char)('0' + v % 10);
            v /= 10;
        }
        x = q;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
}
