/* tests/fuzz/fuzz_precompile.c — every precompile's input decoder and arithmetic.
 *
 * Input layout: byte 0 selects the precompile (low nibble) and the rule set (high nibble);
 * bytes 1-2 give the gas limit (big-endian, times 16, so pairings of a few pairs fit); the
 * rest is the precompile's input. Checks: no crash or sanitizer report, gas_used <= gas_limit,
 * failure uses all gas and writes nothing, output sizes per precompile, determinism. */
#include <stdlib.h>
#include <string.h>

#include "evm/pc_int.h"
#include "evm/precompiles.h"
#include "fuzz.h"

static const precompile_id_t IDS[16] = {
    PC_ECRECOVER, PC_SHA256,        PC_RIPEMD160, PC_IDENTITY,   PC_MODEXP,         PC_BN254_ADD,
    PC_BN254_MUL, PC_BN254_PAIRING, PC_BLAKE2F,   PC_P256VERIFY, PC_KZG_POINT_EVAL, PC_BLS,
    PC_MODEXP,    PC_BN254_PAIRING, PC_BN254_ADD, PC_P256VERIFY,
};

static void pick_rules(precompile_rules_t *r, unsigned sel)
{
    if (sel < 4) {
        precompile_rules_ethereum(r, (int)sel);
    } else if (sel < 11) {
        precompile_rules_scroll(r, (int)sel - 3);
    } else if (sel == 11) {
        precompile_rules_ethereum(r, 0);
        r->modexp = MODEXP_EIP198;
    } else {
        precompile_rules_scroll(r, 1 + (int)(sel % 7));
        r->p256verify = PC_STANDARD; /* exercise both P256 variants under Scroll limits */
    }
}

/** Output size check for a successful call. */
static void check_output(precompile_id_t id, const uint8_t *in, size_t n, const buf_t *out)
{
    switch (id) {
    case PC_ECRECOVER:
        REQUIRE(out->n == 0 || out->n == 32);
        if (out->n == 32) {
            for (int i = 0; i < 12; i++)
                REQUIRE(out->p[i] == 0);
        }
        break;
    case PC_SHA256:
    case PC_RIPEMD160:
        REQUIRE(out->n == 32);
        break;
    case PC_IDENTITY:
        REQUIRE(out->n == n && (n == 0 || memcmp(out->p, in, n) == 0));
        break;
    case PC_MODEXP: {
        modexp_args_t a;
        modexp_parse(&a, in, n);
        REQUIRE(out->n == a.mod_len);
        break;
    }
    case PC_BN254_ADD:
    case PC_BN254_MUL:
    case PC_BLAKE2F:
        REQUIRE(out->n == 64);
        break;
    case PC_BN254_PAIRING:
        REQUIRE(out->n == 32 && out->p[31] <= 1);
        break;
    case PC_P256VERIFY:
        REQUIRE(out->n == 0 || (out->n == 32 && out->p[31] == 1));
        break;
    default:
        REQUIRE(0); /* KZG/BLS never succeed */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    precompile_rules_t r;
    precompile_id_t id = IDS[data[0] & 15];
    pick_rules(&r, data[0] >> 4);
    uint64_t gas_limit = ((uint64_t)data[1] << 8 | data[2]) * 16;
    const uint8_t *in = data + 3;
    size_t n = size - 3;

    buf_t out, out2;
    buf_init(&out, 1u << 20);
    buf_init(&out2, 1u << 20);
    precompile_result_t res = precompile_run(&r, id, in, n, gas_limit, &out);
    REQUIRE(res.gas_used <= gas_limit);
    if (!res.success) {
        REQUIRE(res.gas_used == gas_limit);
        REQUIRE(out.n == 0);
    } else {
        check_output(id, in, n, &out);
    }
    /* Deterministic: the same call gives the same answer. */
    precompile_result_t res2 = precompile_run(&r, id, in, n, gas_limit, &out2);
    REQUIRE(res.success == res2.success && res.gas_used == res2.gas_used);
    REQUIRE(out.n == out2.n && (out.n == 0 || memcmp(out.p, out2.p, out.n) == 0));

    /* bn254 addition is commutative; doubling through add matches multiplication by 2. */
    if (id == PC_BN254_ADD && res.success) {
        uint8_t sw[128] = { 0 }, a[64], b[64];
        size_t k = n < 128 ? n : 128;
        memcpy(sw + 64, in, k < 64 ? k : 64);
        if (k > 64)
            memcpy(sw, in + 64, k - 64);
        REQUIRE(bn_precompile_add(a, sw));
        REQUIRE(memcmp(a, out.p, 64) == 0);
        uint8_t dbl[128], mul[96] = { 0 };
        memcpy(dbl, sw, 64);
        memcpy(dbl + 64, sw, 64);
        memcpy(mul, sw, 64);
        mul[95] = 2;
        REQUIRE(bn_precompile_add(a, dbl));
        REQUIRE(bn_precompile_mul(b, mul));
        REQUIRE(memcmp(a, b, 64) == 0);
    }
    buf_deinit(&out);
    buf_deinit(&out2);
    return 0;
}
