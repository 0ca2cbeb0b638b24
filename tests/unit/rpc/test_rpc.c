#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "harness.h"
#include "rpc/rpc.h"

static void h_block_number(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    (void)params;
    r->result = json_string("0x2a");
}

static void h_echo(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    if (!params || json_array_size(params) != 1) {
        rpc_reply_error(r, RPC_INVALID_PARAMS, "invalid params: expected 1 argument");
        return;
    }
    r->result = json_deep_copy(json_array_get(params, 0));
}

static void h_revert(void *ctx, const json_t *params, rpc_reply_t *r)
{
    (void)ctx;
    (void)params;
    rpc_reply_error(r, RPC_EXECUTION_REVERTED, "execution reverted");
    r->data = json_string("0x08c379a0");
}

static rpc_registry_t *make_registry(void)
{
    rpc_registry_t *reg = rpc_registry_new(NULL);
    static const rpc_method_t methods[] = {
        { "eth_blockNumber", RPC_NS_ETH, h_block_number },
        { "web3_echo", RPC_NS_WEB3, h_echo },
        { "debug_revert", RPC_NS_DEBUG, h_revert },
    };
    for (size_t i = 0; i < RN_ARRAY_LEN(methods); i++) {
        if (rpc_registry_add(reg, &methods[i]))
            return NULL;
    }
    return reg;
}

static char *call(const rpc_registry_t *reg, uint32_t ns, const char *body)
{
    static char out[8192];
    buf_t b;
    buf_init(&b, 1 << 20);
    rpc_handle_body(reg, ns, body, strlen(body), &b);
    snprintf(out, sizeof(out), "%.*s", (int)b.n, (const char *)b.p);
    buf_deinit(&b);
    return out;
}

#define ALL (RPC_NS_ETH | RPC_NS_WEB3)

TEST(jsonrpc, single_request)
{
    rpc_registry_t *reg = make_registry();
    CHECK_STR_EQ(call(reg, ALL,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],"
                      "\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x2a\"}");
    CHECK_STR_EQ(
        call(reg, ALL, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"id\":\"a\"}"),
        "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":\"0x2a\"}");
    rpc_registry_free(reg);
}

TEST(jsonrpc, errors_have_standard_codes)
{
    rpc_registry_t *reg = make_registry();
    CHECK(strstr(call(reg, ALL, "{\"jsonrpc\":\"2.0\",\"method\""), "\"code\":-32700"));
    CHECK(strstr(call(reg, ALL, "42"), "\"code\":-32600"));
    CHECK(strstr(call(reg, ALL, "{\"method\":\"eth_blockNumber\",\"id\":1}"), "\"code\":-32600"));
    CHECK(strstr(call(reg, ALL, "{\"jsonrpc\":\"2.0\",\"method\":7,\"id\":1}"), "\"code\":-32600"));
    CHECK_STR_EQ(call(reg, ALL, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_nope\",\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"the "
                 "method eth_nope does not exist/is not available\"}}");
    CHECK(strstr(call(reg, ALL,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"web3_echo\",\"params\":[],"
                      "\"id\":1}"),
                 "\"code\":-32602"));
    CHECK(strstr(call(reg, ALL,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"web3_echo\",\"params\":{},"
                      "\"id\":1}"),
                 "\"code\":-32602"));
    rpc_registry_free(reg);
}

TEST(jsonrpc, disabled_namespace_is_method_not_found)
{
    rpc_registry_t *reg = make_registry();
    CHECK(strstr(call(reg, RPC_NS_ETH,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"web3_echo\",\"params\":[1],\"id\":1}"),
                 "\"code\":-32601"));
    CHECK(strstr(call(reg, ALL, "{\"jsonrpc\":\"2.0\",\"method\":\"debug_revert\",\"id\":1}"),
                 "\"code\":-32601"));
    CHECK_STR_EQ(
        call(reg, ALL | RPC_NS_DEBUG, "{\"jsonrpc\":\"2.0\",\"method\":\"debug_revert\",\"id\":1}"),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":3,\"message\":\"execution "
        "reverted\",\"data\":\"0x08c379a0\"}}");
    rpc_registry_free(reg);
}

TEST(jsonrpc, batches_and_notifications)
{
    rpc_registry_t *reg = make_registry();
    CHECK_STR_EQ(call(reg, ALL,
                      "[{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"id\":1},"
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\"},"
                      "{\"jsonrpc\":\"2.0\",\"method\":\"web3_echo\",\"params\":[[1,2]],"
                      "\"id\":2}]"),
                 "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x2a\"},{\"jsonrpc\":\"2.0\",\"id\":"
                 "2,\"result\":[1,2]}]");
    CHECK_STR_EQ(call(reg, ALL, "[{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\"}]"), "");
    CHECK_STR_EQ(call(reg, ALL, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\"}"), "");
    CHECK(strstr(call(reg, ALL, "[]"), "\"code\":-32600"));
    CHECK(strstr(call(reg, ALL, "[1]"), "[{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
                                        "-32600"));
    rpc_registry_free(reg);
}

TEST(jsonrpc, oversized_batch_and_deep_nesting_are_clean_errors)
{
    rpc_registry_t *reg = make_registry();
    buf_t b;
    buf_init(&b, 1 << 24);
    CHECK_OK(buf_push(&b, '['));
    for (int i = 0; i < RPC_MAX_BATCH + 1; i++)
        CHECK_OK(buf_printf(&b, "%s{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"id\":%d}",
                            i ? "," : "", i));
    CHECK_OK(buf_push(&b, ']'));
    CHECK_OK(buf_push(&b, 0));
    CHECK(strstr(call(reg, ALL, (const char *)b.p), "exceeds the limit"));
    buf_reset(&b);
    for (int i = 0; i < 100000; i++)
        CHECK_OK(buf_push(&b, '['));
    CHECK_OK(buf_push(&b, 0));
    CHECK(strstr(call(reg, ALL, (const char *)b.p), "\"code\":-32700"));
    buf_deinit(&b);
    rpc_registry_free(reg);
}

TEST(jsonrpc, namespace_list_parsing)
{
    uint32_t ns;
    char bad[32];
    CHECK_OK(rpc_ns_parse("admin,debug,eth,net,trace,txpool,web3,rpc,reth,ots,flashbots,miner,mev",
                          &ns, bad, sizeof(bad)));
    CHECK_EQ_U64(ns, 0x1fff);
    CHECK_ERR(ERR_INVALID_ARG, rpc_ns_parse("eth,nope", &ns, bad, sizeof(bad)));
    CHECK_STR_EQ(bad, "nope");
}

/* ---- HTTP ---- */

static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Read until `want` responses (counted by "HTTP/1.1 ") and their bodies have arrived, or EOF. */
static size_t read_all(int fd, char *out, size_t cap, int want)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = recv(fd, out + n, cap - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        out[n] = 0;
        int seen = 0;
        const char *p = out;
        size_t complete = 0;
        while ((p = strstr(p, "HTTP/1.1 ")) != NULL) {
            seen++;
            const char *cl = strstr(p, "Content-Length: ");
            const char *he = strstr(p, "\r\n\r\n");
            if (cl && he && (size_t)(he + 4 - out) + (size_t)atoi(cl + 16) <= n)
                complete++;
            p++;
        }
        if ((int)complete >= want && seen >= want)
            break;
    }
    out[n] = 0;
    return n;
}

static const char *REQ =
    "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":7}";

static void send_str(int fd, const char *s)
{
    if (send(fd, s, strlen(s), 0) < 0) {
    }
}

/* REQ as an HTTP/1.1 POST of JSON, into req. */
static void post_req(char *req, size_t n)
{
    snprintf(req, n,
             "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(REQ), REQ);
}

TEST(http, keepalive_pipelining_and_limits)
{
    rpc_registry_t *reg = make_registry();
    rpc_server_config_t cfg = {
        .addr = "127.0.0.1", .port = 0, .ns_enabled = ALL, .cors = "http://a.example", .threads = 2
    };
    rpc_server_t *srv;
    char diag[256];
    CHECK_OK(rpc_server_start(&srv, &cfg, reg, diag, sizeof(diag)));
    uint16_t port = rpc_server_port(srv);
    CHECK(port != 0);

    int fd = dial(port);
    CHECK(fd >= 0);
    char req[1024], resp[16384];
    post_req(req, sizeof(req));
    char two[2048];
    snprintf(two, sizeof(two), "%s%s", req, req);
    send_str(fd, two);
    read_all(fd, resp, sizeof(resp), 2);
    const char *first = strstr(resp, "\"result\":\"0x2a\"");
    CHECK(first && strstr(first + 1, "\"result\":\"0x2a\""));
    CHECK(strstr(resp, "HTTP/1.1 200 OK"));

    /* Wrong content type → 415; GET → 405; CORS preflight echoes the allowed origin. */
    snprintf(req, sizeof(req),
             "POST / HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(REQ), REQ);
    send_str(fd, req);
    read_all(fd, resp, sizeof(resp), 1);
    CHECK(strstr(resp, "HTTP/1.1 415"));
    send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    read_all(fd, resp, sizeof(resp), 1);
    CHECK(strstr(resp, "HTTP/1.1 405"));
    send_str(fd, "OPTIONS / HTTP/1.1\r\nOrigin: http://a.example\r\n\r\n");
    read_all(fd, resp, sizeof(resp), 1);
    CHECK(strstr(resp, "Access-Control-Allow-Origin: http://a.example"));
    send_str(fd, "OPTIONS / HTTP/1.1\r\nOrigin: http://evil.example\r\n\r\n");
    read_all(fd, resp, sizeof(resp), 1);
    CHECK(strstr(resp, "Access-Control-Allow-Origin") == NULL);

    /* Oversized body is refused before it is read, and the connection closes. */
    send_str(fd, "POST / HTTP/1.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: 99999999999\r\n\r\n");
    size_t n = read_all(fd, resp, sizeof(resp), 1);
    CHECK(n > 0 && strstr(resp, "HTTP/1.1 413"));
    close(fd);

    /* Malformed JSON over HTTP: 200 with a JSON-RPC parse error; server keeps serving. */
    fd = dial(port);
    snprintf(req, sizeof(req),
             "POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
             "Connection: close\r\n\r\n{\"a\":");
    send_str(fd, req);
    read_all(fd, resp, sizeof(resp), 1);
    CHECK(strstr(resp, "-32700"));
    CHECK(strstr(resp, "Connection: close"));
    close(fd);

    /* Binding the same port without SO_REUSEPORT sharing from another server fails clearly. */
    rpc_server_stop(srv);
    rpc_registry_free(reg);
}

/* Send one masked client frame. */
static void ws_send_frame(int fd, uint8_t first, const char *payload, size_t n)
{
    uint8_t frame[1024];
    size_t off = 0;
    frame[off++] = first;
    if (n < 126) {
        frame[off++] = (uint8_t)(0x80 | n);
    } else {
        frame[off++] = 0x80 | 126;
        frame[off++] = (uint8_t)(n >> 8);
        frame[off++] = (uint8_t)n;
    }
    const uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
    memcpy(frame + off, mask, 4);
    off += 4;
    for (size_t i = 0; i < n; i++)
        frame[off + i] = (uint8_t)payload[i] ^ mask[i & 3];
    if (send(fd, frame, off + n, 0) < 0) {
    }
}

/* Read one server frame; returns its opcode, payload into out. */
static int ws_read_frame(int fd, char *out, size_t cap, size_t *len)
{
    uint8_t h[2];
    if (recv(fd, h, 2, MSG_WAITALL) != 2)
        return -1;
    size_t n = h[1] & 0x7f;
    if (n == 126) {
        uint8_t e[2];
        if (recv(fd, e, 2, MSG_WAITALL) != 2)
            return -1;
        n = (size_t)e[0] << 8 | e[1];
    }
    if (n >= cap || (n && recv(fd, out, n, MSG_WAITALL) != (ssize_t)n))
        return -1;
    out[n] = 0;
    *len = n;
    return h[0] & 0x0f;
}

/* The kernel spreads connections over the workers' listeners by a hash; the server evens them
 * out: 8 connections on 4 workers are 2 each, whichever listener took them. */
TEST(http, connections_are_spread_evenly_over_the_workers)
{
    rpc_registry_t *reg = make_registry();
    rpc_server_config_t cfg = { .addr = "127.0.0.1", .port = 0, .ns_enabled = ALL, .threads = 4 };
    rpc_server_t *srv;
    char diag[256];
    CHECK_OK(rpc_server_start(&srv, &cfg, reg, diag, sizeof(diag)));
    uint16_t port = rpc_server_port(srv);
    char req[1024], resp[4096];
    post_req(req, sizeof(req));
    int fds[8];
    for (int i = 0; i < 8; i++) { /* each answered: its worker holds it */
        fds[i] = dial(port);
        CHECK(fds[i] >= 0);
        send_str(fds[i], req);
        read_all(fds[i], resp, sizeof(resp), 1);
        CHECK(strstr(resp, "\"result\":\"0x2a\""));
    }
    int per[4] = { 0 };
    CHECK(rpc_server_conn_counts(srv, per, 4) == 4);
    CHECK(per[0] == 2 && per[1] == 2 && per[2] == 2 && per[3] == 2);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    rpc_server_stop(srv);
    rpc_registry_free(reg);
}

TEST(http, websocket_jsonrpc)
{
    rpc_registry_t *reg = make_registry();
    rpc_server_config_t cfg = { .addr = "127.0.0.1", .port = 0, .ns_enabled = ALL, .threads = 1 };
    rpc_server_t *srv;
    char diag[256];
    CHECK_OK(rpc_server_start(&srv, &cfg, reg, diag, sizeof(diag)));
    int fd = dial(rpc_server_port(srv));
    /* RFC 6455 §1.3 example key; accept = base64(sha1(key ‖ GUID)). */
    send_str(fd,
             "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    char buf[4096];
    size_t n = 0;
    while (n < sizeof(buf) - 1) {
        ssize_t r = recv(fd, buf + n, 1, 0);
        if (r <= 0)
            break;
        n++;
        buf[n] = 0;
        if (n >= 4 && !memcmp(buf + n - 4, "\r\n\r\n", 4))
            break;
    }
    CHECK(strstr(buf, "HTTP/1.1 101 Switching Protocols"));
    CHECK(strstr(buf, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    ws_send_frame(fd, 0x81, REQ, strlen(REQ));
    size_t len;
    CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 1);
    CHECK_STR_EQ(buf, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x2a\"}");
    /* A fragmented message: text (no FIN) + continuation (FIN). */
    size_t half = strlen(REQ) / 2;
    ws_send_frame(fd, 0x01, REQ, half);
    ws_send_frame(fd, 0x80, REQ + half, strlen(REQ) - half);
    CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 1);
    CHECK(strstr(buf, "\"result\":\"0x2a\""));
    ws_send_frame(fd, 0x89, "hi", 2);
    CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 0xA);
    CHECK_STR_EQ(buf, "hi");
    ws_send_frame(fd, 0x81, "{oops", 5);
    CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 1);
    CHECK(strstr(buf, "-32700"));
    ws_send_frame(fd, 0x88, "\x03\xe8", 2);
    CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 8);
    close(fd);
    rpc_server_stop(srv);
    rpc_registry_free(reg);
}

TEST(ns, static_namespaces)
{
    rpc_ctx_t ctx = { .chain_id = 1337,
                      .ns_enabled = RPC_NS_ETH | RPC_NS_NET | RPC_NS_WEB3 | RPC_NS_RPC };
    rpc_registry_t *reg = rpc_registry_new(&ctx);
    rpc_register_all(reg);
    uint32_t ns = ctx.ns_enabled;
    CHECK_STR_EQ(call(reg, ns, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x539\"}");
    CHECK_STR_EQ(call(reg, ns, "{\"jsonrpc\":\"2.0\",\"method\":\"net_version\",\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"1337\"}");
    CHECK_STR_EQ(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"web3_sha3\",\"params\":[\"0x68656c6c6f\"],"
                      "\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
                 "\"0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8\"}");
    CHECK(strstr(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"web3_sha3\",\"params\":[\"hello\"],"
                      "\"id\":1}"),
                 "\"code\":-32602"));
    CHECK(strstr(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"web3_sha3\",\"params\":[],"
                      "\"id\":1}"),
                 "expected 1 argument, got 0"));
    CHECK(strstr(call(reg, ns, "{\"jsonrpc\":\"2.0\",\"method\":\"web3_clientVersion\",\"id\":1}"),
                 "rollup-node/v"));
    CHECK_STR_EQ(call(reg, ns, "{\"jsonrpc\":\"2.0\",\"method\":\"rpc_modules\",\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"eth\":\"1.0\",\"net\":\"1.0\","
                 "\"web3\":\"1.0\",\"rpc\":\"1.0\"}}");
    CHECK_STR_EQ(call(reg, ns, "{\"jsonrpc\":\"2.0\",\"method\":\"net_peerCount\",\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x0\"}");
    rpc_registry_free(reg);
}

#include "chain/chain.h"
#include "db/db.h"
#include "devchain.h"

TEST(ns, eth_reads_the_genesis_written_by_init)
{
    devchain_t dc;
    CHECK(devchain_open(&dc, "rn_rpc", 1 << 26, NULL));
    db_t *db = dc.db;
    hash_t genesis = dc.genesis;
    rpc_ctx_t ctx = { .db = db, .chain_id = 1337, .ns_enabled = RPC_NS_ETH };
    rpc_registry_t *reg = rpc_registry_new(&ctx);
    rpc_register_all(reg);
    uint32_t ns = RPC_NS_ETH;
    CHECK_STR_EQ(call(reg, ns, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x0\"}");
    char hex[67], want[128];
    hex_encode_0x(hex, genesis.b, 32);
    snprintf(want, sizeof(want), "\"hash\":\"%s\"", hex);
    const char *blk =
        call(reg, ns,
             "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBlockByNumber\",\"params\":[\"0x0\","
             "false],\"id\":1}");
    CHECK(strstr(blk, want));
    CHECK(strstr(blk, "\"baseFeePerGas\":\"0xef4200\""));
    CHECK(strstr(blk, "\"gasLimit\":\"0x1312d00\""));
    CHECK(strstr(blk, "\"transactions\":[]"));
    char req[256];
    snprintf(req, sizeof(req),
             "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBlockByHash\",\"params\":[\"%s\",true],"
             "\"id\":1}",
             hex);
    CHECK(strstr(call(reg, ns, req), want));
    CHECK_STR_EQ(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBlockByNumber\","
                      "\"params\":[\"0x1\",false],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}");
    CHECK_STR_EQ(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBalance\",\"params\":["
                      "\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"latest\"],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0xd3c21bcecceda1000000\"}");
    CHECK_STR_EQ(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getTransactionCount\","
                      "\"params\":[\"0x0000F90827F1C53a10cb7A02335B175320002935\"],"
                      "\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}");
    CHECK_STR_EQ(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getStorageAt\",\"params\":["
                      "\"0x5300000000000000000000000000000000000002\",\"0x1\",\"latest\"],"
                      "\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
                 "\"0x000000000000000000000000000000000000000000000000000000003758e6b0\"}");
    CHECK(strstr(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getCode\",\"params\":["
                      "\"0x5300000000000000000000000000000000000002\",\"latest\"],\"id\":1}"),
                 "\"result\":\"0x60"));
    CHECK_STR_EQ(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getCode\",\"params\":["
                      "\"0x0000000000000000000000000000000000000001\",\"latest\"],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x\"}");
    CHECK(strstr(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBalance\",\"params\":["
                      "\"0x12\",\"latest\"],\"id\":1}"),
                 "\"code\":-32602"));
    CHECK(strstr(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBalance\",\"params\":["
                      "\"0x0000000000000000000000000000000000000001\",\"0x5\"],\"id\":1}"),
                 "block not found: 0x5"));
    CHECK(strstr(call(reg, ns,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBlockByNumber\","
                      "\"params\":[\"banana\",false],\"id\":1}"),
                 "\"code\":-32602"));
    rpc_registry_free(reg);
    devchain_close(&dc);
}

/* A block with one transaction emitting one log at address 0x11…11 with topic 0xaa…aa. */
static void sample_block(block_t *b, hash_t *hash, chain_receipts_t *rs)
{
    memset(b, 0, sizeof(*b));
    memset(rs, 0, sizeof(*rs));
    b->header.number = 7;
    b->header.has_base_fee = true;
    b->txs = RN_NEWV(tx_t, 1);
    b->ntxs = 1;
    b->txs[0].type = TX_LEGACY;
    b->txs[0].gas_limit = 21000;
    memset(hash->b, 0x77, 32);
    rs->r = RN_NEWV(receipt_t, 1);
    rs->l1_fee = RN_NEWV(u256_t, 1);
    rs->n = 1;
    rs->r[0].logs = RN_NEWV(log_t, 1);
    rs->r[0].nlogs = 1;
    memset(rs->r[0].logs[0].addr.b, 0x11, 20);
    rs->r[0].logs[0].ntopics = 1;
    memset(rs->r[0].logs[0].topics[0].b, 0xaa, 32);
}

static void free_sample(block_t *b, chain_receipts_t *rs)
{
    block_deinit(b);
    chain_receipts_free(rs);
}

TEST(subs, polling_filters_collect_blocks_logs_and_pending_txs)
{
    rpc_ctx_t ctx = { .chain_id = 1337, .ns_enabled = RPC_NS_ETH };
    rpc_registry_t *reg = rpc_registry_new(&ctx);
    ctx.registry = reg;
    rpc_register_node(reg);
    char id_b[64], id_l[64], id_x[64], id_p[64];
    const char *r;
    r = call(reg, RPC_NS_ETH, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_newBlockFilter\",\"id\":1}");
    CHECK(sscanf(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"%63[^\"]", id_b) == 1);
    r = call(reg, RPC_NS_ETH,
             "{\"jsonrpc\":\"2.0\",\"method\":\"eth_newFilter\",\"params\":[{\"address\":"
             "\"0x1111111111111111111111111111111111111111\",\"topics\":[[\"0xaaaaaaaaaaaaaaaaaaa"
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]]}],\"id\":1}");
    CHECK(sscanf(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"%63[^\"]", id_l) == 1);
    /* A filter on another address sees nothing. */
    r = call(reg, RPC_NS_ETH,
             "{\"jsonrpc\":\"2.0\",\"method\":\"eth_newFilter\",\"params\":[{\"address\":["
             "\"0x2222222222222222222222222222222222222222\"]}],\"id\":1}");
    CHECK(sscanf(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"%63[^\"]", id_x) == 1);
    r = call(reg, RPC_NS_ETH,
             "{\"jsonrpc\":\"2.0\",\"method\":\"eth_newPendingTransactionFilter\",\"id\":1}");
    CHECK(sscanf(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"%63[^\"]", id_p) == 1);
    /* Bad criteria are refused by name. */
    r = call(reg, RPC_NS_ETH,
             "{\"jsonrpc\":\"2.0\",\"method\":\"eth_newFilter\",\"params\":[{\"address\":\"0x12\"}"
             "],\"id\":1}");
    CHECK(strstr(r, "-32602") && strstr(r, "address"));

    block_t b;
    hash_t h;
    chain_receipts_t rs;
    sample_block(&b, &h, &rs);
    rpc_publish_block(reg, &b, &h, &rs);
    hash_t ph;
    memset(ph.b, 0x55, 32);
    rpc_publish_pending_tx(reg, &ph);
    free_sample(&b, &rs);

    char req[256];
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getFilterChanges\",\"params\":[\"%s\"],\"id\":1}",
        id_b);
    CHECK(strstr(call(reg, RPC_NS_ETH, req),
                 "\"result\":[\"0x7777777777777777777777777777777777777777777777777777777777777777"
                 "\"]"));
    /* Drained: a second poll is empty. */
    CHECK(strstr(call(reg, RPC_NS_ETH, req), "\"result\":[]"));
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getFilterChanges\",\"params\":[\"%s\"],\"id\":1}",
        id_l);
    r = call(reg, RPC_NS_ETH, req);
    CHECK(strstr(r, "\"address\":\"0x1111111111111111111111111111111111111111\""));
    CHECK(strstr(r, "\"logIndex\":\"0x0\"") && strstr(r, "\"blockNumber\":\"0x7\""));
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getFilterChanges\",\"params\":[\"%s\"],\"id\":1}",
        id_x);
    CHECK(strstr(call(reg, RPC_NS_ETH, req), "\"result\":[]"));
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getFilterChanges\",\"params\":[\"%s\"],\"id\":1}",
        id_p);
    CHECK(strstr(call(reg, RPC_NS_ETH, req), "0x5555555555555555"));
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_uninstallFilter\",\"params\":[\"%s\"],\"id\":1}",
        id_b);
    CHECK(strstr(call(reg, RPC_NS_ETH, req), "\"result\":true"));
    CHECK(strstr(call(reg, RPC_NS_ETH, req), "\"result\":false"));
    snprintf(
        req, sizeof(req),
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getFilterChanges\",\"params\":[\"%s\"],\"id\":1}",
        id_b);
    CHECK(strstr(call(reg, RPC_NS_ETH, req), "filter not found"));
    /* Over HTTP there are no subscriptions. */
    CHECK(strstr(call(reg, RPC_NS_ETH,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"],"
                      "\"id\":1}"),
                 "notifications not supported"));
    rpc_registry_free(reg);
}

TEST(subs, websocket_subscriptions_receive_heads_and_matching_logs)
{
    rpc_ctx_t ctx = { .chain_id = 1337, .ns_enabled = RPC_NS_ETH };
    rpc_registry_t *reg = rpc_registry_new(&ctx);
    ctx.registry = reg;
    rpc_register_node(reg);
    rpc_server_config_t cfg = {
        .addr = "127.0.0.1", .port = 0, .ns_enabled = RPC_NS_ETH, .threads = 2
    };
    rpc_server_t *srv;
    char diag[256];
    CHECK_OK(rpc_server_start(&srv, &cfg, reg, diag, sizeof(diag)));
    int fd = dial(rpc_server_port(srv));
    send_str(fd,
             "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    char buf[8192];
    size_t n = 0;
    while (n < sizeof(buf) - 1 && recv(fd, buf + n, 1, 0) == 1) {
        n++;
        buf[n] = 0;
        if (n >= 4 && !memcmp(buf + n - 4, "\r\n\r\n", 4))
            break;
    }
    CHECK(strstr(buf, "101 Switching Protocols"));
    static const char *subs[] = {
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"],\"id\":1}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscribe\",\"params\":[\"logs\",{\"topics\":[\"0x"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}],\"id\":2}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscribe\",\"params\":[\"logs\",{\"address\":\"0x"
        "3333333333333333333333333333333333333333\"}],\"id\":3}",
    };
    char ids[3][64];
    size_t len;
    for (int i = 0; i < 3; i++) {
        ws_send_frame(fd, 0x81, subs[i], strlen(subs[i]));
        CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 1);
        buf[len] = 0;
        char *p = strstr(buf, "\"result\":\"");
        CHECK(p != NULL);
        CHECK(sscanf(p, "\"result\":\"%63[^\"]", ids[i]) == 1);
    }
    block_t b;
    hash_t h;
    chain_receipts_t rs;
    sample_block(&b, &h, &rs);
    rs.tx_hash = RN_NEWV(hash_t, 1); /* as the builder gives them: used as they are */
    memset(rs.tx_hash[0].b, 0x5e, 32);
    rpc_publish_block(reg, &b, &h, &rs);
    free_sample(&b, &rs);
    /* Two notifications: the head and the matching log (not the third subscription's). */
    bool got_head = false, got_log = false;
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 1);
        buf[len] = 0;
        CHECK(strstr(buf, "\"method\":\"eth_subscription\""));
        if (strstr(buf, ids[0]) && strstr(buf, "\"number\":\"0x7\""))
            got_head = true;
        if (strstr(buf, ids[1]) && strstr(buf, "\"logIndex\":\"0x0\"") &&
            strstr(buf, "\"transactionHash\":\"0x5e5e5e5e"))
            got_log = true;
        CHECK(!strstr(buf, ids[2]));
    }
    CHECK(got_head && got_log);
    /* Unsubscribe, then a new block brings only the log. */
    char req[256];
    snprintf(req, sizeof(req),
             "{\"jsonrpc\":\"2.0\",\"method\":\"eth_unsubscribe\",\"params\":[\"%s\"],\"id\":9}",
             ids[0]);
    ws_send_frame(fd, 0x81, req, strlen(req));
    CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 1);
    buf[len] = 0;
    CHECK(strstr(buf, "\"result\":true"));
    sample_block(&b, &h, &rs);
    rpc_publish_block(reg, &b, &h, &rs);
    free_sample(&b, &rs);
    CHECK_EQ_INT(ws_read_frame(fd, buf, sizeof(buf), &len), 1);
    buf[len] = 0;
    CHECK(strstr(buf, ids[1]) && !strstr(buf, ids[0]));
    close(fd);
    rpc_server_stop(srv);
    rpc_registry_free(reg);
}

/* A pool of one pending legacy transfer, served through rpc_node_ops_t. */
static uint8_t g_pool_raw[256];
static size_t g_pool_len;
static addr_t g_pool_sender;

static uint8_t *fake_pool_raw(void *ud, const hash_t *h, size_t *len)
{
    (void)ud;
    hash_t mine = keccak256_hash(g_pool_raw, g_pool_len);
    if (!hash_eq(&mine, h))
        return NULL;
    uint8_t *p = rn_malloc(g_pool_len);
    memcpy(p, g_pool_raw, g_pool_len);
    *len = g_pool_len;
    return p;
}

static void fake_pool_visit(void *ud, void (*fn)(void *, bview_t, const addr_t *, bool), void *vud)
{
    (void)ud;
    fn(vud, bview(g_pool_raw, g_pool_len), &g_pool_sender, true);
}

TEST(ns, txpool_content_inspect_and_startup_probes)
{
    tx_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.type = TX_LEGACY;
    tx.has_chain_id = true;
    tx.chain_id = u256_from_u64(1337);
    tx.nonce = 3;
    tx.gas_price = u256_from_u64(2000);
    tx.gas_limit = 21000;
    tx.has_to = true;
    memset(tx.to.b, 0x22, 20);
    tx.value = u256_from_u64(5);
    uint8_t sk[32] = { 0 };
    sk[31] = 1;
    CHECK_OK(tx_sign(&tx, sk));
    CHECK_OK(tx_recover_sender(&tx, &g_pool_sender));
    buf_t raw;
    buf_init(&raw, sizeof(g_pool_raw));
    CHECK_OK(tx_encode(&tx, &raw));
    memcpy(g_pool_raw, raw.p, raw.n);
    g_pool_len = raw.n;
    buf_deinit(&raw);
    rpc_node_ops_t ops = { .pool_raw = fake_pool_raw, .pool_visit = fake_pool_visit };
    rpc_ctx_t ctx = { .chain_id = 1337, .ns_enabled = ~0u, .node = &ops };
    rpc_registry_t *reg = rpc_registry_new(&ctx);
    ctx.registry = reg;
    rpc_register_node(reg);
    const char *r = call(reg, ~0u, "{\"jsonrpc\":\"2.0\",\"method\":\"txpool_inspect\",\"id\":1}");
    CHECK(strstr(r, "\"3\":\"0x2222222222222222222222222222222222222222: 5 wei + 21000 gas × "
                    "2000 wei\""));
    CHECK(strstr(r, "\"queued\":{}"));
    r = call(reg, ~0u, "{\"jsonrpc\":\"2.0\",\"method\":\"txpool_content\",\"id\":1}");
    CHECK(strstr(r, "\"blockHash\":null") && strstr(r, "\"nonce\":\"0x3\""));
    r = call(reg, ~0u,
             "{\"jsonrpc\":\"2.0\",\"method\":\"txpool_contentFrom\",\"params\":[\"0x1111111111111"
             "111111111111111111111111111\"],\"id\":1}");
    CHECK(strstr(r, "\"pending\":{}"));
    CHECK(strstr(call(reg, ~0u, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_syncing\",\"id\":1}"),
                 "\"result\":false"));
    CHECK(strstr(call(reg, ~0u, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_accounts\",\"id\":1}"),
                 "\"result\":[]"));
    CHECK(strstr(call(reg, ~0u, "{\"jsonrpc\":\"2.0\",\"method\":\"admin_peers\",\"id\":1}"),
                 "\"result\":[]"));
    CHECK(
        strstr(call(reg, ~0u,
                    "{\"jsonrpc\":\"2.0\",\"method\":\"admin_addPeer\",\"params\":[\"enode://x\"],"
                    "\"id\":1}"),
               "not available"));
    tx_deinit(&tx);
    rpc_registry_free(reg);
}

TEST(http, a_port_in_use_is_refused_even_with_reuseport)
{
    rpc_registry_t *reg = make_registry();
    rpc_server_config_t cfg = { .addr = "127.0.0.1", .port = 0, .ns_enabled = ALL, .threads = 2 };
    rpc_server_t *a, *b = NULL;
    char diag[256];
    CHECK_OK(rpc_server_start(&a, &cfg, reg, diag, sizeof(diag)));
    cfg.port = rpc_server_port(a);
    CHECK_ERR(ERR_IO, rpc_server_start(&b, &cfg, reg, diag, sizeof(diag)));
    CHECK(strstr(diag, "already in use") != NULL);
    rpc_server_stop(a);
    /* Free again: the same port binds. */
    CHECK_OK(rpc_server_start(&b, &cfg, reg, diag, sizeof(diag)));
    rpc_server_stop(b);
    rpc_registry_free(reg);
}
