/* u256 arithmetic throughput on one core, nanoseconds per operation (median of 7 runs), with
 * GMP's low-level mpn functions on the same operands as the peer (ratio = ours / GMP; below 1 is
 * faster). Operands are pseudo-random full-width values unless the row says otherwise. */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/u256.h"

enum {
    N = 1024,  /* operand sets, cycled */
    REPS = 256 /* passes over the sets per run */
};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return v[n / 2];
}

static uint64_t g_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd64(void)
{
    /* splitmix64 */
    uint64_t z = (g_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A random value of `limbs` significant limbs (top limb nonzero). */
static u256_t rnd_limbs(int limbs)
{
    u256_t x = u256_zero();
    for (int i = 0; i < limbs; i++)
        x.w[i] = rnd64();
    if (limbs > 0 && x.w[limbs - 1] == 0)
        x.w[limbs - 1] = 1;
    return x;
}

static u256_t g_a[N], g_b[N], g_m[N];
static volatile uint64_t g_sink;

typedef enum {
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_SDIV,
    OP_ADDMOD,
    OP_MULMOD,
    OP_EXP,
    OP_TO_DEC,
    OP_FROM_DEC,
    OP_G_MUL,
    OP_G_DIV,
    OP_G_MULMOD,
} op_t;

static char g_dec[N][79];

/* Number of limbs of x (0 for zero), for the mpn calls. */
static mp_size_t limbs_of(const u256_t *x)
{
    mp_size_t n = 4;
    while (n > 0 && x->w[n - 1] == 0)
        n--;
    return n;
}

static void run_once(op_t op)
{
    uint64_t acc = 0;
    mp_limb_t prod[8], q[8], r[4];
    for (int i = 0; i < N; i++) {
        const u256_t a = g_a[i], b = g_b[i], m = g_m[i];
        switch (op) {
        case OP_MUL:
            acc += u256_mul(a, b).w[3];
            break;
        case OP_DIV:
            acc += u256_div(a, b).w[0];
            break;
        case OP_MOD:
            acc += u256_mod(a, b).w[0];
            break;
        case OP_SDIV:
            acc += u256_sdiv(a, b).w[0];
            break;
        case OP_ADDMOD:
            acc += u256_addmod(a, b, m).w[0];
            break;
        case OP_MULMOD:
            acc += u256_mulmod(a, b, m).w[0];
            break;
        case OP_EXP:
            acc += u256_exp(a, b).w[0];
            break;
        case OP_TO_DEC: {
            char out[79];
            u256_to_dec(out, a);
            acc += (uint64_t)out[5];
            break;
        }
        case OP_FROM_DEC: {
            u256_t v;
            if (u256_from_dec(g_dec[i], strlen(g_dec[i]), &v) == ERR_OK)
                acc += v.w[0];
            break;
        }
        case OP_G_MUL:
            /* mpn_mul_n computes the full 512-bit product; u256_mul only the low half. */
            mpn_mul_n(prod, (const mp_limb_t *)a.w, (const mp_limb_t *)b.w, 4);
            acc += prod[3];
            break;
        case OP_G_DIV: {
            mp_size_t nb = limbs_of(&b), na = limbs_of(&a);
            if (na >= nb) {
                mpn_tdiv_qr(q, r, 0, (const mp_limb_t *)a.w, na, (const mp_limb_t *)b.w, nb);
                acc += q[0];
            }
            break;
        }
        case OP_G_MULMOD: {
            mp_size_t nm = limbs_of(&m);
            mpn_mul_n(prod, (const mp_limb_t *)a.w, (const mp_limb_t *)b.w, 4);
            mpn_tdiv_qr(q, r, 0, prod, 8, (const mp_limb_t *)m.w, nm);
            acc += r[0];
            break;
        }
        }
    }
    g_sink += acc;
}

static double ns_per_op(op_t op)
{
    enum {
        RUNS = 7
    };

    double t[RUNS];
    run_once(op); /* warm up */
    for (int k = 0; k < RUNS; k++) {
        uint64_t t0 = clock_mono_ns();
        for (int rep = 0; rep < REPS; rep++)
            run_once(op);
        t[k] = (double)(clock_mono_ns() - t0) / ((double)N * REPS);
    }
    return median(t, RUNS);
}

static void fill(int alimbs, int blimbs, int mlimbs)
{
    for (int i = 0; i < N; i++) {
        g_a[i] = rnd_limbs(alimbs);
        g_b[i] = rnd_limbs(blimbs);
        g_m[i] = rnd_limbs(mlimbs);
    }
}

static void row(const char *name, op_t op, op_t peer)
{
    double ours = ns_per_op(op);
    if (peer == op) {
        printf("%-34s %8.1f ns/op\n", name, ours);
        return;
    }
    double theirs = ns_per_op(peer);
    printf("%-34s %8.1f ns/op   GMP mpn %8.1f ns/op   ratio %.2f\n", name, ours, theirs,
           ours / theirs);
}

int main(void)
{
    printf("u256 (ns per operation, median of 7 runs of %d ops)\n", N * REPS);
    fill(4, 4, 4);
    row("mul 256x256 (low 256)", OP_MUL, OP_G_MUL);
    row("div 256/256", OP_DIV, OP_G_DIV);
    fill(4, 2, 4);
    row("div 256/128", OP_DIV, OP_G_DIV);
    row("mod 256/128", OP_MOD, OP_MOD);
    row("sdiv 256/128", OP_SDIV, OP_SDIV);
    fill(4, 3, 4);
    row("div 256/192", OP_DIV, OP_G_DIV);
    fill(4, 1, 4);
    row("div 256/64", OP_DIV, OP_G_DIV);
    fill(1, 1, 1);
    row("div 64/64", OP_DIV, OP_DIV);
    fill(4, 4, 4);
    row("addmod 256", OP_ADDMOD, OP_ADDMOD);
    row("mulmod 256 (512/256 division)", OP_MULMOD, OP_G_MULMOD);
    fill(4, 4, 2);
    row("mulmod 256, modulus 128 bits", OP_MULMOD, OP_G_MULMOD);
    fill(4, 4, 1);
    row("mulmod 256, modulus 64 bits", OP_MULMOD, OP_G_MULMOD);
    fill(4, 4, 4);
    row("exp 256^256", OP_EXP, OP_EXP);
    fill(4, 1, 4);
    for (int i = 0; i < N; i++)
        g_b[i].w[0] &= 0xff;
    row("exp 256^(8-bit)", OP_EXP, OP_EXP);
    fill(4, 4, 4);
    row("to_dec 256", OP_TO_DEC, OP_TO_DEC);
    for (int i = 0; i < N; i++)
        u256_to_dec(g_dec[i], g_a[i]);
    row("from_dec 78 digits", OP_FROM_DEC, OP_FROM_DEC);
    return 0;
}
