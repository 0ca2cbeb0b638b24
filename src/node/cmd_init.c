/* `rollup-node init --chain <CHAIN> --datadir <DIR>`: write the genesis block and print its hash
 * (reth's `init`). Refuses a datadir that holds another chain. */
#define LOG_TARGET "reth::cli"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "db/db.h"
#include "node/commands.h"
#include "node/node.h"
#include "node/node_int.h"

static void usage(FILE *f)
{
    fprintf(f, "Initialize the database from a genesis file or a named chain\n"
               "\n"
               "Usage: rollup-node init [OPTIONS]\n"
               "\n"
               "Options:\n"
               "      --chain <CHAIN_OR_PATH>\n"
               "          dev, scroll-mainnet, scroll-sepolia, or the path of a genesis JSON file "
               "[default: dev]\n"
               "  -d, --datadir <DATA_DIR>\n"
               "          The data dir [default: $XDG_DATA_HOME/rollup-node/<CHAIN> or "
               "~/.local/share/rollup-node/<CHAIN>]\n"
               "  -h, --help\n"
               "          Print help\n");
}

/* "--flag value" or "--flag=value" */
static bool flag_value(int argc, char **argv, int *i, const char *name, const char *alias,
                       const char **out)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) == 0 && a[n] == '=') {
        *out = a + n + 1;
        return true;
    }
    if (strcmp(a, name) == 0 || (alias && strcmp(a, alias) == 0)) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "error: a value is required for '%s' but none was supplied\n", name);
            *out = NULL;
            return true;
        }
        *out = argv[++*i];
        return true;
    }
    return false;
}

int node_cmd_init(int argc, char **argv)
{
    node_config_t cfg;
    node_config_init(&cfg);
    const char *chain = "dev";
    int rc = NODE_EXIT_ERROR;
    db_t *db = NULL;
    char diag[512] = "";
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            node_config_deinit(&cfg);
            return NODE_EXIT_OK;
        }
        if (flag_value(argc, argv, &i, "--chain", NULL, &v)) {
            if (!v)
                goto out;
            chain = v;
        } else if (flag_value(argc, argv, &i, "--datadir", "-d", &v)) {
            if (!v)
                goto out;
            cfg.datadir_arg = v;
        } else {
            fprintf(stderr,
                    "error: unexpected argument '%.200s' found; see 'rollup-node init --help'\n",
                    argv[i]);
            goto out;
        }
    }
    (void)log_init(getenv("RUST_LOG"), LOG_LVL_INFO, LOG_FORMAT_TERMINAL, NULL, 0);
    if (chain_spec_load(&cfg.chain, chain, diag, sizeof(diag)) != ERR_OK ||
        node__resolve_datadir(&cfg, diag, sizeof(diag)) != ERR_OK) {
        fprintf(stderr, "error: %s\n", diag);
        goto out;
    }
    char dbdir[4200];
    snprintf(dbdir, sizeof(dbdir), "%s/db", cfg.datadir);
    if (db_open(&db, dbdir, 0, DB_OPEN_DEFAULT, diag, sizeof(diag)) != ERR_OK) {
        fprintf(stderr, "error: %s\n", diag);
        goto out;
    }
    db_txn_t *txn;
    hash_t genesis;
    bool written;
    err_t e = db_txn_begin(db, DB_TXN_WRITE, &txn);
    if (e) {
        fprintf(stderr, "error: cannot write the database in %s: %s\n", dbdir, err_str(e));
        goto out;
    }
    e = chain_genesis_init(txn, cfg.chain, &genesis, &written, diag, sizeof(diag));
    if (e) {
        db_txn_abort(txn);
        fprintf(stderr, "error: %s\n", diag[0] ? diag : err_str(e));
        goto out;
    }
    e = db_txn_commit(txn);
    if (e) {
        fprintf(stderr, "error: cannot commit the genesis to %s: %s\n", dbdir, err_str(e));
        goto out;
    }
    char hex[67];
    hex_encode_0x(hex, genesis.b, 32);
    if (written)
        LOG_INFO("Genesis block written chain=%s chain_id=%llu datadir=%s hash=%s", cfg.chain->name,
                 (unsigned long long)cfg.chain->chain_id, cfg.datadir, hex);
    else
        LOG_INFO("Genesis block already present chain=%s datadir=%s hash=%s", cfg.chain->name,
                 cfg.datadir, hex);
    printf("%s\n", hex);
    rc = NODE_EXIT_OK;
out:
    db_close(db);
    node_config_deinit(&cfg);
    return rc;
}

/* `rollup-node dump-genesis [--chain <CHAIN>]`: the genesis JSON of a chain on stdout (reth's
 * `dump-genesis`). Useful to start from the dev chain and change its config, e.g. a larger
 * maxTxPayloadBytesPerBlock or gasLimit for throughput runs. */
int node_cmd_dump_genesis(int argc, char **argv)
{
    const char *chain = "dev";
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("Dump the genesis block JSON configuration to stdout\n"
                   "\n"
                   "Usage: rollup-node dump-genesis [OPTIONS]\n"
                   "\n"
                   "Options:\n"
                   "      --chain <CHAIN_OR_PATH>\n"
                   "          dev, scroll-mainnet, scroll-sepolia, or the path of a genesis JSON "
                   "file [default: dev]\n"
                   "  -h, --help\n"
                   "          Print help\n");
            return NODE_EXIT_OK;
        }
        if (flag_value(argc, argv, &i, "--chain", NULL, &v)) {
            if (!v)
                return NODE_EXIT_ERROR;
            chain = v;
        } else {
            fprintf(stderr,
                    "error: unexpected argument '%.200s' found; see 'rollup-node dump-genesis "
                    "--help'\n",
                    argv[i]);
            return NODE_EXIT_ERROR;
        }
    }
    chain_spec_t *spec;
    char diag[512] = "";
    if (chain_spec_load(&spec, chain, diag, sizeof(diag)) != ERR_OK) {
        fprintf(stderr, "error: %s\n", diag);
        return NODE_EXIT_ERROR;
    }
    if (!hash_is_zero(&spec->genesis_state_root_override) ||
        !hash_is_zero(&spec->canonical_genesis_hash))
        fprintf(stderr,
                "warning: the genesis of %s carries a zktrie state root; a node "
                "initialised from this file computes the MPT root and another genesis "
                "hash\n",
                spec->name);
    char *text = chain_spec_to_json(spec);
    int rc = fputs(text, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout) ? NODE_EXIT_ERROR
                                                                                  : NODE_EXIT_OK;
    rn_free(text);
    chain_spec_free(spec);
    return rc;
}
