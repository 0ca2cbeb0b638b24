/* src/evm/precompiles.c — the precompile table, rule sets per fork and chain, gas, and the
 * simple precompiles (ecrecover, sha256, ripemd160, identity). The heavy ones live in pc_*.c.
 *
 * Failure convention (every client's): a precompile that errors, runs out of gas or is
 * disabled consumes all the gas it was given and returns no output. ecrecover and P256VERIFY
 * never error on bad signatures: they succeed with empty output. */
#include "evm/precompiles.h"

#include <string.h>

#include "crypto/crypto.h"
#include "evm/pc_int.h"

/* ---- gas constants ---- */

enum {
    GAS_ECRECOVER = 3000, /* Yellow Paper appendix E */
    GAS_SHA256_BASE = 60, /* + 12 per word */
    GAS_SHA256_WORD = 12,
    GAS_RIPEMD_BASE = 600, /* + 120 per word */
    GAS_RIPEMD_WORD = 120,
    GAS_IDENTITY_BASE = 15, /* + 3 per word */
    GAS_IDENTITY_WORD = 3,
    GAS_BN_ADD = 150,         /* EIP-1108 (Istanbul) */
    GAS_BN_MUL = 6000,        /* EIP-1108 */
    GAS_BN_PAIR_BASE = 45000, /* EIP-1108: 45000 + 34000 per pair */
    GAS_BN_PAIR_PER = 34000,
    GAS_P256_RIP7212 = 3450, /* RIP-7212 */
    GAS_P256_EIP7951 = 6900, /* EIP-7951 */
    BN_PAIR_LEN = 192,       /* EIP-197: 64-byte G1 + 128-byte G2 */
    BLAKE2F_INPUT_LEN = 213, /* EIP-152 */
    P256_INPUT_LEN = 160,    /* hash ‖ r ‖ s ‖ qx ‖ qy */
};

/* ---- table ---- */

/** The precompile at address byte i (1..0x11). ORDER: precompile_id_t. */
static precompile_id_t id_at(unsigned i)
{
    if (i >= 1 && i <= 9)
        return (precompile_id_t)(PC_ECRECOVER + (int)(i - 1));
    if (i == 0x0a)
        return PC_KZG_POINT_EVAL;
    if (i >= 0x0b && i <= 0x11)
        return PC_BLS;
    return PC_NONE;
}

precompile_id_t precompile_lookup(const precompile_rules_t *r, const addr_t *a)
{
    for (int i = 0; i < 18; i++) {
        if (a->b[i] != 0)
            return PC_NONE;
    }
    if (a->b[18] == 0) {
        unsigned i = a->b[19];
        if (i == 0 || i >= RN_ARRAY_LEN(r->at) || r->at[i] == PC_ABSENT)
            return PC_NONE;
        return id_at(i);
    }
    if (a->b[18] == 0x01 && a->b[19] == 0x00 && r->p256verify != PC_ABSENT)
        return PC_P256VERIFY;
    return PC_NONE;
}

bool precompile_is_warm(const precompile_rules_t *r, const addr_t *a)
{
    return precompile_lookup(r, a) != PC_NONE;
}

/** The variant the rules give `id`. PC_BLS covers 0x0b..0x11, which the rule builders always
 *  set together; 0x0b stands for the group. */
static pc_variant_t variant_of(const precompile_rules_t *r, precompile_id_t id)
{
    switch (id) {
    case PC_NONE:
        return PC_ABSENT;
    case PC_P256VERIFY:
        return r->p256verify;
    case PC_KZG_POINT_EVAL:
        return r->at[0x0a];
    case PC_BLS:
        return r->at[0x0b];
    default:
        return r->at[(int)id - (int)PC_ECRECOVER + 1];
    }
}

/* ---- rule sets ---- */

void precompile_rules_ethereum(precompile_rules_t *r, int fork)
{
    memset(r, 0, sizeof(*r));
    for (int i = 1; i <= 9; i++)
        r->at[i] = PC_STANDARD;
    if (fork >= 1) /* Cancun: EIP-4844 point evaluation (unsupported here, but warm) */
        r->at[0x0a] = PC_STANDARD;
    if (fork >= 2) { /* Prague: EIP-2537 BLS12-381 (unsupported here, but warm) */
        for (int i = 0x0b; i <= 0x11; i++)
            r->at[i] = PC_STANDARD;
    }
    r->modexp = fork >= 3 ? MODEXP_EIP7883 : MODEXP_EIP2565;
    r->modexp_max_32_bytes = false;
    r->pairing_max_pairs = 0;
    r->p256verify = fork >= 3 ? PC_STANDARD : PC_ABSENT; /* Osaka: EIP-7951 */
    r->p256 = P256_EIP7951;
}

/* SCROLL.md §2.2. Specs: 1 SHANGHAI, 2 BERNOULLI, 3 CURIE, 4 DARWIN, 5 EUCLID, 6 FEYNMAN,
 * 7 GALILEO. */
void precompile_rules_scroll(precompile_rules_t *r, int spec)
{
    enum {
        SHANGHAI = 1,
        EUCLID = 5,
        FEYNMAN = 6,
        GALILEO = 7
    };

    memset(r, 0, sizeof(*r));
    r->at[0x01] = PC_STANDARD;
    r->at[0x02] = spec <= SHANGHAI ? PC_DISABLED : PC_STANDARD; /* sha256 from Bernoulli */
    r->at[0x03] = PC_DISABLED;                                  /* ripemd160: never */
    r->at[0x04] = PC_STANDARD;
    r->at[0x05] = PC_STANDARD;
    r->at[0x06] = PC_STANDARD;
    r->at[0x07] = PC_STANDARD;
    r->at[0x08] = PC_STANDARD;
    r->at[0x09] = PC_DISABLED; /* blake2f: never */
    /* 0x0a (KZG) and 0x0b..0x11 (BLS): absent on every Scroll spec. */
    if (spec >= GALILEO) {
        r->modexp = MODEXP_EIP7883; /* (B): Osaka rules */
        r->modexp_max_32_bytes = false;
    } else {
        r->modexp = MODEXP_EIP2565; /* (A) */
        r->modexp_max_32_bytes = true;
    }
    r->pairing_max_pairs = spec >= FEYNMAN ? 0 : 4; /* (C) */
    r->p256verify = spec >= EUCLID ? PC_STANDARD : PC_ABSENT;
    r->p256 = spec >= GALILEO ? P256_EIP7951 : P256_RIP7212;
}

/* ---- gas helpers ---- */

static uint64_t words_of(size_t n)
{
    return (uint64_t)(n / 32) + (n % 32 != 0);
}

/** base + per·words, saturating. */
static uint64_t linear_gas(uint64_t base, uint64_t per, size_t n)
{
    uint64_t w = words_of(n), t, g;
    if (__builtin_mul_overflow(w, per, &t) || __builtin_add_overflow(t, base, &g))
        return UINT64_MAX;
    return g;
}

static precompile_result_t fail(uint64_t gas_limit)
{
    precompile_result_t res = { false, gas_limit };
    return res;
}

static precompile_result_t ok(uint64_t gas)
{
    precompile_result_t res = { true, gas };
    return res;
}

/** Copy input[0..n) into a zero-padded buffer of exactly `len` bytes (extra input ignored). */
static void pad_input(uint8_t *dst, size_t len, const uint8_t *in, size_t n)
{
    size_t k = n < len ? n : len;
    if (k)
        memcpy(dst, in, k);
    memset(dst + k, 0, len - k);
}

static uint64_t le_load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ---- the simple precompiles ---- */

/** 0x01: hash ‖ v ‖ r ‖ s (input right-padded to 128 bytes). v must be the word 27 or 28; r and
 *  s must be in [1, n-1] (high s accepted). Output: the address left-padded to 32 bytes, or
 *  nothing if recovery fails. */
static bool run_ecrecover(const uint8_t *in, size_t n, buf_t *out)
{
    uint8_t w[128];
    pad_input(w, sizeof(w), in, n);
    for (int i = 32; i < 63; i++) {
        if (w[i] != 0)
            return true;
    }
    if (w[63] != 27 && w[63] != 28)
        return true;
    addr_t a;
    if (secp_recover_address(&a, w, w + 64, w[63] - 27) != ERR_OK)
        return true;
    uint8_t res[32] = { 0 };
    memcpy(res + 12, a.b, 20);
    return buf_append(out, res, 32) == ERR_OK;
}

static bool run_sha256(const uint8_t *in, size_t n, buf_t *out)
{
    uint8_t h[32];
    sha256(h, in, n);
    return buf_append(out, h, 32) == ERR_OK;
}

static bool run_ripemd160(const uint8_t *in, size_t n, buf_t *out)
{
    uint8_t h[32] = { 0 };
    ripemd160(h + 12, in, n);
    return buf_append(out, h, 32) == ERR_OK;
}

/* ---- dispatch of each precompile: gas check, input check, run ---- */

static precompile_result_t run_modexp(const precompile_rules_t *r, const uint8_t *in, size_t n,
                                      uint64_t gas_limit, buf_t *out)
{
    modexp_args_t a;
    modexp_parse(&a, in, n);
    if (r->modexp_max_32_bytes && a.lens_over_32)
        return fail(gas_limit); /* Scroll (A): "modexp temporarily only accepts inputs of 32
                                   bytes (256 bits) or less" */
    if (r->modexp == MODEXP_EIP7883 && a.lens_over_1024)
        return fail(gas_limit); /* EIP-7823 */
    uint64_t gas = modexp_gas(&a, (int)r->modexp, in, n);
    /* UINT64_MAX means "2^64 or more": never affordable. */
    if (gas == UINT64_MAX || gas > gas_limit)
        return fail(gas_limit);
    /* The gas paid bounds mod_len (it enters the complexity squared), so the allocation is
     * proportional to what was paid for; out's own cap still applies. */
    uint8_t *dst;
    if (buf_append_zeros(out, (size_t)a.mod_len, &dst) != ERR_OK)
        return fail(gas_limit);
    if (a.mod_len > 0)
        modexp_compute(dst, &a, in, n);
    return ok(gas);
}

static precompile_result_t run_pairing(const precompile_rules_t *r, const uint8_t *in, size_t n,
                                       uint64_t gas_limit, buf_t *out)
{
    if (n % BN_PAIR_LEN != 0)
        return fail(gas_limit); /* "bad elliptic curve pairing size" */
    size_t k = n / BN_PAIR_LEN;
    if (r->pairing_max_pairs != 0 && k > r->pairing_max_pairs)
        return fail(gas_limit); /* Scroll (C) */
    uint64_t gas = GAS_BN_PAIR_BASE, per;
    if (__builtin_mul_overflow((uint64_t)k, (uint64_t)GAS_BN_PAIR_PER, &per) ||
        __builtin_add_overflow(gas, per, &gas))
        return fail(gas_limit);
    if (gas > gas_limit)
        return fail(gas_limit);
    bool one;
    if (!bn_precompile_pairing(&one, in, n))
        return fail(gas_limit);
    uint8_t res[32] = { 0 };
    res[31] = one ? 1 : 0;
    if (buf_append(out, res, 32) != ERR_OK)
        return fail(gas_limit);
    return ok(gas);
}

/** 0x09 (EIP-152): rounds (4, big-endian) ‖ h (64) ‖ m (128) ‖ t (16) ‖ f (1), the words
 *  little-endian; exactly 213 bytes; f must be 0 or 1; gas = rounds. */
static precompile_result_t run_blake2f(const uint8_t *in, size_t n, uint64_t gas_limit, buf_t *out)
{
    if (n != BLAKE2F_INPUT_LEN)
        return fail(gas_limit);
    uint32_t rounds =
        (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | (uint32_t)in[3];
    if (rounds > gas_limit)
        return fail(gas_limit);
    if (in[212] > 1)
        return fail(gas_limit);
    uint64_t h[8], m[16], t[2];
    for (int i = 0; i < 8; i++)
        h[i] = le_load64(in + 4 + 8 * i);
    for (int i = 0; i < 16; i++)
        m[i] = le_load64(in + 68 + 8 * i);
    t[0] = le_load64(in + 196);
    t[1] = le_load64(in + 204);
    blake2b_compress(h, m, t, in[212] == 1, rounds);
    uint8_t res[64];
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 8; j++)
            res[8 * i + j] = (uint8_t)(h[i] >> (8 * j));
    }
    if (buf_append(out, res, sizeof(res)) != ERR_OK)
        return fail(gas_limit);
    return ok(rounds);
}

precompile_result_t precompile_run(const precompile_rules_t *r, precompile_id_t id,
                                   const uint8_t *input, size_t n, uint64_t gas_limit, buf_t *out)
{
    static const uint8_t empty[1] = { 0 };
    if (!input)
        input = empty; /* n == 0: keep pointer arithmetic defined */
    pc_variant_t v = variant_of(r, id);
    /* Scroll's "disabled": in the set, but every call fails using all gas (SCROLL.md §2.2). A
     * plain account (PC_NONE or absent) is the caller's business: it must not get here. */
    if (v != PC_STANDARD)
        return fail(gas_limit);

    uint64_t gas;
    switch (id) {
    case PC_ECRECOVER:
        if (GAS_ECRECOVER > gas_limit)
            return fail(gas_limit);
        return run_ecrecover(input, n, out) ? ok(GAS_ECRECOVER) : fail(gas_limit);
    case PC_SHA256:
        gas = linear_gas(GAS_SHA256_BASE, GAS_SHA256_WORD, n);
        if (gas > gas_limit)
            return fail(gas_limit);
        return run_sha256(input, n, out) ? ok(gas) : fail(gas_limit);
    case PC_RIPEMD160:
        gas = linear_gas(GAS_RIPEMD_BASE, GAS_RIPEMD_WORD, n);
        if (gas > gas_limit)
            return fail(gas_limit);
        return run_ripemd160(input, n, out) ? ok(gas) : fail(gas_limit);
    case PC_IDENTITY:
        gas = linear_gas(GAS_IDENTITY_BASE, GAS_IDENTITY_WORD, n);
        if (gas > gas_limit)
            return fail(gas_limit);
        return buf_append(out, input, n) == ERR_OK ? ok(gas) : fail(gas_limit);
    case PC_MODEXP:
        return run_modexp(r, input, n, gas_limit, out);
    case PC_BN254_ADD: {
        if (GAS_BN_ADD > gas_limit)
            return fail(gas_limit);
        uint8_t w[128], res[64];
        pad_input(w, sizeof(w), input, n);
        if (!bn_precompile_add(res, w) || buf_append(out, res, 64) != ERR_OK)
            return fail(gas_limit);
        return ok(GAS_BN_ADD);
    }
    case PC_BN254_MUL: {
        if (GAS_BN_MUL > gas_limit)
            return fail(gas_limit);
        uint8_t w[96], res[64];
        pad_input(w, sizeof(w), input, n);
        if (!bn_precompile_mul(res, w) || buf_append(out, res, 64) != ERR_OK)
            return fail(gas_limit);
        return ok(GAS_BN_MUL);
    }
    case PC_BN254_PAIRING:
        return run_pairing(r, input, n, gas_limit, out);
    case PC_BLAKE2F:
        return run_blake2f(input, n, gas_limit, out);
    case PC_P256VERIFY: {
        gas = r->p256 == P256_EIP7951 ? GAS_P256_EIP7951 : GAS_P256_RIP7212;
        if (gas > gas_limit)
            return fail(gas_limit);
        /* Any other length: gas charged, empty output (never an error). */
        if (n == P256_INPUT_LEN && p256_verify(input)) {
            uint8_t res[32] = { 0 };
            res[31] = 1;
            if (buf_append(out, res, 32) != ERR_OK)
                return fail(gas_limit);
        }
        return ok(gas);
    }
    case PC_KZG_POINT_EVAL:
    case PC_BLS:
        /* Never on Scroll; listed as unsupported (docs/decisions/0010-unsupported-precompiles.md).
         */
        return fail(gas_limit);
    case PC_NONE:
        break;
    }
    return fail(gas_limit);
}
