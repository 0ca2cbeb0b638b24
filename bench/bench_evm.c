/* EVM throughput on ipsilon/evm-benchmarks (../shared/fixtures/evm-benchmarks, state-test format,
 * 27 vectors).
 *
 * Method: every post entry is loaded once (pre-state in memory, transaction built and its sender
 * derived) and run under Shanghai rules (the files are London fills; Shanghai is the closest rule
 * set we have). One untimed warm-up run fills the analysed-code cache; then the vector runs
 * repeatedly — at least 5 times and until 0.3 s have passed, at most 2000 times — each run being
 * a whole transaction (fresh overlay, validation, gas purchase, execution, refunds). The figure
 * per vector is the median run time (CLOCK_MONOTONIC) and gas used / median = Mgas/s; the summary
 * is the geometric mean of Mgas/s over all vectors, for the computed-goto and the switch loop.
 * No peer EVM is installed on the machine, so there is no ratio column. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/state.h"

#ifndef RN_SHARED_DIR_DEFAULT
#define RN_SHARED_DIR_DEFAULT "../shared"
#endif

static const char *const FILES[] = {
    "main/blake2b_huff.json",
    "main/blake2b_shifts.json",
    "main/sha1_divs.json",
    "main/sha1_shifts.json",
    "main/snailtracer.json",
    "main/structarray_alloc.json",
    "main/swap_math.json",
    "main/weierstrudel.json",
    "micro/JUMPDEST_n0.json",
    "micro/jump_around.json",
    "micro/loop_with_many_jumpdests.json",
    "micro/memory_grow_mload.json",
    "micro/memory_grow_mstore.json",
    "micro/signextend.json",
};

enum {
    MIN_RUNS = 5,
    MAX_RUNS = 2000
};

#define MIN_SECONDS 0.3

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/** Median seconds per run of entry e; *gas receives its gas used. */
static double time_entry(state_test_entry_t *e, evm_t *evm, uint64_t *gas)
{
    static double t[MAX_RUNS];
    if (state_test_entry_exec(e, evm, gas) != ERR_OK) /* warm-up */
        return -1;
    int n = 0;
    double total = 0;
    while (n < MAX_RUNS && (n < MIN_RUNS || total < MIN_SECONDS)) {
        uint64_t g, t0 = clock_mono_ns();
        if (state_test_entry_exec(e, evm, &g) != ERR_OK)
            return -1;
        t[n] = (double)(clock_mono_ns() - t0) / 1e9;
        total += t[n++];
    }
    qsort(t, (size_t)n, sizeof(double), cmp_d);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    const char *shared = getenv("RN_SHARED_DIR");
    if (!shared)
        shared = RN_SHARED_DIR_DEFAULT;
    const char *only = argc > 1 ? argv[1] : NULL; /* optional substring filter */
    printf("EVM benchmarks (%s/fixtures/evm-benchmarks), Shanghai rules, median of >= %d runs\n",
           shared, MIN_RUNS);
    printf("%-34s %12s %12s %10s %10s\n", "vector", "gas", "median ms", "Mgas/s", "switch");
    double log_sum[2] = { 0, 0 };
    int count = 0;
    evm_t *vm[2] = { evm_new(), evm_new() };
    evm_set_dispatch(vm[0], EVM_DISPATCH_CGOTO);
    evm_set_dispatch(vm[1], EVM_DISPATCH_SWITCH);
    for (size_t i = 0; i < RN_ARRAY_LEN(FILES); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/fixtures/evm-benchmarks/benchmarks/%s", shared, FILES[i]);
        state_test_entry_t **es;
        size_t n;
        if (state_test_load(path, "Shanghai", &es, &n) != ERR_OK) {
            printf("%-34s cannot load %s\n", FILES[i], path);
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            char label[64];
            snprintf(label, sizeof(label), "%s/%zu", state_test_entry_name(es[k]), k);
            if (only && !strstr(label, only))
                continue;
            uint64_t gas = 0;
            double med[2], mgas[2];
            for (int d = 0; d < 2; d++) {
                med[d] = time_entry(es[k], vm[d], &gas);
                mgas[d] = med[d] > 0 ? (double)gas / med[d] / 1e6 : 0;
            }
            if (med[0] <= 0 || med[1] <= 0 || gas == 0) {
                printf("%-34s failed to run\n", label);
                continue;
            }
            printf("%-34s %12" PRIu64 " %12.3f %10.1f %10.1f\n", label, gas, med[0] * 1e3, mgas[0],
                   mgas[1]);
            log_sum[0] += log(mgas[0]);
            log_sum[1] += log(mgas[1]);
            count++;
        }
        state_test_entries_free(es, n);
    }
    evm_free(vm[0]);
    evm_free(vm[1]);
    if (count) {
        printf(
            "geometric mean over %d vectors: %.1f Mgas/s (computed goto), %.1f Mgas/s (switch)\n",
            count, exp(log_sum[0] / count), exp(log_sum[1] / count));
    }
    return 0;
}
