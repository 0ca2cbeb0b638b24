/* src/crypto/crypto.h — hashing and signatures: keccak-256 (our own), secp256k1 via
 * libsecp256k1, SHA-256, RIPEMD-160, SHA-1 and P-256 verification via OpenSSL libcrypto (loaded
 * on first use). */
#ifndef RN_CRYPTO_CRYPTO_H
#define RN_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* ---- keccak-256 (the original Keccak padding 0x01, not SHA3's 0x06) ---- */

typedef struct keccak_ctx {
    uint64_t st[25];
    uint8_t buf[136];
    size_t pos; /**< bytes absorbed into buf */
} keccak_ctx_t;

void keccak256_init(keccak_ctx_t *ctx);
void keccak256_update(keccak_ctx_t *ctx, const uint8_t *data, size_t len);
/** Write the digest and zero *ctx (it may have absorbed a secret); init again to reuse it. */
void keccak256_final(keccak_ctx_t *ctx, uint8_t out[static 32]);
/** One-shot keccak-256. */
void keccak256(uint8_t out[static 32], const uint8_t *data, size_t len);
/** One-shot into a hash_t. */
hash_t keccak256_hash(const uint8_t *data, size_t len);
/**
 * out[i] = keccak256(in[i]) for i < n: the same digests as n one-shot calls, faster when there
 * are several inputs (on x86-64 with AVX2, inputs with the same number of full 136-byte blocks
 * are hashed four at a time). out must not overlap the inputs.
 */
void keccak256_many(hash_t *out, const bview_t *in, size_t n);

/**
 * The permutation Keccak-f[1600] on 25 lanes; lane (x, y) is st[x + 5y], each lane the
 * little-endian reading of its 8 state bytes. For building other Keccak-based functions and for
 * tests (SHA3-256 = the same sponge with padding 0x06, checked against OpenSSL).
 */
void keccak_f1600(uint64_t st[25]);

/** keccak256 of the empty string: 0xc5d2...a470. */
extern const hash_t KECCAK_EMPTY;
/** keccak256(rlp("")) = root of the empty trie: 0x56e8...b421. */
extern const hash_t KECCAK_EMPTY_TRIE;
/** keccak256(rlp([])) = ommers hash of a block without ommers: 0x1dcc...9347. */
extern const hash_t KECCAK_EMPTY_LIST;

/* ---- SHA-256 / RIPEMD-160 / SHA-1 / P-256 (OpenSSL libcrypto) ----
 * libcrypto is loaded at the first call (or by crypto_preload); if it cannot be loaded these
 * abort with the reason, as a missing library would have stopped the program from starting. */

void sha256(uint8_t out[static 32], const uint8_t *data, size_t len);
void ripemd160(uint8_t out[static 20], const uint8_t *data, size_t len);
/** SHA-1, for the WebSocket handshake only. */
void sha1(uint8_t out[static 20], const uint8_t *data, size_t len);
/**
 * ECDSA verification on secp256r1: in = hash ‖ r ‖ s ‖ qx ‖ qy, 32 bytes each. OpenSSL rejects a
 * key off the curve and checks the signature equation; range checks on r, s and the key's
 * coordinates are the caller's.
 */
bool p256_ecdsa_verify(const uint8_t in[static 160]);
/** Load libcrypto on a background thread now, so that no later call waits for it; a failure
 * is logged at error level. */
void crypto_preload(void);

/* ---- secp256k1 (libsecp256k1) ----
 * Thread-safe: one context, created on first use. Secret keys are never logged. Every function
 * returning err_t zeroes its outputs on error. */

/** True iff sk is a valid secret key: 0 < sk < n (the curve order). */
bool secp_seckey_valid(const uint8_t sk[static 32]);

/** Uncompressed public key without the 0x04 prefix (x ‖ y, 64 bytes). ERR_CRYPTO_BAD_KEY. */
RN_NODISCARD err_t secp_pubkey(uint8_t pub[static 64], const uint8_t sk[static 32]);

/**
 * Deterministic (RFC 6979) low-s ECDSA signature of a 32-byte digest.
 * sig = r ‖ s ‖ recid (recid 0 or 1 in byte 64). ERR_CRYPTO_BAD_KEY.
 */
RN_NODISCARD err_t secp_sign(uint8_t sig[static 65], const uint8_t sk[static 32],
                             const uint8_t digest[static 32]);

/**
 * Recover the public key (x ‖ y) from a digest, r ‖ s (64 bytes) and recid (0..3).
 * Rejects r or s == 0 or >= n. Accepts high s (callers enforce EIP-2 where it applies).
 * ERR_CRYPTO_BAD_SIG, ERR_CRYPTO_RECOVER.
 */
RN_NODISCARD err_t secp_recover(uint8_t pub[static 64], const uint8_t digest[static 32],
                                const uint8_t rs[static 64], int recid);

/** secp_recover followed by address derivation. */
RN_NODISCARD err_t secp_recover_address(addr_t *out, const uint8_t digest[static 32],
                                        const uint8_t rs[static 64], int recid);

/** True iff s (32 bytes big-endian) is <= n/2 (EIP-2 "low s"). */
bool secp_s_is_low(const uint8_t s[static 32]);

/** Ethereum address = last 20 bytes of keccak256(x ‖ y). */
void addr_from_pubkey(addr_t *out, const uint8_t pub[static 64]);

/** Address of a secret key. ERR_CRYPTO_BAD_KEY. */
RN_NODISCARD err_t addr_from_seckey(addr_t *out, const uint8_t sk[static 32]);

/**
 * ECDH shared secret as devp2p/RLPx uses it: the 32-byte x coordinate of sk·pub (no hashing).
 * ERR_CRYPTO_BAD_PUBKEY, ERR_CRYPTO_BAD_KEY.
 */
RN_NODISCARD err_t secp_ecdh(uint8_t out[static 32], const uint8_t pub[static 64],
                             const uint8_t sk[static 32]);

/** EIP-55 checksummed address text: "0x" + 40 mixed-case digits + NUL (43 bytes). */
void addr_to_checksum_hex(char out[static 43], const addr_t *a);

#endif
