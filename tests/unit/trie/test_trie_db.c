/* The persistent, incremental trie (trie_db_*) against the one-pass trie_root() over a reference
 * key set kept here, plus proofs, the TrieTests fixtures applied one update at a time, the
 * no-garbage rule of the store and a count of store calls per update. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "trie/trie.h"

/* ---- reference key set ---- */

enum {
    REF_MAX = 12000,
    VAL_MAX = 48
};

typedef struct ref_set {
    uint8_t key[REF_MAX][32];
    uint8_t val[REF_MAX][VAL_MAX];
    size_t kl[REF_MAX], vl[REF_MAX];
    size_t n;
} ref_set_t;

static size_t ref_find(const ref_set_t *r, const uint8_t *k, size_t kl)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->kl[i] == kl && (kl == 0 || memcmp(r->key[i], k, kl) == 0))
            return i;
    }
    return SIZE_MAX;
}

/* Set (vl > 0) or delete (vl == 0) a key in the reference set. */
static void ref_apply(ref_set_t *r, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    size_t i = ref_find(r, k, kl);
    if (vl == 0) {
        if (i != SIZE_MAX) {
            r->n--;
            memcpy(r->key[i], r->key[r->n], 32);
            memcpy(r->val[i], r->val[r->n], VAL_MAX);
            r->kl[i] = r->kl[r->n];
            r->vl[i] = r->vl[r->n];
        }
        return;
    }
    if (i == SIZE_MAX) {
        i = r->n++;
        if (kl)
            memcpy(r->key[i], k, kl);
        r->kl[i] = kl;
    }
    memcpy(r->val[i], v, vl);
    r->vl[i] = vl;
}

/* trie_root (or trie_root_secure) of the reference set. */
static hash_t ref_root(const ref_set_t *r, bool secure)
{
    trie_kv_t *kv = calloc(r->n + 1, sizeof(*kv));
    for (size_t i = 0; i < r->n; i++) {
        kv[i].key = bview(r->key[i], r->kl[i]);
        kv[i].value = bview(r->val[i], r->vl[i]);
    }
    hash_t h;
    memset(&h, 0, sizeof(h));
    err_t e = secure ? trie_root_secure(&h, kv, r->n) : trie_root(&h, kv, r->n);
    if (e)
        harness_fail(__FILE__, __LINE__, "reference root failed: %s", err_str(e));
    free(kv);
    return h;
}

static void hex_of(char out[67], const hash_t *h)
{
    hex_encode_0x(out, h->b, 32);
}

/* Keys with many shared prefixes: short keys over a tiny alphabet (so some keys are prefixes of
 * others and nodes are small enough to be embedded), and 32-byte keys with a few common leading
 * nibbles. Rarely the empty key. */
static size_t random_key(uint8_t k[32])
{
    static const uint8_t alpha[] = { 0x00, 0x01, 0x10, 0x11, 0x12, 0xff };
    uint64_t r = test_rand() % 100;
    if (r == 0)
        return 0;
    if (r < 50) {
        size_t n = 1 + (size_t)(test_rand() % 4);
        for (size_t i = 0; i < n; i++)
            k[i] = alpha[test_rand() % sizeof(alpha)];
        return n;
    }
    test_rand_bytes(k, 32);
    k[0] = (uint8_t)(k[0] & 0x31);
    if (r < 75)
        k[1] = (uint8_t)(k[1] & 0x03);
    return 32;
}

static size_t random_value(uint8_t v[VAL_MAX])
{
    size_t n = test_rand() % 2 ? 1 + (size_t)(test_rand() % 3) : 1 + (size_t)(test_rand() % 40);
    test_rand_bytes(v, n);
    return n;
}

/* Every key of r reads back with its value; a few absent keys read as absent. */
static bool check_gets(const trie_store_t *s, const ref_set_t *r, size_t sample, bool secure)
{
    buf_t v;
    buf_init(&v, 1 << 16);
    bool ok = true;
    for (size_t j = 0; j < sample && ok && r->n; j++) {
        size_t i = (size_t)(test_rand() % r->n);
        hash_t hk = keccak256_hash(r->key[i], r->kl[i]);
        bview_t key = secure ? bview(hk.b, 32) : bview(r->key[i], r->kl[i]);
        bool found = false;
        buf_reset(&v);
        err_t e = trie_db_get(s, &v, &found, key);
        if (e || !found || v.n != r->vl[i] || memcmp(v.p, r->val[i], v.n) != 0) {
            harness_fail(__FILE__, __LINE__, "get of key %zu: err %s found %d len %zu want %zu", i,
                         err_name(e), found, v.n, r->vl[i]);
            ok = false;
        }
    }
    for (int j = 0; j < 4 && ok; j++) {
        uint8_t k[32];
        size_t kl = random_key(k);
        if (ref_find(r, k, kl) != SIZE_MAX)
            continue;
        hash_t hk = keccak256_hash(k, kl);
        bview_t key = secure ? bview(hk.b, 32) : bview(k, kl);
        bool found = true;
        buf_reset(&v);
        err_t e = trie_db_get(s, &v, &found, key);
        if (e || found) {
            harness_fail(__FILE__, __LINE__, "absent key: err %s found %d", err_name(e), found);
            ok = false;
        }
    }
    buf_deinit(&v);
    return ok;
}

/* Rebuild r from scratch in a fresh store: the incrementally updated store must hold exactly the
 * same nodes (so nothing stale was left behind). */
static bool check_no_garbage(trie_mem_store_t *m, const ref_set_t *r, bool secure)
{
    trie_mem_store_t *fresh = trie_mem_store_new();
    trie_store_t fs = trie_mem_store(fresh);
    trie_kv_t *kv = calloc(r->n + 1, sizeof(*kv));
    hash_t *hk = calloc(r->n + 1, sizeof(*hk));
    for (size_t i = 0; i < r->n; i++) {
        hk[i] = keccak256_hash(r->key[i], r->kl[i]);
        kv[i].key = secure ? bview(hk[i].b, 32) : bview(r->key[i], r->kl[i]);
        kv[i].value = bview(r->val[i], r->vl[i]);
    }
    hash_t h;
    err_t e = trie_db_update(&fs, &h, kv, r->n);
    trie_mem_stats_t a, b;
    trie_mem_store_stats(m, &a);
    trie_mem_store_stats(fresh, &b);
    bool ok = e == ERR_OK && a.nodes == b.nodes && a.bytes == b.bytes;
    if (!ok)
        harness_fail(__FILE__, __LINE__,
                     "store holds %zu nodes / %zu bytes, rebuilt %zu / %zu (%s)", a.nodes, a.bytes,
                     b.nodes, b.bytes, err_name(e));
    free(hk);
    free(kv);
    trie_mem_store_free(fresh);
    return ok;
}

/* Random batches of inserts, updates and deletes; after each, root == trie_root(reference). */
static void random_batches(bool secure, int rounds, size_t max_batch)
{
    ref_set_t *r = calloc(1, sizeof(*r));
    trie_mem_store_t *m = trie_mem_store_new();
    trie_store_t s = trie_mem_store(m);
    s.trusted = test_rand() % 2; /* both load paths: hash-checked and trusted */

    enum {
        BATCH_MAX = 64
    };

    uint8_t keys[BATCH_MAX][32], vals[BATCH_MAX][VAL_MAX], olds[BATCH_MAX][VAL_MAX];
    hash_t hk[BATCH_MAX];
    trie_kv_t kv[BATCH_MAX];
    for (int round = 0; round < rounds; round++) {
        size_t n = 1 + (size_t)(test_rand() % max_batch);
        /* Grow first, then churn around a few hundred keys. */
        unsigned del_pct = r->n < 300 ? 20 : 55;
        for (size_t i = 0; i < n; i++) {
            size_t kl;
            if (r->n && test_rand() % 2) {
                size_t j = (size_t)(test_rand() % r->n);
                kl = r->kl[j];
                memcpy(keys[i], r->key[j], kl);
            } else {
                kl = random_key(keys[i]);
            }
            size_t vl = test_rand() % 100 < del_pct ? 0 : random_value(vals[i]);
            hk[i] = keccak256_hash(keys[i], kl);
            kv[i].key = secure ? bview(hk[i].b, 32) : bview(keys[i], kl);
            kv[i].value = bview(vals[i], vl);
            /* The stored-value hint: right, wrong or absent (a wrong one must not matter). */
            size_t j = ref_find(r, keys[i], kl), ol = 0;
            unsigned pick = (unsigned)(test_rand() % 4);
            if (pick < 2 && j != SIZE_MAX) {
                ol = r->vl[j];
                memcpy(olds[i], r->val[j], ol);
            } else if (pick == 2) {
                ol = random_value(olds[i]);
            }
            kv[i].old = bview(olds[i], ol);
            ref_apply(r, keys[i], kl, vals[i], vl);
        }
        hash_t got, want = ref_root(r, secure);
        err_t e = trie_db_update(&s, &got, kv, n);
        hash_t stored;
        CHECK_OK(trie_db_root(&s, &stored));
        if (e || !hash_eq(&got, &want) || !hash_eq(&stored, &got)) {
            char g[67], w[67];
            hex_of(g, &got);
            hex_of(w, &want);
            harness_fail(__FILE__, __LINE__, "round %d (%zu keys): %s root %s, want %s", round,
                         r->n, err_name(e), g, w);
            break;
        }
        if (!check_gets(&s, r, 8, secure))
            break;
        if (round % 100 == 99 && !check_no_garbage(m, r, secure))
            break;
    }
    /* Delete everything: the empty root, and an empty store. */
    if (r->n) {
        trie_kv_t *all = calloc(r->n, sizeof(*all));
        hash_t *ah = calloc(r->n, sizeof(*ah));
        for (size_t i = 0; i < r->n; i++) {
            ah[i] = keccak256_hash(r->key[i], r->kl[i]);
            all[i].key = secure ? bview(ah[i].b, 32) : bview(r->key[i], r->kl[i]);
            all[i].value = bview(NULL, 0);
        }
        hash_t h;
        err_t e = trie_db_update(&s, &h, all, r->n);
        free(all);
        free(ah);
        CHECK_OK(e);
        CHECK(hash_eq(&h, &KECCAK_EMPTY_TRIE));
        trie_mem_stats_t st;
        trie_mem_store_stats(m, &st);
        CHECK_EQ_U64(st.nodes, 0);
    }
    trie_mem_store_free(m);
    free(r);
}

TEST(trie_db, random_batches_match_trie_root)
{
    random_batches(false, 3000, 24);
}

TEST(trie_db, random_batches_secure_match_trie_root_secure)
{
    random_batches(true, 1500, 40);
}

TEST(trie_db, single_updates_then_delete_all_in_random_order)
{
    ref_set_t *r = calloc(1, sizeof(*r));
    trie_mem_store_t *m = trie_mem_store_new();
    trie_store_t s = trie_mem_store(m);
    for (int i = 0; i < 400; i++) {
        uint8_t k[32], v[VAL_MAX];
        size_t kl = random_key(k), vl = random_value(v);
        ref_apply(r, k, kl, v, vl);
        trie_kv_t kv = { .key = bview(k, kl), .value = bview(v, vl) };
        hash_t h;
        CHECK_OK(trie_db_update(&s, &h, &kv, 1));
    }
    hash_t h, want = ref_root(r, false);
    CHECK_OK(trie_db_root(&s, &h));
    CHECK(hash_eq(&h, &want));
    while (r->n) {
        size_t i = (size_t)(test_rand() % r->n);
        uint8_t k[32];
        size_t kl = r->kl[i];
        memcpy(k, r->key[i], kl);
        ref_apply(r, k, kl, NULL, 0);
        trie_kv_t kv = { .key = bview(k, kl), .value = bview(NULL, 0) };
        CHECK_OK(trie_db_update(&s, &h, &kv, 1));
        want = ref_root(r, false);
        CHECK(hash_eq(&h, &want));
    }
    CHECK(hash_eq(&h, &KECCAK_EMPTY_TRIE));
    trie_mem_stats_t st;
    trie_mem_store_stats(m, &st);
    CHECK_EQ_U64(st.nodes, 0);
    /* Deleting from an empty trie, and an empty batch, are no-ops. */
    trie_kv_t kv = { .key = bview("a", 1), .value = bview(NULL, 0) };
    CHECK_OK(trie_db_update(&s, &h, &kv, 1));
    CHECK(hash_eq(&h, &KECCAK_EMPTY_TRIE));
    CHECK_OK(trie_db_update(&s, &h, NULL, 0));
    CHECK(hash_eq(&h, &KECCAK_EMPTY_TRIE));
    trie_mem_store_free(m);
    free(r);
}

TEST(trie_db, duplicate_keys_in_a_batch_last_wins_and_long_keys_rejected)
{
    trie_mem_store_t *m = trie_mem_store_new();
    trie_store_t s = trie_mem_store(m);
    trie_kv_t kv[4] = { { .key = bview("dog", 3), .value = bview("a", 1) },
                        { .key = bview("dog", 3), .value = bview("puppy", 5) },
                        { .key = bview("cat", 3), .value = bview("x", 1) },
                        { .key = bview("cat", 3), .value = bview(NULL, 0) } };
    hash_t h, want;
    CHECK_OK(trie_db_update(&s, &h, kv, 4));
    trie_kv_t ref[1] = { { .key = bview("dog", 3), .value = bview("puppy", 5) } };
    CHECK_OK(trie_root(&want, ref, 1));
    CHECK(hash_eq(&h, &want));
    uint8_t big[TRIE_DB_MAX_KEY + 1] = { 0 };
    trie_kv_t bad = { .key = bview(big, sizeof(big)), .value = bview("v", 1) };
    CHECK_ERR(ERR_TOO_LARGE, trie_db_update(&s, &h, &bad, 1));
    buf_t v;
    buf_init(&v, 64);
    bool found;
    CHECK_ERR(ERR_TOO_LARGE, trie_db_get(&s, &v, &found, bview(big, sizeof(big))));
    buf_deinit(&v);
    trie_mem_store_free(m);
}

/* ---- proofs ---- */

TEST(trie_db, proofs_verify_and_reject_tampering)
{
    ref_set_t *r = calloc(1, sizeof(*r));
    trie_mem_store_t *m = trie_mem_store_new();
    trie_store_t s = trie_mem_store(m);
    buf_t out, v, copy;
    buf_init(&out, 1 << 20);
    buf_init(&v, 1 << 16);
    buf_init(&copy, 1 << 16);
    bview_t nodes[TRIE_PROOF_MAX];
    size_t count = 0;
    bool found = true;
    hash_t root;

    /* Empty trie: no nodes, and the empty root proves every key absent. */
    CHECK_OK(trie_db_prove(&s, &out, nodes, &count, bview("k", 1)));
    CHECK_EQ_U64(count, 0);
    CHECK_OK(trie_verify_proof(&v, &found, &KECCAK_EMPTY_TRIE, bview("k", 1), nodes, 0));
    CHECK(!found);

    for (int i = 0; i < 600; i++) {
        uint8_t k[32], val[VAL_MAX];
        size_t kl = random_key(k), vl = random_value(val);
        ref_apply(r, k, kl, val, vl);
    }
    trie_kv_t *kv = calloc(r->n, sizeof(*kv));
    for (size_t i = 0; i < r->n; i++)
        kv[i] =
            (trie_kv_t){ .key = bview(r->key[i], r->kl[i]), .value = bview(r->val[i], r->vl[i]) };
    CHECK_OK(trie_db_update(&s, &root, kv, r->n));
    free(kv);

    hash_t wrong = root;
    wrong.b[5] ^= 1;
    int tampered = 0;
    for (int t = 0; t < 400; t++) {
        uint8_t k[32];
        size_t kl;
        bool present = t % 2 == 0;
        size_t ri = SIZE_MAX;
        if (present) {
            ri = (size_t)(test_rand() % r->n);
            kl = r->kl[ri];
            memcpy(k, r->key[ri], kl);
        } else {
            kl = random_key(k);
            ri = ref_find(r, k, kl);
            present = ri != SIZE_MAX;
        }
        buf_reset(&out);
        CHECK_OK(trie_db_prove(&s, &out, nodes, &count, bview(k, kl)));
        CHECK(count >= 1);
        buf_reset(&v);
        CHECK_OK(trie_verify_proof(&v, &found, &root, bview(k, kl), nodes, count));
        CHECK_EQ_INT(found, present);
        if (present)
            CHECK_MEM_EQ(v.p, v.n, r->val[ri], r->vl[ri]);
        CHECK_ERR(ERR_TRIE_BAD_PROOF,
                  trie_verify_proof(&v, &found, &wrong, bview(k, kl), nodes, count));
        /* Flip one byte of one node: its hash no longer matches its parent's reference. */
        size_t which = (size_t)(test_rand() % count);
        buf_reset(&copy);
        CHECK_OK(buf_append(&copy, nodes[which].p, nodes[which].n));
        copy.p[test_rand() % copy.n] ^= 0x40;
        bview_t saved = nodes[which];
        nodes[which] = buf_view(&copy);
        CHECK_ERR(ERR_TRIE_BAD_PROOF,
                  trie_verify_proof(&v, &found, &root, bview(k, kl), nodes, count));
        nodes[which] = saved;
        /* Dropping the last node leaves the walk without a node it needs. */
        CHECK_ERR(ERR_TRIE_BAD_PROOF,
                  trie_verify_proof(&v, &found, &root, bview(k, kl), nodes, count - 1));
        tampered++;
    }
    CHECK_EQ_INT(tampered, 400);
    buf_deinit(&copy);
    buf_deinit(&v);
    buf_deinit(&out);
    trie_mem_store_free(m);
    free(r);
}

/* ---- corrupt stores ---- */

TEST(trie_db, corrupt_or_missing_nodes_are_errors)
{
    trie_mem_store_t *m = trie_mem_store_new();
    trie_store_t s = trie_mem_store(m);

    enum {
        N = 2000
    };

    uint8_t(*keys)[32] = calloc(N, 32);
    trie_kv_t *kv = calloc(N, sizeof(*kv));
    for (size_t i = 0; i < N; i++) {
        test_rand_bytes(keys[i], 32);
        kv[i] = (trie_kv_t){ .key = bview(keys[i], 32), .value = bview(keys[i], 32) };
    }
    hash_t h;
    CHECK_OK(trie_db_update(&s, &h, kv, N));
    /* The first stored node below the root on key 0's path. */
    uint8_t path[64];
    for (size_t i = 0; i < 64; i++)
        path[i] = (uint8_t)(i % 2 ? keys[0][i / 2] & 0x0f : keys[0][i / 2] >> 4);
    size_t plen = 1;
    bview_t node;
    while (plen < 64 && s.get(s.ctx, bview(path, plen), &node) != ERR_OK)
        plen++;
    CHECK(plen < 64);
    uint8_t *orig = malloc(node.n);
    size_t on = node.n;
    memcpy(orig, node.p, on);
    buf_t v;
    buf_init(&v, 1 << 16);
    bool found;
    trie_kv_t one = { .key = bview(keys[0], 32), .value = bview("new", 3) };

    /* Valid RLP, wrong hash. */
    orig[on - 1] ^= 1;
    CHECK_OK(s.put(s.ctx, bview(path, plen), bview(orig, on)));
    CHECK_ERR(ERR_TRIE_CORRUPT, trie_db_get(&s, &v, &found, bview(keys[0], 32)));
    CHECK_ERR(ERR_TRIE_CORRUPT, trie_db_update(&s, &h, &one, 1));
    /* Missing. */
    CHECK_OK(s.del(s.ctx, bview(path, plen)));
    CHECK_ERR(ERR_TRIE_CORRUPT, trie_db_get(&s, &v, &found, bview(keys[0], 32)));
    CHECK_ERR(ERR_TRIE_CORRUPT, trie_db_update(&s, &h, &one, 1));
    /* Malformed root. */
    CHECK_OK(s.put(s.ctx, bview(NULL, 0), bview("\xc2\x01\x02", 3)));
    CHECK_ERR(ERR_TRIE_CORRUPT, trie_db_get(&s, &v, &found, bview(keys[0], 32)));
    CHECK_ERR(ERR_TRIE_CORRUPT, trie_db_update(&s, &h, &one, 1));
    CHECK_OK(s.put(s.ctx, bview(NULL, 0), bview("\x01", 1)));
    CHECK_ERR(ERR_TRIE_CORRUPT, trie_db_get(&s, &v, &found, bview(keys[0], 32)));
    buf_deinit(&v);
    free(orig);
    free(kv);
    free(keys);
    trie_mem_store_free(m);
}

/* ---- incrementality ---- */

TEST(trie_db, one_update_touches_only_its_path)
{
    trie_mem_store_t *m = trie_mem_store_new();
    trie_store_t s = trie_mem_store(m);

    enum {
        N = 10000
    };

    uint8_t(*keys)[32] = calloc(N, 32);
    trie_kv_t *kv = calloc(N, sizeof(*kv));
    for (size_t i = 0; i < N; i++) {
        test_rand_bytes(keys[i], 32);
        kv[i] = (trie_kv_t){ .key = bview(keys[i], 32), .value = bview(keys[i], 32) };
    }
    hash_t h;
    for (size_t i = 0; i < N; i += 1000)
        CHECK_OK(trie_db_update(&s, &h, kv + i, 1000));
    trie_mem_stats_t st;
    uint64_t worst = 0;
    for (int t = 0; t < 30; t++) {
        uint8_t k[32], val[8];
        test_rand_bytes(val, sizeof(val));
        trie_kv_t one;
        switch (t % 3) {
        case 0: /* update an existing key */
            one = (trie_kv_t){ .key = bview(keys[test_rand() % N], 32), .value = bview(val, 8) };
            break;
        case 1: /* insert a new key */
            test_rand_bytes(k, 32);
            one = (trie_kv_t){ .key = bview(k, 32), .value = bview(val, 8) };
            break;
        default: /* delete a key */
            one = (trie_kv_t){ .key = bview(keys[test_rand() % N], 32), .value = bview(NULL, 0) };
            break;
        }
        trie_mem_store_reset_stats(m);
        CHECK_OK(trie_db_update(&s, &h, &one, 1));
        trie_mem_store_stats(m, &st);
        uint64_t touched = st.gets + st.puts + st.dels;
        if (touched > worst)
            worst = touched;
        CHECK(touched < 20);
    }
    trie_mem_store_stats(m, &st);
    printf("    10000 keys, %zu stored nodes: at most %" PRIu64
           " store calls for one update (gets+puts+dels)\n",
           st.nodes, worst);
    free(kv);
    free(keys);
    trie_mem_store_free(m);
}

/* ---- TrieTests, applied one update at a time ---- */

/* Strings starting with 0x are hex, others raw bytes (the TrieTests convention). */
static bool json_bytes(buf_t *out, const json_t *v)
{
    const char *str = json_string_value(v);
    size_t n = json_string_length(v);
    buf_reset(out);
    if (!str)
        return false;
    if (n >= 2 && str[0] == '0' && str[1] == 'x')
        return hex_decode_buf(out, str, n) == ERR_OK;
    return buf_append(out, str, n) == ERR_OK;
}

static bool apply_one(const trie_store_t *s, const json_t *k, const json_t *v, bool secure)
{
    buf_t kb, vb;
    buf_init(&kb, 1 << 16);
    buf_init(&vb, 1 << 16);
    bool ok = json_bytes(&kb, k);
    if (ok && v && !json_is_null(v))
        ok = json_bytes(&vb, v);
    hash_t hk = keccak256_hash(kb.p, kb.n);
    trie_kv_t kv = { .key = secure ? bview(hk.b, 32) : buf_view(&kb), .value = buf_view(&vb) };
    hash_t h;
    if (ok)
        ok = trie_db_update(s, &h, &kv, 1) == ERR_OK;
    buf_deinit(&kb);
    buf_deinit(&vb);
    return ok;
}

static int run_fixture(const char *rel, bool secure, int *passed)
{
    json_error_t jerr;
    json_t *root = json_load_file(test_shared_path(rel), 0, &jerr);
    if (!root) {
        fprintf(stderr, "    cannot load %s: %s\n", rel, jerr.text);
        return 1;
    }
    int failed = 0;
    const char *name;
    json_t *t;
    json_object_foreach(root, name, t)
    {
        trie_mem_store_t *m = trie_mem_store_new();
        trie_store_t s = trie_mem_store(m);
        const json_t *in = json_object_get(t, "in");
        bool ok = true;
        if (json_is_array(in)) {
            for (size_t i = 0; i < json_array_size(in) && ok; i++) {
                const json_t *p = json_array_get(in, i);
                ok = apply_one(&s, json_array_get(p, 0), json_array_get(p, 1), secure);
            }
        } else {
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)in, k, v)
            {
                json_t *kj = json_string(k);
                if (ok)
                    ok = apply_one(&s, kj, v, secure);
                json_decref(kj);
            }
        }
        hash_t got, want;
        const char *r = json_string_value(json_object_get(t, "root"));
        if (!ok || trie_db_root(&s, &got) || !r || hash_from_hex(&want, r, strlen(r)) ||
            !hash_eq(&got, &want)) {
            char gh[67];
            hex_of(gh, &got);
            fprintf(stderr, "    %s/%s: root %s, want %s\n", rel, name, gh, r ? r : "?");
            failed++;
        } else {
            (*passed)++;
        }
        trie_mem_store_free(m);
    }
    json_decref(root);
    return failed;
}

TEST(trie_db, official_trietests_incremental)
{
    int passed = 0, failed = 0;

    static const struct {
        const char *file;
        bool secure;
    } files[] = {
        { "trietest.json", false },
        { "trieanyorder.json", false },
        { "trietest_secureTrie.json", true },
        { "trieanyorder_secureTrie.json", true },
        { "hex_encoded_securetrie_test.json", true },
    };

    for (size_t i = 0; i < RN_ARRAY_LEN(files); i++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "fixtures/ethereum-tests/ethereum-tests/TrieTests/%s",
                 files[i].file);
        failed += run_fixture(rel, files[i].secure, &passed);
    }
    printf("    TrieTests (incremental): %d passed, %d failed\n", passed, failed);
    CHECK(passed >= 20);
    CHECK_EQ_INT(failed, 0);
}

/* The stored-value hint: a right one saves reading the key's leaf, a wrong one changes nothing
 * but the reads. Both give the same root. */
TEST(trie_db, old_value_hint_skips_the_leaf_read)
{
    enum {
        N = 2000
    };

    trie_mem_store_t *m = trie_mem_store_new();
    trie_store_t s = trie_mem_store(m);
    static uint8_t keys[N][32];
    trie_kv_t *kv = calloc(N, sizeof(*kv));
    for (int i = 0; i < N; i++) {
        uint32_t x = (uint32_t)i * 2654435761u;
        keccak256(keys[i], (const uint8_t *)&x, 4);
        kv[i] = (trie_kv_t){ .key = bview(keys[i], 32), .value = bview(keys[i], 32) };
    }
    hash_t h0;
    CHECK_OK(trie_db_update(&s, &h0, kv, N));
    free(kv);
    uint64_t gets[3];
    hash_t roots[3];
    for (int mode = 0; mode < 3; mode++) { /* no hint, right hint, wrong hint */
        trie_mem_store_t *c = trie_mem_store_new();
        trie_store_t cs = trie_mem_store(c);
        kv = calloc(N, sizeof(*kv));
        for (int i = 0; i < N; i++)
            kv[i] = (trie_kv_t){ .key = bview(keys[i], 32), .value = bview(keys[i], 32) };
        hash_t h;
        CHECK_OK(trie_db_update(&cs, &h, kv, N));
        free(kv);
        trie_mem_store_reset_stats(c);
        trie_kv_t one = { .key = bview(keys[7], 32), .value = bview("new value", 9) };
        if (mode == 1)
            one.old = bview(keys[7], 32);
        if (mode == 2)
            one.old = bview("something else", 14);
        CHECK_OK(trie_db_update(&cs, &roots[mode], &one, 1));
        trie_mem_stats_t st;
        trie_mem_store_stats(c, &st);
        gets[mode] = st.gets;
        trie_mem_store_free(c);
    }
    CHECK(hash_eq(&roots[0], &roots[1]) && hash_eq(&roots[0], &roots[2]));
    CHECK_EQ_U64(gets[1], gets[0] - 1);
    CHECK_EQ_U64(gets[2], gets[0]);
    trie_mem_store_free(m);
}

/* Batches of 256 keys or more are spread over helper threads when the store has get_concurrent
 * (trie_db.c, "large batches"). The same batches through a store without it must leave the same
 * root and the same stored nodes: batches of inserts, updates and deletes, one into an empty
 * store and one over a single key (the root is not a branch: one thread), one that leaves a
 * single key (the root collapses: the work is redone on one thread), and one that deletes all. */
static void helper_threads_equal_one_thread(bool secure)
{
    enum {
        B = REF_MAX
    };

    ref_set_t *r = calloc(1, sizeof(*r));
    trie_mem_store_t *mp = trie_mem_store_new(), *ms = trie_mem_store_new();
    trie_store_t sp = trie_mem_store(mp), ss = trie_mem_store(ms);
    CHECK(sp.get_concurrent != NULL);
    ss.get_concurrent = NULL;
    sp.trusted = ss.trusted = test_rand() % 2;
    static uint8_t keys[B][32], vals[B][VAL_MAX], olds[B][VAL_MAX];
    static size_t kls[B];
    static hash_t hk[B];
    trie_kv_t *kv = calloc(B, sizeof(*kv));
    for (int round = 0; round < 30; round++) {
        /* Round 0: one key (the next batch finds a leaf at the root). */
        size_t n = round == 0 ? 1 : 256 + (size_t)(test_rand() % 700);
        unsigned del_pct = round < 8 ? 10 : r->n < 6000 ? 40 : 90;
        bool leave_one = round == 20 && r->n > 257, all = round == 29;
        if (leave_one || all) { /* every key but (leave_one) the last: deleted */
            n = r->n - (leave_one ? 1 : 0);
            for (size_t i = 0; i < n; i++) {
                kls[i] = r->kl[i];
                memcpy(keys[i], r->key[i], r->kl[i]);
            }
        }
        for (size_t i = 0; i < n; i++) {
            size_t kl, vl = 0;
            if (leave_one || all) {
                kl = kls[i];
            } else {
                if (r->n && test_rand() % 3 == 0) {
                    size_t j = (size_t)(test_rand() % r->n);
                    kl = r->kl[j];
                    memcpy(keys[i], r->key[j], kl);
                } else if (secure) {
                    kl = 32;
                    test_rand_bytes(keys[i], 32);
                } else {
                    kl = random_key(keys[i]);
                }
                vl = test_rand() % 100 < del_pct ? 0 : random_value(vals[i]);
            }
            hk[i] = keccak256_hash(keys[i], kl);
            kv[i].key = secure ? bview(hk[i].b, 32) : bview(keys[i], kl);
            kv[i].value = bview(vals[i], vl);
            size_t j = ref_find(r, keys[i], kl), ol = 0;
            if (j != SIZE_MAX && test_rand() % 2) {
                ol = r->vl[j];
                memcpy(olds[i], r->val[j], ol);
            }
            kv[i].old = bview(olds[i], ol);
            ref_apply(r, keys[i], kl, vals[i], vl);
        }
        hash_t hp, hs, want = ref_root(r, secure);
        err_t ep = trie_db_update(&sp, &hp, kv, n), es = trie_db_update(&ss, &hs, kv, n);
        trie_mem_stats_t a, b;
        trie_mem_store_stats(mp, &a);
        trie_mem_store_stats(ms, &b);
        if (ep || es || !hash_eq(&hp, &want) || !hash_eq(&hs, &want) || a.nodes != b.nodes ||
            a.bytes != b.bytes) {
            harness_fail(__FILE__, __LINE__,
                         "round %d (%zu updates, %zu keys): %s / %s, nodes %zu / %zu, bytes %zu / "
                         "%zu, roots %s",
                         round, n, r->n, err_name(ep), err_name(es), (size_t)a.nodes,
                         (size_t)b.nodes, (size_t)a.bytes, (size_t)b.bytes,
                         hash_eq(&hp, &hs) ? "equal" : "differ");
            break;
        }
        if (!check_gets(&sp, r, 16, secure) ||
            (round % 10 == 9 && !check_no_garbage(mp, r, secure)))
            break;
    }
    trie_mem_stats_t st;
    trie_mem_store_stats(mp, &st);
    CHECK_EQ_U64(st.nodes, 0);
    /* A bad node met on a helper thread fails the whole update, and nothing is written. */
    for (size_t i = 0; i < 600; i++) {
        test_rand_bytes(keys[i], 32);
        kv[i] = (trie_kv_t){ .key = bview(keys[i], 32), .value = bview(keys[i], 20) };
    }
    hash_t h;
    CHECK_OK(trie_db_update(&sp, &h, kv, 600));
    for (uint8_t nib = 0; nib < 16; nib++)
        CHECK_OK(sp.put(sp.ctx, bview(&nib, 1), bview("\x01\x02\x03", 3)));
    trie_mem_store_stats(mp, &st);
    for (size_t i = 0; i < 600; i++)
        kv[i].value = bview(keys[i], 10);
    CHECK_EQ_INT(trie_db_update(&sp, &h, kv, 600), ERR_TRIE_CORRUPT);
    trie_mem_stats_t after;
    trie_mem_store_stats(mp, &after);
    CHECK_EQ_U64(after.puts, st.puts);
    CHECK_EQ_U64(after.dels, st.dels);
    free(kv);
    trie_mem_store_free(mp);
    trie_mem_store_free(ms);
    free(r);
}

TEST(trie_db, large_batches_on_helper_threads_equal_one_thread)
{
    helper_threads_equal_one_thread(false);
}

TEST(trie_db, large_batches_on_helper_threads_equal_one_thread_secure)
{
    helper_threads_equal_one_thread(true);
}
