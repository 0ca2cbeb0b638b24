/* src/evm/pc_modexp.c — MODEXP (precompile 0x05): EIP-198 input format and pricing, EIP-2565
 * and EIP-7883 repricing, big-number work on GMP.
 *
 * Input: base_len ‖ exp_len ‖ mod_len (three 32-byte big-endian words), then base, exponent and
 * modulus of those lengths; missing bytes read as zeros. The lengths come from outside and may
 * be as large as 2^256 - 1, so the gas is computed first with saturating arithmetic, and only
 * the lengths a caller has paid for ever reach an allocation. */
#include <gmp.h>
#include <string.h>

#include "base/bytes.h"
#include "base/u256.h"
#include "evm/pc_int.h"
#include "evm/precompiles.h"

/** Read one length word at `off`; saturate at UINT64_MAX. */
static uint64_t read_len(const uint8_t *in, size_t n, size_t off, bool *over32, bool *over1024)
{
    uint8_t w[32] = { 0 };
    if (off < n) {
        size_t k = n - off < 32 ? n - off : 32;
        memcpy(w, in + off, k);
    }
    bool high = false; /* any of the top 24 bytes set: >= 2^64 */
    for (int i = 0; i < 24; i++)
        high = high || w[i] != 0;
    uint64_t v = high ? UINT64_MAX : be_load64(w + 24);
    if (v > 32)
        *over32 = true;
    if (v > 1024)
        *over1024 = true;
    return v;
}

void modexp_parse(modexp_args_t *a, const uint8_t *in, size_t n)
{
    memset(a, 0, sizeof(*a));
    a->base_len = read_len(in, n, 0, &a->lens_over_32, &a->lens_over_1024);
    a->exp_len = read_len(in, n, 32, &a->lens_over_32, &a->lens_over_1024);
    a->mod_len = read_len(in, n, 64, &a->lens_over_32, &a->lens_over_1024);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/** Copy `len` bytes of the (zero-padded) input starting at `off` into out (len <= 32). */
static void read_padded(uint8_t *out, size_t len, const uint8_t *in, size_t n, uint64_t off)
{
    memset(out, 0, len);
    if (off >= n)
        return;
    size_t o = (size_t)off;
    size_t k = n - o < len ? n - o : len;
    memcpy(out, in + o, k);
}

/** Bit length of the first min(exp_len, 32) bytes of the exponent, as a number. */
static unsigned exp_head_bits(const modexp_args_t *a, const uint8_t *in, size_t n)
{
    uint8_t head[32];
    size_t hl = a->exp_len < 32 ? (size_t)a->exp_len : 32;
    read_padded(head, hl, in, n, sat_add(96, a->base_len));
    for (size_t i = 0; i < hl; i++) {
        if (head[i] != 0)
            return (unsigned)(8 * (hl - i) - (size_t)__builtin_clz(head[i]) + 24);
    }
    return 0;
}

/** EIP-198 "adjusted exponent length" (the iteration count before max(., 1)), with `mult` the
 *  per-byte weight of exponent bytes past the first 32 (8, or 16 under EIP-7883). u128 holds it
 *  for any exp_len < 2^64. */
static u128_t iteration_count(const modexp_args_t *a, const uint8_t *in, size_t n, unsigned mult)
{
    unsigned bits = exp_head_bits(a, in, n);
    u128_t head = bits > 0 ? bits - 1 : 0;
    u128_t it = head;
    if (a->exp_len > 32)
        it += (u128_t)mult * (a->exp_len - 32);
    return it > 0 ? it : 1;
}

static uint64_t to_u64_sat(u128_t v)
{
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/** a·b in u128, or false if it does not fit. */
static bool mul128(u128_t a, u128_t b, u128_t *r)
{
    if (a != 0 && b > ~(u128_t)0 / a)
        return false;
    *r = a * b;
    return true;
}

uint64_t modexp_gas(const modexp_args_t *a, int pricing, const uint8_t *in, size_t n)
{
    uint64_t x = a->base_len > a->mod_len ? a->base_len : a->mod_len;
    /* A length of 2^64 or more (saturated) makes any non-zero complexity astronomically large. */
    bool x_sat = x == UINT64_MAX;
    bool e_sat = a->exp_len == UINT64_MAX;
    u128_t mc;
    if (pricing == MODEXP_EIP198) {
        /* EIP-198: x^2 (x <= 64), x^2/4 + 96x - 3072 (x <= 1024), x^2/16 + 480x - 199680. */
        if (x_sat)
            return UINT64_MAX;
        u128_t xx = (u128_t)x * x;
        if (x <= 64)
            mc = xx;
        else if (x <= 1024)
            mc = xx / 4 + 96 * (u128_t)x - 3072;
        else
            mc = xx / 16 + 480 * (u128_t)x - 199680;
        if (mc == 0)
            return 0;
        if (e_sat)
            return UINT64_MAX;
        u128_t g;
        if (!mul128(mc, iteration_count(a, in, n, 8), &g))
            return UINT64_MAX;
        return to_u64_sat(g / 20);
    }
    if (pricing == MODEXP_EIP2565) {
        /* EIP-2565: ceil(x/8)^2 · max(iterations, 1) / 3, at least 200. */
        if (x_sat)
            return UINT64_MAX;
        u128_t words = ((u128_t)x + 7) / 8;
        mc = words * words;
        if (mc == 0)
            return 200;
        if (e_sat)
            return UINT64_MAX;
        u128_t g;
        if (!mul128(mc, iteration_count(a, in, n, 8), &g))
            return UINT64_MAX;
        g /= 3;
        return g < 200 ? 200 : to_u64_sat(g);
    }
    /* EIP-7883: 16 if x <= 32, else 2·ceil(x/8)^2; exponent bytes past 32 weigh 16; no divisor;
     * at least 500. */
    if (x_sat || e_sat)
        return UINT64_MAX;
    if (x <= 32) {
        mc = 16;
    } else {
        u128_t words = ((u128_t)x + 7) / 8;
        mc = 2 * words * words;
    }
    u128_t g;
    if (!mul128(mc, iteration_count(a, in, n, 16), &g))
        return UINT64_MAX;
    return g < 500 ? 500 : to_u64_sat(g);
}

/** Import `len` big-endian bytes of the zero-padded input at `off`: the bytes inside the input
 *  followed by the missing ones as zeros, i.e. value·256^missing. */
static void import_padded(mpz_t r, const uint8_t *in, size_t n, uint64_t off, uint64_t len)
{
    size_t inside = 0;
    if (off < n) {
        uint64_t avail = n - (size_t)off;
        inside = (size_t)(len < avail ? len : avail);
        mpz_import(r, inside, 1, 1, 1, 0, in + off);
    } else {
        mpz_set_ui(r, 0);
    }
    uint64_t pad = len - inside;
    if (pad > 0 && mpz_sgn(r) != 0)
        mpz_mul_2exp(r, r, (mp_bitcnt_t)(pad * 8));
}

void modexp_compute(uint8_t *out, const modexp_args_t *a, const uint8_t *in, size_t n)
{
    size_t ml = (size_t)a->mod_len;
    if (ml == 0)
        return;
    memset(out, 0, ml);
    uint64_t off_exp = sat_add(96, a->base_len);
    uint64_t off_mod = sat_add(off_exp, a->exp_len);
    mpz_t b, e, m, r;
    mpz_inits(b, e, m, r, NULL);
    import_padded(m, in, n, off_mod, a->mod_len);
    /* A non-zero modulus has at least one byte inside the input, so base and exponent end
     * inside it too: their sizes are bounded by n, whatever exp_len claimed. A truncated
     * base or exponent always comes with a zero modulus, whose result is all zeros. */
    if (mpz_sgn(m) != 0) {
        import_padded(b, in, n, 96, a->base_len);
        import_padded(e, in, n, off_exp, a->exp_len);
        mpz_powm(r, b, e, m);
        size_t len = (mpz_sizeinbase(r, 2) + 7) / 8;
        if (mpz_sgn(r) != 0 && len <= ml)
            mpz_export(out + (ml - len), NULL, 1, 1, 1, 0, r);
    }
    mpz_clears(b, e, m, r, NULL);
}
