/* The signer key file: content rules (node__key_parse) and reading (node__key_load). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "node/node_int.h"

/* A random-looking valid key; tests grep diagnostics for its digits. */
#define KEY_HEX "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

static const uint8_t KEY_BYTES[32] = { 0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d,
                                       0x62, 0x31, 0x47, 0x1b, 0x5d, 0xbb, 0x62, 0x04,
                                       0xfe, 0x51, 0x29, 0x61, 0x70, 0x82, 0x79, 0x2a,
                                       0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18 };

static node_key_problem_t parse(const char *text, uint8_t key[32], size_t *detail)
{
    return node__key_parse(key, text, strlen(text), detail);
}

TEST(keyfile, accepts_the_guide_format_and_trims)
{
    static const char *const ok[] = {
        KEY_HEX,        "0x" KEY_HEX,
        "0X" KEY_HEX,   KEY_HEX "\n",
        KEY_HEX "\r\n", "  \t0x" KEY_HEX " \n\n",
        "\n" KEY_HEX,   "4C0883A69102937D6231471B5DBB6204FE5129617082792AE468D01A3F362318",
    };
    for (size_t i = 0; i < RN_ARRAY_LEN(ok); i++) {
        uint8_t key[32];
        size_t d;
        CHECK_EQ_INT(parse(ok[i], key, &d), NODE_KEY_OK);
        CHECK_MEM_EQ(key, 32, KEY_BYTES, 32);
    }
}

TEST(keyfile, rejects_each_malformed_shape)
{
    uint8_t key[32];
    size_t d;
    CHECK_EQ_INT(parse("", key, &d), NODE_KEY_EMPTY);
    CHECK_EQ_INT(parse(" \n\t\r\n", key, &d), NODE_KEY_EMPTY);
    CHECK_EQ_INT(
        parse("4c0883a69102937d6231471b5dbb6204 fe5129617082792ae468d01a3f362318", key, &d),
        NODE_KEY_INNER_SPACE);
    CHECK_EQ_INT(
        parse("0x4c0883a69102937d6231471b5dbb6204\nfe5129617082792ae468d01a3f362318\n", key, &d),
        NODE_KEY_INNER_SPACE);
    CHECK_EQ_INT(
        parse("0x 4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", key, &d),
        NODE_KEY_INNER_SPACE);
    CHECK_EQ_INT(parse("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231g", key, &d),
                 NODE_KEY_BAD_CHAR);
    CHECK_EQ_U64(d, 64);
    CHECK_EQ_INT(
        parse("  0x0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f3623", key, &d),
        NODE_KEY_BAD_CHAR);
    CHECK_EQ_U64(d, 6);
    CHECK_EQ_INT(parse("\"" KEY_HEX "\"", key, &d), NODE_KEY_BAD_CHAR);
    CHECK_EQ_INT(parse(KEY_HEX "0", key, &d), NODE_KEY_BAD_LENGTH);
    CHECK_EQ_U64(d, 65);
    CHECK_EQ_INT(
        parse("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231", key, &d),
        NODE_KEY_BAD_LENGTH);
    CHECK_EQ_U64(d, 63);
    CHECK_EQ_INT(parse("0x", key, &d), NODE_KEY_BAD_LENGTH);
    CHECK_EQ_U64(d, 0);
    static const uint8_t zero[32];
    CHECK_MEM_EQ(key, 32, zero, 32);
}

TEST(keyfile, rejects_scalars_outside_the_group_order)
{
    uint8_t key[32];
    size_t d;
    static const uint8_t zero[32];
    CHECK_EQ_INT(
        parse("0x0000000000000000000000000000000000000000000000000000000000000000", key, &d),
        NODE_KEY_BAD_SCALAR);
    CHECK_MEM_EQ(key, 32, zero, 32);
    /* n, the secp256k1 group order, and n + 1 and 2^256 - 1: not secret keys. */
    CHECK_EQ_INT(parse("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", key, &d),
                 NODE_KEY_BAD_SCALAR);
    CHECK_EQ_INT(parse("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364142", key, &d),
                 NODE_KEY_BAD_SCALAR);
    CHECK_EQ_INT(parse("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", key, &d),
                 NODE_KEY_BAD_SCALAR);
    /* n - 1 and 1 are the extremes that are valid. */
    CHECK_EQ_INT(parse("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140", key, &d),
                 NODE_KEY_OK);
    CHECK_EQ_INT(parse("0000000000000000000000000000000000000000000000000000000000000001", key, &d),
                 NODE_KEY_OK);
    CHECK_EQ_U64(key[31], 1);
}

/* Write content to a fresh temp file with the given mode; returns its malloc'd path. */
static char *temp_key(const char *content, mode_t mode)
{
    char tmpl[] = "/tmp/rn-test-key-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return NULL;
    size_t n = strlen(content);
    if (write(fd, content, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    chmod(tmpl, mode);
    return strdup(tmpl);
}

TEST(keyfile, load_reads_trims_and_reports_permissions)
{
    char *path = temp_key("0x" KEY_HEX "\n", 0600);
    CHECK(path != NULL);
    uint8_t key[32];
    bool loose = true;
    char diag[512];
    CHECK_OK(node__key_load(key, &loose, path, diag, sizeof(diag)));
    CHECK_MEM_EQ(key, 32, KEY_BYTES, 32);
    CHECK(!loose);
    chmod(path, 0644);
    CHECK_OK(node__key_load(key, &loose, path, diag, sizeof(diag)));
    CHECK(loose);
    chmod(path, 0640);
    CHECK_OK(node__key_load(key, &loose, path, diag, sizeof(diag)));
    CHECK(loose);
    unlink(path);
    free(path);
}

TEST(keyfile, load_errors_name_the_file_never_the_key)
{
    static const char *const bad[] = {
        "",
        "\n\n",
        "4c0883a69102937d6231471b5dbb6204 fe5129617082792ae468d01a3f362318\n",
        KEY_HEX "z\n",
        KEY_HEX "0\n",
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231\n",
        "0x0000000000000000000000000000000000000000000000000000000000000000",
    };
    static const char *const expect[] = { "is empty",        "is empty",      "whitespace inside",
                                          "not a hex digit", "65 hex digits", "63 hex digits",
                                          "valid secp256k1" };
    for (size_t i = 0; i < RN_ARRAY_LEN(bad); i++) {
        char *path = temp_key(bad[i], 0600);
        CHECK(path != NULL);
        uint8_t key[32];
        bool loose;
        char diag[512];
        err_t e = node__key_load(key, &loose, path, diag, sizeof(diag));
        CHECK_ERR(ERR_KEYFILE_INVALID, e);
        CHECK(strstr(diag, path) != NULL);
        if (!strstr(diag, expect[i]))
            harness_fail(__FILE__, __LINE__, "case %zu: '%s' lacks '%s'", i, diag, expect[i]);
        /* No run of 16 key digits may appear in the message. */
        CHECK(strstr(diag, "4c0883a69102937d") == NULL);
        CHECK(strstr(diag, "5129617082792ae4") == NULL);
        unlink(path);
        free(path);
    }
}

TEST(keyfile, load_refuses_missing_directory_and_large_files)
{
    uint8_t key[32];
    bool loose;
    char diag[512];
    CHECK_ERR(ERR_KEYFILE_INVALID,
              node__key_load(key, &loose, "/nonexistent/rn/sequencer.key", diag, sizeof(diag)));
    CHECK(strstr(diag, "/nonexistent/rn/sequencer.key") != NULL);
    CHECK(strstr(diag, "No such file") != NULL);
    CHECK_ERR(ERR_KEYFILE_INVALID, node__key_load(key, &loose, "/tmp", diag, sizeof(diag)));
    CHECK(strstr(diag, "not a regular file") != NULL);

    char big[NODE_KEYFILE_MAX + 2];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    memcpy(big, KEY_HEX, 64);
    char *path = temp_key(big, 0600);
    CHECK(path != NULL);
    CHECK_ERR(ERR_KEYFILE_INVALID, node__key_load(key, &loose, path, diag, sizeof(diag)));
    CHECK(strstr(diag, "too large") != NULL);
    unlink(path);
    free(path);
}
