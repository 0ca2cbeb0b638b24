/* eth block, transaction, receipt and log methods over a real LMDB datadir with hand-built
 * blocks (signed legacy and 1559 transactions, an L1 message, a creation, receipts with logs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "devchain.h"
#include "harness.h"
#include "primitives/primitives.h"
#include "rpc/rpc.h"

static const char *KEY0 = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
static const char *ADDR0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
/* CREATE address of ADDR0 at nonce 1: keccak(rlp([ADDR0, 1]))[12:]. */
static const char *CREATED = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512";

typedef struct fixture {
    devchain_t dc;
    rpc_ctx_t ctx;
    rpc_registry_t *reg;
    hash_t h1, h2; /**< block hashes */
    hash_t tx1[3]; /**< block 1: L1 message, legacy transfer, 1559 creation */
    hash_t tx2;    /**< block 2: 1559 call */
    addr_t a, b, l1sender;
    hash_t t1, t2, t3; /**< topics */
    size_t size1;      /**< RLP size of block 1 */
} fixture_t;

static void fill(void *p, uint8_t v, size_t n)
{
    memset(p, v, n);
}

static void secret(uint8_t sk[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(KEY0 + 2 * i, "%2x", &v) != 1)
            v = 0;
        sk[i] = (uint8_t)v;
    }
}

/* An unsigned transaction of any signed type from KEY0 (creation when to is NULL). */
static void base_tx(tx_t *tx, tx_type_t type, uint64_t chain_id, uint64_t nonce, const addr_t *to)
{
    memset(tx, 0, sizeof(*tx));
    tx->type = type;
    tx->has_chain_id = true;
    tx->chain_id = u256_from_u64(chain_id);
    tx->nonce = nonce;
    tx->gas_price = u256_from_u64(2000000000);
    tx->max_fee = u256_from_u64(100000000);
    tx->max_priority_fee = u256_from_u64(1000);
    tx->gas_limit = 100000;
    tx->has_to = to != NULL;
    if (to)
        tx->to = *to;
    tx->value = u256_from_u64(1 + nonce);
    if (!to) {
        tx->data = rn_malloc(2);
        tx->data[0] = 0x60;
        tx->data[1] = 0x00;
        tx->data_len = 2;
    }
}

static err_t signed_tx(tx_t *tx, tx_type_t type, uint64_t chain_id, uint64_t nonce,
                       const addr_t *to)
{
    base_tx(tx, type, chain_id, nonce, to);
    uint8_t sk[32];
    secret(sk);
    return tx_sign(tx, sk);
}

static log_t make_log(const addr_t *a, const hash_t *t0, const hash_t *t1)
{
    log_t l;
    memset(&l, 0, sizeof(l));
    l.addr = *a;
    if (t0)
        l.topics[l.ntopics++] = *t0;
    if (t1)
        l.topics[l.ntopics++] = *t1;
    l.data = rn_malloc(1);
    l.data[0] = 0xab;
    l.data_len = 1;
    return l;
}

/* Receipt i: type, cumulative gas, logs (taken). */
static void set_receipt(chain_receipts_t *rs, size_t i, tx_type_t type, uint64_t cumulative,
                        uint64_t l1fee, log_t *logs, size_t nlogs)
{
    receipt_t *r = &rs->r[i];
    r->type = type;
    r->status = true;
    r->cumulative_gas = cumulative;
    if (nlogs) {
        r->logs = RN_NEWV(log_t, nlogs);
        memcpy(r->logs, logs, nlogs * sizeof(log_t));
        r->nlogs = nlogs;
    }
    for (size_t k = 0; k < nlogs; k++)
        bloom_add_log(r->bloom, &logs[k]);
    rs->l1_fee[i] = u256_from_u64(l1fee);
}

/* Store block `number` on top of parent with these transactions (taken) and receipts. */
static err_t store(db_t *db, const header_t *parent, const hash_t *parent_hash, tx_t *txs,
                   size_t ntxs, chain_receipts_t *rs, block_t *blk, hash_t *hash)
{
    memset(blk, 0, sizeof(*blk));
    header_t *h = &blk->header;
    h->parent_hash = *parent_hash;
    h->ommers_hash = KECCAK_EMPTY_LIST;
    h->coinbase = parent->coinbase;
    h->state_root = parent->state_root;
    h->tx_root = KECCAK_EMPTY_TRIE;
    h->receipts_root = KECCAK_EMPTY_TRIE;
    h->number = parent->number + 1;
    h->gas_limit = parent->gas_limit;
    h->gas_used = rs->n ? rs->r[rs->n - 1].cumulative_gas : 0;
    h->timestamp = parent->timestamp + 1;
    h->difficulty = u256_from_u64(1);
    h->has_base_fee = true;
    h->base_fee = u256_from_u64(15680000);
    for (size_t i = 0; i < rs->n; i++) {
        for (size_t k = 0; k < 256; k++)
            h->bloom[k] |= rs->r[i].bloom[k];
    }
    blk->txs = txs;
    blk->ntxs = ntxs;
    TRY(header_hash(h, hash));
    db_txn_t *w;
    TRY(db_txn_begin(db, DB_TXN_WRITE, &w));
    err_t e = chain_store_block(w, blk, hash, rs, NULL);
    if (e) {
        db_txn_abort(w);
        return e;
    }
    return db_txn_commit(w);
}

static size_t encoded_size(const block_t *b)
{
    buf_t enc;
    buf_init(&enc, 1u << 20);
    size_t n = block_encode(b, &enc) == ERR_OK ? enc.n : 0;
    buf_deinit(&enc);
    return n;
}

static bool setup(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    if (!devchain_open(&f->dc, "rn_rpcblk", 1ull << 30, NULL))
        return false;
    header_t gh;
    hash_t ghash;
    if (chain_genesis_header(f->dc.spec, &gh, &ghash) != ERR_OK)
        return false;
    uint64_t cid = f->dc.spec->chain_id;

    fill(f->a.b, 0xaa, 20);
    fill(f->b.b, 0xbb, 20);
    fill(f->l1sender.b, 0x77, 20);
    fill(f->t1.b, 0x01, 32);
    fill(f->t2.b, 0x02, 32);
    fill(f->t3.b, 0x03, 32);
    addr_t y;
    fill(y.b, 0x99, 20);

    /* Block 1: an L1 message (30 000 gas, one log), a legacy transfer (21 000), a 1559
     * creation (60 000, two logs). */
    tx_t *txs = RN_NEWV(tx_t, 3);
    txs[0].type = TX_L1_MESSAGE;
    txs[0].queue_index = 7;
    txs[0].gas_limit = 100000;
    txs[0].has_to = true;
    txs[0].to = f->a;
    txs[0].sender = f->l1sender;
    bool ok = signed_tx(&txs[1], TX_LEGACY, cid, 0, &y) == ERR_OK &&
              signed_tx(&txs[2], TX_DYNAMIC_FEE, cid, 1, NULL) == ERR_OK;
    for (size_t i = 0; i < 3 && ok; i++)
        ok = tx_hash(&txs[i], &f->tx1[i]) == ERR_OK;
    chain_receipts_t rs = { .r = RN_NEWV(receipt_t, 3), .l1_fee = RN_NEWV(u256_t, 3), .n = 3 };
    log_t l0[1] = { make_log(&f->a, &f->t1, NULL) };
    log_t l2[2] = { make_log(&f->b, &f->t1, &f->t2), make_log(&f->a, &f->t2, NULL) };
    set_receipt(&rs, 0, TX_L1_MESSAGE, 30000, 0, l0, 1);
    set_receipt(&rs, 1, TX_LEGACY, 51000, 12345, NULL, 0);
    set_receipt(&rs, 2, TX_DYNAMIC_FEE, 111000, 67890, l2, 2);
    block_t b1;
    ok = ok && store(f->dc.db, &gh, &ghash, txs, 3, &rs, &b1, &f->h1) == ERR_OK;
    f->size1 = encoded_size(&b1);
    chain_receipts_free(&rs);

    /* Block 2: a 1559 call with one log (A, [T1, T3]). */
    tx_t *txs2 = RN_NEWV(tx_t, 1);
    ok = ok && signed_tx(&txs2[0], TX_DYNAMIC_FEE, cid, 2, &y) == ERR_OK &&
         tx_hash(&txs2[0], &f->tx2) == ERR_OK;
    /* Block 2 is stored with its senders (as the builder stores them); block 1 without (as a
     * datadir from before schema 4): the RPC recovers those. */
    chain_receipts_t rs2 = {
        .r = RN_NEWV(receipt_t, 1), .l1_fee = RN_NEWV(u256_t, 1), .from = RN_NEWV(addr_t, 1), .n = 1
    };
    ok = ok && tx_recover_sender(&txs2[0], &rs2.from[0]) == ERR_OK;
    log_t l3[1] = { make_log(&f->a, &f->t1, &f->t3) };
    set_receipt(&rs2, 0, TX_DYNAMIC_FEE, 25000, 5, l3, 1);
    block_t b2;
    ok = ok && store(f->dc.db, &b1.header, &f->h1, txs2, 1, &rs2, &b2, &f->h2) == ERR_OK;
    chain_receipts_free(&rs2);
    block_deinit(&b1);
    block_deinit(&b2);
    header_deinit(&gh);

    f->ctx.db = f->dc.db;
    f->ctx.chain_id = cid;
    f->ctx.ns_enabled = RPC_NS_ETH;
    f->reg = rpc_registry_new(&f->ctx);
    rpc_register_all(f->reg);
    return ok;
}

static void teardown(fixture_t *f)
{
    rpc_registry_free(f->reg);
    devchain_close(&f->dc);
}

/* Call a method; returns the parsed response (caller decrefs). */
static json_t *call(fixture_t *f, const char *method, const char *params)
{
    char body[4096];
    snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}",
             method, params);
    buf_t out;
    buf_init(&out, 64u << 20);
    rpc_handle_body(f->reg, RPC_NS_ETH, body, strlen(body), &out);
    json_t *j = json_loadb((const char *)out.p, out.n, 0, NULL);
    buf_deinit(&out);
    return j;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *hex32(const hash_t *h)
{
    static char s[4][67];
    static int k;
    char *p = s[k++ % 4];
    hex_encode_0x(p, h->b, 32);
    return p;
}

static int error_code(const json_t *resp)
{
    return (int)json_integer_value(json_object_get(json_object_get(resp, "error"), "code"));
}

static bool result_is_null(const json_t *resp)
{
    const json_t *r = json_object_get(resp, "result");
    return r && json_is_null(r);
}

TEST(eth_blocks, block_by_number_hashes_and_tags)
{
    fixture_t f;
    CHECK(setup(&f));
    json_t *r = call(&f, "eth_getBlockByNumber", "[\"0x1\", false]");
    const json_t *b = json_object_get(r, "result");
    CHECK_STR_EQ(str(b, "hash"), hex32(&f.h1));
    CHECK_STR_EQ(str(b, "number"), "0x1");
    CHECK_STR_EQ(str(b, "baseFeePerGas"), "0xef4200");
    CHECK_STR_EQ(str(b, "gasUsed"), "0x1b198");
    CHECK_STR_EQ(str(b, "nonce"), "0x0000000000000000");
    CHECK_STR_EQ(str(b, "sha3Uncles"), hex32(&KECCAK_EMPTY_LIST));
    CHECK(json_object_get(b, "mixHash") && json_object_get(b, "logsBloom"));
    CHECK(json_object_get(b, "totalDifficulty") == NULL);
    char size[24];
    snprintf(size, sizeof(size), "0x%zx", f.size1);
    CHECK_STR_EQ(str(b, "size"), size);
    const json_t *txs = json_object_get(b, "transactions");
    CHECK_EQ_U64(json_array_size(txs), 3);
    for (size_t i = 0; i < 3; i++)
        CHECK_STR_EQ(json_string_value(json_array_get(txs, i)), hex32(&f.tx1[i]));
    CHECK_EQ_U64(json_array_size(json_object_get(b, "uncles")), 0);
    json_decref(r);

    static const char *const head_tags[] = { "latest", "pending", "safe", "finalized" };
    for (size_t i = 0; i < 4; i++) {
        char p[64];
        snprintf(p, sizeof(p), "[\"%s\"]", head_tags[i]);
        r = call(&f, "eth_getBlockByNumber", p);
        CHECK_STR_EQ(str(json_object_get(r, "result"), "hash"), hex32(&f.h2));
        json_decref(r);
    }
    r = call(&f, "eth_getBlockByNumber", "[\"earliest\", false]");
    CHECK_STR_EQ(str(json_object_get(r, "result"), "number"), "0x0");
    json_decref(r);
    char p[160];
    snprintf(p, sizeof(p), "[{\"blockHash\":\"%s\"}, false]", hex32(&f.h1));
    r = call(&f, "eth_getBlockByNumber", p);
    CHECK_STR_EQ(str(json_object_get(r, "result"), "number"), "0x1");
    json_decref(r);
    r = call(&f, "eth_getBlockByNumber", "[{\"blockNumber\":\"0x2\"}, false]");
    CHECK_STR_EQ(str(json_object_get(r, "result"), "hash"), hex32(&f.h2));
    json_decref(r);
    teardown(&f);
}

TEST(eth_blocks, full_transaction_objects)
{
    fixture_t f;
    CHECK(setup(&f));
    char p[160];
    snprintf(p, sizeof(p), "[\"%s\", true]", hex32(&f.h1));
    json_t *r = call(&f, "eth_getBlockByHash", p);
    const json_t *txs = json_object_get(json_object_get(r, "result"), "transactions");
    CHECK_EQ_U64(json_array_size(txs), 3);

    const json_t *l1 = json_array_get(txs, 0);
    CHECK_STR_EQ(str(l1, "type"), "0x7e");
    CHECK_STR_EQ(str(l1, "hash"), hex32(&f.tx1[0]));
    CHECK_STR_EQ(str(l1, "from"), "0x7777777777777777777777777777777777777777");
    CHECK_STR_EQ(str(l1, "sender"), "0x7777777777777777777777777777777777777777");
    CHECK_STR_EQ(str(l1, "queueIndex"), "0x7");
    CHECK_STR_EQ(str(l1, "nonce"), "0x0");
    CHECK_STR_EQ(str(l1, "gasPrice"), "0x0");
    CHECK_STR_EQ(str(l1, "gas"), "0x186a0");
    CHECK_STR_EQ(str(l1, "blockHash"), hex32(&f.h1));
    CHECK(json_object_get(l1, "chainId") == NULL);

    const json_t *leg = json_array_get(txs, 1);
    CHECK_STR_EQ(str(leg, "type"), "0x0");
    CHECK_STR_EQ(str(leg, "from"), ADDR0);
    CHECK_STR_EQ(str(leg, "gasPrice"), "0x77359400");
    CHECK_STR_EQ(str(leg, "transactionIndex"), "0x1");
    CHECK_STR_EQ(str(leg, "to"), "0x9999999999999999999999999999999999999999");
    char cid[24];
    snprintf(cid, sizeof(cid), "0x%llx", (unsigned long long)f.dc.spec->chain_id);
    CHECK_STR_EQ(str(leg, "chainId"), cid);
    uint64_t v = strtoull(str(leg, "v"), NULL, 16);
    CHECK(v == f.dc.spec->chain_id * 2 + 35 || v == f.dc.spec->chain_id * 2 + 36);
    CHECK(json_object_get(leg, "yParity") == NULL);
    CHECK(json_object_get(leg, "maxFeePerGas") == NULL);

    const json_t *cr = json_array_get(txs, 2);
    CHECK_STR_EQ(str(cr, "type"), "0x2");
    CHECK(json_is_null(json_object_get(cr, "to")));
    /* min(maxFee 100 000 000, baseFee 15 680 000 + tip 1 000) */
    CHECK_STR_EQ(str(cr, "gasPrice"), "0xef45e8");
    CHECK_STR_EQ(str(cr, "maxFeePerGas"), "0x5f5e100");
    CHECK_STR_EQ(str(cr, "maxPriorityFeePerGas"), "0x3e8");
    CHECK_STR_EQ(str(cr, "input"), "0x6000");
    CHECK_STR_EQ(str(cr, "nonce"), "0x1");
    CHECK_STR_EQ(str(cr, "v"), str(cr, "yParity"));
    CHECK(json_is_array(json_object_get(cr, "accessList")));
    json_decref(r);

    r = call(&f, "eth_getTransactionByHash",
             (snprintf(p, sizeof(p), "[\"%s\"]", hex32(&f.tx2)), p));
    const json_t *t = json_object_get(r, "result");
    CHECK_STR_EQ(str(t, "hash"), hex32(&f.tx2));
    CHECK_STR_EQ(str(t, "blockNumber"), "0x2");
    CHECK_STR_EQ(str(t, "blockHash"), hex32(&f.h2));
    CHECK_STR_EQ(str(t, "from"), ADDR0);
    json_decref(r);

    r = call(&f, "eth_getTransactionByBlockNumberAndIndex", "[\"0x1\", \"0x2\"]");
    CHECK_STR_EQ(str(json_object_get(r, "result"), "hash"), hex32(&f.tx1[2]));
    json_decref(r);
    snprintf(p, sizeof(p), "[\"%s\", \"0x0\"]", hex32(&f.h1));
    r = call(&f, "eth_getTransactionByBlockHashAndIndex", p);
    CHECK_STR_EQ(str(json_object_get(r, "result"), "hash"), hex32(&f.tx1[0]));
    json_decref(r);
    r = call(&f, "eth_getTransactionByBlockNumberAndIndex", "[\"0x1\", \"0x3\"]");
    CHECK(result_is_null(r));
    json_decref(r);
    teardown(&f);
}

TEST(eth_blocks, counts)
{
    fixture_t f;
    CHECK(setup(&f));
    json_t *r = call(&f, "eth_getBlockTransactionCountByNumber", "[\"0x1\"]");
    CHECK_STR_EQ(str(r, "result"), "0x3");
    json_decref(r);
    char p[160];
    snprintf(p, sizeof(p), "[\"%s\"]", hex32(&f.h2));
    r = call(&f, "eth_getBlockTransactionCountByHash", p);
    CHECK_STR_EQ(str(r, "result"), "0x1");
    json_decref(r);
    r = call(&f, "eth_getUncleCountByBlockHash", p);
    CHECK_STR_EQ(str(r, "result"), "0x0");
    json_decref(r);
    r = call(&f, "eth_getUncleCountByBlockNumber", "[\"latest\"]");
    CHECK_STR_EQ(str(r, "result"), "0x0");
    json_decref(r);
    r = call(&f, "eth_getUncleCountByBlockNumber", "[\"0x7\"]");
    CHECK(result_is_null(r));
    json_decref(r);
    teardown(&f);
}

TEST(eth_blocks, receipts_gas_used_log_index_and_contract_address)
{
    fixture_t f;
    CHECK(setup(&f));
    char p[160];
    snprintf(p, sizeof(p), "[\"%s\"]", hex32(&f.tx1[2]));
    json_t *r = call(&f, "eth_getTransactionReceipt", p);
    const json_t *rc = json_object_get(r, "result");
    CHECK_STR_EQ(str(rc, "transactionHash"), hex32(&f.tx1[2]));
    CHECK_STR_EQ(str(rc, "blockHash"), hex32(&f.h1));
    CHECK_STR_EQ(str(rc, "transactionIndex"), "0x2");
    CHECK_STR_EQ(str(rc, "from"), ADDR0);
    CHECK(json_is_null(json_object_get(rc, "to")));
    CHECK_STR_EQ(str(rc, "contractAddress"), CREATED);
    CHECK_STR_EQ(str(rc, "cumulativeGasUsed"), "0x1b198"); /* 111 000 */
    CHECK_STR_EQ(str(rc, "gasUsed"), "0xea60");            /* 111 000 − 51 000 */
    CHECK_STR_EQ(str(rc, "effectiveGasPrice"), "0xef45e8");
    CHECK_STR_EQ(str(rc, "status"), "0x1");
    CHECK_STR_EQ(str(rc, "type"), "0x2");
    CHECK_STR_EQ(str(rc, "l1Fee"), "0x10932"); /* 67 890 */
    const json_t *logs = json_object_get(rc, "logs");
    CHECK_EQ_U64(json_array_size(logs), 2);
    /* The L1 message's log is index 0 of the block. */
    CHECK_STR_EQ(str(json_array_get(logs, 0), "logIndex"), "0x1");
    CHECK_STR_EQ(str(json_array_get(logs, 1), "logIndex"), "0x2");
    CHECK_STR_EQ(str(json_array_get(logs, 1), "transactionHash"), hex32(&f.tx1[2]));
    CHECK_STR_EQ(str(json_array_get(logs, 1), "address"),
                 "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    CHECK_STR_EQ(str(json_array_get(logs, 0), "data"), "0xab");
    CHECK(json_is_false(json_object_get(json_array_get(logs, 0), "removed")));
    json_decref(r);

    snprintf(p, sizeof(p), "[\"%s\"]", hex32(&f.tx1[0]));
    r = call(&f, "eth_getTransactionReceipt", p);
    rc = json_object_get(r, "result");
    CHECK_STR_EQ(str(rc, "type"), "0x7e");
    CHECK_STR_EQ(str(rc, "from"), "0x7777777777777777777777777777777777777777");
    CHECK_STR_EQ(str(rc, "gasUsed"), "0x7530");
    CHECK_STR_EQ(str(rc, "effectiveGasPrice"), "0x0");
    CHECK_STR_EQ(str(rc, "l1Fee"), "0x0");
    CHECK(json_is_null(json_object_get(rc, "contractAddress")));
    json_decref(r);

    r = call(&f, "eth_getBlockReceipts", "[\"0x1\"]");
    const json_t *all = json_object_get(r, "result");
    CHECK_EQ_U64(json_array_size(all), 3);
    CHECK_STR_EQ(str(json_array_get(all, 1), "gasUsed"), "0x5208");
    CHECK_STR_EQ(str(json_array_get(all, 1), "effectiveGasPrice"), "0x77359400");
    CHECK_STR_EQ(str(json_array_get(all, 1), "l1Fee"), "0x3039");
    CHECK(json_is_null(json_object_get(json_array_get(all, 1), "contractAddress")));
    json_decref(r);

    snprintf(p, sizeof(p), "[{\"blockHash\":\"%s\",\"requireCanonical\":true}]", hex32(&f.h2));
    r = call(&f, "eth_getBlockReceipts", p);
    all = json_object_get(r, "result");
    CHECK_EQ_U64(json_array_size(all), 1);
    CHECK_STR_EQ(str(json_array_get(all, 0), "gasUsed"), "0x61a8");
    CHECK_STR_EQ(
        str(json_array_get(json_object_get(json_array_get(all, 0), "logs"), 0), "logIndex"), "0x0");
    json_decref(r);
    teardown(&f);
}

/* A lookup by hash decodes only its transaction and receipt (chain_read_tx_at,
 * chain_read_receipt_at): every transaction's answers equal its entry in the whole block's. */
TEST(eth_blocks, lookups_by_hash_equal_the_block_entries)
{
    fixture_t f;
    CHECK(setup(&f));
    const hash_t *blocks[2] = { &f.h1, &f.h2 };
    const hash_t *txs[2][3] = { { &f.tx1[0], &f.tx1[1], &f.tx1[2] }, { &f.tx2 } };
    const size_t ntx[2] = { 3, 1 };
    char p[200];
    for (int b = 0; b < 2; b++) {
        snprintf(p, sizeof(p), "[\"%s\", true]", hex32(blocks[b]));
        json_t *blk = call(&f, "eth_getBlockByHash", p);
        snprintf(p, sizeof(p), "[\"%s\"]", hex32(blocks[b]));
        json_t *rcs = call(&f, "eth_getBlockReceipts", p);
        const json_t *all_tx = json_object_get(json_object_get(blk, "result"), "transactions");
        const json_t *all_rc = json_object_get(rcs, "result");
        CHECK_EQ_U64(json_array_size(all_tx), ntx[b]);
        CHECK_EQ_U64(json_array_size(all_rc), ntx[b]);
        for (size_t i = 0; i < ntx[b]; i++) {
            snprintf(p, sizeof(p), "[\"%s\"]", hex32(txs[b][i]));
            json_t *tx = call(&f, "eth_getTransactionByHash", p);
            json_t *rc = call(&f, "eth_getTransactionReceipt", p);
            CHECK(json_equal(json_object_get(tx, "result"), json_array_get(all_tx, i)));
            CHECK(json_equal(json_object_get(rc, "result"), json_array_get(all_rc, i)));
            json_decref(tx);
            json_decref(rc);
        }
        json_decref(blk);
        json_decref(rcs);
    }
    /* Block 2's sender is read from SENDERS. */
    snprintf(p, sizeof(p), "[\"%s\"]", hex32(&f.tx2));
    json_t *tx = call(&f, "eth_getTransactionByHash", p);
    CHECK_STR_EQ(str(json_object_get(tx, "result"), "from"), ADDR0);
    json_decref(tx);
    teardown(&f);
}

static size_t count_logs(fixture_t *f, const char *filter)
{
    char p[1024];
    snprintf(p, sizeof(p), "[%s]", filter);
    json_t *r = call(f, "eth_getLogs", p);
    const json_t *res = json_object_get(r, "result");
    size_t n = json_is_array(res) ? json_array_size(res) : 9999;
    json_decref(r);
    return n;
}

TEST(eth_blocks, get_logs_filters)
{
    fixture_t f;
    CHECK(setup(&f));
    const char *A = "\"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"";
    const char *B = "\"0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"";
    char T1[80], T2[80], T3[80], q[800];
    snprintf(T1, sizeof(T1), "\"%s\"", hex32(&f.t1));
    snprintf(T2, sizeof(T2), "\"%s\"", hex32(&f.t2));
    snprintf(T3, sizeof(T3), "\"%s\"", hex32(&f.t3));

    CHECK_EQ_U64(count_logs(&f, "{\"fromBlock\":\"earliest\",\"toBlock\":\"latest\"}"), 4);
    CHECK_EQ_U64(count_logs(&f, "{}"), 1); /* latest only */
    CHECK_EQ_U64(count_logs(&f, "{\"fromBlock\":\"0x1\",\"toBlock\":\"0x1\"}"), 3);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"address\":%s}", A);
    CHECK_EQ_U64(count_logs(&f, q), 3);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"address\":[%s]}", B);
    CHECK_EQ_U64(count_logs(&f, q), 1);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"address\":[%s,%s]}", A, B);
    CHECK_EQ_U64(count_logs(&f, q), 4);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"topics\":[%s]}", T1);
    CHECK_EQ_U64(count_logs(&f, q), 3);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"topics\":[null,%s]}", T2);
    CHECK_EQ_U64(count_logs(&f, q), 1);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"topics\":[[%s,%s]]}", T2, T3);
    CHECK_EQ_U64(count_logs(&f, q), 1);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"topics\":[%s,[%s,%s]]}", T1, T2, T3);
    CHECK_EQ_U64(count_logs(&f, q), 2);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"topics\":[[%s,null]]}", T3);
    CHECK_EQ_U64(count_logs(&f, q), 4);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"address\":%s,\"topics\":[%s]}", A, T2);
    CHECK_EQ_U64(count_logs(&f, q), 1);
    snprintf(q, sizeof(q), "{\"fromBlock\":\"0x0\",\"address\":%s,\"topics\":[%s]}", B, T3);
    CHECK_EQ_U64(count_logs(&f, q), 0);

    snprintf(q, sizeof(q), "[{\"blockHash\":\"%s\"}]", hex32(&f.h2));
    json_t *r = call(&f, "eth_getLogs", q);
    const json_t *l = json_array_get(json_object_get(r, "result"), 0);
    CHECK_STR_EQ(str(l, "blockNumber"), "0x2");
    CHECK_STR_EQ(str(l, "logIndex"), "0x0");
    CHECK_STR_EQ(str(l, "transactionHash"), hex32(&f.tx2));
    CHECK_STR_EQ(str(l, "transactionIndex"), "0x0");
    CHECK_EQ_U64(json_array_size(json_object_get(l, "topics")), 2);
    json_decref(r);

    /* Log indexes count from the block's first log. */
    snprintf(q, sizeof(q), "[{\"fromBlock\":\"0x1\",\"toBlock\":\"0x1\",\"address\":%s}]", A);
    r = call(&f, "eth_getLogs", q);
    CHECK_STR_EQ(str(json_array_get(json_object_get(r, "result"), 0), "logIndex"), "0x0");
    CHECK_STR_EQ(str(json_array_get(json_object_get(r, "result"), 1), "logIndex"), "0x2");
    json_decref(r);

    /* eth_getLogs writes its answer as text; it must equal the logs of the receipts (built
     * with jansson) field for field, for every log of every block. */
    r = call(&f, "eth_getLogs", "[{\"fromBlock\":\"earliest\",\"toBlock\":\"latest\"}]");
    const json_t *all = json_object_get(r, "result");
    CHECK_EQ_U64(json_array_size(all), 4);
    for (size_t i = 0; i < json_array_size(all); i++) {
        const json_t *lg = json_array_get(all, i);
        char rq[120];
        snprintf(rq, sizeof(rq), "[\"%s\"]", str(lg, "transactionHash"));
        json_t *rc = call(&f, "eth_getTransactionReceipt", rq);
        const json_t *logs = json_object_get(json_object_get(rc, "result"), "logs");
        bool found = false;
        for (size_t k = 0; k < json_array_size(logs); k++)
            found = found || json_equal(json_array_get(logs, k), lg);
        CHECK(found);
        json_decref(rc);
    }
    json_decref(r);

    /* Unknown block hash: geth's "unknown block". */
    r = call(&f, "eth_getLogs",
             "[{\"blockHash\":\"0x1111111111111111111111111111111111111111111111111111111111111111"
             "\"}]");
    CHECK_EQ_INT(error_code(r), -32000);
    json_decref(r);
    teardown(&f);
}

TEST(eth_blocks, unknown_is_null)
{
    fixture_t f;
    CHECK(setup(&f));
    const char *zero = "\"0x0000000000000000000000000000000000000000000000000000000000000000\"";
    char p[160];
    static const char *const by_hash[] = { "eth_getBlockByHash", "eth_getTransactionByHash",
                                           "eth_getTransactionReceipt",
                                           "eth_getBlockTransactionCountByHash" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "[%s]", zero);
        json_t *r = call(&f, by_hash[i], p);
        CHECK(result_is_null(r));
        json_decref(r);
    }
    json_t *r = call(&f, "eth_getBlockByNumber", "[\"0x3\", true]");
    CHECK(result_is_null(r));
    json_decref(r);
    r = call(&f, "eth_getBlockReceipts", "[\"0x99\"]");
    CHECK(result_is_null(r));
    json_decref(r);
    snprintf(p, sizeof(p), "[{\"blockHash\":%s}]", zero);
    r = call(&f, "eth_getBlockReceipts", p);
    CHECK(result_is_null(r));
    json_decref(r);
    teardown(&f);
}

TEST(eth_blocks, bad_params_are_invalid_params)
{
    fixture_t f;
    CHECK(setup(&f));
    static const char *const cases[][2] = {
        { "eth_getBlockByNumber", "[\"foo\", false]" },
        { "eth_getBlockByNumber", "[\"0x1\", \"yes\"]" },
        { "eth_getBlockByNumber", "[]" },
        { "eth_getBlockByNumber", "[{\"blockHash\":\"0x12\"}]" },
        { "eth_getBlockByNumber", "[{}]" },
        { "eth_getBlockByHash", "[\"0x12\", false]" },
        { "eth_getBlockByHash", "[\"latest\"]" },
        { "eth_getTransactionByHash", "[7]" },
        { "eth_getTransactionReceipt", "[]" },
        { "eth_getTransactionByBlockNumberAndIndex", "[\"0x1\", \"one\"]" },
        { "eth_getBlockReceipts", "[true]" },
        { "eth_getBlockReceipts", /* 66 characters, so a block hash, but not hex */
          "[\"0xzz00000000000000000000000000000000000000000000000000000000000000\"]" },
        { "eth_getLogs", "[\"0x1\"]" },
        { "eth_getLogs", "[{\"fromBlock\":\"bad\"}]" },
        { "eth_getLogs", "[{\"address\":\"0x1234\"}]" },
        { "eth_getLogs", "[{\"topics\":[null,null,null,null,null]}]" },
        { "eth_getLogs", "[{\"topics\":[\"0x12\"]}]" },
        { "eth_getLogs", "[{\"fromBlock\":\"0x2\",\"toBlock\":\"0x1\"}]" },
        { "eth_getLogs",
          "[{\"fromBlock\":\"0x1\",\"blockHash\":"
          "\"0x1111111111111111111111111111111111111111111111111111111111111111\"}]" },
    };
    for (size_t i = 0; i < RN_ARRAY_LEN(cases); i++) {
        json_t *r = call(&f, cases[i][0], cases[i][1]);
        if (error_code(r) != -32602)
            harness_fail(__FILE__, __LINE__, "%s %s: expected -32602", cases[i][0], cases[i][1]);
        json_decref(r);
    }
    teardown(&f);
}

TEST(eth_blocks, get_logs_block_range_limit)
{
    fixture_t f;
    CHECK(setup(&f));
    /* 10 000 more empty blocks: head 10 002. */
    db_txn_t *w;
    CHECK_OK(db_txn_begin(f.dc.db, DB_TXN_WRITE, &w));
    header_t parent;
    CHECK_OK(chain_read_header(w, &f.h2, &parent));
    hash_t ph = f.h2;
    chain_receipts_t none = { 0 };
    err_t e = ERR_OK;
    for (int i = 0; i < 10000 && !e; i++) {
        block_t b;
        memset(&b, 0, sizeof(b));
        b.header = parent;
        b.header.extra = NULL;
        b.header.extra_len = 0;
        b.header.parent_hash = ph;
        b.header.number = parent.number + 1;
        b.header.gas_used = 0;
        memset(b.header.bloom, 0, 256);
        hash_t h;
        e = header_hash(&b.header, &h);
        if (!e)
            e = chain_store_block(w, &b, &h, &none, NULL);
        parent.number++;
        ph = h;
    }
    header_deinit(&parent);
    CHECK_OK(e);
    CHECK_OK(db_txn_commit(w));
    json_t *r = call(&f, "eth_getLogs", "[{\"fromBlock\":\"0x0\",\"toBlock\":\"latest\"}]");
    CHECK_EQ_INT(error_code(r), -32005);
    CHECK(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
                 "max block range"));
    json_decref(r);
    /* Exactly 10 000 blocks is allowed: 0x1..0x2710. */
    CHECK_EQ_U64(count_logs(&f, "{\"fromBlock\":\"0x1\",\"toBlock\":\"0x2710\"}"), 4);
    /* A range past the head is clamped to it. */
    CHECK_EQ_U64(count_logs(&f, "{\"fromBlock\":\"0x2700\",\"toBlock\":\"0xffffffff\"}"), 0);
    teardown(&f);
}

TEST(eth_blocks, access_list_and_authorization_fields)
{
    fixture_t f;
    CHECK(setup(&f));
    uint64_t cid = f.dc.spec->chain_id;
    addr_t y;
    fill(y.b, 0x99, 20);
    tx_t *txs = RN_NEWV(tx_t, 2);
    uint8_t sk[32];
    secret(sk);
    /* A 2930 transaction with one access tuple, a 7702 one with one authorization. */
    base_tx(&txs[0], TX_ACCESS_LIST, cid, 3, &y);
    txs[0].access_list = RN_NEWV(access_tuple_t, 1);
    txs[0].naccess = 1;
    txs[0].access_list[0].addr = f.b;
    txs[0].access_list[0].keys = RN_NEWV(hash_t, 1);
    txs[0].access_list[0].nkeys = 1;
    txs[0].access_list[0].keys[0] = f.t3;
    CHECK_OK(tx_sign(&txs[0], sk));
    base_tx(&txs[1], TX_SET_CODE, cid, 4, &y);
    txs[1].auths = RN_NEWV(authorization_t, 1);
    txs[1].nauths = 1;
    txs[1].auths[0].chain_id = u256_from_u64(cid);
    txs[1].auths[0].addr = f.a;
    txs[1].auths[0].nonce = 9;
    CHECK_OK(authorization_sign(&txs[1].auths[0], sk));
    CHECK_OK(tx_sign(&txs[1], sk));
    hash_t th[2];
    CHECK_OK(tx_hash(&txs[0], &th[0]));
    CHECK_OK(tx_hash(&txs[1], &th[1]));

    db_txn_t *rt;
    CHECK_OK(db_txn_begin(f.dc.db, DB_TXN_READ, &rt));
    header_t parent;
    CHECK_OK(chain_read_header(rt, &f.h2, &parent));
    db_txn_abort(rt);
    chain_receipts_t rs = { .r = RN_NEWV(receipt_t, 2), .l1_fee = RN_NEWV(u256_t, 2), .n = 2 };
    set_receipt(&rs, 0, TX_ACCESS_LIST, 30000, 1, NULL, 0);
    set_receipt(&rs, 1, TX_SET_CODE, 80000, 2, NULL, 0);
    block_t b3;
    hash_t h3;
    CHECK_OK(store(f.dc.db, &parent, &f.h2, txs, 2, &rs, &b3, &h3));
    chain_receipts_free(&rs);
    block_deinit(&b3);
    header_deinit(&parent);

    json_t *r = call(&f, "eth_getBlockByNumber", "[\"latest\", true]");
    const json_t *list = json_object_get(json_object_get(r, "result"), "transactions");
    const json_t *t0 = json_array_get(list, 0), *t1 = json_array_get(list, 1);
    CHECK_STR_EQ(str(t0, "hash"), hex32(&th[0]));
    CHECK_STR_EQ(str(t0, "type"), "0x1");
    CHECK_STR_EQ(str(t0, "gasPrice"), "0x77359400");
    CHECK_STR_EQ(str(t0, "from"), ADDR0);
    const json_t *tuple = json_array_get(json_object_get(t0, "accessList"), 0);
    CHECK_STR_EQ(str(tuple, "address"), "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(tuple, "storageKeys"), 0)),
                 hex32(&f.t3));
    CHECK(json_object_get(t0, "maxFeePerGas") == NULL);
    CHECK_STR_EQ(str(t1, "type"), "0x4");
    CHECK_STR_EQ(str(t1, "from"), ADDR0);
    const json_t *auth = json_array_get(json_object_get(t1, "authorizationList"), 0);
    CHECK_STR_EQ(str(auth, "address"), "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    CHECK_STR_EQ(str(auth, "nonce"), "0x9");
    CHECK(str(auth, "yParity") && str(auth, "r") && str(auth, "s") && str(auth, "chainId"));
    json_decref(r);

    char p[160];
    snprintf(p, sizeof(p), "[\"%s\"]", hex32(&th[1]));
    r = call(&f, "eth_getTransactionReceipt", p);
    CHECK_STR_EQ(str(json_object_get(r, "result"), "gasUsed"), "0xc350"); /* 80 000 − 30 000 */
    CHECK_STR_EQ(str(json_object_get(r, "result"), "type"), "0x4");
    json_decref(r);
    teardown(&f);
}
