/* The block store: canonical blocks, receipts, transaction lookups and signatures in LMDB
 * (layout in chain.h and docs/decisions/0012-block-store.md). */
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/chain_int.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"

enum {
    BLOOM_ENTRY = 32 + 8 + 256
}; /* BLOOMS value: hash ‖ be64 timestamp ‖ bloom */

void chain_receipts_free(chain_receipts_t *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        receipt_deinit(&rs->r[i]);
    rn_free(rs->r);
    rn_free(rs->l1_fee);
    rn_free(rs->from);
    rn_free(rs->tx_hash);
    buf_deinit(&rs->enc);
    rn_free(rs->enc_end);
    buf_deinit(&rs->body);
    memset(rs, 0, sizeof(*rs));
}

err_t chain_receipts_encode(const chain_receipts_t *rs, buf_t *out)
{
    buf_t one;
    buf_init(&one, 1u << 26);
    size_t outer, inner;
    err_t e = rlp_list_begin(out, &outer);
    for (size_t i = 0; i < rs->n && !e; i++) {
        bview_t r;
        if (rs->enc_end && rs->r[i].nlogs) { /* sealing's: with logs, the stored form is it */
            r = chain__packed_at(rs->enc.p, rs->enc_end, i);
        } else {
            buf_reset(&one);
            e = receipt_encode_stored(&rs->r[i], &one);
            r = buf_view(&one);
        }
        if (!e)
            e = rlp_list_begin(out, &inner);
        if (!e)
            e = rlp_encode_bytes(out, r.p, r.n);
        if (!e)
            e = rlp_encode_u256(out, rs->l1_fee[i]);
        if (!e)
            e = rlp_list_end(out, inner);
    }
    if (!e)
        e = rlp_list_end(out, outer);
    buf_deinit(&one);
    return e;
}

err_t chain_receipts_decode(chain_receipts_t *rs, bview_t raw)
{
    memset(rs, 0, sizeof(*rs));
    rlp_item_t list;
    size_t n;
    TRY(rlp_decode_one(raw, &list));
    TRY(rlp_list_count(&list, &n));
    rs->r = RN_NEWV(receipt_t, n ? n : 1);
    rs->l1_fee = RN_NEWV(u256_t, n ? n : 1);
    bview_t cur = list.payload;
    err_t e = ERR_OK;
    for (size_t i = 0; i < n && !e; i++) {
        rlp_item_t item, rec, fee;
        e = rlp_next(&cur, &item);
        if (!e && !item.is_list)
            e = ERR_RLP_EXPECTED_LIST;
        bview_t in = item.payload;
        if (!e)
            e = rlp_next(&in, &rec);
        if (!e)
            e = rlp_next(&in, &fee);
        if (!e && (rec.is_list || in.n))
            e = ERR_RLP_EXPECTED_BYTES;
        if (!e)
            e = rlp_read_u256(&fee, &rs->l1_fee[i]);
        if (!e)
            e = receipt_decode_stored(&rs->r[i], rec.payload);
        if (!e)
            rs->n = i + 1;
    }
    if (e)
        chain_receipts_free(rs);
    return e;
}

/* rlp([[tx…], []]): typed transactions as byte strings, legacy ones as their list. */
static err_t body_encode(const block_t *b, buf_t *out)
{
    buf_t one;
    buf_init(&one, 1u << 26);
    size_t outer, txs;
    err_t e = rlp_list_begin(out, &outer);
    if (!e)
        e = rlp_list_begin(out, &txs);
    for (size_t i = 0; i < b->ntxs && !e; i++) {
        buf_reset(&one);
        e = tx_encode(&b->txs[i], &one);
        if (!e)
            e = b->txs[i].type == TX_LEGACY ? rlp_encode_raw(out, one.p, one.n)
                                            : rlp_encode_bytes(out, one.p, one.n);
    }
    if (!e)
        e = rlp_list_end(out, txs);
    if (!e)
        e = rlp_encode_raw(out, (const uint8_t *)"\xc0", 1);
    if (!e)
        e = rlp_list_end(out, outer);
    buf_deinit(&one);
    return e;
}

/* ---- the transaction lookup index, filled in batches ----
 * Each block stores its transactions' hashes in TX_RECENT (one sequential write), sorted with
 * their indexes. Every tx_index_batch blocks, the entries of the blocks after META tx_indexed
 * move into TX_LOOKUP in hash order: one sorted batch of random B-tree writes instead of one
 * per transaction per block (decision 0012). Readers look in TX_LOOKUP, then binary-search the
 * newer blocks' lists. Without META tx_indexed (datadirs from before the batches) every block
 * is in TX_LOOKUP. */

enum {
    TX_REC = 36 /**< tx hash ‖ be32 index */
};

static uint32_t g_tx_index_batch = 128;

void chain_set_tx_index_batch(uint32_t blocks)
{
    g_tx_index_batch = blocks ? blocks : 1;
}

static int rec_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* Move the lists of blocks (from, to] into TX_LOOKUP and drop them. */
static err_t index_tx_lists(db_txn_t *txn, uint64_t from, uint64_t to)
{
    size_t n = 0, cap = 0;
    uint8_t *all = NULL; /* be64 block ‖ record */
    err_t e = ERR_OK;
    for (uint64_t bn = from + 1; bn <= to && !e; bn++) {
        uint8_t k[8];
        be_store64(k, bn);
        bview_t v;
        e = db_get(txn, DB_TX_RECENT, bview(k, 8), &v);
        if (e == ERR_NOT_FOUND) {
            e = ERR_OK; /* a block without transactions */
            continue;
        }
        if (e || v.n % TX_REC) {
            e = e ? e : ERR_DB_CORRUPT;
            break;
        }
        size_t m = v.n / TX_REC;
        if (n + m > cap) {
            cap = (n + m) * 2;
            all = rn_realloc(all, cap * (TX_REC + 8));
        }
        for (size_t i = 0; i < m; i++) {
            uint8_t *r = all + (n + i) * (TX_REC + 8);
            memcpy(r, v.p + i * TX_REC, 32);
            memcpy(r + 32, k, 8);
            memcpy(r + 40, v.p + i * TX_REC + 32, 4);
        }
        n += m;
        if (!e)
            e = db_del(txn, DB_TX_RECENT, bview(k, 8));
    }
    if (!e && n)
        qsort(all, n, TX_REC + 8, rec_cmp); /* hash ‖ block ‖ index: B-tree order */
    for (size_t i = 0; i < n && !e; i++) {
        const uint8_t *r = all + i * (TX_REC + 8);
        e = db_put(txn, DB_TX_LOOKUP, bview(r, 32), bview(r + 32, 12));
    }
    rn_free(all);
    return e;
}

/* The block's transaction hashes go to TX_RECENT; hashes, when not NULL, are given (the builder
 * computed them while sealing). */
static err_t store_tx_hashes(db_txn_t *txn, const block_t *b, const hash_t *hashes)
{
    uint64_t number = b->header.number, indexed;
    bool due;
    TRY(db_meta_batch_due(txn, "tx_indexed", number, g_tx_index_batch, &indexed, &due));
    if (b->ntxs) {
        uint8_t *recs = rn_malloc(b->ntxs * TX_REC);
        err_t e = ERR_OK;
        for (size_t i = 0; i < b->ntxs && !e; i++) {
            hash_t th;
            if (hashes)
                th = hashes[i];
            else
                e = tx_hash(&b->txs[i], &th);
            memcpy(recs + i * TX_REC, th.b, 32);
            be_store32(recs + i * TX_REC + 32, (uint32_t)i);
        }
        qsort(recs, b->ntxs, TX_REC, rec_cmp);
        uint8_t k[8];
        be_store64(k, number);
        if (!e)
            e = db_put(txn, DB_TX_RECENT, bview(k, 8), bview(recs, b->ntxs * TX_REC));
        rn_free(recs);
        TRY(e);
    }
    if (!due)
        return ERR_OK;
    TRY(index_tx_lists(txn, indexed, number));
    return db_meta_put_u64(txn, "tx_indexed", number);
}

err_t chain_index_ahead(db_txn_t *txn, bool *did)
{
    uint64_t head, indexed;
    bool due;
    *did = false;
    TRY(db_meta_get_u64(txn, "head_number", &head));
    TRY(db_meta_batch_due(txn, "tx_indexed", head + 1, g_tx_index_batch, &indexed, &due));
    if (due) {
        TRY(index_tx_lists(txn, indexed, head));
        TRY(db_meta_put_u64(txn, "tx_indexed", head));
        *did = true;
    }
    return state_db_index_ahead(txn, head, did);
}

err_t chain_store_block(db_txn_t *txn, const block_t *b, const hash_t *hash,
                        const chain_receipts_t *rs, const uint8_t sig[65])
{
    buf_t v;
    buf_init(&v, 1u << 28);
    uint8_t num[8];
    be_store64(num, b->header.number);
    err_t e = header_encode(&b->header, &v);
    if (!e)
        e = db_put(txn, DB_HEADERS, bview(hash->b, 32), buf_view(&v));
    buf_reset(&v);
    if (!e && !rs->body.n)
        e = body_encode(b, &v);
    if (!e)
        e = db_put(txn, DB_BODIES, bview(hash->b, 32),
                   rs->body.n ? buf_view(&rs->body) : buf_view(&v));
    buf_reset(&v);
    if (!e)
        e = chain_receipts_encode(rs, &v);
    if (!e)
        e = db_put(txn, DB_RECEIPTS, bview(hash->b, 32), buf_view(&v));
    if (!e)
        e = store_tx_hashes(txn, b, rs->tx_hash && rs->n == b->ntxs ? rs->tx_hash : NULL);
    if (!e && rs->from && rs->n == b->ntxs && b->ntxs) /* RPC reads them: no recovery */
        e = db_put(txn, DB_SENDERS, bview(hash->b, 32),
                   bview(rs->from[0].b, b->ntxs * sizeof(addr_t)));
    if (!e && sig)
        e = db_put(txn, DB_SIGNATURES, bview(hash->b, 32), bview(sig, 65));
    if (!e)
        e = db_put(txn, DB_CANONICAL, bview(num, 8), bview(hash->b, 32));
    if (!e) /* appended in number order: eth_getLogs scans these instead of headers */
    {
        uint8_t idx[BLOOM_ENTRY];
        memcpy(idx, hash->b, 32);
        be_store64(idx + 32, b->header.timestamp);
        memcpy(idx + 40, b->header.bloom, 256);
        e = db_put(txn, DB_BLOOMS, bview(num, 8), bview(idx, BLOOM_ENTRY));
    }
    if (!e)
        e = chain__l1_on_store(txn, b);
    if (!e)
        e = db_meta_put_u64(txn, "head_number", b->header.number);
    if (!e)
        e = db_meta_put(txn, "head_hash", bview(hash->b, 32));
    buf_deinit(&v);
    return e;
}

err_t chain_head(db_txn_t *txn, uint64_t *number, hash_t *hash)
{
    bview_t v;
    TRY(db_meta_get_u64(txn, "head_number", number));
    TRY(db_meta_get(txn, "head_hash", &v));
    if (v.n != 32)
        return ERR_DB;
    memcpy(hash->b, v.p, 32);
    return ERR_OK;
}

err_t chain_canonical_hash(db_txn_t *txn, uint64_t number, hash_t *out)
{
    uint8_t k[8];
    be_store64(k, number);
    bview_t v;
    TRY(db_get(txn, DB_CANONICAL, bview(k, 8), &v));
    if (v.n != 32)
        return ERR_DB;
    memcpy(out->b, v.p, 32);
    return ERR_OK;
}

err_t chain_read_header(db_txn_t *txn, const hash_t *hash, header_t *out)
{
    bview_t v;
    TRY(db_get(txn, DB_HEADERS, bview(hash->b, 32), &v));
    return header_decode(out, v);
}

err_t chain_read_block(db_txn_t *txn, const hash_t *hash, block_t *out)
{
    bview_t h, body;
    TRY(db_get(txn, DB_HEADERS, bview(hash->b, 32), &h));
    /* Copy the header before the second lookup: LMDB pointers stay valid in this transaction,
     * but build the block encoding in our own buffer anyway. */
    buf_t blk;
    buf_init(&blk, 1u << 28);
    size_t mark;
    err_t e = rlp_list_begin(&blk, &mark);
    if (!e)
        e = rlp_encode_raw(&blk, h.p, h.n);
    if (!e)
        e = db_get(txn, DB_BODIES, bview(hash->b, 32), &body);
    rlp_item_t it;
    if (!e)
        e = rlp_decode_one(body, &it);
    if (!e && !it.is_list)
        e = ERR_DB;
    if (!e)
        e = rlp_encode_raw(&blk, it.payload.p, it.payload.n);
    if (!e)
        e = rlp_list_end(&blk, mark);
    if (!e)
        e = block_decode(out, buf_view(&blk));
    buf_deinit(&blk);
    return e;
}

err_t chain_read_receipts(db_txn_t *txn, const hash_t *hash, chain_receipts_t *out)
{
    bview_t v;
    memset(out, 0, sizeof(*out));
    TRY(db_get(txn, DB_RECEIPTS, bview(hash->b, 32), &v));
    return chain_receipts_decode(out, v);
}

err_t chain_tx_lookup(db_txn_t *txn, const hash_t *tx_hash, uint64_t *number, uint32_t *index)
{
    bview_t v;
    err_t e = db_get(txn, DB_TX_LOOKUP, bview(tx_hash->b, 32), &v);
    if (e == ERR_OK) {
        if (v.n != 12)
            return ERR_DB;
        *number = be_load64(v.p);
        *index = be_load32(v.p + 8);
        return ERR_OK;
    }
    uint64_t indexed, head;
    if (e != ERR_NOT_FOUND || db_meta_get_u64(txn, "tx_indexed", &indexed) != ERR_OK ||
        db_meta_get_u64(txn, "head_number", &head) != ERR_OK)
        return e;
    for (uint64_t bn = head; bn > indexed; bn--) { /* newest first */
        uint8_t k[8];
        be_store64(k, bn);
        if (db_get(txn, DB_TX_RECENT, bview(k, 8), &v) != ERR_OK || v.n % TX_REC)
            continue;
        const uint8_t *r = bsearch(tx_hash->b, v.p, v.n / TX_REC, TX_REC, rec_cmp);
        if (r) {
            *number = bn;
            *index = be_load32(r + 32);
            return ERR_OK;
        }
    }
    return ERR_NOT_FOUND;
}

err_t chain_read_senders(db_txn_t *txn, const hash_t *hash, size_t n, addr_t *out)
{
    bview_t v;
    TRY(db_get(txn, DB_SENDERS, bview(hash->b, 32), &v));
    if (v.n != n * sizeof(addr_t))
        return ERR_DB_CORRUPT;
    memcpy(out, v.p, v.n);
    return ERR_OK;
}

err_t chain_read_sender_at(db_txn_t *txn, const hash_t *hash, size_t index, addr_t *out)
{
    bview_t v;
    TRY(db_get(txn, DB_SENDERS, bview(hash->b, 32), &v));
    if (v.n % sizeof(addr_t) || index >= v.n / sizeof(addr_t))
        return ERR_DB_CORRUPT;
    memcpy(out, v.p + index * sizeof(addr_t), sizeof(addr_t));
    return ERR_OK;
}

err_t chain_read_signature(db_txn_t *txn, const hash_t *hash, uint8_t sig[65])
{
    bview_t v;
    TRY(db_get(txn, DB_SIGNATURES, bview(hash->b, 32), &v));
    if (v.n != 65)
        return ERR_DB;
    memcpy(sig, v.p, 65);
    return ERR_OK;
}

err_t chain_unwind(db_txn_t *txn, uint64_t to, hash_t *state_root)
{
    uint64_t head;
    hash_t hh;
    TRY(chain_head(txn, &head, &hh));
    if (to > head)
        return ERR_INVALID_ARG;
    for (uint64_t n = head; n > to; n--) {
        hash_t h;
        block_t b;
        TRY(chain_canonical_hash(txn, n, &h));
        TRY(chain_read_block(txn, &h, &b));
        err_t e = ERR_OK;
        for (size_t i = 0; i < b.ntxs && !e; i++) { /* indexed or not */
            hash_t th;
            e = tx_hash(&b.txs[i], &th);
            if (!e)
                e = db_del(txn, DB_TX_LOOKUP, bview(th.b, 32));
        }
        if (!e)
            e = chain__l1_on_unwind(txn, &b);
        block_deinit(&b);
        uint8_t k[8];
        be_store64(k, n);
        if (!e)
            e = db_del(txn, DB_CANONICAL, bview(k, 8));
        if (!e)
            e = db_del(txn, DB_BLOOMS, bview(k, 8));
        if (!e)
            e = db_del(txn, DB_TX_RECENT, bview(k, 8));
        if (e)
            return e;
    }
    uint64_t indexed;
    if (db_meta_get_u64(txn, "tx_indexed", &indexed) == ERR_OK && indexed > to)
        TRY(db_meta_put_u64(txn, "tx_indexed", to));
    TRY(state_db_unwind(txn, head, to, state_root));
    hash_t th;
    TRY(chain_canonical_hash(txn, to, &th));
    TRY(db_meta_put_u64(txn, "head_number", to));
    return db_meta_put(txn, "head_hash", bview(th.b, 32));
}

err_t chain_read_bloom(db_txn_t *txn, const hash_t *hash, uint8_t bloom[256])
{
    bview_t v;
    TRY(db_get(txn, DB_HEADERS, bview(hash->b, 32), &v));
    return header_peek_bloom(v, bloom);
}

struct chain_bloom_iter {
    db_txn_t *txn;
    db_cursor_t *c;
    uint64_t next, to;
    bool at; /* the cursor holds an entry not yet consumed */
    uint64_t at_number;
    bview_t at_entry; /* hash ‖ be64 timestamp ‖ bloom */
};

err_t chain_bloom_iter_open(db_txn_t *txn, uint64_t from, uint64_t to, chain_bloom_iter_t **out)
{
    chain_bloom_iter_t *it = RN_NEW(chain_bloom_iter_t);
    it->txn = txn;
    it->next = from;
    it->to = to;
    err_t e = db_cursor_open(txn, DB_BLOOMS, &it->c);
    if (e) {
        rn_free(it);
        return e;
    }
    uint8_t k[8];
    be_store64(k, from);
    bview_t kv, v;
    e = db_cursor_seek(it->c, bview(k, 8), &kv, &v);
    if (e == ERR_OK && kv.n == 8 && v.n == BLOOM_ENTRY) {
        it->at = true;
        it->at_number = be_load64(kv.p);
        it->at_entry = v;
    } else if (e && e != ERR_NOT_FOUND) {
        chain_bloom_iter_close(it);
        return e;
    }
    *out = it;
    return ERR_OK;
}

err_t chain_bloom_iter_next(chain_bloom_iter_t *it, chain_bloom_entry_t *out)
{
    if (it->next > it->to || it->next == UINT64_MAX)
        return ERR_NOT_FOUND;
    out->number = it->next++;
    if (it->at && it->at_number == out->number) {
        memcpy(out->hash.b, it->at_entry.p, 32);
        out->timestamp = be_load64(it->at_entry.p + 32);
        memcpy(out->bloom, it->at_entry.p + 40, 256);
        bview_t kv, v;
        err_t e = db_cursor_next(it->c, &kv, &v);
        it->at = e == ERR_OK && kv.n == 8 && v.n == BLOOM_ENTRY;
        if (it->at) {
            it->at_number = be_load64(kv.p);
            it->at_entry = v;
        } else if (e && e != ERR_NOT_FOUND) {
            return e;
        }
        return ERR_OK;
    }
    /* Genesis and blocks written before the table existed: the header has it. */
    header_t h;
    TRY(chain_canonical_hash(it->txn, out->number, &out->hash));
    TRY(chain_read_header(it->txn, &out->hash, &h));
    out->timestamp = h.timestamp;
    memcpy(out->bloom, h.bloom, 256);
    header_deinit(&h);
    return ERR_OK;
}

void chain_bloom_iter_close(chain_bloom_iter_t *it)
{
    if (!it)
        return;
    db_cursor_close(it->c);
    rn_free(it);
}

/* Item `index` of the list `list` (the stored bytes of a body's transactions or of a block's
 * receipts), stepping over the ones before it without decoding them. */
static err_t list_item_at(bview_t list, size_t index, rlp_item_t *out)
{
    bview_t cur = list;
    for (size_t i = 0; i <= index; i++) {
        err_t e = rlp_next(&cur, out);
        if (e)
            return cur.n == 0 && e == ERR_RLP_TRUNCATED ? ERR_NOT_FOUND : ERR_DB_CORRUPT;
    }
    return ERR_OK;
}

/* A stored body, rlp([[tx…], []]): its payload and its list of transactions. */
static err_t body_txs(db_txn_t *txn, const hash_t *block_hash, bview_t *payload, rlp_item_t *txs)
{
    bview_t body;
    TRY(db_get(txn, DB_BODIES, bview(block_hash->b, 32), &body));
    rlp_item_t outer;
    if (rlp_decode_one(body, &outer) || !outer.is_list)
        return ERR_DB_CORRUPT;
    *payload = outer.payload;
    bview_t cur = outer.payload;
    if (rlp_next(&cur, txs) || !txs->is_list)
        return ERR_DB_CORRUPT;
    return ERR_OK;
}

/* The EIP-2718 bytes of a transaction item of a body: in a block a typed transaction is a byte
 * string (type ‖ payload), a legacy one a list. */
static bview_t tx_bytes(const rlp_item_t *it)
{
    return it->is_list ? it->raw : it->payload;
}

static err_t body_tx_at(db_txn_t *txn, const hash_t *block_hash, size_t index, bview_t *out)
{
    bview_t payload;
    rlp_item_t txs, it;
    TRY(body_txs(txn, block_hash, &payload, &txs));
    TRY(list_item_at(txs.payload, index, &it));
    *out = tx_bytes(&it);
    return ERR_OK;
}

err_t chain_tx_hash_at(db_txn_t *txn, const hash_t *block_hash, size_t index, hash_t *out)
{
    bview_t raw;
    TRY(body_tx_at(txn, block_hash, index, &raw));
    *out = keccak256_hash(raw.p, raw.n);
    return ERR_OK;
}

err_t chain_read_tx_at(db_txn_t *txn, const hash_t *block_hash, size_t index, tx_t *out,
                       hash_t *hash)
{
    memset(out, 0, sizeof(*out));
    bview_t raw;
    TRY(body_tx_at(txn, block_hash, index, &raw));
    if (tx_decode(out, raw) != ERR_OK)
        return ERR_DB_CORRUPT;
    *hash = keccak256_hash(raw.p, raw.n);
    return ERR_OK;
}

err_t chain_read_block_index(db_txn_t *txn, const hash_t *hash, hash_t **txh, size_t *ntxs,
                             size_t *size)
{
    *txh = NULL;
    *ntxs = 0;
    bview_t h, payload, cur;
    rlp_item_t txs, it;
    size_t n;
    TRY(db_get(txn, DB_HEADERS, bview(hash->b, 32), &h));
    TRY(body_txs(txn, hash, &payload, &txs));
    if (rlp_list_count(&txs, &n))
        return ERR_DB_CORRUPT;
    /* rlp([header, [tx…], []]): the body's payload is [tx…] ‖ [] */
    *size = rlp_header_size(h.n + payload.n) + h.n + payload.n;
    *txh = n ? RN_NEWV(hash_t, n) : NULL;
    cur = txs.payload;
    for (size_t i = 0; i < n; i++) {
        if (rlp_next(&cur, &it)) {
            rn_free(*txh);
            *txh = NULL;
            return ERR_DB_CORRUPT;
        }
        bview_t raw = tx_bytes(&it);
        (*txh)[i] = keccak256_hash(raw.p, raw.n);
    }
    *ntxs = n;
    return ERR_OK;
}

/* A stored receipt entry: [receipt bytes, l1 fee]. */
static err_t receipt_entry(const rlp_item_t *item, bview_t *rec, rlp_item_t *fee)
{
    rlp_item_t r;
    bview_t in = item->payload;
    if (!item->is_list || rlp_next(&in, &r) || rlp_next(&in, fee) || r.is_list || in.n)
        return ERR_DB_CORRUPT;
    *rec = r.payload;
    return ERR_OK;
}

err_t chain_read_receipt_at(db_txn_t *txn, const hash_t *block_hash, size_t index, receipt_t *out,
                            u256_t *l1_fee, uint64_t *prev_cumulative_gas, uint64_t *log_base)
{
    memset(out, 0, sizeof(*out));
    bview_t v, rec;
    TRY(db_get(txn, DB_RECEIPTS, bview(block_hash->b, 32), &v));
    rlp_item_t list, item, fee;
    if (rlp_decode_one(v, &list) || !list.is_list)
        return ERR_DB_CORRUPT;
    bview_t cur = list.payload;
    *prev_cumulative_gas = 0;
    *log_base = 0;
    for (size_t i = 0; i < index; i++) {
        size_t nlogs;
        if (rlp_next(&cur, &item))
            return cur.n == 0 ? ERR_NOT_FOUND : ERR_DB_CORRUPT;
        TRY(receipt_entry(&item, &rec, &fee));
        if (receipt_counts(rec, prev_cumulative_gas, &nlogs) != ERR_OK)
            return ERR_DB_CORRUPT;
        *log_base += nlogs;
    }
    TRY(list_item_at(cur, 0, &item));
    TRY(receipt_entry(&item, &rec, &fee));
    if (rlp_read_u256(&fee, l1_fee) || receipt_decode_stored(out, rec) != ERR_OK)
        return ERR_DB_CORRUPT;
    return ERR_OK;
}
