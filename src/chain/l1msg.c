/* L1 messages in the database (SCROLL.md §3.2, ROLLUP-NODE.md §2): what the L1 watcher found in
 * the L1 message queue, which the sequencer includes in queue order and followers check.
 *
 * L1_MESSAGES holds two kinds of keys (told apart by length):
 *   be64 queue index → rlp([l1BlockNumber, tx (0x7E EIP-2718 bytes), l2Block])
 *                      where l2Block is 0 while the message waits, else L2 block number + 1;
 *   tx hash (32 bytes) → be64 queue index.
 * META: l1_latest and l1_finalized (the watcher's view of L1), l1_next_queue_index (the next
 * message a block must include: updated in the block's own commit, rolled back by unwind). */
#define LOG_TARGET "scroll::l1"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/chain_int.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"

static const char K_NEXT[] = "l1_next_queue_index";
static const char K_LATEST[] = "l1_latest";
static const char K_FINALIZED[] = "l1_finalized";

void chain_l1_message_deinit(chain_l1_message_t *m)
{
    if (!m)
        return;
    rn_free(m->raw);
    memset(m, 0, sizeof(*m));
}

static err_t encode_record(uint64_t l1_block, bview_t raw, uint64_t l2_plus1, buf_t *out)
{
    size_t mark;
    TRY(rlp_list_begin(out, &mark));
    TRY(rlp_encode_u64(out, l1_block));
    TRY(rlp_encode_bytes(out, raw.p, raw.n));
    TRY(rlp_encode_u64(out, l2_plus1));
    return rlp_list_end(out, mark);
}

static err_t decode_record(bview_t v, uint64_t index, chain_l1_message_t *m)
{
    rlp_item_t list, it;
    size_t n;
    if (rlp_decode_one(v, &list) || !list.is_list || rlp_list_count(&list, &n) || n != 3)
        return ERR_DB_CORRUPT;
    bview_t cur = list.payload;
    uint64_t l2;
    memset(m, 0, sizeof(*m));
    if (rlp_next(&cur, &it) || rlp_read_u64(&it, &m->l1_block))
        return ERR_DB_CORRUPT;
    if (rlp_next(&cur, &it) || it.is_list)
        return ERR_DB_CORRUPT;
    bview_t raw = it.payload;
    if (rlp_next(&cur, &it) || rlp_read_u64(&it, &l2))
        return ERR_DB_CORRUPT;
    m->queue_index = index;
    m->raw = rn_memdup(raw.p, raw.n ? raw.n : 1);
    m->raw_len = raw.n;
    m->included = l2 != 0;
    m->l2_block = l2 ? l2 - 1 : 0;
    m->tx_hash = keccak256_hash(raw.p, raw.n);
    return ERR_OK;
}

err_t chain_l1_get_message(db_txn_t *txn, uint64_t index, chain_l1_message_t *out)
{
    uint8_t k[8];
    be_store64(k, index);
    bview_t v;
    TRY(db_get(txn, DB_L1_MESSAGES, bview(k, 8), &v));
    return decode_record(v, index, out);
}

err_t chain_l1_find(db_txn_t *txn, const hash_t *tx_hash, uint64_t *index)
{
    bview_t v;
    TRY(db_get(txn, DB_L1_MESSAGES, bview(tx_hash->b, 32), &v));
    if (v.n != 8)
        return ERR_DB_CORRUPT;
    *index = be_load64(v.p);
    return ERR_OK;
}

err_t chain_l1_put_message(db_txn_t *txn, uint64_t l1_block, bview_t raw, char *diag,
                           size_t diag_len)
{
    tx_t tx;
    if (raw.n == 0 || raw.p[0] != TX_L1_MESSAGE || tx_decode(&tx, raw) != ERR_OK) {
        snprintf(diag, diag_len, "not an L1 message transaction (type 0x7e)");
        return ERR_INVALID_ARG;
    }
    uint64_t index = tx.queue_index;
    tx_deinit(&tx);
    chain_l1_message_t old;
    err_t e = chain_l1_get_message(txn, index, &old);
    if (e == ERR_OK) {
        bool same =
            old.raw_len == raw.n && memcmp(old.raw, raw.p, raw.n) == 0 && old.l1_block == l1_block;
        chain_l1_message_deinit(&old);
        if (same)
            return ERR_OK;
        snprintf(diag, diag_len, "L1 message %" PRIu64 " is already stored with other content",
                 index);
        return ERR_INVALID_ARG;
    }
    if (e != ERR_NOT_FOUND)
        return e;
    buf_t v;
    buf_init(&v, 1u << 26);
    uint8_t k[8];
    be_store64(k, index);
    hash_t h;
    h = keccak256_hash(raw.p, raw.n);
    e = encode_record(l1_block, raw, 0, &v);
    if (!e)
        e = db_put(txn, DB_L1_MESSAGES, bview(k, 8), buf_view(&v));
    if (!e)
        e = db_put(txn, DB_L1_MESSAGES, bview(h.b, 32), bview(k, 8));
    buf_deinit(&v);
    return e;
}

static err_t set_included(db_txn_t *txn, uint64_t index, bool included, uint64_t l2_block)
{
    chain_l1_message_t m;
    err_t e = chain_l1_get_message(txn, index, &m);
    if (e == ERR_NOT_FOUND)
        return ERR_OK; /* a message this node never saw on L1 (checked by import, not here) */
    if (e)
        return e;
    buf_t v;
    buf_init(&v, 1u << 26);
    uint8_t k[8];
    be_store64(k, index);
    e = encode_record(m.l1_block, bview(m.raw, m.raw_len), included ? l2_block + 1 : 0, &v);
    if (!e)
        e = db_put(txn, DB_L1_MESSAGES, bview(k, 8), buf_view(&v));
    buf_deinit(&v);
    chain_l1_message_deinit(&m);
    return e;
}

err_t chain_l1_next_index(db_txn_t *txn, uint64_t *next)
{
    err_t e = db_meta_get_u64(txn, K_NEXT, next);
    if (e == ERR_NOT_FOUND) {
        *next = 0;
        return ERR_OK;
    }
    return e;
}

err_t chain_l1_set_heads(db_txn_t *txn, uint64_t latest, uint64_t finalized)
{
    if (finalized > latest)
        return ERR_INVALID_ARG;
    TRY(db_meta_put_u64(txn, K_LATEST, latest));
    return db_meta_put_u64(txn, K_FINALIZED, finalized);
}

err_t chain_l1_heads(db_txn_t *txn, uint64_t *latest, uint64_t *finalized)
{
    TRY(db_meta_get_u64(txn, K_LATEST, latest));
    return db_meta_get_u64(txn, K_FINALIZED, finalized);
}

err_t chain__l1_on_store(db_txn_t *txn, const block_t *b)
{
    bool any = false;
    uint64_t last = 0;
    for (size_t i = 0; i < b->ntxs && b->txs[i].type == TX_L1_MESSAGE; i++) {
        TRY(set_included(txn, b->txs[i].queue_index, true, b->header.number));
        last = b->txs[i].queue_index;
        any = true;
    }
    return any ? db_meta_put_u64(txn, K_NEXT, last + 1) : ERR_OK;
}

err_t chain__l1_on_unwind(db_txn_t *txn, const block_t *b)
{
    /* Blocks are unwound newest first, so the first message of the oldest unwound block that
     * has any ends up as the next index. */
    for (size_t i = 0; i < b->ntxs && b->txs[i].type == TX_L1_MESSAGE; i++)
        TRY(set_included(txn, b->txs[i].queue_index, false, 0));
    if (b->ntxs && b->txs[0].type == TX_L1_MESSAGE)
        return db_meta_put_u64(txn, K_NEXT, b->txs[0].queue_index);
    return ERR_OK;
}

const char *chain_l1_mode_name(chain_l1_mode_t m)
{
    return m == CHAIN_L1_DEPTH ? "depth" : "finalized";
}

err_t chain_l1_eligible_bound(db_txn_t *txn, chain_l1_mode_t mode, uint64_t n, uint64_t *bound,
                              bool *any)
{
    uint64_t latest, finalized;
    *any = false;
    *bound = 0;
    err_t e = chain_l1_heads(txn, &latest, &finalized);
    if (e == ERR_NOT_FOUND)
        return ERR_OK; /* no L1 view yet: nothing is eligible */
    if (e)
        return e;
    uint64_t base = mode == CHAIN_L1_DEPTH ? latest : finalized;
    if (base < n)
        return ERR_OK;
    *bound = base - n;
    *any = true;
    return ERR_OK;
}

err_t chain_builder_add_l1_messages(chain_builder_t *b, db_txn_t *txn, chain_l1_mode_t mode,
                                    uint64_t depth, uint64_t max, size_t *added)
{
    *added = 0;
    uint64_t bound, next;
    bool any;
    TRY(chain_l1_eligible_bound(txn, mode, depth, &bound, &any));
    if (!any || max == 0)
        return ERR_OK;
    TRY(chain_l1_next_index(txn, &next));
    for (uint64_t idx = next; *added < max; idx++) {
        chain_l1_message_t m;
        err_t e = chain_l1_get_message(txn, idx, &m);
        if (e == ERR_NOT_FOUND)
            break;
        if (e)
            return e;
        if (m.l1_block > bound) {
            chain_l1_message_deinit(&m);
            break;
        }
        tx_t tx;
        e = tx_decode(&tx, bview(m.raw, m.raw_len));
        if (e) {
            chain_l1_message_deinit(&m);
            return ERR_DB_CORRUPT;
        }
        if (chain_builder_gas_used(b) + tx.gas_limit > chain_builder_gas_limit(b)) {
            tx_deinit(&tx);
            chain_l1_message_deinit(&m);
            break; /* the rest waits for the next block, in order */
        }
        addr_t sender = tx.sender;
        chain_add_result_t res;
        chain_builder_add(b, &tx, &sender, bview(m.raw, m.raw_len), &res);
        tx_deinit(&tx);
        chain_l1_message_deinit(&m);
        if (res.invalid != TX_VALID) {
            /* Skipping would leave a gap no follower accepts (queue indices must be
             * contiguous from Euclid on): stop here and say why, loudly. */
            LOG_ERROR("L1 message cannot be included queue_index=%" PRIu64 " error=\"%s\"", idx,
                      tx_invalid_msg(res.invalid));
            break;
        }
        (*added)++;
    }
    return ERR_OK;
}
