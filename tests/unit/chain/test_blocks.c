/* Block building, storage, import, validity errors and crash safety over a real LMDB datadir. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "evm/evm.h"
#include "harness.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"
#include "state/state.h"
#include "trie/trie.h"

static const char *KEY0 = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

static char *tmpdir(void)
{
    static char path[8][64];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 64, "/tmp/rn_chain_XXXXXX");
    return mkdtemp(p);
}

static void rmrf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
    }
}

/* Open (creating) a dev datadir as the node does: genesis written or checked, tries caught up. */
static db_t *open_dev_flags(const char *dir, const chain_spec_t *spec, db_open_flags_t flags)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/db", dir);
    db_t *db = NULL;
    if (db_open(&db, path, 1ull << 30, flags, NULL, 0) != ERR_OK)
        return NULL;
    db_txn_t *w;
    hash_t g;
    bool written;
    char diag[256];
    if (db_txn_begin(db, DB_TXN_WRITE, &w) != ERR_OK ||
        chain_genesis_init(w, spec, &g, &written, diag, sizeof(diag)) != ERR_OK ||
        db_txn_commit(w) != ERR_OK) {
        db_close(db);
        return NULL;
    }
    return db;
}

static db_t *open_dev(const char *dir, const chain_spec_t *spec)
{
    return open_dev_flags(dir, spec, DB_OPEN_NOSYNC);
}

static void key(uint8_t sk[32], const char *hex)
{
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            v = 0;
        sk[i] = (uint8_t)v;
    }
}

/* A signed 1559 transfer (or call with data). */
static void make_tx(tx_t *tx, const char *skhex, uint64_t nonce, const addr_t *to, uint64_t value,
                    const uint8_t *data, size_t n, uint64_t gas)
{
    memset(tx, 0, sizeof(*tx));
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = u256_from_u64(1337);
    tx->nonce = nonce;
    tx->max_fee = u256_from_u64(100000000);
    tx->max_priority_fee = u256_from_u64(1000);
    tx->gas_limit = gas;
    tx->has_to = to != NULL;
    if (to)
        tx->to = *to;
    tx->value = u256_from_u64(value);
    if (n) {
        tx->data = rn_malloc(n);
        memcpy(tx->data, data, n);
        tx->data_len = n;
    }
    uint8_t sk[32];
    key(sk, skhex);
    if (tx_sign(tx, sk) != ERR_OK)
        memset(tx, 0, sizeof(*tx));
}

typedef struct built {
    block_t blk;
    hash_t hash;
} built_t;

/* Build, seal and commit (or abort) one block of `n` transfers from KEY0 starting at nonce. */
static err_t build_block_ex(db_t *db, const chain_spec_t *spec, evm_t *evm, uint64_t ts,
                            uint64_t nonce, size_t n, built_t *out, size_t *included, bool commit)
{
    db_txn_t *w;
    TRY(db_txn_begin(db, DB_TXN_WRITE, &w));
    uint64_t head;
    hash_t hh;
    header_t parent;
    err_t e = chain_head(w, &head, &hh);
    if (!e)
        e = chain_read_header(w, &hh, &parent);
    if (e) {
        db_txn_abort(w);
        return e;
    }
    chain_builder_t *b;
    e = chain_builder_new(&b, spec, evm, w, &parent, &hh, ts, 0);
    header_deinit(&parent);
    if (e) {
        db_txn_abort(w);
        return e;
    }
    addr_t to;
    memset(to.b, 0x11, 20);
    *included = 0;
    chain_builder_reserve(b, n / 2); /* as the sequencer does; past it, the arrays grow */
    buf_t raw;
    buf_init(&raw, 1 << 16);
    for (size_t i = 0; i < n; i++) {
        tx_t tx;
        to.b[19] = (uint8_t)i;
        /* Every third transaction also emits a log: call the identity precompile is silent, so
         * deploy nothing and just send value; logs come from the LOG test below. */
        make_tx(&tx, KEY0, nonce + i, &to, 1000 + i, NULL, 0, 21000);
        buf_reset(&raw);
        addr_t sender;
        if (tx_encode(&tx, &raw) != ERR_OK || tx_recover_sender(&tx, &sender) != ERR_OK) {
            tx_deinit(&tx);
            continue;
        }
        /* Every other transaction comes with its zstd size known, as from the pool; importing
         * the block (which compresses again) must agree. */
        bview_t v = buf_view(&raw);
        chain_add_result_t res;
        chain_builder_add_z(b, &tx, &sender, v, i % 2 ? scroll_zstd_size(v.p, v.n) : 0, &res);
        if (res.invalid == TX_VALID)
            (*included)++;
        tx_deinit(&tx);
    }
    buf_deinit(&raw);
    chain_receipts_t rs;
    e = chain_builder_seal(b, &out->blk, &out->hash, &rs);
    chain_builder_free(b);
    if (!e)
        e = chain_store_block(w, &out->blk, &out->hash, &rs, NULL);
    chain_receipts_free(&rs);
    if (e || !commit) {
        db_txn_abort(w);
        return e;
    }
    return db_txn_commit(w);
}

static err_t build_block(db_t *db, const chain_spec_t *spec, evm_t *evm, uint64_t ts,
                         uint64_t nonce, size_t n, built_t *out, size_t *included)
{
    return build_block_ex(db, spec, evm, ts, nonce, n, out, included, true);
}

static u256_t balance_of(db_t *db, const char *hex)
{
    addr_t a;
    if (addr_from_hex(&a, hex, strlen(hex)) != ERR_OK)
        return u256_from_u64(0);
    db_txn_t *r;
    if (db_txn_begin(db, DB_TXN_READ, &r) != ERR_OK)
        return u256_from_u64(0);
    state_backend_t be = state_db_backend(r);
    state_account_t acct;
    u256_t v = be.get_account(be.ctx, &a, &acct) ? acct.balance : u256_from_u64(0);
    db_txn_abort(r);
    return v;
}

TEST(blocks, build_store_read_back_and_fees)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    evm_t *evm = evm_new();
    u256_t vault0 = balance_of(db, "0x5300000000000000000000000000000000000005");
    u256_t sender0 = balance_of(db, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    built_t b1;
    size_t inc;
    CHECK_OK(build_block(db, spec, evm, spec->timestamp + 1, 0, 5, &b1, &inc));
    CHECK_EQ_U64(inc, 5);
    CHECK_EQ_U64(b1.blk.header.number, 1);
    CHECK_EQ_U64(b1.blk.header.gas_used, 5 * 21000);
    CHECK(b1.blk.header.has_base_fee);
    CHECK_EQ_U64(b1.blk.header.base_fee.w[0], SCROLL_DEFAULT_BASE_FEE_OVERHEAD);

    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    uint64_t head;
    hash_t hh;
    CHECK_OK(chain_head(r, &head, &hh));
    CHECK_EQ_U64(head, 1);
    CHECK_MEM_EQ(hh.b, 32, b1.hash.b, 32);
    block_t back;
    CHECK_OK(chain_read_block(r, &hh, &back));
    CHECK_EQ_U64(back.ntxs, 5);
    hash_t h2;
    CHECK_OK(header_hash(&back.header, &h2));
    CHECK_MEM_EQ(h2.b, 32, hh.b, 32);
    chain_receipts_t rs;
    CHECK_OK(chain_read_receipts(r, &hh, &rs));
    CHECK_EQ_U64(rs.n, 5);
    CHECK_EQ_U64(rs.r[4].cumulative_gas, 5 * 21000);
    CHECK(!u256_is_zero(rs.l1_fee[0])); /* the dev GPO has realistic values */
    hash_t th;
    uint64_t num;
    uint32_t idx;
    CHECK_OK(tx_hash(&back.txs[3], &th));
    CHECK_OK(chain_tx_lookup(r, &th, &num, &idx));
    CHECK_EQ_U64(num, 1);
    CHECK_EQ_U64(idx, 3);
    /* The header's state root is the trie's, and the flat tables alone give the same. */
    hash_t root, full;
    CHECK_OK(state_db_root(r, &root));
    CHECK_MEM_EQ(root.b, 32, back.header.state_root.b, 32);
    CHECK_OK(state_db_root_full(r, &full));
    CHECK_MEM_EQ(full.b, 32, root.b, 32);
    /* Fees: the vault gets gas·price + L1 fee of every transaction (no burn); the sender pays
     * that plus the values. */
    u256_t fees = u256_from_u64(0), values = u256_from_u64(0);
    for (size_t i = 0; i < 5; i++) {
        u256_t price = u256_add(b1.blk.header.base_fee, u256_from_u64(1000));
        fees = u256_add(fees, u256_add(u256_mul(price, u256_from_u64(21000)), rs.l1_fee[i]));
        values = u256_add(values, u256_from_u64(1000 + i));
    }
    db_txn_abort(r);
    CHECK(u256_eq(balance_of(db, "0x5300000000000000000000000000000000000005"),
                  u256_add(vault0, fees)));
    CHECK(u256_eq(balance_of(db, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
                  u256_sub(sender0, u256_add(fees, values))));
    chain_receipts_free(&rs);
    block_deinit(&back);
    block_deinit(&b1.blk);
    evm_free(evm);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
}

/* Blocks built on one node and imported on another give the same hashes and state. */
TEST(blocks, reimport_gives_identical_hashes)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *d1 = tmpdir(), *d2 = tmpdir();
    db_t *a = open_dev(d1, spec), *b = open_dev(d2, spec);
    CHECK(a && b);
    evm_t *evm = evm_new();
    /* The last block is large enough to seal its lists on a second thread (SEAL_THREAD_MIN). */
    for (uint64_t i = 0; i < 5; i++) {
        built_t blk;
        size_t inc, ntx = i < 4 ? 3 : 40;
        CHECK_OK(build_block(a, spec, evm, spec->timestamp + 2 * i + 1, i * 3, ntx, &blk, &inc));
        CHECK_EQ_U64(inc, ntx);
        addr_t want; /* before the import takes the transactions */
        CHECK_OK(tx_recover_sender(&blk.blk.txs[2], &want));
        hash_t last;
        CHECK_OK(tx_hash(&blk.blk.txs[ntx - 1], &last));
        db_txn_t *w;
        CHECK_OK(db_txn_begin(b, DB_TXN_WRITE, &w));
        chain_invalid_t why;
        char diag[256];
        CHECK_OK(chain_import_block(w, spec, evm, &blk.blk, NULL, &why, diag, sizeof(diag)));
        if (why != CHAIN_VALID)
            fprintf(stderr, "import: %s: %s\n", chain_invalid_msg(why), diag);
        CHECK_EQ_INT(why, CHAIN_VALID);
        CHECK_OK(db_txn_commit(w));
        db_txn_t *r;
        CHECK_OK(db_txn_begin(b, DB_TXN_READ, &r));
        uint64_t head;
        hash_t hh;
        CHECK_OK(chain_head(r, &head, &hh));
        CHECK_EQ_U64(head, i + 1);
        CHECK_MEM_EQ(hh.b, 32, blk.hash.b, 32);
        addr_t s[40]; /* the import stores the senders it recovered */
        CHECK_OK(chain_read_senders(r, &hh, ntx, s));
        CHECK_MEM_EQ(s[2].b, 20, want.b, 20);
        db_txn_t *ra; /* both stores index the last transaction under its hash */
        CHECK_OK(db_txn_begin(a, DB_TXN_READ, &ra));
        for (int k = 0; k < 2; k++) {
            uint64_t num;
            uint32_t idx;
            CHECK_OK(chain_tx_lookup(k ? ra : r, &last, &num, &idx));
            CHECK_EQ_U64(num, i + 1);
            CHECK_EQ_U64(idx, ntx - 1);
        }
        db_txn_abort(ra);
        db_txn_abort(r);
        block_deinit(&blk.blk);
    }
    evm_free(evm);
    db_close(a);
    db_close(b);
    rmrf(d1);
    rmrf(d2);
    chain_spec_free(spec);
}

/* Each broken rule is reported as itself and nothing is written. */
TEST(blocks, invalid_blocks_are_rejected_with_their_rule)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *d1 = tmpdir(), *d2 = tmpdir();
    db_t *a = open_dev(d1, spec), *b = open_dev(d2, spec);
    CHECK(a && b);
    evm_t *evm = evm_new();
    built_t good;
    size_t inc;
    CHECK_OK(build_block(a, spec, evm, spec->timestamp + 5, 0, 2, &good, &inc));

    static const struct {
        chain_invalid_t want;
        int what;
    } cases[] = {
        { CHAIN_INVALID_PARENT, 0 },    { CHAIN_INVALID_TIMESTAMP, 1 },
        { CHAIN_INVALID_OMMERS, 2 },    { CHAIN_INVALID_BASE_FEE, 3 },
        { CHAIN_INVALID_GAS_LIMIT, 4 }, { CHAIN_INVALID_GAS_USED, 5 },
        { CHAIN_INVALID_TX_ROOT, 6 },   { CHAIN_INVALID_RECEIPTS_ROOT, 7 },
        { CHAIN_INVALID_BLOOM, 8 },     { CHAIN_INVALID_STATE_ROOT, 9 },
        { CHAIN_INVALID_TX, 10 },       { CHAIN_INVALID_TX_TYPE, 11 },
        { CHAIN_INVALID_BASE_FEE, 12 },
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        /* A fresh copy of the good block (re-read from the builder's datadir). */
        db_txn_t *r;
        CHECK_OK(db_txn_begin(a, DB_TXN_READ, &r));
        block_t blk;
        CHECK_OK(chain_read_block(r, &good.hash, &blk));
        db_txn_abort(r);
        header_t *h = &blk.header;
        switch (cases[c].what) {
        case 0:
            h->parent_hash.b[0] ^= 1;
            break;
        case 1:
            h->timestamp = spec->timestamp - 1;
            break;
        case 2:
            h->ommers_hash.b[0] ^= 1;
            break;
        case 3:
            h->base_fee = u256_from_u64(SCROLL_MAX_BASE_FEE + 1);
            break;
        case 4:
            h->gas_limit = h->gas_limit * 2;
            break;
        case 5:
            h->gas_used += 1;
            break;
        case 6:
            h->tx_root.b[5] ^= 1;
            break;
        case 7:
            h->receipts_root.b[5] ^= 1;
            break;
        case 8:
            h->bloom[7] ^= 1;
            break;
        case 9:
            h->state_root.b[9] ^= 1;
            break;
        case 10: /* the second transaction replayed with the first's nonce */
            tx_deinit(&blk.txs[1]);
            make_tx(&blk.txs[1], KEY0, 0, &blk.txs[0].to, 5, NULL, 0, 21000);
            break;
        case 11: /* a blob-type transaction (never on Scroll) */
            blk.txs[1].type = TX_BLOB;
            break;
        case 12:
            h->has_base_fee = false;
            break;
        }
        db_txn_t *w;
        CHECK_OK(db_txn_begin(b, DB_TXN_WRITE, &w));
        chain_invalid_t why;
        char diag[256];
        CHECK_OK(chain_import_block(w, spec, evm, &blk, NULL, &why, diag, sizeof(diag)));
        if (why != cases[c].want)
            fprintf(stderr, "case %zu: got %s (%s)\n", c, chain_invalid_msg(why), diag);
        CHECK_EQ_INT(why, cases[c].want);
        CHECK(diag[0] != 0);
        db_txn_abort(w);
        block_deinit(&blk);
    }
    /* The good block still imports afterwards. */
    db_txn_t *w;
    CHECK_OK(db_txn_begin(b, DB_TXN_WRITE, &w));
    chain_invalid_t why;
    char diag[256];
    CHECK_OK(chain_import_block(w, spec, evm, &good.blk, NULL, &why, diag, sizeof(diag)));
    CHECK_EQ_INT(why, CHAIN_VALID);
    CHECK_OK(db_txn_commit(w));
    block_deinit(&good.blk);
    evm_free(evm);
    db_close(a);
    db_close(b);
    rmrf(d1);
    rmrf(d2);
    chain_spec_free(spec);
}

/* Blocks touching 256 accounts or more have their account-trie update spread over threads that
 * read the write-back cache and, past it, LMDB through a read-only snapshot (trie_db.c, "large
 * batches"; db_get_concurrent). With a cache that keeps no clean entry it need not and the tries
 * written through every commit or every third, those reads reach LMDB: every block's root must
 * still be what the flat state gives. */
TEST(blocks, large_blocks_read_the_trie_from_helper_threads)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    for (uint32_t every = 1; every <= 3; every += 2) {
        char *dir = tmpdir();
        db_t *db = open_dev(dir, spec);
        CHECK(db != NULL);
        db_writeback_opts_t o;
        db_writeback_defaults(&o);
        o.flush_every = every;
        o.cache_bytes = 0;
        db_writeback_configure(db, &o);
        evm_t *evm = evm_new();
        uint64_t nonce = 0;
        for (uint64_t k = 0; k < 15; k++) {
            /* Every third block is large; the two small ones between let the cache drop the
             * nodes the large one wrote (not read since), so the next large one reads LMDB. */
            size_t n = k % 3 ? 4 : 300, inc;
            built_t blk;
            CHECK_OK(build_block(db, spec, evm, spec->timestamp + k + 1, nonce, n, &blk, &inc));
            CHECK_EQ_U64(inc, n);
            nonce += n;
            db_txn_t *r;
            CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
            hash_t root, full;
            CHECK_OK(state_db_root(r, &root));
            CHECK_MEM_EQ(root.b, 32, blk.blk.header.state_root.b, 32);
            CHECK_OK(state_db_root_full(r, &full));
            CHECK_MEM_EQ(full.b, 32, root.b, 32);
            db_txn_abort(r);
            block_deinit(&blk.blk);
        }
        db_writeback_stats_t st;
        db_writeback_get_stats(db, &st);
        CHECK(st.misses > 0); /* LMDB was read */
        evm_free(evm);
        db_close(db);
        rmrf(dir);
    }
    chain_spec_free(spec);
}

/* kill -9 at random moments while blocks are being produced: after reopening, the head block is
 * whole and its state root recomputes from the flat state. RN_CRASH_ITERS overrides the count
 * (make test-full runs 50). */
TEST(blocks, sigkill_during_block_production_loses_nothing_committed)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    db_close(db);
    const char *env = getenv("RN_CRASH_ITERS");
    int iters = env ? atoi(env) : 5;
    uint64_t last_head = 0;
    for (int it = 0; it < iters; it++) {
        int fds[2];
        CHECK(pipe(fds) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            /* Child: produce blocks forever (durable commits: the default sync mode) and
             * acknowledge each committed number on the pipe. */
            close(fds[0]);
            db_t *cdb = open_dev_flags(dir, spec, DB_OPEN_DEFAULT);
            if (!cdb)
                _exit(2);
            /* Tries flushed every few blocks: kills land before and after flushes. */
            db_writeback_opts_t o;
            db_writeback_defaults(&o);
            o.flush_every = 1 + (uint32_t)(test_rand() % 8);
            db_writeback_configure(cdb, &o);
            evm_t *evm = evm_new();
            db_txn_t *r;
            uint64_t head = 0;
            hash_t hh;
            if (db_txn_begin(cdb, DB_TXN_READ, &r) == ERR_OK) {
                if (chain_head(r, &head, &hh) != ERR_OK)
                    head = 0;
                db_txn_abort(r);
            }
            /* Nonce = transactions so far (each block has 4). */
            for (uint64_t k = head;; k++) {
                built_t blk;
                size_t inc;
                if (build_block(cdb, spec, evm, spec->timestamp + k + 1, k * 4, 4, &blk, &inc) !=
                        ERR_OK ||
                    inc != 4)
                    _exit(3);
                uint64_t acked = k + 1;
                if (write(fds[1], &acked, sizeof(acked)) != (ssize_t)sizeof(acked))
                    _exit(4);
                block_deinit(&blk.blk);
            }
        }
        CHECK(pid > 0);
        close(fds[1]);
        struct timespec ts = { 0, (long)(20 + test_rand() % 150) * 1000000L };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status)); /* it was still producing, not failing */
        uint64_t acked = 0, v;
        while (read(fds[0], &v, sizeof(v)) == (ssize_t)sizeof(v))
            acked = v;
        close(fds[0]);
        db = open_dev_flags(dir, spec, DB_OPEN_DEFAULT); /* replays into the tries if needed */
        CHECK(db != NULL);
        db_txn_t *r;
        CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
        uint64_t head;
        hash_t hh;
        CHECK_OK(chain_head(r, &head, &hh));
        CHECK(head >= last_head);
        CHECK(head >= acked); /* every acknowledged commit survived */
        last_head = head;
        block_t blk;
        CHECK_OK(chain_read_block(r, &hh, &blk));
        CHECK_EQ_U64(blk.header.number, head);
        hash_t root, full, again;
        CHECK_OK(state_db_root(r, &root));
        CHECK_MEM_EQ(root.b, 32, blk.header.state_root.b, 32);
        CHECK_OK(state_db_root_full(r, &full)); /* tries and flat state agree */
        CHECK_MEM_EQ(full.b, 32, root.b, 32);
        CHECK_OK(header_hash(&blk.header, &again));
        CHECK_MEM_EQ(again.b, 32, hh.b, 32);
        chain_receipts_t rs;
        CHECK_OK(chain_read_receipts(r, &hh, &rs));
        CHECK_EQ_U64(rs.n, blk.ntxs);
        /* Every canonical block below the head is there too. */
        for (uint64_t n = 0; n <= head; n++) {
            hash_t ch;
            CHECK_OK(chain_canonical_hash(r, n, &ch));
        }
        chain_receipts_free(&rs);
        block_deinit(&blk);
        db_txn_abort(r);
        db_close(db);
    }
    CHECK(last_head > 0);
    fprintf(stderr, "  %d kills, head block %llu whole after each\n", iters,
            (unsigned long long)last_head);
    rmrf(dir);
    chain_spec_free(spec);
}

/* The account in a proof's leaf value: rlp([nonce, balance, storageRoot, codeHash]). */
static void decode_account(bview_t v, uint64_t *nonce, u256_t *bal, hash_t *sroot)
{
    rlp_item_t list, it;
    CHECK_OK(rlp_decode_one(v, &list));
    bview_t cur = list.payload;
    CHECK_OK(rlp_next(&cur, &it));
    CHECK_OK(rlp_read_u64(&it, nonce));
    CHECK_OK(rlp_next(&cur, &it));
    CHECK_OK(rlp_read_u256(&it, bal));
    CHECK_OK(rlp_next(&cur, &it));
    CHECK_OK(rlp_read_hash(&it, sroot));
}

/* eth_getProof's view of block n (head or past): the account proof verifies against the block's
 * state root with the balance and nonce it had, and a slot of the EIP-2935 contract (written by
 * every block) verifies against the storage root of that block. */
static void check_proofs_at(db_txn_t *r, uint64_t n, uint64_t head, const hash_t *root,
                            const addr_t *who, u256_t bal, uint64_t nonce)
{
    state_past_t *past = NULL;
    if (n < head) {
        CHECK_OK(state_db_past_open(r, n, &past));
        CHECK_MEM_EQ(state_db_past_root(past)->b, 32, root->b, 32);
    } else {
        CHECK_ERR(ERR_INVALID_ARG, state_db_past_open(r, n, &past));
    }
    buf_t out, val;
    buf_init(&out, 1 << 20);
    buf_init(&val, 1 << 16);
    bview_t nodes[TRIE_PROOF_MAX];
    size_t count;
    bool found;
    uint8_t key[32];
    CHECK_OK(state_db_prove_account(r, past, who, &out, nodes, &count));
    keccak256(key, who->b, 20);
    CHECK_OK(trie_verify_proof(&val, &found, root, bview(key, 32), nodes, count));
    CHECK(found);
    uint64_t pn;
    u256_t pb;
    hash_t sroot;
    decode_account(buf_view(&val), &pn, &pb, &sroot);
    CHECK_EQ_U64(pn, nonce);
    CHECK(u256_eq(pb, bal));
    /* EIP-2935: block b stores its parent's hash at slot (b - 1) % 8191. */
    addr_t h2935;
    CHECK_OK(addr_from_hex(&h2935, "0x0000F90827F1C53a10cb7A02335B175320002935", 42));
    buf_reset(&out);
    buf_reset(&val);
    CHECK_OK(state_db_prove_account(r, past, &h2935, &out, nodes, &count));
    keccak256(key, h2935.b, 20);
    CHECK_OK(trie_verify_proof(&val, &found, root, bview(key, 32), nodes, count));
    CHECK(found);
    decode_account(buf_view(&val), &pn, &pb, &sroot);
    hash_t sr;
    CHECK_OK(state_db_storage_root(r, past, &h2935, &sr));
    CHECK_MEM_EQ(sr.b, 32, sroot.b, 32);
    for (uint64_t b = 1; b <= head; b++) { /* slots written up to n hold hashes, later ones not */
        u256_t slot = u256_from_u64(b - 1);
        uint8_t be[32];
        buf_reset(&out);
        buf_reset(&val);
        CHECK_OK(state_db_prove_storage(r, past, &h2935, &slot, &out, nodes, &count));
        u256_to_be(be, slot);
        keccak256(key, be, 32);
        CHECK_OK(trie_verify_proof(&val, &found, &sroot, bview(key, 32), nodes, count));
        CHECK(found == (b <= n));
    }
    buf_deinit(&val);
    buf_deinit(&out);
    state_db_past_free(past);
}

/* Balances at every earlier block, then unwind: the state root returns exactly, and the chain
 * continues from there. Run with the history index filled every block, every second block
 * (reads mix the index and the change sets), and never within the test (change sets only). */
static void history_reads_and_unwind(uint32_t batch)
{
    state_db_set_history_batch(batch);
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    evm_t *evm = evm_new();
    addr_t sender, rcpt;
    CHECK_OK(addr_from_hex(&sender, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42));
    memset(rcpt.b, 0x11, 20);
    rcpt.b[19] = 0; /* build_block's first recipient */
    u256_t bal[6];
    uint64_t nonce[6];
    hash_t roots[6];
    for (uint64_t i = 0; i <= 5; i++) {
        if (i > 0) {
            built_t blk;
            size_t inc;
            CHECK_OK(build_block(db, spec, evm, spec->timestamp + i, (i - 1) * 2, 2, &blk, &inc));
            roots[i] = blk.blk.header.state_root;
            block_deinit(&blk.blk);
        }
        db_txn_t *r;
        CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
        state_backend_t be = state_db_backend(r);
        state_account_t a;
        CHECK(be.get_account(be.ctx, &sender, &a));
        bal[i] = a.balance;
        nonce[i] = a.nonce;
        if (i == 0)
            CHECK_OK(state_db_root(r, &roots[0]));
        db_txn_abort(r);
    }
    /* Every earlier state is readable. */
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    for (uint64_t i = 0; i <= 5; i++) {
        state_backend_t be;
        void *ctx;
        CHECK_OK(state_db_backend_at(r, i, &be, &ctx));
        state_account_t a;
        CHECK(be.get_account(be.ctx, &sender, &a));
        CHECK(u256_eq(a.balance, bal[i]));
        CHECK_EQ_U64(a.nonce, nonce[i]);
        /* The first recipient did not exist at genesis. */
        CHECK(be.get_account(be.ctx, &rcpt, &a) == (i > 0));
        state_db_backend_at_free(ctx);
        check_proofs_at(r, i, 5, &roots[i], &sender, bal[i], nonce[i]);
    }
    state_backend_t be;
    void *ctx;
    CHECK_ERR(ERR_NOT_FOUND, state_db_backend_at(r, 6, &be, &ctx));
    db_txn_abort(r);
    /* Unwind to block 2. */
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    hash_t root;
    CHECK_OK(chain_unwind(w, 2, &root));
    CHECK_MEM_EQ(root.b, 32, roots[2].b, 32);
    hash_t full;
    CHECK_OK(state_db_root_full(w, &full));
    CHECK_MEM_EQ(full.b, 32, roots[2].b, 32);
    CHECK_OK(db_txn_commit(w));
    CHECK(u256_eq(balance_of(db, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), bal[2]));
    /* And on again: block 3 is rebuilt with the same transactions and gets the same root. */
    built_t blk;
    size_t inc;
    CHECK_OK(build_block(db, spec, evm, spec->timestamp + 3, 4, 2, &blk, &inc));
    CHECK_EQ_U64(inc, 2);
    CHECK_EQ_U64(blk.blk.header.number, 3);
    CHECK_MEM_EQ(blk.blk.header.state_root.b, 32, roots[3].b, 32);
    block_deinit(&blk.blk);
    /* The history below the unwind point reads as before. */
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    for (uint64_t i = 0; i <= 3; i++) {
        CHECK_OK(state_db_backend_at(r, i, &be, &ctx));
        state_account_t a;
        CHECK(be.get_account(be.ctx, &sender, &a));
        CHECK(u256_eq(a.balance, bal[i]));
        CHECK_EQ_U64(a.nonce, nonce[i]);
        state_db_backend_at_free(ctx);
    }
    db_txn_abort(r);
    /* Unwinding everything returns to the genesis state. */
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(chain_unwind(w, 0, &root));
    CHECK_MEM_EQ(root.b, 32, roots[0].b, 32);
    CHECK_ERR(ERR_INVALID_ARG, chain_unwind(w, 1, &root));
    db_txn_abort(w);
    evm_free(evm);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
    state_db_set_history_batch(128);
}

TEST(blocks, history_reads_and_unwind)
{
    history_reads_and_unwind(1);
    history_reads_and_unwind(2);
    history_reads_and_unwind(128);
}

/* Every transaction of blocks 1..nb (ntx each) is found where it is, a made-up hash is not. */
static void check_lookups(db_t *db, const hash_t *ths, uint64_t nb, size_t ntx, uint64_t upto)
{
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    for (uint64_t b = 1; b <= nb; b++) {
        for (size_t i = 0; i < ntx; i++) {
            uint64_t num = 0;
            uint32_t idx = 0;
            err_t e = chain_tx_lookup(r, &ths[(b - 1) * ntx + i], &num, &idx);
            if (b <= upto) {
                CHECK_OK(e);
                CHECK_EQ_U64(num, b);
                CHECK_EQ_U64(idx, i);
            } else {
                CHECK_ERR(ERR_NOT_FOUND, e);
            }
        }
    }
    hash_t none;
    memset(none.b, 0x5a, 32);
    uint64_t num;
    uint32_t idx;
    CHECK_ERR(ERR_NOT_FOUND, chain_tx_lookup(r, &none, &num, &idx));
    db_txn_abort(r);
}

/* Transaction lookups with the index filled every block, every second block and (within the
 * test) never; across an unwind below the filled part; and on a datadir from before the
 * batches (no META tx_indexed: every block is in TX_LOOKUP). */
/* With `ahead`, the batches are added between blocks as the sequencer does (chain_index_ahead):
 * then no block's own commit is left with a batch due. */
static void tx_lookups(uint32_t batch, bool legacy, bool ahead)
{
    enum {
        NB = 7,
        NTX = 3
    };

    chain_set_tx_index_batch(legacy ? 1 : batch);
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    evm_t *evm = evm_new();
    hash_t ths[NB * NTX];
    for (uint64_t b = 1; b <= NB; b++) {
        if (legacy && b == 4) { /* blocks 1..3 as an old build left them */
            db_txn_t *w;
            CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
            CHECK_OK(db_del(w, DB_META, bview("tx_indexed", 10)));
            CHECK_OK(db_txn_commit(w));
            chain_set_tx_index_batch(batch);
        }
        built_t blk;
        size_t inc;
        CHECK_OK(build_block(db, spec, evm, spec->timestamp + b, (b - 1) * NTX, NTX, &blk, &inc));
        CHECK_EQ_U64(inc, NTX);
        for (size_t i = 0; i < NTX; i++)
            CHECK_OK(tx_hash(&blk.blk.txs[i], &ths[(b - 1) * NTX + i]));
        block_deinit(&blk.blk);
        if (ahead) {
            db_txn_t *w;
            bool did;
            uint64_t ti, hi;
            CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
            CHECK_OK(chain_index_ahead(w, &did));
            CHECK_OK(db_meta_get_u64(w, "tx_indexed", &ti));
            CHECK_OK(db_meta_get_u64(w, "history_indexed", &hi));
            CHECK(b + 1 - ti < batch && b + 1 - hi < batch); /* nothing left for block b + 1 */
            CHECK(!did || ti == b || hi == b);
            CHECK_OK(db_txn_commit(w));
        }
        check_lookups(db, ths, NB, NTX, b);
    }
    /* Unwind to block 2 (below what batch 2 has filled), then build on. */
    db_txn_t *w;
    hash_t root;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(chain_unwind(w, 2, &root));
    CHECK_OK(db_txn_commit(w));
    check_lookups(db, ths, NB, NTX, 2);
    for (uint64_t b = 3; b <= 4; b++) {
        built_t blk;
        size_t inc;
        CHECK_OK(build_block(db, spec, evm, spec->timestamp + b, (b - 1) * NTX, NTX, &blk, &inc));
        for (size_t i = 0; i < NTX; i++) /* the same transactions: the same hashes */
            CHECK_OK(tx_hash(&blk.blk.txs[i], &ths[(b - 1) * NTX + i]));
        block_deinit(&blk.blk);
    }
    check_lookups(db, ths, NB, NTX, 4);
    evm_free(evm);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
    chain_set_tx_index_batch(128);
}

TEST(blocks, tx_lookups_with_the_index_in_batches)
{
    tx_lookups(1, false, false);
    tx_lookups(2, false, false);
    tx_lookups(128, false, false);
    tx_lookups(2, true, false);
    tx_lookups(128, true, false);
    state_db_set_history_batch(3);
    tx_lookups(3, false, true);
    tx_lookups(3, true, true);
    state_db_set_history_batch(128);
}

/* The builder's account cache (state_db_backend_cached) serves accounts across blocks, takes a
 * sealed block's accounts only once that block is the head, and starts over after an unwind. A
 * stale entry would show as a wrong nonce: the next block's transactions would be refused. */
TEST(blocks, account_cache_follows_committed_blocks_only)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    evm_t *evm = evm_new();
    uint64_t h0, m0, h1, m1;
    state_db_cache_stats(&h0, &m0);
    built_t blk;
    size_t inc;
    for (uint64_t k = 0; k < 3; k++) {
        CHECK_OK(build_block(db, spec, evm, spec->timestamp + k + 1, k * 4, 4, &blk, &inc));
        CHECK_EQ_U64(inc, 4);
        block_deinit(&blk.blk);
    }
    state_db_cache_stats(&h1, &m1);
    CHECK(h1 > h0); /* the sender, the fee vault, ... came from the cache in blocks 2 and 3 */
    /* Block 4 sealed but not committed: its sender nonce (16) must not reach the cache. */
    CHECK_OK(build_block_ex(db, spec, evm, spec->timestamp + 4, 12, 4, &blk, &inc, false));
    CHECK_EQ_U64(inc, 4);
    block_deinit(&blk.blk);
    CHECK_OK(build_block(db, spec, evm, spec->timestamp + 4, 12, 3, &blk, &inc));
    CHECK_EQ_U64(inc, 3);
    block_deinit(&blk.blk);
    CHECK_OK(build_block(db, spec, evm, spec->timestamp + 5, 15, 2, &blk, &inc));
    CHECK_EQ_U64(inc, 2);
    hash_t root5 = blk.blk.header.state_root;
    block_deinit(&blk.blk);
    /* Unwind to block 3, then on again from its nonce (12). */
    db_txn_t *w;
    hash_t root;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(chain_unwind(w, 3, &root));
    CHECK_OK(db_txn_commit(w));
    CHECK_OK(build_block(db, spec, evm, spec->timestamp + 4, 12, 3, &blk, &inc));
    CHECK_EQ_U64(inc, 3);
    block_deinit(&blk.blk);
    CHECK_OK(build_block(db, spec, evm, spec->timestamp + 5, 15, 2, &blk, &inc));
    CHECK_EQ_U64(inc, 2);
    CHECK_MEM_EQ(blk.blk.header.state_root.b, 32, root5.b, 32); /* the same blocks again */
    db_txn_t *r;
    hash_t full;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(state_db_root_full(r, &full));
    CHECK_MEM_EQ(full.b, 32, blk.blk.header.state_root.b, 32);
    db_txn_abort(r);
    block_deinit(&blk.blk);
    evm_free(evm);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
}

/* ---- L1 messages: storage, inclusion modes, import checks, unwind ---- */

/* The EIP-2718 bytes of an L1 message (a transfer of `value` to 0x2222… from an aliased sender
 * funded on the dev chain: L1 messages pay no gas, and from EuclidV2 an unpaid value fails like
 * a revert but the message stays in the block). */
static void l1_raw(buf_t *out, uint64_t queue_index, uint64_t gas, uint64_t value)
{
    tx_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.type = TX_L1_MESSAGE;
    tx.queue_index = queue_index;
    tx.gas_limit = gas;
    tx.has_to = true;
    memset(tx.to.b, 0x22, 20);
    tx.value = u256_from_u64(value);
    CHECK_OK(addr_from_hex(&tx.sender, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 42));
    buf_reset(out);
    CHECK_OK(tx_encode(&tx, out));
}

/* A write transaction and a builder of a block on top of its head, at timestamp ts. */
static void builder_on_head(db_t *db, const chain_spec_t *spec, evm_t *evm, uint64_t ts,
                            db_txn_t **w, chain_builder_t **b)
{
    *b = NULL;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, w));
    uint64_t head;
    hash_t hh;
    header_t parent;
    CHECK_OK(chain_head(*w, &head, &hh));
    CHECK_OK(chain_read_header(*w, &hh, &parent));
    CHECK_OK(chain_builder_new(b, spec, evm, *w, &parent, &hh, ts, 0));
    header_deinit(&parent);
}

/* Build and commit one block holding the L1 messages eligible under (mode, n, max). */
static void build_l1_block(db_t *db, const chain_spec_t *spec, evm_t *evm, uint64_t ts,
                           chain_l1_mode_t mode, uint64_t n, uint64_t max, built_t *out,
                           size_t *added)
{
    db_txn_t *w;
    chain_builder_t *b;
    builder_on_head(db, spec, evm, ts, &w, &b);
    CHECK(b != NULL);
    *added = 0;
    CHECK_OK(chain_builder_add_l1_messages(b, w, mode, n, max, added));
    chain_receipts_t rs;
    CHECK_OK(chain_builder_seal(b, &out->blk, &out->hash, &rs));
    chain_builder_free(b);
    CHECK_OK(chain_store_block(w, &out->blk, &out->hash, &rs, NULL));
    chain_receipts_free(&rs);
    CHECK_OK(db_txn_commit(w));
}

static void put_l1(db_t *db, uint64_t l1_block, uint64_t queue_index, uint64_t gas, uint64_t value)
{
    buf_t raw;
    buf_init(&raw, 1 << 12);
    l1_raw(&raw, queue_index, gas, value);
    db_txn_t *w;
    char diag[128];
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(chain_l1_put_message(w, l1_block, buf_view(&raw), diag, sizeof(diag)));
    CHECK_OK(db_txn_commit(w));
    buf_deinit(&raw);
}

static void set_l1_heads(db_t *db, uint64_t latest, uint64_t finalized)
{
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(chain_l1_set_heads(w, latest, finalized));
    CHECK_OK(db_txn_commit(w));
}

static uint64_t next_queue_index(db_t *db)
{
    db_txn_t *r;
    uint64_t next = UINT64_MAX;
    if (db_txn_begin(db, DB_TXN_READ, &r) != ERR_OK)
        return UINT64_MAX;
    if (chain_l1_next_index(r, &next) != ERR_OK)
        next = UINT64_MAX;
    db_txn_abort(r);
    return next;
}

TEST(l1msg, stored_looked_up_and_refused_when_conflicting)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    put_l1(db, 10, 0, 100000, 1);
    put_l1(db, 10, 0, 100000, 1); /* the same again: fine */
    buf_t raw;
    buf_init(&raw, 1 << 12);
    db_txn_t *w;
    char diag[128];
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    l1_raw(&raw, 0, 100000, 2); /* other content, same index */
    CHECK_ERR(ERR_INVALID_ARG, chain_l1_put_message(w, 10, buf_view(&raw), diag, sizeof(diag)));
    CHECK(strstr(diag, "already stored") != NULL);
    uint8_t legacy[] = { 0xc0 };
    CHECK_ERR(ERR_INVALID_ARG, chain_l1_put_message(w, 10, bview(legacy, 1), diag, sizeof(diag)));
    CHECK_ERR(ERR_INVALID_ARG, chain_l1_put_message(w, 10, bview(NULL, 0), diag, sizeof(diag)));
    uint8_t junk[] = { 0x7e, 0xc1, 0x80 };
    CHECK_ERR(ERR_INVALID_ARG, chain_l1_put_message(w, 10, bview(junk, 3), diag, sizeof(diag)));
    CHECK_ERR(ERR_INVALID_ARG, chain_l1_set_heads(w, 5, 6)); /* finalized above latest */
    db_txn_abort(w);

    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    chain_l1_message_t m;
    CHECK_OK(chain_l1_get_message(r, 0, &m));
    CHECK_EQ_U64(m.l1_block, 10);
    CHECK(!m.included);
    l1_raw(&raw, 0, 100000, 1);
    CHECK_MEM_EQ(m.raw, m.raw_len, raw.p, raw.n);
    uint64_t idx = 99;
    CHECK_OK(chain_l1_find(r, &m.tx_hash, &idx));
    CHECK_EQ_U64(idx, 0);
    chain_l1_message_deinit(&m);
    CHECK_ERR(ERR_NOT_FOUND, chain_l1_get_message(r, 1, &m));
    uint64_t l, f;
    CHECK_ERR(ERR_NOT_FOUND, chain_l1_heads(r, &l, &f));
    db_txn_abort(r);
    buf_deinit(&raw);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
}

TEST(l1msg, inclusion_modes_caps_and_unwind)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    evm_t *evm = evm_new();
    for (uint64_t q = 0; q < 14; q++)
        put_l1(db, q < 12 ? 10 : 20, q, 100000, 1);
    uint64_t ts = spec->timestamp + 1;
    built_t blk;
    size_t added;
    /* No L1 view yet: nothing is eligible. */
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_FINALIZED, 2, 10, &blk, &added);
    CHECK_EQ_U64(added, 0);
    block_deinit(&blk.blk);
    /* finalized:2 with finalized = 11: L1 block 9 and below only — none. */
    set_l1_heads(db, 30, 11);
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_FINALIZED, 2, 10, &blk, &added);
    CHECK_EQ_U64(added, 0);
    block_deinit(&blk.blk);
    /* finalized = 12: block 10 is eligible; the per-block cap takes 10 of the 12. */
    set_l1_heads(db, 30, 12);
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_FINALIZED, 2, 10, &blk, &added);
    CHECK_EQ_U64(added, 10);
    CHECK_EQ_U64(blk.blk.ntxs, 10);
    for (size_t i = 0; i < 10; i++) {
        CHECK_EQ_INT(blk.blk.txs[i].type, TX_L1_MESSAGE);
        CHECK_EQ_U64(blk.blk.txs[i].queue_index, i);
    }
    uint64_t l1_block_number = blk.blk.header.number;
    block_deinit(&blk.blk);
    CHECK_EQ_U64(next_queue_index(db), 10);
    db_txn_t *r;
    chain_l1_message_t m;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(chain_l1_get_message(r, 9, &m));
    CHECK(m.included);
    CHECK_EQ_U64(m.l2_block, l1_block_number);
    chain_l1_message_deinit(&m);
    CHECK_OK(chain_l1_get_message(r, 10, &m));
    CHECK(!m.included);
    chain_l1_message_deinit(&m);
    db_txn_abort(r);
    /* The rest of L1 block 10 next; 12 and 13 (L1 block 20) are not finalized enough. */
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_FINALIZED, 2, 10, &blk, &added);
    CHECK_EQ_U64(added, 2);
    block_deinit(&blk.blk);
    /* depth:10 with latest 30: L1 block 20 is eligible; max 1 per block. */
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_DEPTH, 10, 1, &blk, &added);
    CHECK_EQ_U64(added, 1);
    CHECK_EQ_U64(blk.blk.txs[0].queue_index, 12);
    block_deinit(&blk.blk);
    /* depth:11: L1 block ≤ 19, so 13 waits; max 0 includes nothing. */
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_DEPTH, 11, 10, &blk, &added);
    CHECK_EQ_U64(added, 0);
    block_deinit(&blk.blk);
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_DEPTH, 0, 0, &blk, &added);
    CHECK_EQ_U64(added, 0);
    block_deinit(&blk.blk);
    CHECK_EQ_U64(next_queue_index(db), 13);
    /* A message whose gas limit does not fit the block waits (and so does everything after). */
    put_l1(db, 20, 14, 100000, 1);
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_DEPTH, 0, 10, &blk, &added);
    CHECK_EQ_U64(added, 2);
    uint64_t head_with_14 = blk.blk.header.number;
    block_deinit(&blk.blk);
    put_l1(db, 20, 15, spec->gas_limit + 1, 1);
    put_l1(db, 20, 16, 100000, 1);
    build_l1_block(db, spec, evm, ts++, CHAIN_L1_DEPTH, 0, 10, &blk, &added);
    CHECK_EQ_U64(added, 0);
    block_deinit(&blk.blk);
    CHECK_EQ_U64(next_queue_index(db), 15);
    /* Unwinding the blocks that included 12–14 makes them pending again. */
    db_txn_t *w;
    hash_t root;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(chain_unwind(w, head_with_14 - 4, &root)); /* before the block with 12 */
    CHECK_OK(db_txn_commit(w));
    CHECK_EQ_U64(next_queue_index(db), 12);
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(chain_l1_get_message(r, 12, &m));
    CHECK(!m.included);
    chain_l1_message_deinit(&m);
    CHECK_OK(chain_l1_get_message(r, 11, &m));
    CHECK(m.included);
    chain_l1_message_deinit(&m);
    db_txn_abort(r);
    evm_free(evm);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
}

/* A follower accepts L1 messages only in queue order and as the L1 queue holds them. */
TEST(l1msg, import_checks_queue_order_and_content)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *d1 = tmpdir(), *d2 = tmpdir();
    db_t *seq = open_dev(d1, spec), *fol = open_dev(d2, spec);
    CHECK(seq && fol);
    evm_t *evm = evm_new();
    put_l1(seq, 1, 0, 100000, 1);
    put_l1(seq, 1, 1, 100000, 1);
    set_l1_heads(seq, 1, 1);
    built_t blk;
    size_t added;
    build_l1_block(seq, spec, evm, spec->timestamp + 1, CHAIN_L1_DEPTH, 0, 10, &blk, &added);
    CHECK_EQ_U64(added, 2);

    chain_invalid_t why;
    char diag[256];
    db_txn_t *w;
    block_t copy; /* import spends the block: each attempt gets a fresh decoding */
    buf_t enc;
    buf_init(&enc, 1 << 20);
    CHECK_OK(block_encode(&blk.blk, &enc));
    /* The follower has not seen the messages on L1. */
    CHECK_OK(db_txn_begin(fol, DB_TXN_WRITE, &w));
    CHECK_OK(block_decode(&copy, buf_view(&enc)));
    CHECK_OK(chain_import_block(w, spec, evm, &copy, NULL, &why, diag, sizeof(diag)));
    block_deinit(&copy);
    CHECK_EQ_INT(why, CHAIN_INVALID_L1_MESSAGE);
    CHECK(strstr(diag, "not known from L1") != NULL);
    db_txn_abort(w);
    /* It has other content at index 1. */
    put_l1(fol, 1, 0, 100000, 1);
    put_l1(fol, 1, 1, 100000, 7);
    CHECK_OK(db_txn_begin(fol, DB_TXN_WRITE, &w));
    CHECK_OK(block_decode(&copy, buf_view(&enc)));
    CHECK_OK(chain_import_block(w, spec, evm, &copy, NULL, &why, diag, sizeof(diag)));
    block_deinit(&copy);
    CHECK_EQ_INT(why, CHAIN_INVALID_L1_MESSAGE);
    CHECK(strstr(diag, "differs") != NULL);
    db_txn_abort(w);
    /* Queue indices out of order: swap the two messages. */
    CHECK_OK(db_txn_begin(fol, DB_TXN_WRITE, &w));
    CHECK_OK(block_decode(&copy, buf_view(&enc)));
    tx_t t0 = copy.txs[0];
    copy.txs[0] = copy.txs[1];
    copy.txs[1] = t0;
    CHECK_OK(chain_import_block(w, spec, evm, &copy, NULL, &why, diag, sizeof(diag)));
    block_deinit(&copy);
    CHECK_EQ_INT(why, CHAIN_INVALID_L1_QUEUE);
    CHECK(strstr(diag, "expected 0") != NULL);
    db_txn_abort(w);
    /* A follower with the right messages imports the block and moves its queue index. */
    char *d3 = tmpdir();
    db_t *good = open_dev(d3, spec);
    CHECK(good != NULL);
    put_l1(good, 1, 0, 100000, 1);
    put_l1(good, 1, 1, 100000, 1);
    CHECK_OK(db_txn_begin(good, DB_TXN_WRITE, &w));
    CHECK_OK(block_decode(&copy, buf_view(&enc)));
    CHECK_OK(chain_import_block(w, spec, evm, &copy, NULL, &why, diag, sizeof(diag)));
    block_deinit(&copy);
    if (why != CHAIN_VALID)
        fprintf(stderr, "import: %s: %s\n", chain_invalid_msg(why), diag);
    CHECK_EQ_INT(why, CHAIN_VALID);
    CHECK_OK(db_txn_commit(w));
    CHECK_EQ_U64(next_queue_index(good), 2);
    db_txn_t *r;
    uint64_t head;
    hash_t hh;
    CHECK_OK(db_txn_begin(good, DB_TXN_READ, &r));
    CHECK_OK(chain_head(r, &head, &hh));
    CHECK_MEM_EQ(hh.b, 32, blk.hash.b, 32);
    db_txn_abort(r);
    /* Receipts of L1 messages: type 0x7E, l1Fee 0. */
    chain_receipts_t rs;
    CHECK_OK(db_txn_begin(good, DB_TXN_READ, &r));
    CHECK_OK(chain_read_receipts(r, &blk.hash, &rs));
    CHECK_EQ_U64(rs.n, 2);
    CHECK(u256_is_zero(rs.l1_fee[0]));
    chain_receipts_free(&rs);
    db_txn_abort(r);
    block_deinit(&blk.blk);
    buf_deinit(&enc);
    evm_free(evm);
    db_close(seq);
    db_close(fol);
    db_close(good);
    rmrf(d1);
    rmrf(d2);
    rmrf(d3);
    chain_spec_free(spec);
}

/* The bloom index (eth_getLogs) agrees with the headers, falls back to the header for genesis,
 * follows unwinds; transaction hashes read from the body bytes agree with decoding. */
TEST(blocks, bloom_index_and_tx_hashes_from_body_bytes)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    evm_t *evm = evm_new();
    for (uint64_t i = 0; i < 4; i++) {
        built_t blk;
        size_t inc;
        CHECK_OK(build_block(db, spec, evm, spec->timestamp + i + 1, i * 3, 3, &blk, &inc));
        block_deinit(&blk.blk);
    }
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    chain_bloom_iter_t *it;
    CHECK_OK(chain_bloom_iter_open(r, 0, 4, &it));
    for (uint64_t n = 0; n <= 4; n++) {
        chain_bloom_entry_t e;
        CHECK_OK(chain_bloom_iter_next(it, &e));
        CHECK_EQ_U64(e.number, n);
        hash_t h;
        header_t hd;
        CHECK_OK(chain_canonical_hash(r, n, &h));
        CHECK_MEM_EQ(e.hash.b, 32, h.b, 32);
        CHECK_OK(chain_read_header(r, &h, &hd));
        CHECK_MEM_EQ(e.bloom, 256, hd.bloom, 256);
        CHECK_EQ_U64(e.timestamp, hd.timestamp);
        header_deinit(&hd);
        block_t b;
        CHECK_OK(chain_read_block(r, &h, &b));
        /* One transaction or receipt read alone equals the whole block's entry; the senders are
         * stored with the block (none for genesis, which has no transactions). */
        chain_receipts_t rs;
        CHECK_OK(chain_read_receipts(r, &h, &rs));
        uint64_t logs = 0;
        addr_t senders[8], one_sender;
        CHECK(b.ntxs <= 8);
        if (b.ntxs)
            CHECK_OK(chain_read_senders(r, &h, b.ntxs, senders));
        else
            CHECK_ERR(ERR_NOT_FOUND, chain_read_senders(r, &h, 0, senders));
        for (size_t i = 0; i < b.ntxs; i++) {
            addr_t want;
            CHECK_OK(tx_recover_sender(&b.txs[i], &want));
            CHECK_MEM_EQ(senders[i].b, 20, want.b, 20);
            CHECK_OK(chain_read_sender_at(r, &h, i, &one_sender));
            CHECK_MEM_EQ(one_sender.b, 20, want.b, 20);
        }
        for (size_t i = 0; i < b.ntxs; i++) {
            hash_t want, fast, at_hash;
            CHECK_OK(tx_hash(&b.txs[i], &want));
            CHECK_OK(chain_tx_hash_at(r, &h, i, &fast));
            CHECK_MEM_EQ(fast.b, 32, want.b, 32);
            tx_t one;
            buf_t x, y;
            buf_init(&x, 1 << 16);
            buf_init(&y, 1 << 16);
            CHECK_OK(chain_read_tx_at(r, &h, i, &one, &at_hash));
            CHECK_MEM_EQ(at_hash.b, 32, want.b, 32);
            CHECK_OK(tx_encode(&one, &x));
            CHECK_OK(tx_encode(&b.txs[i], &y));
            CHECK_MEM_EQ(x.p, x.n, y.p, y.n);
            tx_deinit(&one);
            receipt_t rc;
            u256_t fee;
            uint64_t prev, base;
            CHECK_OK(chain_read_receipt_at(r, &h, i, &rc, &fee, &prev, &base));
            buf_reset(&x);
            buf_reset(&y);
            CHECK_OK(receipt_encode(&rc, &x));
            CHECK_OK(receipt_encode(&rs.r[i], &y));
            CHECK_MEM_EQ(x.p, x.n, y.p, y.n);
            CHECK(u256_eq(fee, rs.l1_fee[i]));
            CHECK_EQ_U64(prev, i ? rs.r[i - 1].cumulative_gas : 0);
            CHECK_EQ_U64(base, logs);
            logs += rs.r[i].nlogs;
            receipt_deinit(&rc);
            buf_deinit(&x);
            buf_deinit(&y);
        }
        hash_t none;
        CHECK_ERR(ERR_NOT_FOUND, chain_tx_hash_at(r, &h, b.ntxs, &none));
        tx_t past;
        receipt_t rpast;
        u256_t fpast;
        uint64_t p1, p2;
        CHECK_ERR(ERR_NOT_FOUND, chain_read_tx_at(r, &h, b.ntxs, &past, &none));
        CHECK_ERR(ERR_NOT_FOUND, chain_read_receipt_at(r, &h, b.ntxs, &rpast, &fpast, &p1, &p2));
        chain_receipts_free(&rs);
        block_deinit(&b);
    }
    chain_bloom_entry_t e;
    CHECK_ERR(ERR_NOT_FOUND, chain_bloom_iter_next(it, &e));
    chain_bloom_iter_close(it);
    db_txn_abort(r);
    /* After an unwind to 2 the index stops at 2. */
    db_txn_t *w;
    hash_t root;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(chain_unwind(w, 2, &root));
    CHECK_OK(db_txn_commit(w));
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(chain_bloom_iter_open(r, 1, 4, &it));
    CHECK_OK(chain_bloom_iter_next(it, &e));
    CHECK_OK(chain_bloom_iter_next(it, &e));
    CHECK_EQ_U64(e.number, 2);
    CHECK(chain_bloom_iter_next(it, &e) != ERR_OK);
    chain_bloom_iter_close(it);
    db_txn_abort(r);
    evm_free(evm);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
}

/* A dev datadir whose tries are written back every flush_every commits, with an EVM: the
 * write-back tests' fixture (decision 0019). */
typedef struct wb_dev {
    chain_spec_t *spec;
    char *dir;
    db_t *db;
    evm_t *evm;
} wb_dev_t;

static void wb_dev_open(wb_dev_t *f, uint32_t flush_every)
{
    CHECK_OK(chain_spec_load(&f->spec, "dev", NULL, 0));
    f->dir = tmpdir();
    f->db = open_dev(f->dir, f->spec);
    CHECK(f->db != NULL);
    db_writeback_opts_t o;
    db_writeback_defaults(&o);
    o.flush_every = flush_every;
    db_writeback_configure(f->db, &o);
    f->evm = evm_new();
}

/* Blocks 1..n of `per` transactions each; *root (may be NULL) gets the last one's state root. */
static void wb_dev_build(wb_dev_t *f, uint64_t n, size_t per, hash_t *root)
{
    for (uint64_t k = 0; k < n; k++) {
        built_t blk;
        size_t inc;
        CHECK_OK(build_block(f->db, f->spec, f->evm, f->spec->timestamp + k + 1, k * per, per, &blk,
                             &inc));
        CHECK_EQ_U64(inc, per);
        if (root)
            *root = blk.blk.header.state_root;
        block_deinit(&blk.blk);
    }
}

/* Close as a kill would leave it (nothing flushes) and open the database alone, without
 * chain_genesis_init's replay. */
static void wb_dev_reopen_raw(wb_dev_t *f)
{
    db_close(f->db);
    char path[128];
    snprintf(path, sizeof(path), "%s/db", f->dir);
    CHECK_OK(db_open(&f->db, path, 1ull << 30, DB_OPEN_NOSYNC, NULL, 0));
}

static void wb_dev_close(wb_dev_t *f)
{
    evm_free(f->evm);
    db_close(f->db);
    rmrf(f->dir);
    chain_spec_free(f->spec);
}

/* The tries are written back in batches (decision 0019): a process that ends before a flush
 * leaves them behind the flat state; reopening replays the missing blocks into them. */
TEST(blocks, tries_left_behind_by_an_unflushed_exit_are_replayed_on_open)
{
    wb_dev_t f;
    wb_dev_open(&f, 1000);
    wb_dev_build(&f, 6, 4, NULL);
    db_writeback_stats_t st;
    db_writeback_get_stats(f.db, &st);
    CHECK_EQ_U64(st.flushes, 1); /* genesis only */
    /* Opened without the replay, the tries answer "stale", never a wrong root. */
    wb_dev_reopen_raw(&f);
    db_txn_t *r;
    hash_t root, full;
    CHECK_OK(db_txn_begin(f.db, DB_TXN_READ, &r));
    CHECK_ERR(ERR_DB_STALE, state_db_root(r, &root));
    db_txn_abort(r);
    db_close(f.db);
    f.db = open_dev(f.dir, f.spec); /* chain_genesis_init replays blocks 1..6 */
    CHECK(f.db != NULL);
    CHECK_OK(db_txn_begin(f.db, DB_TXN_READ, &r));
    uint64_t head;
    hash_t hh;
    CHECK_OK(chain_head(r, &head, &hh));
    CHECK_EQ_U64(head, 6);
    block_t b;
    CHECK_OK(chain_read_block(r, &hh, &b));
    CHECK_OK(state_db_root(r, &root));
    CHECK_MEM_EQ(root.b, 32, b.header.state_root.b, 32);
    CHECK_OK(state_db_root_full(r, &full));
    CHECK_MEM_EQ(full.b, 32, root.b, 32);
    block_deinit(&b);
    db_txn_abort(r);
    built_t blk; /* and the chain goes on */
    size_t inc;
    CHECK_OK(build_block(f.db, f.spec, f.evm, f.spec->timestamp + 7, 24, 4, &blk, &inc));
    CHECK_EQ_U64(inc, 4);
    block_deinit(&blk.blk);
    wb_dev_close(&f);
}

/* The tries written back at the head while the flat tables' slices still lag (the sequencer's
 * write-back between blocks, then a kill): the reopening replays 0 blocks into the tries, puts
 * the flat log back, and says so; the state is whole. */
TEST(blocks, reopen_with_only_the_flat_log_behind_replays_zero_blocks)
{
    wb_dev_t f;
    wb_dev_open(&f, 1); /* the tries at every commit; the flat tables by slice */
    hash_t want;
    wb_dev_build(&f, 1, 3, &want);
    wb_dev_reopen_raw(&f); /* like a kill: no clean-stop flush */
    db_txn_t *w;
    bool ran;
    uint64_t replayed = 99;
    CHECK_OK(db_txn_begin(f.db, DB_TXN_WRITE, &w));
    CHECK_OK(state_db_catch_up(w, 1, &ran, &replayed));
    CHECK(ran);
    CHECK_EQ_U64(replayed, 0);
    CHECK_OK(db_txn_commit(w));
    db_txn_t *r;
    hash_t root, full;
    CHECK_OK(db_txn_begin(f.db, DB_TXN_READ, &r));
    CHECK_OK(state_db_root(r, &root));
    CHECK_OK(state_db_root_full(r, &full));
    CHECK_MEM_EQ(root.b, 32, want.b, 32);
    CHECK_MEM_EQ(full.b, 32, want.b, 32);
    db_txn_abort(r);
    wb_dev_close(&f);
}

/* If the flat state no longer matches the header after a crash (a damaged datadir), the replay
 * into the tries ends with a clear error at start-up instead of serving a wrong root. */
TEST(blocks, replay_over_damaged_flat_state_is_refused)
{
    wb_dev_t f;
    wb_dev_open(&f, 1000);
    wb_dev_build(&f, 3, 2, NULL);
    /* Damage the sender's flat record (a block changed it, so the replay reads it); it is
     * logged like any unflushed flat write. */
    addr_t sender;
    CHECK_OK(addr_from_hex(&sender, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42));
    db_txn_t *w;
    CHECK_OK(db_txn_begin(f.db, DB_TXN_WRITE, &w));
    buf_t v;
    buf_init(&v, 256);
    CHECK_OK(trie_account_rlp(&v, 999, u256_from_u64(1), &KECCAK_EMPTY_TRIE, &KECCAK_EMPTY));
    CHECK_OK(db_put(w, DB_ACCOUNTS, bview(sender.b, 20), buf_view(&v)));
    buf_deinit(&v);
    CHECK_OK(db_txn_commit(w));
    wb_dev_reopen_raw(&f); /* no flush: the tries lag behind */
    hash_t g;
    bool written;
    char diag[256] = "";
    CHECK_OK(db_txn_begin(f.db, DB_TXN_WRITE, &w));
    CHECK_ERR(ERR_TRIE_CORRUPT, chain_genesis_init(w, f.spec, &g, &written, diag, sizeof(diag)));
    CHECK(strstr(diag, "cannot bring the state tries up to block 3") != NULL);
    db_txn_abort(w);
    /* Nothing was committed: the tries still refuse to answer. */
    db_txn_t *r;
    hash_t root;
    CHECK_OK(db_txn_begin(f.db, DB_TXN_READ, &r));
    CHECK_ERR(ERR_DB_STALE, state_db_root(r, &root));
    db_txn_abort(r);
    wb_dev_close(&f);
}

/* A datadir written before the history batches has every block in the index and no
 * META history_indexed: reads stay right, and new blocks go to the change sets first. */
TEST(blocks, history_of_a_datadir_from_before_the_batches)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    evm_t *evm = evm_new();
    addr_t sender;
    CHECK_OK(addr_from_hex(&sender, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42));
    u256_t bal[6];
    state_db_set_history_batch(1); /* the old layout: every block indexed at once */
    for (uint64_t i = 0; i <= 5; i++) {
        if (i == 3) { /* the upgrade: the mark disappears, the batches start */
            db_txn_t *w;
            CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
            CHECK_OK(db_del(w, DB_META, bview("history_indexed", 15)));
            CHECK_OK(db_txn_commit(w));
            state_db_set_history_batch(128);
        }
        if (i > 0) {
            built_t blk;
            size_t inc;
            CHECK_OK(build_block(db, spec, evm, spec->timestamp + i, (i - 1) * 2, 2, &blk, &inc));
            block_deinit(&blk.blk);
        }
        bal[i] = balance_of(db, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    }
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    uint64_t mark;
    CHECK_OK(db_meta_get_u64(r, "history_indexed", &mark));
    CHECK_EQ_U64(mark, 2); /* recorded by block 3: blocks up to 2 are in the index */
    for (uint64_t i = 0; i <= 5; i++) {
        state_backend_t be;
        void *ctx;
        CHECK_OK(state_db_backend_at(r, i, &be, &ctx));
        state_account_t a;
        CHECK(be.get_account(be.ctx, &sender, &a));
        CHECK(u256_eq(a.balance, bal[i]));
        state_db_backend_at_free(ctx);
    }
    db_txn_abort(r);
    evm_free(evm);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
}

/* Readers on their own threads while blocks are committed (the tries' newest nodes in the
 * write-back cache): every read of the state root either equals the root of the head block in
 * the same snapshot or is told to retry (ERR_DB_STALE), never a mix of two blocks; every read of
 * an account is the head block's. */
typedef struct race {
    db_t *db;
    chain_spec_t *spec;
    int blocks;
    atomic_bool done;
    err_t err;
} race_t;

static void *race_writer(void *arg)
{
    race_t *x = arg;
    evm_t *evm = evm_new();
    for (int k = 0; k < x->blocks && !x->err; k++) {
        built_t blk;
        size_t inc;
        x->err = build_block(x->db, x->spec, evm, x->spec->timestamp + (uint64_t)k + 1,
                             (uint64_t)k * 4, 4, &blk, &inc);
        if (!x->err)
            block_deinit(&blk.blk);
    }
    evm_free(evm);
    atomic_store(&x->done, true);
    return NULL;
}

TEST(blocks, state_roots_read_while_blocks_commit_are_consistent)
{
    race_t x;
    memset(&x, 0, sizeof(x));
    CHECK_OK(chain_spec_load(&x.spec, "dev", NULL, 0));
    char *dir = tmpdir();
    x.db = open_dev(dir, x.spec);
    CHECK(x.db != NULL);
    x.blocks = 60;
    atomic_init(&x.done, false);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, race_writer, &x) == 0);
    uint64_t reads = 0, stale = 0;
    addr_t a0;
    CHECK_OK(addr_from_hex(&a0, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42));
    while (!atomic_load(&x.done) || reads < 10) {
        db_txn_t *r;
        CHECK_OK(db_txn_begin(x.db, DB_TXN_READ, &r));
        uint64_t head;
        hash_t hh, root;
        header_t h;
        CHECK_OK(chain_head(r, &head, &hh));
        CHECK_OK(chain_read_header(r, &hh, &h));
        /* The flat state of the same snapshot, never stale: KEY0 sends 4 transactions a block.
         * A reader may begin on a snapshot the cache has not merged yet (LMDB commits outside
         * the cache's lock) or one it has moved past; it reads its snapshot's log then. */
        state_backend_t be = state_db_backend(r);
        state_account_t acct;
        CHECK(be.get_account(be.ctx, &a0, &acct));
        CHECK_EQ_U64(acct.nonce, head * 4);
        err_t e = state_db_root(r, &root);
        if (e == ERR_DB_STALE) {
            stale++;
        } else {
            CHECK_OK(e);
            if (head > 0) /* genesis: the header keeps the alloc's root, equal on dev */
                CHECK_MEM_EQ(root.b, 32, h.state_root.b, 32);
            reads++;
        }
        header_deinit(&h);
        db_txn_abort(r);
    }
    pthread_join(th, NULL);
    CHECK_OK(x.err);
    fprintf(stderr, "  %llu consistent reads, %llu told to retry\n", (unsigned long long)reads,
            (unsigned long long)stale);
    db_close(x.db);
    rmrf(dir);
    chain_spec_free(x.spec);
}

/* Sealing hands the store the encodings it made (the receipts', for their root; the body, from
 * the raw transactions): they must equal what encoding the block and receipts again gives, for
 * legacy (a list in the body) and typed (a byte string) transactions alike, logs included. */
TEST(blocks, sealed_encodings_equal_encoding_again)
{
    chain_spec_t *spec;
    CHECK_OK(chain_spec_load(&spec, "dev", NULL, 0));
    char *dir = tmpdir();
    db_t *db = open_dev(dir, spec);
    CHECK(db != NULL);
    evm_t *evm = evm_new();
    db_txn_t *w;
    chain_builder_t *b;
    builder_on_head(db, spec, evm, spec->timestamp + 1, &w, &b);
    CHECK(b != NULL);
    /* LOG1 of 32 bytes from a contract created by the third transaction's init code. */
    static const uint8_t init[] = { 0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x07,
                                    0x60, 0x20, 0x60, 0x00, 0xa1, 0x00 };
    addr_t to;
    memset(to.b, 0x22, 20);
    buf_t raw;
    buf_init(&raw, 1 << 16);
    for (uint64_t i = 0; i < 4; i++) {
        tx_t tx;
        make_tx(&tx, KEY0, i, i == 2 ? NULL : &to, 5 + i, i == 2 ? init : NULL,
                i == 2 ? sizeof(init) : 0, i == 2 ? 200000 : 21000);
        if (i % 2) { /* legacy, EIP-155 */
            tx.type = TX_LEGACY;
            tx.gas_price = u256_from_u64(100000000);
            uint8_t sk[32];
            key(sk, KEY0);
            CHECK_OK(tx_sign(&tx, sk));
        }
        buf_reset(&raw);
        addr_t sender;
        CHECK_OK(tx_encode(&tx, &raw));
        CHECK_OK(tx_recover_sender(&tx, &sender));
        chain_add_result_t res;
        chain_builder_add(b, &tx, &sender, buf_view(&raw), &res);
        CHECK(res.invalid == TX_VALID && res.status);
        tx_deinit(&tx);
    }
    buf_deinit(&raw);
    block_t blk;
    hash_t bh;
    chain_receipts_t rs;
    CHECK_OK(chain_builder_seal(b, &blk, &bh, &rs));
    chain_builder_free(b);
    CHECK(rs.enc_end != NULL && rs.body.n > 0);
    CHECK_EQ_U64(rs.r[2].nlogs, 1);
    /* Receipts: from sealing's encodings and encoded again. */
    chain_receipts_t again = rs;
    again.enc_end = NULL;
    buf_t x, y;
    buf_init(&x, 1 << 20);
    buf_init(&y, 1 << 20);
    CHECK_OK(chain_receipts_encode(&rs, &x));
    CHECK_OK(chain_receipts_encode(&again, &y));
    CHECK_MEM_EQ(x.p, x.n, y.p, y.n);
    /* Body: stored from sealing's encoding, then stored from the block in a second try. */
    CHECK_OK(chain_store_block(w, &blk, &bh, &rs, NULL));
    bview_t v;
    CHECK_OK(db_get(w, DB_BODIES, bview(bh.b, 32), &v));
    buf_reset(&x);
    CHECK_OK(buf_append(&x, v.p, v.n));
    db_txn_abort(w);
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    again.body.n = 0;
    CHECK_OK(chain_store_block(w, &blk, &bh, &again, NULL));
    CHECK_OK(db_get(w, DB_BODIES, bview(bh.b, 32), &v));
    CHECK_MEM_EQ(x.p, x.n, v.p, v.n);
    db_txn_abort(w);
    buf_deinit(&x);
    buf_deinit(&y);
    chain_receipts_free(&rs);
    block_deinit(&blk);
    evm_free(evm);
    db_close(db);
    rmrf(dir);
    chain_spec_free(spec);
}
