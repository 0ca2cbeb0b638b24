/* SCROLL.md §15 vectors: L1 data fee per fork and L2 base fee. */
#include "chain/chain.h"
#include "harness.h"

static u256_t u(uint64_t v)
{
    return u256_from_u64(v);
}

static const uint8_t RAW4[4] = { 1, 1, 1, 1 };

TEST(l1fee, bernoulli_vector)
{
    gpo_values_t g = { 0 };
    g.l1_base_fee = u(10000);
    g.overhead = u(10000);
    g.scalar = u(10000);
    CHECK_EQ_U64(scroll_l1_fee(SCROLL_SPEC_BERNOULLI, &g, bview(RAW4, 4), bview(NULL, 0)), 1012);
    CHECK_EQ_U64(scroll_l1_fee(SCROLL_SPEC_SHANGHAI, &g, bview(RAW4, 4), bview(NULL, 0)), 1012);
}

TEST(l1fee, pre_curie_counts_zero_bytes_at_4_gas)
{
    gpo_values_t g = { 0 };
    g.l1_base_fee = u(1000000000);
    g.scalar = u(1000000000);
    const uint8_t raw[3] = { 0, 0, 1 };
    /* 4+4+16+64 = 88 gas at 1 gwei, scalar 1.0 */
    CHECK_EQ_U64(scroll_l1_fee(SCROLL_SPEC_BERNOULLI, &g, bview(raw, 3), bview(NULL, 0)),
                 88000000000ull);
}

TEST(l1fee, curie_vector)
{
    gpo_values_t g = { 0 };
    g.commit_scalar = u(10000);
    g.l1_base_fee = u(10000);
    g.l1_blob_base_fee = u(10000);
    g.blob_scalar = u(1000000000);
    CHECK_EQ_U64(scroll_l1_fee(SCROLL_SPEC_CURIE, &g, bview(RAW4, 4), bview(NULL, 0)), 40000);
    CHECK_EQ_U64(scroll_l1_fee(SCROLL_SPEC_EUCLID, &g, bview(RAW4, 4), bview(NULL, 0)), 40000);
}

TEST(l1fee, feynman_vector)
{
    gpo_values_t g = { 0 };
    g.l1_base_fee = u(1000000000);
    g.l1_blob_base_fee = u(1000000000);
    g.commit_scalar = u(10);
    g.blob_scalar = u(20);
    g.penalty_threshold = u(6000000000ull);
    g.penalty_factor = u(2000000000ull);
    CHECK_EQ_U64(scroll_l1_fee_feynman_ratio(&g, 100, u(5000000000ull)), 6000);
    /* At or above the threshold the penalty is 1.0. */
    CHECK_EQ_U64(scroll_l1_fee_feynman_ratio(&g, 100, u(6000000000ull)), 3000);
}

TEST(l1fee, feynman_empty_calldata_has_no_penalty)
{
    CHECK(u256_eq(scroll_compression_ratio(bview(NULL, 0)), u256_max()));
    uint8_t incompressible[64];
    for (int i = 0; i < 64; i++)
        incompressible[i] = (uint8_t)(i * 97 + 13);
    CHECK(u256_eq(scroll_compression_ratio(bview(incompressible, 64)), u(1000000000)));
    uint8_t zeros[4096] = { 0 };
    u256_t r = scroll_compression_ratio(bview(zeros, sizeof(zeros)));
    CHECK(u256_gt(r, u(10000000000ull)));
}

TEST(l1fee, galileo_vectors)
{
    gpo_values_t g = { 0 };
    g.l1_base_fee = u(1000000000);
    g.l1_blob_base_fee = u(1000000000);
    g.commit_scalar = u(2394981796ull);
    g.blob_scalar = u(1019097245ull);
    g.penalty_factor = u(10000);
    CHECK_EQ_U64(scroll_l1_fee_galileo_size(&g, 50), 171557471810ull);
    CHECK_EQ_U64(scroll_l1_fee_galileo_size(&g, 100), 344821983141ull);
    CHECK_EQ_U64(scroll_l1_fee_galileo_size(&g, 1024), 3854009072433ull);
    CHECK_EQ_U64(scroll_l1_fee_galileo_size(&g, 10240), 70759382824796ull);
    CHECK_EQ_U64(scroll_l1_fee_galileo_size(&g, 1048576), 378961881717079120ull);
}

/* The thread's context keeps its settings between frames: the same inputs compress to the same
 * sizes on every call, in any order (magicless frames with the content size, literals raw). */
TEST(l1fee, zstd_size_is_the_same_on_every_call)
{
    uint8_t zeros[300] = { 0 }, inc[50], mix[200];
    for (int i = 0; i < 50; i++)
        inc[i] = (uint8_t)(i * 131 + 7);
    for (int i = 0; i < 200; i++)
        mix[i] = (uint8_t)(i % 7 == 0 ? i : 0x42);
    for (int k = 0; k < 3; k++) {
        CHECK_EQ_U64(scroll_zstd_size(zeros, sizeof(zeros)), 15);
        CHECK_EQ_U64(scroll_zstd_size(inc, sizeof(inc)), 55);
        CHECK_EQ_U64(scroll_zstd_size(mix, sizeof(mix)), 73);
    }
}

TEST(l1fee, galileo_uses_compressed_size_capped_at_raw_length)
{
    gpo_values_t g = { 0 };
    g.l1_base_fee = u(1000000000);
    g.l1_blob_base_fee = u(1000000000);
    g.commit_scalar = u(2394981796ull);
    g.blob_scalar = u(1019097245ull);
    g.penalty_factor = u(10000);
    uint8_t raw[50];
    for (int i = 0; i < 50; i++)
        raw[i] = (uint8_t)(i * 131 + 7);
    /* Incompressible: the frame is longer than the input, so cs = n = 50. */
    CHECK(scroll_zstd_size(raw, 50) > 50);
    CHECK_EQ_U64(scroll_l1_fee(SCROLL_SPEC_GALILEO, &g, bview(raw, 50), bview(NULL, 0)),
                 171557471810ull);
    CHECK_EQ_U64(scroll_l1_fee(SCROLL_SPEC_GALILEO, &g, bview(NULL, 0), bview(NULL, 0)), 0);
    /* A known size (the pool's, from its intake) is used as is, and still capped at n; 0 means
     * compute it. A compressible input shows the difference. */
    uint8_t zeros[300] = { 0 };
    size_t z = scroll_zstd_size(zeros, sizeof(zeros));
    CHECK(z > 0 && z < 50);
    CHECK_EQ_U64(scroll_l1_fee_z(SCROLL_SPEC_GALILEO, &g, bview(zeros, 300), bview(NULL, 0), z),
                 scroll_l1_fee(SCROLL_SPEC_GALILEO, &g, bview(zeros, 300), bview(NULL, 0)));
    CHECK_EQ_U64(scroll_l1_fee_z(SCROLL_SPEC_GALILEO, &g, bview(zeros, 300), bview(NULL, 0), 0),
                 scroll_l1_fee_galileo_size(&g, z));
    CHECK_EQ_U64(scroll_l1_fee_z(SCROLL_SPEC_GALILEO, &g, bview(zeros, 300), bview(NULL, 0), 50),
                 scroll_l1_fee_galileo_size(&g, 50));
    CHECK_EQ_U64(scroll_l1_fee_z(SCROLL_SPEC_GALILEO, &g, bview(raw, 50), bview(NULL, 0), 400),
                 171557471810ull);
}

TEST(l1fee, fee_is_capped_at_u64_max)
{
    gpo_values_t g = { 0 };
    g.l1_base_fee = u256_max();
    g.scalar = u256_max();
    CHECK_EQ_U64(scroll_l1_fee(SCROLL_SPEC_BERNOULLI, &g, bview(RAW4, 4), bview(NULL, 0)),
                 UINT64_MAX);
}

TEST(basefee, curie_default_coefficients)
{
    static const struct {
        uint64_t l1, l2;
    } v[] = {
        { 0, 15680000 },
        { 1000000000ull, 15714000 },
        { 2000000000ull, 15748000 },
        { 100000000000ull, 19080000 },
        { 111111111111ull, 19457777 },
        { 2164000000000ull, 89256000 },
        { 644149677419355ull, 10000000000ull },
        { 0x1c3c0f442ull, 15937691 },
    };

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        CHECK_EQ_U64(scroll_base_fee_curie(u(v[i].l1), u(0), u(0)), v[i].l2);
}

TEST(basefee, curie_custom_scalar_and_overhead)
{
    static const struct {
        uint64_t l1, l2;
    } v[] = {
        { 0, 1 },
        { 1000000000ull, 1 },
        { 100000000000ull, 2 },
        { 2164000000000ull, 22 },
        { 644149677419355ull, 6442 },
    };

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        CHECK_EQ_U64(scroll_base_fee_curie(u(v[i].l1), u(10000000), u(1)), v[i].l2);
}

TEST(basefee, feynman_eip1559_step)
{
    /* SCROLL.md §15 (reth unit tests, overhead 0 in the 1559 step). */
    CHECK_EQ_U64(scroll_base_fee_feynman(true, true, 1000000000, 20000000, 10000000, 0),
                 1000000000);
    CHECK_EQ_U64(scroll_base_fee_feynman(true, true, 1000000001, 20000000, 9000000, 0), 987500001);
    CHECK_EQ_U64(scroll_base_fee_feynman(true, true, 1000000001, 20000000, 11000000, 0),
                 1012500001);
    /* With the default overhead: at target the fee is unchanged. */
    CHECK_EQ_U64(scroll_base_fee_feynman(true, true, 1000000000, 20000000, 10000000, 15680000),
                 1000000000);
    /* Dev chain (SCROLL.md §5.3): parent 15 680 000 with empty blocks stays 15 680 000. */
    CHECK_EQ_U64(scroll_base_fee_feynman(true, true, 15680000, 20000000, 0, 15680000), 15680000);
    /* Above target grows by at least 1 even from 0. */
    CHECK_EQ_U64(scroll_base_fee_feynman(true, true, 15680000, 20000000, 20000000, 15680000),
                 15680001);
    /* First Feynman block inherits the parent's base fee; reth uses 10 000 000 if none. */
    CHECK_EQ_U64(scroll_base_fee_feynman(false, true, 12345, 20000000, 0, 15680000), 12345);
    CHECK_EQ_U64(scroll_base_fee_feynman(false, false, 0, 20000000, 0, 15680000), 10000000);
    /* Capped at 10 gwei. */
    CHECK_EQ_U64(scroll_base_fee_feynman(true, true, 10000000000ull, 20000000, 20000000, 0),
                 10000000000ull);
}
