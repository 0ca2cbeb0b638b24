/* src/node/node.h — the `rollup-node` command line: parsing and validating `rollup-node node`'s
 * flags into a node_config_t, help and version text. The flags, their defaults and messages are
 * those of ROLLUP-NODE.md §1 and the user's guide (../shared/seed/000_048a71ef4b723bdd.txt).
 *
 * Errors a user can meet come back as ERR_CLI_USAGE (the command line itself), ERR_CONFIG_INVALID
 * (flags that do not fit together, unknown chain) or ERR_KEYFILE_INVALID (the signer key file),
 * each with one sentence in diag, without the "error: " prefix. Nothing here writes to disk;
 * messages never contain the signer key. */
#ifndef RN_NODE_NODE_H
#define RN_NODE_NODE_H

#include <stdio.h>

#include "base/base.h"
#include "node/config.h"

/** Exit status of the binary. A usage or configuration error is 1 (clap would use 2 for usage
 *  errors; one code keeps scripts simple — see src/node/main.c). */
enum {
    NODE_EXIT_OK = 0,
    NODE_EXIT_ERROR = 1,
};

enum {
    NODE_DIAG_MAX = 1024
}; /**< room for any diagnostic of this module */

/** What the command line asked for. */
typedef enum node_action {
    NODE_ACTION_RUN = 0,
    NODE_ACTION_HELP = 1,    /**< -h / --help: print node_help_write's text */
    NODE_ACTION_VERSION = 2, /**< -V / --version */
} node_action_t;

/** Set every field to its documented default (the flag table's default texts). */
void node_config_init(node_config_t *cfg);

/**
 * Parse `rollup-node node` arguments; argv[0] is the subcommand name and is skipped. Accepts
 * `--flag value`, `--flag=value`, `-d PATH`, `-dPATH`, `-vvv`. A flag given twice is an error
 * except -v and list flags (--bootnodes, --trusted-peers, --blob.beacon_node_urls), which
 * accumulate. Values are checked here (numbers, addresses, URLs, modes); cross-flag rules, the
 * chain and the key file are checked by node_config_validate.
 *
 * cfg must have been node_config_init'ed. Returns ERR_OK with *action set, or ERR_CLI_USAGE with
 * a sentence in diag, e.g. "unexpected argument '--sequencer.blocktime' found; tip: a similar
 * argument exists: '--sequencer.block-time'". argv must outlive cfg (strings are borrowed).
 */
RN_NODISCARD err_t node_args_parse(node_config_t *cfg, node_action_t *action, int argc,
                                   char *const argv[], char *diag, size_t diag_len);

/**
 * Cross-flag rules of ROLLUP-NODE.md §1, then load the chain spec, resolve the datadir
 * (default `$XDG_DATA_HOME/rollup-node/<chain>` or `$HOME/.local/share/rollup-node/<chain>`) and
 * read the signer key file. Writes nothing to disk. Reads environment variables XDG_DATA_HOME and
 * HOME.
 *
 * Returns ERR_OK; ERR_CONFIG_INVALID (signer rules, consensus rule, unknown chain, no datadir);
 * ERR_KEYFILE_INVALID (key file missing, unreadable, empty, malformed, not a valid secp256k1
 * secret — the message names the file, never the key).
 */
RN_NODISCARD err_t node_config_validate(node_config_t *cfg, char *diag, size_t diag_len);

/** Free what cfg owns and wipe the signer key. cfg may then be node_config_init'ed again. */
void node_config_deinit(node_config_t *cfg);

/** Write `rollup-node node --help`: every flag, grouped, with its value name and default. */
void node_help_write(FILE *out);

/** "0.1.0 (<git commit>)" — the version and the commit the binary was built from. */
const char *node_version_string(void);

/** One-line summary of a validated config (no secrets), as --check-config prints it. */
void node_config_summary(const node_config_t *cfg, char *out, size_t out_len);

#endif
