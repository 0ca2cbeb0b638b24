#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "harness.h"

static char *tmpdir(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/rn_db_XXXXXX");
    return mkdtemp(path);
}

static void rmrf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
    }
}

static bview_t sv(const char *s)
{
    return bview(s, strlen(s));
}

TEST(db, put_get_commit_and_reopen)
{
    char *dir = tmpdir();
    char path[128];
    snprintf(path, sizeof(path), "%s/db", dir);
    db_t *db;
    CHECK_OK(db_open(&db, path, 1 << 26, DB_OPEN_DEFAULT, NULL, 0));
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_HEADERS, sv("k1"), sv("value-1")));
    CHECK_OK(db_meta_put_u64(w, "head", 42));
    bview_t v;
    CHECK_OK(db_get(w, DB_HEADERS, sv("k1"), &v));
    CHECK_MEM_EQ(v.p, v.n, "value-1", 7);
    CHECK_OK(db_txn_commit(w));

    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_HEADERS, sv("k2"), sv("aborted")));
    db_txn_abort(w);
    db_close(db);

    CHECK_OK(db_open(&db, path, 1 << 26, DB_OPEN_DEFAULT, NULL, 0));
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(db_get(r, DB_HEADERS, sv("k1"), &v));
    CHECK_MEM_EQ(v.p, v.n, "value-1", 7);
    CHECK_ERR(ERR_NOT_FOUND, db_get(r, DB_HEADERS, sv("k2"), &v));
    uint64_t head;
    CHECK_OK(db_meta_get_u64(r, "head", &head));
    CHECK_EQ_U64(head, 42);
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

TEST(db, reader_sees_a_stable_snapshot)
{
    char *dir = tmpdir();
    db_t *db;
    CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_NOSYNC, NULL, 0));
    db_txn_t *w, *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_CANONICAL, sv("a"), sv("1")));
    CHECK_OK(db_txn_commit(w));
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_CANONICAL, sv("a"), sv("2")));
    CHECK_OK(db_txn_commit(w));
    bview_t v;
    CHECK_OK(db_get(r, DB_CANONICAL, sv("a"), &v));
    CHECK_MEM_EQ(v.p, v.n, "1", 1);
    db_txn_abort(r);
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(db_get(r, DB_CANONICAL, sv("a"), &v));
    CHECK_MEM_EQ(v.p, v.n, "2", 1);
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

TEST(db, cursor_iterates_big_endian_keys_in_order)
{
    char *dir = tmpdir();
    db_t *db;
    CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_NOSYNC, NULL, 0));
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t n = (i * 7919) % 1000;
        uint8_t k[8];
        be_store64(k, n);
        CHECK_OK(db_put(w, DB_CANONICAL, bview(k, 8), bview(k, 8)));
    }
    CHECK_OK(db_txn_commit(w));
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    uint64_t count;
    CHECK_OK(db_count(r, DB_CANONICAL, &count));
    CHECK_EQ_U64(count, 1000);
    db_cursor_t *c;
    CHECK_OK(db_cursor_open(r, DB_CANONICAL, &c));
    uint8_t start[8];
    be_store64(start, 500);
    bview_t k, v;
    CHECK_OK(db_cursor_seek(c, bview(start, 8), &k, &v));
    uint64_t expect = 500;
    do {
        CHECK_EQ_U64(be_load64(k.p), expect);
        expect++;
    } while (db_cursor_next(c, &k, &v) == ERR_OK);
    CHECK_EQ_U64(expect, 1000);
    CHECK_OK(db_cursor_last(c, &k, &v));
    CHECK_EQ_U64(be_load64(k.p), 999);
    CHECK_OK(db_cursor_prev(c, &k, &v));
    CHECK_EQ_U64(be_load64(k.p), 998);
    db_cursor_close(c);
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

/* db_put_last appends keys past the last one, and still stores any other key (smaller, or the
 * last again) where it belongs, replacing an equal key's value. */
TEST(db, put_last_appends_and_falls_back_to_an_ordinary_put)
{
    char *dir = tmpdir();
    db_t *db;
    CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_NOSYNC, NULL, 0));
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    uint8_t k[8], v[8];
    for (uint64_t i = 10; i < 2000; i += 2) { /* in order: appends */
        be_store64(k, i);
        CHECK_OK(db_put_last(w, DB_CANONICAL, bview(k, 8), bview(k, 8)));
    }
    for (uint64_t i = 0; i < 2010; i += 3) { /* mostly behind the last key, some equal */
        be_store64(k, i);
        be_store64(v, i + 1);
        CHECK_OK(db_put_last(w, DB_CANONICAL, bview(k, 8), bview(v, 8)));
    }
    CHECK_OK(db_txn_commit(w));
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    db_cursor_t *c;
    CHECK_OK(db_cursor_open(r, DB_CANONICAL, &c));
    bview_t kv, vv;
    uint64_t prev = 0, n = 0;
    for (err_t e = db_cursor_first(c, &kv, &vv); e == ERR_OK; e = db_cursor_next(c, &kv, &vv)) {
        uint64_t key = be_load64(kv.p), val = be_load64(vv.p);
        CHECK(n == 0 || key > prev);
        CHECK(key % 3 == 0 ? val == key + 1 : val == key);
        CHECK(key % 3 == 0 || (key % 2 == 0 && key >= 10));
        prev = key;
        n++;
    }
    uint64_t want = 0;
    for (uint64_t i = 0; i < 2010; i++)
        want += i % 3 == 0 || (i % 2 == 0 && i >= 10 && i < 2000);
    CHECK_EQ_U64(n, want);
    db_cursor_close(c);
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

TEST(db, second_process_is_refused_with_pid)
{
    char *dir = tmpdir();
    db_t *db;
    CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_DEFAULT, NULL, 0));
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        db_t *db2;
        char diag[512];
        err_t e = db_open(&db2, dir, 1 << 26, DB_OPEN_DEFAULT, diag, sizeof(diag));
        char pidtxt[32];
        snprintf(pidtxt, sizeof(pidtxt), "pid %ld", (long)getppid());
        int ok = e == ERR_DB_LOCKED && strstr(diag, pidtxt) && strstr(diag, "in use");
        if (write(pipefd[1], ok ? "y" : "n", 1) != 1) {
        }
        _exit(0);
    }
    char got = 0;
    CHECK(read(pipefd[0], &got, 1) == 1);
    waitpid(pid, NULL, 0);
    CHECK(got == 'y');
    close(pipefd[0]);
    close(pipefd[1]);
    db_close(db);
    /* After close the lock is free again. */
    CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_DEFAULT, NULL, 0));
    db_close(db);
    rmrf(dir);
}

/* A new datadir in dir whose META says schema version ver, with one entry in CANONICAL. */
static void datadir_with_schema(const char *dir, uint64_t ver)
{
    db_t *db;
    CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_DEFAULT, NULL, 0));
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_meta_put_u64(w, "schema_version", ver));
    CHECK_OK(db_put(w, DB_CANONICAL, sv("k"), sv("v")));
    CHECK_OK(db_txn_commit(w));
    db_close(db);
}

/* An unknown schema version is refused. Versions 2 (before the flat tables were logged), 3
 * (before SENDERS) and 4 (before receipts' empty blooms) are upgraded in place when opened to
 * write; read-only they are refused, as an older build refuses a newer version. */
TEST(db, schema_mismatch_is_refused_and_versions_2_to_4_upgraded)
{
    char *dir = tmpdir();
    db_t *db;
    char diag[256];
    datadir_with_schema(dir, 999);
    CHECK_ERR(ERR_DB_SCHEMA, db_open(&db, dir, 1 << 26, DB_OPEN_DEFAULT, diag, sizeof(diag)));
    CHECK(strstr(diag, "schema version 999") != NULL);
    rmrf(dir);
    for (uint64_t old = 2; old <= 4; old++) {
        dir = tmpdir();
        datadir_with_schema(dir, old);
        CHECK_ERR(ERR_DB_SCHEMA, db_open(&db, dir, 1 << 26, DB_OPEN_READONLY, diag, sizeof(diag)));
        CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_DEFAULT, NULL, 0));
        db_close(db);
        CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_READONLY, diag, sizeof(diag)));
        db_txn_t *r;
        uint64_t ver;
        bview_t v;
        CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
        CHECK_OK(db_meta_get_u64(r, "schema_version", &ver));
        CHECK_EQ_U64(ver, DB_SCHEMA_VERSION);
        CHECK_OK(db_get(r, DB_CANONICAL, sv("k"), &v));
        CHECK_ERR(ERR_NOT_FOUND, db_get(r, DB_SENDERS, sv("k"), &v));
        db_txn_abort(r);
        db_close(db);
        rmrf(dir);
    }
}

TEST(db, map_full_is_an_error_not_a_crash)
{
    char *dir = tmpdir();
    db_t *db;
    CHECK_OK(db_open(&db, dir, 1 << 20, DB_OPEN_NOSYNC, NULL, 0));
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    uint8_t val[4096] = { 0 };
    err_t e = ERR_OK;
    for (uint64_t i = 0; i < 1000 && e == ERR_OK; i++) {
        uint8_t k[8];
        be_store64(k, i);
        e = db_put(w, DB_BODIES, bview(k, 8), bview(val, sizeof(val)));
    }
    CHECK_ERR(ERR_DB_MAP_FULL, e);
    db_txn_abort(w);
    db_close(db);
    rmrf(dir);
}

/* kill -9 in the middle of a stream of commits: each committed transaction writes a counter and
 * a record for it together, so after the crash the counter and the records agree exactly. */
TEST(db, sigkill_during_commits_keeps_transactions_whole)
{
    char *dir = tmpdir();
    for (int round = 0; round < 3; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            db_t *db;
            if (db_open(&db, dir, 1 << 28, DB_OPEN_DEFAULT, NULL, 0))
                _exit(2);
            for (;;) {
                db_txn_t *w;
                if (db_txn_begin(db, DB_TXN_WRITE, &w))
                    _exit(3);
                uint64_t n = 0;
                if (db_meta_get_u64(w, "count", &n) == ERR_NOT_FOUND)
                    n = 0;
                uint8_t k[8], val[256];
                be_store64(k, n);
                memset(val, (int)(n & 0xff), sizeof(val));
                if (db_put(w, DB_BODIES, bview(k, 8), bview(val, sizeof(val))) ||
                    db_meta_put_u64(w, "count", n + 1) || db_txn_commit(w))
                    _exit(4);
            }
        }
        usleep(150000 + (useconds_t)(test_rand() % 200000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFSIGNALED(st));
        db_t *db;
        CHECK_OK(db_open(&db, dir, 1 << 28, DB_OPEN_DEFAULT, NULL, 0));
        db_txn_t *r;
        CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
        uint64_t count = 0, rows = 0;
        CHECK_OK(db_meta_get_u64(r, "count", &count));
        CHECK_OK(db_count(r, DB_BODIES, &rows));
        CHECK_EQ_U64(rows, count);
        CHECK(count > 0);
        db_txn_abort(r);
        db_close(db);
    }
    rmrf(dir);
}

/* ---- write-back tables (decision 0019) ---- */

static db_t *open_wb(const char *dir, uint32_t flush_every, uint64_t cache_bytes)
{
    db_t *db;
    if (db_open(&db, dir, 1 << 26, DB_OPEN_NOSYNC, NULL, 0) != ERR_OK)
        return NULL;
    db_writeback_opts_t o;
    db_writeback_defaults(&o);
    o.flush_every = flush_every;
    o.slices = 3; /* the test keys start with a, b or c: one slice each */
    if (cache_bytes)
        o.cache_bytes = cache_bytes;
    db_writeback_configure(db, &o);
    return db;
}

static err_t wb_put1(db_t *db, const char *k, const char *v, bool flush)
{
    db_txn_t *w;
    TRY(db_txn_begin(db, DB_TXN_WRITE, &w));
    err_t e = v ? db_put(w, DB_ACCOUNT_TRIE, sv(k), sv(v)) : db_del(w, DB_ACCOUNT_TRIE, sv(k));
    db_txn_writeback_mark(w, 7);
    if (flush)
        db_txn_writeback_flush(w);
    if (e) {
        db_txn_abort(w);
        return e;
    }
    return db_txn_commit(w);
}

static void check_val(db_txn_t *t, const char *k, const char *want)
{
    bview_t v;
    if (!want) {
        CHECK_ERR(ERR_NOT_FOUND, db_get(t, DB_ACCOUNT_TRIE, sv(k), &v));
        return;
    }
    CHECK_OK(db_get(t, DB_ACCOUNT_TRIE, sv(k), &v));
    CHECK_MEM_EQ(v.p, v.n, want, strlen(want));
}

TEST(db, writeback_commits_join_the_cache_aborts_do_not)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    db_txn_t *w, *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_ACCOUNT_TRIE, sv("a"), sv("1")));
    check_val(w, "a", "1"); /* a transaction sees its own writes */
    db_txn_abort(w);
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    check_val(r, "a", NULL);
    db_txn_abort(r);
    CHECK_OK(wb_put1(db, "a", "1", false));
    CHECK_OK(wb_put1(db, "b", "2", false));
    CHECK_OK(wb_put1(db, "b", NULL, false));
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    check_val(r, "a", "1");
    check_val(r, "b", NULL);
    /* Overtaken by a new commit while the tables lag: the reader is told to retry. */
    CHECK_OK(wb_put1(db, "a", "3", false));
    bview_t v;
    CHECK_ERR(ERR_DB_STALE, db_get(r, DB_ACCOUNT_TRIE, sv("a"), &v));
    db_txn_abort(r);
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    check_val(r, "a", "3");
    db_txn_abort(r);
    db_cursor_t *c;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_ERR(ERR_UNSUPPORTED, db_cursor_open(r, DB_ACCOUNT_TRIE, &c));
    db_txn_abort(r);
    db_writeback_stats_t st;
    db_writeback_get_stats(db, &st);
    CHECK_EQ_U64(st.flushes, 0);
    CHECK(st.dirty_bytes > 0);
    db_close(db);
    rmrf(dir);
}

TEST(db, writeback_unflushed_tables_need_a_replay_after_reopen)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    CHECK_OK(wb_put1(db, "a", "1", true)); /* on disk, mark 7 */
    CHECK_OK(wb_put1(db, "a", "2", false));
    CHECK_OK(wb_put1(db, "n", "9", false));
    db_close(db); /* like a crash: nothing flushed the last two */
    db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    db_txn_t *r, *w;
    bview_t v;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_ERR(ERR_DB_STALE, db_get(r, DB_ACCOUNT_TRIE, sv("a"), &v));
    db_txn_abort(r);
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_ERR(ERR_DB_STALE, db_put(w, DB_ACCOUNT_TRIE, sv("x"), sv("1")));
    db_txn_abort(w);
    /* The replaying transaction sees LMDB's copy (the flushed "1"), repairs and flushes. */
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    uint64_t mark;
    CHECK(db_writeback_begin_replay(w, &mark));
    CHECK_EQ_U64(mark, 7);
    check_val(w, "a", "1");
    check_val(w, "n", NULL);
    CHECK_OK(db_put(w, DB_ACCOUNT_TRIE, sv("a"), sv("2")));
    db_txn_writeback_mark(w, 9);
    db_txn_writeback_flush(w);
    CHECK_OK(db_txn_commit(w));
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK(!db_writeback_begin_replay(w, &mark));
    CHECK_EQ_U64(mark, 9);
    db_txn_abort(w);
    db_close(db);
    db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    check_val(r, "a", "2");
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

/* How many commits WB_LOG holds now. */
static uint64_t wb_log_values(db_t *db)
{
    db_txn_t *r;
    uint64_t n = UINT64_MAX;
    if (db_txn_begin(db, DB_TXN_READ, &r) == ERR_OK && db_count(r, DB_WB_LOG, &n) != ERR_OK)
        n = UINT64_MAX;
    db_txn_abort(r);
    return n;
}

/* The flat tables are write-back tables too, but not derived data: a commit that leaves their
 * writes unflushed logs them (one WB_LOG value per commit), overtaken readers read the log instead
 * of being told to retry, a reopen after a crash puts the log back, and a flush empties it. */
/* One commit of account "acct1", its slot "acct1slot" (NULL: deleted) and the trie node "node":
 * both kinds of write-back table. */
static err_t commit_acct1(db_t *db, const char *acct, const char *slot, const char *node)
{
    db_txn_t *w;
    TRY(db_txn_begin(db, DB_TXN_WRITE, &w));
    err_t e = db_put(w, DB_ACCOUNTS, sv("acct1"), sv(acct));
    if (!e)
        e = slot ? db_put(w, DB_STORAGE, sv("acct1slot"), sv(slot))
                 : db_del(w, DB_STORAGE, sv("acct1slot"));
    if (!e)
        e = db_put(w, DB_ACCOUNT_TRIE, sv("node"), sv(node));
    if (e) {
        db_txn_abort(w);
        return e;
    }
    return db_txn_commit(w);
}

/* A reader that begins between LMDB's commit and the cache's merge (the writer commits outside
 * the cache's lock): its snapshot is newer than the cache, so it reads its snapshot's log. */
static int g_between;

static void read_between_commit_and_merge(void *ud)
{
    db_t *db = ud;
    db_txn_t *r;
    bview_t v;
    g_between++;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(db_get(r, DB_ACCOUNTS, sv("acct1"), &v));
    CHECK_MEM_EQ(v.p, v.n, "two", 3);
    CHECK_ERR(ERR_NOT_FOUND, db_get(r, DB_STORAGE, sv("acct1slot"), &v));
    CHECK_ERR(ERR_DB_STALE, db_get(r, DB_ACCOUNT_TRIE, sv("node"), &v));
    db_txn_abort(r);
}

TEST(db, writeback_reader_ahead_of_the_cache_reads_its_log)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    db_txn_t *r;
    bview_t v;
    CHECK_OK(commit_acct1(db, "one", "s1", "n1"));
    g_between = 0;
    db_test_commit_hook(db, read_between_commit_and_merge, db);
    CHECK_OK(commit_acct1(db, "two", NULL, "n2"));
    db_test_commit_hook(db, NULL, NULL);
    CHECK_EQ_INT(g_between, 1);
    /* After the merge a new reader reads the cache. */
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(db_get(r, DB_ACCOUNT_TRIE, sv("node"), &v));
    CHECK_MEM_EQ(v.p, v.n, "n2", 2);
    CHECK_OK(db_get(r, DB_ACCOUNTS, sv("acct1"), &v));
    CHECK_MEM_EQ(v.p, v.n, "two", 3);
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

TEST(db, writeback_flat_tables_are_logged_until_a_flush)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    db_txn_t *w, *r;
    bview_t v;
    CHECK_OK(commit_acct1(db, "one", "s1", "n1"));
    CHECK_EQ_U64(wb_log_values(db), 1);
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    /* r is overtaken by a commit that changes both kinds of table. */
    CHECK_OK(commit_acct1(db, "two", NULL, "n2"));
    CHECK_OK(db_get(r, DB_ACCOUNTS, sv("acct1"), &v));
    CHECK_MEM_EQ(v.p, v.n, "one", 3);
    CHECK_OK(db_get(r, DB_STORAGE, sv("acct1slot"), &v));
    CHECK_MEM_EQ(v.p, v.n, "s1", 2);
    CHECK_ERR(ERR_DB_STALE, db_get(r, DB_ACCOUNT_TRIE, sv("node"), &v));
    db_txn_abort(r);
    CHECK_EQ_U64(wb_log_values(db), 2);
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_ERR(ERR_UNSUPPORTED, db_scan(r, DB_ACCOUNT_TRIE, sv(""), NULL, NULL)); /* read by path */
    CHECK_ERR(ERR_NOT_FOUND, db_get(r, DB_STORAGE, sv("acct1slot"), &v));
    db_txn_abort(r);
    db_close(db); /* like a crash */
    db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_OK(db_get(r, DB_ACCOUNTS, sv("acct1"), &v));
    CHECK_MEM_EQ(v.p, v.n, "two", 3);
    CHECK_ERR(ERR_DB_STALE, db_get(r, DB_ACCOUNT_TRIE, sv("node"), &v));
    db_txn_abort(r);
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_ERR(ERR_DB_STALE, db_put(w, DB_ACCOUNTS, sv("acct2"), sv("x")));
    db_txn_abort(w);
    uint64_t mark;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK(db_writeback_begin_replay(w, &mark));
    CHECK_OK(db_get(w, DB_ACCOUNTS, sv("acct1"), &v));
    CHECK_MEM_EQ(v.p, v.n, "two", 3);
    CHECK_OK(db_put(w, DB_ACCOUNT_TRIE, sv("node"), sv("n2")));
    db_txn_writeback_flush(w);
    CHECK_OK(db_txn_commit(w));
    CHECK_EQ_U64(wb_log_values(db), 0); /* LMDB holds it all */
    db_close(db);
    /* One slice (here a key's first letter mod 3) is flushed per commit: three commits after a
     * write, every slice has reached LMDB and the logged commit has left the log. */
    db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_ACCOUNTS, sv("a1"), sv("x")));
    CHECK_OK(db_put(w, DB_ACCOUNTS, sv("b1"), sv("y")));
    CHECK_OK(db_put(w, DB_STORAGE, sv("c1"), sv("z")));
    CHECK_OK(db_txn_commit(w));
    db_writeback_stats_t st;
    for (int i = 0; i < 3; i++) {
        db_writeback_get_stats(db, &st);
        CHECK(st.dirty_bytes > 0);
        CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
        CHECK_OK(db_meta_put_u64(w, "block", (uint64_t)i));
        CHECK_OK(db_txn_commit(w));
    }
    db_writeback_get_stats(db, &st);
    CHECK_EQ_U64(st.dirty_bytes, 0);
    CHECK_EQ_U64(st.flushes, 0); /* the tries were not flushed: the slices did it */
    CHECK_EQ_U64(wb_log_values(db), 0);
    db_close(db);
    /* A damaged log is refused when the datadir is opened, not served. */
    db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_ACCOUNTS, sv("b2"), sv("three"))); /* slice 2: not flushed next */
    CHECK_OK(db_txn_commit(w));
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_WB_LOG, bview("\xff\xff\xff\xff\xff\xff\xff\xff", 8),
                    bview("\0\0\0\x05\0\0\0\x09", 8)));
    CHECK_OK(db_txn_commit(w));
    db_close(db);
    char diag[256] = "";
    CHECK_ERR(ERR_DB_CORRUPT, db_open(&db, dir, 1 << 26, DB_OPEN_NOSYNC, diag, sizeof(diag)));
    CHECK(strstr(diag, "write-back log") != NULL);
    rmrf(dir);
}

/* One commit putting val under keys "<letter><from>" .. "<letter><to - 1>" of table t. */
static void put_range(db_t *db, db_table_t t, char letter, int from, int to, const char *val)
{
    db_txn_t *w;
    char k[16];
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    for (int i = from; i < to; i++) {
        snprintf(k, sizeof(k), "%c%02d", letter, i);
        CHECK_OK(db_put(w, t, sv(k), sv(val)));
    }
    CHECK_OK(db_txn_commit(w));
}

/* flush_bytes: the tries' unflushed bytes flush the tries alone; the flat tables' flush
 * everything only at four times as many (the slices normally keep them lower). */
TEST(db, writeback_flush_by_bytes_is_per_kind)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    db_writeback_opts_t o;
    db_writeback_defaults(&o);
    o.flush_every = 1000;
    o.flush_bytes = 8192;
    o.slices = 3;
    db_writeback_configure(db, &o);
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    db_writeback_stats_t st;
    /* Flat entries in slice 0 ('c' = 99), which the commits below do not reach: the first
     * flushes slice 0 before its own entries join the cache, the others slices 1 and 2. */
    put_range(db, DB_ACCOUNTS, 'c', 0, 10, big); /* ~7 KB flat, below 4 x 8 KB */
    /* ~13 KB of trie nodes: the tries are flushed, not the flat */
    put_range(db, DB_ACCOUNT_TRIE, 'n', 0, 20, big);
    db_writeback_get_stats(db, &st);
    CHECK_EQ_U64(st.flushes, 1);
    CHECK(st.dirty_bytes > 6000);
    CHECK_EQ_U64(wb_log_values(db), 1);
    put_range(db, DB_ACCOUNTS, 'c', 10, 60, big); /* ~36 KB flat: everything, log emptied */
    db_writeback_get_stats(db, &st);
    CHECK_EQ_U64(st.flushes, 2);
    CHECK_EQ_U64(st.dirty_bytes, 0);
    CHECK_EQ_U64(wb_log_values(db), 0);
    db_close(db);
    rmrf(dir);
}

/* db_writeback_flush_due says when the next commit would write the tries back, so that the
 * sequencer can give that its own empty commit between blocks. */
TEST(db, writeback_flush_due_lets_an_empty_commit_do_it)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 3, 0);
    CHECK(db != NULL);
    db_writeback_stats_t st;
    CHECK(!db_writeback_flush_due(db));
    CHECK_OK(wb_put1(db, "a", "1", false));
    CHECK(!db_writeback_flush_due(db));
    CHECK_OK(wb_put1(db, "b", "2", false));
    CHECK(db_writeback_flush_due(db)); /* the third commit flushes */
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_txn_commit(w));
    db_writeback_get_stats(db, &st);
    CHECK_EQ_U64(st.flushes, 1);
    CHECK_EQ_U64(st.dirty_bytes, 0);
    CHECK(!db_writeback_flush_due(db));
    db_close(db);
    rmrf(dir);
}

TEST(db, writeback_flush_policy_prefix_delete_and_eviction)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 4, 2048); /* flush every 4th commit; tiny clean budget */
    CHECK(db != NULL);
    char k[32], val[32];
    for (int i = 0; i < 8; i++) {
        db_txn_t *w;
        CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
        for (int j = 0; j < 50; j++) {
            snprintf(k, sizeof(k), "%c%03d", j % 2 ? 'p' : 'q', i * 50 + j);
            snprintf(val, sizeof(val), "v%d", i * 50 + j);
            CHECK_OK(db_put(w, DB_STORAGE_TRIE, sv(k), sv(val)));
        }
        CHECK_OK(db_txn_commit(w));
    }
    db_writeback_stats_t st;
    db_writeback_get_stats(db, &st);
    CHECK_EQ_U64(st.flushes, 2);
    CHECK_EQ_U64(st.flushed_entries, 400);
    CHECK(st.evictions > 0);
    CHECK_EQ_U64(st.dirty_bytes, 0);
    db_txn_t *w, *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_STORAGE_TRIE, sv("p999"), sv("new"))); /* unflushed, same prefix */
    CHECK_OK(db_del_prefix(w, DB_STORAGE_TRIE, sv("p")));
    CHECK_OK(db_txn_commit(w));
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    bview_t v;
    for (int i = 0; i < 400; i++) {
        snprintf(k, sizeof(k), "%c%03d", i % 2 ? 'p' : 'q', i);
        snprintf(val, sizeof(val), "v%d", i);
        if (i % 2) {
            CHECK_ERR(ERR_NOT_FOUND, db_get(r, DB_STORAGE_TRIE, sv(k), &v));
        } else {
            CHECK_OK(db_get(r, DB_STORAGE_TRIE, sv(k), &v));
            CHECK_MEM_EQ(v.p, v.n, val, strlen(val));
        }
    }
    CHECK_ERR(ERR_NOT_FOUND, db_get(r, DB_STORAGE_TRIE, sv("p999"), &v));
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

/* Random puts, deletes, prefix deletes, commits, aborts, flushes, stale readers and reopenings
 * against a model: the committed state, and the state of the last flush (what LMDB holds). */
enum {
    WBM_KEYS = 48,
    WBM_VLEN = 12
};

typedef struct wbm {
    bool has[WBM_KEYS];
    char val[WBM_KEYS][WBM_VLEN];
} wbm_t;

static void wbm_key(char k[8], int i)
{
    snprintf(k, 8, "%c%02d", "abc"[i % 3], i % 100); /* prefixes a, b, c */
}

/* Two derived tables (the tries) and two logged ones (the flat state). */
static db_table_t wbm_table(int i)
{
    static const db_table_t t[4] = { DB_ACCOUNT_TRIE, DB_STORAGE_TRIE, DB_ACCOUNTS, DB_STORAGE };
    return t[i % 4];
}

static bool wbm_logged(int i)
{
    return wbm_table(i) == DB_ACCOUNTS || wbm_table(i) == DB_STORAGE;
}

typedef struct wbm_scan {
    const wbm_t *m;
    db_table_t t;
    int next; /* the model's next key index expected, in key order */
    bool bad;
} wbm_scan_t;

/* Keys sort as letter then number, and the number of a key fixes its letter (i % 3): walking the
 * model in key order is letters a, b, c, each with its indexes ascending. */
static int wbm_next_in(const wbm_t *m, db_table_t t, int after, char letter)
{
    for (int pass = 0; pass < 3; pass++) {
        char l = "abc"[pass];
        if (letter && l != letter)
            continue;
        for (int i = 0; i < WBM_KEYS; i++) {
            char k[8];
            wbm_key(k, i);
            if (k[0] != l || wbm_table(i) != t || !m->has[i])
                continue;
            if (after < 0)
                return i;
            char ka[8];
            wbm_key(ka, after);
            if (strcmp(k, ka) > 0)
                return i;
        }
    }
    return -1;
}

static char g_scan_letter;

static bool wbm_scan_fn(void *ctx, bview_t k, bview_t v)
{
    wbm_scan_t *s = ctx;
    int i = s->next;
    char want[8];
    if (i >= 0)
        wbm_key(want, i);
    if (i < 0 || k.n != strlen(want) || memcmp(k.p, want, k.n) != 0 ||
        v.n != strlen(s->m->val[i]) || memcmp(v.p, s->m->val[i], v.n) != 0) {
        s->bad = true;
        return false;
    }
    s->next = wbm_next_in(s->m, s->t, i, g_scan_letter);
    return true;
}

/* A scan of each logged table (whole, or one letter) lists exactly the model's entries. */
static void wbm_check_scan(db_txn_t *t, const wbm_t *m, const char *what)
{
    static const db_table_t tables[2] = { DB_ACCOUNTS, DB_STORAGE };
    for (int j = 0; j < 2; j++) {
        int r = (int)(test_rand() % 4);
        g_scan_letter = r < 3 ? "abc"[r] : 0;
        char pre[2] = { g_scan_letter, 0 };
        wbm_scan_t s = { m, tables[j], wbm_next_in(m, tables[j], -1, g_scan_letter), false };
        CHECK_OK(db_scan(t, tables[j], sv(pre), wbm_scan_fn, &s));
        if (s.bad || s.next >= 0)
            harness_fail(__FILE__, __LINE__, "%s: scan of %s (prefix '%s') differs from the model",
                         what, db_table_name(tables[j]), pre);
    }
}

static void wbm_check(db_txn_t *t, const wbm_t *m, int i, const char *what)
{
    char k[8];
    wbm_key(k, i);
    bview_t v;
    err_t e = db_get(t, wbm_table(i), sv(k), &v);
    if (!m->has[i]) {
        if (e != ERR_NOT_FOUND)
            harness_fail(__FILE__, __LINE__, "%s: key %s: %s, want absent", what, k, err_name(e));
        return;
    }
    if (e != ERR_OK || v.n != strlen(m->val[i]) || memcmp(v.p, m->val[i], v.n) != 0)
        harness_fail(__FILE__, __LINE__, "%s: key %s: %s, want %s", what, k, err_name(e),
                     m->val[i]);
}

TEST(db, writeback_random_operations_match_a_model)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 3, 4096);
    CHECK(db != NULL);
    wbm_t committed, flushed;
    memset(&committed, 0, sizeof(committed));
    memset(&flushed, 0, sizeof(flushed));
    for (int round = 0; round < 400; round++) {
        unsigned op = (unsigned)(test_rand() % 10);
        if (op < 7) { /* a write transaction */
            wbm_t next = committed;
            bool gone[WBM_KEYS] = { false }; /* prefix deletes reach LMDB at once */
            db_txn_t *w;
            CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
            int nops = 1 + (int)(test_rand() % 6);
            for (int j = 0; j < nops; j++) {
                int i = (int)(test_rand() % WBM_KEYS);
                char k[8];
                wbm_key(k, i);
                unsigned kind = (unsigned)(test_rand() % 10);
                if (kind < 6) {
                    snprintf(next.val[i], WBM_VLEN, "v%d.%d", round, j);
                    next.has[i] = true;
                    CHECK_OK(db_put(w, wbm_table(i), sv(k), sv(next.val[i])));
                } else if (kind < 9) {
                    next.has[i] = false;
                    CHECK_OK(db_del(w, wbm_table(i), sv(k)));
                } else { /* every key of one table with this key's first letter */
                    char pre[2] = { k[0], 0 };
                    CHECK_OK(db_del_prefix(w, wbm_table(i), sv(pre)));
                    for (int x = 0; x < WBM_KEYS; x++) {
                        char kx[8];
                        wbm_key(kx, x);
                        if (kx[0] == k[0] && wbm_table(x) == wbm_table(i)) {
                            next.has[x] = false;
                            gone[x] = true;
                        }
                    }
                }
                wbm_check(w, &next, (int)(test_rand() % WBM_KEYS), "in the write transaction");
            }
            wbm_check_scan(w, &next, "the write transaction");
            if (test_rand() % 5 == 0) {
                db_txn_abort(w);
                continue;
            }
            if (test_rand() % 10 == 0)
                db_txn_writeback_flush(w);
            CHECK_OK(db_meta_put_u64(w, "round", (uint64_t)round)); /* like a block */
            db_writeback_stats_t before, after;
            db_writeback_get_stats(db, &before);
            CHECK_OK(db_txn_commit(w));
            db_writeback_get_stats(db, &after);
            committed = next;
            for (int x = 0; x < WBM_KEYS; x++)
                if (gone[x])
                    flushed.has[x] = false;
            if (after.flushes > before.flushes)
                flushed = committed;
        } else if (op < 9) { /* a reader, overtaken by a commit half of the time */
            db_txn_t *r;
            CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
            wbm_t snap = committed;
            for (int x = 0; x < WBM_KEYS; x++)
                wbm_check(r, &snap, x, "a fresh reader");
            wbm_check_scan(r, &snap, "a fresh reader");
            if (test_rand() % 2) {
                db_txn_t *w;
                CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
                char k[8];
                wbm_key(k, 5);
                snprintf(committed.val[5], WBM_VLEN, "o%d", round);
                committed.has[5] = true;
                CHECK_OK(db_put(w, wbm_table(5), sv(k), sv(committed.val[5])));
                CHECK_OK(db_meta_put_u64(w, "round", (uint64_t)round));
                db_writeback_stats_t before, after;
                db_writeback_get_stats(db, &before);
                CHECK_OK(db_txn_commit(w));
                db_writeback_get_stats(db, &after);
                if (after.flushes > before.flushes)
                    flushed = committed;
                bview_t v;
                char k2[8];
                int x = (int)(test_rand() % WBM_KEYS);
                wbm_key(k2, x);
                err_t e = db_get(r, wbm_table(x), sv(k2), &v);
                if (e != ERR_DB_STALE || wbm_logged(x)) /* the tries may ask for a retry */
                    wbm_check(r, &snap, x, "an overtaken reader");
                for (int y = 0; y < WBM_KEYS; y++) /* the flat tables never do */
                    if (wbm_logged(y))
                        wbm_check(r, &snap, y, "an overtaken reader of the flat tables");
                wbm_check_scan(r, &snap, "an overtaken reader");
            }
            db_txn_abort(r);
        } else { /* close without flushing (like a crash) and reopen */
            db_close(db);
            db = open_wb(dir, 3, 4096);
            CHECK(db != NULL);
            db_txn_t *r;
            CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r)); /* the flat tables came back whole */
            for (int x = 0; x < WBM_KEYS; x++)
                if (wbm_logged(x))
                    wbm_check(r, &committed, x, "a reader after the reopen");
            wbm_check_scan(r, &committed, "a reader after the reopen");
            db_txn_abort(r);
            db_txn_t *w;
            CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
            uint64_t mark;
            if (db_writeback_begin_replay(w, &mark)) {
                /* LMDB holds the tries' last flush; the replay writes what came after it. The
                 * flat tables are as committed: their log was put back. */
                for (int x = 0; x < WBM_KEYS; x++)
                    wbm_check(w, wbm_logged(x) ? &committed : &flushed, x,
                              "the replaying transaction");
                wbm_check_scan(w, &committed, "the replaying transaction");
                for (int x = 0; x < WBM_KEYS; x++) {
                    char k[8];
                    wbm_key(k, x);
                    if (committed.has[x])
                        CHECK_OK(db_put(w, wbm_table(x), sv(k), sv(committed.val[x])));
                    else
                        CHECK_OK(db_del(w, wbm_table(x), sv(k)));
                }
                db_txn_writeback_flush(w);
                flushed = committed;
            } else {
                for (int x = 0; x < WBM_KEYS; x++)
                    wbm_check(w, &committed, x, "after a reopen with nothing to replay");
            }
            CHECK_OK(db_txn_commit(w));
        }
    }
    db_close(db);
    rmrf(dir);
}

/* The write-back cache sorts entries by their first 8 bytes, then by the whole key: keys that
 * share long prefixes, and keys that are prefixes of others, must still come out of a scan in
 * LMDB's order, from the transaction's own entries, from the committed cache and from the log
 * put back after a reopen. */
typedef struct sorted_scan {
    uint8_t prev[64];
    size_t prev_n, n;
    bool bad;
} sorted_scan_t;

static bool sorted_scan_fn(void *ctx, bview_t k, bview_t v)
{
    sorted_scan_t *s = ctx;
    (void)v;
    if (s->n) {
        size_t m = s->prev_n < k.n ? s->prev_n : k.n;
        int r = memcmp(s->prev, k.p, m);
        if (r > 0 || (r == 0 && s->prev_n >= k.n))
            s->bad = true;
    }
    if (k.n > sizeof(s->prev)) {
        s->bad = true;
        return false;
    }
    memcpy(s->prev, k.p, k.n);
    s->prev_n = k.n;
    s->n++;
    return true;
}

static void check_sorted_scan(db_txn_t *t, size_t want, const char *what)
{
    sorted_scan_t s = { .n = 0 };
    CHECK_OK(db_scan(t, DB_STORAGE, sv(""), sorted_scan_fn, &s));
    if (s.bad || s.n != want)
        harness_fail(__FILE__, __LINE__, "%s: %zu keys, want %zu, %s", what, s.n, want,
                     s.bad ? "out of order" : "in order");
}

TEST(db, writeback_sorts_keys_that_share_long_prefixes)
{
    enum {
        NK = 300
    };

    static const uint8_t alpha[3] = { 0x00, 0x01, 0xff };
    static uint8_t keys[NK][40];
    static size_t lens[NK];
    size_t nk = 0;
    while (nk < NK) {
        size_t n = 1 + test_rand() % 39;
        uint8_t k[40];
        for (size_t i = 0; i < n; i++) /* mostly one long shared prefix, then a few bytes */
            k[i] = i < 6 && test_rand() % 8 ? (uint8_t) "slots!"[i] : alpha[test_rand() % 3];
        bool dup = false;
        for (size_t j = 0; j < nk && !dup; j++)
            dup = lens[j] == n && memcmp(keys[j], k, n) == 0;
        if (dup)
            continue;
        memcpy(keys[nk], k, n);
        lens[nk++] = n;
    }
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    for (size_t i = 0; i < NK; i++)
        CHECK_OK(db_put(w, DB_STORAGE, bview(keys[i], lens[i]), sv("v")));
    check_sorted_scan(w, NK, "the write transaction");
    CHECK_OK(db_meta_put_u64(w, "round", 1));
    CHECK_OK(db_txn_commit(w));
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    check_sorted_scan(w, NK, "the committed cache");
    db_txn_abort(w);
    db_close(db); /* unflushed: the accounts and slots come back from the log */
    db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    check_sorted_scan(r, NK, "a reader after the reopen");
    for (size_t i = 0; i < NK; i++) {
        bview_t v;
        CHECK_OK(db_get(r, DB_STORAGE, bview(keys[i], lens[i]), &v));
    }
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

/* db_get_concurrent answers from the transaction's own writes, the committed cache and LMDB
 * (through a snapshot of the last commit) like db_get, and refuses what it cannot answer that
 * way: read transactions, tables outside the write-back cache, and a table whose LMDB entries
 * this transaction removed by prefix (the snapshot would still show them). */
TEST(db, concurrent_gets_answer_like_db_get_and_refuse_what_they_cannot)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1, 0);
    CHECK(db != NULL);
    CHECK_OK(wb_put1(db, "a", "1", true));
    db_close(db);
    db = open_wb(dir, 1000, 0); /* reopened: "a" only in LMDB */
    CHECK(db != NULL);
    CHECK_OK(wb_put1(db, "b", "2", false)); /* "b" in the committed cache only */
    db_txn_t *w, *r;
    bview_t v;
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    CHECK_ERR(ERR_UNSUPPORTED, db_get_concurrent(r, DB_ACCOUNT_TRIE, sv("a"), &v));
    db_txn_abort(r);
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_put(w, DB_ACCOUNT_TRIE, sv("c"), sv("3")));
    CHECK_OK(db_get_concurrent(w, DB_ACCOUNT_TRIE, sv("a"), &v));
    CHECK_MEM_EQ(v.p, v.n, "1", 1);
    CHECK_OK(db_get_concurrent(w, DB_ACCOUNT_TRIE, sv("b"), &v));
    CHECK_MEM_EQ(v.p, v.n, "2", 1);
    CHECK_OK(db_get_concurrent(w, DB_ACCOUNT_TRIE, sv("c"), &v));
    CHECK_MEM_EQ(v.p, v.n, "3", 1);
    CHECK_ERR(ERR_NOT_FOUND, db_get_concurrent(w, DB_ACCOUNT_TRIE, sv("zz"), &v));
    CHECK_ERR(ERR_UNSUPPORTED, db_get_concurrent(w, DB_META, sv("a"), &v));
    CHECK_OK(db_del_prefix(w, DB_ACCOUNT_TRIE, sv("z")));
    CHECK_ERR(ERR_UNSUPPORTED, db_get_concurrent(w, DB_ACCOUNT_TRIE, sv("zz"), &v));
    CHECK_OK(db_get_concurrent(w, DB_ACCOUNT_TRIE, sv("c"), &v)); /* its own write still */
    db_txn_abort(w);
    db_close(db);
    rmrf(dir);
}

/* The entries' memory (wb.c "entry memory"): values of every size class and past the largest
 * (malloc'd), replaced, aborted and evicted through a cache far smaller than the data, read back
 * against a model after every commit. A size class handing out memory still in use, or a free
 * list linked through a live entry, changes some value here. */
enum {
    WBS_KEYS = 64,
    WBS_MAX = 2100
};

/* Key k of round (round < 0: the same key in every round), in slice a, b or c. */
static bview_t wbs_key(char key[16], int k, int round)
{
    if (round < 0)
        snprintf(key, 16, "%c%03d", "abc"[k % 3], k);
    else
        snprintf(key, 16, "%c%05d.%d", "abc"[k % 3], k, round);
    return sv(key);
}

static void wbs_fill(uint8_t *p, size_t n, int key, int round)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(key * 31 + round * 7 + (int)i);
}

TEST(db, writeback_entries_of_every_size_are_kept_apart)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 5, 64 * 1024);
    CHECK(db != NULL);
    static uint8_t val[WBS_MAX];
    size_t len[WBS_KEYS];
    int round_of[WBS_KEYS];
    for (int i = 0; i < WBS_KEYS; i++)
        round_of[i] = -1;
    for (int round = 0; round < 120; round++) {
        db_txn_t *w;
        CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
        bool abort = test_rand() % 6 == 0;
        size_t nlen[WBS_KEYS];
        int nround[WBS_KEYS];
        memcpy(nlen, len, sizeof(len));
        memcpy(nround, round_of, sizeof(round_of));
        for (int j = 0; j < 40; j++) {
            int k = (int)(test_rand() % WBS_KEYS);
            char key[16];
            /* every 32-byte class up to 1 KiB, and past it */
            size_t n = (size_t)(test_rand() % WBS_MAX);
            wbs_fill(val, n, k, round);
            CHECK_OK(db_put(w, DB_ACCOUNT_TRIE, wbs_key(key, k, -1), bview(val, n)));
            nlen[k] = n;
            nround[k] = round;
        }
        if (abort) {
            db_txn_abort(w);
        } else {
            CHECK_OK(db_txn_commit(w));
            memcpy(len, nlen, sizeof(len));
            memcpy(round_of, nround, sizeof(round_of));
        }
        db_txn_t *r; /* a reader: its reads leave the entries' second-chance marks alone */
        CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
        for (int k = 0; k < WBS_KEYS; k++) {
            char key[16];
            bview_t v, kv = wbs_key(key, k, -1);
            if (round_of[k] < 0) {
                CHECK_ERR(ERR_NOT_FOUND, db_get(r, DB_ACCOUNT_TRIE, kv, &v));
                continue;
            }
            CHECK_OK(db_get(r, DB_ACCOUNT_TRIE, kv, &v));
            wbs_fill(val, len[k], k, round_of[k]);
            CHECK_MEM_EQ(v.p, v.n, val, len[k]);
        }
        db_txn_abort(r);
    }
    db_writeback_stats_t st;
    db_writeback_get_stats(db, &st);
    CHECK(st.evictions > 0); /* the small cache gave entries back */
    db_close(db);
    rmrf(dir);
}

/* A transaction's own slot table is kept for the next one, but not one grown for a single
 * big transaction: later small ones would probe a sparse table and clear all of it. */
TEST(db, a_big_transactions_table_is_not_kept_for_small_ones)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    static const uint8_t val[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    size_t sizes[] = { 6000, 200000, 6000, 6000 }, kept[4];
    for (int round = 0; round < 4; round++) {
        db_txn_t *w;
        CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
        for (size_t k = 0; k < sizes[round]; k++) {
            char key[16];
            CHECK_OK(db_put(w, DB_ACCOUNT_TRIE, wbs_key(key, (int)k, round), bview(val, 8)));
        }
        CHECK_OK(db_txn_commit(w));
        db_writeback_stats_t st;
        db_writeback_get_stats(db, &st);
        kept[round] = st.txn_slots;
    }
    CHECK(kept[0] >= 8192 && kept[0] <= 16384); /* 6 000 entries below 3/4 full */
    CHECK(kept[1] >= 262144);                   /* the big one fits itself: kept */
    CHECK(kept[2] == 0);                        /* then too big for 6 000: dropped */
    CHECK(kept[3] == kept[0]);                  /* and grown again to fit */
    db_txn_t *r;                                /* everything written is there */
    CHECK_OK(db_txn_begin(db, DB_TXN_READ, &r));
    for (int round = 0; round < 4; round++) {
        char key[16];
        bview_t v;
        CHECK_OK(db_get(r, DB_ACCOUNT_TRIE, wbs_key(key, (int)sizes[round] - 1, round), &v));
        CHECK_MEM_EQ(v.p, v.n, val, 8);
    }
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}

/* db_writeback_prepare between commits (as the sequencer between blocks): the committed cache's
 * table grows ahead and entry memory is mapped ahead; commits big enough to need it (several
 * MiB of entries, past the slab's small first chunks) then take that memory, and every value
 * reads back. */
TEST(db, writeback_prepare_readies_room_for_the_next_commit)
{
    char *dir = tmpdir();
    db_t *db = open_wb(dir, 1000, 0);
    CHECK(db != NULL);
    static uint8_t val[600];
    for (int round = 0; round < 4; round++) {
        db_txn_t *w;
        CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
        for (int k = 0; k < 6000; k++) {
            char key[16];
            wbs_fill(val, 100 + (size_t)k % 500, k, round);
            CHECK_OK(db_put(w, DB_ACCOUNT_TRIE, wbs_key(key, k, round),
                            bview(val, 100 + (size_t)k % 500)));
        }
        CHECK_OK(db_txn_commit(w));
        db_writeback_prepare(db);
        db_writeback_prepare(db); /* nothing carved since: nothing more */
    }
    db_txn_t *r;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &r));
    for (int round = 0; round < 4; round++)
        for (int k = 0; k < 6000; k++) {
            char key[16];
            bview_t v;
            CHECK_OK(db_get(r, DB_ACCOUNT_TRIE, wbs_key(key, k, round), &v));
            wbs_fill(val, 100 + (size_t)k % 500, k, round);
            CHECK_MEM_EQ(v.p, v.n, val, 100 + (size_t)k % 500);
        }
    db_txn_abort(r);
    db_close(db);
    rmrf(dir);
}
