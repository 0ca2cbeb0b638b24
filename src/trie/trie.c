/* MPT root over a sorted key set: recursive on key ranges, hex-prefix encoding, nodes embedded
 * when their RLP is shorter than 32 bytes and hashed otherwise (Yellow Paper, appendix D). */
#include "trie/trie.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "rlp/rlp.h"

enum {
    TRIE_MAX_KEY = 64
}; /**< bytes: 128 nibbles */

static unsigned nib(bview_t k, size_t i)
{
    uint8_t b = k.p[i / 2];
    return i % 2 ? b & 0x0f : b >> 4;
}

static int cmp_kv(const void *a, const void *b)
{
    const trie_kv_t *x = a, *y = b;
    size_t n = x->key.n < y->key.n ? x->key.n : y->key.n;
    int c = n ? memcmp(x->key.p, y->key.p, n) : 0;
    if (c)
        return c;
    return (x->key.n > y->key.n) - (x->key.n < y->key.n);
}

/* Hex-prefix encoding of nibbles [from, to) of key, with the leaf flag. */
static err_t hex_prefix(buf_t *out, bview_t key, size_t from, size_t to, int leaf)
{
    uint8_t tmp[TRIE_MAX_KEY + 1];
    size_t n = to - from;
    size_t len = n / 2 + 1;
    uint8_t flag = (uint8_t)(leaf ? 2 : 0);
    size_t i = from;
    if (n % 2) {
        tmp[0] = (uint8_t)((unsigned)((flag | 1) << 4) | nib(key, i));
        i++;
    } else {
        tmp[0] = (uint8_t)(flag << 4);
    }
    for (size_t j = 1; j < len; j++, i += 2)
        tmp[j] = (uint8_t)(nib(key, i) << 4 | nib(key, i + 1));
    return rlp_encode_bytes(out, tmp, len);
}

/* Append the reference to an encoded node: the node itself if shorter than 32 bytes, else its
 * hash as a 32-byte string. */
static err_t append_ref(buf_t *out, const buf_t *node)
{
    if (node->n < 32)
        return rlp_encode_raw(out, node->p, node->n);
    hash_t h = keccak256_hash(node->p, node->n);
    return rlp_encode_hash(out, &h);
}

/* Encode the node covering kvs[lo, hi) whose keys share their first `depth` nibbles. */
static err_t encode_node(buf_t *out, const trie_kv_t *kv, size_t lo, size_t hi, size_t depth)
{
    size_t m;
    if (hi - lo == 1) {
        TRY(rlp_list_begin(out, &m));
        TRY(hex_prefix(out, kv[lo].key, depth, 2 * kv[lo].key.n, 1));
        TRY(rlp_encode_bytes(out, kv[lo].value.p, kv[lo].value.n));
        return rlp_list_end(out, m);
    }
    /* Sorted input: the common prefix of the range is that of its first and last keys. */
    bview_t a = kv[lo].key, b = kv[hi - 1].key;
    size_t max = 2 * (a.n < b.n ? a.n : b.n);
    size_t cp = depth;
    while (cp < max && nib(a, cp) == nib(b, cp))
        cp++;
    err_t e = ERR_OK;
    if (cp > depth) {
        /* Extension over the shared nibbles, then the branch below it. */
        buf_t child;
        buf_init(&child, SIZE_MAX / 2);
        e = encode_node(&child, kv, lo, hi, cp);
        if (!e)
            e = rlp_list_begin(out, &m);
        if (!e)
            e = hex_prefix(out, a, depth, cp, 0);
        if (!e)
            e = append_ref(out, &child);
        if (!e)
            e = rlp_list_end(out, m);
        buf_deinit(&child);
        return e;
    }
    /* Branch: a key that ends here (the shortest, so the first) is the branch's value. The
     * children are encoded first and those of 32 bytes or more hashed in one batch. */
    size_t i = lo;
    const trie_kv_t *value = NULL;
    if (2 * kv[i].key.n == depth) {
        value = &kv[i];
        i++;
    }
    buf_t kids[16];
    bview_t big[16];
    hash_t bigh[16];
    size_t nbig = 0;
    unsigned filled = 0; /* kids[0..filled) initialised */
    for (unsigned slot = 0; slot < 16 && !e; slot++) {
        buf_init(&kids[slot], SIZE_MAX / 2);
        filled++;
        size_t j = i;
        while (j < hi && nib(kv[j].key, depth) == slot)
            j++;
        if (j > i)
            e = encode_node(&kids[slot], kv, i, j, depth + 1);
        if (!e && kids[slot].n >= 32)
            big[nbig++] = buf_view(&kids[slot]);
        i = j;
    }
    if (!e)
        keccak256_many(bigh, big, nbig);
    if (!e)
        e = rlp_list_begin(out, &m);
    for (unsigned slot = 0, nb = 0; slot < 16 && !e; slot++) {
        const buf_t *c = &kids[slot];
        if (c->n == 0)
            e = buf_push(out, 0x80);
        else if (c->n < 32)
            e = rlp_encode_raw(out, c->p, c->n);
        else
            e = rlp_encode_hash(out, &bigh[nb++]);
    }
    if (!e)
        e = value ? rlp_encode_bytes(out, value->value.p, value->value.n) : buf_push(out, 0x80);
    if (!e)
        e = rlp_list_end(out, m);
    for (unsigned slot = 0; slot < filled; slot++)
        buf_deinit(&kids[slot]);
    return e;
}

err_t trie_root(hash_t *out, trie_kv_t *kvs, size_t n)
{
    /* Drop absent keys (empty values), sort, reject duplicates. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (kvs[i].key.n > TRIE_MAX_KEY)
            return ERR_TOO_LARGE;
        if (kvs[i].value.n)
            kvs[k++] = kvs[i];
    }
    if (k == 0) {
        *out = KECCAK_EMPTY_TRIE;
        return ERR_OK;
    }
    qsort(kvs, k, sizeof(*kvs), cmp_kv);
    for (size_t i = 1; i < k; i++) {
        if (cmp_kv(&kvs[i - 1], &kvs[i]) == 0)
            return ERR_INVALID_ARG;
    }
    buf_t root;
    buf_init(&root, SIZE_MAX / 2);
    err_t e = encode_node(&root, kvs, 0, k, 0);
    if (!e)
        *out = keccak256_hash(root.p, root.n);
    buf_deinit(&root);
    return e;
}

err_t trie_root_secure(hash_t *out, const trie_kv_t *kvs, size_t n)
{
    hash_t *keys = RN_NEWV(hash_t, n + 1);
    trie_kv_t *copy = RN_NEWV(trie_kv_t, n + 1);
    bview_t *raw = RN_NEWV(bview_t, n + 1);
    for (size_t i = 0; i < n; i++)
        raw[i] = kvs[i].key;
    keccak256_many(keys, raw, n);
    rn_free(raw);
    for (size_t i = 0; i < n; i++) {
        copy[i].key = bview(keys[i].b, 32);
        copy[i].value = kvs[i].value;
    }
    err_t e = trie_root(out, copy, n);
    rn_free(copy);
    rn_free(keys);
    return e;
}

err_t trie_root_ordered(hash_t *out, const bview_t *items, size_t n)
{
    buf_t keys;
    buf_init(&keys, SIZE_MAX / 2);
    size_t *offs = RN_NEWV(size_t, n + 1);
    err_t e = ERR_OK;
    for (size_t i = 0; i < n && !e; i++) {
        offs[i] = keys.n;
        e = rlp_encode_u64(&keys, i);
    }
    offs[n] = keys.n;
    trie_kv_t *kv = RN_NEWV(trie_kv_t, n + 1);
    for (size_t i = 0; i < n && !e; i++) {
        kv[i].key = bview(keys.p + offs[i], offs[i + 1] - offs[i]);
        kv[i].value = items[i];
    }
    if (!e)
        e = trie_root(out, kv, n);
    rn_free(kv);
    rn_free(offs);
    buf_deinit(&keys);
    return e;
}

err_t trie_account_rlp(buf_t *out, uint64_t nonce, u256_t balance, const hash_t *storage_root,
                       const hash_t *code_hash)
{
    size_t m;
    TRY(rlp_list_begin(out, &m));
    TRY(rlp_encode_u64(out, nonce));
    TRY(rlp_encode_u256(out, balance));
    TRY(rlp_encode_hash(out, storage_root));
    TRY(rlp_encode_hash(out, code_hash));
    return rlp_list_end(out, m);
}

err_t trie_storage_value_rlp(buf_t *out, u256_t value)
{
    return rlp_encode_u256(out, value);
}
