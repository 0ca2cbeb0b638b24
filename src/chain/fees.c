/* Scroll's L1 data fee and L2 base fee (SCROLL.md §4 and §5). */
#define ZSTD_STATIC_LINKING_ONLY /* magicless frames and literal mode are "experimental" params */
#include <pthread.h>
#include <zstd.h>

#include "chain/chain.h"

static const uint64_t PRECISION = 1000000000u; /* 1e9 */

/* Saturating helpers: revm computes the fee in saturating 256-bit arithmetic. */
static u256_t smul(u256_t a, u256_t b)
{
    u256_t r;
    return u256_mul_overflow(a, b, &r) ? u256_max() : r;
}

static u256_t sadd(u256_t a, u256_t b)
{
    u256_t r;
    return u256_add_overflow(a, b, &r) ? u256_max() : r;
}

static u256_t u(uint64_t v)
{
    return u256_from_u64(v);
}

static uint64_t cap64(u256_t v)
{
    return u256_fits_u64(v) ? u256_low64(v) : UINT64_MAX;
}

/* One compression context per thread, made once with SCROLL.md §4.3's settings (the da-codec
 * "standard" encoder's; level 0 there means the default, 3) and reset per call to a new frame
 * with the same settings: creating one costs a multi-megabyte table allocation (window 2^22),
 * more than compressing a transaction, and setting the parameters again per call cost ~0.1-0.5 us
 * of a transfer's ~2 us. Freed at thread exit. */
static pthread_key_t cctx_key;
static pthread_once_t cctx_once = PTHREAD_ONCE_INIT;

static void cctx_free(void *p)
{
    ZSTD_freeCCtx(p);
}

static void cctx_key_init(void)
{
    if (pthread_key_create(&cctx_key, cctx_free) != 0)
        PANIC("pthread_key_create failed");
}

static ZSTD_CCtx *cctx_new(void)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    if (!c)
        return NULL;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_literalCompressionMode, ZSTD_ps_disable)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 22)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_targetCBlockSize, 126976)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_format, ZSTD_f_zstd1_magicless)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_dictIDFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1))) {
        ZSTD_freeCCtx(c);
        return NULL;
    }
    return c;
}

static ZSTD_CCtx *thread_cctx(void)
{
    pthread_once(&cctx_once, cctx_key_init);
    ZSTD_CCtx *c = pthread_getspecific(cctx_key);
    if (!c) {
        c = cctx_new();
        if (c && pthread_setspecific(cctx_key, c) != 0) {
            ZSTD_freeCCtx(c);
            c = NULL;
        }
    } else {
        ZSTD_CCtx_reset(c, ZSTD_reset_session_only); /* the settings stay */
    }
    return c;
}

size_t scroll_zstd_size(const uint8_t *p, size_t n)
{
    ZSTD_CCtx *cctx = thread_cctx();
    if (!cctx)
        return SIZE_MAX;
    size_t cap = ZSTD_compressBound(n);
    uint8_t stackbuf[4096];
    uint8_t *out = cap <= sizeof(stackbuf) ? stackbuf : rn_malloc(cap);
    size_t r = 0;
    if (ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cctx, n))) {
        r = SIZE_MAX;
    } else {
        ZSTD_outBuffer ob = { out, cap, 0 };
        ZSTD_inBuffer ib = { p, n, 0 };
        size_t rem = ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end);
        r = (ZSTD_isError(rem) || rem != 0) ? SIZE_MAX : ob.pos;
        if (r == SIZE_MAX) /* a failed frame may leave the context mid-stream */
            ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
    }
    if (out != stackbuf)
        rn_free(out);
    return r;
}

u256_t scroll_compression_ratio(bview_t input)
{
    if (input.n == 0)
        return u256_max();
    size_t c = scroll_zstd_size(input.p, input.n);
    if (c == SIZE_MAX || c >= input.n)
        return u(PRECISION);
    return u256_div(smul(u(input.n), u(PRECISION)), u(c));
}

/* fee per byte = execScalar·l1BaseFee + blobScalar·l1BlobBaseFee (Feynman and Galileo). */
static u256_t fee_per_byte(const gpo_values_t *g)
{
    return sadd(smul(g->commit_scalar, g->l1_base_fee), smul(g->blob_scalar, g->l1_blob_base_fee));
}

uint64_t scroll_l1_fee_feynman_ratio(const gpo_values_t *g, size_t n, u256_t ratio)
{
    u256_t penalty = u256_lt(ratio, g->penalty_threshold) ? g->penalty_factor : u(PRECISION);
    u256_t fee = smul(smul(fee_per_byte(g), u(n)), penalty);
    fee = u256_div(u256_div(fee, u(PRECISION)), u(PRECISION));
    return cap64(fee);
}

uint64_t scroll_l1_fee_galileo_size(const gpo_values_t *g, uint64_t cs)
{
    u256_t pf = u256_is_zero(g->penalty_factor) ? u(1) : g->penalty_factor;
    u256_t base = smul(fee_per_byte(g), u(cs));
    u256_t penalty_term = u256_div(smul(base, u(cs)), pf);
    return cap64(u256_div(sadd(base, penalty_term), u(PRECISION)));
}

uint64_t scroll_l1_fee(scroll_spec_t spec, const gpo_values_t *g, bview_t raw, bview_t input)
{
    return scroll_l1_fee_z(spec, g, raw, input, 0);
}

uint64_t scroll_l1_fee_z(scroll_spec_t spec, const gpo_values_t *g, bview_t raw, bview_t input,
                         size_t raw_zstd)
{
    if (spec >= SCROLL_SPEC_GALILEO) {
        uint64_t cs = 0;
        if (raw.n) {
            size_t z = raw_zstd ? raw_zstd : scroll_zstd_size(raw.p, raw.n);
            cs = z < raw.n ? z : raw.n;
        }
        return scroll_l1_fee_galileo_size(g, cs);
    }
    if (spec >= SCROLL_SPEC_FEYNMAN)
        return scroll_l1_fee_feynman_ratio(g, raw.n, scroll_compression_ratio(input));
    if (spec >= SCROLL_SPEC_CURIE) {
        /* (commitScalar·l1BaseFee + n·l1BlobBaseFee·blobScalar) / 1e9 */
        u256_t fee = sadd(smul(g->commit_scalar, g->l1_base_fee),
                          smul(smul(u(raw.n), g->l1_blob_base_fee), g->blob_scalar));
        return cap64(u256_div(fee, u(PRECISION)));
    }
    /* Pre-Curie: l1Gas = 4·zeros + 16·nonzeros + overhead + 64; fee = l1Gas·l1BaseFee·scalar/1e9 */
    uint64_t zeros = 0;
    for (size_t i = 0; i < raw.n; i++)
        zeros += raw.p[i] == 0;
    u256_t l1_gas = sadd(u(4 * zeros + 16 * (raw.n - zeros) + 64), g->overhead);
    return cap64(u256_div(smul(smul(l1_gas, g->l1_base_fee), g->scalar), u(PRECISION)));
}

uint64_t scroll_base_fee_curie(u256_t l1_base_fee, u256_t scalar, u256_t overhead)
{
    if (u256_is_zero(scalar))
        scalar = u(SCROLL_DEFAULT_BASE_FEE_SCALAR);
    if (u256_is_zero(overhead))
        overhead = u(SCROLL_DEFAULT_BASE_FEE_OVERHEAD);
    u256_t fee = sadd(u256_div(smul(l1_base_fee, scalar), u(1000000000000000000ull)), overhead);
    return u256_lt(fee, u(SCROLL_MAX_BASE_FEE)) ? u256_low64(fee) : SCROLL_MAX_BASE_FEE;
}

uint64_t scroll_base_fee_feynman(bool parent_is_feynman, bool parent_has_base_fee,
                                 uint64_t parent_base_fee, uint64_t parent_gas_limit,
                                 uint64_t parent_gas_used, uint64_t overhead)
{
    if (!parent_is_feynman)
        return parent_has_base_fee ? parent_base_fee : 10000000u;
    uint64_t parent_eip = parent_base_fee > overhead ? parent_base_fee - overhead : 0;
    uint64_t target = parent_gas_limit / 2;
    u128_t eip = parent_eip;
    if (target > 0 && parent_gas_used > target) {
        u128_t delta = (u128_t)parent_eip * (parent_gas_used - target) / target / 8;
        eip += delta > 1 ? delta : 1;
    } else if (target > 0 && parent_gas_used < target) {
        u128_t delta = (u128_t)parent_eip * (target - parent_gas_used) / target / 8;
        eip = delta < eip ? eip - delta : 0;
    }
    u128_t fee = eip + overhead;
    return fee < SCROLL_MAX_BASE_FEE ? (uint64_t)fee : SCROLL_MAX_BASE_FEE;
}

const addr_t SCROLL_GPO_ADDRESS = { { 0x53, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0,    0, 0, 0, 0, 0, 0, 0, 0, 0x02 } };

void scroll_gpo_read(gpo_values_t *g, u256_t (*get)(void *ctx, uint64_t slot), void *ctx)
{
    g->l1_base_fee = get(ctx, GPO_SLOT_L1_BASE_FEE);
    g->overhead = get(ctx, GPO_SLOT_OVERHEAD);
    g->scalar = get(ctx, GPO_SLOT_SCALAR);
    g->l1_blob_base_fee = get(ctx, GPO_SLOT_L1_BLOB_BASE_FEE);
    g->commit_scalar = get(ctx, GPO_SLOT_COMMIT_SCALAR);
    g->blob_scalar = get(ctx, GPO_SLOT_BLOB_SCALAR);
    g->penalty_threshold = get(ctx, GPO_SLOT_PENALTY_THRESHOLD);
    g->penalty_factor = get(ctx, GPO_SLOT_PENALTY_FACTOR);
}
