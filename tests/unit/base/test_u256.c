/* u256 against GMP as an oracle, with edge-heavy random operands (seed printed, replayable). */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "harness.h"

static void to_mpz(mpz_t z, u256_t x)
{
    mpz_import(z, 4, -1, sizeof(uint64_t), 0, 0, x.w);
}

static u256_t from_mpz(const mpz_t z)
{
    mpz_t t;
    mpz_init(t);
    mpz_fdiv_r_2exp(t, z, 256);
    u256_t r = u256_zero();
    size_t count = 0;
    mpz_export(r.w, &count, -1, sizeof(uint64_t), 0, 0, t);
    mpz_clear(t);
    return r;
}

/* Two's complement value as a signed mpz. */
static void to_mpz_signed(mpz_t z, u256_t x)
{
    to_mpz(z, x);
    if (u256_is_neg(x)) {
        mpz_t m;
        mpz_init(m);
        mpz_ui_pow_ui(m, 2, 256);
        mpz_sub(z, z, m);
        mpz_clear(m);
    }
}

static u256_t rnd(void)
{
    u256_t x = u256_zero();
    switch (test_rand() % 12) {
    case 0:
        return u256_zero();
    case 1:
        return u256_from_u64(test_rand() % 4);
    case 2:
        return u256_max();
    case 3:
        x.w[3] = 1ull << 63;
        return x;
    case 4: {
        unsigned b = (unsigned)(test_rand() % 256);
        x = u256_shl_n(u256_from_u64(1), b);
        return test_rand() & 1 ? u256_sub(x, u256_from_u64(1)) : u256_add(x, u256_from_u64(1));
    }
    case 5:
        x.w[0] = test_rand();
        return x;
    case 6:
        x.w[0] = test_rand();
        x.w[1] = test_rand();
        return x;
    case 7:
        for (int i = 0; i < 4; i++)
            x.w[i] = test_rand() & 1 ? test_rand() : 0;
        return x;
    case 8:
        for (int i = 0; i < 4; i++)
            x.w[i] = test_rand() & 1 ? UINT64_MAX : test_rand();
        return x;
    case 9:
        return u256_neg(u256_from_u64(test_rand() % 1000));
    default:
        for (int i = 0; i < 4; i++)
            x.w[i] = test_rand();
        return x;
    }
}

static int report(const char *op, u256_t a, u256_t b, u256_t got, u256_t want)
{
    char ha[67], hb[67], hg[67], hw[67];
    u256_to_hex(ha, a);
    u256_to_hex(hb, b);
    u256_to_hex(hg, got);
    u256_to_hex(hw, want);
    fprintf(stderr, "    %s(%s, %s) = %s, GMP says %s\n", op, ha, hb, hg, hw);
    return 1;
}

TEST(u256, differential_against_gmp)
{
    mpz_t za, zb, zc, zr, two256;
    mpz_inits(za, zb, zc, zr, two256, NULL);
    mpz_ui_pow_ui(two256, 2, 256);
    int bad = 0;
    for (int it = 0; it < 30000 && bad < 5; it++) {
        u256_t a = rnd(), b = rnd(), m = rnd();
        to_mpz(za, a);
        to_mpz(zb, b);
        to_mpz(zc, m);
        mpz_add(zr, za, zb);
        if (!u256_eq(u256_add(a, b), from_mpz(zr)))
            bad += report("add", a, b, u256_add(a, b), from_mpz(zr));
        mpz_sub(zr, za, zb);
        if (!u256_eq(u256_sub(a, b), from_mpz(zr)))
            bad += report("sub", a, b, u256_sub(a, b), from_mpz(zr));
        mpz_mul(zr, za, zb);
        if (!u256_eq(u256_mul(a, b), from_mpz(zr)))
            bad += report("mul", a, b, u256_mul(a, b), from_mpz(zr));
        u256_t mo;
        bool ovf = u256_mul_overflow(a, b, &mo);
        if (ovf != (mpz_cmp(zr, two256) >= 0) || !u256_eq(mo, from_mpz(zr)))
            bad += report("mul_overflow", a, b, mo, from_mpz(zr));
        if (!u256_is_zero(b)) {
            mpz_fdiv_q(zr, za, zb);
            if (!u256_eq(u256_div(a, b), from_mpz(zr)))
                bad += report("div", a, b, u256_div(a, b), from_mpz(zr));
            mpz_fdiv_r(zr, za, zb);
            if (!u256_eq(u256_mod(a, b), from_mpz(zr)))
                bad += report("mod", a, b, u256_mod(a, b), from_mpz(zr));
            mpz_t sa, sb;
            mpz_inits(sa, sb, NULL);
            to_mpz_signed(sa, a);
            to_mpz_signed(sb, b);
            mpz_tdiv_q(zr, sa, sb);
            if (!u256_eq(u256_sdiv(a, b), from_mpz(zr)))
                bad += report("sdiv", a, b, u256_sdiv(a, b), from_mpz(zr));
            mpz_tdiv_r(zr, sa, sb);
            if (!u256_eq(u256_smod(a, b), from_mpz(zr)))
                bad += report("smod", a, b, u256_smod(a, b), from_mpz(zr));
            if (u256_slt(a, b) != (mpz_cmp(sa, sb) < 0))
                bad += report("slt", a, b, u256_from_u64(u256_slt(a, b)), u256_zero());
            mpz_clears(sa, sb, NULL);
        } else {
            CHECK(u256_is_zero(u256_div(a, b)) && u256_is_zero(u256_mod(a, b)));
            CHECK(u256_is_zero(u256_sdiv(a, b)) && u256_is_zero(u256_smod(a, b)));
        }
        if (!u256_is_zero(m)) {
            mpz_add(zr, za, zb);
            mpz_fdiv_r(zr, zr, zc);
            if (!u256_eq(u256_addmod(a, b, m), from_mpz(zr)))
                bad += report("addmod", a, b, u256_addmod(a, b, m), from_mpz(zr));
            mpz_mul(zr, za, zb);
            mpz_fdiv_r(zr, zr, zc);
            if (!u256_eq(u256_mulmod(a, b, m), from_mpz(zr)))
                bad += report("mulmod", a, b, u256_mulmod(a, b, m), from_mpz(zr));
        }
        if (it % 8 == 0) {
            mpz_powm(zr, za, zb, two256);
            if (!u256_eq(u256_exp(a, b), from_mpz(zr)))
                bad += report("exp", a, b, u256_exp(a, b), from_mpz(zr));
        }
        unsigned sh = (unsigned)(test_rand() % 300);
        mpz_mul_2exp(zr, za, sh);
        if (!u256_eq(u256_shl(u256_from_u64(sh), a), from_mpz(zr)))
            bad +=
                report("shl", a, u256_from_u64(sh), u256_shl(u256_from_u64(sh), a), from_mpz(zr));
        mpz_fdiv_q_2exp(zr, za, sh);
        if (!u256_eq(u256_shr(u256_from_u64(sh), a), from_mpz(zr)))
            bad +=
                report("shr", a, u256_from_u64(sh), u256_shr(u256_from_u64(sh), a), from_mpz(zr));
        mpz_t sa;
        mpz_init(sa);
        to_mpz_signed(sa, a);
        mpz_fdiv_q_2exp(zr, sa, sh);
        if (!u256_eq(u256_sar(u256_from_u64(sh), a), from_mpz(zr)))
            bad +=
                report("sar", a, u256_from_u64(sh), u256_sar(u256_from_u64(sh), a), from_mpz(zr));
        mpz_clear(sa);
        if (u256_lt(a, b) != (mpz_cmp(za, zb) < 0))
            bad += report("lt", a, b, u256_zero(), u256_zero());
        unsigned bits = (unsigned)mpz_sizeinbase(za, 2);
        if (u256_is_zero(a))
            bits = 0;
        CHECK_EQ_U64(u256_clz(a), 256 - bits);
        char dec[79], hex[67];
        u256_to_dec(dec, a);
        u256_t back;
        CHECK_OK(u256_from_dec(dec, strlen(dec), &back));
        CHECK(u256_eq(back, a));
        char *gd = mpz_get_str(NULL, 10, za);
        CHECK_STR_EQ(dec, gd);
        free(gd);
        u256_to_hex(hex, a);
        CHECK_OK(u256_from_hex(hex, strlen(hex), &back));
        CHECK(u256_eq(back, a));
        uint8_t be[32];
        u256_to_be(be, a);
        CHECK(u256_eq(u256_from_be(be, 32), a));
    }
    mpz_clears(za, zb, zc, zr, two256, NULL);
    CHECK_EQ_INT(bad, 0);
}

static u256_t H(const char *s)
{
    u256_t r;
    if (u256_from_hex(s, strlen(s), &r))
        r = u256_max();
    return r;
}

TEST(u256, evm_edge_cases)
{
    u256_t min = H("0x8000000000000000000000000000000000000000000000000000000000000000");
    u256_t m1 = u256_max();
    CHECK(u256_eq(u256_sdiv(min, m1), min));
    CHECK(u256_eq(u256_smod(u256_neg(u256_from_u64(7)), u256_from_u64(3)),
                  u256_neg(u256_from_u64(1))));
    CHECK(u256_eq(u256_smod(u256_from_u64(7), u256_neg(u256_from_u64(3))), u256_from_u64(1)));
    CHECK(u256_is_zero(u256_addmod(u256_from_u64(1), u256_from_u64(2), u256_zero())));
    CHECK(u256_is_zero(u256_mulmod(u256_from_u64(1), u256_from_u64(2), u256_zero())));
    CHECK(u256_eq(u256_addmod(m1, m1, u256_from_u64(7)), u256_from_u64(2)));
    CHECK(u256_eq(u256_exp(u256_zero(), u256_zero()), u256_from_u64(1)));
    CHECK(u256_eq(u256_exp(u256_from_u64(2), u256_from_u64(256)), u256_zero()));
    CHECK(u256_eq(u256_exp(u256_from_u64(2), u256_from_u64(255)), min));
    CHECK(u256_eq(u256_signextend(u256_from_u64(0), u256_from_u64(0xff)), m1));
    CHECK(u256_eq(u256_signextend(u256_from_u64(0), u256_from_u64(0x7f)), u256_from_u64(0x7f)));
    CHECK(u256_eq(u256_signextend(u256_from_u64(31), u256_from_u64(0xff)), u256_from_u64(0xff)));
    CHECK(u256_eq(u256_signextend(m1, u256_from_u64(0xff)), u256_from_u64(0xff)));
    CHECK(u256_eq(u256_signextend(u256_from_u64(1), u256_from_u64(0x8000)),
                  H("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff8000")));
    CHECK(u256_eq(u256_byte(u256_from_u64(31), u256_from_u64(0xab)), u256_from_u64(0xab)));
    CHECK(u256_eq(u256_byte(u256_from_u64(0), min), u256_from_u64(0x80)));
    CHECK(u256_is_zero(u256_byte(u256_from_u64(32), m1)));
    CHECK(u256_is_zero(u256_byte(m1, m1)));
    CHECK(u256_eq(u256_shl(u256_from_u64(255), u256_from_u64(1)), min));
    CHECK(u256_is_zero(u256_shl(u256_from_u64(256), u256_from_u64(1))));
    CHECK(u256_is_zero(u256_shr(m1, m1)));
    CHECK(u256_eq(u256_sar(u256_from_u64(256), min), m1));
    CHECK(u256_eq(u256_sar(m1, u256_from_u64(5)), u256_zero()));
    CHECK(u256_eq(u256_sar(u256_from_u64(255), min), m1));
    CHECK_EQ_U64(u256_clz(u256_zero()), 256);
    CHECK_EQ_U64(u256_clz(u256_from_u64(1)), 255);
    CHECK_EQ_U64(u256_clz(min), 0);
    CHECK_EQ_U64(u256_byte_length(u256_from_u64(0x100)), 2);
}

TEST(u256, text_conversions)
{
    u256_t v;
    char out[79];
    CHECK_OK(u256_from_hex("0xFF", 4, &v));
    CHECK(u256_eq(v, u256_from_u64(255)));
    CHECK_OK(u256_from_hex("ff", 2, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_hex("0x", 2, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_hex("0xg1", 4, &v));
    const char *max_hex = "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    CHECK_OK(u256_from_hex(max_hex, strlen(max_hex), &v));
    CHECK(u256_eq(v, u256_max()));
    CHECK_ERR(ERR_NUM_OVERFLOW, u256_from_hex("0x1ffffffffffffffffffffffffffffffffffffffffffffff"
                                              "ffffffffffffffffff",
                                              67, &v));
    const char *max_dec =
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    CHECK_OK(u256_from_dec(max_dec, strlen(max_dec), &v));
    CHECK(u256_eq(v, u256_max()));
    u256_to_dec(out, v);
    CHECK_STR_EQ(out, max_dec);
    CHECK_ERR(ERR_NUM_OVERFLOW,
              u256_from_dec("115792089237316195423570985008687907853269984665640564039457584007913"
                            "129639936",
                            78, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_dec("", 0, &v));
    CHECK_ERR(ERR_NUM_INVALID, u256_from_dec("12a", 3, &v));
    u256_to_hex(out, u256_zero());
    CHECK_STR_EQ(out, "0x0");
    u256_to_hex(out, u256_from_u64(0x1234));
    CHECK_STR_EQ(out, "0x1234");
    u256_to_dec(out, u256_zero());
    CHECK_STR_EQ(out, "0");
    CHECK_OK(u256_parse("0x10", 4, &v));
    CHECK(u256_eq(v, u256_from_u64(16)));
    CHECK_OK(u256_parse("10", 2, &v));
    CHECK(u256_eq(v, u256_from_u64(10)));
}
