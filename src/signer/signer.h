/* src/signer/signer.h — block signing (ROLLUP-NODE.md §3, SCROLL.md §8.2).
 *
 * The sequencer signs keccak256(rlp(header without extraData)) and the 65-byte signature
 * r ‖ s ‖ v travels beside the block (stored with it, sent on the wire). v is emitted in the
 * 27/28 convention like the reference node; 0/1 is accepted when verifying. Signatures are
 * low-s (EIP-2). Log target `rollup_node::signer`. */
#ifndef RN_SIGNER_SIGNER_H
#define RN_SIGNER_SIGNER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "primitives/primitives.h"

enum {
    SIGNATURE_LEN = 65
};

typedef struct signer signer_t;

/** A signer over a secp256k1 secret key (copied; wiped by signer_free). ERR_CRYPTO_BAD_KEY. */
RN_NODISCARD err_t signer_new_key(signer_t **out, const uint8_t sk[static 32]);
void signer_free(signer_t *s);
/** The signer's address (what the L1 system contract must authorise). */
const addr_t *signer_address(const signer_t *s);

/** Sign a block header: sig = r ‖ s ‖ v (v = 27 + recovery id). */
RN_NODISCARD err_t signer_sign_header(const signer_t *s, const header_t *h,
                                      uint8_t sig[static SIGNATURE_LEN]);

/**
 * Recover the address that signed a header. Accepts v of 0/1 or 27/28; rejects high s and
 * malformed signatures with ERR_CRYPTO_BAD_SIG.
 */
RN_NODISCARD err_t signer_recover_header(const header_t *h, const uint8_t sig[static SIGNATURE_LEN],
                                         addr_t *out);

/** signer_recover_header == expected (constant-time comparison is not needed: public data). */
bool signer_verify_header(const header_t *h, const uint8_t sig[static SIGNATURE_LEN],
                          const addr_t *expected);

#endif
