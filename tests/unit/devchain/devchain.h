/* tests/unit/devchain/devchain.h — a dev-chain datadir for unit tests: a temporary directory, the
 * dev chain spec, and the database opened the way the node opens it (genesis written, tries
 * caught up). */
#ifndef RN_TESTS_DEVCHAIN_H
#define RN_TESTS_DEVCHAIN_H

#include "chain/chain.h"
#include "db/db.h"

typedef struct devchain {
    char dir[64]; /**< removed by devchain_close */
    chain_spec_t *spec;
    db_t *db;
    hash_t genesis;
} devchain_t;

/**
 * Create the datadir (prefix names the temporary directory, e.g. "rn_ots") with map_size bytes
 * of map (no fsync). With w non-NULL, *w is the write transaction genesis was written in, left
 * open for the caller to add to and commit; with w NULL it is committed. False on any failure.
 */
bool devchain_open(devchain_t *d, const char *prefix, uint64_t map_size, db_txn_t **w);

/** Close the database, free the spec and remove the directory. */
void devchain_close(devchain_t *d);

#endif
