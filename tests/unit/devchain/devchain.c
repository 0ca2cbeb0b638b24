#include "devchain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool devchain_open(devchain_t *d, const char *prefix, uint64_t map_size, db_txn_t **w)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->dir, sizeof(d->dir), "/tmp/%s_XXXXXX", prefix);
    if (!mkdtemp(d->dir) || chain_spec_load(&d->spec, "dev", NULL, 0) != ERR_OK)
        return false;
    char path[96];
    snprintf(path, sizeof(path), "%s/db", d->dir);
    db_txn_t *t;
    bool written;
    char diag[256];
    if (db_open(&d->db, path, map_size, DB_OPEN_NOSYNC, NULL, 0) != ERR_OK ||
        db_txn_begin(d->db, DB_TXN_WRITE, &t) != ERR_OK)
        return false;
    if (chain_genesis_init(t, d->spec, &d->genesis, &written, diag, sizeof(diag)) != ERR_OK) {
        fprintf(stderr, "    devchain: %s\n", diag);
        db_txn_abort(t);
        return false;
    }
    if (w) {
        *w = t;
        return true;
    }
    return db_txn_commit(t) == ERR_OK;
}

void devchain_close(devchain_t *d)
{
    db_close(d->db);
    chain_spec_free(d->spec);
    d->db = NULL;
    d->spec = NULL;
    if (d->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "    devchain: cannot remove %s\n", d->dir);
    }
}
