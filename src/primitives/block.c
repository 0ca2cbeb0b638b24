/* Headers (Scroll: 15 fields, 16 from Curie), blocks, receipts, logs and bloom. */
#include <string.h>

#include "crypto/crypto.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"

void header_deinit(header_t *h)
{
    rn_free(h->extra);
    memset(h, 0, sizeof(*h));
}

err_t header_decode(header_t *h, bview_t raw)
{
    memset(h, 0, sizeof(*h));
    rlp_item_t list;
    TRY(rlp_decode_one(raw, &list));
    if (!list.is_list)
        return ERR_HEADER_MALFORMED;
    rlp_item_t f[17];
    size_t n = 0;
    bview_t cur = list.payload;
    while (cur.n) {
        if (n == RN_ARRAY_LEN(f))
            return ERR_HEADER_MALFORMED; /* withdrawalsRoot and later: not Scroll */
        TRY(rlp_next(&cur, &f[n]));
        n++;
    }
    if (n != 15 && n != 16)
        return ERR_HEADER_MALFORMED;
    uint8_t nonce[8];
    if (rlp_read_hash(&f[0], &h->parent_hash) || rlp_read_hash(&f[1], &h->ommers_hash) ||
        rlp_read_addr(&f[2], &h->coinbase) || rlp_read_hash(&f[3], &h->state_root) ||
        rlp_read_hash(&f[4], &h->tx_root) || rlp_read_hash(&f[5], &h->receipts_root) ||
        rlp_read_fixed(&f[6], h->bloom, 256) || rlp_read_u256(&f[7], &h->difficulty) ||
        rlp_read_u64(&f[8], &h->number) || rlp_read_u64(&f[9], &h->gas_limit) ||
        rlp_read_u64(&f[10], &h->gas_used) || rlp_read_u64(&f[11], &h->timestamp) ||
        f[12].is_list || f[12].payload.n > HEADER_MAX_EXTRA ||
        rlp_read_hash(&f[13], &h->mix_hash) || rlp_read_fixed(&f[14], nonce, 8))
        return ERR_HEADER_MALFORMED;
    h->nonce = be_load64(nonce);
    if (n == 16) {
        if (rlp_read_u256(&f[15], &h->base_fee))
            return ERR_HEADER_MALFORMED;
        h->has_base_fee = true;
    }
    h->extra_len = f[12].payload.n;
    h->extra = h->extra_len ? rn_memdup(f[12].payload.p, h->extra_len) : NULL;
    return ERR_OK;
}

static err_t enc_header(const header_t *h, buf_t *o, bool with_extra)
{
    size_t m;
    uint8_t nonce[8];
    be_store64(nonce, h->nonce);
    TRY(rlp_list_begin(o, &m));
    TRY(rlp_encode_hash(o, &h->parent_hash));
    TRY(rlp_encode_hash(o, &h->ommers_hash));
    TRY(rlp_encode_addr(o, &h->coinbase));
    TRY(rlp_encode_hash(o, &h->state_root));
    TRY(rlp_encode_hash(o, &h->tx_root));
    TRY(rlp_encode_hash(o, &h->receipts_root));
    TRY(rlp_encode_bytes(o, h->bloom, 256));
    TRY(rlp_encode_u256(o, h->difficulty));
    TRY(rlp_encode_u64(o, h->number));
    TRY(rlp_encode_u64(o, h->gas_limit));
    TRY(rlp_encode_u64(o, h->gas_used));
    TRY(rlp_encode_u64(o, h->timestamp));
    if (with_extra)
        TRY(rlp_encode_bytes(o, h->extra, h->extra_len));
    TRY(rlp_encode_hash(o, &h->mix_hash));
    TRY(rlp_encode_bytes(o, nonce, 8));
    if (h->has_base_fee)
        TRY(rlp_encode_u256(o, h->base_fee));
    return rlp_list_end(o, m);
}

err_t header_encode(const header_t *h, buf_t *out)
{
    return enc_header(h, out, true);
}

static err_t hash_of(const header_t *h, bool with_extra, hash_t *out)
{
    buf_t b;
    buf_init(&b, 4096);
    err_t e = enc_header(h, &b, with_extra);
    if (!e)
        *out = keccak256_hash(b.p, b.n);
    buf_deinit(&b);
    return e;
}

err_t header_hash(const header_t *h, hash_t *out)
{
    return hash_of(h, true, out);
}

err_t header_signing_hash(const header_t *h, hash_t *out)
{
    return hash_of(h, false, out);
}

void block_deinit(block_t *b)
{
    header_deinit(&b->header);
    for (size_t i = 0; i < b->ntxs; i++)
        tx_deinit(&b->txs[i]);
    rn_free(b->txs);
    memset(b, 0, sizeof(*b));
}

err_t block_decode(block_t *b, bview_t raw)
{
    memset(b, 0, sizeof(*b));
    rlp_item_t list, hdr, txs, ommers;
    TRY(rlp_decode_one(raw, &list));
    if (!list.is_list)
        return ERR_BLOCK_MALFORMED;
    bview_t cur = list.payload;
    if (rlp_next(&cur, &hdr) || rlp_next(&cur, &txs) || rlp_next(&cur, &ommers) || cur.n ||
        !txs.is_list || !ommers.is_list || ommers.payload.n != 0)
        return ERR_BLOCK_MALFORMED;
    TRY(header_decode(&b->header, hdr.raw));
    size_t n;
    err_t e = rlp_list_count(&txs, &n);
    if (e) {
        block_deinit(b);
        return ERR_BLOCK_MALFORMED;
    }
    b->txs = n ? RN_NEWV(tx_t, n) : NULL;
    bview_t tc = txs.payload;
    for (size_t i = 0; i < n; i++) {
        rlp_item_t t;
        e = rlp_next(&tc, &t);
        /* Legacy transactions appear as lists; typed ones as byte strings holding the 2718
         * envelope. */
        if (!e)
            e = tx_decode(&b->txs[i], t.is_list ? t.raw : t.payload);
        if (!e && !t.is_list && b->txs[i].type == TX_LEGACY)
            e = ERR_BLOCK_MALFORMED;
        if (e) {
            block_deinit(b);
            return e;
        }
        b->ntxs = i + 1;
    }
    return ERR_OK;
}

err_t block_encode(const block_t *b, buf_t *out)
{
    size_t m, mt;
    TRY(rlp_list_begin(out, &m));
    TRY(header_encode(&b->header, out));
    TRY(rlp_list_begin(out, &mt));
    buf_t t;
    buf_init(&t, TX_MAX_BYTES + 1024);
    for (size_t i = 0; i < b->ntxs; i++) {
        buf_reset(&t);
        err_t e = tx_encode(&b->txs[i], &t);
        if (!e)
            e = b->txs[i].type == TX_LEGACY ? rlp_encode_raw(out, t.p, t.n)
                                            : rlp_encode_bytes(out, t.p, t.n);
        if (e) {
            buf_deinit(&t);
            return e;
        }
    }
    buf_deinit(&t);
    TRY(rlp_list_end(out, mt));
    TRY(buf_push(out, 0xc0)); /* no ommers */
    return rlp_list_end(out, m);
}

/* ---- logs, receipts, bloom ---- */

void bloom_add(uint8_t bloom[static 256], const uint8_t *p, size_t n)
{
    uint8_t h[32];
    keccak256(h, p, n);
    for (int i = 0; i < 6; i += 2) {
        unsigned bit = ((unsigned)h[i] << 8 | h[i + 1]) & 2047u;
        bloom[255 - bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
}

void bloom_probe(bloom_probe_t *pr, const uint8_t *p, size_t n)
{
    uint8_t h[32];
    keccak256(h, p, n);
    for (int i = 0; i < 3; i++) {
        unsigned bit = ((unsigned)h[2 * i] << 8 | h[2 * i + 1]) & 2047u;
        pr->byte[i] = (uint8_t)(255 - bit / 8);
        pr->mask[i] = (uint8_t)(1u << (bit % 8));
    }
}

err_t header_peek_bloom(bview_t raw, uint8_t bloom[static 256])
{
    rlp_item_t list, it;
    if (rlp_decode_one(raw, &list) != ERR_OK || !list.is_list)
        return ERR_HEADER_MALFORMED;
    bview_t cur = list.payload;
    for (int i = 0; i < 7; i++) /* parentHash … receiptsRoot, then logsBloom */
        if (rlp_next(&cur, &it) != ERR_OK || it.is_list)
            return ERR_HEADER_MALFORMED;
    if (it.payload.n != 256)
        return ERR_HEADER_MALFORMED;
    memcpy(bloom, it.payload.p, 256);
    return ERR_OK;
}

void bloom_add_log(uint8_t bloom[static 256], const log_t *l)
{
    bloom_add(bloom, l->addr.b, 20);
    for (unsigned i = 0; i < l->ntopics; i++)
        bloom_add(bloom, l->topics[i].b, 32);
}

err_t log_encode(const log_t *l, buf_t *o)
{
    size_t m, mt;
    TRY(rlp_list_begin(o, &m));
    TRY(rlp_encode_addr(o, &l->addr));
    TRY(rlp_list_begin(o, &mt));
    for (unsigned i = 0; i < l->ntopics; i++)
        TRY(rlp_encode_hash(o, &l->topics[i]));
    TRY(rlp_list_end(o, mt));
    TRY(rlp_encode_bytes(o, l->data, l->data_len));
    return rlp_list_end(o, m);
}

static bool bloom_is_zero(const uint8_t bloom[256])
{
    uint64_t acc = 0;
    for (size_t i = 0; i < 256; i += 8) {
        uint64_t w;
        memcpy(&w, bloom + i, 8);
        acc |= w;
    }
    return acc == 0;
}

static err_t receipt_encode_as(const receipt_t *r, buf_t *o, bool stored)
{
    if (r->type != TX_LEGACY)
        TRY(buf_push(o, (uint8_t)r->type));
    size_t m, ml;
    TRY(rlp_list_begin(o, &m));
    TRY(rlp_encode_u64(o, r->status ? 1 : 0));
    TRY(rlp_encode_u64(o, r->cumulative_gas));
    bool empty = stored && bloom_is_zero(r->bloom);
    TRY(rlp_encode_bytes(o, r->bloom, empty ? 0 : 256));
    TRY(rlp_list_begin(o, &ml));
    for (size_t i = 0; i < r->nlogs; i++)
        TRY(log_encode(&r->logs[i], o));
    TRY(rlp_list_end(o, ml));
    return rlp_list_end(o, m);
}

err_t receipt_encode(const receipt_t *r, buf_t *o)
{
    return receipt_encode_as(r, o, false);
}

err_t receipt_encode_stored(const receipt_t *r, buf_t *o)
{
    return receipt_encode_as(r, o, true);
}

void receipt_deinit(receipt_t *r)
{
    for (size_t i = 0; i < r->nlogs; i++)
        rn_free(r->logs[i].data);
    rn_free(r->logs);
    memset(r, 0, sizeof(*r));
}

static err_t decode_log(const rlp_item_t *it, log_t *l)
{
    rlp_item_t a, topics, data;
    if (!it->is_list)
        return ERR_RECEIPT_MALFORMED;
    bview_t c = it->payload;
    if (rlp_next(&c, &a) || rlp_next(&c, &topics) || rlp_next(&c, &data) || c.n ||
        rlp_read_addr(&a, &l->addr) || !topics.is_list || data.is_list)
        return ERR_RECEIPT_MALFORMED;
    bview_t tc = topics.payload;
    while (tc.n) {
        rlp_item_t t;
        if (l->ntopics == 4 || rlp_next(&tc, &t) || rlp_read_hash(&t, &l->topics[l->ntopics]))
            return ERR_RECEIPT_MALFORMED;
        l->ntopics++;
    }
    l->data_len = data.payload.n;
    l->data = l->data_len ? rn_memdup(data.payload.p, l->data_len) : NULL;
    return ERR_OK;
}

/* The fields of a receipt's encoding (type ‖ rlp([status, cumulativeGas, bloom, logs]), the type
 * absent for legacy); *logs is the raw list. */
static err_t receipt_fields(bview_t raw, bool stored, tx_type_t *type, bool *status,
                            uint64_t *cumulative_gas, uint8_t bloom[256], rlp_item_t *logs)
{
    *type = TX_LEGACY;
    if (raw.n == 0)
        return ERR_RECEIPT_MALFORMED;
    if (raw.p[0] < 0xc0) {
        uint8_t t = raw.p[0];
        if (t != TX_ACCESS_LIST && t != TX_DYNAMIC_FEE && t != TX_SET_CODE && t != TX_L1_MESSAGE)
            return ERR_TX_TYPE_UNSUPPORTED;
        *type = (tx_type_t)t;
        raw = bview(raw.p + 1, raw.n - 1);
    }
    rlp_item_t list, st, cum, bl;
    TRY(rlp_decode_one(raw, &list));
    bview_t c = list.payload;
    uint64_t s;
    if (!list.is_list || rlp_next(&c, &st) || rlp_next(&c, &cum) || rlp_next(&c, &bl) ||
        rlp_next(&c, logs) || c.n || rlp_read_u64(&st, &s) || s > 1 ||
        rlp_read_u64(&cum, cumulative_gas) || !logs->is_list)
        return ERR_RECEIPT_MALFORMED;
    if (stored && !bl.is_list && bl.payload.n == 0) /* the stored form of an all-zero bloom */
        memset(bloom, 0, 256);
    else if (rlp_read_fixed(&bl, bloom, 256))
        return ERR_RECEIPT_MALFORMED;
    *status = s == 1;
    return ERR_OK;
}

err_t receipt_counts(bview_t raw, uint64_t *cumulative_gas, size_t *nlogs)
{
    tx_type_t type;
    bool status;
    uint8_t bloom[256];
    rlp_item_t logs;
    TRY(receipt_fields(raw, true, &type, &status, cumulative_gas, bloom, &logs));
    return rlp_list_count(&logs, nlogs);
}

static err_t receipt_decode_as(receipt_t *r, bview_t raw, bool stored)
{
    memset(r, 0, sizeof(*r));
    rlp_item_t logs;
    TRY(receipt_fields(raw, stored, &r->type, &r->status, &r->cumulative_gas, r->bloom, &logs));
    size_t n;
    TRY(rlp_list_count(&logs, &n));
    r->logs = n ? RN_NEWV(log_t, n) : NULL;
    bview_t lc = logs.payload;
    for (size_t i = 0; i < n; i++) {
        rlp_item_t l;
        err_t e = rlp_next(&lc, &l);
        r->nlogs = i + 1;
        if (!e)
            e = decode_log(&l, &r->logs[i]);
        if (e) {
            receipt_deinit(r);
            return ERR_RECEIPT_MALFORMED;
        }
    }
    return ERR_OK;
}

err_t receipt_decode(receipt_t *r, bview_t raw)
{
    return receipt_decode_as(r, raw, false);
}

err_t receipt_decode_stored(receipt_t *r, bview_t raw)
{
    return receipt_decode_as(r, raw, true);
}
