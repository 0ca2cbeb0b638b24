/* LMDB environment, tables, transactions and the datadir lock. See db.h. */
#define LOG_TARGET "scroll::db"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db_int.h"

struct db_cursor {
    MDB_cursor *cur;
};

static const char *const table_names[DB_TABLE_COUNT] = {
#define DB_TABLE_NAME_(id, name) name,
    DB_TABLE_LIST(DB_TABLE_NAME_)
#undef DB_TABLE_NAME_
};

const char *db_table_name(db_table_t t)
{
    return (unsigned)t < DB_TABLE_COUNT ? table_names[t] : "?";
}

/* Map an LMDB or errno result to our code, logging the raw value once here (STYLE.md 2.4). */
err_t db__map_rc(int rc, const char *what)
{
    switch (rc) {
    case MDB_SUCCESS:
        return ERR_OK;
    case MDB_NOTFOUND:
        return ERR_NOT_FOUND;
    case MDB_MAP_FULL:
        LOG_ERROR("Database map is full op=%s", what);
        return ERR_DB_MAP_FULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        LOG_ERROR("Database corrupt op=%s error=\"%s\"", what, mdb_strerror(rc));
        return ERR_DB_CORRUPT;
    case EACCES:
        return ERR_PERMISSION;
    default:
        LOG_ERROR("Database error op=%s code=%d error=\"%s\"", what, rc, mdb_strerror(rc));
        return ERR_DB;
    }
}

static void set_diag(char *diag, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_diag(char *diag, size_t len, const char *fmt, ...)
{
    if (!diag || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag, len, fmt, ap);
    va_end(ap);
}

static err_t mkdir_p(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(path))
        return ERR_INVALID_ARG;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == 0) {
            char c = path[i];
            path[i] = 0;
            if (mkdir(path, 0700) != 0 && errno != EEXIST)
                return errno == EACCES ? ERR_PERMISSION : ERR_IO;
            path[i] = c;
        }
    }
    return ERR_OK;
}

static err_t take_lock(db_t *db, const char *dir, char *diag, size_t diag_len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/LOCK", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_diag(diag, diag_len, "cannot open lock file %s: %s", path, strerror(errno));
        return errno == EACCES ? ERR_PERMISSION : ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "unknown";
        ssize_t r = pread(fd, pid, sizeof(pid) - 1, 0);
        if (r > 0) {
            pid[r] = 0;
            pid[strcspn(pid, "\n")] = 0;
        }
        set_diag(diag, diag_len,
                 "datadir %s is in use by another rollup-node process (pid %s); stop it or use "
                 "another --datadir",
                 dir, pid);
        close(fd);
        return ERR_DB_LOCKED;
    }
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        /* The lock itself is what matters; the pid is informational. */
    }
    db->lock_fd = fd;
    return ERR_OK;
}

err_t db_open(db_t **out, const char *dir, uint64_t map_size, db_open_flags_t flags, char *diag,
              size_t diag_len)
{
    *out = NULL;
    static _Atomic uint64_t opened;
    db_t *db = RN_NEW(db_t);
    db->instance = ++opened;
    db->lock_fd = -1;
    /* Writer first: a stream of RPC readers must not hold a block's commit back. */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&db->wb.mu, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&db->wb.slab.mu, NULL);
    db->readonly = (flags & DB_OPEN_READONLY) != 0;
    err_t e;
    int rc;
    if (!db->readonly) {
        e = mkdir_p(dir);
        if (e) {
            set_diag(diag, diag_len, "cannot create database directory %s: %s", dir,
                     strerror(errno));
            goto fail;
        }
        e = take_lock(db, dir, diag, diag_len);
        if (e)
            goto fail;
    }
    rc = mdb_env_create(&db->env);
    if (rc) {
        e = db__map_rc(rc, "env_create");
        goto fail;
    }
    mdb_env_set_maxdbs(db->env, DB_TABLE_COUNT + 4);
    mdb_env_set_maxreaders(db->env, 512);
    if (!map_size)
        map_size = (uint64_t)DB_DEFAULT_MAP_SIZE_GB << 30;
    mdb_env_set_mapsize(db->env, (size_t)map_size);
    unsigned envflags = MDB_NOTLS | MDB_NORDAHEAD;
    if (db->readonly)
        envflags |= MDB_RDONLY;
    if (flags & DB_OPEN_NOSYNC)
        envflags |= MDB_NOSYNC;
    rc = mdb_env_open(db->env, dir, envflags, 0600);
    if (rc) {
        set_diag(diag, diag_len, "cannot open database in %s: %s", dir, mdb_strerror(rc));
        e = rc == ENOENT ? ERR_NOT_FOUND : db__map_rc(rc, "env_open");
        goto fail;
    }
    /* Open (create) every table and check the schema in one transaction. */
    MDB_txn *txn;
    rc = mdb_txn_begin(db->env, NULL, db->readonly ? MDB_RDONLY : 0, &txn);
    if (rc) {
        e = db__map_rc(rc, "txn_begin");
        goto fail;
    }
    for (int t = 0; t < DB_TABLE_COUNT; t++) {
        rc = mdb_dbi_open(txn, table_names[t], db->readonly ? 0 : MDB_CREATE, &db->dbi[t]);
        if (rc) {
            mdb_txn_abort(txn);
            set_diag(diag, diag_len, "cannot open table %s in %s: %s", table_names[t], dir,
                     mdb_strerror(rc));
            e = rc == MDB_NOTFOUND ? ERR_DB_SCHEMA : db__map_rc(rc, "dbi_open");
            goto fail;
        }
    }
    MDB_val k = { strlen("schema_version"), (void *)"schema_version" }, v;
    rc = mdb_get(txn, db->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND && !db->readonly) {
        uint8_t be[8];
        be_store64(be, DB_SCHEMA_VERSION);
        MDB_val nv = { 8, be };
        rc = mdb_put(txn, db->dbi[DB_META], &k, &nv, 0);
    } else if (rc == 0) {
        uint64_t ver = v.mv_size == 8 ? be_load64(v.mv_data) : UINT64_MAX;
        if (ver >= 2 && ver <= 4 && !db->readonly) {
            /* Version 3 logs unflushed flat writes in WB_LOG, version 4 keeps blocks' senders in
             * SENDERS (both created above, empty); a version 2 datadir has its whole flat state
             * in LMDB, and blocks without a senders entry have them recovered from signatures,
             * so it reads as it is. Version 5 stores receipts without logs with an empty bloom;
             * the full ones stored before read as they are. Writing the new version keeps older
             * builds, which would ignore the log or misread those receipts, away from now on. */
            uint8_t be[8];
            be_store64(be, DB_SCHEMA_VERSION);
            MDB_val nv = { 8, be };
            rc = mdb_put(txn, db->dbi[DB_META], &k, &nv, 0);
            ver = DB_SCHEMA_VERSION;
        }
        if (ver != DB_SCHEMA_VERSION) {
            mdb_txn_abort(txn);
            set_diag(diag, diag_len,
                     "database in %s has schema version %llu, this build reads version %d; use a "
                     "new --datadir",
                     dir, (unsigned long long)ver, DB_SCHEMA_VERSION);
            e = ERR_DB_SCHEMA;
            goto fail;
        }
    }
    if (rc && rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        e = db__map_rc(rc, "schema");
        goto fail;
    }
    rc = mdb_txn_commit(txn);
    if (rc) {
        e = db__map_rc(rc, "open_commit");
        goto fail;
    }
    e = db__wb_open(db);
    if (e) {
        set_diag(diag, diag_len, "cannot read the write-back log in %s: %s", dir, err_str(e));
        goto fail;
    }
    *out = db;
    return ERR_OK;
fail:
    db_close(db);
    return e;
}

void db_close(db_t *db)
{
    if (!db)
        return;
    if (db->env)
        mdb_env_close(db->env);
    if (db->lock_fd >= 0)
        close(db->lock_fd); /* releases the flock */
    db__wb_close(db);
    rn_free(db);
}

err_t db_txn_begin(db_t *db, db_txn_kind_t kind, db_txn_t **out)
{
    *out = NULL;
    if (kind == DB_TXN_WRITE && db->readonly)
        return ERR_PERMISSION;
    MDB_txn *txn;
    int rc = mdb_txn_begin(db->env, NULL, kind == DB_TXN_WRITE ? 0 : MDB_RDONLY, &txn);
    if (rc)
        return db__map_rc(rc, "txn_begin");
    db_txn_t *t = RN_NEW(db_txn_t);
    t->db = db;
    t->txn = txn;
    t->write = kind == DB_TXN_WRITE;
    t->wb_lag = -1;
    if (t->write) {
        for (unsigned i = 0; i < DB_SNAPS; i++)
            pthread_mutex_init(&t->snap[i].mu, NULL);
        db__wb_txn_begin(t);
    }
    *out = t;
    return ERR_OK;
}

static void shared_end(db_txn_t *txn)
{
    if (!txn->write)
        return;
    for (unsigned i = 0; i < DB_SNAPS; i++) {
        if (txn->snap[i].rd)
            mdb_txn_abort(txn->snap[i].rd);
        txn->snap[i].rd = NULL;
        pthread_mutex_destroy(&txn->snap[i].mu);
    }
}

err_t db_txn_commit(db_txn_t *txn)
{
    shared_end(txn);
    err_t e;
    if (txn->write) {
        e = db__wb_commit(txn); /* the write-back cache joins every write commit */
    } else {
        e = db__map_rc(mdb_txn_commit(txn->txn), "commit");
        db__wb_txn_end(txn);
    }
    rn_free(txn);
    return e;
}

void db_txn_abort(db_txn_t *txn)
{
    if (!txn)
        return;
    shared_end(txn);
    mdb_txn_abort(txn->txn);
    db__wb_txn_end(txn);
    rn_free(txn);
}

static MDB_val mval(bview_t v)
{
    MDB_val m = { v.n, (void *)v.p };
    return m;
}

err_t db_get(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val)
{
    if (db__wb_table(t))
        return db__wb_get(txn, t, key, val);
    MDB_val k = mval(key), v;
    int rc = mdb_get(txn->txn, txn->db->dbi[t], &k, &v);
    if (rc)
        return db__map_rc(rc, "get");
    *val = bview(v.mv_data, v.mv_size);
    return ERR_OK;
}

err_t db_get_concurrent(db_txn_t *txn, db_table_t t, bview_t key, bview_t *val)
{
    if (!txn->write || !db__wb_table(t))
        return ERR_UNSUPPORTED;
    return db__wb_get_concurrent(txn, t, key, val);
}

void db_prefetch(db_txn_t *txn, db_table_t t, bview_t key)
{
    if (txn->write && db__wb_table(t))
        db__wb_prefetch(txn, t, key);
}

err_t db_put(db_txn_t *txn, db_table_t t, bview_t key, bview_t val)
{
    if (db__wb_table(t))
        return db__wb_put(txn, t, key, val, false);
    MDB_val k = mval(key), v = mval(val);
    return db__map_rc(mdb_put(txn->txn, txn->db->dbi[t], &k, &v, 0), "put");
}

err_t db_put_last(db_txn_t *txn, db_table_t t, bview_t key, bview_t val)
{
    if (db__wb_table(t))
        return db__wb_put(txn, t, key, val, false);
    MDB_val k = mval(key), v = mval(val);
    int rc = mdb_put(txn->txn, txn->db->dbi[t], &k, &v, MDB_APPEND);
    if (rc == MDB_KEYEXIST) { /* not past the last key after all: an ordinary put */
        k = mval(key);
        v = mval(val);
        rc = mdb_put(txn->txn, txn->db->dbi[t], &k, &v, 0);
    }
    return db__map_rc(rc, "put");
}

err_t db_del(db_txn_t *txn, db_table_t t, bview_t key)
{
    if (db__wb_table(t))
        return db__wb_put(txn, t, key, bview(NULL, 0), true);
    MDB_val k = mval(key);
    int rc = mdb_del(txn->txn, txn->db->dbi[t], &k, NULL);
    return rc == MDB_NOTFOUND ? ERR_OK : db__map_rc(rc, "del");
}

err_t db_clear(db_txn_t *txn, db_table_t t)
{
    if (db__wb_table(t))
        return ERR_UNSUPPORTED;
    return db__map_rc(mdb_drop(txn->txn, txn->db->dbi[t], 0), "clear");
}

db_t *db_txn_db(db_txn_t *txn)
{
    return txn->db;
}

uint64_t db_instance(const db_t *db)
{
    return db->instance;
}

err_t db_meta_get(db_txn_t *txn, const char *name, bview_t *out)
{
    return db_get(txn, DB_META, bview(name, strlen(name)), out);
}

err_t db_meta_put(db_txn_t *txn, const char *name, bview_t v)
{
    return db_put(txn, DB_META, bview(name, strlen(name)), v);
}

err_t db_meta_get_u64(db_txn_t *txn, const char *name, uint64_t *out)
{
    bview_t v = { NULL, 0 };
    TRY(db_meta_get(txn, name, &v));
    if (v.n != 8)
        return ERR_DB_CORRUPT;
    *out = be_load64(v.p);
    return ERR_OK;
}

err_t db_meta_put_u64(db_txn_t *txn, const char *name, uint64_t v)
{
    uint8_t be[8];
    be_store64(be, v);
    return db_meta_put(txn, name, bview(be, 8));
}

err_t db_meta_batch_due(db_txn_t *txn, const char *name, uint64_t number, uint32_t batch,
                        uint64_t *indexed, bool *due)
{
    *due = false;
    if (db_meta_get_u64(txn, name, indexed) != ERR_OK) {
        *indexed = number ? number - 1 : 0;
        TRY(db_meta_put_u64(txn, name, *indexed));
    }
    *due = number >= *indexed && number - *indexed >= batch;
    return ERR_OK;
}

err_t db_cursor_open(db_txn_t *txn, db_table_t t, db_cursor_t **out)
{
    *out = NULL;
    if (db__wb_table(t))
        return ERR_UNSUPPORTED; /* LMDB alone may not hold the newest entries */
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->db->dbi[t], &cur);
    if (rc)
        return db__map_rc(rc, "cursor_open");
    db_cursor_t *c = RN_NEW(db_cursor_t);
    c->cur = cur;
    *out = c;
    return ERR_OK;
}

void db_cursor_close(db_cursor_t *c)
{
    if (!c)
        return;
    mdb_cursor_close(c->cur);
    rn_free(c);
}

static err_t cursor_op(db_cursor_t *c, MDB_val *k, MDB_cursor_op op, bview_t *ko, bview_t *vo)
{
    MDB_val v;
    int rc = mdb_cursor_get(c->cur, k, &v, op);
    if (rc)
        return db__map_rc(rc, "cursor_get");
    if (ko)
        *ko = bview(k->mv_data, k->mv_size);
    if (vo)
        *vo = bview(v.mv_data, v.mv_size);
    return ERR_OK;
}

err_t db_cursor_seek(db_cursor_t *c, bview_t key, bview_t *k, bview_t *v)
{
    MDB_val mk = mval(key);
    return cursor_op(c, &mk, MDB_SET_RANGE, k, v);
}

err_t db_cursor_first(db_cursor_t *c, bview_t *k, bview_t *v)
{
    MDB_val mk = { 0, NULL };
    return cursor_op(c, &mk, MDB_FIRST, k, v);
}

err_t db_cursor_last(db_cursor_t *c, bview_t *k, bview_t *v)
{
    MDB_val mk = { 0, NULL };
    return cursor_op(c, &mk, MDB_LAST, k, v);
}

err_t db_cursor_next(db_cursor_t *c, bview_t *k, bview_t *v)
{
    MDB_val mk = { 0, NULL };
    return cursor_op(c, &mk, MDB_NEXT, k, v);
}

err_t db_cursor_prev(db_cursor_t *c, bview_t *k, bview_t *v)
{
    MDB_val mk = { 0, NULL };
    return cursor_op(c, &mk, MDB_PREV, k, v);
}

err_t db_cursor_del(db_cursor_t *c)
{
    return db__map_rc(mdb_cursor_del(c->cur, 0), "cursor_del");
}

err_t db_del_prefix(db_txn_t *txn, db_table_t t, bview_t prefix)
{
    if (!txn->write)
        return ERR_PERMISSION;
    if (db__wb_table(t)) {
        TRY(db__wb_del_prefix(txn, t, prefix));
        txn->lmdb_changed |= 1u << t;
    }
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->db->dbi[t], &cur);
    if (rc)
        return db__map_rc(rc, "cursor_open");
    MDB_val k = { prefix.n, (void *)prefix.p }, v;
    rc = mdb_cursor_get(cur, &k, &v, prefix.n ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == 0 && k.mv_size >= prefix.n &&
           (prefix.n == 0 || memcmp(k.mv_data, prefix.p, prefix.n) == 0)) {
        rc = mdb_cursor_del(cur, 0);
        if (!rc) {
            k = (MDB_val){ prefix.n, (void *)prefix.p };
            rc = mdb_cursor_get(cur, &k, &v, prefix.n ? MDB_SET_RANGE : MDB_FIRST);
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? ERR_OK : db__map_rc(rc, "del_prefix");
}

err_t db_scan(db_txn_t *txn, db_table_t t, bview_t prefix, db_scan_fn fn, void *ctx)
{
    if (db__wb_table(t))
        return db__wb_scan(txn, t, prefix, fn, ctx);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->db->dbi[t], &cur);
    if (rc)
        return db__map_rc(rc, "cursor_open");
    MDB_val k = mval(prefix), v;
    rc = mdb_cursor_get(cur, &k, &v, prefix.n ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == 0 && k.mv_size >= prefix.n &&
           (prefix.n == 0 || memcmp(k.mv_data, prefix.p, prefix.n) == 0) &&
           fn(ctx, bview(k.mv_data, k.mv_size), bview(v.mv_data, v.mv_size)))
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? ERR_OK : db__map_rc(rc, "scan");
}

err_t db_count(db_txn_t *txn, db_table_t t, uint64_t *out)
{
    if (db__wb_table(t))
        return ERR_UNSUPPORTED;
    MDB_stat st;
    int rc = mdb_stat(txn->txn, txn->db->dbi[t], &st);
    if (rc)
        return db__map_rc(rc, "stat");
    *out = st.ms_entries;
    return ERR_OK;
}
