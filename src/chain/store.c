/* Writing the genesis into the database (block store and flat state). */
#define LOG_TARGET "reth::storage"
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"
#include "state/state.h"
#include "trie/trie.h"

static err_t put_flat_state(db_txn_t *txn, const chain_spec_t *s)
{
    buf_t v;
    buf_init(&v, 1 << 20);
    err_t e = ERR_OK;
    for (size_t i = 0; i < s->nalloc && !e; i++) {
        const genesis_account_t *a = &s->alloc[i];
        hash_t code_hash = keccak256_hash(a->code, a->code_len);
        /* Storage: address ‖ slot (32 bytes) → minimal big-endian value. */
        trie_kv_t *kv = RN_NEWV(trie_kv_t, a->nstorage + 1);
        uint8_t(*keys)[52] = rn_calloc(a->nstorage + 1, 52);
        uint8_t(*vals)[33] = rn_calloc(a->nstorage + 1, 33);
        for (size_t j = 0; j < a->nstorage && !e; j++) {
            memcpy(keys[j], a->addr.b, 20);
            uint8_t be[32];
            u256_to_be(be, a->storage[j].value);
            unsigned n = u256_byte_length(a->storage[j].value);
            u256_to_be(keys[j] + 20, a->storage[j].key);
            e = db_put(txn, DB_STORAGE, bview(keys[j], 52), bview(be + 32 - n, n));
            buf_reset(&v);
            if (!e)
                e = trie_storage_value_rlp(&v, a->storage[j].value);
            if (!e) {
                memcpy(vals[j], v.p, v.n);
                kv[j].key = bview(keys[j] + 20, 32);
                kv[j].value = bview(vals[j], v.n);
            }
        }
        hash_t sroot;
        if (!e)
            e = trie_root_secure(&sroot, kv, a->nstorage);
        rn_free(vals);
        rn_free(keys);
        rn_free(kv);
        /* Account: address → rlp([nonce, balance, storageRoot, codeHash]) (the trie value). */
        buf_reset(&v);
        if (!e)
            e = trie_account_rlp(&v, a->nonce, a->balance, &sroot, &code_hash);
        if (!e)
            e = db_put(txn, DB_ACCOUNTS, bview(a->addr.b, 20), buf_view(&v));
        if (!e && a->code_len)
            e = db_put(txn, DB_CODE, bview(code_hash.b, 32), bview(a->code, a->code_len));
    }
    buf_deinit(&v);
    return e;
}

err_t chain_genesis_init(db_txn_t *txn, const chain_spec_t *s, hash_t *genesis_hash, bool *written,
                         char *diag, size_t diag_len)
{
    *written = false;
    header_t h;
    TRY(chain_genesis_header(s, &h, genesis_hash));
    err_t e;
    bview_t have;
    uint64_t chain_id;
    if (db_meta_get(txn, "genesis_hash", &have) == ERR_OK) {
        e = ERR_OK;
        if (have.n != 32 || memcmp(have.p, genesis_hash->b, 32) != 0 ||
            db_meta_get_u64(txn, "chain_id", &chain_id) != ERR_OK || chain_id != s->chain_id) {
            char want[67], got[67] = "?";
            hex_encode_0x(want, genesis_hash->b, 32);
            if (have.n == 32)
                hex_encode_0x(got, have.p, 32);
            snprintf(diag, diag_len,
                     "the datadir holds another chain (genesis %s), not %s (chain id %llu, "
                     "genesis %s); use another --datadir",
                     got, s->name, (unsigned long long)s->chain_id, want);
            e = ERR_CONFIG_INVALID;
        }
        header_deinit(&h);
        /* Tries left behind by a crash before their write-back flush catch up here. */
        uint64_t head = 0, replayed = 0, t0 = clock_mono_ns();
        bool ran = false;
        if (!e)
            e = db_meta_get_u64(txn, "head_number", &head);
        if (!e)
            e = state_db_catch_up(txn, head, &ran, &replayed);
        if (e && e != ERR_CONFIG_INVALID)
            snprintf(diag, diag_len, "cannot bring the state tries up to block %llu: %s",
                     (unsigned long long)head, err_str(e));
        else if (ran) /* blocks=0: only the flat tables' log was behind */
            LOG_INFO("Replayed blocks into the state tries blocks=%llu head=%llu elapsed=%.1fms",
                     (unsigned long long)replayed, (unsigned long long)head,
                     (double)(clock_mono_ns() - t0) / 1e6);
        return e;
    }
    buf_t b;
    buf_init(&b, 1 << 20);
    uint8_t num[8];
    be_store64(num, 0);
    e = header_encode(&h, &b);
    if (!e)
        e = db_put(txn, DB_HEADERS, bview(genesis_hash->b, 32), buf_view(&b));
    if (!e)
        e = db_put(txn, DB_CANONICAL, bview(num, 8), bview(genesis_hash->b, 32));
    if (!e)
        e = db_put(txn, DB_BODIES, bview(genesis_hash->b, 32), bview("\xc2\xc0\xc0", 3));
    if (!e)
        e = db_put(txn, DB_RECEIPTS, bview(genesis_hash->b, 32), bview("\xc0", 1));
    if (!e)
        e = put_flat_state(txn, s);
    if (!e)
        e = db_meta_put_u64(txn, "chain_id", s->chain_id);
    if (!e)
        e = db_meta_put(txn, "genesis_hash", bview(genesis_hash->b, 32));
    if (!e)
        e = db_meta_put_u64(txn, "head_number", 0);
    if (!e) /* the history index holds no block yet (decision 0012) */
        e = db_meta_put_u64(txn, "history_indexed", 0);
    if (!e)
        e = db_meta_put(txn, "head_hash", bview(genesis_hash->b, 32));
    /* The MPT root of the flat state (differs from the header's root where the header carries a
     * zktrie root, SCROLL.md §8.4). */
    hash_t mpt, tr;
    if (!e)
        e = chain_genesis_state_root(s, &mpt);
    /* The persistent tries of the alloc; their root must be the genesis MPT root. */
    db_txn_writeback_mark(txn, 0);
    if (!e)
        e = state_db_build_tries(txn);
    if (!e)
        e = state_db_root(txn, &tr);
    if (!e && !hash_eq(&tr, &mpt))
        e = ERR_DB;
    if (!e)
        e = db_meta_put(txn, "state_root", bview(mpt.b, 32));
    buf_deinit(&b);
    header_deinit(&h);
    if (!e)
        *written = true;
    return e;
}
