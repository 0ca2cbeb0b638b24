/* Fuzz the transaction, header, block and receipt decoders: no crash on any input, and whatever
 * decodes re-encodes to the identical bytes. */
#include <stdlib.h>

#include "fuzz.h"
#include "primitives/primitives.h"

static void same(const buf_t *b, const uint8_t *data, size_t size)
{
    if (b->n != size || memcmp(b->p, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bview_t in = bview(data, size);
    buf_t out;
    buf_init(&out, size + 4096);
    tx_t tx;
    if (tx_decode(&tx, in) == ERR_OK) {
        if (tx_encode(&tx, &out) != ERR_OK)
            abort();
        same(&out, data, size);
        addr_t a;
        hash_t h;
        (void)!tx_recover_sender(&tx, &a);
        (void)!tx_hash(&tx, &h);
        (void)tx_intrinsic_gas(&tx, INTRINSIC_EIP3860 | INTRINSIC_EIP7702);
        tx_deinit(&tx);
    }
    header_t hd;
    buf_reset(&out);
    if (header_decode(&hd, in) == ERR_OK) {
        if (header_encode(&hd, &out) != ERR_OK)
            abort();
        same(&out, data, size);
        header_deinit(&hd);
    }
    receipt_t r;
    buf_reset(&out);
    if (receipt_decode(&r, in) == ERR_OK) {
        if (receipt_encode(&r, &out) != ERR_OK)
            abort();
        same(&out, data, size);
        receipt_deinit(&r);
    }
    /* The stored form: an old full zero bloom re-encodes shorter, so check that re-encoding is
     * stable instead of equal to the input. */
    buf_reset(&out);
    if (receipt_decode_stored(&r, in) == ERR_OK) {
        receipt_t r2;
        buf_t again;
        buf_init(&again, size + 4096);
        if (receipt_encode_stored(&r, &out) != ERR_OK ||
            receipt_decode_stored(&r2, buf_view(&out)) != ERR_OK ||
            receipt_encode_stored(&r2, &again) != ERR_OK)
            abort();
        same(&again, out.p, out.n);
        receipt_deinit(&r2);
        receipt_deinit(&r);
        buf_deinit(&again);
    }
    block_t b;
    buf_reset(&out);
    if (block_decode(&b, in) == ERR_OK) {
        if (block_encode(&b, &out) != ERR_OK)
            abort();
        same(&out, data, size);
        block_deinit(&b);
    }
    buf_deinit(&out);
    return 0;
}
