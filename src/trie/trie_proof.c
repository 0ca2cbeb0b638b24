/* Readers of the stored trie: root, lookup, Merkle proofs (eth_getProof shape) and their check.
 * One iterative walk serves all of them; it differs only in where a hash reference is resolved:
 * in the store (by path, then checked against the hash) or among a proof's nodes (by hash). */
#include <string.h>

#include "crypto/crypto.h"
#include "trie/trie_int.h"

/* Resolve the node at path whose hash is *want (want == NULL: the root, hash unknown). Returns
 * ERR_NOT_FOUND only for a missing root. */
typedef err_t (*resolve_fn)(void *ctx, bview_t path, const hash_t *want, bview_t *node);

/* Walk from the root towards key. Each step consumes at least one nibble, so the loop runs at
 * most 2 * TRIE_DB_MAX_KEY + 1 times. *value borrows from the resolved nodes. */
static err_t walk(resolve_fn resolve, void *ctx, err_t bad, bview_t key, bview_t *value,
                  bool *found)
{
    uint8_t k[TRIE_DB_MAX_NIBBLES];
    size_t kn = trie__key_nibbles(k, key);
    *found = false;
    bview_t enc;
    err_t e = resolve(ctx, bview(k, 0), NULL, &enc);
    if (e == ERR_NOT_FOUND)
        return ERR_OK; /* empty trie */
    TRY(e);
    size_t d = 0;
    trie__node_t n;
    for (;;) {
        if (trie__node_decode(&n, enc, d) != ERR_OK)
            return bad;
        bview_t ref;
        if (n.kind == TRIE__LEAF) {
            if (n.nfrag == kn - d && memcmp(n.frag, k + d, n.nfrag) == 0) {
                *value = n.value;
                *found = true;
            }
            return ERR_OK;
        }
        if (n.kind == TRIE__EXT) {
            if (n.nfrag > kn - d || memcmp(n.frag, k + d, n.nfrag) != 0)
                return ERR_OK;
            d += n.nfrag;
            ref = n.child[0];
        } else {
            if (d == kn) {
                *value = n.value;
                *found = n.value.n != 0;
                return ERR_OK;
            }
            ref = n.child[k[d]];
            d++;
            if (ref.n == 0)
                return ERR_OK;
        }
        if (ref.p[0] >= 0xc0) {
            enc = ref; /* embedded node */
            continue;
        }
        hash_t h;
        memcpy(h.b, ref.p + 1, 32);
        e = resolve(ctx, bview(k, d), &h, &enc);
        if (e == ERR_NOT_FOUND)
            return bad;
        TRY(e);
    }
}

typedef struct store_walk {
    const trie_store_t *s;
    bview_t *trail; /**< optional: nodes resolved, root first (borrowed from the store) */
    size_t ntrail;
} store_walk_t;

static err_t store_resolve(void *ctx, bview_t path, const hash_t *want, bview_t *node)
{
    store_walk_t *w = ctx;
    err_t e = w->s->get(w->s->ctx, path, node);
    if (e == ERR_NOT_FOUND && want)
        return ERR_TRIE_CORRUPT;
    TRY(e);
    if (want) {
        hash_t got = keccak256_hash(node->p, node->n);
        if (!hash_eq(&got, want))
            return ERR_TRIE_CORRUPT;
    }
    if (w->trail) {
        if (w->ntrail == TRIE_PROOF_MAX)
            return ERR_TRIE_CORRUPT;
        w->trail[w->ntrail++] = *node;
    }
    return ERR_OK;
}

err_t trie_db_root(const trie_store_t *s, hash_t *out)
{
    bview_t node;
    err_t e = s->get(s->ctx, bview(NULL, 0), &node);
    if (e == ERR_NOT_FOUND) {
        *out = KECCAK_EMPTY_TRIE;
        return ERR_OK;
    }
    TRY(e);
    *out = keccak256_hash(node.p, node.n);
    return ERR_OK;
}

err_t trie_db_get(const trie_store_t *s, buf_t *value, bool *found, bview_t key)
{
    *found = false;
    if (key.n > TRIE_DB_MAX_KEY)
        return ERR_TOO_LARGE;
    store_walk_t w = { .s = s };
    bview_t v = bview(NULL, 0);
    bool f = false;
    TRY(walk(store_resolve, &w, ERR_TRIE_CORRUPT, key, &v, &f));
    if (f)
        TRY(buf_append(value, v.p, v.n));
    *found = f;
    return ERR_OK;
}

err_t trie_db_prove(const trie_store_t *s, buf_t *out, bview_t nodes[TRIE_PROOF_MAX], size_t *count,
                    bview_t key)
{
    *count = 0;
    if (key.n > TRIE_DB_MAX_KEY)
        return ERR_TOO_LARGE;
    bview_t trail[TRIE_PROOF_MAX];
    store_walk_t w = { .s = s, .trail = trail };
    bview_t v;
    bool f;
    TRY(walk(store_resolve, &w, ERR_TRIE_CORRUPT, key, &v, &f));
    /* The trail borrows from the store; copy it out, then point the views at the copy. */
    size_t off[TRIE_PROOF_MAX];
    for (size_t i = 0; i < w.ntrail; i++) {
        off[i] = out->n;
        TRY(buf_append(out, trail[i].p, trail[i].n));
    }
    for (size_t i = 0; i < w.ntrail; i++)
        nodes[i] = bview(out->p + off[i], trail[i].n);
    *count = w.ntrail;
    return ERR_OK;
}

typedef struct proof_walk {
    const hash_t *root;
    const bview_t *nodes;
    const hash_t *hashes; /**< keccak of each node */
    size_t n;
} proof_walk_t;

static err_t proof_resolve(void *ctx, bview_t path, const hash_t *want, bview_t *node)
{
    const proof_walk_t *w = ctx;
    (void)path;
    if (!want)
        want = w->root;
    for (size_t i = 0; i < w->n; i++) {
        if (hash_eq(&w->hashes[i], want)) {
            *node = w->nodes[i];
            return ERR_OK;
        }
    }
    return ERR_TRIE_BAD_PROOF;
}

err_t trie_verify_proof(buf_t *value, bool *found, const hash_t *root, bview_t key,
                        const bview_t *nodes, size_t n)
{
    *found = false;
    if (key.n > TRIE_DB_MAX_KEY || n > TRIE_PROOF_MAX)
        return ERR_TOO_LARGE;
    if (hash_eq(root, &KECCAK_EMPTY_TRIE))
        return ERR_OK;
    hash_t hashes[TRIE_PROOF_MAX];
    for (size_t i = 0; i < n; i++)
        hashes[i] = keccak256_hash(nodes[i].p, nodes[i].n);
    proof_walk_t w = { .root = root, .nodes = nodes, .hashes = hashes, .n = n };
    bview_t v = bview(NULL, 0);
    bool f = false;
    TRY(walk(proof_resolve, &w, ERR_TRIE_BAD_PROOF, key, &v, &f));
    if (f)
        TRY(buf_append(value, v.p, v.n));
    *found = f;
    return ERR_OK;
}
