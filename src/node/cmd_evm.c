/* `rollup-node evm statetest <FILE|DIR>...`: the state-test runner lives in another module and
 * is wired here by the lead once it lands. Until then the subcommand says so plainly. */
#include <stdio.h>
#include <string.h>

#include "node/commands.h"
#include "node/node.h"

int node_cmd_evm(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("Run Ethereum state tests against the EVM\n"
               "\n"
               "Usage: rollup-node evm statetest <FILE|DIR>...\n"
               "\n"
               "Not available in this build yet.\n");
        return NODE_EXIT_OK;
    }
    /* The state-test runner is linked in and called from here when it lands (see header). */
    fprintf(stderr, "error: 'rollup-node evm' is not available in this build\n");
    return NODE_EXIT_ERROR;
}
