/* `rollup-node evm statetest [flags] <FILE|DIR>...`: run Ethereum state tests against our EVM
 * (the runner itself is state_test_run_path in src/state/statetest.c). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "node/commands.h"
#include "node/node.h"
#include "state/state.h"

static void usage(FILE *f)
{
    fprintf(f, "Run Ethereum state tests against the EVM\n"
               "\n"
               "Usage: rollup-node evm statetest [OPTIONS] <FILE|DIR>...\n"
               "\n"
               "Runs every post-state entry of Shanghai, Cancun, Prague and Osaka in the given\n"
               "state-test files (directories are searched for *.json) and checks the state root,\n"
               "the logs hash and expectException. Ends with 'N passed, N failed'.\n"
               "\n"
               "Options:\n"
               "      --fork <NAME>         Only run this fork's entries (Shanghai, Cancun, ...)\n"
               "      --run <REGEX>         Only run tests whose name matches (POSIX extended)\n"
               "      --trace               Write EIP-3155 JSON lines to stderr\n"
               "      --unsupported <FILE>  List of unsupported tests (name and reason per line)\n"
               "      --dispatch <KIND>     Interpreter loop: cgoto (default) or switch\n"
               "  -v, --verbose             Print a line for passing entries too\n"
               "  -h, --help                Print help\n");
}

static int statetest(int argc, char **argv)
{
    state_test_opts_t o;
    memset(&o, 0, sizeof(o));
    int first = argc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return NODE_EXIT_OK;
        } else if (strcmp(a, "--trace") == 0) {
            o.trace = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            o.verbose = true;
        } else if (strcmp(a, "--fork") == 0 || strcmp(a, "--run") == 0 ||
                   strcmp(a, "--unsupported") == 0 || strcmp(a, "--dispatch") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "error: %s needs a value\n", a);
                return NODE_EXIT_ERROR;
            }
            const char *v = argv[++i];
            if (strcmp(a, "--fork") == 0) {
                evm_rules_t r;
                if (evm_rules_from_name(&r, v) != ERR_OK) {
                    fprintf(stderr,
                            "error: invalid --fork '%s': expected Shanghai, Cancun, Prague or "
                            "Osaka\n",
                            v);
                    return NODE_EXIT_ERROR;
                }
                o.fork = v;
            } else if (strcmp(a, "--run") == 0) {
                o.run_regex = v;
            } else if (strcmp(a, "--dispatch") == 0) {
                if (strcmp(v, "switch") == 0) {
                    o.dispatch = EVM_DISPATCH_SWITCH;
                } else if (strcmp(v, "cgoto") == 0) {
                    o.dispatch = EVM_DISPATCH_CGOTO;
                } else {
                    fprintf(stderr, "error: invalid --dispatch '%s': expected cgoto or switch\n",
                            v);
                    return NODE_EXIT_ERROR;
                }
            } else {
                o.unsupported = v;
            }
        } else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "error: unknown option '%s' for 'evm statetest'\n", a);
            return NODE_EXIT_ERROR;
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "error: 'evm statetest' needs at least one FILE or DIR\n");
        return NODE_EXIT_ERROR;
    }
    for (int i = first; i < argc; i++) {
        struct stat sb;
        if (argv[i][0] == '-') {
            fprintf(stderr, "error: options must come before the paths ('%s')\n", argv[i]);
            return NODE_EXIT_ERROR;
        }
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "error: invalid state-test path '%s': no such file or directory\n",
                    argv[i]);
            return NODE_EXIT_ERROR;
        }
    }
    state_test_stats_t s;
    memset(&s, 0, sizeof(s));
    for (int i = first; i < argc; i++) {
        err_t e = state_test_run_path(argv[i], &o, &s);
        if (e == ERR_INVALID_ARG) {
            fprintf(stderr, "error: invalid --run '%s': not a POSIX extended regex\n", o.run_regex);
            return NODE_EXIT_ERROR;
        }
    }
    static const char *const forks[] = { "Shanghai", "Cancun", "Prague", "Osaka" };
    for (int f = 0; f < 4; f++) {
        if (s.fork_passed[f] + s.fork_failed[f] + s.fork_unsupported[f])
            printf("%s: %zu passed, %zu failed, %zu unsupported\n", forks[f], s.fork_passed[f],
                   s.fork_failed[f], s.fork_unsupported[f]);
    }
    printf("%zu files, %zu entries of other forks not run\n", s.files, s.other_forks);
    printf("%zu unsupported\n", s.unsupported);
    printf("%zu passed, %zu failed\n", s.passed, s.failed);
    fflush(stdout);
    return s.failed ? NODE_EXIT_ERROR : NODE_EXIT_OK;
}

int node_cmd_evm(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? NODE_EXIT_ERROR : NODE_EXIT_OK;
    }
    if (strcmp(argv[1], "statetest") == 0)
        return statetest(argc - 1, argv + 1);
    fprintf(stderr, "error: unknown 'evm' subcommand '%s' (expected 'statetest')\n", argv[1]);
    return NODE_EXIT_ERROR;
}
