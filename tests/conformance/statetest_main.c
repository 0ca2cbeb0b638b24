/* tests/conformance/statetest_main.c — `statetest <args>` = `rollup-node evm statetest <args>`:
 * the same runner (src/node/cmd_evm.c + src/state/statetest.c) linked without the rest of the
 * node, so the conformance suite does not depend on modules above state/. */
#include <stdlib.h>

#include "node/commands.h"

int main(int argc, char **argv)
{
    char **args = calloc((size_t)argc + 2, sizeof(char *));
    if (!args)
        return 1;
    args[0] = "evm";
    args[1] = "statetest";
    for (int i = 1; i < argc; i++)
        args[i + 1] = argv[i];
    int rc = node_cmd_evm(argc + 1, args);
    free(args);
    return rc;
}
