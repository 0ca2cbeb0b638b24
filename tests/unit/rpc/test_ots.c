/* ots namespace over a real datadir: three blocks built by the chain builder.
 *   block 1: deploy factory F (nonce 0), deploy reverter R (nonce 1), 5 wei to X (nonce 2)
 *   block 2: call F with 10 wei (nonce 3): F creates C with 1 wei, sends 2 wei to Y and
 *            staticcalls the identity precompile; call R (nonce 4): reverts with 0xdeadbeef
 *   block 3: 1 wei to Y (nonce 5)
 * Every ots_* method is checked against what the blocks must give, including pagination edges,
 * unknown transactions/addresses/blocks and bad parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "devchain.h"
#include "evm/evm.h"
#include "harness.h"
#include "primitives/primitives.h"
#include "rpc/rpc.h"

static const char *SENDER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
static const char *X_ADDR = "0x1111111111111111111111111111111111111111";
static const char *Y_ADDR = "0x2222222222222222222222222222222222222222";

/* Initcode that returns the runtime following its 11 bytes. */
static size_t with_initcode(uint8_t *out, const uint8_t *runtime, size_t n)
{
    const uint8_t pre[] = {
        0x60, (uint8_t)n, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3
    };
    memcpy(out, pre, sizeof(pre));
    memcpy(out + sizeof(pre), runtime, n);
    return sizeof(pre) + n;
}

/* F: CREATE(value 1, initcode 0x60016000f3 → code 0x00); CALL(Y, value 2);
 * STATICCALL(identity); STOP. */
static size_t factory_runtime(uint8_t *out)
{
    static const uint8_t a[] = {
        0x64, 0x60, 0x01, 0x60, 0x00, 0xf3,             /* PUSH5 initcode */
        0x60, 0x00, 0x52,                               /* MSTORE at 0 */
        0x60, 0x05, 0x60, 0x1b, 0x60, 0x01, 0xf0, 0x50, /* CREATE(1, 27, 5); POP */
        0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x02, 0x73, /* ..., value 2, PUSH20 */
    };
    static const uint8_t b[] = {
        0x5a, 0xf1, 0x50,                                           /* GAS CALL POP */
        0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x04, /* identity */
        0x5a, 0xfa, 0x50, 0x00,                                     /* GAS STATICCALL POP STOP */
    };
    size_t n = 0;
    memcpy(out, a, sizeof(a));
    n += sizeof(a);
    addr_t y;
    if (addr_from_hex(&y, Y_ADDR, 42) != ERR_OK)
        abort();
    memcpy(out + n, y.b, 20);
    n += 20;
    memcpy(out + n, b, sizeof(b));
    return n + sizeof(b);
}

/* R: revert with 0xdeadbeef. */
static const uint8_t REVERTER[] = { 0x63, 0xde, 0xad, 0xbe, 0xef, 0x60, 0x00,
                                    0x52, 0x60, 0x04, 0x60, 0x1c, 0xfd };

static void key0(uint8_t sk[32])
{
    static const char *hex = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    if (hex_decode_fixed(sk, 32, hex, 64) != ERR_OK)
        abort();
}

static void sign_tx(tx_t *tx, uint64_t nonce, const addr_t *to, uint64_t value, const uint8_t *data,
                    size_t n)
{
    memset(tx, 0, sizeof(*tx));
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = u256_from_u64(1337);
    tx->nonce = nonce;
    tx->max_fee = u256_from_u64(100000000);
    tx->max_priority_fee = u256_from_u64(1);
    tx->gas_limit = 300000;
    tx->has_to = to != NULL;
    if (to)
        tx->to = *to;
    tx->value = u256_from_u64(value);
    if (n) {
        tx->data = rn_malloc(n);
        memcpy(tx->data, data, n);
        tx->data_len = n;
    }
    uint8_t sk[32];
    key0(sk);
    if (tx_sign(tx, sk) != ERR_OK)
        abort();
}

typedef struct fixture {
    devchain_t dc;
    evm_t *evm;
    rpc_ctx_t ctx;
    rpc_registry_t *reg;
    addr_t sender, f, r, c, x, y;
    hash_t th[4][3]; /* [block][index] */
    hash_t bh[4];
    uint64_t fees2; /* Σ gasUsed × price of block 2 */
} fixture_t;

/* Build one block on the head from txs (consumed) and commit it. */
static void add_block(fixture_t *fx, uint64_t number, tx_t *txs, size_t n)
{
    db_txn_t *w;
    hash_t ph;
    uint64_t head;
    CHECK_OK(db_txn_begin(fx->dc.db, DB_TXN_WRITE, &w));
    CHECK_OK(chain_head(w, &head, &ph));
    CHECK_EQ_U64(head + 1, number);
    header_t parent;
    CHECK_OK(chain_read_header(w, &ph, &parent));
    chain_builder_t *b;
    CHECK_OK(chain_builder_new(&b, fx->dc.spec, fx->evm, w, &parent, &ph, parent.timestamp + 1, 0));
    for (size_t i = 0; i < n; i++) {
        buf_t raw;
        buf_init(&raw, 1 << 16);
        CHECK_OK(tx_encode(&txs[i], &raw));
        if (number < 4)
            CHECK_OK(tx_hash(&txs[i], &fx->th[number][i]));
        chain_add_result_t res;
        chain_builder_add(b, &txs[i], &fx->sender, buf_view(&raw), &res);
        CHECK_EQ_INT(res.invalid, TX_VALID);
        buf_deinit(&raw);
    }
    block_t blk;
    chain_receipts_t rs;
    hash_t bh;
    CHECK_OK(chain_builder_seal(b, &blk, &bh, &rs));
    if (number < 4)
        fx->bh[number] = bh;
    chain_builder_free(b);
    if (number == 2) {
        fx->fees2 = 0;
        for (size_t i = 0; i < rs.n; i++) {
            uint64_t used = rs.r[i].cumulative_gas - (i ? rs.r[i - 1].cumulative_gas : 0);
            uint64_t price = blk.header.base_fee.w[0] + 1; /* tip 1, below the fee cap */
            CHECK(price <= 100000000);
            fx->fees2 += used * price;
        }
        CHECK(rs.r[0].status);
        CHECK(!rs.r[1].status);
    }
    CHECK_OK(chain_store_block(w, &blk, &bh, &rs, NULL));
    CHECK_OK(db_txn_commit(w));
    block_deinit(&blk);
    chain_receipts_free(&rs);
    header_deinit(&parent);
    for (size_t i = 0; i < n; i++)
        tx_deinit(&txs[i]);
}

static void setup(fixture_t *fx)
{
    memset(fx, 0, sizeof(*fx));
    /* History index every second block: searches read both the index and the change sets. */
    state_db_set_history_batch(2);
    CHECK(devchain_open(&fx->dc, "rn_ots", 1ull << 28, NULL));
    fx->bh[0] = fx->dc.genesis;
    fx->evm = evm_new();
    CHECK_OK(addr_from_hex(&fx->sender, SENDER, 42));
    CHECK_OK(addr_from_hex(&fx->x, X_ADDR, 42));
    CHECK_OK(addr_from_hex(&fx->y, Y_ADDR, 42));
    fx->f = evm_create_address(&fx->sender, 0);
    fx->r = evm_create_address(&fx->sender, 1);
    fx->c = evm_create_address(&fx->f, 1);

    uint8_t rt[128], code[160];
    tx_t txs[3];
    size_t n = factory_runtime(rt);
    sign_tx(&txs[0], 0, NULL, 0, code, with_initcode(code, rt, n));
    sign_tx(&txs[1], 1, NULL, 0, code, with_initcode(code, REVERTER, sizeof(REVERTER)));
    sign_tx(&txs[2], 2, &fx->x, 5, NULL, 0);
    add_block(fx, 1, txs, 3);
    sign_tx(&txs[0], 3, &fx->f, 10, NULL, 0);
    sign_tx(&txs[1], 4, &fx->r, 0, (const uint8_t *)"\x01\x02\x03\x04\x05", 5);
    add_block(fx, 2, txs, 2);
    sign_tx(&txs[0], 5, &fx->y, 1, NULL, 0);
    add_block(fx, 3, txs, 1);

    fx->ctx =
        (rpc_ctx_t){ .db = fx->dc.db, .chain_id = 1337, .ns_enabled = ~0u, .spec = fx->dc.spec };
    fx->reg = rpc_registry_new(&fx->ctx);
    fx->ctx.registry = fx->reg;
    rpc_register_all(fx->reg);
    rpc_register_node(fx->reg);
}

static void teardown(fixture_t *fx)
{
    state_db_set_history_batch(128);
    rpc_registry_free(fx->reg);
    evm_free(fx->evm);
    devchain_close(&fx->dc);
}

/* The whole response of method(params) (params: a JSON array text). */
static json_t *rpc(fixture_t *fx, const char *method, const char *params)
{
    char req[2048];
    snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}",
             method, params);
    buf_t b;
    buf_init(&b, 1 << 24);
    rpc_handle_body(fx->reg, ~0u, req, strlen(req), &b);
    json_t *j = json_loadb((const char *)b.p, b.n, 0, NULL);
    buf_deinit(&b);
    return j ? j : json_object(); /* unparsable: every check on it fails */
}

/* The error code of a response (0 when it has a result). */
static int err_code(const json_t *j)
{
    const json_t *e = json_object_get(j, "error");
    return e ? (int)json_integer_value(json_object_get(e, "code")) : 0;
}

static const char *hex_of(char *buf, const uint8_t *p, size_t n)
{
    hex_encode_0x(buf, p, n);
    return buf;
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

TEST(ots, api_level_and_has_code)
{
    fixture_t fx;
    setup(&fx);
    char a[43], p[160];
    json_t *j = rpc(&fx, "ots_getApiLevel", "[]");
    CHECK_EQ_INT((int)json_integer_value(json_object_get(j, "result")), 8);
    json_decref(j);
    j = rpc(&fx, "ots_getApiLevel", "[1]");
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);

    /* F has code at the head and after block 1, not at genesis; X never. */
    static const char *blocks[] = { "\"latest\"", "\"0x1\"", "1", "\"0x0\"" };
    static const bool want[] = { true, true, true, false };
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "[\"%s\",%s]", hex_of(a, fx.f.b, 20), blocks[i]);
        j = rpc(&fx, "ots_hasCode", p);
        CHECK(json_is_boolean(json_object_get(j, "result")));
        CHECK_EQ_INT(json_is_true(json_object_get(j, "result")), want[i]);
        json_decref(j);
    }
    char bh[67];
    snprintf(p, sizeof(p), "[\"%s\",\"%s\"]", hex_of(a, fx.f.b, 20), hex_of(bh, fx.bh[2].b, 32));
    j = rpc(&fx, "ots_hasCode", p);
    CHECK(json_is_true(json_object_get(j, "result")));
    json_decref(j);
    snprintf(p, sizeof(p), "[\"%s\",\"latest\"]", X_ADDR);
    j = rpc(&fx, "ots_hasCode", p);
    CHECK(json_is_false(json_object_get(j, "result")));
    json_decref(j);
    /* Bad address, bad block, block above the head. */
    j = rpc(&fx, "ots_hasCode", "[\"0x1234\",\"latest\"]");
    CHECK_EQ_INT(err_code(j), -32602);
    CHECK(strstr(str(json_object_get(j, "error"), "message"), "address") != NULL);
    json_decref(j);
    snprintf(p, sizeof(p), "[\"%s\",\"nope\"]", X_ADDR);
    j = rpc(&fx, "ots_hasCode", p);
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);
    snprintf(p, sizeof(p), "[\"%s\",\"0x64\"]", X_ADDR);
    j = rpc(&fx, "ots_hasCode", p);
    CHECK_EQ_INT(err_code(j), -32000);
    json_decref(j);
    teardown(&fx);
}

TEST(ots, traces_operations_and_errors)
{
    fixture_t fx;
    setup(&fx);
    char h[67], p[160], f[43], c[43], y[43];
    hex_of(f, fx.f.b, 20);
    hex_of(c, fx.c.b, 20);
    hex_of(y, fx.y.b, 20);

    /* The factory call: CALL (depth 0), CREATE and CALL (depth 1); the precompile is left out. */
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(h, fx.th[2][0].b, 32));
    json_t *j = rpc(&fx, "ots_traceTransaction", p);
    json_t *res = json_object_get(j, "result");
    CHECK_EQ_U64(json_array_size(res), 3);
    json_t *e0 = json_array_get(res, 0), *e1 = json_array_get(res, 1), *e2 = json_array_get(res, 2);
    CHECK_STR_EQ(str(e0, "type"), "CALL");
    CHECK_EQ_INT((int)json_integer_value(json_object_get(e0, "depth")), 0);
    CHECK_STR_EQ(str(e0, "from"), SENDER);
    CHECK_STR_EQ(str(e0, "to"), f);
    CHECK_STR_EQ(str(e0, "value"), "0xa");
    CHECK_STR_EQ(str(e0, "input"), "0x");
    CHECK_STR_EQ(str(e0, "output"), "0x");
    CHECK_STR_EQ(str(e1, "type"), "CREATE");
    CHECK_EQ_INT((int)json_integer_value(json_object_get(e1, "depth")), 1);
    CHECK_STR_EQ(str(e1, "from"), f);
    CHECK_STR_EQ(str(e1, "to"), c);
    CHECK_STR_EQ(str(e1, "value"), "0x1");
    CHECK_STR_EQ(str(e1, "input"), "0x60016000f3");
    CHECK_STR_EQ(str(e1, "output"), "0x"); /* a successful create returns no data */
    CHECK_STR_EQ(str(e2, "type"), "CALL");
    CHECK_STR_EQ(str(e2, "to"), y);
    CHECK_STR_EQ(str(e2, "value"), "0x2");
    json_decref(j);

    /* The revert: one entry with the revert data as output. */
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(h, fx.th[2][1].b, 32));
    j = rpc(&fx, "ots_traceTransaction", p);
    res = json_object_get(j, "result");
    CHECK_EQ_U64(json_array_size(res), 1);
    CHECK_STR_EQ(str(json_array_get(res, 0), "input"), "0x0102030405");
    CHECK_STR_EQ(str(json_array_get(res, 0), "output"), "0xdeadbeef");
    json_decref(j);

    /* A contract creation transaction traces as CREATE to the new address. */
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(h, fx.th[1][0].b, 32));
    j = rpc(&fx, "ots_traceTransaction", p);
    res = json_object_get(j, "result");
    CHECK_EQ_U64(json_array_size(res), 1);
    CHECK_STR_EQ(str(json_array_get(res, 0), "type"), "CREATE");
    CHECK_STR_EQ(str(json_array_get(res, 0), "to"), f);
    json_decref(j);

    /* Internal operations: the create (type 2) and the transfer (type 0), not the top call. */
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(h, fx.th[2][0].b, 32));
    j = rpc(&fx, "ots_getInternalOperations", p);
    res = json_object_get(j, "result");
    CHECK_EQ_U64(json_array_size(res), 2);
    e0 = json_array_get(res, 0);
    e1 = json_array_get(res, 1);
    CHECK_EQ_INT((int)json_integer_value(json_object_get(e0, "type")), 2);
    CHECK_STR_EQ(str(e0, "from"), f);
    CHECK_STR_EQ(str(e0, "to"), c);
    CHECK_STR_EQ(str(e0, "value"), "0x1");
    CHECK_EQ_INT((int)json_integer_value(json_object_get(e1, "type")), 0);
    CHECK_STR_EQ(str(e1, "to"), y);
    CHECK_STR_EQ(str(e1, "value"), "0x2");
    json_decref(j);
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(h, fx.th[1][2].b, 32));
    j = rpc(&fx, "ots_getInternalOperations", p);
    CHECK(json_is_array(json_object_get(j, "result")));
    CHECK_EQ_U64(json_array_size(json_object_get(j, "result")), 0);
    json_decref(j);

    /* Transaction error: the revert data, "0x" for a success. */
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(h, fx.th[2][1].b, 32));
    j = rpc(&fx, "ots_getTransactionError", p);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "result")), "0xdeadbeef");
    json_decref(j);
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(h, fx.th[2][0].b, 32));
    j = rpc(&fx, "ots_getTransactionError", p);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "result")), "0x");
    json_decref(j);

    /* Unknown transaction and bad hashes, for each of the three. */
    static const char *m[] = { "ots_traceTransaction", "ots_getInternalOperations",
                               "ots_getTransactionError" };
    for (int i = 0; i < 3; i++) {
        j = rpc(&fx, m[i],
                "[\"0x1111111111111111111111111111111111111111111111111111111111111111\"]");
        CHECK_EQ_INT(err_code(j), -32000);
        CHECK(strstr(str(json_object_get(j, "error"), "message"), "not found") != NULL);
        json_decref(j);
        j = rpc(&fx, m[i], "[\"0x11\"]");
        CHECK_EQ_INT(err_code(j), -32602);
        json_decref(j);
        j = rpc(&fx, m[i], "[]");
        CHECK_EQ_INT(err_code(j), -32602);
        json_decref(j);
    }
    teardown(&fx);
}

TEST(ots, block_details_and_transactions)
{
    fixture_t fx;
    setup(&fx);
    char h[67], p[200];
    json_t *j = rpc(&fx, "ots_getBlockDetails", "[2]");
    json_t *res = json_object_get(j, "result");
    json_t *blk = json_object_get(res, "block");
    CHECK_STR_EQ(str(blk, "number"), "0x2");
    CHECK_STR_EQ(str(blk, "hash"), hex_of(h, fx.bh[2].b, 32));
    CHECK_EQ_INT((int)json_integer_value(json_object_get(blk, "transactionCount")), 2);
    CHECK(json_is_null(json_object_get(blk, "logsBloom")));
    CHECK(json_object_get(blk, "transactions") == NULL);
    CHECK_STR_EQ(str(json_object_get(res, "issuance"), "blockReward"), "0x0");
    CHECK_STR_EQ(str(json_object_get(res, "issuance"), "issuance"), "0x0");
    char fees[24];
    snprintf(fees, sizeof(fees), "0x%llx", (unsigned long long)fx.fees2);
    CHECK(fx.fees2 > 0);
    CHECK_STR_EQ(str(res, "totalFees"), fees);
    json_decref(j);
    /* The same by hex number, by tag and by hash. */
    static const char *same[] = { "[\"0x2\"]" };
    j = rpc(&fx, "ots_getBlockDetails", same[0]);
    CHECK_STR_EQ(str(json_object_get(json_object_get(j, "result"), "block"), "number"), "0x2");
    json_decref(j);
    j = rpc(&fx, "ots_getBlockDetails", "[\"latest\"]");
    CHECK_STR_EQ(str(json_object_get(json_object_get(j, "result"), "block"), "number"), "0x3");
    json_decref(j);
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(h, fx.bh[2].b, 32));
    j = rpc(&fx, "ots_getBlockDetailsByHash", p);
    CHECK_STR_EQ(str(json_object_get(json_object_get(j, "result"), "block"), "number"), "0x2");
    CHECK_STR_EQ(str(json_object_get(j, "result"), "totalFees"), fees);
    json_decref(j);
    /* Genesis: no fees. Unknown blocks: null. Bad params: -32602. */
    j = rpc(&fx, "ots_getBlockDetails", "[0]");
    CHECK_STR_EQ(str(json_object_get(j, "result"), "totalFees"), "0x0");
    json_decref(j);
    j = rpc(&fx, "ots_getBlockDetails", "[99]");
    CHECK(json_is_null(json_object_get(j, "result")));
    CHECK_EQ_INT(err_code(j), 0);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockDetailsByHash",
            "[\"0x1111111111111111111111111111111111111111111111111111111111111111\"]");
    CHECK(json_is_null(json_object_get(j, "result")));
    CHECK_EQ_INT(err_code(j), 0);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockDetails", "[-1]");
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockDetails", "[{}]");
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockDetailsByHash", "[\"0x12\"]");
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);

    /* Block 1 has 3 transactions; page 0 of size 2 = the last two, page 1 = the first. */
    j = rpc(&fx, "ots_getBlockTransactions", "[1,0,2]");
    res = json_object_get(j, "result");
    json_t *txs = json_object_get(json_object_get(res, "fullblock"), "transactions");
    json_t *rcs = json_object_get(res, "receipts");
    CHECK_EQ_U64(json_array_size(txs), 2);
    CHECK_EQ_U64(json_array_size(rcs), 2);
    CHECK_STR_EQ(str(json_array_get(txs, 0), "hash"), hex_of(h, fx.th[1][1].b, 32));
    CHECK_STR_EQ(str(json_array_get(txs, 1), "hash"), hex_of(h, fx.th[1][2].b, 32));
    CHECK_STR_EQ(str(json_array_get(txs, 0), "input"), "0x600d8060"); /* cut to 4 bytes */
    CHECK_STR_EQ(str(json_array_get(rcs, 0), "transactionHash"), hex_of(h, fx.th[1][1].b, 32));
    CHECK(json_is_null(json_object_get(json_array_get(rcs, 0), "logs")));
    CHECK_STR_EQ(str(json_array_get(rcs, 1), "status"), "0x1");
    CHECK_EQ_INT((int)json_integer_value(
                     json_object_get(json_object_get(res, "fullblock"), "transactionCount")),
                 3);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockTransactions", "[\"0x1\",\"0x1\",\"0x2\"]");
    txs =
        json_object_get(json_object_get(json_object_get(j, "result"), "fullblock"), "transactions");
    CHECK_EQ_U64(json_array_size(txs), 1);
    CHECK_STR_EQ(str(json_array_get(txs, 0), "hash"), hex_of(h, fx.th[1][0].b, 32));
    json_t *rc0 = json_array_get(json_object_get(json_object_get(j, "result"), "receipts"), 0);
    char f[43];
    CHECK_STR_EQ(str(rc0, "contractAddress"), hex_of(f, fx.f.b, 20));
    json_decref(j);
    j = rpc(&fx, "ots_getBlockTransactions", "[1,2,2]"); /* past the end */
    CHECK_EQ_U64(json_array_size(json_object_get(
                     json_object_get(json_object_get(j, "result"), "fullblock"), "transactions")),
                 0);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockTransactions", "[1,0,0]"); /* empty page */
    CHECK_EQ_U64(json_array_size(json_object_get(json_object_get(j, "result"), "receipts")), 0);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockTransactions", "[1,0,100]");
    CHECK_EQ_U64(json_array_size(json_object_get(json_object_get(j, "result"), "receipts")), 3);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockTransactions", "[50,0,10]");
    CHECK(json_is_null(json_object_get(j, "result")));
    json_decref(j);
    j = rpc(&fx, "ots_getBlockTransactions", "[1,\"x\",10]");
    CHECK_EQ_INT(err_code(j), -32602);
    CHECK(strstr(str(json_object_get(j, "error"), "message"), "pageNumber") != NULL);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockTransactions", "[1,0,-5]");
    CHECK_EQ_INT(err_code(j), -32602);
    CHECK(strstr(str(json_object_get(j, "error"), "message"), "pageSize") != NULL);
    json_decref(j);
    j = rpc(&fx, "ots_getBlockTransactions", "[1,0]");
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);
    teardown(&fx);
}

/* The hashes of a search result's txs, checked against want (and the receipts alike). */
static void check_search(fixture_t *fx, const char *method, const char *addr, const char *bn,
                         int size, const hash_t *const *want, size_t n, bool first, bool last)
{
    char p[160], h[67];
    snprintf(p, sizeof(p), "[\"%s\",%s,%d]", addr, bn, size);
    json_t *j = rpc(fx, method, p);
    json_t *res = json_object_get(j, "result");
    CHECK(res != NULL);
    json_t *txs = json_object_get(res, "txs"), *rcs = json_object_get(res, "receipts");
    CHECK_EQ_U64(json_array_size(txs), n);
    CHECK_EQ_U64(json_array_size(rcs), n);
    for (size_t i = 0; i < n && i < json_array_size(txs); i++) {
        hex_of(h, want[i]->b, 32);
        CHECK_STR_EQ(str(json_array_get(txs, i), "hash"), h);
        json_t *rc = json_array_get(rcs, i);
        CHECK_STR_EQ(str(rc, "transactionHash"), h);
        CHECK(json_is_integer(json_object_get(rc, "timestamp")));
        CHECK(json_is_array(json_object_get(rc, "logs")));
    }
    CHECK_EQ_INT(json_is_true(json_object_get(res, "firstPage")), first);
    CHECK_EQ_INT(json_is_true(json_object_get(res, "lastPage")), last);
    json_decref(j);
}

TEST(ots, search_pagination)
{
    fixture_t fx;
    setup(&fx);
    const hash_t *all[] = { &fx.th[3][0], &fx.th[2][1], &fx.th[2][0],
                            &fx.th[1][2], &fx.th[1][1], &fx.th[1][0] };
    /* Everything, newest first. */
    check_search(&fx, "ots_searchTransactionsBefore", SENDER, "0", 25, all, 6, true, true);
    /* Page size 2: block 3 (1) + block 2 (2): whole blocks, so 3; more below. */
    check_search(&fx, "ots_searchTransactionsBefore", SENDER, "0", 2, all, 3, true, false);
    /* Next page from block 2: block 1 (3 txs), the last page. */
    check_search(&fx, "ots_searchTransactionsBefore", SENDER, "2", 2, all + 3, 3, false, true);
    /* Exactly the size left: lastPage when nothing older changed the address. */
    check_search(&fx, "ots_searchTransactionsBefore", SENDER, "2", 3, all + 3, 3, false, true);
    /* Before block 1: nothing. Before a block past the head: everything. */
    check_search(&fx, "ots_searchTransactionsBefore", SENDER, "1", 25, all, 0, false, true);
    check_search(&fx, "ots_searchTransactionsBefore", SENDER, "1000", 25, all, 6, false, true);
    /* After: from genesis (0 = the last page) with size 2 gives block 1, newest first. */
    check_search(&fx, "ots_searchTransactionsAfter", SENDER, "0", 2, all + 3, 3, false, true);
    /* After block 1: blocks 2 and 3, the first page. */
    check_search(&fx, "ots_searchTransactionsAfter", SENDER, "1", 25, all, 3, true, false);
    check_search(&fx, "ots_searchTransactionsAfter", SENDER, "1", 1, all + 1, 2, false, false);
    check_search(&fx, "ots_searchTransactionsAfter", SENDER, "3", 25, all, 0, true, false);
    check_search(&fx, "ots_searchTransactionsAfter", SENDER, "\"0x1\"", 25, all, 3, true, false);
    teardown(&fx);
}

TEST(ots, search_by_touch)
{
    fixture_t fx;
    setup(&fx);
    char a[43];
    /* Y: the direct transfer (block 3) and the internal call (block 2). */
    const hash_t *y[] = { &fx.th[3][0], &fx.th[2][0] };
    check_search(&fx, "ots_searchTransactionsBefore", Y_ADDR, "0", 25, y, 2, true, true);
    /* X: the plain transfer; C: created inside the factory call; F: created, then called. */
    const hash_t *x[] = { &fx.th[1][2] };
    check_search(&fx, "ots_searchTransactionsBefore", X_ADDR, "0", 25, x, 1, true, true);
    const hash_t *c[] = { &fx.th[2][0] };
    check_search(&fx, "ots_searchTransactionsBefore", hex_of(a, fx.c.b, 20), "0", 25, c, 1, true,
                 true);
    const hash_t *f[] = { &fx.th[2][0], &fx.th[1][0] };
    check_search(&fx, "ots_searchTransactionsBefore", hex_of(a, fx.f.b, 20), "0", 25, f, 2, true,
                 true);
    check_search(&fx, "ots_searchTransactionsAfter", hex_of(a, fx.f.b, 20), "0", 25, f, 2, true,
                 true);
    /* An address nothing touched. */
    check_search(&fx, "ots_searchTransactionsBefore", "0x3333333333333333333333333333333333333333",
                 "0", 25, f, 0, true, true);
    /* Bad parameters. */
    static const char *bad[] = {
        "[\"0x12\",0,25]",
        "[\"0x2222222222222222222222222222222222222222\",\"x\",25]",
        "[\"0x2222222222222222222222222222222222222222\",0,0]",
        "[\"0x2222222222222222222222222222222222222222\",0,101]",
        "[\"0x2222222222222222222222222222222222222222\",0]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = rpc(&fx, "ots_searchTransactionsBefore", bad[i]);
        CHECK_EQ_INT(err_code(j), -32602);
        json_decref(j);
        j = rpc(&fx, "ots_searchTransactionsAfter", bad[i]);
        CHECK_EQ_INT(err_code(j), -32602);
        json_decref(j);
    }
    teardown(&fx);
}

TEST(ots, sender_nonce_and_contract_creator)
{
    fixture_t fx;
    setup(&fx);
    char p[160], h[67], a[43];
    const hash_t *by_nonce[] = { &fx.th[1][0], &fx.th[1][1], &fx.th[1][2],
                                 &fx.th[2][0], &fx.th[2][1], &fx.th[3][0] };
    for (int n = 0; n < 6; n++) {
        snprintf(p, sizeof(p), "[\"%s\",%d]", SENDER, n);
        json_t *j = rpc(&fx, "ots_getTransactionBySenderAndNonce", p);
        CHECK_STR_EQ(json_string_value(json_object_get(j, "result")),
                     hex_of(h, by_nonce[n]->b, 32));
        json_decref(j);
    }
    /* Hex nonce; a nonce not used yet; an address that never sent; a contract's nonce (moved by
     * CREATE, no transaction). */
    snprintf(p, sizeof(p), "[\"%s\",\"0x4\"]", SENDER);
    json_t *j = rpc(&fx, "ots_getTransactionBySenderAndNonce", p);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "result")), hex_of(h, fx.th[2][1].b, 32));
    json_decref(j);
    static const char *nulls[] = {
        "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",6]",
        "[\"0x3333333333333333333333333333333333333333\",0]",
    };
    for (int i = 0; i < 2; i++) {
        j = rpc(&fx, "ots_getTransactionBySenderAndNonce", nulls[i]);
        CHECK(json_is_null(json_object_get(j, "result")));
        CHECK_EQ_INT(err_code(j), 0);
        json_decref(j);
    }
    snprintf(p, sizeof(p), "[\"%s\",1]", hex_of(a, fx.f.b, 20));
    j = rpc(&fx, "ots_getTransactionBySenderAndNonce", p);
    CHECK(json_is_null(json_object_get(j, "result")));
    CHECK_EQ_INT(err_code(j), 0);
    json_decref(j);
    j = rpc(&fx, "ots_getTransactionBySenderAndNonce", "[\"0xf39f\",1]");
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);
    snprintf(p, sizeof(p), "[\"%s\",\"one\"]", SENDER);
    j = rpc(&fx, "ots_getTransactionBySenderAndNonce", p);
    CHECK_EQ_INT(err_code(j), -32602);
    CHECK(strstr(str(json_object_get(j, "error"), "message"), "nonce") != NULL);
    json_decref(j);

    /* Creators: F by the sender in its own transaction, C by F inside the factory call. */
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(a, fx.f.b, 20));
    j = rpc(&fx, "ots_getContractCreator", p);
    json_t *res = json_object_get(j, "result");
    CHECK_STR_EQ(str(res, "hash"), hex_of(h, fx.th[1][0].b, 32));
    CHECK_STR_EQ(str(res, "creator"), SENDER);
    json_decref(j);
    snprintf(p, sizeof(p), "[\"%s\"]", hex_of(a, fx.c.b, 20));
    j = rpc(&fx, "ots_getContractCreator", p);
    res = json_object_get(j, "result");
    CHECK_STR_EQ(str(res, "hash"), hex_of(h, fx.th[2][0].b, 32));
    CHECK_STR_EQ(str(res, "creator"), hex_of(a, fx.f.b, 20));
    json_decref(j);
    /* EOAs, unknown accounts and genesis contracts (the EIP-2935 history contract): null. */
    const char *none[] = { SENDER, X_ADDR, "0x3333333333333333333333333333333333333333",
                           "0x0000f90827f1c53a10cb7a02335b175320002935" };
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "[\"%s\"]", none[i]);
        j = rpc(&fx, "ots_getContractCreator", p);
        CHECK(json_is_null(json_object_get(j, "result")));
        CHECK_EQ_INT(err_code(j), 0);
        json_decref(j);
    }
    j = rpc(&fx, "ots_getContractCreator", "[42]");
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);
    teardown(&fx);
}

TEST(ots, search_replay_cap)
{
    fixture_t fx;
    setup(&fx);
    /* 520 more blocks, one transfer to X each: the fee vault changes in every block without
     * being a party to any call. */
    for (uint64_t n = 4; n < 524; n++) {
        tx_t tx;
        sign_tx(&tx, n + 2, &fx.x, 1, NULL, 0);
        add_block(&fx, n, &tx, 1);
    }
    CHECK(fx.dc.spec->has_fee_vault);
    char a[43], p[160];
    snprintf(p, sizeof(p), "[\"%s\",0,25]", hex_of(a, fx.dc.spec->fee_vault.b, 20));
    json_t *j = rpc(&fx, "ots_searchTransactionsBefore", p);
    CHECK_EQ_INT(err_code(j), -32005);
    CHECK(strstr(str(json_object_get(j, "error"), "message"), "continue from block 11") != NULL);
    json_decref(j);
    /* X: 100 blocks of one match each fill a page of 100, more below. */
    snprintf(p, sizeof(p), "[\"%s\",0,100]", X_ADDR);
    j = rpc(&fx, "ots_searchTransactionsBefore", p);
    json_t *res = json_object_get(j, "result");
    CHECK_EQ_U64(json_array_size(json_object_get(res, "txs")), 100);
    CHECK_STR_EQ(str(json_array_get(json_object_get(res, "txs"), 0), "blockNumber"), "0x20b");
    CHECK_STR_EQ(str(json_array_get(json_object_get(res, "txs"), 99), "blockNumber"), "0x1a8");
    CHECK(json_is_true(json_object_get(res, "firstPage")));
    CHECK(json_is_false(json_object_get(res, "lastPage")));
    json_decref(j);
    /* The last sender nonce is found in the newest block. */
    snprintf(p, sizeof(p), "[\"%s\",525]", SENDER);
    j = rpc(&fx, "ots_getTransactionBySenderAndNonce", p);
    CHECK(json_is_string(json_object_get(j, "result")));
    json_decref(j);
    teardown(&fx);
}
