/* src/trie/trie_int.h — private to the trie module: the decoded form of a stored node, shared by
 * the incremental update (trie_db.c) and the readers (trie_proof.c). */
#ifndef RN_TRIE_TRIE_INT_H
#define RN_TRIE_TRIE_INT_H

#include "trie/trie.h"

enum {
    TRIE__LEAF = 1,
    TRIE__EXT = 2,
    TRIE__BRANCH = 3
};

/** A node decoded from its RLP encoding; every view borrows from that encoding. */
typedef struct trie__node {
    int kind;                          /**< TRIE__LEAF, TRIE__EXT or TRIE__BRANCH */
    size_t nfrag;                      /**< leaf/extension: nibbles in frag */
    uint8_t frag[TRIE_DB_MAX_NIBBLES]; /**< leaf/extension: key fragment, one nibble a byte */
    bview_t value;                     /**< leaf value, or branch value (n == 0: none) */
    /** References to children as raw RLP items: a 32-byte string (0xa0 + hash) or an embedded
     *  node (a list shorter than 32 bytes); n == 0 for an empty slot. An extension uses [0]. */
    bview_t child[16];
} trie__node_t;

/**
 * Decode the node enc found at nibble depth `depth` (its path length). ERR_TRIE_CORRUPT unless enc
 * is one RLP list of 2 items (hex-prefix key with a valid flag nibble; a non-empty value for a
 * leaf, a reference for an extension with a non-empty key) or 17 items (16 empty strings,
 * 32-byte strings or embedded lists shorter than 32 bytes; a string value), and unless the node
 * fits within TRIE_DB_MAX_NIBBLES of path.
 */
RN_NODISCARD err_t trie__node_decode(trie__node_t *out, bview_t enc, size_t depth);

/** Hex-prefix encoding (Yellow Paper, appendix C) of nibbles[0..n), n <= TRIE_DB_MAX_NIBBLES,
 *  appended as an RLP string. */
RN_NODISCARD err_t trie__hex_prefix(buf_t *out, const uint8_t *nibbles, size_t n, bool leaf);

/** Expand key (at most TRIE_DB_MAX_KEY bytes) into nibbles; returns their count. */
size_t trie__key_nibbles(uint8_t out[TRIE_DB_MAX_NIBBLES], bview_t key);

#endif
