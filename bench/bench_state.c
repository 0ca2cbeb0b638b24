/* Block execution over a large state in LMDB (issue #4): per block, the time to execute the
 * transactions, to write the state and compute the root (flat tables, change sets, history,
 * incremental tries), and to store the block and commit (durable: fsync).
 *
 * Method: a fresh datadir with the dev genesis plus 1 000 000 random accounts (flat table and
 * tries built once, untimed), 2 000 funded senders, and a minimal ERC-20 (our own 103-byte
 * runtime: balances at keccak(address ‖ 0), a Transfer log). Transactions are signed, and
 * their compressed sizes for the L1 fee taken, and they are queued in a transaction pool,
 * before the timed window, as the sequencer's intake does; the timed block takes them from the
 * pool best first and decodes each, as the sequencer's payload does. Blocks: 1 000 ETH transfers to
 * random existing accounts; 300 ERC-20 transfers; and one block of 20 000 transfers (gas limit
 * raised to 1 G, the BENCHMARKS.md peer figure). Each kind runs 7 blocks; the table shows medians
 * (min–max) in milliseconds. Gas limits: the 1 000-transfer block needs 21 M gas, above the dev
 * chain's 20 M, so it runs at 30 M. Peer: no other Scroll node runs here; bench/block.mjs times
 * anvil's block of the same transfers in the same run, next to this program's. The goal for
 * a 1 000-transfer block is 50 ms. BENCH_STATE_ACCOUNTS=0 runs the same blocks over the dev genesis
 * alone, every transfer to a fresh address (anvil's setting for its figure). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "evm/evm.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"
#include "state/state.h"
#include "trie/trie.h"
#include "txpool/txpool.h"

enum {
    ACCOUNTS = 1000000,
    SENDERS = 2000,
    RUNS = 7,
};

static const char TOKEN_HEX[] =
    "33600052604060002080546024358082106062578181900383556004356000526040600020805482019055"
    "600052600435337fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef602060"
    "00a3600160005260206000f35b600080fd";

static uint64_t g_state = 0x9e3779b97f4a7c15ull;

/* BENCH_STATE_ACCOUNTS=N: the state's size (default 1 000 000); 0 sends to fresh addresses. */
static size_t g_accounts = ACCOUNTS;

/* BENCH_STATE_PERF_CTL=FIFO: perf's control FIFO (perf record -D -1 --control fifo:FIFO):
 * recording is enabled only over each block's timed window, not while signing. */
static FILE *g_perf;

static void perf_ctl(const char *cmd)
{
    if (g_perf) {
        fputs(cmd, g_perf);
        fflush(g_perf);
    }
}

static uint64_t rnd(void)
{
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return g_state;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct sender {
    uint8_t sk[32];
    addr_t addr;
    uint64_t nonce;
} sender_t;

static sender_t senders[SENDERS];
static addr_t *accounts;
static addr_t token;

static void die(const char *what, err_t e)
{
    fprintf(stderr, "bench_state: %s: %s\n", what, err_str(e));
    exit(1);
}

static void put_account(db_txn_t *w, const addr_t *a, uint64_t nonce, u256_t bal,
                        const uint8_t *code, size_t n)
{
    buf_t v;
    buf_init(&v, 256);
    hash_t ch = n ? keccak256_hash(code, n) : KECCAK_EMPTY;
    err_t e = trie_account_rlp(&v, nonce, bal, &KECCAK_EMPTY_TRIE, &ch);
    if (!e)
        e = db_put(w, DB_ACCOUNTS, bview(a->b, 20), buf_view(&v));
    if (!e && n)
        e = db_put(w, DB_CODE, bview(ch.b, 32), bview(code, n));
    if (e)
        die("put account", e);
    buf_deinit(&v);
}

static void token_slot(uint8_t key[52], const addr_t *holder)
{
    uint8_t pre[64] = { 0 };
    memcpy(pre + 12, holder->b, 20);
    memcpy(key, token.b, 20);
    keccak256(key + 20, pre, 64);
}

static db_t *setup(const char *dir, const chain_spec_t *spec)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/db", dir);
    db_t *db;
    db_txn_t *w;
    hash_t g;
    bool written;
    char diag[256];
    err_t e = db_open(&db, path, 0, DB_OPEN_NOSYNC, diag, sizeof(diag));
    if (!e)
        e = db_txn_begin(db, DB_TXN_WRITE, &w);
    if (!e)
        e = chain_genesis_init(w, spec, &g, &written, diag, sizeof(diag));
    if (e)
        die("genesis", e);
    accounts = RN_NEWV(addr_t, g_accounts ? g_accounts : 1);
    u256_t one_eth = u256_from_u64(1000000000000000000ull);
    for (size_t i = 0; i < g_accounts; i++) {
        for (int k = 0; k < 20; k += 8) {
            uint64_t r = rnd();
            memcpy(accounts[i].b + k, &r, k + 8 <= 20 ? 8 : 4);
        }
        put_account(w, &accounts[i], rnd() % 100, one_eth, NULL, 0);
    }
    uint8_t tok[sizeof(TOKEN_HEX) / 2];
    if (hex_decode_fixed(tok, sizeof(tok), TOKEN_HEX, sizeof(TOKEN_HEX) - 1) != ERR_OK)
        die("token code", ERR_INVALID_ARG);
    memset(token.b, 0x7a, 20);
    put_account(w, &token, 1, u256_from_u64(0), tok, sizeof(tok));
    u256_t rich = u256_mul(one_eth, u256_from_u64(1000000));
    for (int i = 0; i < SENDERS; i++) {
        memset(senders[i].sk, 0, 32);
        senders[i].sk[30] = (uint8_t)((i + 1) >> 8);
        senders[i].sk[31] = (uint8_t)(i + 1);
        if (addr_from_seckey(&senders[i].addr, senders[i].sk) != ERR_OK)
            die("key", ERR_INVALID_ARG);
        put_account(w, &senders[i].addr, 0, rich, NULL, 0);
        uint8_t key[52];
        token_slot(key, &senders[i].addr);
        uint8_t big[4] = { 0x7f, 0xff, 0xff, 0xff };
        if ((e = db_put(w, DB_STORAGE, bview(key, 52), bview(big, 4))) != ERR_OK)
            die("token balance", e);
    }
    if ((e = state_db_build_tries(w)) != ERR_OK)
        die("tries", e);
    /* The head's header keeps the genesis root; the builder does not read it. */
    if ((e = db_txn_commit(w)) != ERR_OK)
        die("commit", e);
    db_close(db);
    return NULL;
}

/* Open the datadir as the node does: genesis checked and the tries caught up (decision 0019). */
static db_t *open_db(const char *path, const chain_spec_t *spec, db_open_flags_t flags)
{
    db_t *db;
    db_txn_t *w;
    hash_t g;
    bool written;
    char diag[256] = "";
    err_t e = db_open(&db, path, 0, flags, diag, sizeof(diag));
    if (!e)
        e = db_txn_begin(db, DB_TXN_WRITE, &w);
    if (!e)
        e = chain_genesis_init(w, spec, &g, &written, diag, sizeof(diag));
    if (!e)
        e = db_txn_commit(w);
    if (e)
        die(diag, e);
    /* BENCH_WB_FLUSH_EVERY=N: the trie write-back interval in blocks (default: the node's). */
    const char *fe = getenv("BENCH_WB_FLUSH_EVERY");
    const char *cm = getenv("BENCH_WB_CACHE_MB");
    if ((fe && atoi(fe) > 0) || (cm && atoi(cm) > 0)) {
        db_writeback_opts_t o;
        db_writeback_defaults(&o);
        if (fe && atoi(fe) > 0)
            o.flush_every = (uint32_t)atoi(fe);
        if (cm && atoi(cm) > 0)
            o.cache_bytes = (uint64_t)atoi(cm) << 20;
        db_writeback_configure(db, &o);
    }
    return db;
}

typedef struct timing {
    double exec, root, commit, total;
    double between; /**< the commit after the block (index batches, write-back), as the node's */
    double cpu;     /**< CPU time of the block's thread over exec..commit (wall minus waits) */
} timing_t;

/* Build, seal and commit one block of n transactions of kind (0 transfer, 1 ERC-20). */
static timing_t one_block(db_t *db, const chain_spec_t *spec, evm_t *evm, size_t n, int kind,
                          uint64_t gas_limit)
{
    tx_t *txs = RN_NEWV(tx_t, n);
    buf_t *raws = RN_NEWV(buf_t, n);
    addr_t *from = RN_NEWV(addr_t, n);
    size_t *zs = RN_NEWV(size_t, n);
    uint64_t *state_nonce = RN_NEWV(uint64_t, n); /* the sender's nonce before this block */
    for (size_t i = 0; i < n; i++) {
        sender_t *s = &senders[i % SENDERS];
        state_nonce[i] = i < SENDERS ? s->nonce : state_nonce[i - SENDERS];
        tx_t *tx = &txs[i];
        tx->type = TX_DYNAMIC_FEE;
        tx->has_chain_id = true;
        tx->chain_id = u256_from_u64(spec->chain_id);
        tx->nonce = s->nonce++;
        tx->max_fee = u256_from_u64(1000000000);
        tx->max_priority_fee = u256_from_u64(1);
        tx->has_to = true;
        addr_t fresh;
        const addr_t *to = g_accounts ? &accounts[rnd() % g_accounts] : &fresh;
        if (!g_accounts) /* a new address, as anvil's figure and bench/intake.mjs send to */
            for (int k = 0; k < 20; k += 8) {
                uint64_t r = rnd();
                memcpy(fresh.b + k, &r, k + 8 <= 20 ? 8 : 4);
            }
        if (kind == 0) {
            tx->gas_limit = 21000;
            tx->to = *to;
            tx->value = u256_from_u64(1000 + i);
        } else {
            tx->gas_limit = 100000;
            tx->to = token;
            tx->data = rn_calloc(1, 68);
            tx->data_len = 68;
            memcpy(tx->data, "\xa9\x05\x9c\xbb", 4);
            memcpy(tx->data + 16, to->b, 20);
            tx->data[67] = 7;
        }
        if (tx_sign(tx, s->sk) != ERR_OK)
            die("sign", ERR_INVALID_ARG);
        buf_init(&raws[i], 4096);
        if (tx_encode(tx, &raws[i]) != ERR_OK)
            die("encode", ERR_INVALID_ARG);
        from[i] = s->addr;
        /* What the pool learns at intake, as the sequencer's candidates carry it (run.c):
         * the compressed size for Galileo's L1 fee. */
        size_t z = scroll_zstd_size(raws[i].p, raws[i].n);
        zs[i] = z == SIZE_MAX ? 0 : z;
    }
    /* The transactions wait in a pool, as the sequencer's do (and anvil's before evm_mine):
     * added before the clock starts, with what the intake learnt (src/node/run.c op_send_raw).
     * The pool's balance check is not what is measured: every cost fits the balance given. */
    txpool_config_t pc;
    txpool_config_default(&pc);
    pc.max_pending = pc.max_queued = n;
    pc.max_per_sender = n / SENDERS + 1;
    txpool_t *pool = txpool_new(&pc);
    for (size_t i = 0; i < n; i++) {
        txpool_tx_info_t info = {
            .hash = keccak256_hash(raws[i].p, raws[i].n),
            .sender = from[i],
            .nonce = txs[i].nonce,
            .gas_limit = txs[i].gas_limit,
            .max_fee = txs[i].max_fee,
            .max_priority_fee = txs[i].max_priority_fee,
            .cost = u256_from_u64(1),
            .raw_zstd = zs[i],
            .to = txs[i].to,
            .has_to = txs[i].has_to,
        };
        if (txpool_add(pool, &info, buf_view(&raws[i]), state_nonce[i], u256_from_u64(1u << 31),
                       NULL) != TXPOOL_OK)
            die("pool", ERR_INVALID_ARG);
    }
    txpool_tx_info_t *cand = RN_NEWV(txpool_tx_info_t, n);
    timing_t t;
    struct timespec c0, c1;
    perf_ctl("enable\n");
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    uint64_t t0 = clock_mono_ns();
    db_txn_t *w;
    uint64_t head;
    hash_t hh;
    header_t parent;
    err_t e = db_txn_begin(db, DB_TXN_WRITE, &w);
    if (!e)
        e = chain_head(w, &head, &hh);
    if (!e)
        e = chain_read_header(w, &hh, &parent);
    chain_builder_t *b = NULL;
    if (!e)
        e = chain_builder_new(&b, spec, evm, w, &parent, &hh, parent.timestamp + 1, gas_limit);
    if (e)
        die("builder", e);
    /* As the sequencer fills a payload (src/node/run.c fill_block): the pool's best, and each
     * one's bytes taken from the pool and decoded. */
    size_t nc = txpool_best(pool, chain_builder_base_fee(b), cand, n);
    if (nc != n) {
        fprintf(stderr, "the pool offered %zu of %zu transactions\n", nc, n);
        exit(1);
    }
    chain_builder_reserve(b, nc); /* as the sequencer does for its candidates */
    for (size_t i = 0; i < nc; i++) {
        if (i + 1 < nc)
            chain_builder_prefetch(b, &cand[i + 1].sender,
                                   cand[i + 1].has_to ? &cand[i + 1].to : NULL);
        size_t len;
        uint8_t *raw = txpool_get_raw_of(pool, &cand[i].sender, cand[i].nonce, &cand[i].hash, &len);
        tx_t tx;
        if (!raw || tx_decode(&tx, bview(raw, len)) != ERR_OK)
            die("pool transaction", ERR_INVALID_ARG);
        chain_add_result_t res;
        chain_builder_add_z(b, &tx, &cand[i].sender, bview(raw, len), cand[i].raw_zstd, &res);
        tx_deinit(&tx);
        rn_free(raw);
        if (res.invalid != TX_VALID || !res.status) {
            fprintf(stderr, "tx %zu: %s status %d\n", i, tx_invalid_msg(res.invalid), res.status);
            exit(1);
        }
    }
    uint64_t t1 = clock_mono_ns();
    block_t blk;
    hash_t bh;
    chain_receipts_t rs;
    if ((e = chain_builder_seal(b, &blk, &bh, &rs)) != ERR_OK)
        die("seal", e);
    uint64_t t2 = clock_mono_ns();
    if ((e = chain_store_block(w, &blk, &bh, &rs, NULL)) != ERR_OK ||
        (e = db_txn_commit(w)) != ERR_OK)
        die("commit", e);
    uint64_t t3 = clock_mono_ns();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    perf_ctl("disable\n");
    t.cpu = (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
    t.exec = (double)(t1 - t0) / 1e6;
    t.root = (double)(t2 - t1) / 1e6;
    t.commit = (double)(t3 - t2) / 1e6;
    t.total = (double)(t3 - t0) / 1e6;
    /* As the sequencer does (src/node/run.c between_blocks): the account cache moves on to the
     * new head, index batches and a due write-back of the tries get a commit of their own, and
     * the write-back cache makes room for the next block, after the block, outside its time. */
    db_txn_t *f;
    bool indexed = false;
    state_db_cached_t ac;
    if ((e = db_txn_begin(db, DB_TXN_WRITE, &f)) != ERR_OK)
        die("between blocks", e);
    (void)state_db_backend_cached(f, &ac);
    if ((e = chain_index_ahead(f, &indexed)) != ERR_OK)
        die("between blocks", e);
    if (indexed || db_writeback_flush_due(db)) {
        if ((e = db_txn_commit(f)) != ERR_OK)
            die("between blocks", e);
    } else {
        db_txn_abort(f);
    }
    db_writeback_prepare(db);
    t.between = (double)(clock_mono_ns() - t3) / 1e6;
    chain_builder_free(b);
    header_deinit(&parent);
    block_deinit(&blk);
    chain_receipts_free(&rs);
    txpool_free(pool);
    rn_free(cand);
    rn_free(state_nonce);
    for (size_t i = 0; i < n; i++) {
        tx_deinit(&txs[i]);
        buf_deinit(&raws[i]);
    }
    rn_free(txs);
    rn_free(raws);
    rn_free(from);
    rn_free(zs);
    return t;
}

static void report(const char *name, timing_t *ts, int runs)
{
    double *v = RN_NEWV(double, (size_t)runs * 4);
    double mean = 0;
    for (int i = 0; i < runs; i++) {
        v[0 * runs + i] = ts[i].exec;
        v[1 * runs + i] = ts[i].root;
        v[2 * runs + i] = ts[i].commit;
        v[3 * runs + i] = ts[i].total;
        mean += (ts[i].total + ts[i].between) / runs;
    }
    printf("%-22s%4d", name, runs);
    for (int k = 0; k < 4; k++) {
        double *c = v + k * runs;
        qsort(c, (size_t)runs, sizeof(double), cmp_d);
        printf("  %7.2f (%5.1f–%6.1f)", c[runs / 2], c[0], c[runs - 1]);
    }
    printf("  %7.2f\n", mean);
    rn_free(v);
}

int main(void)
{
    rn_heap_keep(); /* as the node does */
    char dir[] = "/tmp/rn_bench_state_XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", ERR_IO);
    chain_spec_t *spec;
    char diag[256];
    if (chain_spec_load(&spec, "dev", diag, sizeof(diag)) != ERR_OK)
        die(diag, ERR_CONFIG_INVALID);
    uint64_t s0 = clock_mono_ns();
    const char *pc = getenv("BENCH_STATE_PERF_CTL");
    if (pc && !(g_perf = fopen(pc, "w")))
        die(pc, ERR_IO);
    const char *na = getenv("BENCH_STATE_ACCOUNTS");
    if (na)
        g_accounts = (size_t)strtoull(na, NULL, 10);
    setup(dir, spec);
    printf("state: %zu accounts + %d senders + token, built in %.1f s (untimed below)\n",
           g_accounts, SENDERS, (double)(clock_mono_ns() - s0) / 1e9);
    evm_t *evm = evm_new();
    timing_t ts[RUNS];
    char path[256];
    snprintf(path, sizeof(path), "%s/db", dir);
    /* The node's default is a durable commit (fsync: survives power loss); without fsync a
     * commit still survives kill -9 (decision 0012). Both are shown. */
    /* BENCH_STATE_PROFILE=N: only N blocks of 1 000 (BENCH_STATE_TXS) transfers without fsync
     * (for perf). */
    const char *prof = getenv("BENCH_STATE_PROFILE");
    if (prof && atoi(prof) > 0) {
        db_t *db = open_db(path, spec, DB_OPEN_NOSYNC);
        const char *pt = getenv("BENCH_STATE_TXS"); /* transfers per block (default 1 000) */
        size_t ntx = pt && atoi(pt) > 0 ? (size_t)atoi(pt) : 1000;
        for (int i = 0; i < atoi(prof); i++) {
            struct rusage r0, r1;
            getrusage(RUSAGE_SELF, &r0);
            timing_t t = one_block(db, spec, evm, ntx, 0, ntx * 30000);
            getrusage(RUSAGE_SELF, &r1);
            /* Page faults: first touches of memory (signing the block's transactions included),
             * costly on a paravirtualized host. */
            printf("exec %.2f root %.2f commit %.2f ms (thread CPU %.2f of %.2f), %ld page "
                   "faults\n",
                   t.exec, t.root, t.commit, t.cpu, t.total, r1.ru_minflt - r0.ru_minflt);
        }
        db_close(db);
        goto out;
    }
    /* 1 000-transfer blocks run past the write-back flush interval; the mean includes the
     * commits that write the tries to LMDB between blocks (decision 0019), and the worst of
     * those is printed with the write-back statistics. */
    db_writeback_opts_t wbo;
    db_writeback_defaults(&wbo);
    int runs_1k = (int)wbo.flush_every + 32;
    timing_t *tk = RN_NEWV(timing_t, (size_t)runs_1k);
    for (int mode = 0; mode < 2; mode++) {
        db_t *db = open_db(path, spec, mode ? DB_OPEN_NOSYNC : DB_OPEN_DEFAULT);
        printf("\n%s commits (ms: median (min–max); mean of totals with the write-back "
               "commits)\n%-22s%4s  %-22s  %-22s  "
               "%-22s  %-22s  %s\n",
               mode ? "no-fsync (kill -9 safe)" : "durable (fsync)", "block", "n", "execute",
               "state+root", "store+commit", "total", "mean");
        for (int i = 0; i < runs_1k; i++) /* 21 M gas: above the dev chain's 20 M limit */
            tk[i] = one_block(db, spec, evm, 1000, 0, 30000000);
        report("1 000 ETH transfers", tk, runs_1k);
        for (int i = 0; i < RUNS; i++)
            ts[i] = one_block(db, spec, evm, 300, 1, 0);
        report("300 ERC-20 transfers", ts, RUNS);
        for (int i = 0; i < 3; i++)
            ts[i] = one_block(db, spec, evm, 20000, 0, 1000000000);
        report("20 000 ETH transfers", ts, 3);
        db_writeback_stats_t st;
        db_writeback_get_stats(db, &st);
        double worst = 0;
        for (int i = 0; i < runs_1k; i++)
            worst = tk[i].between > worst ? tk[i].between : worst;
        printf("write-back: %" PRIu64 " flushes of the tries (%" PRIu64 " entries with the flat "
               "slices), the worst between 1 000-transfer blocks %.0f ms; cache %zu entries / "
               "%.0f MiB, hit rate %.1f%%\n",
               st.flushes, st.flushed_entries, worst, st.entries, (double)st.bytes / (1 << 20),
               100.0 * (double)st.hits / (double)(st.hits + st.misses + 1));
        db_close(db);
    }
    rn_free(tk);
    printf("goal: 1 000 transfers executed, rooted and committed in < 50 ms; 20 000 in <= 120 ms "
           "(2x anvil's 236 ms)\n");
out:
    evm_free(evm);
    chain_spec_free(spec);
    rn_free(accounts);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
