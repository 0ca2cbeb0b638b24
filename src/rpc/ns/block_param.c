/* The block parameter every state-reading method shares (rpc__block_param in ns.h): block tags,
 * hex numbers, bare block hashes and EIP-1898 objects, resolved to a canonical block of the
 * database with reth's errors (-32602 naming the parameter when malformed, -32001 "block not found:
 * …" when the block is not stored). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "db/db.h"
#include "rpc/ns/ns.h"

static bool bad(rpc_reply_t *r, const char *name)
{
    rpc_reply_error(r, RPC_INVALID_PARAMS,
                    "invalid params: %s must be a block tag (latest, pending, safe, finalized, "
                    "earliest), a hex block number, a block hash, or {blockNumber} / {blockHash, "
                    "requireCanonical}",
                    name);
    return false;
}

/* A tag or a 0x quantity; UINT64_MAX for the head tags. */
static bool number_or_tag(const json_t *p, uint64_t *out)
{
    const char *s = json_string_value(p);
    if (!s)
        return false;
    if (!strcmp(s, "latest") || !strcmp(s, "pending") || !strcmp(s, "safe") ||
        !strcmp(s, "finalized")) {
        *out = UINT64_MAX;
        return true;
    }
    if (!strcmp(s, "earliest")) {
        *out = 0;
        return true;
    }
    u256_t v;
    size_t n = strlen(s);
    if (n < 3 || strncmp(s, "0x", 2) != 0 || u256_from_hex(s, n, &v) != ERR_OK ||
        (v.w[1] | v.w[2] | v.w[3]) || v.w[0] == UINT64_MAX)
        return false;
    *out = v.w[0];
    return true;
}

bool rpc__block_param(struct db_txn *t, const json_t *p, const char *name, uint64_t *num,
                      hash_t *hash, rpc_reply_t *r)
{
    uint64_t head, n = UINT64_MAX;
    hash_t h;
    if (json_is_null(p))
        p = NULL;
    const json_t *bh = NULL, *rc = NULL;
    if (json_is_object(p)) {
        bh = json_object_get(p, "blockHash");
        rc = json_object_get(p, "requireCanonical");
        const json_t *bn = json_object_get(p, "blockNumber");
        if (bh && bn) {
            rpc_reply_error(r, RPC_INVALID_PARAMS,
                            "invalid params: %s: cannot specify both blockHash and blockNumber, "
                            "choose one or the other",
                            name);
            return false;
        }
        if ((!bh && !bn) || (rc && !json_is_boolean(rc)))
            return bad(r, name);
        if (!bh)
            p = bn;
    } else if (json_is_string(p) && json_string_length(p) == 66) {
        bh = p; /* a bare block hash: geth and reth take one too */
    }
    if (bh) {
        const char *s = json_string_value(bh);
        header_t hd;
        if (!s || hex_decode_fixed(h.b, 32, s, strlen(s)) != ERR_OK)
            return bad(r, name);
        if (chain_read_header(t, &h, &hd) != ERR_OK) {
            rpc_reply_error(r, RPC_RESOURCE_NOT_FOUND, "block not found: %shash %s",
                            json_is_true(rc) ? "canonical " : "", s);
            return false;
        }
        n = hd.number;
        header_deinit(&hd);
        hash_t canon;
        if (chain_canonical_hash(t, n, &canon) != ERR_OK || !hash_eq(&canon, &h)) {
            if (json_is_true(rc))
                rpc_reply_error(r, RPC_RESOURCE_NOT_FOUND, "block not found: canonical hash %s", s);
            else /* state is kept for the canonical chain only */
                rpc_reply_error(r, RPC_SERVER_ERROR, "block %s is not canonical", s);
            return false;
        }
        *num = n;
        if (hash)
            *hash = h;
        return true;
    }
    if (p && !number_or_tag(p, &n))
        return bad(r, name);
    if (chain_head(t, &head, &h) != ERR_OK) {
        rpc_reply_error(r, RPC_INTERNAL_ERROR, "no head block");
        return false;
    }
    if (n == UINT64_MAX)
        n = head;
    if (n > head || chain_canonical_hash(t, n, &h) != ERR_OK) {
        rpc_reply_error(r, RPC_RESOURCE_NOT_FOUND, "block not found: 0x%" PRIx64, n);
        return false;
    }
    *num = n;
    if (hash)
        *hash = h;
    return true;
}
