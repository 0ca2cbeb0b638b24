/* src/rlp/rlp.h — Recursive Length Prefix, as specified in the Yellow Paper, appendix B.
 *
 * Decoding is strict: non-canonical lengths (leading zero in a length, long form for a short
 * payload), a single byte < 0x80 wrapped in a string header, truncation and trailing bytes are
 * errors. Decoded items borrow from the input (zero copy); decoding never allocates. */
#ifndef RN_RLP_RLP_H
#define RN_RLP_RLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

enum {
    RLP_MAX_DEPTH = 64
}; /**< deepest list nesting rlp_validate accepts from outside */

typedef struct rlp_item {
    bview_t payload; /**< content without the header; borrowed from the input */
    bview_t raw;     /**< header + content; borrowed from the input */
    bool is_list;
} rlp_item_t;

/**
 * Read the next item at *cur and advance *cur past it.
 *
 * Returns ERR_OK; ERR_RLP_TRUNCATED if the input ends inside the item (or *cur is empty),
 * including a declared length too large for any input (even one that does not fit a size_t);
 * ERR_RLP_NONCANON for a leading zero in a length, a long form for a payload shorter than 56
 * bytes, or a single byte below 0x80 wrapped in a string header. On error *cur and *out are
 * unchanged. Does not descend into lists (see rlp_validate). The item borrows from *cur's bytes.
 */
RN_NODISCARD err_t rlp_next(bview_t *cur, rlp_item_t *out);

/** Decode exactly one item spanning all of `in`; ERR_RLP_TRAILING if bytes follow it, else the
 *  errors of rlp_next. Does not descend into lists. *out is unchanged on error. */
RN_NODISCARD err_t rlp_decode_one(bview_t in, rlp_item_t *out);

/**
 * Check that `in` is exactly one well-formed item, recursively, nesting <= RLP_MAX_DEPTH (a
 * top-level list is depth 1; the 65th nested list is ERR_RLP_TOO_DEEP). Iterative, bounded stack.
 * Returns the first error met in depth-first order: the codes of rlp_decode_one for the top
 * item, those of rlp_next for items inside lists (an inner item overrunning its list is
 * ERR_RLP_TRUNCATED), ERR_RLP_TOO_DEEP.
 */
RN_NODISCARD err_t rlp_validate(bview_t in);

/** Count the items of a list item (each well-formed at the top level). ERR_RLP_EXPECTED_LIST for
 *  a string, else the errors of rlp_next; *count is unchanged on error. */
RN_NODISCARD err_t rlp_list_count(const rlp_item_t *list, size_t *count);

/* Typed readers of a string item. All return ERR_RLP_EXPECTED_BYTES for a list, and leave *out
 * unchanged on error. */

/** Canonical unsigned integer: no leading zero bytes, at most 8 bytes (ERR_RLP_LEADING_ZERO,
 *  checked first, then ERR_RLP_OVERFLOW). The empty string is 0; "00" is a leading zero. */
RN_NODISCARD err_t rlp_read_u64(const rlp_item_t *it, uint64_t *out);
/** Same, at most 32 bytes. */
RN_NODISCARD err_t rlp_read_u256(const rlp_item_t *it, u256_t *out);
/** Exactly n bytes (ERR_RLP_BAD_SIZE otherwise). */
RN_NODISCARD err_t rlp_read_fixed(const rlp_item_t *it, uint8_t *out, size_t n);
RN_NODISCARD err_t rlp_read_addr(const rlp_item_t *it, addr_t *out);
RN_NODISCARD err_t rlp_read_hash(const rlp_item_t *it, hash_t *out);

/* Encoding: append to a capped buffer; ERR_TOO_LARGE when the buffer's cap would be exceeded (the
 * buffer is then freed and left empty, see buf_t). */

/** A byte string (a single byte < 0x80 encodes as itself). p may be NULL when n is 0. */
RN_NODISCARD err_t rlp_encode_bytes(buf_t *dst, const uint8_t *p, size_t n);
/** An unsigned integer, big-endian without leading zeros (0 is the empty string 0x80). */
RN_NODISCARD err_t rlp_encode_u64(buf_t *dst, uint64_t v);
RN_NODISCARD err_t rlp_encode_u256(buf_t *dst, u256_t v);
RN_NODISCARD err_t rlp_encode_addr(buf_t *dst, const addr_t *a);
RN_NODISCARD err_t rlp_encode_hash(buf_t *dst, const hash_t *h);
/** Append already-encoded RLP bytes verbatim. */
RN_NODISCARD err_t rlp_encode_raw(buf_t *dst, const uint8_t *p, size_t n);

/**
 * Lists: `size_t m; rlp_list_begin(dst, &m); ...encode items...; rlp_list_end(dst, m);`
 * rlp_list_end writes the header in front of everything appended since begin. Nesting works.
 *
 * The mark is opaque. rlp_list_begin appends a one-byte placeholder (so it can fail with
 * ERR_TOO_LARGE); rlp_list_end fills it in place when the payload is shorter than 56 bytes, and
 * otherwise moves the payload once by the extra header bytes. Between the two calls dst holds
 * that placeholder, not valid RLP. rlp_list_end returns ERR_INVALID_ARG for a mark past the end
 * of dst (e.g. after an earlier failure emptied the buffer).
 */
RN_NODISCARD err_t rlp_list_begin(buf_t *dst, size_t *mark);
RN_NODISCARD err_t rlp_list_end(buf_t *dst, size_t mark);

/** Size of the header for a payload of n bytes (1 to 9). */
size_t rlp_header_size(size_t n);
/** Encoded size of a byte string / of a u64 / of a u256, header included. */
size_t rlp_bytes_size(const uint8_t *p, size_t n);
size_t rlp_u64_size(uint64_t v);
size_t rlp_u256_size(u256_t v);

#endif
