/* tests/fuzz/fuzz_wblog.c — arbitrary bytes as a value of the write-back log (WB_LOG, decision
 * 0019), the one table the db layer decodes after a crash.
 *
 * The input becomes the newest logged commit of a datadir whose flat tables lag, then is read
 * the ways the log is read: an overtaken reader's point lookups (binary search) and its db_scan
 * (every record, merged over LMDB; db_open's replay after a crash parses with the same loader,
 * and tests/unit/db checks that it refuses a damaged value). Checks: no crash or sanitizer
 * report; each read answers ERR_OK, ERR_NOT_FOUND or ERR_DB_CORRUPT (damage is refused, never
 * served as something else). One datadir serves the whole run; each input starts from an empty
 * log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "fuzz.h"

static bool count_entry(void *ctx, bview_t k, bview_t v)
{
    (void)k;
    (void)v;
    (*(size_t *)ctx)++;
    return true;
}

static bool read_ok(err_t e)
{
    return e == ERR_OK || e == ERR_NOT_FOUND || e == ERR_DB_CORRUPT;
}

static err_t put_commit(db_t *db, db_table_t t, bview_t k, bview_t v)
{
    db_txn_t *w;
    TRY(db_txn_begin(db, DB_TXN_WRITE, &w));
    err_t e = db_put(w, t, k, v);
    if (e) {
        db_txn_abort(w);
        return e;
    }
    return db_txn_commit(w);
}

static char g_dir[] = "/tmp/rn_fuzz_wblog_XXXXXX";
static db_t *g_db;

static void cleanup(void)
{
    db_close(g_db);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", g_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_db) { /* one datadir for the whole run */
        REQUIRE(mkdtemp(g_dir) != NULL);
        REQUIRE(db_open(&g_db, g_dir, 1 << 26, DB_OPEN_NOSYNC, NULL, 0) == ERR_OK);
        atexit(cleanup);
    }
    db_t *db = g_db;
    /* Start from an empty log: a flush of everything, then a logged flat write (the flat
     * tables lag), then the input as the next logged commit. */
    db_txn_t *w;
    REQUIRE(db_txn_begin(db, DB_TXN_WRITE, &w) == ERR_OK);
    db_txn_writeback_flush(w);
    REQUIRE(db_txn_commit(w) == ERR_OK);
    REQUIRE(put_commit(db, DB_ACCOUNTS, bview("ab", 2), bview("x", 1)) == ERR_OK);
    uint8_t next[8] = { 0 };
    db_cursor_t *c;
    bview_t lk, lv;
    REQUIRE(db_txn_begin(db, DB_TXN_READ, &w) == ERR_OK);
    REQUIRE(db_cursor_open(w, DB_WB_LOG, &c) == ERR_OK);
    REQUIRE(db_cursor_last(c, &lk, &lv) == ERR_OK && lk.n == 8);
    memcpy(next, lk.p, 8);
    db_cursor_close(c);
    db_txn_abort(w);
    for (int i = 7; i >= 0 && ++next[i] == 0; i--) {
    }
    REQUIRE(put_commit(db, DB_WB_LOG, bview(next, 8), bview(data, size)) == ERR_OK);
    /* An overtaken reader reads the log (the overtaking commit logs nothing, so the input stays
     * the newest value): point lookups (binary search) and scans (every record, as the replay
     * after a crash parses them). */
    db_txn_t *r;
    REQUIRE(db_txn_begin(db, DB_TXN_READ, &r) == ERR_OK);
    REQUIRE(put_commit(db, DB_META, bview("fuzz", 4), bview("y", 1)) == ERR_OK);
    static const char *const keys[] = { "ab", "a", "abc", "\x07", "zz", "\xff" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        bview_t v;
        REQUIRE(read_ok(db_get(r, DB_ACCOUNTS, bview(keys[i], strlen(keys[i])), &v)));
        REQUIRE(read_ok(db_get(r, DB_STORAGE, bview(keys[i], strlen(keys[i])), &v)));
    }
    size_t n = 0;
    REQUIRE(read_ok(db_scan(r, DB_ACCOUNTS, bview(NULL, 0), count_entry, &n)));
    REQUIRE(read_ok(db_scan(r, DB_STORAGE, bview("a", 1), count_entry, &n)));
    db_txn_abort(r);
    return 0;
}
