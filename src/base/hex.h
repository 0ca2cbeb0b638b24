/* src/base/hex.h — hex text <-> bytes. Parsers accept an optional 0x/0X prefix. */
#ifndef RN_BASE_HEX_H
#define RN_BASE_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

/** Value of one hex digit, or -1. */
static inline int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/** Skip an optional 0x/0X prefix of s[0..*n), adjusting *n. */
const char *hex_skip_prefix(const char *s, size_t *n);

/**
 * Decode exactly `outlen` bytes from the hex text s[0..n) (optional 0x prefix).
 * ERR_HEX_ODD_LENGTH, ERR_HEX_BAD_LENGTH (wrong digit count), ERR_HEX_INVALID.
 */
RN_NODISCARD err_t hex_decode_fixed(uint8_t *out, size_t outlen, const char *s, size_t n);

/** Decode any even number of hex digits (optional 0x) and append them to dst. */
RN_NODISCARD err_t hex_decode_buf(buf_t *dst, const char *s, size_t n);

/** Write 2n lowercase digits and a NUL to out (no prefix). out needs 2n+1 bytes. */
void hex_encode(char *out, const uint8_t *p, size_t n);

/** Same with a "0x" prefix. out needs 2n+3 bytes. */
void hex_encode_0x(char *out, const uint8_t *p, size_t n);

/** Append "0x" + hex of p to a text buffer. */
RN_NODISCARD err_t hex_append_0x(buf_t *dst, const uint8_t *p, size_t n);

/** Parse a 20-byte address (40 hex digits, optional 0x). */
RN_NODISCARD err_t addr_from_hex(addr_t *out, const char *s, size_t n);
/** Parse a 32-byte hash (64 hex digits, optional 0x). */
RN_NODISCARD err_t hash_from_hex(hash_t *out, const char *s, size_t n);
/** EIP-55 mixed-case checksummed text "0x..." (needs keccak: implemented in crypto/). */

/** Parse a uint64 in decimal, or hex with 0x prefix. ERR_NUM_INVALID / ERR_NUM_OVERFLOW. */
RN_NODISCARD err_t parse_u64(const char *s, size_t n, uint64_t *out);

#endif
