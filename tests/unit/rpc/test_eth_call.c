/* eth_call / eth_estimateGas with state and block overrides, eth_createAccessList,
 * eth_simulateV1, eth_coinbase and the shared block parameter, over a real datadir: block 1
 * deploys A (returns its slot calldataload(0); slot 0 = 0x2a) and B (staticcalls A and returns
 * its answer). */
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

/* A: slot 0 = 0x2a; runtime: mstore(0, sload(calldataload(0))); return(0, 32). */
static const uint8_t INIT_A[] = { 0x60, 0x2a, 0x60, 0x00, 0x55,             /* sstore */
                                  0x60, 0x0c, 0x60, 0x11, 0x60, 0x00, 0x39, /* codecopy */
                                  0x60, 0x0c, 0x60, 0x00, 0xf3,             /* return */
                                  0x60, 0x00, 0x35, 0x54, 0x60, 0x00, 0x52,
                                  0x60, 0x20, /* runtime */
                                  0x60, 0x00, 0xf3 };

/* B: staticcall(gas, A, 0, 0, 0, 32); return(0, 32) — A's address patched in at offset 21. */
static uint8_t INIT_B[] = {
    0x60, 0x25, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x25, 0x60, 0x00, 0xf3, /* init */
    0x60, 0x20, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x73,                   /* 4 pushes, PUSH20 */
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,                /* A */
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,                /* A */
    0x5a, 0xfa, 0x50, 0x60, 0x20, 0x60, 0x00, 0xf3,                         /* gas, staticcall */
};

static void key0(uint8_t sk[32])
{
    static const char *hex = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            v = 0;
        sk[i] = (uint8_t)v;
    }
}

static void sign_create(tx_t *tx, uint64_t nonce, const uint8_t *data, size_t n)
{
    memset(tx, 0, sizeof(*tx));
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = u256_from_u64(1337);
    tx->nonce = nonce;
    tx->max_fee = u256_from_u64(100000000);
    tx->max_priority_fee = u256_from_u64(1);
    tx->gas_limit = 300000;
    tx->data = rn_malloc(n);
    memcpy(tx->data, data, n);
    tx->data_len = n;
    uint8_t sk[32];
    key0(sk);
    if (tx_sign(tx, sk) != ERR_OK)
        abort();
}

typedef struct fx {
    devchain_t dc;
    rpc_ctx_t ctx;
    rpc_registry_t *reg;
    char a[43], b[43];
    hash_t h1;
} fx_t;

static void fx_open(fx_t *f)
{
    memset(f, 0, sizeof(*f));
    db_txn_t *w;
    CHECK(devchain_open(&f->dc, "rn_ethcall", 1ull << 28, &w));
    hash_t g = f->dc.genesis;
    header_t parent;
    CHECK_OK(chain_read_header(w, &g, &parent));
    evm_t *evm = evm_new();
    chain_builder_t *b;
    CHECK_OK(chain_builder_new(&b, f->dc.spec, evm, w, &parent, &g, parent.timestamp + 1, 0));
    addr_t sender;
    CHECK_OK(addr_from_hex(&sender, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42));
    addr_t ca = evm_create_address(&sender, 0), cb = evm_create_address(&sender, 1);
    memcpy(INIT_B + 21, ca.b, 20);
    tx_t tx[2];
    sign_create(&tx[0], 0, INIT_A, sizeof(INIT_A));
    sign_create(&tx[1], 1, INIT_B, sizeof(INIT_B));
    for (int i = 0; i < 2; i++) {
        buf_t raw;
        buf_init(&raw, 4096);
        CHECK_OK(tx_encode(&tx[i], &raw));
        chain_add_result_t res;
        chain_builder_add(b, &tx[i], &sender, buf_view(&raw), &res);
        CHECK_EQ_INT(res.invalid, TX_VALID);
        CHECK(res.status);
        buf_deinit(&raw);
    }
    block_t blk;
    chain_receipts_t rs;
    CHECK_OK(chain_builder_seal(b, &blk, &f->h1, &rs));
    chain_builder_free(b);
    CHECK_OK(chain_store_block(w, &blk, &f->h1, &rs, NULL));
    CHECK_OK(db_txn_commit(w));
    block_deinit(&blk);
    chain_receipts_free(&rs);
    header_deinit(&parent);
    tx_deinit(&tx[0]);
    tx_deinit(&tx[1]);
    evm_free(evm);
    hex_encode_0x(f->a, ca.b, 20);
    hex_encode_0x(f->b, cb.b, 20);
    f->ctx = (rpc_ctx_t){ .db = f->dc.db, .chain_id = 1337, .ns_enabled = ~0u, .spec = f->dc.spec };
    f->reg = rpc_registry_new(&f->ctx);
    f->ctx.registry = f->reg;
    rpc_register_all(f->reg);
    rpc_register_node(f->reg);
}

static void fx_close(fx_t *f)
{
    rpc_registry_free(f->reg);
    devchain_close(&f->dc);
}

/* Call method with the params JSON text; the parsed response (json_decref it). */
static json_t *rq(const fx_t *f, const char *method, const char *params)
{
    size_t n = strlen(params) + 256;
    char *body = rn_malloc(n);
    snprintf(body, n, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method,
             params);
    buf_t b;
    buf_init(&b, 1 << 24);
    rpc_handle_body(f->reg, ~0u, body, strlen(body), &b);
    json_t *j = json_loadb((const char *)b.p, b.n, 0, NULL);
    if (getenv("RN_TEST_DEBUG"))
        fprintf(stderr, "%s %s -> %.*s\n", method, params, (int)(b.n > 600 ? 600 : b.n),
                (const char *)b.p);
    buf_deinit(&b);
    rn_free(body);
    return j ? j : json_object(); /* an unparsable reply fails the caller's checks */
}

static const char *res_str(const json_t *j)
{
    return json_string_value(json_object_get(j, "result"));
}

static int err_code(const json_t *j)
{
    return (int)json_integer_value(json_object_get(json_object_get(j, "error"), "code"));
}

static const char *err_msg(const json_t *j)
{
    const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    return m ? m : "";
}

#define W(x)    "0x" x
#define ZERO31  "00000000000000000000000000000000000000000000000000000000000000"
#define ZERO30  "000000000000000000000000000000"
#define SLOT0   W(ZERO31 "00")
#define SLOT1   W(ZERO31 "01")
#define WORD(b) W(ZERO31 b)

TEST(eth_call, state_overrides_each_kind)
{
    fx_t f;
    fx_open(&f);
    char p[2048];
    json_t *j;

    /* No override: B reads A's slot 0 through the static call. */
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"latest\"]", f.b);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), WORD("2a"));
    json_decref(j);

    /* stateDiff changes one slot and keeps the others. */
    snprintf(p, sizeof(p),
             "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"stateDiff\":{\"" SLOT1
             "\":\"" WORD("05") "\"}}}]",
             f.b, f.a);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), WORD("2a"));
    json_decref(j);
    snprintf(p, sizeof(p),
             "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"stateDiff\":{\"" SLOT0
             "\":\"" WORD("07") "\"}}}]",
             f.b, f.a);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), WORD("07"));
    json_decref(j);

    /* state replaces all storage: slot 0 reads zero, slot 1 the new value. */
    snprintf(p, sizeof(p),
             "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"state\":{\"" SLOT1 "\":\"" WORD("05") "\"}}}]",
             f.b, f.a);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), WORD("00"));
    json_decref(j);
    snprintf(p, sizeof(p),
             "[{\"to\":\"%s\",\"input\":\"" SLOT1 "\"},\"latest\",{\"%s\":{\"state\":{\"" SLOT1
             "\":\"" WORD("05") "\"}}}]",
             f.a, f.a);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), WORD("05"));
    json_decref(j);

    /* code + balance: SELFBALANCE returned by code put on an empty address. */
    const char *x = "0x00000000000000000000000000000000000c0de1";
    snprintf(p, sizeof(p),
             "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"code\":\"0x4760005260206000f3\","
             "\"balance\":\"0x1234\"}}]",
             x, x);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), "0x" ZERO30 "0000000000000000000000000000001234");
    json_decref(j);

    /* nonce: CREATE from the overridden account lands at create_address(x, 5). */
    snprintf(p, sizeof(p),
             "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"code\":\"0x600060006000f060005260206000f3\","
             "\"nonce\":\"0x5\"}}]",
             x, x);
    j = rq(&f, "eth_call", p);
    addr_t xa;
    CHECK_OK(addr_from_hex(&xa, x, 42));
    addr_t want = evm_create_address(&xa, 5);
    char ah[43], wh[67];
    hex_encode_0x(ah, want.b, 20);
    snprintf(wh, sizeof(wh), "0x000000000000000000000000%s", ah + 2);
    CHECK_STR_EQ(res_str(j), wh);
    json_decref(j);

    /* eth_estimateGas takes the same overrides (3rd parameter). */
    snprintf(p, sizeof(p),
             "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"code\":\"0x4760005260206000f3\"}}]", x, x);
    j = rq(&f, "eth_estimateGas", p);
    CHECK(res_str(j) != NULL);
    CHECK(strtoull(res_str(j), NULL, 16) > 21000);
    json_decref(j);

    /* Bad overrides: both state and stateDiff, unknown field, movePrecompileToAddress, bad slot,
     * bad address key. */
    static const char *bad[][2] = {
        { "{\"", "\":{\"state\":{},\"stateDiff\":{}}}" },
        { "{\"", "\":{\"balanse\":\"0x1\"}}" },
        { "{\"",
          "\":{\"movePrecompileToAddress\":\"0x0000000000000000000000000000000000000001\"}}" },
        { "{\"", "\":{\"stateDiff\":{\"0x01\":\"0x02\"}}}" },
        { "{\"0x12", "\":{}}" },
        { "[\"", "\"]" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char ov[512];
        snprintf(ov, sizeof(ov), "%s%s%s", bad[i][0], f.a, bad[i][1]);
        snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"latest\",%s]", f.b, ov);
        j = rq(&f, "eth_call", p);
        CHECK_EQ_INT(err_code(j), -32602);
        CHECK(strstr(err_msg(j), "argument 2") != NULL);
        if (i == 0)
            CHECK(strstr(err_msg(j), "has both 'state' and 'stateDiff'") != NULL);
        json_decref(j);
    }
    fx_close(&f);
}

TEST(eth_call, block_overrides)
{
    fx_t f;
    fx_open(&f);
    char p[2048];
    /* Returns number, timestamp, gaslimit, coinbase, basefee as five words. */
    const char *x = "0x00000000000000000000000000000000000c0de2";
    const char *code = "0x4360005242602052456040524160605248608052"
                       "60a06000f3";
    /* A funded sender (code on the sender would make it a contract: not an EOA). */
    const char *s = "0x00000000000000000000000000000000000005e1";
    snprintf(p, sizeof(p),
             "[{\"to\":\"%s\",\"from\":\"%s\",\"gasPrice\":\"0x10\"},\"latest\",{\"%s\":{\"code\":"
             "\"%s\"},\"%s\":{\"balance\":\"0xffffffffffffffff\"}},{\"number\":\"0x99\",\"time\":"
             "\"0x5000\",\"gasLimit\":\"0x1c9c380\",\"feeRecipient\":"
             "\"0x00000000000000000000000000000000000000fe\",\"baseFee\":\"0x7\"}]",
             x, s, x, code, s);
    json_t *j = rq(&f, "eth_call", p);
    const char *r = res_str(j);
    CHECK(r != NULL && strlen(r) == 2 + 5 * 64);
    CHECK(strncmp(r + 2 + 62, "99", 2) == 0);
    CHECK(strncmp(r + 2 + 64 + 60, "5000", 4) == 0);
    CHECK(strncmp(r + 2 + 128 + 57, "1c9c380", 7) == 0);
    CHECK(strncmp(r + 2 + 192 + 62, "fe", 2) == 0);
    CHECK(strncmp(r + 2 + 256 + 62, "07", 2) == 0);
    json_decref(j);
    /* Unknown and malformed block overrides are -32602 naming the parameter. */
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"latest\",null,{\"blockHash\":{}}]", x);
    j = rq(&f, "eth_call", p);
    CHECK_EQ_INT(err_code(j), -32602);
    CHECK(strstr(err_msg(j), "argument 3 (blockOverrides)") != NULL);
    json_decref(j);
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"latest\",{},{\"number\":\"12\"}]", x);
    j = rq(&f, "eth_call", p);
    CHECK_EQ_INT(err_code(j), -32602);
    json_decref(j);
    fx_close(&f);
}

TEST(eth_call, create_access_list_of_a_nested_storage_read)
{
    fx_t f;
    fx_open(&f);
    char p[1024];
    snprintf(p, sizeof(p),
             "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"to\":\"%s\"},\"latest\"]",
             f.b);
    json_t *j = rq(&f, "eth_createAccessList", p);
    json_t *res = json_object_get(j, "result");
    CHECK(res != NULL);
    json_t *al = json_object_get(res, "accessList");
    /* Only A with slot 0: B (to) and the sender are left out. */
    CHECK_EQ_U64(json_array_size(al), 1);
    json_t *e = json_array_get(al, 0);
    CHECK_STR_EQ(json_string_value(json_object_get(e, "address")), f.a);
    CHECK_EQ_U64(json_array_size(json_object_get(e, "storageKeys")), 1);
    CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(e, "storageKeys"), 0)), SLOT0);
    CHECK(json_object_get(res, "error") == NULL);
    uint64_t with_list = strtoull(json_string_value(json_object_get(res, "gasUsed")), NULL, 16);
    json_decref(j);
    /* The gas with the list: +2400 +1900 for the list, -2500 -2000 on the warm STATICCALL and
     * SLOAD: 200 less than without it; a call carrying the list uses exactly that. */
    char p2[2048];
    snprintf(p2, sizeof(p2),
             "[{\"blockStateCalls\":[{\"calls\":[{\"to\":\"%s\"},{\"to\":\"%s\","
             "\"accessList\":[{\"address\":\"%s\",\"storageKeys\":[\"" SLOT0 "\"]}]}]}]}]",
             f.b, f.b, f.a);
    j = rq(&f, "eth_simulateV1", p2);
    json_t *sc = json_object_get(json_array_get(json_object_get(j, "result"), 0), "calls");
    uint64_t without =
        strtoull(json_string_value(json_object_get(json_array_get(sc, 0), "gasUsed")), NULL, 16);
    uint64_t carried =
        strtoull(json_string_value(json_object_get(json_array_get(sc, 1), "gasUsed")), NULL, 16);
    CHECK_EQ_U64(with_list + 200, without);
    CHECK_EQ_U64(carried, with_list);
    json_decref(j);

    /* A reverting call reports the error and still a gasUsed. */
    const char *x = "0x00000000000000000000000000000000000c0de3";
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"code\":\"0x60006000fd\"}}]", x,
             x);
    j = rq(&f, "eth_createAccessList", p);
    res = json_object_get(j, "result");
    CHECK_STR_EQ(json_string_value(json_object_get(res, "error")), "execution reverted");
    CHECK(json_object_get(res, "gasUsed") != NULL);
    json_decref(j);
    /* A precompile call is not listed. */
    snprintf(
        p, sizeof(p),
        "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"code\":\"0x6000600060006000600060045af100\"}}]", x,
        x);
    j = rq(&f, "eth_createAccessList", p);
    CHECK_EQ_U64(json_array_size(json_object_get(json_object_get(j, "result"), "accessList")), 0);
    json_decref(j);
    fx_close(&f);
}

TEST(eth_call, simulate_v1_carries_state_between_blocks)
{
    fx_t f;
    fx_open(&f);
    char p[4096];
    /* S returns its old slot 0 and stores calldataload(0) there. */
    const char *sx = "0x0000000000000000000000000000000000005555";
    const char *from = "0x00000000000000000000000000000000000005e1";
    const char *z = "0x00000000000000000000000000000000000000aa";
    snprintf(p, sizeof(p),
             "[{\"traceTransfers\":true,\"blockStateCalls\":["
             "{\"stateOverrides\":{\"%s\":{\"balance\":\"0xde0b6b3a7640000\"},\"%s\":{\"code\":"
             "\"0x600054600052600035600055602060"
             "00f3\"}},"
             "\"calls\":[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x3e8\"},"
             "{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"" WORD(
                 "09") "\"}]},"
                       "{\"calls\":[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"" WORD(
                           "0b") "\"},"
                                 "{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"0x\"}]}"
                                 "]},\"latest\"]",
             from, sx, from, z, from, sx, from, sx, from, f.b);
    json_t *j = rq(&f, "eth_simulateV1", p);
    json_t *res = json_object_get(j, "result");
    CHECK(json_is_array(res));
    CHECK_EQ_U64(json_array_size(res), 2);
    json_t *b1 = json_array_get(res, 0), *b2 = json_array_get(res, 1);
    CHECK_STR_EQ(json_string_value(json_object_get(b1, "number")), "0x2");
    CHECK_STR_EQ(json_string_value(json_object_get(b2, "number")), "0x3");
    CHECK_STR_EQ(json_string_value(json_object_get(b2, "parentHash")),
                 json_string_value(json_object_get(b1, "hash")));
    CHECK(strtoull(json_string_value(json_object_get(b2, "timestamp")), NULL, 16) >
          strtoull(json_string_value(json_object_get(b1, "timestamp")), NULL, 16));
    json_t *c1 = json_object_get(b1, "calls");
    CHECK_EQ_U64(json_array_size(c1), 2);
    CHECK_EQ_U64(json_array_size(json_object_get(b1, "transactions")), 2);
    /* The value transfer, traced as a Transfer log from 0xeeee…eeee. */
    json_t *call0 = json_array_get(c1, 0);
    CHECK_STR_EQ(json_string_value(json_object_get(call0, "status")), "0x1");
    json_t *lg = json_array_get(json_object_get(call0, "logs"), 0);
    CHECK(lg != NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(lg, "address")),
                 "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
    CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(lg, "topics"), 0)),
                 "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    CHECK_STR_EQ(json_string_value(json_object_get(lg, "data")),
                 "0x" ZERO30 "00000000000000000000000000000003e8");
    CHECK_STR_EQ(json_string_value(json_object_get(lg, "blockHash")),
                 json_string_value(json_object_get(b1, "hash")));
    /* S: block 1 sees 0 and stores 9; block 2 sees the 9 carried over. */
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(c1, 1), "returnData")),
                 WORD("00"));
    json_t *c2 = json_object_get(b2, "calls");
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(c2, 0), "returnData")),
                 WORD("09"));
    /* B still reads A's stored slot through the simulated chain. */
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(c2, 1), "returnData")),
                 WORD("2a"));
    CHECK(strtoull(json_string_value(json_object_get(json_array_get(c2, 1), "gasUsed")), NULL, 16) >
          21000);
    json_decref(j);

    /* A revert is a per-call error with code 3; a gap in numbers is filled with empty blocks;
     * full transactions on request. */
    const char *rv = "0x00000000000000000000000000000000000c0de3";
    snprintf(
        p, sizeof(p),
        "[{\"returnFullTransactions\":true,\"blockStateCalls\":["
        "{\"stateOverrides\":{\"%s\":{\"code\":\"0x60006000fd\"}},\"calls\":[{\"to\":\"%s\"}]},"
        "{\"blockOverrides\":{\"number\":\"0x6\"}}]},\"latest\"]",
        rv, rv);
    j = rq(&f, "eth_simulateV1", p);
    res = json_object_get(j, "result");
    CHECK_EQ_U64(json_array_size(res), 5); /* blocks 2..6 */
    json_t *rc = json_array_get(json_object_get(json_array_get(res, 0), "calls"), 0);
    CHECK_STR_EQ(json_string_value(json_object_get(rc, "status")), "0x0");
    CHECK_EQ_INT((int)json_integer_value(json_object_get(json_object_get(rc, "error"), "code")), 3);
    json_t *ftx = json_array_get(json_object_get(json_array_get(res, 0), "transactions"), 0);
    CHECK(json_is_object(ftx));
    CHECK_STR_EQ(json_string_value(json_object_get(ftx, "to")), rv);
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(res, 4), "number")), "0x6");
    json_decref(j);
    fx_close(&f);
}

TEST(eth_call, simulate_v1_errors)
{
    fx_t f;
    fx_open(&f);
    char p[2048];
    json_t *j;
    /* Block numbers must increase. */
    j = rq(&f, "eth_simulateV1",
           "[{\"blockStateCalls\":[{\"blockOverrides\":{\"number\":\"0x5\"}},"
           "{\"blockOverrides\":{\"number\":\"0x5\"}}]},\"latest\"]");
    CHECK_EQ_INT(err_code(j), -38020);
    json_decref(j);
    /* Timestamps must increase. */
    j = rq(&f, "eth_simulateV1",
           "[{\"blockStateCalls\":[{\"blockOverrides\":{\"time\":\"0x1\"}}]},\"latest\"]");
    CHECK_EQ_INT(err_code(j), -38021);
    json_decref(j);
    /* Too many blocks. */
    j = rq(&f, "eth_simulateV1",
           "[{\"blockStateCalls\":[{\"blockOverrides\":{\"number\":\"0x1000\"}}]},\"latest\"]");
    CHECK_EQ_INT(err_code(j), -38026);
    json_decref(j);
    /* Validation: a nonce too high, and no funds for the gas. */
    snprintf(p, sizeof(p),
             "[{\"validation\":true,\"blockStateCalls\":[{\"calls\":[{\"from\":"
             "\"0x00000000000000000000000000000000000005e1\",\"to\":\"%s\",\"nonce\":\"0x3\"}]}]},"
             "\"latest\"]",
             f.a);
    j = rq(&f, "eth_simulateV1", p);
    CHECK_EQ_INT(err_code(j), -38011);
    json_decref(j);
    snprintf(p, sizeof(p),
             "[{\"validation\":true,\"blockStateCalls\":[{\"calls\":[{\"from\":"
             "\"0x00000000000000000000000000000000000005e1\",\"to\":\"%s\",\"maxFeePerGas\":"
             "\"0x3b9aca00\",\"value\":\"0x1\"}]}]},\"latest\"]",
             f.a);
    j = rq(&f, "eth_simulateV1", p);
    CHECK_EQ_INT(err_code(j), -38014);
    json_decref(j);
    /* Without validation the same call runs (base fee 0, nonce skipped). */
    snprintf(p, sizeof(p),
             "[{\"blockStateCalls\":[{\"calls\":[{\"from\":"
             "\"0x00000000000000000000000000000000000005e1\",\"to\":\"%s\",\"nonce\":\"0x3\"}]}]},"
             "\"latest\"]",
             f.a);
    j = rq(&f, "eth_simulateV1", p);
    CHECK(json_is_array(json_object_get(j, "result")));
    json_decref(j);
    /* Malformed input. */
    static const char *bad[] = {
        "[{\"blockStateCalls\":[]}]",
        "[{\"blockStateCalls\":{}}]",
        "[{\"blockStateCalls\":[{\"calls\":[{\"gas\":\"zz\"}]}]}]",
        "[{\"blockStateCalls\":[{\"cals\":[]}]}]",
        "[{\"blockStateCalls\":[{}],\"validation\":\"yes\"}]",
        "[{\"blockStateCalls\":[{\"stateOverrides\":{"
        "\"0x00000000000000000000000000000000000000aa\":"
        "{\"state\":{},\"stateDiff\":{}}}}]}]",
        "[{\"blockStateCalls\":[{}]},\"0xzz\"]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = rq(&f, "eth_simulateV1", bad[i]);
        CHECK_EQ_INT(err_code(j), -32602);
        json_decref(j);
    }
    fx_close(&f);
}

TEST(eth_call, block_parameter_and_coinbase)
{
    fx_t f;
    fx_open(&f);
    char p[1024], bh[67];
    hex_encode_0x(bh, f.h1.b, 32);
    json_t *j;
    /* EIP-1898 by hash and by number; genesis has no B yet. */
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},{\"blockHash\":\"%s\",\"requireCanonical\":true}]",
             f.b, bh);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), WORD("2a"));
    json_decref(j);
    /* A bare block hash, as geth and reth take it. */
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"%s\"]", f.b, bh);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), WORD("2a"));
    json_decref(j);
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"0x%064x\"]", f.b, 7);
    j = rq(&f, "eth_call", p);
    CHECK_EQ_INT(err_code(j), -32001);
    json_decref(j);
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},{\"blockNumber\":\"0x0\"}]", f.b);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), "0x");
    json_decref(j);
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"earliest\"]", f.b);
    j = rq(&f, "eth_call", p);
    CHECK_STR_EQ(res_str(j), "0x");
    json_decref(j);
    /* Unknown blocks: reth's -32001. */
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},\"0x63\"]", f.b);
    j = rq(&f, "eth_call", p);
    CHECK_EQ_INT(err_code(j), -32001);
    CHECK_STR_EQ(err_msg(j), "block not found: 0x63");
    json_decref(j);
    snprintf(p, sizeof(p), "[{\"to\":\"%s\"},{\"blockHash\":\"0x%064x\"}]", f.b, 7);
    j = rq(&f, "eth_call", p);
    CHECK_EQ_INT(err_code(j), -32001);
    CHECK(strstr(err_msg(j), "block not found: hash 0x") != NULL);
    json_decref(j);
    j = rq(&f, "eth_getBalance", "[\"0x0000000000000000000000000000000000000001\",\"0x9\"]");
    CHECK_EQ_INT(err_code(j), -32001);
    json_decref(j);
    j = rq(&f, "eth_feeHistory", "[\"0x1\",\"0x9\",[]]");
    CHECK_EQ_INT(err_code(j), -32001);
    json_decref(j);
    j = rq(&f, "debug_traceBlockByNumber", "[\"0x9\"]");
    CHECK_EQ_INT(err_code(j), -32001);
    json_decref(j);
    j = rq(&f, "eth_getStorageAt",
           "[\"0x0000000000000000000000000000000000000001\",\"0x0\","
           "{\"blockNumber\":\"latest\"}]");
    CHECK_STR_EQ(res_str(j), SLOT0);
    json_decref(j);
    /* Malformed: -32602 naming the parameter. */
    static const char *bad[] = {
        "\"lastest\"", "\"0x\"", "\"12\"", "{}", "{\"blockHash\":\"0x12\"}",
        "{\"blockNumber\":\"0x1\",\"blockHash\":\"0x12\"}",
        "{\"blockHash\":\"0x0000000000000000000000000000000000000000000000000"
        "000000000000000\",\"requireCanonical\":\"yes\"}",
        "\"0x10000000000000000\"",
        /* 66 characters, so a block hash, but not hex */
        "\"0xzz00000000000000000000000000000000000000000000000000000000000000\""
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(p, sizeof(p), "[{\"to\":\"%s\"},%s]", f.b, bad[i]);
        j = rq(&f, "eth_call", p);
        CHECK_EQ_INT(err_code(j), -32602);
        CHECK(strstr(err_msg(j), "argument 1 (block)") != NULL);
        json_decref(j);
        snprintf(p, sizeof(p), "[\"0x0000000000000000000000000000000000000001\",%s]", bad[i]);
        j = rq(&f, "eth_getBalance", p);
        CHECK_EQ_INT(err_code(j), -32602);
        json_decref(j);
    }
    j = rq(&f, "eth_feeHistory", "[\"0x1\",\"newest\",[]]");
    CHECK_EQ_INT(err_code(j), -32602);
    CHECK(strstr(err_msg(j), "newestBlock") != NULL);
    json_decref(j);
    /* eth_coinbase: reth's answer. */
    j = rq(&f, "eth_coinbase", "[]");
    CHECK_EQ_INT(err_code(j), -32603);
    CHECK_STR_EQ(err_msg(j), "unimplemented");
    json_decref(j);
    fx_close(&f);
}

TEST(eth_call, simulate_v1_trace_transfers_in_execution_order)
{
    fx_t f;
    fx_open(&f);
    /* E: LOG0; call(gas, 0xaa, 5); LOG0 — called with value 0x10. A reverted inner transfer
     * (to R, which reverts) leaves no log. */
    const char *e = "0x000000000000000000000000000000000000e1e1";
    const char *rv = "0x00000000000000000000000000000000000c0de3";
    char p[2048];
    snprintf(
        p, sizeof(p),
        "[{\"traceTransfers\":true,\"blockStateCalls\":[{\"stateOverrides\":{"
        "\"0x00000000000000000000000000000000000005e1\":{\"balance\":\"0xffffffffffff\"},"
        "\"%s\":{\"code\":\"0x60006000a06000600060006000600560aa5af15060006000600060006007"
        "620c0de35af15060006000a000\"},\"%s\":{\"code\":\"0x60006000fd\"}},\"calls\":[{\"from\":"
        "\"0x00000000000000000000000000000000000005e1\",\"to\":\"%s\",\"value\":\"0x10\"}]}]},"
        "\"latest\"]",
        e, rv, e);
    json_t *j = rq(&f, "eth_simulateV1", p);
    json_t *c0 = json_array_get(
        json_object_get(json_array_get(json_object_get(j, "result"), 0), "calls"), 0);
    json_t *logs = json_object_get(c0, "logs");
    CHECK_EQ_U64(json_array_size(logs), 4);
    static const char *addr[] = { "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
                                  "0x000000000000000000000000000000000000e1e1",
                                  "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
                                  "0x000000000000000000000000000000000000e1e1" };
    for (size_t i = 0; i < 4; i++) {
        json_t *l = json_array_get(logs, i);
        CHECK_STR_EQ(json_string_value(json_object_get(l, "address")), addr[i]);
        CHECK_EQ_U64(strtoull(json_string_value(json_object_get(l, "logIndex")), NULL, 16), i);
    }
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(logs, 2), "data")),
                 "0x" ZERO31 "05");
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(logs, 0), "data")),
                 "0x" ZERO31 "10");
    json_decref(j);
    fx_close(&f);
}
