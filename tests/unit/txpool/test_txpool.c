#include <stdio.h>

#include "harness.h"
#include "txpool/txpool.h"

static txpool_tx_info_t mk(uint8_t sender, uint64_t nonce, uint64_t tip, uint64_t fee)
{
    txpool_tx_info_t t;
    memset(&t, 0, sizeof(t));
    t.sender.b[19] = sender;
    t.nonce = nonce;
    t.hash.b[0] = sender;
    be_store64(t.hash.b + 1, nonce);
    be_store64(t.hash.b + 9, tip);
    be_store64(t.hash.b + 17, fee);
    t.gas_limit = 21000;
    t.max_priority_fee = u256_from_u64(tip);
    t.max_fee = u256_from_u64(fee);
    t.cost = u256_from_u64(21000 * fee);
    return t;
}

static const u256_t RICH = { { 0, 0, 1, 0 } };

static txpool_reject_t add(txpool_t *p, txpool_tx_info_t t, uint64_t acct_nonce, bool *pend)
{
    return txpool_add(p, &t, bview(t.hash.b, 32), acct_nonce, RICH, pend);
}

TEST(txpool, pending_and_queued_by_nonce)
{
    txpool_t *p = txpool_new(NULL);
    bool pend;
    size_t np, nq;
    CHECK_EQ_INT(add(p, mk(1, 0, 5, 100), 0, &pend), TXPOOL_OK);
    CHECK(pend);
    CHECK_EQ_INT(add(p, mk(1, 2, 5, 100), 0, &pend), TXPOOL_OK);
    CHECK(!pend);
    txpool_counts(p, &np, &nq);
    CHECK_EQ_U64(np, 1);
    CHECK_EQ_U64(nq, 1);
    /* Filling the gap promotes nonce 2. */
    CHECK_EQ_INT(add(p, mk(1, 1, 5, 100), 0, &pend), TXPOOL_OK);
    CHECK(pend);
    txpool_counts(p, &np, &nq);
    CHECK_EQ_U64(np, 3);
    CHECK_EQ_U64(nq, 0);
    CHECK_EQ_INT(add(p, mk(1, 1, 5, 100), 0, &pend), TXPOOL_ALREADY_KNOWN);
    CHECK_EQ_INT(add(p, mk(2, 3, 5, 100), 4, &pend), TXPOOL_NONCE_TOO_LOW);
    CHECK_STR_EQ(txpool_reject_message(TXPOOL_NONCE_TOO_LOW), "nonce too low");
    txpool_free(p);
}

TEST(txpool, replacement_needs_ten_percent_on_both_fees)
{
    txpool_t *p = txpool_new(NULL);
    bool pend;
    CHECK_EQ_INT(add(p, mk(1, 0, 100, 1000), 0, &pend), TXPOOL_OK);
    CHECK_EQ_INT(add(p, mk(1, 0, 109, 1100), 0, &pend), TXPOOL_UNDERPRICED_REPLACE);
    CHECK_EQ_INT(add(p, mk(1, 0, 110, 1099), 0, &pend), TXPOOL_UNDERPRICED_REPLACE);
    txpool_tx_info_t better = mk(1, 0, 110, 1100);
    CHECK_EQ_INT(add(p, better, 0, &pend), TXPOOL_OK);
    CHECK(txpool_contains(p, &better.hash));
    txpool_tx_info_t old = mk(1, 0, 100, 1000);
    CHECK(!txpool_contains(p, &old.hash));
    size_t np, nq;
    txpool_counts(p, &np, &nq);
    CHECK_EQ_U64(np, 1);
    txpool_free(p);
}

TEST(txpool, best_orders_by_effective_tip_and_nonce)
{
    txpool_t *p = txpool_new(NULL);
    bool pend;
    /* Sender 1: tips 1 then 50; sender 2: tip 10; sender 3: fee cap below base fee. */
    CHECK_EQ_INT(add(p, mk(1, 0, 1, 1000), 0, &pend), TXPOOL_OK);
    CHECK_EQ_INT(add(p, mk(1, 1, 50, 1000), 0, &pend), TXPOOL_OK);
    CHECK_EQ_INT(add(p, mk(2, 0, 10, 1000), 0, &pend), TXPOOL_OK);
    CHECK_EQ_INT(add(p, mk(3, 0, 99, 90), 0, &pend), TXPOOL_OK);
    /* Effective tip is capped by maxFee − baseFee: sender 4 has tip 500 but only 20 room. */
    CHECK_EQ_INT(add(p, mk(4, 0, 500, 120), 0, &pend), TXPOOL_OK);
    txpool_tx_info_t out[10];
    size_t n = txpool_best(p, u256_from_u64(100), out, 10);
    CHECK_EQ_U64(n, 4);
    CHECK_EQ_U64(out[0].sender.b[19], 4); /* 20 */
    CHECK_EQ_U64(out[1].sender.b[19], 2); /* 10 */
    CHECK_EQ_U64(out[2].sender.b[19], 1); /* 1, then its nonce 1 with 50 */
    CHECK_EQ_U64(out[2].nonce, 0);
    CHECK_EQ_U64(out[3].sender.b[19], 1);
    CHECK_EQ_U64(out[3].nonce, 1);
    txpool_free(p);
}

static void acct(void *ud, const addr_t *sender, uint64_t *nonce, u256_t *balance)
{
    (void)ud;
    *nonce = sender->b[19] == 1 ? 2 : 0;
    *balance = RICH;
}

TEST(txpool, new_head_drops_included_and_promotes)
{
    txpool_t *p = txpool_new(NULL);
    bool pend;
    for (uint64_t n = 0; n < 4; n++)
        CHECK_EQ_INT(add(p, mk(1, n, 5, 100), 0, &pend), TXPOOL_OK);
    CHECK_EQ_INT(add(p, mk(2, 0, 5, 100), 0, &pend), TXPOOL_OK);
    txpool_on_new_head(p, acct, NULL);
    size_t np, nq;
    txpool_counts(p, &np, &nq);
    CHECK_EQ_U64(np, 3);
    CHECK_EQ_U64(nq, 0);
    txpool_tx_info_t gone = mk(1, 1, 5, 100);
    CHECK(!txpool_contains(p, &gone.hash));
    txpool_tx_info_t kept = mk(1, 2, 5, 100);
    size_t len = 0;
    uint8_t *raw = txpool_get_raw(p, &kept.hash, &len);
    CHECK(raw && len == 32);
    rn_free(raw);
    txpool_remove(p, &kept);
    txpool_counts(p, &np, &nq);
    CHECK_EQ_U64(np, 1);
    CHECK_EQ_U64(nq, 1);
    txpool_free(p);
}

TEST(txpool, limits_evict_the_cheapest_or_refuse)
{
    txpool_config_t cfg;
    txpool_config_default(&cfg);
    cfg.max_pending = 3;
    cfg.max_per_sender = 2;
    txpool_t *p = txpool_new(&cfg);
    bool pend;
    CHECK_EQ_INT(add(p, mk(1, 0, 5, 100), 0, &pend), TXPOOL_OK);
    CHECK_EQ_INT(add(p, mk(1, 1, 5, 100), 0, &pend), TXPOOL_OK);
    CHECK_EQ_INT(add(p, mk(1, 2, 5, 100), 0, &pend), TXPOOL_SENDER_LIMIT);
    CHECK_EQ_INT(add(p, mk(2, 0, 3, 100), 0, &pend), TXPOOL_OK);
    /* Full: a cheaper one is refused, a pricier one evicts the cheapest (sender 2). */
    CHECK_EQ_INT(add(p, mk(3, 0, 1, 100), 0, &pend), TXPOOL_FULL);
    CHECK_EQ_INT(add(p, mk(3, 0, 9, 100), 0, &pend), TXPOOL_OK);
    txpool_tx_info_t evicted = mk(2, 0, 3, 100);
    CHECK(!txpool_contains(p, &evicted.hash));
    size_t np, nq;
    txpool_counts(p, &np, &nq);
    CHECK_EQ_U64(np, 3);
    /* Nonce too far ahead and unaffordable transactions are refused. */
    txpool_tx_info_t far = mk(4, 5000, 5, 100);
    CHECK_EQ_INT(txpool_add(p, &far, bview(far.hash.b, 32), 0, RICH, &pend), TXPOOL_NONCE_GAP);
    txpool_tx_info_t poor = mk(4, 0, 5, 100);
    CHECK_EQ_INT(txpool_add(p, &poor, bview(poor.hash.b, 32), 0, u256_from_u64(1), &pend),
                 TXPOOL_INSUFFICIENT_FUNDS);
    txpool_free(p);
}

TEST(txpool, many_senders_stress)
{
    txpool_t *p = txpool_new(NULL);
    bool pend;
    for (int s = 0; s < 200; s++) {
        for (uint64_t n = 0; n < 20; n++) {
            txpool_tx_info_t t = mk((uint8_t)s, n, 1 + (uint64_t)(test_rand() % 100), 1000);
            t.sender.b[18] = (uint8_t)(s >> 8);
            t.hash.b[31] = (uint8_t)(s >> 8);
            CHECK_EQ_INT(txpool_add(p, &t, bview(t.hash.b, 32), 0, RICH, &pend), TXPOOL_OK);
        }
    }
    size_t np, nq;
    txpool_counts(p, &np, &nq);
    CHECK_EQ_U64(np, 4000);
    txpool_tx_info_t *out = rn_malloc(4000 * sizeof(*out));
    size_t n = txpool_best(p, u256_zero(), out, 4000);
    CHECK_EQ_U64(n, 4000);
    /* Per sender, nonces come out in order. */
    uint64_t next[256] = { 0 };
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_U64(out[i].nonce, next[out[i].sender.b[19]]);
        next[out[i].sender.b[19]]++;
    }
    rn_free(out);
    txpool_free(p);
}

/* An independent recount: the pool's view of each sender's chain state (the nonce and balance it
 * was last given), and what txpool_foreach reports, in nonce order per sender. */
typedef struct model {
    uint64_t nonce[8];
    u256_t balance[8];
    size_t pending, queued, wrong_flags;
    int last_sender;
    size_t run; /* the sender's transactions seen so far, all pending so far */
    bool broken;
} model_t;

static void tally(void *ud, const txpool_tx_info_t *info, bview_t raw, bool pending)
{
    (void)raw;
    model_t *m = ud;
    int s = info->sender.b[19] % 8;
    if (s != m->last_sender) {
        m->last_sender = s;
        m->run = 0;
        m->broken = false;
    }
    bool expect =
        !m->broken && info->nonce == m->nonce[s] + m->run && !u256_gt(info->cost, m->balance[s]);
    m->broken = !expect;
    m->run++;
    m->pending += expect;
    m->queued += !expect;
    m->wrong_flags += expect != pending;
}

static uint64_t g_nonces[8];
static u256_t g_balances[8];

static void chain_state(void *ud, const addr_t *a, uint64_t *nonce, u256_t *balance)
{
    model_t *m = ud;
    int s = a->b[19] % 8;
    *nonce = m->nonce[s] = g_nonces[s];
    *balance = m->balance[s] = g_balances[s];
}

/* Random adds, removals, new heads, and state nonces and balances that run ahead of the pool (a
 * block the pool has not seen yet, as under load): the pending/queued counters and each
 * transaction's pending flag always equal a recount from the pool's view of the chain. Fees
 * vary, and a balance that drops below a queued transaction's cost stops the pending run there. */
TEST(txpool, counters_stay_exact_under_random_operations)
{
    txpool_config_t cfg;
    txpool_config_default(&cfg);
    cfg.max_pending = 40;
    cfg.max_queued = 40;
    txpool_t *p = txpool_new(&cfg);
    model_t m;
    memset(&m, 0, sizeof(m));
    memset(g_nonces, 0, sizeof(g_nonces));
    for (int s = 0; s < 8; s++)
        g_balances[s] = RICH;
    for (int it = 0; it < 20000; it++) {
        uint8_t s = (uint8_t)(test_rand() % 8);
        switch (test_rand() % 7) {
        case 0:
        case 1:
        case 2: { /* add with the chain's (possibly advanced) nonce and balance */
            uint64_t n = g_nonces[s] + test_rand() % 6;
            txpool_tx_info_t t = mk(s, n, 1 + test_rand() % 50, 100 + test_rand() % 100);
            bool pend;
            txpool_reject_t r =
                txpool_add(p, &t, bview(t.hash.b, 32), g_nonces[s], g_balances[s], &pend);
            if (r != TXPOOL_NONCE_TOO_LOW && r != TXPOOL_NONCE_GAP &&
                r != TXPOOL_INSUFFICIENT_FUNDS) { /* the pool took the account's state */
                m.nonce[s] = g_nonces[s];
                m.balance[s] = g_balances[s];
            }
            break;
        }
        case 3: /* a block advanced this sender (the pool learns it later) */
            g_nonces[s] += test_rand() % 3;
            break;
        case 4: /* its balance changed: rich, or enough for some fees only */
            g_balances[s] =
                test_rand() % 2 ? RICH : u256_from_u64(21000 * (100 + test_rand() % 100));
            break;
        case 5: { /* remove one of the pending transactions (as a block inclusion does) */
            txpool_tx_info_t best[64];
            size_t n = txpool_best(p, u256_from_u64(0), best, 64);
            if (n)
                txpool_remove(p, &best[test_rand() % n]);
            break;
        }
        default:
            txpool_on_new_head(p, chain_state, &m);
        }
        size_t pending, queued;
        m.pending = m.queued = m.wrong_flags = 0;
        m.last_sender = -1;
        txpool_foreach(p, tally, &m);
        txpool_counts(p, &pending, &queued);
        if (pending != m.pending || queued != m.queued || m.wrong_flags) {
            fprintf(stderr, "iteration %d: counters %zu/%zu, recount %zu/%zu, %zu wrong flags\n",
                    it, pending, queued, m.pending, m.queued, m.wrong_flags);
            CHECK(false);
            break;
        }
    }
    txpool_free(p);
}

/* What a block being filled already holds, per sender (sender byte → next nonce). */
static bool in_block(void *ud, const addr_t *sender, uint64_t *next)
{
    const uint64_t *tbl = ud; /* index = sender byte; UINT64_MAX = none yet */
    if (tbl[sender->b[19]] == UINT64_MAX)
        return false;
    *next = tbl[sender->b[19]];
    return true;
}

TEST(txpool, best_after_skips_what_the_block_holds_and_generation_tracks_changes)
{
    txpool_t *p = txpool_new(NULL);
    bool pend;
    uint64_t g0 = txpool_generation(p);
    for (uint8_t s = 1; s <= 4; s++)
        for (uint64_t n = 0; n < 3; n++)
            CHECK_EQ_INT(add(p, mk(s, n, 10 * s, 1000), 0, &pend), TXPOOL_OK);
    uint64_t g1 = txpool_generation(p);
    CHECK(g1 != g0);
    uint64_t tbl[8];
    for (size_t i = 0; i < 8; i++)
        tbl[i] = UINT64_MAX;
    tbl[1] = 2; /* 0 and 1 in the block: offer 2 */
    tbl[3] = 3; /* all three in */
    tbl[4] = 7; /* ahead of the pool (a gap): nothing */
    txpool_tx_info_t out[16];
    size_t n = txpool_best_after(p, u256_zero(), in_block, tbl, out, 16);
    CHECK_EQ_U64(n, 4);
    CHECK_EQ_U64(out[0].sender.b[19], 2); /* tip 20, nonces 0..2 */
    CHECK_EQ_U64(out[0].nonce, 0);
    CHECK_EQ_U64(out[2].nonce, 2);
    CHECK_EQ_U64(out[3].sender.b[19], 1);
    CHECK_EQ_U64(out[3].nonce, 2);
    /* Without a callback it is txpool_best. */
    CHECK_EQ_U64(txpool_best_after(p, u256_zero(), NULL, NULL, out, 16), 12);
    /* Reading does not change the generation; a removal does. */
    CHECK_EQ_U64(txpool_generation(p), g1);
    txpool_tx_info_t t = mk(2, 2, 20, 1000);
    txpool_remove(p, &t);
    CHECK(txpool_generation(p) != g1);
    txpool_free(p);
}
