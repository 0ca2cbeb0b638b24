#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "harness.h"
#include "trie/trie.h"

/* Strings starting with 0x are hex, others raw bytes (the TrieTests convention). */
static bview_t str_bytes(const json_t *v, buf_t *store)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    size_t at = store->n;
    if (n >= 2 && s[0] == '0' && s[1] == 'x') {
        if (hex_decode_buf(store, s, n))
            return bview(NULL, 0);
    } else if (buf_append(store, s, n)) {
        return bview(NULL, 0);
    }
    return bview((const uint8_t *)(uintptr_t)at, store->n - at); /* offset; fixed up later */
}

typedef struct pairset {
    trie_kv_t kv[256];
    size_t off_k[256], len_k[256], off_v[256], len_v[256];
    size_t n;
    buf_t store;
} pairset_t;

/* Apply an update: a later value for the same key replaces the earlier one (null deletes). */
static void put(pairset_t *ps, const json_t *k, const json_t *v)
{
    bview_t kb = str_bytes(k, &ps->store);
    size_t ko = (size_t)(uintptr_t)kb.p, kl = kb.n;
    size_t vo = 0, vl = 0;
    if (v && !json_is_null(v)) {
        bview_t vb = str_bytes(v, &ps->store);
        vo = (size_t)(uintptr_t)vb.p;
        vl = vb.n;
    }
    for (size_t i = 0; i < ps->n; i++) {
        if (ps->len_k[i] == kl && !memcmp(ps->store.p + ps->off_k[i], ps->store.p + ko, kl)) {
            ps->off_v[i] = vo;
            ps->len_v[i] = vl;
            return;
        }
    }
    ps->off_k[ps->n] = ko;
    ps->len_k[ps->n] = kl;
    ps->off_v[ps->n] = vo;
    ps->len_v[ps->n] = vl;
    ps->n++;
}

static int run_file(const char *rel, bool secure, int *passed)
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
        pairset_t *ps = calloc(1, sizeof(*ps));
        buf_init(&ps->store, 1 << 20);
        const json_t *in = json_object_get(t, "in");
        if (json_is_array(in)) {
            for (size_t i = 0; i < json_array_size(in); i++) {
                const json_t *p = json_array_get(in, i);
                put(ps, json_array_get(p, 0), json_array_get(p, 1));
            }
        } else {
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)in, k, v)
            {
                json_t *kj = json_string(k);
                put(ps, kj, v);
                json_decref(kj);
            }
        }
        for (size_t i = 0; i < ps->n; i++) {
            ps->kv[i].key = bview(ps->store.p + ps->off_k[i], ps->len_k[i]);
            ps->kv[i].value = bview(ps->store.p + ps->off_v[i], ps->len_v[i]);
        }
        hash_t got, want;
        const char *r = json_string_value(json_object_get(t, "root"));
        err_t e = secure ? trie_root_secure(&got, ps->kv, ps->n) : trie_root(&got, ps->kv, ps->n);
        if (e || !r || hash_from_hex(&want, r, strlen(r)) || !hash_eq(&got, &want)) {
            char gh[67];
            hex_encode_0x(gh, got.b, 32);
            fprintf(stderr, "    %s/%s: root %s, want %s\n", rel, name, gh, r ? r : "?");
            failed++;
        } else {
            (*passed)++;
        }
        buf_deinit(&ps->store);
        free(ps);
    }
    json_decref(root);
    return failed;
}

TEST(trie, official_trietests)
{
    int passed = 0, failed = 0;
    const char *dir = "fixtures/ethereum-tests/ethereum-tests/TrieTests/";

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
        snprintf(rel, sizeof(rel), "%s%s", dir, files[i].file);
        failed += run_file(rel, files[i].secure, &passed);
    }
    printf("    TrieTests: %d passed, %d failed\n", passed, failed);
    CHECK(passed >= 20);
    CHECK_EQ_INT(failed, 0);
}

TEST(trie, empty_and_ordered)
{
    hash_t h;
    CHECK_OK(trie_root(&h, NULL, 0));
    CHECK(hash_eq(&h, &KECCAK_EMPTY_TRIE));
    CHECK_OK(trie_root_ordered(&h, NULL, 0));
    CHECK(hash_eq(&h, &KECCAK_EMPTY_TRIE));
    trie_kv_t dup[2] = { { .key = bview("a", 1), .value = bview("x", 1) },
                         { .key = bview("a", 1), .value = bview("y", 1) } };
    CHECK_ERR(ERR_INVALID_ARG, trie_root(&h, dup, 2));
}

static void check_genesis_root(const char *chain, const char *want_hex)
{
    chain_spec_t *s;
    char diag[256];
    if (chain_spec_load(&s, chain, diag, sizeof(diag)) != ERR_OK) {
        harness_fail(__FILE__, __LINE__, "cannot load %s: %s", chain, diag);
        return;
    }
    hash_t got, want;
    if (hash_from_hex(&want, want_hex, strlen(want_hex)) ||
        chain_genesis_state_root(s, &got) != ERR_OK || !hash_eq(&got, &want)) {
        char gh[67];
        hex_encode_0x(gh, got.b, 32);
        harness_fail(__FILE__, __LINE__, "%s: MPT root %s, want %s", chain, gh, want_hex);
    }
    chain_spec_free(s);
}

TEST(trie, genesis_state_roots_of_scroll_md)
{
    /* SCROLL.md §8.4 and §8.5. */
    check_genesis_root("scroll-mainnet",
                       "0xde286c9c07d977d2cb22984f296743344ffcdb67fc02c131cd43aa94c64df554");
    check_genesis_root("scroll-sepolia",
                       "0x85483b472334a02e4431de92d0ec6513717bd411d2c824a3cb11fccbbc777737");
    check_genesis_root(test_shared_path("fixtures/scroll/genesis/l2reth-genesis-e2e.json"),
                       "0x3f540fe8dd2c5dfa663b31de4d5ac134078555e36657a972a04539b0d679eba8");
    check_genesis_root(test_shared_path("fixtures/scroll/genesis/dev.json"),
                       "0x94bb620fdc2c525d9c5cfc0ea5d0d99838623db80b14be07c62c88040e35f45a");
}

/* The root depends on the set, not the order, and absent (empty) values do not count: random key
 * sets with shared prefixes. (TrieTests and the genesis roots above pin the encoding itself.) */
TEST(trie, order_independence_random)
{
    for (int round = 0; round < 50; round++) {
        size_t n = 1 + (size_t)(test_rand() % 60);
        uint8_t keys[60][8], vals[60][40];
        trie_kv_t a[61], b[61];
        for (size_t i = 0; i < n; i++) {
            test_rand_bytes(keys[i], 8);
            keys[i][0] = (uint8_t)(keys[i][0] & 0x13); /* shared prefixes */
            keys[i][7] = (uint8_t)i;                   /* distinct */
            test_rand_bytes(vals[i], 40);
            a[i].key = bview(keys[i], 8);
            a[i].value = bview(vals[i], 1 + (size_t)(test_rand() % 40));
            b[n - 1 - i] = a[i];
        }
        a[n].key = bview("\xff\xff", 2);
        a[n].value = bview(NULL, 0); /* absent */
        hash_t h1, h2;
        CHECK_OK(trie_root(&h1, a, n + 1));
        CHECK_OK(trie_root(&h2, b, n));
        CHECK(hash_eq(&h1, &h2));
    }
}
