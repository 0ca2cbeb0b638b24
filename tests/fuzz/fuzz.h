/* tests/fuzz/fuzz.h — what every fuzz target shares: libFuzzer's entry point (replay_main.c calls
 * it without libFuzzer) and REQUIRE, an invariant whose failure the fuzzer must see as a crash. */
#ifndef RN_TESTS_FUZZ_H
#define RN_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)   \
    do {             \
        if (!(c))    \
            abort(); \
    } while (0)

#endif
