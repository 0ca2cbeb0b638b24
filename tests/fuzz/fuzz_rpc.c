/* Fuzz the JSON-RPC layer: every registered method with generated parameters, over a real dev
 * database (genesis plus nothing else), and raw bytes as request bodies. Invariants: no crash,
 * and every response is one valid JSON value (an object, or a non-empty array for batches).
 *
 * Input layout: byte 0 selects the mode — even: raw body; odd: a generated request whose method
 * comes from byte 1 and whose parameters are built from the remaining bytes by a small JSON
 * grammar that favours the shapes handlers check (hex quantities of every length, block tags,
 * addresses, hashes, call objects, filter objects, nesting). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/chain.h"
#include "db/db.h"
#include "fuzz.h"
#include "rpc/rpc.h"

static const char *const METHODS[] = {
    "eth_blockNumber",
    "eth_chainId",
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getTransactionByHash",
    "eth_getTransactionReceipt",
    "eth_getBlockReceipts",
    "eth_getLogs",
    "eth_feeHistory",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_call",
    "eth_estimateGas",
    "eth_sendRawTransaction",
    "eth_newFilter",
    "eth_newBlockFilter",
    "eth_getFilterChanges",
    "eth_getFilterLogs",
    "eth_uninstallFilter",
    "eth_subscribe",
    "eth_unsubscribe",
    "eth_getTransactionByBlockNumberAndIndex",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getBlockTransactionCountByNumber",
    "eth_getBlockTransactionCountByHash",
    "net_version",
    "net_listening",
    "net_peerCount",
    "web3_clientVersion",
    "web3_sha3",
    "rpc_modules",
    "txpool_status",
    "rollupNode_status",
    "rollupNode_getBlockSignature",
    "no_suchMethod",
};

typedef struct gen {
    const uint8_t *p;
    size_t n, i;
    char out[4096];
    size_t o;
} gen_t;

static unsigned take(gen_t *g)
{
    return g->i < g->n ? g->p[g->i++] : 0;
}

static void put(gen_t *g, const char *s)
{
    size_t l = strlen(s);
    if (g->o + l < sizeof(g->out) - 1) {
        memcpy(g->out + g->o, s, l);
        g->o += l;
        g->out[g->o] = 0;
    }
}

static void hex(gen_t *g, size_t nbytes, bool odd)
{
    put(g, "\"0x");
    static const char d[] = "0123456789abcdefABCDEF";
    for (size_t k = 0; k < nbytes * 2 + (odd ? 1 : 0); k++) {
        char c[2] = { d[take(g) % 22], 0 };
        put(g, c);
    }
    put(g, "\"");
}

static void value(gen_t *g, int depth)
{
    static const char *const tags[] = {
        "\"latest\"",    "\"pending\"",
        "\"earliest\"",  "\"safe\"",
        "\"finalized\"", "\"0x0\"",
        "\"0x\"",        "\"0x00\"",
        "\"1\"",         "\"0xffffffffffffffffffffffffffffffffff\""
    };
    static const char *const keys[] = { "from",      "to",          "gas",         "gasPrice",
                                        "value",     "data",        "input",       "nonce",
                                        "address",   "topics",      "fromBlock",   "toBlock",
                                        "blockHash", "blockNumber", "maxFeePerGas" };
    unsigned k = take(g) % (depth > 4 ? 9 : 12);
    char num[32];
    switch (k) {
    case 0:
        hex(g, take(g) % 40, take(g) & 1);
        break;
    case 1:
        hex(g, 20, false);
        break;
    case 2:
        hex(g, 32, false);
        break;
    case 3:
        put(g, tags[take(g) % 10]);
        break;
    case 4:
        snprintf(num, sizeof(num), "%d", (int)(take(g) * 7919) - 900000);
        put(g, num);
        break;
    case 5:
        put(g, take(g) & 1 ? "true" : "null");
        break;
    case 6:
        put(g, "1e400");
        break;
    case 7:
        put(g, "\"\\u0000x\"");
        break;
    case 8:
        hex(g, take(g) % 8, false);
        break;
    case 9:
    case 10: {
        put(g, "{");
        unsigned n = take(g) % 5;
        for (unsigned i = 0; i < n; i++) {
            if (i)
                put(g, ",");
            put(g, "\"");
            put(g, keys[take(g) % 15]);
            put(g, "\":");
            value(g, depth + 1);
        }
        put(g, "}");
        break;
    }
    default: {
        put(g, "[");
        unsigned n = take(g) % 5;
        for (unsigned i = 0; i < n; i++) {
            if (i)
                put(g, ",");
            value(g, depth + 1);
        }
        put(g, "]");
    }
    }
}

static rpc_registry_t *reg;
static rpc_ctx_t ctx;
static buf_t out;

static void setup(void)
{
    char dir[] = "/tmp/rn_fuzz_rpc_XXXXXX";
    if (!mkdtemp(dir))
        abort();
    char path[64];
    snprintf(path, sizeof(path), "%s/db", dir);
    db_t *db;
    chain_spec_t *spec;
    db_txn_t *w;
    hash_t g;
    bool written;
    char diag[256];
    if (db_open(&db, path, 1ull << 28, DB_OPEN_NOSYNC, NULL, 0) != ERR_OK ||
        chain_spec_load(&spec, "dev", diag, sizeof(diag)) != ERR_OK ||
        db_txn_begin(db, DB_TXN_WRITE, &w) != ERR_OK ||
        chain_genesis_init(w, spec, &g, &written, diag, sizeof(diag)) != ERR_OK ||
        db_txn_commit(w) != ERR_OK)
        abort();
    chain_spec_free(spec);
    ctx.db = db;
    ctx.chain_id = 1337;
    ctx.ns_enabled = ~0u;
    reg = rpc_registry_new(&ctx);
    ctx.registry = reg;
    rpc_register_all(reg);
    rpc_register_node(reg);
    buf_init(&out, RPC_MAX_RESPONSE_BYTES);
    /* The directory stays for the process lifetime (LMDB has it open); it is small. */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reg)
        setup();
    gen_t g = { .p = data, .n = size };
    const char *body;
    size_t blen;
    if (size == 0 || (data[0] & 1) == 0) {
        body = (const char *)data;
        blen = size;
    } else {
        g.i = 1;
        put(&g, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"");
        put(&g, METHODS[take(&g) % (sizeof(METHODS) / sizeof(METHODS[0]))]);
        put(&g, "\",\"params\":");
        value(&g, 0);
        put(&g, "}");
        body = g.out;
        blen = g.o;
    }
    buf_reset(&out);
    rpc_handle_body(reg, ~0u, body, blen, &out);
    if (out.n) {
        json_error_t err;
        json_t *v = json_loadb((const char *)out.p, out.n, 0, &err);
        if (!v || (!json_is_object(v) && !(json_is_array(v) && json_array_size(v) > 0))) {
            fprintf(stderr, "bad response to %.*s:\n%.*s\n", (int)blen, body, (int)out.n,
                    (const char *)out.p);
            abort();
        }
        json_decref(v);
    }
    return 0;
}
