/* Fuzz the RLP decoder: no crash on any input, and every input it accepts re-encodes to the
 * identical bytes (strict decoding means exactly one encoding per value). */
#include <stdlib.h>

#include "rlp/rlp.h"

static err_t reencode(const rlp_item_t *it, buf_t *out, int depth)
{
    if (depth > RLP_MAX_DEPTH)
        return ERR_RLP_TOO_DEEP;
    if (!it->is_list)
        return rlp_encode_bytes(out, it->payload.p, it->payload.n);
    size_t m;
    TRY(rlp_list_begin(out, &m));
    bview_t cur = it->payload;
    while (cur.n) {
        rlp_item_t c;
        TRY(rlp_next(&cur, &c));
        TRY(reencode(&c, out, depth + 1));
    }
    return rlp_list_end(out, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bview_t in = bview(data, size);
    err_t valid = rlp_validate(in);
    rlp_item_t it;
    if (rlp_decode_one(in, &it) != ERR_OK) {
        if (valid == ERR_OK)
            abort(); /* validate accepted what decode_one rejects */
        return 0;
    }
    if (valid != ERR_OK)
        return 0;
    buf_t out;
    buf_init(&out, size + 64);
    if (reencode(&it, &out, 0) != ERR_OK || out.n != size || memcmp(out.p, data, size) != 0)
        abort();
    uint64_t u;
    u256_t w;
    if (!it.is_list) {
        if (rlp_read_u64(&it, &u) == ERR_OK && rlp_u64_size(u) != size)
            abort();
        if (rlp_read_u256(&it, &w) == ERR_OK && u256_byte_length(w) != it.payload.n)
            abort();
    }
    buf_deinit(&out);
    return 0;
}
