/* rollup-node: dispatch to a subcommand (commands.h). Only argument dispatch lives here.
 *
 * Exit status: 0 success; 1 any error a user can meet (clap uses 2 for usage errors, but the
 * guide's troubleshooting and our tests treat every refusal alike: one "error: " line on stderr
 * and status 1); 3 from `node` while the runtime is not in this build (TODO(#6), cmd_node.c). */
#include <stdio.h>
#include <string.h>

#include "node/commands.h"
#include "node/node.h"
#include "node/node_int.h"

/* clang-format off */
static const node_command_t commands[] = {
    { "node", node_cmd_node, "Start the node (see 'rollup-node node --help')" },
    { "init", node_cmd_init, "Write the genesis block of a chain into a datadir and print its hash" },
    { "dump-genesis", node_cmd_dump_genesis, "Print the genesis JSON of a chain (dev, scroll-mainnet, scroll-sepolia or a file)" },
    { "evm",  node_cmd_evm,  "EVM tools: 'evm statetest <FILE|DIR>...' runs Ethereum state tests" },
};

/* clang-format on */

static void write_help(FILE *out)
{
    fprintf(out, "Scroll rollup node\n"
                 "\n"
                 "Usage: rollup-node <COMMAND> [OPTIONS]\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < RN_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].about);
    fprintf(out, "  %-12s %s\n", "help", "Print this message or the help of the given subcommand");
    fprintf(out, "\n"
                 "Options:\n"
                 "  -h, --help     Print help\n"
                 "  -V, --version  Print version\n");
}

int main(int argc, char **argv)
{
    rn_heap_keep(); /* a block's big buffers reuse the last block's memory */
    if (argc < 2) {
        fprintf(stderr, "error: a subcommand is required (node or evm); see 'rollup-node "
                        "--help'\n");
        return NODE_EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        write_help(stdout);
        return NODE_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("rollup-node %s\n", node_version_string());
        return NODE_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            write_help(stdout);
            return NODE_EXIT_OK;
        }
        for (size_t i = 0; i < RN_ARRAY_LEN(commands); i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                char help_flag[] = "--help";
                char *sub[] = { argv[2], help_flag, NULL };
                return commands[i].run(2, sub);
            }
        }
        fprintf(stderr, "error: unrecognized subcommand '%.200s'\n", argv[2]);
        return NODE_EXIT_ERROR;
    }
    for (size_t i = 0; i < RN_ARRAY_LEN(commands); i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    if (cmd[0] == '-') {
        fprintf(stderr,
                "error: unexpected argument '%.200s' found; flags go after the "
                "subcommand, e.g. 'rollup-node node %.200s'\n",
                cmd, cmd);
        return NODE_EXIT_ERROR;
    }
    const char *names[RN_ARRAY_LEN(commands)];
    for (size_t i = 0; i < RN_ARRAY_LEN(commands); i++)
        names[i] = commands[i].name;
    const char *tip = node__suggest(cmd, strlen(cmd), names, RN_ARRAY_LEN(names));
    if (tip)
        fprintf(stderr,
                "error: unrecognized subcommand '%.200s'; tip: a similar subcommand "
                "exists: '%s'\n",
                cmd, tip);
    else
        fprintf(stderr, "error: unrecognized subcommand '%.200s'; see 'rollup-node --help'\n", cmd);
    return NODE_EXIT_ERROR;
}
