/* Incremental trie (trie_db_*) over the in-memory node store: account updates per second.
 *
 * Method: a secure account trie of 1 000 000 accounts (key keccak256(address), value
 * rlp([nonce, balance, emptyRoot, emptyCodeHash]), about 70 bytes) is built in batches of
 * 10 000. Then each run applies 1 000 updates to random existing accounts (nonce and balance
 * change), either as one batch (one trie_db_update call, a block's worth) or as 1 000 single-key
 * calls; figures are the median of 7 runs (CLOCK_MONOTONIC), with the store calls per update
 * from the store's counters. Proofs: 1 000 trie_db_prove + trie_verify_proof of random
 * accounts. Peer: recomputing the root from scratch with trie_root over the same 1 000 000
 * pairs (one run), the cost a node without an incremental trie pays per block. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "crypto/crypto.h"
#include "trie/trie.h"

enum {
    ACCOUNTS = 1000000,
    BUILD_BATCH = 10000,
    UPDATES = 1000,
    RUNS = 7,
    VAL_CAP = 96
};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return v[n / 2];
}

static uint64_t g_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd64(void)
{
    /* splitmix64 */
    uint64_t z = (g_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct world {
    hash_t *keys;  /**< keccak256(address) */
    uint8_t *vals; /**< VAL_CAP bytes per account */
    size_t *val_n;
} world_t;

static void set_account(world_t *w, size_t i, uint64_t nonce, uint64_t balance)
{
    buf_t b;
    buf_init(&b, VAL_CAP);
    if (trie_account_rlp(&b, nonce, u256_from_u64(balance), &KECCAK_EMPTY_TRIE, &KECCAK_EMPTY) !=
        ERR_OK) {
        fprintf(stderr, "account encoding failed\n");
        exit(1);
    }
    memcpy(w->vals + i * VAL_CAP, b.p, b.n);
    w->val_n[i] = b.n;
    buf_deinit(&b);
}

static trie_kv_t kv_of(const world_t *w, size_t i)
{
    trie_kv_t kv = { bview(w->keys[i].b, 32), bview(w->vals + i * VAL_CAP, w->val_n[i]) };
    return kv;
}

static void must(err_t e, const char *what)
{
    if (e != ERR_OK) {
        fprintf(stderr, "%s failed: %s\n", what, err_str(e));
        exit(1);
    }
}

int main(void)
{
    world_t w;
    w.keys = calloc(ACCOUNTS, sizeof(*w.keys));
    w.vals = calloc(ACCOUNTS, VAL_CAP);
    w.val_n = calloc(ACCOUNTS, sizeof(*w.val_n));
    trie_kv_t *kv = calloc(ACCOUNTS, sizeof(*kv));
    if (!w.keys || !w.vals || !w.val_n || !kv)
        return 1;
    for (size_t i = 0; i < ACCOUNTS; i++) {
        uint8_t addr[20];
        for (int j = 0; j < 20; j += 4) {
            uint64_t r = rnd64();
            memcpy(addr + j, &r, 4);
        }
        w.keys[i] = keccak256_hash(addr, 20);
        set_account(&w, i, 0, rnd64() >> 8);
    }

    trie_mem_store_t *m = trie_mem_store_new();
    trie_store_t s = trie_mem_store(m);
    hash_t root;
    uint64_t t0 = clock_mono_ns();
    for (size_t i = 0; i < ACCOUNTS; i += BUILD_BATCH) {
        for (size_t j = 0; j < BUILD_BATCH; j++)
            kv[j] = kv_of(&w, i + j);
        must(trie_db_update(&s, &root, kv, BUILD_BATCH), "build");
    }
    double build_s = (double)(clock_mono_ns() - t0) / 1e9;
    trie_mem_stats_t st;
    trie_mem_store_stats(m, &st);
    printf("trie_db over the in-memory store, %d accounts (secure keys, ~%zu-byte values)\n",
           ACCOUNTS, w.val_n[0]);
    printf("  build: %.2f s in batches of %d (%.0f inserts/s); %zu nodes, %.1f MB stored\n",
           build_s, BUILD_BATCH, ACCOUNTS / build_s, st.nodes, (double)st.bytes / 1e6);

    /* Updates: one batch of UPDATES, and UPDATES single calls. */
    double rate_batch[RUNS], rate_single[RUNS];
    double calls_batch = 0, calls_single = 0;
    uint64_t nonce = 1;
    for (int run = 0; run < RUNS; run++) {
        size_t idx[UPDATES];
        for (int i = 0; i < UPDATES; i++) {
            idx[i] = (size_t)(rnd64() % ACCOUNTS);
            set_account(&w, idx[i], nonce++, rnd64() >> 8);
            kv[i] = kv_of(&w, idx[i]);
        }
        trie_mem_store_reset_stats(m);
        t0 = clock_mono_ns();
        must(trie_db_update(&s, &root, kv, UPDATES), "batch update");
        rate_batch[run] = UPDATES / ((double)(clock_mono_ns() - t0) / 1e9);
        trie_mem_store_stats(m, &st);
        calls_batch = (double)(st.gets + st.puts + st.dels) / UPDATES;

        for (int i = 0; i < UPDATES; i++) {
            set_account(&w, idx[i], nonce++, rnd64() >> 8);
            kv[i] = kv_of(&w, idx[i]);
        }
        trie_mem_store_reset_stats(m);
        t0 = clock_mono_ns();
        for (int i = 0; i < UPDATES; i++)
            must(trie_db_update(&s, &root, &kv[i], 1), "single update");
        rate_single[run] = UPDATES / ((double)(clock_mono_ns() - t0) / 1e9);
        trie_mem_store_stats(m, &st);
        calls_single = (double)(st.gets + st.puts + st.dels) / UPDATES;
    }
    printf(
        "  %d updates as one batch:   %10.0f updates/s (median of %d), %.1f store calls/update\n",
        UPDATES, median(rate_batch, RUNS), RUNS, calls_batch);
    printf(
        "  %d updates, one call each: %10.0f updates/s (median of %d), %.1f store calls/update\n",
        UPDATES, median(rate_single, RUNS), RUNS, calls_single);

    /* Proofs. */
    buf_t out, v;
    buf_init(&out, 1 << 20);
    buf_init(&v, 1 << 10);
    bview_t nodes[TRIE_PROOF_MAX];
    size_t count = 0, total_nodes = 0;
    t0 = clock_mono_ns();
    for (int i = 0; i < UPDATES; i++) {
        size_t a = (size_t)(rnd64() % ACCOUNTS);
        bool found = false;
        buf_reset(&out);
        buf_reset(&v);
        must(trie_db_prove(&s, &out, nodes, &count, bview(w.keys[a].b, 32)), "prove");
        must(trie_verify_proof(&v, &found, &root, bview(w.keys[a].b, 32), nodes, count), "verify");
        if (!found)
            return 1;
        total_nodes += count;
    }
    double proof_s = (double)(clock_mono_ns() - t0) / 1e9;
    printf("  prove + verify: %.0f proofs/s, %.1f nodes per proof\n", UPDATES / proof_s,
           (double)total_nodes / UPDATES);
    buf_deinit(&v);
    buf_deinit(&out);

    /* Peer: the root from scratch. */
    for (size_t i = 0; i < ACCOUNTS; i++)
        kv[i] = kv_of(&w, i);
    hash_t full;
    t0 = clock_mono_ns();
    must(trie_root(&full, kv, ACCOUNTS), "trie_root");
    double full_s = (double)(clock_mono_ns() - t0) / 1e9;
    printf("  peer: trie_root from scratch over %d pairs: %.2f s (one run); root %s\n", ACCOUNTS,
           full_s, hash_eq(&full, &root) ? "equal" : "DIFFERENT");
    printf("  ratio: a %d-update block costs %.4f of a full recompute\n", UPDATES,
           (UPDATES / median(rate_batch, RUNS)) / full_s);

    trie_mem_store_free(m);
    free(kv);
    free(w.val_n);
    free(w.vals);
    free(w.keys);
    return hash_eq(&full, &root) ? 0 : 1;
}
