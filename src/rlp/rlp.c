/* RLP (Yellow Paper, appendix B): strict decoding, encoding into capped buffers. */
#include "rlp/rlp.h"

#include <string.h>

/* Header bytes (YP appendix B):
 *   00..7f  a single byte, itself the payload
 *   80..b7  string of 0..55 bytes;  b8..bf  string, then 1..8 big-endian length bytes
 *   c0..f7  list of 0..55 bytes;    f8..ff  list, then 1..8 big-endian length bytes */
enum {
    RLP_STRING = 0x80,
    RLP_LIST = 0xc0,
    RLP_SHORT_MAX = 55, /* longest payload with a one-byte header */
};

/* Parse the header at p[0..n): payload offset, payload length and list flag. On success
 * off + len <= n, without overflow. */
static err_t read_header(const uint8_t *p, size_t n, size_t *off, size_t *len, bool *is_list)
{
    if (n == 0)
        return ERR_RLP_TRUNCATED;
    uint8_t b = p[0];
    if (b < RLP_STRING) {
        *off = 0;
        *len = 1;
        *is_list = false;
        return ERR_OK;
    }
    bool list = b >= RLP_LIST;
    size_t code = (size_t)(b - (list ? RLP_LIST : RLP_STRING)); /* 0..63 */
    if (code <= RLP_SHORT_MAX) {
        if (code > n - 1)
            return ERR_RLP_TRUNCATED;
        /* YP: a single byte below 0x80 is its own encoding, never 0x81 xx. */
        if (!list && code == 1 && p[1] < RLP_STRING)
            return ERR_RLP_NONCANON;
        *off = 1;
        *len = code;
        *is_list = list;
        return ERR_OK;
    }
    size_t ll = code - RLP_SHORT_MAX; /* 1..8 length bytes */
    if (ll > n - 1)
        return ERR_RLP_TRUNCATED;
    if (p[1] == 0)
        return ERR_RLP_NONCANON; /* leading zero in the length */
    /* With no leading zero, ll bytes hold at least 2^(8(ll-1)): if that exceeds size_t (only on
     * 32-bit hosts), no input we could hold is that long. */
    if (ll > sizeof(size_t))
        return ERR_RLP_TRUNCATED;
    size_t l = 0;
    for (size_t i = 0; i < ll; i++)
        l = (l << 8) | p[1 + i];
    if (l <= RLP_SHORT_MAX)
        return ERR_RLP_NONCANON; /* long form for a short payload */
    if (l > n - 1 - ll)
        return ERR_RLP_TRUNCATED; /* compared against what is left: cannot overflow */
    *off = 1 + ll;
    *len = l;
    *is_list = list;
    return ERR_OK;
}

err_t rlp_next(bview_t *cur, rlp_item_t *out)
{
    size_t off, len;
    bool is_list;
    TRY(read_header(cur->p, cur->n, &off, &len, &is_list));
    out->payload = bview(cur->p + off, len);
    out->raw = bview(cur->p, off + len);
    out->is_list = is_list;
    cur->p += off + len;
    cur->n -= off + len;
    return ERR_OK;
}

err_t rlp_decode_one(bview_t in, rlp_item_t *out)
{
    bview_t cur = in;
    rlp_item_t it;
    TRY(rlp_next(&cur, &it));
    if (cur.n)
        return ERR_RLP_TRAILING;
    *out = it;
    return ERR_OK;
}

err_t rlp_validate(bview_t in)
{
    rlp_item_t it;
    TRY(rlp_decode_one(in, &it));
    if (!it.is_list)
        return ERR_OK;
    /* Depth-first walk with an explicit stack: rest[d] is what is left of the open list at depth
     * d + 1. Hostile nesting costs a bounded 1 KiB, never C stack. */
    bview_t rest[RLP_MAX_DEPTH];
    size_t depth = 1;
    rest[0] = it.payload;
    while (depth > 0) {
        bview_t *cur = &rest[depth - 1];
        if (cur->n == 0) {
            depth--;
            continue;
        }
        TRY(rlp_next(cur, &it));
        if (it.is_list) {
            if (depth == RLP_MAX_DEPTH)
                return ERR_RLP_TOO_DEEP;
            rest[depth++] = it.payload;
        }
    }
    return ERR_OK;
}

err_t rlp_list_count(const rlp_item_t *list, size_t *count)
{
    if (!list->is_list)
        return ERR_RLP_EXPECTED_LIST;
    bview_t cur = list->payload;
    size_t n = 0;
    while (cur.n) {
        rlp_item_t it;
        TRY(rlp_next(&cur, &it));
        n++;
    }
    *count = n;
    return ERR_OK;
}

/* Common checks of the integer readers: a string of at most max bytes without a leading zero. */
static err_t check_uint(const rlp_item_t *it, size_t max)
{
    if (it->is_list)
        return ERR_RLP_EXPECTED_BYTES;
    if (it->payload.n > 0 && it->payload.p[0] == 0)
        return ERR_RLP_LEADING_ZERO;
    if (it->payload.n > max)
        return ERR_RLP_OVERFLOW;
    return ERR_OK;
}

err_t rlp_read_u64(const rlp_item_t *it, uint64_t *out)
{
    TRY(check_uint(it, 8));
    uint64_t v = 0;
    for (size_t i = 0; i < it->payload.n; i++)
        v = (v << 8) | it->payload.p[i];
    *out = v;
    return ERR_OK;
}

err_t rlp_read_u256(const rlp_item_t *it, u256_t *out)
{
    TRY(check_uint(it, 32));
    *out = u256_from_be(it->payload.p, it->payload.n);
    return ERR_OK;
}

err_t rlp_read_fixed(const rlp_item_t *it, uint8_t *out, size_t n)
{
    if (it->is_list)
        return ERR_RLP_EXPECTED_BYTES;
    if (it->payload.n != n)
        return ERR_RLP_BAD_SIZE;
    if (n)
        memcpy(out, it->payload.p, n);
    return ERR_OK;
}

err_t rlp_read_addr(const rlp_item_t *it, addr_t *out)
{
    return rlp_read_fixed(it, out->b, sizeof(out->b));
}

err_t rlp_read_hash(const rlp_item_t *it, hash_t *out)
{
    return rlp_read_fixed(it, out->b, sizeof(out->b));
}

/* ---- encoding ---- */

/* Bytes of v big-endian without leading zeros (0 for 0). */
static size_t be_len(uint64_t v)
{
    size_t n = 0;
    while (v) {
        n++;
        v >>= 8;
    }
    return n;
}

size_t rlp_header_size(size_t n)
{
    return n <= RLP_SHORT_MAX ? 1 : 1 + be_len((uint64_t)n);
}

/* Write the rlp_header_size(n) header bytes for a payload of n bytes; base is RLP_STRING or
 * RLP_LIST. */
static void write_header(uint8_t *dst, size_t n, uint8_t base)
{
    if (n <= RLP_SHORT_MAX) {
        dst[0] = (uint8_t)(base + n);
        return;
    }
    size_t ll = be_len((uint64_t)n);
    dst[0] = (uint8_t)(base + RLP_SHORT_MAX + ll);
    for (size_t i = 0; i < ll; i++)
        dst[ll - i] = (uint8_t)(n >> (8 * i));
}

size_t rlp_bytes_size(const uint8_t *p, size_t n)
{
    if (n == 1 && p[0] < RLP_STRING)
        return 1;
    return rlp_header_size(n) + n;
}

size_t rlp_u64_size(uint64_t v)
{
    return v < RLP_STRING ? 1 : 1 + be_len(v);
}

size_t rlp_u256_size(u256_t v)
{
    size_t n = u256_byte_length(v);
    if (n <= 1)
        return n == 0 || v.w[0] < RLP_STRING ? 1 : 2;
    return 1 + n; /* at most 32 bytes: always the short form */
}

err_t rlp_encode_bytes(buf_t *dst, const uint8_t *p, size_t n)
{
    if (n == 1 && p[0] < RLP_STRING)
        return buf_push(dst, p[0]);
    size_t h = rlp_header_size(n);
    if (n > SIZE_MAX - h) {
        buf_deinit(dst); /* the buffer contract: an overflowing append empties it */
        return ERR_TOO_LARGE;
    }
    TRY(buf_reserve(dst, h + n));
    uint8_t *w = dst->p + dst->n;
    write_header(w, n, RLP_STRING);
    if (n)
        memcpy(w + h, p, n);
    dst->n += h + n;
    return ERR_OK;
}

err_t rlp_encode_u64(buf_t *dst, uint64_t v)
{
    uint8_t be[8];
    size_t n = be_len(v);
    for (size_t i = 0; i < n; i++)
        be[n - 1 - i] = (uint8_t)(v >> (8 * i));
    return rlp_encode_bytes(dst, be, n);
}

err_t rlp_encode_u256(buf_t *dst, u256_t v)
{
    uint8_t be[32];
    u256_to_be(be, v);
    size_t n = u256_byte_length(v);
    return rlp_encode_bytes(dst, be + 32 - n, n);
}

err_t rlp_encode_addr(buf_t *dst, const addr_t *a)
{
    return rlp_encode_bytes(dst, a->b, sizeof(a->b));
}

err_t rlp_encode_hash(buf_t *dst, const hash_t *h)
{
    return rlp_encode_bytes(dst, h->b, sizeof(h->b));
}

err_t rlp_encode_raw(buf_t *dst, const uint8_t *p, size_t n)
{
    return buf_append(dst, p, n);
}

err_t rlp_list_begin(buf_t *dst, size_t *mark)
{
    /* One placeholder byte: most lists are short, so rlp_list_end usually moves nothing. */
    size_t at = dst->n;
    TRY(buf_push(dst, RLP_LIST));
    *mark = at;
    return ERR_OK;
}

err_t rlp_list_end(buf_t *dst, size_t mark)
{
    if (mark >= dst->n)
        return ERR_INVALID_ARG;
    size_t n = dst->n - mark - 1; /* payload after the placeholder */
    size_t h = rlp_header_size(n);
    if (h > 1) {
        /* Long form: reserve once, shift the payload once by the extra length bytes. */
        TRY(buf_reserve(dst, h - 1));
        memmove(dst->p + mark + h, dst->p + mark + 1, n);
        dst->n += h - 1;
    }
    write_header(dst->p + mark, n, RLP_LIST);
    return ERR_OK;
}
