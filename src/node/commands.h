/* src/node/commands.h — the subcommands of the `rollup-node` binary. main.c dispatches argv[1]
 * through a table of these; a new subcommand is one handler here and one row there. */
#ifndef RN_NODE_COMMANDS_H
#define RN_NODE_COMMANDS_H

/**
 * A subcommand handler. argv[0] is the subcommand's name ("node"), argv[1..argc) its arguments.
 * Returns the process exit status (NODE_EXIT_* in node.h). Errors are printed to stderr as one
 * line starting with "error: ".
 */
typedef int (*node_cmd_fn)(int argc, char **argv);

typedef struct node_command {
    const char *name;
    node_cmd_fn run;
    const char *about; /**< one line for `rollup-node --help` */
} node_command_t;

/** `rollup-node node [flags]`: validate the configuration, then run the node (cmd_node.c). */
int node_cmd_node(int argc, char **argv);

/** `rollup-node init --chain <CHAIN> --datadir <DIR>`: write the genesis block (cmd_init.c). */
int node_cmd_init(int argc, char **argv);

/** `rollup-node dump-genesis [--chain <CHAIN>]`: print the chain's genesis JSON (cmd_init.c). */
int node_cmd_dump_genesis(int argc, char **argv);

/** `rollup-node evm statetest <FILE|DIR>...` (cmd_evm.c). */
int node_cmd_evm(int argc, char **argv);

#endif
