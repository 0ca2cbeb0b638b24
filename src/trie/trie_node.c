/* Node codec of the stored trie: hex-prefix keys and the three node shapes (Yellow Paper,
 * appendices C and D), decoded strictly so a corrupt store gives ERR_TRIE_CORRUPT. */
#include <string.h>

#include "rlp/rlp.h"
#include "trie/trie_int.h"

size_t trie__key_nibbles(uint8_t out[TRIE_DB_MAX_NIBBLES], bview_t key)
{
    ASSERT(key.n <= TRIE_DB_MAX_KEY);
    for (size_t i = 0; i < key.n; i++) {
        out[2 * i] = (uint8_t)(key.p[i] >> 4);
        out[2 * i + 1] = (uint8_t)(key.p[i] & 0x0f);
    }
    return 2 * key.n;
}

err_t trie__hex_prefix(buf_t *out, const uint8_t *nibbles, size_t n, bool leaf)
{
    uint8_t tmp[TRIE_DB_MAX_NIBBLES / 2 + 1];
    unsigned flag = leaf ? 2u : 0u;
    size_t i = 0;
    ASSERT(n <= TRIE_DB_MAX_NIBBLES);
    if (n % 2) {
        tmp[0] = (uint8_t)(((flag | 1u) << 4) | nibbles[0]);
        i = 1;
    } else {
        tmp[0] = (uint8_t)(flag << 4);
    }
    for (size_t j = 1; i < n; i += 2, j++)
        tmp[j] = (uint8_t)((unsigned)(nibbles[i] << 4) | nibbles[i + 1]);
    return rlp_encode_bytes(out, tmp, n / 2 + 1);
}

/* A child reference: empty string, 32-byte hash, or an embedded node shorter than 32 bytes. */
static err_t decode_ref(bview_t *out, const rlp_item_t *it)
{
    if (it->is_list) {
        if (it->raw.n >= 32)
            return ERR_TRIE_CORRUPT;
        *out = it->raw;
    } else if (it->payload.n == 0) {
        *out = bview(NULL, 0);
    } else if (it->payload.n == 32) {
        *out = it->raw;
    } else {
        return ERR_TRIE_CORRUPT;
    }
    return ERR_OK;
}

err_t trie__node_decode(trie__node_t *out, bview_t enc, size_t depth)
{
    rlp_item_t top, it[17];
    if (depth > TRIE_DB_MAX_NIBBLES || rlp_decode_one(enc, &top) != ERR_OK || !top.is_list)
        return ERR_TRIE_CORRUPT;
    bview_t cur = top.payload;
    size_t k = 0;
    while (cur.n) {
        if (k == 17 || rlp_next(&cur, &it[k]) != ERR_OK)
            return ERR_TRIE_CORRUPT;
        k++;
    }
    memset(out->child, 0, sizeof(out->child));
    out->value = bview(NULL, 0);
    out->nfrag = 0;
    if (k == 17) {
        out->kind = TRIE__BRANCH;
        for (unsigned i = 0; i < 16; i++) {
            TRY(decode_ref(&out->child[i], &it[i]));
            /* A child would start past the longest path. */
            if (out->child[i].n && depth == TRIE_DB_MAX_NIBBLES)
                return ERR_TRIE_CORRUPT;
        }
        if (it[16].is_list)
            return ERR_TRIE_CORRUPT;
        out->value = it[16].payload;
        return ERR_OK;
    }
    if (k != 2 || it[0].is_list || it[0].payload.n == 0)
        return ERR_TRIE_CORRUPT;
    bview_t hp = it[0].payload;
    unsigned flag = hp.p[0] >> 4;
    bool odd = flag & 1u;
    if (flag > 3 || (!odd && (hp.p[0] & 0x0f)))
        return ERR_TRIE_CORRUPT;
    size_t nf = 2 * (hp.n - 1) + (odd ? 1 : 0);
    if (nf > TRIE_DB_MAX_NIBBLES - depth)
        return ERR_TRIE_CORRUPT;
    size_t j = 0;
    if (odd)
        out->frag[j++] = (uint8_t)(hp.p[0] & 0x0f);
    for (size_t i = 1; i < hp.n; i++) {
        out->frag[j++] = (uint8_t)(hp.p[i] >> 4);
        out->frag[j++] = (uint8_t)(hp.p[i] & 0x0f);
    }
    out->nfrag = nf;
    if (flag & 2u) {
        if (it[1].is_list || it[1].payload.n == 0)
            return ERR_TRIE_CORRUPT;
        out->kind = TRIE__LEAF;
        out->value = it[1].payload;
        return ERR_OK;
    }
    out->kind = TRIE__EXT;
    TRY(decode_ref(&out->child[0], &it[1]));
    if (nf == 0 || out->child[0].n == 0)
        return ERR_TRIE_CORRUPT;
    return ERR_OK;
}
