/* Fuzz the RLP decoder: no crash on any input; rlp_validate agrees with a recursive decode
 * written here on top of rlp_next; and every input it accepts re-encodes to the identical bytes
 * (strict decoding means exactly one encoding per value). Any disagreement aborts. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rlp/rlp.h"

/* Recursive decode of an item with `depth` enclosing lists (the top item has 0), re-encoding as
 * it goes and checking the list helpers and typed readers on the way. */
static err_t walk(const rlp_item_t *it, buf_t *out, int depth)
{
    if (!it->is_list) {
        /* Typed readers on every string: consistent with each other and canonical. */
        uint64_t u;
        u256_t w;
        err_t e64 = rlp_read_u64(it, &u);
        err_t e256 = rlp_read_u256(it, &w);
        if (e64 == ERR_OK &&
            (e256 != ERR_OK || !u256_eq(w, u256_from_u64(u)) || rlp_u64_size(u) != it->raw.n))
            abort();
        if (e256 == ERR_OK &&
            (u256_byte_length(w) != it->payload.n || rlp_u256_size(w) != it->raw.n))
            abort();
        if (e256 == ERR_RLP_LEADING_ZERO && e64 != ERR_RLP_LEADING_ZERO)
            abort();
        size_t before = out->n;
        TRY(rlp_encode_bytes(out, it->payload.p, it->payload.n));
        if (out->n - before != rlp_bytes_size(it->payload.p, it->payload.n))
            abort();
        return ERR_OK;
    }
    if (depth + 1 > RLP_MAX_DEPTH)
        return ERR_RLP_TOO_DEEP;
    size_t m, items = 0;
    TRY(rlp_list_begin(out, &m));
    bview_t cur = it->payload;
    while (cur.n) {
        rlp_item_t c;
        TRY(rlp_next(&cur, &c));
        if (c.raw.p + c.raw.n != cur.p || c.payload.p + c.payload.n != cur.p)
            abort(); /* the cursor must sit right after the item */
        TRY(walk(&c, out, depth + 1));
        items++;
    }
    size_t count;
    if (rlp_list_count(it, &count) != ERR_OK || count != items)
        abort();
    return rlp_list_end(out, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bview_t in = bview(data, size);
    err_t valid = rlp_validate(in);

    /* rlp_next on the whole input and rlp_decode_one agree about the top item. */
    bview_t cur = in;
    rlp_item_t first, it;
    err_t next = rlp_next(&cur, &first);
    err_t one = rlp_decode_one(in, &it);
    if (next != ERR_OK) {
        if (one != next || valid != next || cur.p != data || cur.n != size)
            abort();
        return 0;
    }
    if (first.raw.p != data || first.raw.n + cur.n != size)
        abort();
    if ((cur.n == 0) != (one == ERR_OK) || (one != ERR_OK && one != ERR_RLP_TRAILING))
        abort();
    if (one != ERR_OK) {
        if (valid != one)
            abort();
        return 0;
    }

    buf_t out;
    buf_init(&out, size + 64);
    err_t walked = walk(&it, &out, 0);
    if (walked != valid)
        abort(); /* rlp_validate and the recursive decode disagree */
    if (walked == ERR_OK && (out.n != size || memcmp(out.p, data, size) != 0))
        abort(); /* accepted, but not the canonical encoding of what it decodes to */
    buf_deinit(&out);
    return 0;
}
