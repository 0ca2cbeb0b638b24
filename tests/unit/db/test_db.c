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

TEST(db, schema_mismatch_is_refused)
{
    char *dir = tmpdir();
    db_t *db;
    CHECK_OK(db_open(&db, dir, 1 << 26, DB_OPEN_DEFAULT, NULL, 0));
    db_txn_t *w;
    CHECK_OK(db_txn_begin(db, DB_TXN_WRITE, &w));
    CHECK_OK(db_meta_put_u64(w, "schema_version", 999));
    CHECK_OK(db_txn_commit(w));
    db_close(db);
    char diag[256];
    CHECK_ERR(ERR_DB_SCHEMA, db_open(&db, dir, 1 << 26, DB_OPEN_DEFAULT, diag, sizeof(diag)));
    CHECK(strstr(diag, "schema version 999") != NULL);
    rmrf(dir);
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
