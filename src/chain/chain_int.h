/* src/chain/chain_int.h — private to the chain module. */
#ifndef RN_CHAIN_CHAIN_INT_H
#define RN_CHAIN_CHAIN_INT_H

#include <stddef.h>

#include "base/base.h"

/* Built-in data compiled from ../shared/fixtures (see CMakeLists.txt). Length 0 = missing. */
#define CHAIN_DATA(sym)                    \
    extern const unsigned char rn_##sym[]; \
    extern const size_t rn_##sym##_len;
CHAIN_DATA(genesis_mainnet)
CHAIN_DATA(genesis_sepolia)
CHAIN_DATA(genesis_dev)
CHAIN_DATA(genesis_e2e)
CHAIN_DATA(code_gpo_galileo_v2)
CHAIN_DATA(code_gpo_curie)
CHAIN_DATA(code_gpo_feynman)
CHAIN_DATA(code_eip2935)
#undef CHAIN_DATA

struct db_txn;
struct block;
/** Block-store hooks (l1msg.c): mark a stored block's L1 messages included and move the next
 *  queue index; undo that for an unwound block (called newest block first). */
RN_NODISCARD err_t chain__l1_on_store(struct db_txn *txn, const struct block *b);
RN_NODISCARD err_t chain__l1_on_unwind(struct db_txn *txn, const struct block *b);

/** Item i of items stored back to back from p, end[i] where the i-th ends (the builder's raw
 *  transactions, sealing's receipt encodings). */
static inline bview_t chain__packed_at(const uint8_t *p, const size_t *end, size_t i)
{
    size_t start = i ? end[i - 1] : 0;
    return bview(p + start, end[i] - start);
}

#endif
