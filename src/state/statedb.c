/* The node's state in LMDB: a backend for the overlay, the per-block commit with change sets,
 * and the state root (layout in state.h and docs/decisions/0009-storage-layout.md).
 *
 * The root is recomputed from the flat tables: storage roots only for accounts whose storage a
 * block changed, the account trie over every account. The persistent incremental trie replaces
 * the second part (issue #4). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "rlp/rlp.h"
#include "state/state.h"
#include "trie/trie.h"

/* ---- decoding the flat account ---- */

typedef struct flat_account {
    uint64_t nonce;
    u256_t balance;
    hash_t storage_root;
    hash_t code_hash;
} flat_account_t;

static err_t flat_decode(bview_t raw, flat_account_t *a)
{
    rlp_item_t list, it;
    TRY(rlp_decode_one(raw, &list));
    if (!list.is_list)
        return ERR_DB;
    bview_t cur = list.payload;
    TRY(rlp_next(&cur, &it));
    TRY(rlp_read_u64(&it, &a->nonce));
    TRY(rlp_next(&cur, &it));
    TRY(rlp_read_u256(&it, &a->balance));
    TRY(rlp_next(&cur, &it));
    TRY(rlp_read_hash(&it, &a->storage_root));
    TRY(rlp_next(&cur, &it));
    TRY(rlp_read_hash(&it, &a->code_hash));
    return cur.n ? ERR_DB : ERR_OK;
}

/* ---- backend ---- */

static bool b_get_account(void *ctx, const addr_t *a, state_account_t *out)
{
    bview_t v;
    flat_account_t f;
    if (db_get(ctx, DB_ACCOUNTS, bview(a->b, 20), &v) != ERR_OK || flat_decode(v, &f) != ERR_OK)
        return false;
    out->nonce = f.nonce;
    out->balance = f.balance;
    out->code_hash = f.code_hash;
    return true;
}

static u256_t b_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    uint8_t k[52];
    memcpy(k, a->b, 20);
    u256_to_be(k + 20, *key);
    bview_t v;
    if (db_get(ctx, DB_STORAGE, bview(k, 52), &v) != ERR_OK || v.n > 32)
        return u256_from_u64(0);
    return u256_from_be(v.p, v.n);
}

static bview_t b_get_code(void *ctx, const hash_t *h)
{
    bview_t v;
    if (db_get(ctx, DB_CODE, bview(h->b, 32), &v) != ERR_OK)
        return bview(NULL, 0);
    return v;
}

static bool b_has_storage(void *ctx, const addr_t *a)
{
    db_cursor_t *c;
    if (db_cursor_open(ctx, DB_STORAGE, &c) != ERR_OK)
        return false;
    bview_t k, v;
    bool has = db_cursor_seek(c, bview(a->b, 20), &k, &v) == ERR_OK && k.n == 52 &&
               memcmp(k.p, a->b, 20) == 0;
    db_cursor_close(c);
    return has;
}

state_backend_t state_db_backend(db_txn_t *txn)
{
    state_backend_t b = {
        .get_account = b_get_account,
        .get_storage = b_get_storage,
        .get_code = b_get_code,
        .has_storage = b_has_storage,
        .ctx = txn,
    };
    return b;
}

/* ---- commit ---- */

static err_t record_slot(db_txn_t *txn, const uint8_t num[8], const uint8_t key[52], bview_t prev)
{
    uint8_t ck[60], hk[60];
    memcpy(ck, num, 8);
    memcpy(ck + 8, key, 52);
    memcpy(hk, key, 52);
    memcpy(hk + 52, num, 8);
    bview_t have;
    if (db_get(txn, DB_STORAGE_CHANGES, bview(ck, 60), &have) == ERR_OK)
        return ERR_OK; /* the first previous value of this block wins */
    /* LMDB values may alias the table being written: copy before the first put. */
    uint8_t v[32];
    size_t n = prev.n <= 32 ? prev.n : 32;
    memcpy(v, prev.p, n);
    TRY(db_put(txn, DB_STORAGE_CHANGES, bview(ck, 60), bview(v, n)));
    return db_put(txn, DB_STORAGE_HISTORY, bview(hk, 60), bview(v, n));
}

/* The account before block num: in the block-keyed change set and the address-keyed index. */
static err_t record_account(db_txn_t *txn, const uint8_t num[8], const addr_t *a, bview_t prev)
{
    uint8_t ck[28], hk[28];
    memcpy(ck, num, 8);
    memcpy(ck + 8, a->b, 20);
    memcpy(hk, a->b, 20);
    memcpy(hk + 20, num, 8);
    bview_t have;
    if (db_get(txn, DB_ACCOUNT_CHANGES, bview(ck, 28), &have) == ERR_OK)
        return ERR_OK;
    uint8_t v[160];
    if (prev.n > sizeof(v))
        return ERR_DB;
    memcpy(v, prev.p, prev.n);
    TRY(db_put(txn, DB_ACCOUNT_CHANGES, bview(ck, 28), bview(v, prev.n)));
    return db_put(txn, DB_ACCOUNT_HISTORY, bview(hk, 28), bview(v, prev.n));
}

/* Delete every slot of a (recording previous values). */
static err_t clear_storage(db_txn_t *txn, const uint8_t num[8], const addr_t *a)
{
    db_cursor_t *c;
    TRY(db_cursor_open(txn, DB_STORAGE, &c));
    bview_t k, v;
    err_t e = db_cursor_seek(c, bview(a->b, 20), &k, &v);
    while (e == ERR_OK && k.n == 52 && memcmp(k.p, a->b, 20) == 0) {
        uint8_t key[52];
        memcpy(key, k.p, 52);
        e = record_slot(txn, num, key, v);
        if (!e)
            e = db_cursor_del(c);
        if (!e)
            e = db_cursor_seek(c, bview(a->b, 20), &k, &v);
    }
    db_cursor_close(c);
    return e == ERR_NOT_FOUND ? ERR_OK : e;
}

/* Secure-trie root of a's stored slots. */
static err_t storage_root(db_txn_t *txn, const addr_t *a, hash_t *out)
{
    db_cursor_t *c;
    TRY(db_cursor_open(txn, DB_STORAGE, &c));
    size_t cap = 64, n = 0;
    trie_kv_t *kv = RN_NEWV(trie_kv_t, cap);
    uint8_t(*keys)[32] = rn_calloc(cap, 32);
    uint8_t(*vals)[34] = rn_calloc(cap, 34);
    buf_t b;
    buf_init(&b, 64);
    bview_t k, v;
    err_t e = db_cursor_seek(c, bview(a->b, 20), &k, &v);
    while (e == ERR_OK && k.n == 52 && memcmp(k.p, a->b, 20) == 0) {
        if (n == cap) {
            cap *= 2;
            kv = rn_realloc(kv, cap * sizeof(*kv));
            keys = rn_realloc(keys, cap * 32);
            vals = rn_realloc(vals, cap * 34);
        }
        memcpy(keys[n], k.p + 20, 32);
        buf_reset(&b);
        e = v.n <= 32 ? trie_storage_value_rlp(&b, u256_from_be(v.p, v.n)) : ERR_DB;
        if (!e) {
            memcpy(vals[n], b.p, b.n);
            kv[n].value = bview(NULL, b.n); /* pointers fixed up below (arrays may move) */
            n++;
            e = db_cursor_next(c, &k, &v);
        }
    }
    if (e == ERR_NOT_FOUND || e == ERR_OK) {
        for (size_t i = 0; i < n; i++) {
            kv[i].key = bview(keys[i], 32);
            kv[i].value = bview(vals[i], kv[i].value.n);
        }
        e = trie_root_secure(out, kv, n);
    }
    db_cursor_close(c);
    buf_deinit(&b);
    rn_free(vals);
    rn_free(keys);
    rn_free(kv);
    return e;
}

static int addr_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 20);
}

err_t state_db_commit(db_txn_t *txn, uint64_t number, const state_changes_t *c, hash_t *root)
{
    uint8_t num[8];
    be_store64(num, number);
    err_t e = ERR_OK;
    /* Previous account values, then deletions and storage clears. */
    for (size_t i = 0; i < c->naccounts && !e; i++) {
        const state_account_change_t *ac = &c->accounts[i];
        bview_t prev;
        if (db_get(txn, DB_ACCOUNTS, bview(ac->addr.b, 20), &prev) != ERR_OK)
            prev = bview(NULL, 0);
        e = record_account(txn, num, &ac->addr, prev);
        if (!e && (ac->deleted || ac->storage_cleared))
            e = clear_storage(txn, num, &ac->addr);
    }
    /* Slots. */
    for (size_t i = 0; i < c->nslots && !e; i++) {
        const state_slot_change_t *sc = &c->slots[i];
        uint8_t key[52];
        memcpy(key, sc->addr.b, 20);
        u256_to_be(key + 20, sc->key);
        bview_t prev;
        if (db_get(txn, DB_STORAGE, bview(key, 52), &prev) != ERR_OK)
            prev = bview(NULL, 0);
        e = record_slot(txn, num, key, prev);
        if (!e && u256_is_zero(sc->value)) {
            e = db_del(txn, DB_STORAGE, bview(key, 52));
        } else if (!e) {
            uint8_t be[32];
            u256_to_be(be, sc->value);
            unsigned n = u256_byte_length(sc->value);
            e = db_put(txn, DB_STORAGE, bview(key, 52), bview(be + 32 - n, n));
        }
    }
    /* Code. */
    for (size_t i = 0; i < c->ncodes && !e; i++)
        e = db_put(txn, DB_CODE, bview(c->codes[i].hash.b, 32), c->codes[i].code);
    /* Accounts: new values with refreshed storage roots. Accounts whose slots changed without an
     * account entry keep nonce, balance and code. */
    size_t n = c->naccounts + c->nslots;
    addr_t *touched = RN_NEWV(addr_t, n ? n : 1);
    size_t nt = 0;
    for (size_t i = 0; i < c->nslots; i++)
        touched[nt++] = c->slots[i].addr;
    qsort(touched, nt, sizeof(addr_t), addr_cmp);
    buf_t b;
    buf_init(&b, 256);
    for (size_t i = 0; i < c->naccounts && !e; i++) {
        const state_account_change_t *ac = &c->accounts[i];
        if (ac->deleted) {
            e = db_del(txn, DB_ACCOUNTS, bview(ac->addr.b, 20));
            continue;
        }
        hash_t sroot;
        e = storage_root(txn, &ac->addr, &sroot);
        buf_reset(&b);
        if (!e)
            e = trie_account_rlp(&b, ac->nonce, ac->balance, &sroot, &ac->code_hash);
        if (!e)
            e = db_put(txn, DB_ACCOUNTS, bview(ac->addr.b, 20), buf_view(&b));
    }
    for (size_t i = 0; i < nt && !e; i++) {
        if (i > 0 && memcmp(touched[i].b, touched[i - 1].b, 20) == 0)
            continue;
        bool listed = false;
        for (size_t j = 0; j < c->naccounts && !listed; j++)
            listed = memcmp(c->accounts[j].addr.b, touched[i].b, 20) == 0;
        if (listed)
            continue;
        bview_t v;
        flat_account_t f;
        if (db_get(txn, DB_ACCOUNTS, bview(touched[i].b, 20), &v) != ERR_OK)
            continue; /* slots of an account that no longer exists were cleared above */
        e = flat_decode(v, &f);
        if (!e)
            e = record_account(txn, num, &touched[i], v);
        hash_t sroot;
        if (!e)
            e = storage_root(txn, &touched[i], &sroot);
        buf_reset(&b);
        if (!e)
            e = trie_account_rlp(&b, f.nonce, f.balance, &sroot, &f.code_hash);
        if (!e)
            e = db_put(txn, DB_ACCOUNTS, bview(touched[i].b, 20), buf_view(&b));
    }
    buf_deinit(&b);
    rn_free(touched);
    if (!e)
        e = state_db_root(txn, root);
    if (!e)
        e = db_meta_put(txn, "state_root", bview(root->b, 32));
    return e;
}

err_t state_db_root(db_txn_t *txn, hash_t *root)
{
    uint64_t count;
    TRY(db_count(txn, DB_ACCOUNTS, &count));
    trie_kv_t *kv = RN_NEWV(trie_kv_t, count ? count : 1);
    db_cursor_t *c;
    err_t e = db_cursor_open(txn, DB_ACCOUNTS, &c);
    size_t n = 0;
    if (!e) {
        bview_t k, v;
        e = db_cursor_first(c, &k, &v);
        /* Keys and values stay valid: nothing is written while they are used. */
        while (e == ERR_OK && n < count) {
            kv[n].key = k;
            kv[n].value = v;
            n++;
            e = db_cursor_next(c, &k, &v);
        }
        db_cursor_close(c);
        if (e == ERR_NOT_FOUND || (e == ERR_OK && n == count))
            e = trie_root_secure(root, kv, n);
    }
    rn_free(kv);
    return e;
}

/* ---- history ---- */

typedef struct at_ctx {
    db_txn_t *txn;
    uint8_t after[8]; /* be64(number + 1): the first block whose changes are not included */
    uint64_t number;
} at_ctx_t;

/* The value a key had after block `number`: the earliest "before" record of a later block, or
 * the current flat value. found=false when it did not exist then. */
static bool hist_lookup(db_txn_t *txn, db_table_t hist, db_table_t flat, const uint8_t *key,
                        size_t kn, const uint8_t after[8], bview_t *out)
{
    uint8_t hk[60];
    memcpy(hk, key, kn);
    memcpy(hk + kn, after, 8);
    db_cursor_t *c;
    if (db_cursor_open(txn, hist, &c) == ERR_OK) {
        bview_t k, v;
        bool hit = db_cursor_seek(c, bview(hk, kn + 8), &k, &v) == ERR_OK && k.n == kn + 8 &&
                   memcmp(k.p, key, kn) == 0;
        db_cursor_close(c);
        if (hit) {
            *out = v;
            return v.n > 0;
        }
    }
    return db_get(txn, flat, bview(key, kn), out) == ERR_OK;
}

static bool h_get_account(void *ctx, const addr_t *a, state_account_t *out)
{
    at_ctx_t *x = ctx;
    bview_t v;
    flat_account_t f;
    if (!hist_lookup(x->txn, DB_ACCOUNT_HISTORY, DB_ACCOUNTS, a->b, 20, x->after, &v) ||
        flat_decode(v, &f) != ERR_OK)
        return false;
    out->nonce = f.nonce;
    out->balance = f.balance;
    out->code_hash = f.code_hash;
    return true;
}

static u256_t h_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    at_ctx_t *x = ctx;
    uint8_t k[52];
    memcpy(k, a->b, 20);
    u256_to_be(k + 20, *key);
    bview_t v;
    if (!hist_lookup(x->txn, DB_STORAGE_HISTORY, DB_STORAGE, k, 52, x->after, &v) || v.n > 32)
        return u256_from_u64(0);
    return u256_from_be(v.p, v.n);
}

static bview_t h_get_code(void *ctx, const hash_t *h)
{
    return b_get_code(((at_ctx_t *)ctx)->txn, h); /* code is never deleted */
}

static bool h_has_storage(void *ctx, const addr_t *a)
{
    /* The account's storage root at that block tells: empty trie or not. */
    at_ctx_t *x = ctx;
    bview_t v;
    flat_account_t f;
    static const uint8_t empty_root[32] = { 0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6,
                                            0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
                                            0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0,
                                            0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21 };
    if (!hist_lookup(x->txn, DB_ACCOUNT_HISTORY, DB_ACCOUNTS, a->b, 20, x->after, &v) ||
        flat_decode(v, &f) != ERR_OK)
        return false;
    return memcmp(f.storage_root.b, empty_root, 32) != 0;
}

err_t state_db_backend_at(db_txn_t *txn, uint64_t number, state_backend_t *out, void **ctx)
{
    uint64_t head;
    TRY(db_meta_get_u64(txn, "head_number", &head));
    if (number > head)
        return ERR_NOT_FOUND;
    if (number == head) {
        *out = state_db_backend(txn);
        *ctx = NULL;
        return ERR_OK;
    }
    uint64_t pruned = 0;
    if (db_meta_get_u64(txn, "history_from", &pruned) == ERR_OK && number < pruned)
        return ERR_NOT_FOUND;
    at_ctx_t *x = RN_NEW(at_ctx_t);
    x->txn = txn;
    x->number = number;
    be_store64(x->after, number + 1);
    out->get_account = h_get_account;
    out->get_storage = h_get_storage;
    out->get_code = h_get_code;
    out->has_storage = h_has_storage;
    out->ctx = x;
    *ctx = x;
    return ERR_OK;
}

void state_db_backend_at_free(void *ctx)
{
    rn_free(ctx);
}

/* ---- unwind ---- */

static err_t unwind_block(db_txn_t *txn, uint64_t number)
{
    uint8_t num[8];
    be_store64(num, number);
    db_cursor_t *c;
    bview_t k, v;
    /* Storage first (restoring an account also restores its storage root). */
    TRY(db_cursor_open(txn, DB_STORAGE_CHANGES, &c));
    err_t e = db_cursor_seek(c, bview(num, 8), &k, &v);
    while (e == ERR_OK && k.n == 60 && memcmp(k.p, num, 8) == 0) {
        uint8_t key[52], val[32], hk[60];
        size_t vn = v.n <= 32 ? v.n : 32;
        memcpy(key, k.p + 8, 52);
        memcpy(val, v.p, vn);
        memcpy(hk, key, 52);
        memcpy(hk + 52, num, 8);
        e = vn ? db_put(txn, DB_STORAGE, bview(key, 52), bview(val, vn))
               : db_del(txn, DB_STORAGE, bview(key, 52));
        if (!e)
            e = db_del(txn, DB_STORAGE_HISTORY, bview(hk, 60));
        if (!e)
            e = db_cursor_del(c);
        if (!e)
            e = db_cursor_seek(c, bview(num, 8), &k, &v);
    }
    db_cursor_close(c);
    if (e != ERR_OK && e != ERR_NOT_FOUND)
        return e;
    TRY(db_cursor_open(txn, DB_ACCOUNT_CHANGES, &c));
    e = db_cursor_seek(c, bview(num, 8), &k, &v);
    while (e == ERR_OK && k.n == 28 && memcmp(k.p, num, 8) == 0) {
        uint8_t a[20], val[160], hk[28];
        if (v.n > sizeof(val)) {
            e = ERR_DB;
            break;
        }
        size_t vn = v.n;
        memcpy(a, k.p + 8, 20);
        memcpy(val, v.p, vn);
        memcpy(hk, a, 20);
        memcpy(hk + 20, num, 8);
        e = vn ? db_put(txn, DB_ACCOUNTS, bview(a, 20), bview(val, vn))
               : db_del(txn, DB_ACCOUNTS, bview(a, 20));
        if (!e)
            e = db_del(txn, DB_ACCOUNT_HISTORY, bview(hk, 28));
        if (!e)
            e = db_cursor_del(c);
        if (!e)
            e = db_cursor_seek(c, bview(num, 8), &k, &v);
    }
    db_cursor_close(c);
    return e == ERR_NOT_FOUND ? ERR_OK : e;
}

err_t state_db_unwind(db_txn_t *txn, uint64_t from, uint64_t to, hash_t *root)
{
    for (uint64_t n = from; n > to; n--)
        TRY(unwind_block(txn, n));
    TRY(state_db_root(txn, root));
    return db_meta_put(txn, "state_root", bview(root->b, 32));
}
