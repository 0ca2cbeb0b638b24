/* rollupNode_getL1MessageByIndex / ByKey and the L1 part of rollupNode_status over a real LMDB
 * datadir: messages stored as the L1 watcher would, one included by a block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "devchain.h"
#include "harness.h"
#include "primitives/primitives.h"
#include "rpc/rpc.h"

typedef struct l1fix {
    devchain_t dc;
    rpc_ctx_t ctx;
    rpc_registry_t *reg;
    hash_t msg_hash[2];
} l1fix_t;

static void l1_message(buf_t *out, uint64_t index, uint64_t value)
{
    tx_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.type = TX_L1_MESSAGE;
    tx.queue_index = index;
    tx.gas_limit = 200000;
    tx.has_to = true;
    memset(tx.to.b, 0x44, 20);
    tx.value = u256_from_u64(value);
    tx.data = (uint8_t[]){ 0xca, 0xfe };
    tx.data_len = 2;
    memset(tx.sender.b, 0x55, 20);
    buf_reset(out);
    CHECK_OK(tx_encode(&tx, out));
}

static bool setup(l1fix_t *f)
{
    memset(f, 0, sizeof(*f));
    db_txn_t *w;
    char diag[128];
    if (!devchain_open(&f->dc, "rn_rpc_l1", 1ull << 30, &w))
        return false;
    buf_t raw;
    buf_init(&raw, 1 << 12);
    for (uint64_t i = 0; i < 2; i++) {
        l1_message(&raw, i, 7 + i);
        f->msg_hash[i] = keccak256_hash(raw.p, raw.n);
        if (chain_l1_put_message(w, 100 + i, buf_view(&raw), diag, sizeof(diag)) != ERR_OK)
            return false;
    }
    /* Block 1 includes message 0 (stored directly, as an imported block would be). */
    block_t b;
    memset(&b, 0, sizeof(b));
    b.header.number = 1;
    b.txs = RN_NEWV(tx_t, 1);
    b.ntxs = 1;
    l1_message(&raw, 0, 7);
    hash_t bh;
    memset(bh.b, 0xbb, 32);
    chain_receipts_t rs = { 0 };
    bool ok = tx_decode(&b.txs[0], buf_view(&raw)) == ERR_OK &&
              chain_store_block(w, &b, &bh, &rs, NULL) == ERR_OK &&
              chain_l1_set_heads(w, 120, 110) == ERR_OK && db_txn_commit(w) == ERR_OK;
    block_deinit(&b);
    buf_deinit(&raw);
    f->ctx.db = f->dc.db;
    f->ctx.chain_id = 1337;
    f->ctx.ns_enabled = RPC_NS_ROLLUP_NODE;
    f->reg = rpc_registry_new(&f->ctx);
    rpc_register_all(f->reg);
    rpc_register_node(f->reg);
    f->ctx.registry = f->reg;
    return ok;
}

static void teardown(l1fix_t *f)
{
    rpc_registry_free(f->reg);
    devchain_close(&f->dc);
}

static json_t *call(l1fix_t *f, uint32_t ns, const char *method, const char *params)
{
    char body[1024];
    snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}",
             method, params);
    buf_t out;
    buf_init(&out, 1u << 20);
    rpc_handle_body(f->reg, ns, body, strlen(body), &out);
    json_t *j = json_loadb((const char *)out.p, out.n, 0, NULL);
    buf_deinit(&out);
    return j;
}

static const char *field(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

TEST(rollup_l1, messages_by_index_and_key)
{
    l1fix_t f;
    CHECK(setup(&f));
    json_t *r = call(&f, RPC_NS_ROLLUP_NODE, "rollupNode_getL1MessageByIndex", "[0]");
    json_t *m = json_object_get(r, "result");
    CHECK(json_is_object(m));
    CHECK_STR_EQ(field(m, "l1BlockNumber"), "0x64");
    CHECK_STR_EQ(field(m, "l2BlockNumber"), "0x1");
    json_t *t = json_object_get(m, "transaction");
    CHECK_STR_EQ(field(t, "queueIndex"), "0x0");
    CHECK_STR_EQ(field(t, "gas"), "0x30d40");
    CHECK_STR_EQ(field(t, "to"), "0x4444444444444444444444444444444444444444");
    CHECK_STR_EQ(field(t, "sender"), "0x5555555555555555555555555555555555555555");
    CHECK_STR_EQ(field(t, "value"), "0x7");
    CHECK_STR_EQ(field(t, "input"), "0xcafe");
    char h1[67];
    hex_encode_0x(h1, f.msg_hash[1].b, 32);
    json_decref(r);
    /* Message 1 waits: no L2 block yet. Found by hex index and by hash, plain or wrapped. */
    const char *forms[] = { "[\"0x1\"]", NULL, NULL, "[{\"queueIndex\":1}]" };
    char p1[128], p2[160];
    snprintf(p1, sizeof(p1), "[\"%s\"]", h1);
    snprintf(p2, sizeof(p2), "[{\"transactionHash\":\"%s\"}]", h1);
    forms[1] = p1;
    forms[2] = p2;
    for (size_t i = 0; i < 4; i++) {
        r = call(&f, RPC_NS_ROLLUP_NODE,
                 i == 0 ? "rollupNode_getL1MessageByIndex" : "rollupNode_getL1MessageByKey",
                 forms[i]);
        m = json_object_get(r, "result");
        CHECK(json_is_object(m));
        CHECK(json_is_null(json_object_get(m, "l2BlockNumber")));
        CHECK_STR_EQ(field(m, "transactionHash"), h1);
        CHECK_STR_EQ(field(m, "l1BlockNumber"), "0x65");
        json_decref(r);
    }
    /* Unknown: null. Bad keys: -32602. */
    r = call(&f, RPC_NS_ROLLUP_NODE, "rollupNode_getL1MessageByIndex", "[5]");
    CHECK(json_is_null(json_object_get(r, "result")));
    json_decref(r);
    r = call(&f, RPC_NS_ROLLUP_NODE, "rollupNode_getL1MessageByKey",
             "[\"0x0000000000000000000000000000000000000000000000000000000000000001\"]");
    CHECK(json_is_null(json_object_get(r, "result")));
    json_decref(r);
    static const char *const bad[] = {
        "[-1]", "[\"0xzz\"]", "[\"0x\"]", "[true]", "[]", "[1,2]", "[\"0x11111111111111111\"]"
    };
    for (size_t i = 0; i < RN_ARRAY_LEN(bad); i++) {
        r = call(&f, RPC_NS_ROLLUP_NODE, "rollupNode_getL1MessageByKey", bad[i]);
        CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(r, "error"), "code")),
                     -32602);
        json_decref(r);
    }
    /* The namespace switch applies. */
    r = call(&f, RPC_NS_ETH, "rollupNode_getL1MessageByIndex", "[0]");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(r, "error"), "code")), -32601);
    json_decref(r);
    /* rollupNode_status shows the L1 view. */
    r = call(&f, RPC_NS_ROLLUP_NODE, "rollupNode_status", "[]");
    json_t *l1 = json_object_get(json_object_get(r, "result"), "l1");
    CHECK_STR_EQ(field(l1, "status"), "synced");
    CHECK_STR_EQ(field(l1, "latest"), "0x78");
    CHECK_STR_EQ(field(l1, "finalized"), "0x6e");
    json_decref(r);
    teardown(&f);
}
