/* RLP (Yellow Paper, appendix B): strict decoding, encoding into capped buffers. */
#include "rlp/rlp.h"

#include <string.h>

/* Parse the header at p[0..n): payload offset and length, list flag. */
static err_t read_header(const uint8_t *p, size_t n, size_t *off, size_t *len, bool *is_list)
{
    if (n == 0)
        return ERR_RLP_TRUNCATED;
    uint8_t b = p[0];
    if (b < 0x80) {
        *off = 0;
        *len = 1;
        *is_list = false;
        return ERR_OK;
    }
    if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
        size_t l = b >= 0xc0 ? (size_t)(b - 0xc0) : (size_t)(b - 0x80);
        if (l > n - 1)
            return ERR_RLP_TRUNCATED;
        /* A single byte below 0x80 must encode as itself. */
        if (b == 0x81 && p[1] < 0x80)
            return ERR_RLP_NONCANON;
        *off = 1;
        *len = l;
        *is_list = b >= 0xc0;
        return ERR_OK;
    }
    size_t ll = b >= 0xf8 ? (size_t)(b - 0xf7) : (size_t)(b - 0xb7);
    if (ll > n - 1)
        return ERR_RLP_TRUNCATED;
    if (p[1] == 0)
        return ERR_RLP_NONCANON; /* leading zero in the length */
    if (ll > sizeof(size_t))
        return ERR_RLP_TRUNCATED; /* longer than any input we could hold */
    size_t l = 0;
    for (size_t i = 0; i < ll; i++)
        l = (l << 8) | p[1 + i];
    if (l < 56)
        return ERR_RLP_NONCANON; /* long form for a short payload */
    if (l > n - 1 - ll)
        return ERR_RLP_TRUNCATED;
    *off = 1 + ll;
    *len = l;
    *is_list = b >= 0xf8;
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

static err_t validate_payload(bview_t payload, int depth)
{
    if (depth > RLP_MAX_DEPTH)
        return ERR_RLP_TOO_DEEP;
    while (payload.n) {
        rlp_item_t it;
        TRY(rlp_next(&payload, &it));
        if (it.is_list)
            TRY(validate_payload(it.payload, depth + 1));
    }
    return ERR_OK;
}

err_t rlp_validate(bview_t in)
{
    rlp_item_t it;
    TRY(rlp_decode_one(in, &it));
    return it.is_list ? validate_payload(it.payload, 1) : ERR_OK;
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

static err_t read_uint(const rlp_item_t *it, size_t max)
{
    if (it->is_list)
        return ERR_RLP_EXPECTED_BYTES;
    if (it->payload.n > max)
        return ERR_RLP_OVERFLOW;
    if (it->payload.n > 0 && it->payload.p[0] == 0)
        return ERR_RLP_LEADING_ZERO;
    return ERR_OK;
}

err_t rlp_read_u64(const rlp_item_t *it, uint64_t *out)
{
    TRY(read_uint(it, 8));
    uint64_t v = 0;
    for (size_t i = 0; i < it->payload.n; i++)
        v = (v << 8) | it->payload.p[i];
    *out = v;
    return ERR_OK;
}

err_t rlp_read_u256(const rlp_item_t *it, u256_t *out)
{
    TRY(read_uint(it, 32));
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
    return rlp_read_fixed(it, out->b, 20);
}

err_t rlp_read_hash(const rlp_item_t *it, hash_t *out)
{
    return rlp_read_fixed(it, out->b, 32);
}

/* ---- encoding ---- */

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
    return n < 56 ? 1 : 1 + be_len((uint64_t)n);
}

static void write_header(uint8_t *dst, size_t n, uint8_t base)
{
    if (n < 56) {
        dst[0] = (uint8_t)(base + n);
        return;
    }
    size_t ll = be_len((uint64_t)n);
    dst[0] = (uint8_t)(base + 55 + ll);
    for (size_t i = 0; i < ll; i++)
        dst[ll - i] = (uint8_t)(n >> (8 * i));
}

size_t rlp_bytes_size(const uint8_t *p, size_t n)
{
    if (n == 1 && p[0] < 0x80)
        return 1;
    return rlp_header_size(n) + n;
}

size_t rlp_u64_size(uint64_t v)
{
    return v < 0x80 ? 1 : 1 + be_len(v);
}

err_t rlp_encode_bytes(buf_t *dst, const uint8_t *p, size_t n)
{
    if (n == 1 && p[0] < 0x80)
        return buf_push(dst, p[0]);
    size_t h = rlp_header_size(n);
    uint8_t *w;
    TRY(buf_append_zeros(dst, h + n, &w));
    write_header(w, n, 0x80);
    if (n)
        memcpy(w + h, p, n);
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
    return rlp_encode_bytes(dst, a->b, 20);
}

err_t rlp_encode_hash(buf_t *dst, const hash_t *h)
{
    return rlp_encode_bytes(dst, h->b, 32);
}

err_t rlp_encode_raw(buf_t *dst, const uint8_t *p, size_t n)
{
    return buf_append(dst, p, n);
}

err_t rlp_list_begin(buf_t *dst, size_t *mark)
{
    *mark = dst->n;
    return ERR_OK;
}

err_t rlp_list_end(buf_t *dst, size_t mark)
{
    size_t n = dst->n - mark;
    size_t h = rlp_header_size(n);
    TRY(buf_reserve(dst, h));
    memmove(dst->p + mark + h, dst->p + mark, n);
    write_header(dst->p + mark, n, 0xc0);
    dst->n += h;
    return ERR_OK;
}
