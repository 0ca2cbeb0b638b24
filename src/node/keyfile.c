/* The signer key file (--signer.key-file): 64 hex digits, optional 0x, surrounding whitespace
 * ignored as the original node does (it trims before decoding). The key never leaves the 32-byte
 * output: messages name the file and the kind of problem, never its contents, and every buffer
 * that held key text is wiped. */
#define LOG_TARGET "rollup_node::signer"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "node/node_int.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

node_key_problem_t node__key_parse(uint8_t key[static 32], const char *text, size_t n,
                                   size_t *detail)
{
    memset(key, 0, 32);
    *detail = 0;
    size_t b = 0, e = n;
    while (b < e && is_space(text[b]))
        b++;
    while (e > b && is_space(text[e - 1]))
        e--;
    if (b == e)
        return NODE_KEY_EMPTY;
    if (e - b >= 2 && text[b] == '0' && (text[b + 1] == 'x' || text[b + 1] == 'X'))
        b += 2;
    for (size_t i = b; i < e; i++) {
        if (is_space(text[i]))
            return NODE_KEY_INNER_SPACE;
    }
    for (size_t i = b; i < e; i++) {
        if (hex_digit(text[i]) < 0) {
            *detail = i + 1;
            return NODE_KEY_BAD_CHAR;
        }
    }
    if (e - b != 64) {
        *detail = e - b;
        return NODE_KEY_BAD_LENGTH;
    }
    for (size_t i = 0; i < 32; i++)
        key[i] = (uint8_t)(hex_digit(text[b + 2 * i]) << 4 | hex_digit(text[b + 2 * i + 1]));
    if (!secp_seckey_valid(key)) {
        secure_wipe(key, 32);
        return NODE_KEY_BAD_SCALAR;
    }
    return NODE_KEY_OK;
}

err_t node__key_load(uint8_t key[static 32], bool *loose_perms, const char *path, char *diag,
                     size_t diag_len)
{
    memset(key, 0, 32);
    *loose_perms = false;
    /* O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        node__diag(diag, diag_len, "cannot read signer key file %s: %s", path, strerror(errno));
        return ERR_KEYFILE_INVALID;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        node__diag(diag, diag_len, "cannot read signer key file %s: %s", path, strerror(errno));
        close(fd);
        return ERR_KEYFILE_INVALID;
    }
    if (!S_ISREG(st.st_mode)) {
        node__diag(diag, diag_len, "signer key file %s is not a regular file", path);
        close(fd);
        return ERR_KEYFILE_INVALID;
    }
    if (st.st_size > NODE_KEYFILE_MAX) {
        node__diag(diag, diag_len,
                   "signer key file %s is too large (%lld bytes): it should hold only 64 hex "
                   "digits",
                   path, (long long)st.st_size);
        close(fd);
        return ERR_KEYFILE_INVALID;
    }
    *loose_perms = (st.st_mode & 077) != 0;

    char text[NODE_KEYFILE_MAX + 1];
    size_t n = 0;
    err_t rc = ERR_OK;
    while (n < sizeof(text)) {
        ssize_t r = read(fd, text + n, sizeof(text) - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            node__diag(diag, diag_len, "cannot read signer key file %s: %s", path, strerror(errno));
            rc = ERR_KEYFILE_INVALID;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (!rc && n > NODE_KEYFILE_MAX) {
        node__diag(diag, diag_len,
                   "signer key file %s is too large: it should hold only 64 hex "
                   "digits",
                   path);
        rc = ERR_KEYFILE_INVALID;
    }
    if (!rc) {
        size_t detail;
        switch (node__key_parse(key, text, n, &detail)) {
        case NODE_KEY_OK:
            break;
        case NODE_KEY_EMPTY:
            node__diag(diag, diag_len,
                       "signer key file %s is empty: it must hold a hex-encoded private key (64 "
                       "hex digits, optional 0x prefix)",
                       path);
            rc = ERR_KEYFILE_INVALID;
            break;
        case NODE_KEY_INNER_SPACE:
            node__diag(diag, diag_len,
                       "signer key file %s has whitespace inside the key: it must hold 64 hex "
                       "digits in one piece (optional 0x prefix)",
                       path);
            rc = ERR_KEYFILE_INVALID;
            break;
        case NODE_KEY_BAD_CHAR:
            node__diag(diag, diag_len,
                       "signer key file %s has a character that is not a hex digit (at byte %zu): "
                       "it must hold 64 hex digits (optional 0x prefix)",
                       path, detail);
            rc = ERR_KEYFILE_INVALID;
            break;
        case NODE_KEY_BAD_LENGTH:
            node__diag(diag, diag_len,
                       "signer key file %s holds %zu hex digits, expected 64 (a 32-byte private "
                       "key, optional 0x prefix)",
                       path, detail);
            rc = ERR_KEYFILE_INVALID;
            break;
        case NODE_KEY_BAD_SCALAR:
            node__diag(diag, diag_len,
                       "signer key file %s does not hold a valid secp256k1 private key (it is "
                       "zero or not below the curve order)",
                       path);
            rc = ERR_KEYFILE_INVALID;
            break;
        }
    }
    secure_wipe(text, sizeof(text));
    if (rc)
        secure_wipe(key, 32);
    return rc;
}

void node__key_log_warnings(const node_config_t *cfg)
{
    if (cfg->warn_key_file_mode)
        LOG_WARN("Signer key file is readable by group or others; run chmod 600 %s",
                 cfg->signer.key_file);
}
