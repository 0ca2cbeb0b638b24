/* Fuzz the signer key-file parser: no crash, and an accepted key is a valid secp256k1 secret. */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "fuzz.h"
#include "node/node_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t key[32];
    size_t detail = 0;
    node_key_problem_t p = node__key_parse(key, (const char *)data, size, &detail);
    if (p == NODE_KEY_OK && !secp_seckey_valid(key))
        abort();
    if (p != NODE_KEY_OK) {
        for (int i = 0; i < 32; i++) {
            if (key[i])
                abort(); /* a rejected key must be zeroed */
        }
    }
    return 0;
}
