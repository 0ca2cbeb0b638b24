/* u256 against GMP as an oracle, with edge-heavy random operands, plus fixed EVM vectors and
 * text conversions. Random tests print the operands of a failure in hex; the run's seed is
 * printed by the harness and replays with RN_TEST_SEED. */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "harness.h"

/* ---- oracle plumbing ---- */

static void to_mpz(mpz_t z, u256_t x)
{
    mpz_import(z, 4, -1, sizeof(uint64_t), 0, 0, x.w);
}

/* z mod 2^256 (z may be negative). */
static u256_t from_mpz(const mpz_t z)
{
    mpz_t t;
    mpz_init(t);
    mpz_fdiv_r_2exp(t, z, 256);
    u256_t r = u256_zero();
    mpz_export(r.w, NULL, -1, sizeof(uint64_t), 0, 0, t);
    mpz_clear(t);
    return r;
}

/* x read as a two's complement signed value. */
static void to_mpz_signed(mpz_t z, u256_t x)
{
    to_mpz(z, x);
    if (mpz_tstbit(z, 255)) {
        mpz_t m;
        mpz_init(m);
        mpz_setbit(m, 256);
        mpz_sub(z, z, m);
        mpz_clear(m);
    }
}

static u256_t H(const char *s)
{
    u256_t r;
    if (u256_from_hex(s, strlen(s), &r) != ERR_OK)
        abort(); /* a typo in a vector */
    return r;
}

static u256_t U(uint64_t v)
{
    return u256_from_u64(v);
}

/* Limb-wise equality (not u256_eq, which is under test), printing both sides in hex. */
#define CHECK_U256(got, want)                                                              \
    do {                                                                                   \
        u256_t g_ = (got), w_ = (want);                                                    \
        if (memcmp(g_.w, w_.w, sizeof g_.w) != 0) {                                        \
            char hg_[67], hw_[67];                                                         \
            u256_to_hex(hg_, g_);                                                          \
            u256_to_hex(hw_, w_);                                                          \
            harness_fail(__FILE__, __LINE__, "%s == %s: %s != %s", #got, #want, hg_, hw_); \
            return;                                                                        \
        }                                                                                  \
    } while (0)

static int g_bad; /* mismatches in the current test */

/* Compare got with want (mod 2^256); on a mismatch print the operation and its operands. */
static bool expect(const char *op, u256_t got, const mpz_t want, int nargs, const u256_t *args)
{
    u256_t w = from_mpz(want);
    if (memcmp(got.w, w.w, sizeof w.w) == 0)
        return true;
    if (g_bad++ < 10) {
        char h[67];
        fprintf(stderr, "    %s(", op);
        for (int i = 0; i < nargs; i++) {
            u256_to_hex(h, args[i]);
            fprintf(stderr, "%s%s", i ? ", " : "", h);
        }
        u256_to_hex(h, got);
        fprintf(stderr, ") = %s, ", h);
        u256_to_hex(h, w);
        fprintf(stderr, "GMP says %s\n", h);
    }
    return false;
}

#define EXPECT1(op, got, want, a)       expect(op, got, want, 1, (u256_t[]){ a })
#define EXPECT2(op, got, want, a, b)    expect(op, got, want, 2, (u256_t[]){ a, b })
#define EXPECT3(op, got, want, a, b, c) expect(op, got, want, 3, (u256_t[]){ a, b, c })

static bool expect_bool(const char *op, bool got, bool want, u256_t a, u256_t b)
{
    mpz_t w;
    mpz_init_set_ui(w, want);
    bool ok = EXPECT2(op, U(got), w, a, b);
    mpz_clear(w);
    return ok;
}

/* ---- operand generators ---- */

static u256_t rnd_full(void)
{
    u256_t x;
    for (int i = 0; i < 4; i++)
        x.w[i] = test_rand();
    return x;
}

/* Edge-heavy: zero, one, small values, max, 2^255 and its neighbours, powers of two +- 1,
 * values of every width, limbs that are zero or all ones, near -1. */
static u256_t rnd_u256(void)
{
    u256_t x = u256_zero();
    switch (test_rand() % 16) {
    case 0:
        return u256_zero();
    case 1:
        return U(test_rand() % 16);
    case 2:
        return u256_max();
    case 3: {
        x.w[3] = 1ull << 63; /* 2^255 = -2^255, and its neighbours */
        u256_t d = U(test_rand() % 3);
        return test_rand() & 1 ? u256_add(x, d) : u256_sub(x, d);
    }
    case 4: {
        x = u256_shl_n(U(1), (unsigned)(test_rand() % 256));
        switch (test_rand() % 3) {
        case 0:
            return x;
        case 1:
            return u256_sub(x, U(1));
        default:
            return u256_add(x, U(1));
        }
    }
    case 5:
        x.w[0] = test_rand();
        return x;
    case 6:
        x.w[0] = test_rand();
        x.w[1] = test_rand();
        return x;
    case 7:
        x.w[0] = test_rand();
        x.w[1] = test_rand();
        x.w[2] = test_rand();
        return x;
    case 8:
        for (int i = 0; i < 4; i++) {
            uint64_t k = test_rand() % 3;
            x.w[i] = k == 0 ? 0 : k == 1 ? UINT64_MAX : test_rand();
        }
        return x;
    case 9:
        return u256_neg(U(test_rand() % 1000));
    case 10:
        /* random bit length */
        return u256_shr_n(rnd_full(), (unsigned)(test_rand() % 256));
    case 11:
        /* a single limb with few bits set, anywhere */
        x.w[test_rand() % 4] = test_rand() & test_rand() & test_rand();
        return x;
    default:
        return rnd_full();
    }
}

static u256_t rnd_nonzero(void)
{
    u256_t x;
    do
        x = rnd_u256();
    while (u256_is_zero(x));
    return x;
}

/* A dividend for divisor b, built to stress quotient-digit estimation: near multiples of b,
 * b shifted by whole limbs with the low part disturbed (this reaches Algorithm D's case where
 * the top two remainder limbs equal the divisor's), or plain random. */
static u256_t rnd_dividend(u256_t b)
{
    switch (test_rand() % 6) {
    case 0: {
        u256_t k = test_rand() & 1 ? U(test_rand()) : rnd_u256();
        u256_t a = u256_mul(b, k);
        u256_t d = U(test_rand() % 4);
        return test_rand() & 1 ? u256_add(a, d) : u256_sub(a, d);
    }
    case 1: {
        unsigned limbs = 1 + (unsigned)(test_rand() % 3);
        u256_t a = u256_shl_n(b, 64 * limbs);
        a.w[0] = test_rand() & 1 ? test_rand() : 0;
        return test_rand() & 1 ? a : u256_sub(a, U(1 + test_rand() % 3));
    }
    case 2: {
        /* b's top limbs moved up one limb, the next limb zeroed: (b3 b2 0 x) over (b3 b2 b1). */
        u256_t a = u256_shl_n(u256_shr_n(b, 64), 128);
        a.w[0] = test_rand();
        return a;
    }
    case 3:
        return u256_sub(b, U(test_rand() % 3));
    default:
        return rnd_u256();
    }
}

/* ---- differential tests ---- */

TEST(u256, gmp_add_sub_mul_compare)
{
    mpz_t za, zb, zr, two256;
    mpz_inits(za, zb, zr, two256, NULL);
    mpz_setbit(two256, 256);
    g_bad = 0;
    for (int it = 0; it < 40000 && g_bad == 0; it++) {
        u256_t a = rnd_u256(), b = rnd_u256();
        if (test_rand() % 4 == 0)
            b = a; /* equal operands for the comparisons */
        to_mpz(za, a);
        to_mpz(zb, b);

        mpz_add(zr, za, zb);
        EXPECT2("add", u256_add(a, b), zr, a, b);
        u256_t s;
        bool carry = u256_add_overflow(a, b, &s);
        EXPECT2("add_overflow", s, zr, a, b);
        expect_bool("add_overflow.carry", carry, mpz_cmp(zr, two256) >= 0, a, b);
        mpz_sub(zr, za, zb);
        EXPECT2("sub", u256_sub(a, b), zr, a, b);
        mpz_neg(zr, za);
        EXPECT1("neg", u256_neg(a), zr, a);

        mpz_mul(zr, za, zb);
        EXPECT2("mul", u256_mul(a, b), zr, a, b);
        u256_t p;
        bool ovf = u256_mul_overflow(a, b, &p);
        EXPECT2("mul_overflow", p, zr, a, b);
        expect_bool("mul_overflow.flag", ovf, mpz_cmp(zr, two256) >= 0, a, b);

        int c = mpz_cmp(za, zb);
        expect_bool("eq", u256_eq(a, b), c == 0, a, b);
        expect_bool("lt", u256_lt(a, b), c < 0, a, b);
        expect_bool("gt", u256_gt(a, b), c > 0, a, b);
        expect_bool("cmp", u256_cmp(a, b) == (c > 0) - (c < 0), true, a, b);
        expect_bool("is_zero", u256_is_zero(a), mpz_sgn(za) == 0, a, b);
        expect_bool("fits_u64", u256_fits_u64(a), mpz_sizeinbase(za, 2) <= 64, a, b);
        mpz_t sa, sb;
        mpz_inits(sa, sb, NULL);
        to_mpz_signed(sa, a);
        to_mpz_signed(sb, b);
        int sc = mpz_cmp(sa, sb);
        expect_bool("slt", u256_slt(a, b), sc < 0, a, b);
        expect_bool("sgt", u256_sgt(a, b), sc > 0, a, b);
        expect_bool("is_neg", u256_is_neg(a), mpz_sgn(sa) < 0, a, b);
        mpz_clears(sa, sb, NULL);

        mpz_and(zr, za, zb);
        EXPECT2("and", u256_and(a, b), zr, a, b);
        mpz_ior(zr, za, zb);
        EXPECT2("or", u256_or(a, b), zr, a, b);
        mpz_xor(zr, za, zb);
        EXPECT2("xor", u256_xor(a, b), zr, a, b);
        mpz_com(zr, za); /* -a-1, i.e. ~a mod 2^256 */
        EXPECT1("not", u256_not(a), zr, a);
    }
    mpz_clears(za, zb, zr, two256, NULL);
    CHECK_EQ_INT(g_bad, 0);
}

TEST(u256, gmp_division)
{
    mpz_t za, zb, zr, sa, sb;
    mpz_inits(za, zb, zr, sa, sb, NULL);
    g_bad = 0;
    for (int it = 0; it < 100000 && g_bad == 0; it++) {
        u256_t b = test_rand() % 64 ? rnd_nonzero() : u256_zero();
        u256_t a = rnd_dividend(b);
        if (test_rand() % 8 == 0) {
            u256_t t = a; /* dividend below the divisor, too */
            a = b;
            b = t;
        }
        to_mpz(za, a);
        to_mpz(zb, b);
        u256_t q, r;
        u256_divmod(a, b, &q, &r);
        if (mpz_sgn(zb) == 0) {
            mpz_set_ui(zr, 0); /* EVM: x / 0 = x % 0 = 0, signed too */
            EXPECT2("div0", u256_div(a, b), zr, a, b);
            EXPECT2("mod0", u256_mod(a, b), zr, a, b);
            EXPECT2("divmod0.q", q, zr, a, b);
            EXPECT2("divmod0.r", r, zr, a, b);
            EXPECT2("sdiv0", u256_sdiv(a, b), zr, a, b);
            EXPECT2("smod0", u256_smod(a, b), zr, a, b);
            continue;
        }
        mpz_fdiv_q(zr, za, zb);
        EXPECT2("div", u256_div(a, b), zr, a, b);
        EXPECT2("divmod.q", q, zr, a, b);
        mpz_fdiv_r(zr, za, zb);
        EXPECT2("mod", u256_mod(a, b), zr, a, b);
        EXPECT2("divmod.r", r, zr, a, b);
        to_mpz_signed(sa, a);
        to_mpz_signed(sb, b);
        mpz_tdiv_q(zr, sa, sb); /* truncation toward zero; -2^255 / -1 wraps to -2^255 */
        EXPECT2("sdiv", u256_sdiv(a, b), zr, a, b);
        mpz_tdiv_r(zr, sa, sb); /* sign of the dividend */
        EXPECT2("smod", u256_smod(a, b), zr, a, b);
    }
    mpz_clears(za, zb, zr, sa, sb, NULL);
    CHECK_EQ_INT(g_bad, 0);
}

TEST(u256, gmp_addmod_mulmod)
{
    mpz_t za, zb, zm, zr;
    mpz_inits(za, zb, zm, zr, NULL);
    g_bad = 0;
    for (int it = 0; it < 60000 && g_bad == 0; it++) {
        u256_t m = test_rand() % 64 ? rnd_nonzero() : u256_zero();
        u256_t a, b;
        switch (test_rand() % 4) {
        case 0: /* reduced operands: ADDMOD's fast path, and products near m^2 */
            a = u256_is_zero(m) ? U(0) : u256_mod(rnd_u256(), m);
            b = u256_is_zero(m) ? U(0) : u256_sub(m, U(1 + test_rand() % 2));
            break;
        case 1: /* a product shaped like a dividend of m */
            a = rnd_dividend(m);
            b = test_rand() & 1 ? U(1) : rnd_dividend(m);
            break;
        default:
            a = rnd_u256();
            b = rnd_u256();
            break;
        }
        if (test_rand() & 1) {
            u256_t t = a;
            a = b;
            b = t;
        }
        to_mpz(za, a);
        to_mpz(zb, b);
        to_mpz(zm, m);
        if (mpz_sgn(zm) == 0) {
            mpz_set_ui(zr, 0);
            EXPECT3("addmod0", u256_addmod(a, b, m), zr, a, b, m);
            EXPECT3("mulmod0", u256_mulmod(a, b, m), zr, a, b, m);
            continue;
        }
        mpz_add(zr, za, zb); /* the full 257-bit sum */
        mpz_fdiv_r(zr, zr, zm);
        EXPECT3("addmod", u256_addmod(a, b, m), zr, a, b, m);
        mpz_mul(zr, za, zb); /* the full 512-bit product */
        mpz_fdiv_r(zr, zr, zm);
        EXPECT3("mulmod", u256_mulmod(a, b, m), zr, a, b, m);
    }
    mpz_clears(za, zb, zm, zr, NULL);
    CHECK_EQ_INT(g_bad, 0);
}

TEST(u256, gmp_exp)
{
    mpz_t za, ze, zr, two256;
    mpz_inits(za, ze, zr, two256, NULL);
    mpz_setbit(two256, 256);
    g_bad = 0;
    for (int it = 0; it < 4000 && g_bad == 0; it++) {
        u256_t a = rnd_u256(), e;
        switch (test_rand() % 4) {
        case 0:
            e = U(test_rand() % 300);
            break;
        case 1:
            e = U(test_rand() % 4);
            break;
        default:
            e = rnd_u256();
            break;
        }
        if (test_rand() % 8 == 0)
            a = U(test_rand() % 5); /* 0, 1, 2, 3, 4: the shortcuts */
        to_mpz(za, a);
        to_mpz(ze, e);
        mpz_powm(zr, za, ze, two256); /* 0^0 = 1 in GMP too */
        EXPECT2("exp", u256_exp(a, e), zr, a, e);
    }
    mpz_clears(za, ze, zr, two256, NULL);
    CHECK_EQ_INT(g_bad, 0);
}

/* A shift count: mostly 0..300, sometimes any value (saturating). */
static u256_t rnd_shift(void)
{
    return test_rand() % 4 ? U(test_rand() % 300) : rnd_u256();
}

TEST(u256, gmp_shifts_bytes_bits)
{
    mpz_t za, zs, zr, t;
    mpz_inits(za, zs, zr, t, NULL);
    g_bad = 0;
    for (int it = 0; it < 30000 && g_bad == 0; it++) {
        u256_t a = rnd_u256(), sh = rnd_shift();
        to_mpz(za, a);
        /* Counts of 256 and more all behave as 256. */
        to_mpz(zs, sh);
        unsigned n = mpz_cmp_ui(zs, 256) < 0 ? (unsigned)mpz_get_ui(zs) : 256;
        mpz_mul_2exp(zr, za, n);
        EXPECT2("shl", u256_shl(sh, a), zr, sh, a);
        mpz_fdiv_q_2exp(zr, za, n);
        EXPECT2("shr", u256_shr(sh, a), zr, sh, a);
        to_mpz_signed(zs, a);
        mpz_fdiv_q_2exp(zr, zs, n); /* floor: rounds negatives toward -infinity, as SAR */
        EXPECT2("sar", u256_sar(sh, a), zr, sh, a);
        unsigned k = (unsigned)(test_rand() % 260);
        mpz_mul_2exp(zr, za, k);
        EXPECT2("shl_n", u256_shl_n(a, k), zr, U(k), a);
        mpz_fdiv_q_2exp(zr, za, k);
        EXPECT2("shr_n", u256_shr_n(a, k), zr, U(k), a);

        /* SIGNEXTEND: b mostly 0..40, sometimes huge. */
        u256_t b = test_rand() % 8 ? U(test_rand() % 41) : rnd_u256();
        to_mpz(t, b);
        if (mpz_cmp_ui(t, 31) < 0) {
            unsigned bits = 8 * ((unsigned)mpz_get_ui(t) + 1);
            mpz_fdiv_r_2exp(zr, za, bits);
            if (mpz_tstbit(zr, bits - 1)) {
                mpz_set_ui(t, 0);
                mpz_setbit(t, bits);
                mpz_sub(zr, zr, t);
            }
        } else {
            mpz_set(zr, za);
        }
        EXPECT2("signextend", u256_signextend(b, a), zr, b, a);

        /* BYTE: i mostly 0..40, sometimes huge; byte 0 is the most significant. */
        u256_t i = test_rand() % 8 ? U(test_rand() % 41) : rnd_u256();
        to_mpz(t, i);
        if (mpz_cmp_ui(t, 32) < 0) {
            mpz_fdiv_q_2exp(zr, za, 8 * (31 - (unsigned)mpz_get_ui(t)));
            mpz_fdiv_r_2exp(zr, zr, 8);
        } else {
            mpz_set_ui(zr, 0);
        }
        EXPECT2("byte", u256_byte(i, a), zr, i, a);

        unsigned bl = mpz_sgn(za) ? (unsigned)mpz_sizeinbase(za, 2) : 0;
        mpz_set_ui(zr, 256 - bl);
        EXPECT1("clz", U(u256_clz(a)), zr, a);
        mpz_set_ui(zr, bl);
        EXPECT1("bit_length", U(u256_bit_length(a)), zr, a);
        mpz_set_ui(zr, (bl + 7) / 8);
        EXPECT1("byte_length", U(u256_byte_length(a)), zr, a);
    }
    mpz_clears(za, zs, zr, t, NULL);
    CHECK_EQ_INT(g_bad, 0);
}

TEST(u256, gmp_bytes_and_text)
{
    mpz_t za, zr;
    mpz_inits(za, zr, NULL);
    g_bad = 0;
    char gs[200], txt[200];
    for (int it = 0; it < 20000 && g_bad == 0; it++) {
        u256_t a = rnd_u256();
        to_mpz(za, a);

        /* Big-endian bytes: 0..40 of them, right-aligned, only the last 32 count. */
        uint8_t be[40];
        size_t n = (size_t)(test_rand() % 41);
        test_rand_bytes(be, n);
        size_t keep = n > 32 ? 32 : n;
        mpz_import(zr, keep, 1, 1, 0, 0, be + (n - keep));
        EXPECT1("from_be", u256_from_be(be, n), zr, U(n));
        uint8_t out[32], want[32] = { 0 };
        u256_to_be(out, a);
        size_t cnt = 0;
        uint8_t tmp[32];
        mpz_export(tmp, &cnt, 1, 1, 0, 0, za);
        memcpy(want + 32 - cnt, tmp, cnt);
        CHECK_MEM_EQ(out, 32, want, 32);

        /* to_hex and to_dec match GMP's minimal forms. */
        char h[67], d[79];
        u256_to_hex(h, a);
        mpz_get_str(gs, 16, za);
        CHECK(snprintf(txt, sizeof txt, "0x%.66s", gs) < (int)sizeof txt);
        CHECK_STR_EQ(h, txt);
        u256_to_dec(d, a);
        mpz_get_str(gs, 10, za);
        CHECK_STR_EQ(d, gs);

        /* from_hex of GMP's digits: random prefix, case and leading zeros up to 64 digits. */
        mpz_get_str(gs, 16, za);
        size_t digits = strlen(gs), zeros = (size_t)(test_rand() % (65 - digits));
        size_t pre = test_rand() % 3 == 0 ? 0 : 2, len = 0;
        if (pre) {
            txt[len++] = '0';
            txt[len++] = test_rand() & 1 ? 'x' : 'X';
        }
        memset(txt + len, '0', zeros);
        len += zeros;
        for (size_t i = 0; i < digits; i++) {
            char c = gs[i];
            txt[len++] = (c >= 'a' && test_rand() & 1) ? (char)(c - 'a' + 'A') : c;
        }
        u256_t v = U(12345);
        CHECK_OK(u256_from_hex(txt, len, &v));
        EXPECT1("from_hex", v, za, a);
        if (pre) {
            CHECK_OK(u256_parse(txt, len, &v));
            EXPECT1("parse(hex)", v, za, a);
        }

        /* from_dec of GMP's digits with up to 40 leading zeros. */
        mpz_get_str(gs, 10, za);
        zeros = (size_t)(test_rand() % 41);
        memset(txt, '0', zeros);
        memcpy(txt + zeros, gs, strlen(gs) + 1);
        len = strlen(txt);
        CHECK_OK(u256_from_dec(txt, len, &v));
        EXPECT1("from_dec", v, za, a);
        CHECK_OK(u256_parse(txt, len, &v));
        EXPECT1("parse(dec)", v, za, a);

        /* One bad character anywhere is ERR_NUM_INVALID; the value is left alone. */
        size_t at = (size_t)(test_rand() % len);
        static const char bad[] = "g/:x -+.aZ";
        txt[at] = bad[test_rand() % (sizeof bad - 1)];
        v = U(7);
        CHECK_ERR(ERR_NUM_INVALID, u256_from_dec(txt, len, &v));
        CHECK_U256(v, U(7));

        /* 2^256 and above: too large in decimal, and in hex when over 64 digits. */
        mpz_set_ui(zr, 0);
        mpz_setbit(zr, 256 + (unsigned)(test_rand() % 64));
        mpz_add(zr, zr, za);
        mpz_get_str(txt, 10, zr);
        CHECK_ERR(ERR_NUM_OVERFLOW, u256_from_dec(txt, strlen(txt), &v));
        CHECK_U256(v, U(7));
        mpz_get_str(txt, 16, zr);
        CHECK_ERR(ERR_NUM_OVERFLOW, u256_from_hex(txt, strlen(txt), &v));
    }
    mpz_clears(za, zr, NULL);
    CHECK_EQ_INT(g_bad, 0);
}

/* ---- fixed vectors ---- */

#define MIN_S256 "0x8000000000000000000000000000000000000000000000000000000000000000"
#define MAX_U256 "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

TEST(u256, evm_division_edge_cases)
{
    u256_t min = H(MIN_S256), m1 = u256_max();
    /* SDIV: the one overflowing case, and signs. */
    CHECK_U256(u256_sdiv(min, m1), min);
    CHECK_U256(u256_sdiv(min, U(1)), min);
    CHECK_U256(u256_sdiv(u256_neg(U(7)), U(2)), u256_neg(U(3)));
    CHECK_U256(u256_sdiv(U(7), u256_neg(U(2))), u256_neg(U(3)));
    CHECK_U256(u256_sdiv(u256_neg(U(7)), u256_neg(U(2))), U(3));
    CHECK_U256(u256_sdiv(m1, min), U(0)); /* -1 / -2^255 */
    CHECK_U256(u256_sdiv(min, min), U(1));
    /* SMOD: the sign of the dividend. */
    CHECK_U256(u256_smod(u256_neg(U(7)), U(3)), u256_neg(U(1)));
    CHECK_U256(u256_smod(U(7), u256_neg(U(3))), U(1));
    CHECK_U256(u256_smod(u256_neg(U(7)), u256_neg(U(3))), u256_neg(U(1)));
    CHECK_U256(u256_smod(min, m1), U(0));
    CHECK_U256(u256_smod(min, U(3)), u256_neg(U(2))); /* -2^255 = -(3 * k) - 2 */
    /* Division by zero is 0 for all four. */
    CHECK(u256_is_zero(u256_div(m1, U(0))));
    CHECK(u256_is_zero(u256_mod(m1, U(0))));
    CHECK(u256_is_zero(u256_sdiv(min, U(0))));
    CHECK(u256_is_zero(u256_smod(min, U(0))));
    u256_t q = U(5), r = U(5);
    u256_divmod(m1, U(0), &q, &r);
    CHECK(u256_is_zero(q) && u256_is_zero(r));
    /* divmod with one output omitted. */
    u256_divmod(U(17), U(5), &q, NULL);
    CHECK_U256(q, U(3));
    u256_divmod(U(17), U(5), NULL, &r);
    CHECK_U256(r, U(2));
    /* Quotient digit 2^64-1 with the top remainder limbs equal to the divisor's. */
    u256_t a = H("0xfedcba98765432100123456789abcdef0000000000000000000000000000002a");
    u256_t b = H("0xfedcba98765432100123456789abcdef0000000000000001");
    CHECK_U256(u256_div(a, b), H("0xffffffffffffffff"));
    CHECK_U256(u256_mod(a, b), H("0xfedcba98765432100123456789abcdee000000000000002b"));
    CHECK_U256(u256_div(m1, U(1)), m1);
    CHECK_U256(u256_div(m1, m1), U(1));
    CHECK_U256(u256_div(m1, min), U(1));
    CHECK_U256(u256_mod(m1, min),
               H("0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
    CHECK_U256(u256_div(m1, U(10)),
               H("0x1999999999999999999999999999999999999999999999999999999999999999"));
}

TEST(u256, evm_modular_and_exp_edge_cases)
{
    u256_t m1 = u256_max(), min = H(MIN_S256);
    /* Modulus 0 gives 0. */
    CHECK(u256_is_zero(u256_addmod(U(1), U(2), U(0))));
    CHECK(u256_is_zero(u256_mulmod(U(1), U(2), U(0))));
    CHECK(u256_is_zero(u256_addmod(m1, m1, U(0))));
    CHECK(u256_is_zero(u256_mulmod(m1, m1, U(0))));
    /* The sum and product are taken in full, not mod 2^256. */
    CHECK_U256(u256_addmod(m1, m1, U(7)), U(2)); /* 2^257 - 2 = 7 * k + 2 */
    CHECK_U256(u256_addmod(m1, U(1), m1), U(1)); /* 2^256 mod (2^256 - 1) */
    CHECK_U256(u256_addmod(m1, m1, m1), U(0));
    CHECK_U256(u256_addmod(u256_sub(m1, U(1)), U(5), m1), U(4));
    CHECK_U256(u256_mulmod(m1, m1, U(12)), U(9)); /* (2^256-1)^2 mod 12: 2^256 = 4 mod 12 */
    CHECK_U256(u256_mulmod(m1, m1, m1), U(0));
    CHECK_U256(u256_mulmod(m1, U(2), m1), U(0));
    CHECK_U256(u256_mulmod(min, U(2), m1), U(1)); /* 2^256 mod (2^256 - 1) */
    CHECK_U256(u256_mulmod(m1, m1, u256_sub(m1, U(1))), U(1));
    CHECK_U256(u256_mulmod(U(10), U(10), U(8)), U(4));
    /* EXP. */
    CHECK_U256(u256_exp(U(0), U(0)), U(1));
    CHECK_U256(u256_exp(m1, U(0)), U(1));
    CHECK_U256(u256_exp(U(0), U(1)), U(0));
    CHECK_U256(u256_exp(U(0), m1), U(0));
    CHECK_U256(u256_exp(U(1), m1), U(1));
    CHECK_U256(u256_exp(U(2), U(255)), min);
    CHECK_U256(u256_exp(U(2), U(256)), U(0));
    CHECK_U256(u256_exp(U(2), m1), U(0));
    CHECK_U256(u256_exp(U(4), U(127)), u256_shr_n(min, 1));
    CHECK_U256(u256_exp(U(8), U(85)), min);
    CHECK_U256(u256_exp(U(4), U(128)), U(0));
    CHECK_U256(u256_exp(U(6), U(256)), U(0));
    CHECK_U256(u256_exp(m1, U(2)), U(1)); /* (-1)^2 */
    CHECK_U256(u256_exp(m1, U(3)), m1);   /* (-1)^3 */
    CHECK_U256(u256_exp(m1, m1), m1);     /* odd power of -1 */
    CHECK_U256(u256_exp(U(3), U(5)), U(243));
    CHECK_U256(u256_exp(U(10), U(18)), U(1000000000000000000ull));
    CHECK_U256(u256_exp(U(3), U(161)), /* 3^161 > 2^256: wraps */
               H("0x90e7a7d36283c4589cff2b2b8d32d43e1eeb4315dc9ac9ead2ceaacca8492983"));
    CHECK_U256(u256_exp(U(3), U(100)), H("0x5a4653ca673768565b41f775d6947d55cf3813d1"));
}

TEST(u256, evm_bit_edge_cases)
{
    u256_t min = H(MIN_S256), m1 = u256_max();
    /* SIGNEXTEND */
    CHECK_U256(u256_signextend(U(0), U(0xff)), m1);
    CHECK_U256(u256_signextend(U(0), U(0x7f)), U(0x7f));
    CHECK_U256(u256_signextend(U(0), U(0x1280)), u256_neg(U(0x80)));
    CHECK_U256(u256_signextend(U(1), U(0x8000)),
               H("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff8000"));
    CHECK_U256(u256_signextend(U(7), H("0xaa8000000000000000")), u256_neg(H("0x8000000000000000")));
    CHECK_U256(
        u256_signextend(U(30), H("0x0080"
                                 "000000000000000000000000000000000000000000000000000000000000")),
        H("0xff80"
          "000000000000000000000000000000000000000000000000000000000000"));
    CHECK_U256(
        u256_signextend(U(30), H("0xff7f"
                                 "000000000000000000000000000000000000000000000000000000000000")),
        H("0x007f"
          "000000000000000000000000000000000000000000000000000000000000"));
    CHECK_U256(u256_signextend(U(31), U(0xff)), U(0xff));
    CHECK_U256(u256_signextend(U(32), U(0xff)), U(0xff));
    CHECK_U256(u256_signextend(m1, U(0xff)), U(0xff));
    CHECK_U256(u256_signextend(min, U(0x80)), U(0x80));
    u256_t huge = H("0x10000000000000000"); /* 2^64: low limb 0, must not act as 0 */
    CHECK_U256(u256_signextend(huge, U(0xff)), U(0xff));
    /* BYTE */
    CHECK_U256(u256_byte(U(31), U(0xab)), U(0xab));
    CHECK_U256(u256_byte(U(0), min), U(0x80));
    CHECK_U256(u256_byte(U(1), min), U(0));
    CHECK(u256_is_zero(u256_byte(U(32), m1)));
    CHECK(u256_is_zero(u256_byte(m1, m1)));
    CHECK(u256_is_zero(u256_byte(huge, m1)));
    /* SHL / SHR / SAR */
    CHECK_U256(u256_shl(U(255), U(1)), min);
    CHECK_U256(u256_shl(U(255), U(3)), min);
    CHECK(u256_is_zero(u256_shl(U(256), U(1))));
    CHECK(u256_is_zero(u256_shl(m1, m1)));
    CHECK(u256_is_zero(u256_shl(huge, U(1))));
    CHECK_U256(u256_shl(U(0), m1), m1);
    CHECK_U256(u256_shr(U(255), min), U(1));
    CHECK(u256_is_zero(u256_shr(U(256), m1)));
    CHECK(u256_is_zero(u256_shr(m1, m1)));
    CHECK(u256_is_zero(u256_shr(huge, m1)));
    CHECK_U256(u256_sar(U(1), min),
               H("0xc000000000000000000000000000000000000000000000000000000000000000"));
    CHECK_U256(u256_sar(U(255), min), m1);
    CHECK_U256(u256_sar(U(256), min), m1);
    CHECK_U256(u256_sar(m1, min), m1);
    CHECK_U256(u256_sar(huge, min), m1);
    CHECK_U256(u256_sar(U(4), u256_neg(U(17))), u256_neg(U(2))); /* floor(-17/16) */
    CHECK_U256(u256_sar(U(0), u256_neg(U(17))), u256_neg(U(17)));
    CHECK_U256(
        u256_sar(U(254), H("0x4000000000000000000000000000000000000000000000000000000000000000")),
        U(1));
    CHECK(u256_is_zero(
        u256_sar(U(255), H("0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"))));
    CHECK(u256_is_zero(u256_sar(m1, U(5))));
    CHECK_U256(u256_shl_n(U(1), 64), H("0x10000000000000000"));
    CHECK(u256_is_zero(u256_shl_n(m1, 256)));
    CHECK(u256_is_zero(u256_shr_n(m1, 1000)));
    /* CLZ (EIP-7939) and lengths. */
    CHECK_EQ_U64(u256_clz(u256_zero()), 256);
    CHECK_EQ_U64(u256_clz(U(1)), 255);
    CHECK_EQ_U64(u256_clz(U(2)), 254);
    CHECK_EQ_U64(u256_clz(min), 0);
    CHECK_EQ_U64(u256_clz(m1), 0);
    CHECK_EQ_U64(u256_clz(huge), 191);
    CHECK_EQ_U64(u256_bit_length(u256_zero()), 0);
    CHECK_EQ_U64(u256_bit_length(min), 256);
    CHECK_EQ_U64(u256_byte_length(u256_zero()), 0);
    CHECK_EQ_U64(u256_byte_length(U(0xff)), 1);
    CHECK_EQ_U64(u256_byte_length(U(0x100)), 2);
    CHECK_EQ_U64(u256_byte_length(min), 32);
}

TEST(u256, text_fixed_vectors)
{
    u256_t v;
    char out[79];
    CHECK_OK(u256_from_hex("0xFF", 4, &v));
    CHECK_U256(v, U(255));
    CHECK_OK(u256_from_hex("0XaBc", 5, &v));
    CHECK_U256(v, U(0xabc));
    CHECK_OK(u256_from_hex("ff", 2, &v));
    CHECK_U256(v, U(255));
    CHECK_OK(u256_from_hex("0", 1, &v));
    CHECK(u256_is_zero(v));
    CHECK_OK(u256_from_hex("0x0", 3, &v));
    CHECK(u256_is_zero(v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_hex("", 0, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_hex("0x", 2, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_hex("0xg1", 4, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_hex("0x0x1", 5, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_hex("0x 1", 4, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_hex("-1", 2, &v));
    CHECK_OK(u256_from_hex(MAX_U256, strlen(MAX_U256), &v));
    CHECK_U256(v, u256_max());
    CHECK_OK(u256_from_hex(&MAX_U256[2], 64, &v)); /* 64 digits without the prefix */
    CHECK_U256(v, u256_max());
    /* 65 digits are too many, even when the first is a leading zero (documented). */
    const char *d65 = "0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    CHECK_ERR(ERR_NUM_OVERFLOW, u256_from_hex(d65, strlen(d65), &v));
    const char *z65 = "0x0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    CHECK_ERR(ERR_NUM_OVERFLOW, u256_from_hex(z65, strlen(z65), &v));
    /* Only n bytes are read. */
    CHECK_OK(u256_from_hex("0x12zz", 4, &v));
    CHECK_U256(v, U(0x12));

    const char *max_dec =
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    CHECK_OK(u256_from_dec(max_dec, strlen(max_dec), &v));
    CHECK_U256(v, u256_max());
    u256_to_dec(out, v);
    CHECK_STR_EQ(out, max_dec);
    const char *two256 =
        "115792089237316195423570985008687907853269984665640564039457584007913129639936";
    CHECK_ERR(ERR_NUM_OVERFLOW, u256_from_dec(two256, strlen(two256), &v));
    CHECK_ERR(ERR_NUM_OVERFLOW, u256_from_dec("1000000000000000000000000000000000000000000000000"
                                              "000000000000000000000000000000",
                                              79, &v));
    CHECK_OK(u256_from_dec("000000000000000000000000000000000000000000000000000000000000000000"
                           "000000000000000000000000000000042",
                           99, &v));
    CHECK_U256(v, U(42));
    CHECK_OK(u256_from_dec("18446744073709551616", 20, &v)); /* 2^64 */
    CHECK_U256(v, H("0x10000000000000000"));
    CHECK_OK(u256_from_dec("0", 1, &v));
    CHECK(u256_is_zero(v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_dec("", 0, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_dec("12a", 3, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_dec("-1", 2, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_dec("+1", 2, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_dec(" 1", 2, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_dec("0x10", 4, &v));

    u256_to_hex(out, u256_zero());
    CHECK_STR_EQ(out, "0x0");
    u256_to_hex(out, U(0x1234));
    CHECK_STR_EQ(out, "0x1234");
    u256_to_hex(out, u256_max());
    CHECK_STR_EQ(out, MAX_U256);
    u256_to_hex(out, H("0x10000000000000000"));
    CHECK_STR_EQ(out, "0x10000000000000000");
    u256_to_dec(out, u256_zero());
    CHECK_STR_EQ(out, "0");
    u256_to_dec(out, U(UINT64_MAX));
    CHECK_STR_EQ(out, "18446744073709551615");
    u256_to_dec(out, U(10000000000000000000ull));
    CHECK_STR_EQ(out, "10000000000000000000");
    u256_to_dec(out, H("0x10000000000000000"));
    CHECK_STR_EQ(out, "18446744073709551616");

    CHECK_OK(u256_parse("0x10", 4, &v));
    CHECK_U256(v, U(16));
    CHECK_OK(u256_parse("0X10", 4, &v));
    CHECK_U256(v, U(16));
    CHECK_OK(u256_parse("10", 2, &v));
    CHECK_U256(v, U(10));
    CHECK_OK(u256_parse("0", 1, &v));
    CHECK(u256_is_zero(v));
    CHECK_ERR(ERR_NUM_INVALID, u256_parse("0x", 2, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_parse("", 0, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_parse("ff", 2, &v)); /* hex needs the prefix here */

    /* Big-endian bytes. */
    uint8_t be[33] = { 0 };
    be[0] = 0x99; /* dropped: only the last 32 of 33 bytes count */
    be[1] = 0x80;
    be[32] = 0x01;
    CHECK_U256(u256_from_be(be, 33), u256_add(H(MIN_S256), U(1)));
    CHECK_U256(u256_from_be(be + 31, 2), U(1));
    CHECK_U256(u256_from_be(NULL, 0), U(0));
    uint8_t two[2] = { 1, 2 };
    CHECK_U256(u256_from_be(two, 2), U(0x0102));
    uint8_t o[32];
    u256_to_be(o, U(0x0102));
    CHECK_EQ_U64(o[30], 1);
    CHECK_EQ_U64(o[31], 2);
    CHECK_EQ_U64(o[0], 0);
}
