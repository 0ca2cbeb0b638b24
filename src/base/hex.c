#include "base/hex.h"

const char *hex_skip_prefix(const char *s, size_t *n)
{
    if (*n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        *n -= 2;
        return s + 2;
    }
    return s;
}

static err_t decode_into(uint8_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(s[2 * i]);
        int lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return ERR_HEX_INVALID;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return ERR_OK;
}

err_t hex_decode_fixed(uint8_t *out, size_t outlen, const char *s, size_t n)
{
    s = hex_skip_prefix(s, &n);
    if (n % 2)
        return ERR_HEX_ODD_LENGTH;
    if (n != 2 * outlen)
        return ERR_HEX_BAD_LENGTH;
    return decode_into(out, s, n);
}

err_t hex_decode_buf(buf_t *dst, const char *s, size_t n)
{
    s = hex_skip_prefix(s, &n);
    if (n % 2)
        return ERR_HEX_ODD_LENGTH;
    size_t old = dst->n;
    uint8_t *p;
    TRY(buf_append_zeros(dst, n / 2, &p));
    err_t e = decode_into(p, s, n);
    if (e)
        dst->n = old;
    return e;
}

void hex_encode(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

void hex_encode_0x(char *out, const uint8_t *p, size_t n)
{
    out[0] = '0';
    out[1] = 'x';
    hex_encode(out + 2, p, n);
}

err_t hex_append_0x(buf_t *dst, const uint8_t *p, size_t n)
{
    TRY(buf_reserve(dst, 2 * n + 3));
    hex_encode_0x((char *)dst->p + dst->n, p, n);
    dst->n += 2 * n + 2;
    return ERR_OK;
}

err_t addr_from_hex(addr_t *out, const char *s, size_t n)
{
    return hex_decode_fixed(out->b, 20, s, n);
}

err_t hash_from_hex(hash_t *out, const char *s, size_t n)
{
    return hex_decode_fixed(out->b, 32, s, n);
}

err_t parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return ERR_NUM_INVALID;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
        for (size_t i = 0; i < n; i++) {
            int d = hex_digit(s[i]);
            if (d < 0)
                return ERR_NUM_INVALID;
            if (v > (UINT64_MAX >> 4))
                return ERR_NUM_OVERFLOW;
            v = (v << 4) | (uint64_t)d;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return ERR_NUM_INVALID;
            uint64_t d = (uint64_t)(s[i] - '0');
            if (v > (UINT64_MAX - d) / 10)
                return ERR_NUM_OVERFLOW;
            v = v * 10 + d;
        }
    }
    *out = v;
    return ERR_OK;
}
