/* Differential fuzz of the request parser: rpc__json_read must accept exactly what jansson's
 * json_loadb(…, JSON_DECODE_ANY) accepts, and build an equal value (json_equal; reals compared
 * by their bits through the writer). Any difference aborts. Inputs with a NUL byte are only
 * checked for ours rejecting them: jansson's byte stream treats NUL inconsistently ("[1\0]"
 * parses as [1], "[1 \0 ]" fails), ours always refuses it (RFC 8259 has no place for one). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rpc/rpc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memchr(data, 0, size)) {
        if (rpc__json_read((const char *)data, size, NULL, NULL) != NULL)
            abort();
        return 0;
    }
    json_error_t jerr;
    json_t *want = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
    const char *why = NULL;
    size_t at = 0;
    json_t *got = rpc__json_read((const char *)data, size, &why, &at);
    if ((want == NULL) != (got == NULL))
        abort();
    if (want && !json_equal(want, got))
        abort();
    if (got && at != 0)
        abort(); /* the position is only set on errors */
    if (!got && (!why || at > size))
        abort();
    json_decref(want);
    json_decref(got);
    return 0;
}
