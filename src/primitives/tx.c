/* Transactions: EIP-2718 envelopes, signing hashes, sender recovery, intrinsic gas. */
#include <string.h>

#include "crypto/crypto.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"

void tx_deinit(tx_t *tx)
{
    rn_free(tx->data);
    for (size_t i = 0; i < tx->naccess; i++)
        rn_free(tx->access_list[i].keys);
    rn_free(tx->access_list);
    rn_free(tx->auths);
    memset(tx, 0, sizeof(*tx));
}

/* ---- decoding ---- */

typedef struct fields {
    rlp_item_t it[16];
    size_t n;
} fields_t;

static err_t split_list(const rlp_item_t *list, fields_t *f, size_t want)
{
    if (!list->is_list)
        return ERR_TX_MALFORMED;
    bview_t cur = list->payload;
    f->n = 0;
    while (cur.n) {
        if (f->n == RN_ARRAY_LEN(f->it))
            return ERR_TX_MALFORMED;
        TRY(rlp_next(&cur, &f->it[f->n]));
        f->n++;
    }
    return f->n == want ? ERR_OK : ERR_TX_MALFORMED;
}

static err_t read_to(const rlp_item_t *it, tx_t *tx)
{
    if (it->is_list)
        return ERR_TX_MALFORMED;
    if (it->payload.n == 0) {
        tx->has_to = false;
        return ERR_OK;
    }
    tx->has_to = true;
    return rlp_read_addr(it, &tx->to) ? ERR_TX_MALFORMED : ERR_OK;
}

static err_t read_data(const rlp_item_t *it, tx_t *tx)
{
    if (it->is_list)
        return ERR_TX_MALFORMED;
    tx->data_len = it->payload.n;
    tx->data = tx->data_len ? rn_memdup(it->payload.p, it->payload.n) : NULL;
    return ERR_OK;
}

static err_t read_access_list(const rlp_item_t *it, tx_t *tx)
{
    size_t n;
    if (!it->is_list || rlp_list_count(it, &n))
        return ERR_TX_MALFORMED;
    tx->access_list = n ? RN_NEWV(access_tuple_t, n) : NULL;
    bview_t cur = it->payload;
    for (size_t i = 0; i < n; i++) {
        rlp_item_t tuple, a, keys;
        TRY(rlp_next(&cur, &tuple));
        tx->naccess = i + 1;
        if (!tuple.is_list)
            return ERR_TX_MALFORMED;
        bview_t tc = tuple.payload;
        if (rlp_next(&tc, &a) || rlp_next(&tc, &keys) || tc.n || !keys.is_list ||
            rlp_read_addr(&a, &tx->access_list[i].addr))
            return ERR_TX_MALFORMED;
        size_t nk;
        if (rlp_list_count(&keys, &nk))
            return ERR_TX_MALFORMED;
        tx->access_list[i].keys = nk ? RN_NEWV(hash_t, nk) : NULL;
        bview_t kc = keys.payload;
        for (size_t k = 0; k < nk; k++) {
            rlp_item_t key;
            if (rlp_next(&kc, &key) || rlp_read_hash(&key, &tx->access_list[i].keys[k]))
                return ERR_TX_MALFORMED;
            tx->access_list[i].nkeys = k + 1;
        }
    }
    return ERR_OK;
}

static err_t read_auth_list(const rlp_item_t *it, tx_t *tx)
{
    size_t n;
    if (!it->is_list || rlp_list_count(it, &n))
        return ERR_TX_MALFORMED;
    tx->auths = n ? RN_NEWV(authorization_t, n) : NULL;
    bview_t cur = it->payload;
    for (size_t i = 0; i < n; i++) {
        rlp_item_t a;
        fields_t f;
        TRY(rlp_next(&cur, &a));
        tx->nauths = i + 1;
        authorization_t *au = &tx->auths[i];
        uint64_t yp;
        if (split_list(&a, &f, 6) || rlp_read_u256(&f.it[0], &au->chain_id) ||
            rlp_read_addr(&f.it[1], &au->addr) || rlp_read_u64(&f.it[2], &au->nonce) ||
            rlp_read_u64(&f.it[3], &yp) || yp > 255 || rlp_read_u256(&f.it[4], &au->r) ||
            rlp_read_u256(&f.it[5], &au->s))
            return ERR_TX_MALFORMED;
        au->y_parity = (uint8_t)yp;
    }
    return ERR_OK;
}

static err_t read_sig_typed(const rlp_item_t *f, tx_t *tx)
{
    uint64_t yp;
    if (rlp_read_u64(&f[0], &yp) || yp > 1 || rlp_read_u256(&f[1], &tx->r) ||
        rlp_read_u256(&f[2], &tx->s))
        return ERR_TX_MALFORMED;
    tx->y_parity = (uint8_t)yp;
    return ERR_OK;
}

static err_t decode_legacy(tx_t *tx, const rlp_item_t *list)
{
    fields_t f;
    TRY(split_list(list, &f, 9));
    if (rlp_read_u64(&f.it[0], &tx->nonce) || rlp_read_u256(&f.it[1], &tx->gas_price) ||
        rlp_read_u64(&f.it[2], &tx->gas_limit) || read_to(&f.it[3], tx) ||
        rlp_read_u256(&f.it[4], &tx->value) || read_data(&f.it[5], tx) ||
        rlp_read_u256(&f.it[6], &tx->v) || rlp_read_u256(&f.it[7], &tx->r) ||
        rlp_read_u256(&f.it[8], &tx->s))
        return ERR_TX_MALFORMED;
    /* v = 27/28 (no chain id) or chain_id·2 + 35/36 (EIP-155). */
    if (u256_eq(tx->v, u256_from_u64(27)) || u256_eq(tx->v, u256_from_u64(28))) {
        tx->y_parity = (uint8_t)(u256_low64(tx->v) - 27);
        tx->has_chain_id = false;
    } else if (!u256_lt(tx->v, u256_from_u64(35))) {
        u256_t t = u256_sub(tx->v, u256_from_u64(35));
        tx->y_parity = (uint8_t)(t.w[0] & 1);
        tx->chain_id = u256_shr_n(t, 1);
        tx->has_chain_id = true;
    } else {
        return ERR_TX_BAD_SIGNATURE;
    }
    return ERR_OK;
}

static err_t decode_typed(tx_t *tx, const rlp_item_t *list)
{
    fields_t f;
    size_t want = tx->type == TX_ACCESS_LIST ? 11 : tx->type == TX_DYNAMIC_FEE ? 12 : 13;
    TRY(split_list(list, &f, want));
    tx->has_chain_id = true;
    size_t i = 0;
    if (rlp_read_u256(&f.it[i++], &tx->chain_id) || rlp_read_u64(&f.it[i++], &tx->nonce))
        return ERR_TX_MALFORMED;
    if (tx->type == TX_ACCESS_LIST) {
        if (rlp_read_u256(&f.it[i++], &tx->gas_price))
            return ERR_TX_MALFORMED;
    } else {
        if (rlp_read_u256(&f.it[i++], &tx->max_priority_fee) ||
            rlp_read_u256(&f.it[i++], &tx->max_fee))
            return ERR_TX_MALFORMED;
    }
    if (rlp_read_u64(&f.it[i++], &tx->gas_limit) || read_to(&f.it[i++], tx) ||
        rlp_read_u256(&f.it[i++], &tx->value) || read_data(&f.it[i++], tx) ||
        read_access_list(&f.it[i++], tx))
        return ERR_TX_MALFORMED;
    if (tx->type == TX_SET_CODE) {
        if (read_auth_list(&f.it[i++], tx) || !tx->has_to)
            return ERR_TX_MALFORMED;
    }
    return read_sig_typed(&f.it[i], tx);
}

static err_t decode_l1_message(tx_t *tx, const rlp_item_t *list)
{
    fields_t f;
    TRY(split_list(list, &f, 6));
    if (rlp_read_u64(&f.it[0], &tx->queue_index) || rlp_read_u64(&f.it[1], &tx->gas_limit) ||
        read_to(&f.it[2], tx) || !tx->has_to || rlp_read_u256(&f.it[3], &tx->value) ||
        read_data(&f.it[4], tx) || rlp_read_addr(&f.it[5], &tx->sender))
        return ERR_TX_MALFORMED;
    return ERR_OK;
}

err_t tx_decode(tx_t *tx, bview_t raw)
{
    memset(tx, 0, sizeof(*tx));
    if (raw.n == 0)
        return ERR_TX_EMPTY;
    if (raw.n > TX_MAX_BYTES)
        return ERR_TOO_LARGE;
    err_t e;
    rlp_item_t list;
    if (raw.p[0] >= 0xc0) {
        tx->type = TX_LEGACY;
        e = rlp_decode_one(raw, &list);
        if (!e)
            e = decode_legacy(tx, &list);
    } else {
        uint8_t t = raw.p[0];
        if (t != TX_ACCESS_LIST && t != TX_DYNAMIC_FEE && t != TX_SET_CODE && t != TX_L1_MESSAGE) {
            tx_deinit(tx);
            return ERR_TX_TYPE_UNSUPPORTED;
        }
        tx->type = (tx_type_t)t;
        e = rlp_decode_one(bview(raw.p + 1, raw.n - 1), &list);
        if (!e && !list.is_list)
            e = ERR_TX_MALFORMED;
        if (!e)
            e = t == TX_L1_MESSAGE ? decode_l1_message(tx, &list) : decode_typed(tx, &list);
    }
    if (e)
        tx_deinit(tx);
    return e;
}

/* ---- encoding ---- */

static err_t enc_to(buf_t *o, const tx_t *tx)
{
    return tx->has_to ? rlp_encode_addr(o, &tx->to) : rlp_encode_bytes(o, NULL, 0);
}

static err_t enc_access_list(buf_t *o, const tx_t *tx)
{
    size_t m, m2, m3;
    TRY(rlp_list_begin(o, &m));
    for (size_t i = 0; i < tx->naccess; i++) {
        TRY(rlp_list_begin(o, &m2));
        TRY(rlp_encode_addr(o, &tx->access_list[i].addr));
        TRY(rlp_list_begin(o, &m3));
        for (size_t k = 0; k < tx->access_list[i].nkeys; k++)
            TRY(rlp_encode_hash(o, &tx->access_list[i].keys[k]));
        TRY(rlp_list_end(o, m3));
        TRY(rlp_list_end(o, m2));
    }
    return rlp_list_end(o, m);
}

static err_t enc_auth(buf_t *o, const authorization_t *a, bool with_sig)
{
    size_t m;
    TRY(rlp_list_begin(o, &m));
    TRY(rlp_encode_u256(o, a->chain_id));
    TRY(rlp_encode_addr(o, &a->addr));
    TRY(rlp_encode_u64(o, a->nonce));
    if (with_sig) {
        TRY(rlp_encode_u64(o, a->y_parity));
        TRY(rlp_encode_u256(o, a->r));
        TRY(rlp_encode_u256(o, a->s));
    }
    return rlp_list_end(o, m);
}

typedef enum enc_mode {
    ENC_FULL = 0,    /**< with signature */
    ENC_SIGNING = 1, /**< the payload that is signed */
} enc_mode_t;

/* The RLP list of a transaction's fields (without the type byte). */
static err_t enc_fields(buf_t *o, const tx_t *tx, enc_mode_t mode)
{
    size_t m;
    TRY(rlp_list_begin(o, &m));
    switch (tx->type) {
    case TX_LEGACY:
        TRY(rlp_encode_u64(o, tx->nonce));
        TRY(rlp_encode_u256(o, tx->gas_price));
        TRY(rlp_encode_u64(o, tx->gas_limit));
        TRY(enc_to(o, tx));
        TRY(rlp_encode_u256(o, tx->value));
        TRY(rlp_encode_bytes(o, tx->data, tx->data_len));
        if (mode == ENC_FULL) {
            TRY(rlp_encode_u256(o, tx->v));
            TRY(rlp_encode_u256(o, tx->r));
            TRY(rlp_encode_u256(o, tx->s));
        } else if (tx->has_chain_id) {
            TRY(rlp_encode_u256(o, tx->chain_id)); /* EIP-155 */
            TRY(rlp_encode_u64(o, 0));
            TRY(rlp_encode_u64(o, 0));
        }
        break;
    case TX_L1_MESSAGE:
        TRY(rlp_encode_u64(o, tx->queue_index));
        TRY(rlp_encode_u64(o, tx->gas_limit));
        TRY(enc_to(o, tx));
        TRY(rlp_encode_u256(o, tx->value));
        TRY(rlp_encode_bytes(o, tx->data, tx->data_len));
        TRY(rlp_encode_addr(o, &tx->sender));
        break;
    default:
        TRY(rlp_encode_u256(o, tx->chain_id));
        TRY(rlp_encode_u64(o, tx->nonce));
        if (tx->type == TX_ACCESS_LIST) {
            TRY(rlp_encode_u256(o, tx->gas_price));
        } else {
            TRY(rlp_encode_u256(o, tx->max_priority_fee));
            TRY(rlp_encode_u256(o, tx->max_fee));
        }
        TRY(rlp_encode_u64(o, tx->gas_limit));
        TRY(enc_to(o, tx));
        TRY(rlp_encode_u256(o, tx->value));
        TRY(rlp_encode_bytes(o, tx->data, tx->data_len));
        TRY(enc_access_list(o, tx));
        if (tx->type == TX_SET_CODE) {
            size_t ma;
            TRY(rlp_list_begin(o, &ma));
            for (size_t i = 0; i < tx->nauths; i++)
                TRY(enc_auth(o, &tx->auths[i], true));
            TRY(rlp_list_end(o, ma));
        }
        if (mode == ENC_FULL) {
            TRY(rlp_encode_u64(o, tx->y_parity));
            TRY(rlp_encode_u256(o, tx->r));
            TRY(rlp_encode_u256(o, tx->s));
        }
        break;
    }
    return rlp_list_end(o, m);
}

err_t tx_encode(const tx_t *tx, buf_t *out)
{
    if (tx->type != TX_LEGACY)
        TRY(buf_push(out, (uint8_t)tx->type));
    return enc_fields(out, tx, ENC_FULL);
}

err_t tx_hash(const tx_t *tx, hash_t *out)
{
    buf_t b;
    buf_init(&b, TX_MAX_BYTES + 1024);
    err_t e = tx_encode(tx, &b);
    if (!e)
        *out = keccak256_hash(b.p, b.n);
    buf_deinit(&b);
    return e;
}

err_t tx_signing_hash(const tx_t *tx, hash_t *out)
{
    if (tx->type == TX_L1_MESSAGE)
        return ERR_INVALID_ARG;
    buf_t b;
    buf_init(&b, TX_MAX_BYTES + 1024);
    err_t e = ERR_OK;
    if (tx->type != TX_LEGACY)
        e = buf_push(&b, (uint8_t)tx->type);
    if (!e)
        e = enc_fields(&b, tx, ENC_SIGNING);
    if (!e)
        *out = keccak256_hash(b.p, b.n);
    buf_deinit(&b);
    return e;
}

static err_t recover(const hash_t *digest, u256_t r, u256_t s, uint8_t y_parity, addr_t *out)
{
    uint8_t rs[64];
    u256_to_be(rs, r);
    u256_to_be(rs + 32, s);
    /* EIP-2: s must be in the lower half of the curve order. */
    if (y_parity > 1 || !secp_s_is_low(rs + 32))
        return ERR_TX_BAD_SIGNATURE;
    return secp_recover_address(out, digest->b, rs, y_parity) ? ERR_TX_BAD_SIGNATURE : ERR_OK;
}

err_t tx_recover_sender(const tx_t *tx, addr_t *out)
{
    if (tx->type == TX_L1_MESSAGE) {
        *out = tx->sender;
        return ERR_OK;
    }
    hash_t h;
    TRY(tx_signing_hash(tx, &h));
    return recover(&h, tx->r, tx->s, tx->y_parity, out);
}

err_t tx_sign(tx_t *tx, const uint8_t sk[static 32])
{
    hash_t h;
    TRY(tx_signing_hash(tx, &h));
    uint8_t sig[65];
    TRY(secp_sign(sig, sk, h.b));
    tx->r = u256_from_be(sig, 32);
    tx->s = u256_from_be(sig + 32, 32);
    tx->y_parity = sig[64];
    if (tx->type == TX_LEGACY) {
        tx->v = tx->has_chain_id
                    ? u256_add(u256_add(tx->chain_id, tx->chain_id), u256_from_u64(35u + sig[64]))
                    : u256_from_u64(27u + sig[64]);
    }
    secure_wipe(sig, sizeof(sig));
    return ERR_OK;
}

static err_t auth_digest(const authorization_t *a, hash_t *out)
{
    buf_t b;
    buf_init(&b, 256);
    err_t e = buf_push(&b, 0x05); /* EIP-7702 MAGIC */
    if (!e)
        e = enc_auth(&b, a, false);
    if (!e)
        *out = keccak256_hash(b.p, b.n);
    buf_deinit(&b);
    return e;
}

err_t authorization_recover(const authorization_t *a, addr_t *out)
{
    hash_t h;
    TRY(auth_digest(a, &h));
    return recover(&h, a->r, a->s, a->y_parity, out);
}

err_t authorization_sign(authorization_t *a, const uint8_t sk[static 32])
{
    hash_t h;
    TRY(auth_digest(a, &h));
    uint8_t sig[65];
    TRY(secp_sign(sig, sk, h.b));
    a->r = u256_from_be(sig, 32);
    a->s = u256_from_be(sig + 32, 32);
    a->y_parity = sig[64];
    return ERR_OK;
}

/* ---- intrinsic gas ---- */

uint64_t tx_intrinsic_gas(const tx_t *tx, unsigned rules)
{
    uint64_t gas = tx->has_to ? 21000 : 53000;
    uint64_t zeros = 0;
    for (size_t i = 0; i < tx->data_len; i++)
        zeros += tx->data[i] == 0;
    gas += zeros * 4 + (tx->data_len - zeros) * 16;
    if (!tx->has_to && (rules & INTRINSIC_EIP3860))
        gas += 2 * ((tx->data_len + 31) / 32); /* EIP-3860 initcode word cost */
    for (size_t i = 0; i < tx->naccess; i++)
        gas += 2400 + 1900 * (uint64_t)tx->access_list[i].nkeys; /* EIP-2930 */
    if (rules & INTRINSIC_EIP7702)
        gas += 25000 * (uint64_t)tx->nauths;
    return gas;
}

uint64_t tx_floor_gas(const tx_t *tx)
{
    uint64_t zeros = 0;
    for (size_t i = 0; i < tx->data_len; i++)
        zeros += tx->data[i] == 0;
    uint64_t tokens = zeros + 4 * (tx->data_len - zeros);
    return 21000 + 10 * tokens;
}
