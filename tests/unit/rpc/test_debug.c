/* debug namespace over a real datadir: a block built by the chain builder with a contract
 * creation and a call into it that calls the identity precompile; traced with the struct logger
 * and callTracer, by transaction, block and call; raw getters round-trip. */
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
#include "trie/trie.h"

/* Initcode returning the 20-byte runtime that follows it: call(gas, 0x04, 0, 0, 32, 0, 32); pop;
 * return(0, 32). */
static const uint8_t INIT[] = { 0x60, 0x14, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x14, 0x60, 0x00,
                                0xf3, 0x60, 0x20, 0x60, 0x00, 0x60, 0x20, 0x60, 0x00, 0x60, 0x00,
                                0x60, 0x04, 0x5a, 0xf1, 0x50, 0x60, 0x20, 0x60, 0x00, 0xf3 };

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

static void sign_tx(tx_t *tx, uint64_t nonce, const addr_t *to, const uint8_t *data, size_t n)
{
    memset(tx, 0, sizeof(*tx));
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = u256_from_u64(1337);
    tx->nonce = nonce;
    tx->max_fee = u256_from_u64(100000000);
    tx->max_priority_fee = u256_from_u64(1);
    tx->gas_limit = 200000;
    tx->has_to = to != NULL;
    if (to)
        tx->to = *to;
    tx->data = rn_malloc(n);
    memcpy(tx->data, data, n);
    tx->data_len = n;
    uint8_t sk[32];
    key0(sk);
    if (tx_sign(tx, sk) != ERR_OK)
        abort();
}

static char *call(const rpc_registry_t *reg, const char *body)
{
    static char out[1 << 20];
    buf_t b;
    buf_init(&b, 1 << 24);
    rpc_handle_body(reg, ~0u, body, strlen(body), &b);
    snprintf(out, sizeof(out), "%.*s", (int)b.n, (const char *)b.p);
    buf_deinit(&b);
    return out;
}

TEST(debug, traces_of_transactions_blocks_and_calls)
{
    devchain_t dc;
    db_txn_t *w;
    CHECK(devchain_open(&dc, "rn_debug", 1ull << 28, &w));
    chain_spec_t *spec = dc.spec;
    db_t *db = dc.db;
    hash_t g = dc.genesis, hh;
    header_t parent;
    CHECK_OK(chain_read_header(w, &g, &parent));
    evm_t *evm = evm_new();
    chain_builder_t *b;
    CHECK_OK(chain_builder_new(&b, spec, evm, w, &parent, &g, parent.timestamp + 1, 0));
    addr_t sender;
    CHECK_OK(addr_from_hex(&sender, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42));
    addr_t contract = evm_create_address(&sender, 0);
    tx_t tx[2];
    sign_tx(&tx[0], 0, NULL, INIT, sizeof(INIT));
    sign_tx(&tx[1], 1, &contract, (const uint8_t *)"\x01\x02\x03", 3);
    hash_t th1;
    CHECK_OK(tx_hash(&tx[1], &th1));
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
    CHECK_OK(chain_builder_seal(b, &blk, &hh, &rs));
    chain_builder_free(b);
    CHECK_OK(chain_store_block(w, &blk, &hh, &rs, NULL));
    CHECK_OK(db_txn_commit(w));
    uint64_t used1 = rs.r[1].cumulative_gas - rs.r[0].cumulative_gas;

    rpc_ctx_t ctx = { .db = db, .chain_id = 1337, .ns_enabled = ~0u, .spec = spec };
    rpc_registry_t *reg = rpc_registry_new(&ctx);
    ctx.registry = reg;
    rpc_register_all(reg);
    rpc_register_node(reg);
    char th[67], req[512], caddr[43];
    hex_encode_0x(th, th1.b, 32);
    hex_encode_0x(caddr, contract.b, 20);

    /* callTracer: the top call and the nested call to the identity precompile. */
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceTransaction\",\"params\":[\"%s\","
        "{\"tracer\":\"callTracer\"}]}",
        th);
    json_t *j = json_loads(call(reg, req), 0, NULL);
    json_t *res = json_object_get(j, "result");
    CHECK(res != NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(res, "type")), "CALL");
    CHECK_STR_EQ(json_string_value(json_object_get(res, "to")), caddr);
    CHECK_STR_EQ(json_string_value(json_object_get(res, "input")), "0x010203");
    char used[24];
    snprintf(used, sizeof(used), "0x%llx", (unsigned long long)used1);
    CHECK_STR_EQ(json_string_value(json_object_get(res, "gasUsed")), used);
    CHECK_STR_EQ(json_string_value(json_object_get(res, "gas")), "0x30d40");
    json_t *inner = json_array_get(json_object_get(res, "calls"), 0);
    CHECK(inner != NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(inner, "to")),
                 "0x0000000000000000000000000000000000000004");
    CHECK(json_object_get(res, "error") == NULL);
    json_decref(j);

    /* Struct logger: every instruction of the top frame, depth 1, the right gas costs. */
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceTransaction\",\"params\":[\"%s\"]}",
        th);
    j = json_loads(call(reg, req), 0, NULL);
    res = json_object_get(j, "result");
    json_t *logs = json_object_get(res, "structLogs");
    CHECK_EQ_U64(json_array_size(logs), 12); /* 6 pushes, GAS, CALL, POP, 2 pushes, RETURN */
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(logs, 0), "op")), "PUSH1");
    CHECK_EQ_INT((int)json_integer_value(json_object_get(json_array_get(logs, 0), "gasCost")), 3);
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(logs, 11), "op")), "RETURN");
    CHECK(json_is_false(json_object_get(res, "failed")));
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(res, "gas")), used1);
    json_decref(j);

    /* A block trace lists both transactions. */
    j = json_loads(call(reg,
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceBlockByNumber\","
                        "\"params\":[\"0x1\",{\"tracer\":\"callTracer\"}]}"),
                   0, NULL);
    res = json_object_get(j, "result");
    CHECK_EQ_U64(json_array_size(res), 2);
    CHECK_STR_EQ(json_string_value(
                     json_object_get(json_object_get(json_array_get(res, 0), "result"), "type")),
                 "CREATE");
    CHECK_STR_EQ(
        json_string_value(json_object_get(json_object_get(json_array_get(res, 0), "result"), "to")),
        caddr);
    json_decref(j);

    /* debug_traceCall on the latest state, and at genesis (no code yet: no inner call). */
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceCall\",\"params\":[{\"to\":\"%s\"},"
        "\"latest\",{\"tracer\":\"callTracer\"}]}",
        caddr);
    CHECK(strstr(call(reg, req), "0x0000000000000000000000000000000000000004"));
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceCall\",\"params\":[{\"to\":\"%s\"},"
        "\"0x0\",{\"tracer\":\"callTracer\"}]}",
        caddr);
    CHECK(!strstr(call(reg, req), "0x0000000000000000000000000000000000000004"));
    /* Unknown tracer and unknown transaction. */
    CHECK(strstr(call(reg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceTransaction\","
                           "\"params\":[\"0x1111111111111111111111111111111111111111111111111111111"
                           "111111111\"]}"),
                 "transaction not found"));
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceTransaction\",\"params\":[\"%s\","
        "{\"tracer\":\"fourByteTracer\"}]}",
        th);
    CHECK(strstr(call(reg, req), "-32602"));

    /* Raw block: decodes to the stored block's hash. */
    j = json_loads(call(reg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_getRawBlock\","
                             "\"params\":[\"0x1\"]}"),
                   0, NULL);
    const char *hex = json_string_value(json_object_get(j, "result"));
    CHECK(hex != NULL);
    buf_t raw;
    buf_init(&raw, 1 << 20);
    CHECK_OK(hex_decode_buf(&raw, hex, strlen(hex)));
    block_t back;
    CHECK_OK(block_decode(&back, buf_view(&raw)));
    hash_t bh;
    CHECK_OK(header_hash(&back.header, &bh));
    CHECK_MEM_EQ(bh.b, 32, hh.b, 32);
    block_deinit(&back);
    buf_deinit(&raw);
    json_decref(j);

    /* eth_getProof: the account proof of the sender verifies against the block's state root
     * and carries its account; the history contract's slot proof verifies against its storage
     * hash (the EIP-2935 call wrote slot 0 = the genesis hash in block 1). */
    static const char *who[] = { "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
                                 "0x0000f90827f1c53a10cb7a02335b175320002935" };
    for (int i = 0; i < 2; i++) {
        snprintf(req, sizeof(req),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getProof\",\"params\":[\"%s\","
                 "[\"0x0\",\"0x5\"],\"latest\"]}",
                 who[i]);
        j = json_loads(call(reg, req), 0, NULL);
        res = json_object_get(j, "result");
        CHECK(res != NULL);
        json_t *ap = json_object_get(res, "accountProof");
        size_t n = json_array_size(ap);
        CHECK(n > 0);
        buf_t nb;
        buf_init(&nb, 1 << 20);
        bview_t nodes[TRIE_PROOF_MAX];
        size_t offs[TRIE_PROOF_MAX + 1];
        for (size_t k = 0; k < n && k < TRIE_PROOF_MAX; k++) {
            const char *hx = json_string_value(json_array_get(ap, k));
            offs[k] = nb.n;
            CHECK_OK(hex_decode_buf(&nb, hx, strlen(hx)));
            offs[k + 1] = nb.n;
        }
        for (size_t k = 0; k < n; k++)
            nodes[k] = bview(nb.p + offs[k], offs[k + 1] - offs[k]);
        addr_t a;
        CHECK_OK(addr_from_hex(&a, who[i], 42));
        uint8_t key[32];
        keccak256(key, a.b, 20);
        buf_t val;
        buf_init(&val, 1024);
        bool found;
        CHECK_OK(trie_verify_proof(&val, &found, &blk.header.state_root, bview(key, 32), nodes, n));
        CHECK(found);
        /* The proven account value holds the reported storage hash. */
        const char *sh = json_string_value(json_object_get(res, "storageHash"));
        hash_t sroot;
        CHECK_OK(hex_decode_fixed(sroot.b, 32, sh, strlen(sh)));
        CHECK(val.n > 64 && memcmp(val.p + val.n - 66 + 1, sroot.b, 32) == 0);
        json_t *sp0 = json_array_get(json_object_get(res, "storageProof"), 0);
        json_t *sprf = json_object_get(sp0, "proof");
        if (i == 1) {
            CHECK(json_array_size(sprf) > 0);
            buf_reset(&nb);
            size_t m = json_array_size(sprf);
            for (size_t k = 0; k < m; k++) {
                const char *hx = json_string_value(json_array_get(sprf, k));
                offs[k] = nb.n;
                CHECK_OK(hex_decode_buf(&nb, hx, strlen(hx)));
                offs[k + 1] = nb.n;
            }
            for (size_t k = 0; k < m; k++)
                nodes[k] = bview(nb.p + offs[k], offs[k + 1] - offs[k]);
            uint8_t zero[32] = { 0 };
            keccak256(key, zero, 32);
            buf_reset(&val);
            CHECK_OK(trie_verify_proof(&val, &found, &sroot, bview(key, 32), nodes, m));
            CHECK(found); /* slot 0 holds the genesis hash */
            CHECK(strcmp(json_string_value(json_object_get(sp0, "value")), "0x0") != 0);
        } else {
            CHECK_STR_EQ(json_string_value(json_object_get(sp0, "value")), "0x0");
        }
        buf_deinit(&val);
        buf_deinit(&nb);
        json_decref(j);
    }
    /* Behind the head: refused with reth's text unless --rpc.eth-proof-window covers it; then
     * the proof is of that block (the genesis state root). */
    static const char old_req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getProof\","
                                  "\"params\":[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",[],"
                                  "\"0x0\"]}";
    CHECK(strstr(call(reg, old_req), "exceeds maximum proof window"));
    ctx.proof_window = 1;
    j = json_loads(call(reg, old_req), 0, NULL);
    res = json_object_get(j, "result");
    CHECK(res != NULL);
    {
        json_t *ap = json_object_get(res, "accountProof");
        CHECK(json_array_size(ap) > 0);
        const char *n0 = json_string_value(json_array_get(ap, 0));
        uint8_t node0[1024];
        size_t rn = (strlen(n0) - 2) / 2;
        CHECK(rn <= sizeof(node0));
        CHECK_OK(hex_decode_fixed(node0, rn, n0 + 2, strlen(n0) - 2));
        hash_t h0 = keccak256_hash(node0, rn), groot;
        CHECK_OK(chain_genesis_state_root(spec, &groot));
        CHECK_MEM_EQ(h0.b, 32, groot.b, 32);
    }
    json_decref(j);
    ctx.proof_window = 0;

    rpc_registry_free(reg);
    block_deinit(&blk);
    chain_receipts_free(&rs);
    header_deinit(&parent);
    tx_deinit(&tx[0]);
    tx_deinit(&tx[1]);
    evm_free(evm);
    devchain_close(&dc);
}
