/* eth_feeHistory: base fees, gas-used ratios and tip percentiles of recent blocks (geth's rules:
 * at most 1024 blocks; percentiles strictly increasing within [0, 100]; rewards weighted by the
 * gas each transaction used). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "db/db.h"
#include "rpc/ns/ns.h"
#include "rpc/rpc_int.h"

enum {
    FEE_HISTORY_MAX_BLOCKS = 1024,
    FEE_HISTORY_MAX_PERCENTILES = 100,
};

static bool parse_count(const json_t *p, uint64_t *out)
{
    if (json_is_integer(p) && json_integer_value(p) >= 0) {
        *out = (uint64_t)json_integer_value(p);
        return true;
    }
    const char *s = json_string_value(p);
    u256_t v;
    if (!s || u256_parse(s, strlen(s), &v) != ERR_OK || (v.w[1] | v.w[2] | v.w[3]))
        return false;
    *out = v.w[0];
    return true;
}

typedef struct tip_gas {
    u256_t tip;
    uint64_t gas;
} tip_gas_t;

static int tip_cmp(const void *a, const void *b)
{
    const tip_gas_t *x = a, *y = b;
    return u256_cmp(x->tip, y->tip);
}

static u256_t effective_tip(const tx_t *tx, u256_t base_fee)
{
    if (tx->type == TX_L1_MESSAGE)
        return u256_from_u64(0);
    bool market = tx->type == TX_DYNAMIC_FEE || tx->type == TX_SET_CODE;
    u256_t cap = market ? tx->max_fee : tx->gas_price;
    u256_t tip = market ? tx->max_priority_fee : tx->gas_price;
    if (u256_lt(cap, base_fee))
        return u256_from_u64(0);
    u256_t room = u256_sub(cap, base_fee);
    return u256_lt(room, tip) ? room : tip;
}

static json_t *rewards(db_txn_t *t, const hash_t *hash, const header_t *h, const double *pct,
                       size_t npct)
{
    json_t *arr = json_array();
    block_t b;
    chain_receipts_t rs;
    memset(&b, 0, sizeof(b));
    memset(&rs, 0, sizeof(rs));
    if (chain_read_block(t, hash, &b) != ERR_OK || chain_read_receipts(t, hash, &rs) != ERR_OK ||
        rs.n != b.ntxs || b.ntxs == 0) {
        for (size_t i = 0; i < npct; i++)
            json_array_append_new(arr, json_string("0x0"));
        goto out;
    }
    tip_gas_t *tg = RN_NEWV(tip_gas_t, b.ntxs);
    uint64_t prev = 0;
    for (size_t i = 0; i < b.ntxs; i++) {
        tg[i].tip = effective_tip(&b.txs[i], h->base_fee);
        tg[i].gas = rs.r[i].cumulative_gas - prev;
        prev = rs.r[i].cumulative_gas;
    }
    qsort(tg, b.ntxs, sizeof(*tg), tip_cmp);
    size_t i = 0;
    uint64_t sum = tg[0].gas;
    for (size_t p = 0; p < npct; p++) {
        double threshold = (double)h->gas_used * pct[p] / 100.0;
        while ((double)sum < threshold && i + 1 < b.ntxs) {
            i++;
            sum += tg[i].gas;
        }
        json_array_append_new(arr, rpc__quantity256(tg[i].tip));
    }
    rn_free(tg);
out:
    block_deinit(&b);
    chain_receipts_free(&rs);
    return arr;
}

static void fee_history(void *ctx, const json_t *params, rpc_reply_t *r)
{
    const rpc_ctx_t *c = ctx;
    if (!rpc__arity(params, 2, 3, r))
        return;
    uint64_t count;
    if (!parse_count(json_array_get(params, 0), &count)) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: blockCount must be a quantity");
        return;
    }
    const json_t *pj = rpc__param(params, 2);
    double pct[FEE_HISTORY_MAX_PERCENTILES];
    size_t npct = 0;
    if (pj) {
        if (!json_is_array(pj) || json_array_size(pj) > FEE_HISTORY_MAX_PERCENTILES) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: rewardPercentiles must be an array of at most %d "
                            "numbers",
                            FEE_HISTORY_MAX_PERCENTILES);
            return;
        }
        for (size_t i = 0; i < json_array_size(pj); i++) {
            const json_t *v = json_array_get(pj, i);
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 100 ||
                (i > 0 && json_number_value(v) < pct[i - 1])) {
                rpc_reply_error(r, RPC_INVALID_PARAMS,
                                "invalid reward percentile: %zu (each in [0, 100], increasing)", i);
                return;
            }
            pct[npct++] = json_number_value(v);
        }
    }
    if (count > FEE_HISTORY_MAX_BLOCKS)
        count = FEE_HISTORY_MAX_BLOCKS;
    db_txn_t *t;
    if (!c->db || db_txn_begin(c->db, DB_TXN_READ, &t) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "database unavailable");
        return;
    }
    uint64_t head;
    hash_t hh;
    uint64_t newest;
    if (chain_head(t, &head, &hh) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
        goto out;
    }
    if (!rpc__block_param(t, json_array_get(params, 1), "argument 1 (newestBlock)", &newest, NULL,
                          r))
        goto out;
    if (count > newest + 1)
        count = newest + 1;
    uint64_t oldest = newest + 1 - count;
    json_t *base = json_array(), *ratio = json_array(), *rew = npct ? json_array() : NULL;
    header_t h;
    memset(&h, 0, sizeof(h));
    for (uint64_t n = oldest; count && n <= newest; n++) {
        hash_t bh;
        header_deinit(&h);
        if (chain_canonical_hash(t, n, &bh) != ERR_OK || chain_read_header(t, &bh, &h) != ERR_OK)
            break;
        json_array_append_new(base, rpc__quantity256(h.base_fee));
        json_array_append_new(
            ratio, json_real(h.gas_limit ? (double)h.gas_used / (double)h.gas_limit : 0.0));
        if (rew)
            json_array_append_new(rew, rewards(t, &bh, &h, pct, npct));
    }
    /* The base fee of the block after the newest. */
    u256_t next = h.base_fee, tip;
    if (newest == head && c->node && c->node->fees) {
        c->node->fees(c->ud, &next, &tip); /* gas price = next base fee + tip */
        next = u256_lt(next, tip) ? u256_from_u64(0) : u256_sub(next, tip);
    } else if (newest < head) {
        hash_t bh;
        header_t nh;
        if (chain_canonical_hash(t, newest + 1, &bh) == ERR_OK &&
            chain_read_header(t, &bh, &nh) == ERR_OK) {
            next = nh.base_fee;
            header_deinit(&nh);
        }
    }
    header_deinit(&h);
    json_array_append_new(base, rpc__quantity256(next));
    r->result = json_pack("{s:o,s:o,s:o}", "oldestBlock", rpc__quantity(oldest), "baseFeePerGas",
                          base, "gasUsedRatio", ratio);
    if (rew)
        json_object_set_new(r->result, "reward", rew);
out:
    db_txn_abort(t);
}

void rpc__register_eth_fees(rpc_registry_t *reg)
{
    static const rpc_method_t m = { "eth_feeHistory", RPC_NS_ETH, fee_history };
    rpc__register_methods(reg, &m, 1);
}
