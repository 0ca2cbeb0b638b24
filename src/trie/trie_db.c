/* Incremental update of the stored trie (see trie.h for the storage rule).
 *
 * An update works on a partial in-memory copy of the trie: the root, and the nodes on the paths
 * of the batch's keys, loaded from the store as the walk reaches them. Every other subtree stays
 * a reference (the raw RLP its parent holds), is never read and is re-emitted verbatim. The
 * updates are applied one at a time with the MPT rules (split on insert, collapse on delete), then
 * the in-memory nodes are encoded bottom-up, hashed, and written at their paths.
 *
 * Why unloaded subtrees never move: a branch sits at the common prefix of the keys below it, so
 * its path changes only if keys below it change, and then it is loaded; a leaf or extension
 * starts one nibble below its parent branch, and when that branch collapses, its last child is
 * loaded and merged into it. So in-memory node objects keep their path for their whole life,
 * and the only stored nodes that move or disappear are ones loaded here. The store's old nodes
 * to delete are therefore exactly the loaded paths that no node occupies at the end.
 *
 * Memory: one bump pool per call, freed at the end; recursion is bounded by the key length
 * (TRIE_DB_MAX_NIBBLES levels). A large batch over a root branch is spread over threads, one
 * subtree of the root at a time ("large batches" below, decision 0025). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "rlp/rlp.h"
#include "trie/trie_int.h"

enum {
    POOL_CHUNK = 256 * 1024,
    POOL_KEEP = 128, /**< chunks kept between updates (32 MiB) */
    POOL_HDR = 16,   /**< a chunk starts with the link to the previous one and its size */
    MAX_LEVELS = TRIE_DB_MAX_NIBBLES + 2 /**< root + one level per nibble + slack */
};

typedef struct pool {
    uint8_t *chunk; /**< the newest chunk */
    size_t used, cap;
} pool_t;

/* Chunks an update freed, kept for the next update (of any thread: a large update's helper
 * threads live for one update): reusing memory touched before saves faulting it in again, which
 * costs ~12 µs a page on a paravirtualized host (a 20 000-transfer block's update uses ~20 MiB).
 * Not kept under AddressSanitizer, which should see every chunk's end of life. */
static pthread_mutex_t g_kept_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *g_kept;
static size_t g_nkept;

static uint8_t *chunk_link(const uint8_t *c)
{
    uint8_t *prev;
    memcpy(&prev, c, sizeof(prev));
    return prev;
}

static void chunk_set(uint8_t *c, uint8_t *prev, size_t size)
{
    memcpy(c, &prev, sizeof(prev));
    memcpy(c + 8, &size, sizeof(size));
}

static uint8_t *kept_take(void)
{
    pthread_mutex_lock(&g_kept_mu);
    uint8_t *c = g_kept;
    if (c) {
        g_kept = chunk_link(c);
        g_nkept--;
    }
    pthread_mutex_unlock(&g_kept_mu);
    return c;
}

static void *pool_alloc_raw(pool_t *p, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (p->used + n > p->cap) {
        size_t cap = n + POOL_HDR > POOL_CHUNK ? n + POOL_HDR : POOL_CHUNK;
        uint8_t *c = cap == POOL_CHUNK ? kept_take() : NULL;
        if (!c)
            c = rn_malloc(cap);
        chunk_set(c, p->chunk, cap);
        p->chunk = c;
        p->used = POOL_HDR;
        p->cap = cap;
    }
    void *r = p->chunk + p->used;
    p->used += n;
    return r;
}

static void *pool_alloc(pool_t *p, size_t n)
{
    void *r = pool_alloc_raw(p, n);
    memset(r, 0, n);
    return r;
}

static void pool_deinit(pool_t *p)
{
#if defined(__SANITIZE_ADDRESS__)
    const bool keep = false;
#else
    const bool keep = true;
#endif
    pthread_mutex_lock(&g_kept_mu);
    while (p->chunk) {
        uint8_t *c = p->chunk, *prev = chunk_link(c);
        size_t size;
        memcpy(&size, c + 8, sizeof(size));
        if (keep && size == POOL_CHUNK && g_nkept < POOL_KEEP) {
            chunk_set(c, g_kept, size);
            g_kept = c;
            g_nkept++;
        } else {
            rn_free(c);
        }
        p->chunk = prev;
    }
    pthread_mutex_unlock(&g_kept_mu);
}

static bview_t pool_copy(pool_t *p, bview_t v)
{
    uint8_t *c = pool_alloc_raw(p, v.n ? v.n : 1);
    if (v.n)
        memcpy(c, v.p, v.n);
    return bview(c, v.n);
}

/* A child slot holds a node (loaded or new), a reference to a node still in the store or
 * embedded in its parent's encoding (raw RLP), or nothing. */
typedef struct mnode mnode_t;

typedef struct slot {
    mnode_t *node;
    bview_t ref; /**< when node is NULL: the reference (n == 0: empty) */
} slot_t;

/* An in-memory node. Memory is most of an update's cost on a large batch, so a node carries
 * only the slots its kind uses: a branch 16, a leaf or an extension one (an extension's child;
 * a leaf's is unused but keeps the kinds interchangeable). A node never becomes a branch in
 * place: splits make new branches. */
struct mnode {
    bview_t value; /**< leaf value; branch value (n == 0: none) */
    bview_t orig;  /**< in_store: the encoding the store holds at this node's path */
    bview_t enc;   /**< the final encoding (pool), once encoded */
    hash_t hash;   /**< keccak(orig) when has_hash; keccak(enc) once encoded, unless inl */
    uint8_t nfrag;
    uint8_t kind; /**< TRIE__LEAF, TRIE__EXT, TRIE__BRANCH */
    bool in_store;
    bool has_hash;
    bool inl;  /**< enc is under 32 bytes: the parent embeds it (never the root) */
    bool kept; /**< enc equals what the store holds at this path */
    uint8_t frag[TRIE_DB_MAX_NIBBLES];
    slot_t s[]; /**< 16 for a branch, else 1 */
};

typedef struct node_vec {
    mnode_t **v;
    size_t n, cap;
} node_vec_t;

typedef struct path_rec {
    uint8_t n;
    uint8_t p[TRIE_DB_MAX_NIBBLES];
} path_rec_t;

/* A write an update running on a helper thread leaves for the caller's thread to make. */
typedef struct put_rec {
    path_rec_t path;
    bview_t enc; /**< in the update's pool */
} put_rec_t;

typedef struct upd {
    const trie_store_t *s;
    err_t (*get)(void *ctx, bview_t path, bview_t *node); /**< s->get, or s->get_concurrent */
    bool record;     /**< collect emit's writes in puts instead of writing them */
    put_rec_t *puts; /**< when record */
    size_t nputs, cap_puts;
    pool_t pool;
    path_rec_t *loaded; /**< paths read from the store */
    size_t nloaded, cap_loaded;
    buf_t scratch; /**< encoding buffer, reused */
    /* Leaf guesses by depth (guess_leaf): tried, right. */
    uint32_t guess_tries[TRIE_DB_MAX_NIBBLES + 1], guess_hits[TRIE_DB_MAX_NIBBLES + 1];
    node_vec_t height[MAX_LEVELS]; /**< in-memory nodes by height (0: no in-memory children) */
} upd_t;

static void *vec_grow(void *v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 16;
    return rn_realloc(v, *cap * elem);
}

static void note_loaded(upd_t *u, const uint8_t *path, size_t d)
{
    ASSERT(d <= TRIE_DB_MAX_NIBBLES);
    u->loaded = vec_grow(u->loaded, &u->cap_loaded, u->nloaded, sizeof(*u->loaded));
    path_rec_t *r = &u->loaded[u->nloaded++];
    r->n = (uint8_t)d;
    if (d)
        memcpy(r->p, path, d);
}

static mnode_t *new_node(upd_t *u, int kind)
{
    size_t slots = kind == TRIE__BRANCH ? 16 : 1;
    mnode_t *n = pool_alloc(&u->pool, sizeof(*n) + slots * sizeof(slot_t));
    n->kind = (uint8_t)kind;
    return n;
}

static mnode_t *new_leaf(upd_t *u, const uint8_t *frag, size_t nfrag, bview_t value)
{
    mnode_t *n = new_node(u, TRIE__LEAF);
    if (nfrag)
        memcpy(n->frag, frag, nfrag);
    n->nfrag = (uint8_t)nfrag;
    n->value = value;
    return n;
}

/* Node from its encoding at depth d. enc must outlive the update (pool or an embedding parent). */
static err_t node_from(upd_t *u, mnode_t **out, bview_t enc, size_t d, bool in_store)
{
    trie__node_t dn;
    TRY(trie__node_decode(&dn, enc, d));
    mnode_t *n = new_node(u, dn.kind);
    n->nfrag = (uint8_t)dn.nfrag;
    if (dn.nfrag)
        memcpy(n->frag, dn.frag, dn.nfrag);
    n->value = dn.value;
    unsigned slots = dn.kind == TRIE__BRANCH ? 16 : 1;
    for (unsigned i = 0; i < slots; i++)
        n->s[i].ref = dn.child[i];
    if (in_store) {
        n->in_store = true;
        n->orig = enc;
    }
    *out = n;
    return ERR_OK;
}

/* Read the stored node at path[0..d) into the pool. */
static err_t read_stored(upd_t *u, bview_t *out, const uint8_t *path, size_t d)
{
    bview_t enc;
    TRY(u->get(u->s->ctx, bview(path, d), &enc));
    *out = pool_copy(&u->pool, enc);
    note_loaded(u, path, d);
    return ERR_OK;
}

/* Make slot i of parent a loaded node, if it holds a reference; path[0..d) is the child's path. */
static err_t load_child(upd_t *u, mnode_t *parent, unsigned i, const uint8_t *path, size_t d)
{
    slot_t *sl = &parent->s[i];
    bview_t ref = sl->ref;
    if (sl->node || ref.n == 0)
        return ERR_OK;
    mnode_t *n;
    if (ref.p[0] >= 0xc0) {
        TRY(node_from(u, &n, ref, d, false)); /* embedded: not stored on its own */
    } else {
        bview_t enc;
        err_t e = read_stored(u, &enc, path, d);
        if (e == ERR_NOT_FOUND)
            return ERR_TRIE_CORRUPT;
        TRY(e);
        hash_t got;
        if (u->s->trusted) {
            memcpy(got.b, ref.p + 1, 32);
        } else {
            got = keccak256_hash(enc.p, enc.n);
            if (memcmp(got.b, ref.p + 1, 32) != 0)
                return ERR_TRIE_CORRUPT;
        }
        TRY(node_from(u, &n, enc, d, true));
        n->hash = got;
        n->has_hash = true;
    }
    sl->node = n;
    sl->ref = bview(NULL, 0);
    return ERR_OK;
}

/* Slot i of parent is a hash reference; if it is the leaf of key k (path k[0..d)) holding old,
 * build that leaf from the hint instead of reading it: its encoding is known, and its hash must
 * equal the reference, so a wrong hint is caught and the slot is left for load_child. */
static err_t guess_leaf(upd_t *u, mnode_t *parent, unsigned i, const uint8_t *k, size_t kn,
                        size_t d, bview_t old)
{
    slot_t *sl = &parent->s[i];
    bview_t ref = sl->ref;
    if (sl->node || old.n == 0 || ref.n != 33 || ref.p[0] != 0xa0 || d > kn)
        return ERR_OK;
    /* A guess costs a keccak; above the leaves the child is a branch and every guess misses.
     * After a few tries at a depth, keep guessing there only if one in eight or more was
     * right (a right guess saves a read, ~8 keccaks' worth when it goes to LMDB). */
    if (u->guess_tries[d] >= 8 && u->guess_hits[d] * 8 < u->guess_tries[d])
        return ERR_OK;
    u->guess_tries[d]++;
    buf_t *enc = &u->scratch; /* free while keys are applied; commit uses it later */
    buf_reset(enc);
    size_t m;
    TRY(rlp_list_begin(enc, &m));
    TRY(trie__hex_prefix(enc, k + d, kn - d, true));
    TRY(rlp_encode_bytes(enc, old.p, old.n));
    TRY(rlp_list_end(enc, m));
    if (enc->n < 32)
        return ERR_OK; /* such a leaf is embedded, never referenced by hash */
    hash_t h = keccak256_hash(enc->p, enc->n);
    if (memcmp(h.b, ref.p + 1, 32) != 0)
        return ERR_OK;
    u->guess_hits[d]++;
    mnode_t *n;
    TRY(node_from(u, &n, pool_copy(&u->pool, buf_view(enc)), d, true));
    n->hash = h;
    n->has_hash = true;
    note_loaded(u, k, d); /* a stored node: deleted at the end if it moves */
    sl->node = n;
    sl->ref = bview(NULL, 0);
    return ERR_OK;
}

static size_t common_prefix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i])
        i++;
    return i;
}

/* Set key k[0..kn) to a non-empty value in the subtree at *np, whose path is k[0..d); old is
 * the caller's hint of the key's stored value (guess_leaf). */
static err_t put_rec(upd_t *u, mnode_t **np, const uint8_t *k, size_t kn, size_t d, bview_t value,
                     bview_t old)
{
    mnode_t *n = *np;
    if (!n) {
        *np = new_leaf(u, k + d, kn - d, value);
        return ERR_OK;
    }
    if (n->kind == TRIE__BRANCH) {
        if (d == kn) {
            n->value = value;
            return ERR_OK;
        }
        TRY(guess_leaf(u, n, k[d], k, kn, d + 1, old));
        TRY(load_child(u, n, k[d], k, d + 1));
        return put_rec(u, &n->s[k[d]].node, k, kn, d + 1, value, old);
    }
    size_t cp = common_prefix(n->frag, n->nfrag, k + d, kn - d);
    if (n->kind == TRIE__LEAF && cp == n->nfrag && cp == kn - d) {
        n->value = value;
        return ERR_OK;
    }
    if (n->kind == TRIE__EXT && cp == n->nfrag) {
        TRY(load_child(u, n, 0, k, d + cp));
        return put_rec(u, &n->s[0].node, k, kn, d + cp, value, old);
    }
    /* Split at d + cp: a new branch there takes the rest of this node and the new key. */
    mnode_t *b = new_node(u, TRIE__BRANCH);
    if (cp == n->nfrag) {
        b->value = n->value; /* a leaf whose key ends at the branch */
    } else {
        unsigned slot = n->frag[cp];
        size_t rest = n->nfrag - cp - 1;
        if (n->kind == TRIE__EXT && rest == 0) {
            b->s[slot] = n->s[0]; /* the extension's branch moves up, same path */
        } else {
            mnode_t *r = new_leaf(u, n->frag + cp + 1, rest, n->value);
            r->kind = n->kind;
            r->s[0] = n->s[0];
            b->s[slot].node = r;
        }
    }
    if (d + cp == kn)
        b->value = value;
    else
        b->s[k[d + cp]].node = new_leaf(u, k + d + cp + 1, kn - d - cp - 1, value);
    if (cp == 0) {
        *np = b; /* n's stored path, if any, is overwritten by b or deleted */
        return ERR_OK;
    }
    n->kind = TRIE__EXT;
    n->nfrag = (uint8_t)cp;
    n->value = bview(NULL, 0);
    n->s[0] = (slot_t){ .node = b };
    return ERR_OK;
}

/* Give n (a leaf or an extension now) c's kind, rest of key, value and child, after n's own
 * nfrag nibbles (n takes c's place: c was n's only child). */
static err_t absorb(mnode_t *n, const mnode_t *c, size_t d)
{
    if (n->nfrag + c->nfrag > TRIE_DB_MAX_NIBBLES - d)
        return ERR_TRIE_CORRUPT;
    memcpy(n->frag + n->nfrag, c->frag, c->nfrag);
    n->nfrag = (uint8_t)(n->nfrag + c->nfrag);
    n->kind = c->kind;
    n->value = c->value;
    n->s[0] = c->s[0];
    return ERR_OK;
}

/* After a deletion below branch *np at path k[0..d): a branch left with one child and no value
 * becomes an extension or absorbs that child; one left with only its value becomes a leaf. */
static err_t fix_branch(upd_t *u, mnode_t **np, const uint8_t *k, size_t d)
{
    mnode_t *n = *np;
    unsigned count = 0, last = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (n->s[i].node || n->s[i].ref.n) {
            count++;
            last = i;
        }
    }
    if (count >= 2 || (count == 1 && n->value.n))
        return ERR_OK;
    if (count == 0) {
        if (n->value.n == 0)
            *np = NULL; /* not reachable from a canonical trie; harmless */
        else
            n->kind = TRIE__LEAF;
        n->nfrag = 0;
        return ERR_OK;
    }
    uint8_t path[TRIE_DB_MAX_NIBBLES + 1];
    if (d >= TRIE_DB_MAX_NIBBLES)
        return ERR_TRIE_CORRUPT;
    memcpy(path, k, d);
    path[d] = (uint8_t)last;
    TRY(load_child(u, n, last, path, d + 1));
    mnode_t *c = n->s[last].node;
    n->s[last].node = NULL;
    n->frag[0] = (uint8_t)last;
    n->nfrag = 1;
    if (c->kind == TRIE__BRANCH) {
        n->kind = TRIE__EXT;
        n->s[0] = (slot_t){ .node = c };
        return ERR_OK;
    }
    return absorb(n, c, d);
}

/* After a deletion below extension *np at depth d: if its child is no longer a branch, merge. */
static err_t fix_ext(mnode_t **np, size_t d)
{
    mnode_t *n = *np;
    mnode_t *c = n->s[0].node;
    if (!c) {
        *np = NULL; /* not reachable from a canonical trie */
        return ERR_OK;
    }
    if (c->kind == TRIE__BRANCH)
        return ERR_OK;
    return absorb(n, c, d);
}

/* Remove key k[0..kn) from the subtree at *np (path k[0..d)); *hit tells whether it was there. */
static err_t del_rec(upd_t *u, mnode_t **np, const uint8_t *k, size_t kn, size_t d, bool *hit)
{
    mnode_t *n = *np;
    if (!n)
        return ERR_OK;
    if (n->kind == TRIE__LEAF) {
        if (n->nfrag == kn - d && memcmp(n->frag, k + d, n->nfrag) == 0) {
            *np = NULL;
            *hit = true;
        }
        return ERR_OK;
    }
    if (n->kind == TRIE__EXT) {
        if (n->nfrag > kn - d || memcmp(n->frag, k + d, n->nfrag) != 0)
            return ERR_OK;
        TRY(load_child(u, n, 0, k, d + n->nfrag));
        TRY(del_rec(u, &n->s[0].node, k, kn, d + n->nfrag, hit));
        return *hit ? fix_ext(np, d) : ERR_OK;
    }
    if (d == kn) {
        if (n->value.n == 0)
            return ERR_OK;
        n->value = bview(NULL, 0);
        *hit = true;
    } else {
        TRY(load_child(u, n, k[d], k, d + 1));
        TRY(del_rec(u, &n->s[k[d]].node, k, kn, d + 1, hit));
        if (!*hit)
            return ERR_OK;
    }
    return fix_branch(u, np, k, d);
}

/* ---- commit: encode and hash bottom-up, a whole height at a time ----
 * A node's encoding holds its children's references, so children are encoded first. Nodes of
 * the same height (longest path down to a node without in-memory children) never depend on
 * each other, so each height is encoded and then hashed in one keccak256_many batch. */

static unsigned slot_count(const mnode_t *n)
{
    return n->kind == TRIE__BRANCH ? 16 : n->kind == TRIE__EXT ? 1 : 0;
}

/* File n under its height; *h receives it. level bounds the recursion (the key length). */
static err_t collect(upd_t *u, mnode_t *n, size_t level, size_t *h)
{
    if (level >= MAX_LEVELS)
        return ERR_TRIE_CORRUPT;
    size_t mine = 0;
    for (unsigned i = 0, nc = slot_count(n); i < nc; i++) {
        size_t ch;
        if (!n->s[i].node)
            continue;
        TRY(collect(u, n->s[i].node, level + 1, &ch));
        if (ch + 1 > mine)
            mine = ch + 1;
    }
    if (mine >= MAX_LEVELS)
        return ERR_TRIE_CORRUPT;
    node_vec_t *v = &u->height[mine];
    v->v = vec_grow(v->v, &v->cap, v->n, sizeof(*v->v));
    v->v[v->n++] = n;
    *h = mine;
    return ERR_OK;
}

/* Append the reference to a child: embedded encoding, hash, or the empty string. */
static err_t append_ref(buf_t *enc, const slot_t *sl)
{
    const mnode_t *c = sl->node;
    if (c)
        return c->inl ? rlp_encode_raw(enc, c->enc.p, c->enc.n) : rlp_encode_hash(enc, &c->hash);
    if (sl->ref.n)
        return rlp_encode_raw(enc, sl->ref.p, sl->ref.n);
    return buf_push(enc, 0x80);
}

/* Encode n into u->scratch; its in-memory children are already encoded (and hashed). */
static err_t encode_node(upd_t *u, const mnode_t *n)
{
    buf_t *enc = &u->scratch;
    buf_reset(enc);
    size_t m;
    TRY(rlp_list_begin(enc, &m));
    if (n->kind == TRIE__BRANCH) {
        for (unsigned i = 0; i < 16; i++)
            TRY(append_ref(enc, &n->s[i]));
        TRY(rlp_encode_bytes(enc, n->value.p, n->value.n));
    } else {
        TRY(trie__hex_prefix(enc, n->frag, n->nfrag, n->kind == TRIE__LEAF));
        if (n->kind == TRIE__LEAF)
            TRY(rlp_encode_bytes(enc, n->value.p, n->value.n));
        else
            TRY(append_ref(enc, &n->s[0]));
    }
    return rlp_list_end(enc, m);
}

/* Encode and hash every in-memory node below and including top, the trie's root if is_root
 * (else a subtree's top, which may be embedded in its parent like any other node). */
static err_t encode_all(upd_t *u, mnode_t *top, bool is_root)
{
    const mnode_t *root = is_root ? top : NULL;
    size_t height;
    TRY(collect(u, top, 0, &height));
    size_t cap = 0;
    for (size_t h = 0; h <= height; h++)
        cap = u->height[h].n > cap ? u->height[h].n : cap;
    bview_t *in = RN_NEWV(bview_t, cap);
    hash_t *out = RN_NEWV(hash_t, cap);
    mnode_t **who = RN_NEWV(mnode_t *, cap);
    err_t e = ERR_OK;
    for (size_t h = 0; h <= height && !e; h++) {
        size_t nb = 0;
        for (size_t i = 0; i < u->height[h].n && !e; i++) {
            mnode_t *n = u->height[h].v[i];
            if ((e = encode_node(u, n)) != ERR_OK)
                break;
            n->enc = pool_copy(&u->pool, buf_view(&u->scratch));
            n->inl = n != root && n->enc.n < 32;
            n->kept = !n->inl && n->in_store && bview_eq(n->enc, n->orig);
            if (n->inl || (n->kept && n->has_hash))
                continue; /* embedded; or unchanged, with the hash its parent referenced */
            in[nb] = n->enc;
            who[nb++] = n;
        }
        keccak256_many(out, in, nb);
        for (size_t i = 0; i < nb; i++)
            who[i]->hash = out[i];
    }
    rn_free(who);
    rn_free(out);
    rn_free(in);
    return e;
}

/* Write every node below and including n (path[0..d)) that the store does not hold as it is.
 * An embedded node's subtree is embedded with it: nothing of it is stored. */
static err_t emit(upd_t *u, const mnode_t *n, uint8_t *path, size_t d)
{
    if (n->inl)
        return ERR_OK;
    if (n->kind == TRIE__BRANCH) {
        for (unsigned i = 0; i < 16; i++) {
            if (n->s[i].node) {
                path[d] = (uint8_t)i;
                TRY(emit(u, n->s[i].node, path, d + 1));
            }
        }
    } else if (n->kind == TRIE__EXT && n->s[0].node) {
        memcpy(path + d, n->frag, n->nfrag);
        TRY(emit(u, n->s[0].node, path, d + n->nfrag));
    }
    if (n->kept)
        return ERR_OK;
    if (!u->record)
        return u->s->put(u->s->ctx, bview(path, d), n->enc);
    u->puts = vec_grow(u->puts, &u->cap_puts, u->nputs, sizeof(*u->puts));
    put_rec_t *r = &u->puts[u->nputs++];
    r->path.n = (uint8_t)d;
    memcpy(r->path.p, path, d);
    r->enc = n->enc;
    return ERR_OK;
}

/* Whether the final trie (root: in memory) has a stored node at path p[0..len): an in-memory
 * node that is not embedded, or a reference by hash that was never loaded. */
static bool path_live(const mnode_t *n, const uint8_t *p, size_t len)
{
    size_t d = 0;
    for (;;) {
        if (d == len)
            return !n->inl;
        const slot_t *sl;
        if (n->kind == TRIE__BRANCH) {
            sl = &n->s[p[d]];
            d++;
        } else if (n->kind == TRIE__EXT && n->nfrag <= len - d &&
                   memcmp(n->frag, p + d, n->nfrag) == 0) {
            sl = &n->s[0];
            d += n->nfrag;
        } else {
            return false; /* the path ends inside a key fragment or below a leaf */
        }
        if (sl->node) {
            n = sl->node;
            continue;
        }
        return d == len && sl->ref.n == 33 && sl->ref.p[0] == 0xa0;
    }
}

/* Delete the loaded paths no node occupies any more. The puts (emit) went to other paths. */
static err_t drop_dead(const upd_t *u, const mnode_t *root)
{
    for (size_t i = 0; i < u->nloaded; i++) {
        const path_rec_t *l = &u->loaded[i];
        if (root && path_live(root, l->p, l->n))
            continue;
        err_t e = u->s->del(u->s->ctx, bview(l->p, l->n));
        if (e != ERR_OK && e != ERR_NOT_FOUND)
            return e; /* NOT_FOUND: a path loaded twice */
    }
    return ERR_OK;
}

static err_t apply(upd_t *u, hash_t *new_root, const trie_kv_t *updates, size_t n)
{
    mnode_t *root = NULL;
    bview_t enc;
    uint8_t path[TRIE_DB_MAX_NIBBLES + 1];
    err_t e = read_stored(u, &enc, path, 0);
    if (e == ERR_OK)
        TRY(node_from(u, &root, enc, 0, true));
    else if (e != ERR_NOT_FOUND)
        return e;
    for (size_t i = 0; i < n; i++) {
        uint8_t k[TRIE_DB_MAX_NIBBLES];
        size_t kn = trie__key_nibbles(k, updates[i].key);
        if (updates[i].value.n) {
            TRY(put_rec(u, &root, k, kn, 0, updates[i].value, updates[i].old));
        } else {
            bool hit = false;
            TRY(del_rec(u, &root, k, kn, 0, &hit));
        }
    }
    hash_t h = KECCAK_EMPTY_TRIE;
    if (root) {
        TRY(encode_all(u, root, true));
        TRY(emit(u, root, path, 0));
        h = root->hash;
    }
    TRY(drop_dead(u, root));
    *new_root = h;
    return ERR_OK;
}

static void upd_init(upd_t *u, const trie_store_t *s, bool concurrent)
{
    memset(u, 0, sizeof(*u));
    u->s = s;
    u->get = concurrent ? s->get_concurrent : s->get;
    u->record = concurrent;
    buf_init(&u->scratch, BUF_MAX_DEFAULT);
}

static void upd_deinit(upd_t *u)
{
    buf_deinit(&u->scratch);
    for (size_t i = 0; i < MAX_LEVELS; i++)
        rn_free(u->height[i].v);
    rn_free(u->loaded);
    rn_free(u->puts);
    pool_deinit(&u->pool);
}

/* ---- large batches on several threads ----
 * Below a root branch the 16 subtrees are disjoint, and so is the work of the keys under each
 * nibble: applying them, then encoding and hashing the subtree. Each nibble's keys form a group
 * with an upd_t of its own; the caller's thread and helper threads take groups in turn. Groups
 * only read the store (get_concurrent) and record the writes their emit would make; the caller
 * makes them afterwards, with the root's. If deletions left the root fewer than two children
 * (it would collapse), the groups' work is dropped and the batch applied the ordinary way:
 * nothing was written yet. */

enum {
    PAR_MIN = 256,   /**< smaller batches: starting a thread costs about what it saves */
    PAR_THREADS = 4, /**< at most, the caller's included */
};

typedef struct group {
    upd_t u;
    const trie_kv_t *updates;
    const uint32_t *idx; /**< the group's entries of updates, in batch order */
    size_t n;
    unsigned nib;
    err_t e;
} group_t;

typedef struct par {
    mnode_t *root;
    group_t g[16];
    unsigned order[16], ngroups; /**< the groups in use, largest first */
    unsigned next;               /**< the entry of order to take next (atomic) */
    uint32_t *idx;               /**< the groups' entries of updates, group after group */
} par_t;

/* The group's keys, applied below slot nib of the root (path nib), then encoded and recorded. */
static err_t group_apply(group_t *g, mnode_t *root)
{
    upd_t *u = &g->u;
    slot_t *sl = &root->s[g->nib];
    for (size_t j = 0; j < g->n; j++) {
        const trie_kv_t *kv = &g->updates[g->idx[j]];
        uint8_t k[TRIE_DB_MAX_NIBBLES];
        size_t kn = trie__key_nibbles(k, kv->key);
        if (kv->value.n) {
            TRY(guess_leaf(u, root, g->nib, k, kn, 1, kv->old));
            TRY(load_child(u, root, g->nib, k, 1));
            TRY(put_rec(u, &sl->node, k, kn, 1, kv->value, kv->old));
        } else {
            bool hit = false;
            TRY(load_child(u, root, g->nib, k, 1));
            TRY(del_rec(u, &sl->node, k, kn, 1, &hit));
        }
    }
    if (sl->node)
        TRY(encode_all(u, sl->node, false));
    /* The group's part of drop_dead, here on its own thread (once the nodes are encoded: an
     * embedded one occupies no path): its loaded paths lie below its slot, which no other group
     * changes. Only those no node occupies now are kept. */
    size_t dead = 0;
    for (size_t i = 0; i < u->nloaded; i++) {
        if (!path_live(root, u->loaded[i].p, u->loaded[i].n))
            u->loaded[dead++] = u->loaded[i];
    }
    u->nloaded = dead;
    if (!sl->node)
        return ERR_OK;
    uint8_t path[TRIE_DB_MAX_NIBBLES + 1];
    path[0] = (uint8_t)g->nib;
    return emit(u, sl->node, path, 1);
}

static void par_run(par_t *p)
{
    for (;;) {
        unsigned i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (i >= p->ngroups)
            return;
        group_t *g = &p->g[p->order[i]];
        g->e = group_apply(g, p->root);
    }
}

static void *par_helper(void *arg)
{
    par_run(arg);
    return NULL;
}

static unsigned par_helpers(unsigned ngroups)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long h = cpus > PAR_THREADS ? PAR_THREADS - 1 : cpus - 1;
    if (h > (long)ngroups - 1)
        h = (long)ngroups - 1;
    return h > 0 ? (unsigned)h : 0;
}

/* Root encoded and hashed, then every write: the groups' recorded puts, the root, and the
 * deletions of loaded paths nothing occupies now. */
static err_t par_finish(upd_t *top, par_t *p, hash_t *new_root)
{
    mnode_t *root = p->root;
    TRY(encode_node(top, root));
    root->enc = pool_copy(&top->pool, buf_view(&top->scratch));
    root->kept = bview_eq(root->enc, root->orig);
    root->hash = keccak256_hash(root->enc.p, root->enc.n);
    const trie_store_t *s = top->s;
    for (unsigned i = 0; i < 16; i++) {
        const upd_t *u = &p->g[i].u;
        for (size_t j = 0; j < u->nputs; j++)
            TRY(s->put(s->ctx, bview(u->puts[j].path.p, u->puts[j].path.n), u->puts[j].enc));
    }
    if (!root->kept)
        TRY(s->put(s->ctx, bview(NULL, 0), root->enc));
    TRY(drop_dead(top, root));
    for (unsigned i = 0; i < 16; i++)
        TRY(drop_dead(&p->g[i].u, NULL)); /* their dead paths only (group_apply) */
    *new_root = root->hash;
    return ERR_OK;
}

/* The groups of a batch below root: each nibble's updates, in batch order. */
static par_t *par_new(const upd_t *top, mnode_t *root, const trie_kv_t *updates, size_t n)
{
    par_t *p = RN_NEW(par_t);
    p->root = root;
    p->idx = RN_NEWV(uint32_t, n);
    size_t count[16] = { 0 }, at[16];
    for (size_t i = 0; i < n; i++)
        count[updates[i].key.p[0] >> 4]++;
    for (unsigned g = 0, sum = 0; g < 16; sum += (unsigned)count[g], g++)
        at[g] = sum;
    for (unsigned g = 0; g < 16; g++) {
        group_t *gr = &p->g[g];
        upd_init(&gr->u, top->s, true);
        gr->updates = updates;
        gr->idx = p->idx + at[g];
        gr->n = count[g];
        gr->nib = g;
        if (!count[g])
            continue;
        unsigned j = p->ngroups++; /* insertion: largest first */
        for (; j > 0 && count[p->order[j - 1]] < count[g]; j--)
            p->order[j] = p->order[j - 1];
        p->order[j] = g;
    }
    for (size_t i = 0; i < n; i++)
        p->idx[at[updates[i].key.p[0] >> 4]++] = (uint32_t)i;
    return p;
}

/* The batch on several threads, if its root is a stored branch that stays one; *done false:
 * apply it the ordinary way (nothing was written). */
static err_t par_update(upd_t *top, hash_t *new_root, const trie_kv_t *updates, size_t n,
                        bool *done)
{
    *done = false;
    for (size_t i = 0; i < n; i++) {
        if (updates[i].key.n == 0)
            return ERR_OK; /* a value at the root itself */
    }
    bview_t enc;
    uint8_t path[1];
    err_t e = read_stored(top, &enc, path, 0);
    if (e == ERR_NOT_FOUND)
        return ERR_OK;
    TRY(e);
    mnode_t *root;
    TRY(node_from(top, &root, enc, 0, true));
    if (root->kind != TRIE__BRANCH)
        return ERR_OK;
    par_t *p = par_new(top, root, updates, n);
    pthread_t th[PAR_THREADS];
    unsigned started = 0, want = par_helpers(p->ngroups);
    while (started < want && pthread_create(&th[started], NULL, par_helper, p) == 0)
        started++;
    par_run(p);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (unsigned g = 0; g < 16 && !e; g++)
        e = p->g[g].e;
    unsigned kids = 0;
    for (unsigned i = 0; i < 16; i++)
        kids += root->s[i].node || root->s[i].ref.n;
    if (!e && (kids >= 2 || root->value.n)) {
        e = par_finish(top, p, new_root);
        *done = true;
    }
    for (unsigned g = 0; g < 16; g++)
        upd_deinit(&p->g[g].u);
    rn_free(p->idx);
    rn_free(p);
    return e;
}

err_t trie_db_update(const trie_store_t *s, hash_t *new_root, const trie_kv_t *updates, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (updates[i].key.n > TRIE_DB_MAX_KEY)
            return ERR_TOO_LARGE;
    }
    upd_t u;
    bool done = false;
    err_t e = ERR_OK;
    if (s->get_concurrent && n >= PAR_MIN && n <= UINT32_MAX) {
        upd_init(&u, s, false);
        e = par_update(&u, new_root, updates, n, &done);
        upd_deinit(&u);
    }
    if (!e && !done) {
        upd_init(&u, s, false);
        e = apply(&u, new_root, updates, n);
        upd_deinit(&u);
    }
    return e;
}
