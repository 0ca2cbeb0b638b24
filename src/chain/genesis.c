/* The genesis state root and header of a chain spec (SCROLL.md §8.4, §8.5). */
#include <string.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "primitives/primitives.h"
#include "trie/trie.h"

static err_t storage_root(const genesis_account_t *a, hash_t *out)
{
    trie_kv_t *kv = RN_NEWV(trie_kv_t, a->nstorage + 1);
    uint8_t(*keys)[32] = rn_calloc(a->nstorage + 1, 32);
    uint8_t(*vals)[33] = rn_calloc(a->nstorage + 1, 33);
    err_t e = ERR_OK;
    for (size_t j = 0; j < a->nstorage && !e; j++) {
        buf_t v;
        buf_init(&v, 33);
        u256_to_be(keys[j], a->storage[j].key);
        e = trie_storage_value_rlp(&v, a->storage[j].value);
        if (!e) {
            memcpy(vals[j], v.p, v.n);
            kv[j].key = bview(keys[j], 32);
            kv[j].value = bview(vals[j], v.n);
        }
        buf_deinit(&v);
    }
    if (!e)
        e = trie_root_secure(out, kv, a->nstorage);
    rn_free(vals);
    rn_free(keys);
    rn_free(kv);
    return e;
}

err_t chain_genesis_state_root(const chain_spec_t *s, hash_t *out)
{
    trie_kv_t *kv = RN_NEWV(trie_kv_t, s->nalloc + 1);
    buf_t all;
    buf_init(&all, (size_t)1 << 30);
    size_t *offs = RN_NEWV(size_t, s->nalloc + 1);
    err_t e = ERR_OK;
    for (size_t i = 0; i < s->nalloc && !e; i++) {
        const genesis_account_t *a = &s->alloc[i];
        hash_t sroot, chash = keccak256_hash(a->code, a->code_len);
        e = storage_root(a, &sroot);
        offs[i] = all.n;
        if (!e)
            e = trie_account_rlp(&all, a->nonce, a->balance, &sroot, &chash);
    }
    offs[s->nalloc] = all.n;
    for (size_t i = 0; i < s->nalloc && !e; i++) {
        kv[i].key = bview(s->alloc[i].addr.b, 20);
        kv[i].value = bview(all.p + offs[i], offs[i + 1] - offs[i]);
    }
    if (!e)
        e = trie_root_secure(out, kv, s->nalloc);
    rn_free(offs);
    buf_deinit(&all);
    rn_free(kv);
    return e;
}

err_t chain_genesis_header(const chain_spec_t *s, header_t *h, hash_t *hash)
{
    memset(h, 0, sizeof(*h));
    if (hash_is_zero(&s->genesis_state_root_override)) {
        TRY(chain_genesis_state_root(s, &h->state_root));
    } else {
        h->state_root = s->genesis_state_root_override;
    }
    h->ommers_hash = KECCAK_EMPTY_LIST;
    h->tx_root = KECCAK_EMPTY_TRIE;
    h->receipts_root = KECCAK_EMPTY_TRIE;
    h->coinbase = s->coinbase;
    h->difficulty = s->difficulty;
    h->gas_limit = s->gas_limit;
    h->timestamp = s->timestamp;
    h->mix_hash = s->mix_hash;
    h->nonce = s->nonce;
    h->has_base_fee = s->has_base_fee;
    h->base_fee = s->base_fee;
    if (s->extra_len) {
        h->extra = rn_memdup(s->extra_data, s->extra_len);
        h->extra_len = s->extra_len;
    }
    if (!hash_is_zero(&s->canonical_genesis_hash)) {
        *hash = s->canonical_genesis_hash;
        return ERR_OK;
    }
    return header_hash(h, hash);
}
