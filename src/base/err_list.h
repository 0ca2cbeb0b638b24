/* src/base/err_list.h — every error code of rollup-node, as one X-macro: name, number, message.
 *
 * Numbers are never reused or renumbered. Each module owns a range of 100; add new codes at the
 * end of your own range only. */
#ifndef RN_BASE_ERR_LIST_H
#define RN_BASE_ERR_LIST_H

/* clang-format off */
#define ERR_LIST(X)                                                                    \
    X(OK,                 0,   "success")                                              \
    X(NOT_FOUND,          1,   "not found")                                            \
    X(IO,                 2,   "I/O error")                                            \
    X(TOO_LARGE,          3,   "input exceeds a configured limit")                     \
    X(INVALID_ARG,        4,   "invalid argument")                                     \
    X(NOMEM,              5,   "out of memory")                                        \
    X(HEX_INVALID,        10,  "hex: invalid character")                               \
    X(HEX_ODD_LENGTH,     11,  "hex: odd number of digits")                            \
    X(HEX_BAD_LENGTH,     12,  "hex: wrong length")                                    \
    X(NUM_INVALID,        13,  "number: invalid digits")                               \
    X(NUM_OVERFLOW,       14,  "number: value too large")                              \
    X(PERMISSION,         15,  "permission denied")                                    \
    X(UNSUPPORTED,        16,  "not supported")                                        \
    X(BUSY,               17,  "resource is in use")                                   \
    X(TIMEOUT,            18,  "operation timed out")                                  \
    X(CLOSED,             19,  "closed")                                               \
    /* 100-199 rlp */                                                                  \
    X(RLP_TRUNCATED,      100, "rlp: input ends inside an item")                       \
    X(RLP_NONCANON,       101, "rlp: non-canonical encoding")                          \
    X(RLP_TRAILING,       102, "rlp: trailing bytes after the item")                   \
    X(RLP_EXPECTED_LIST,  103, "rlp: expected a list")                                 \
    X(RLP_EXPECTED_BYTES, 104, "rlp: expected a byte string")                          \
    X(RLP_TOO_DEEP,       105, "rlp: nesting too deep")                                \
    X(RLP_BAD_SIZE,       106, "rlp: value has the wrong size")                        \
    X(RLP_LEADING_ZERO,   107, "rlp: integer with leading zero bytes")                 \
    X(RLP_OVERFLOW,       108, "rlp: integer too large")                               \
    X(RLP_LIST_LENGTH,    109, "rlp: list has the wrong number of items")              \
    /* 200-299 crypto */                                                               \
    X(CRYPTO_BAD_KEY,     200, "crypto: invalid secret key")                           \
    X(CRYPTO_BAD_SIG,     201, "crypto: invalid signature")                            \
    X(CRYPTO_BAD_PUBKEY,  202, "crypto: invalid public key")                           \
    X(CRYPTO_RECOVER,     203, "crypto: public key recovery failed")                   \
    X(CRYPTO_INTERNAL,    204, "crypto: library failure")                              \
    /* 300-399 primitives */                                                           \
    X(TX_TYPE_UNSUPPORTED, 300, "transaction type not supported")                      \
    X(TX_MALFORMED,       301, "malformed transaction")                                \
    X(TX_BAD_SIGNATURE,   302, "invalid transaction signature")                        \
    X(TX_BAD_CHAIN_ID,    303, "invalid chain id for signer")                          \
    X(HEADER_MALFORMED,   304, "malformed block header")                               \
    X(BLOCK_MALFORMED,    305, "malformed block")                                      \
    X(RECEIPT_MALFORMED,  306, "malformed receipt")                                    \
    X(TX_EMPTY,           307, "empty transaction bytes")                              \
    /* 400-499 node / cli / config */                                                  \
    X(CLI_USAGE,          400, "invalid command line")                                 \
    X(CONFIG_INVALID,     401, "invalid configuration")                                \
    X(KEYFILE_INVALID,    402, "invalid key file")                                     \
    X(JSON_INVALID,       403, "invalid JSON")                                         \
    /* 500-599 evm, 600-699 trie, 700-799 state/db, 800-899 chain, 900-999 txpool,     \
     * 1000-1099 engine, 1100-1199 rpc, 1200-1299 p2p, 1300-1399 l1/derive */         \
    /* 600-699 trie */                                                                 \
    X(TRIE_CORRUPT,       600, "trie: stored node is malformed or missing")            \
    X(TRIE_BAD_PROOF,     601, "trie: proof does not match the root")                  \
    X(DB,                 700, "database error")                                       \
    X(DB_MAP_FULL,        701, "database map is full")                                 \
    X(DB_SCHEMA,          702, "incompatible database schema")                         \
    X(DB_LOCKED,          703, "datadir is in use by another process")                 \
    X(DB_CORRUPT,         704, "database is corrupt")                                  \
    X(DB_STALE,           705, "read snapshot is older than the newest state; retry")
/* clang-format on */

#endif
