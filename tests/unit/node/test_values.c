/* Pure value parsers of the node's flags (src/node/values.c). */
#include <string.h>

#include "harness.h"
#include "node/node_int.h"
#include "rpc/rpc.h"

TEST(values, bool_accepts_true_false_only)
{
    bool b = false;
    CHECK_OK(node__parse_bool("true", &b, NULL, 0));
    CHECK(b);
    CHECK_OK(node__parse_bool("false", &b, NULL, 0));
    CHECK(!b);
    char why[128];
    CHECK_ERR(ERR_INVALID_ARG, node__parse_bool("yes", &b, why, sizeof(why)));
    CHECK(strstr(why, "true or false") != NULL);
    CHECK_ERR(ERR_INVALID_ARG, node__parse_bool("True", &b, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_bool("", &b, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_bool("1", &b, NULL, 0));
}

TEST(values, u64_decimal_with_bounds)
{
    uint64_t v = 7;
    CHECK_OK(node__parse_u64("0", UINT64_MAX, &v, NULL, 0));
    CHECK_EQ_U64(v, 0);
    CHECK_OK(node__parse_u64("18446744073709551615", UINT64_MAX, &v, NULL, 0));
    CHECK_EQ_U64(v, UINT64_MAX);
    CHECK_ERR(ERR_NUM_OVERFLOW, node__parse_u64("18446744073709551616", UINT64_MAX, &v, NULL, 0));
    CHECK_ERR(ERR_NUM_OVERFLOW, node__parse_u64("65536", 65535, &v, NULL, 0));
    CHECK_OK(node__parse_u64("65535", 65535, &v, NULL, 0));
    CHECK_EQ_U64(v, 65535);
    CHECK_ERR(ERR_NUM_INVALID, node__parse_u64("12a", UINT64_MAX, &v, NULL, 0));
    CHECK_ERR(ERR_NUM_INVALID, node__parse_u64("", UINT64_MAX, &v, NULL, 0));
    CHECK_ERR(ERR_NUM_INVALID, node__parse_u64("-1", UINT64_MAX, &v, NULL, 0));
    CHECK_ERR(ERR_NUM_INVALID, node__parse_u64(" 1", UINT64_MAX, &v, NULL, 0));
    CHECK_ERR(ERR_NUM_INVALID, node__parse_u64("0x10", UINT64_MAX, &v, NULL, 0));
}

TEST(values, durations)
{
    uint64_t v = 0;
    CHECK_OK(node__parse_ms("1000", &v, NULL, 0));
    CHECK_EQ_U64(v, 1000);
    CHECK_OK(node__parse_ms("250ms", &v, NULL, 0));
    CHECK_EQ_U64(v, 250);
    CHECK_OK(node__parse_ms("2s", &v, NULL, 0));
    CHECK_EQ_U64(v, 2000);
    char why[128];
    CHECK_ERR(ERR_NUM_INVALID, node__parse_ms("1.5s", &v, why, sizeof(why)));
    CHECK(strstr(why, "milliseconds") != NULL);
    CHECK_ERR(ERR_NUM_INVALID, node__parse_ms("ms", &v, NULL, 0));
    CHECK_ERR(ERR_NUM_INVALID, node__parse_ms("abc", &v, NULL, 0));
    CHECK_ERR(ERR_NUM_OVERFLOW, node__parse_ms("18446744073709552s", &v, NULL, 0));
    CHECK_OK(node__parse_secs("60", &v, NULL, 0));
    CHECK_EQ_U64(v, 60);
    CHECK_OK(node__parse_secs("12s", &v, NULL, 0));
    CHECK_EQ_U64(v, 12);
    CHECK_ERR(ERR_NUM_INVALID, node__parse_secs("1m", &v, NULL, 0));
}

TEST(values, address_forms_and_checksum)
{
    addr_t a;
    CHECK_OK(node__parse_address("0x5300000000000000000000000000000000000005", &a, NULL, 0));
    CHECK_EQ_U64(a.b[0], 0x53);
    CHECK_EQ_U64(a.b[19], 0x05);
    CHECK_OK(node__parse_address("5300000000000000000000000000000000000005", &a, NULL, 0));
    /* EIP-55 checksummed address of secret key 1. */
    CHECK_OK(node__parse_address("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", &a, NULL, 0));
    CHECK_OK(node__parse_address("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf", &a, NULL, 0));
    CHECK_OK(node__parse_address("0x7E5F4552091A69125D5DFCB7B8C2659029395BDF", &a, NULL, 0));
    char why[256];
    /* One letter's case flipped: a mixed-case address with a bad checksum. */
    CHECK_ERR(ERR_INVALID_ARG, node__parse_address("0x7e5F4552091A69125d5DfCb7b8C2659029395Bdf", &a,
                                                   why, sizeof(why)));
    CHECK(strstr(why, "checksum") != NULL);
    CHECK_ERR(ERR_INVALID_ARG, node__parse_address("0x530000000000000000000000000000000000005", &a,
                                                   why, sizeof(why)));
    CHECK(strstr(why, "40 hex digits") != NULL);
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_address("0x53000000000000000000000000000000000000g5", &a, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_address("", &a, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_address("0x", &a, NULL, 0));
}

TEST(values, inclusion_modes)
{
    node_inclusion_mode_t m;
    CHECK_OK(node__parse_inclusion_mode("finalized:2", &m, NULL, 0));
    CHECK_EQ_INT(m.kind, NODE_INCLUSION_FINALIZED);
    CHECK_EQ_U64(m.depth, 2);
    CHECK_OK(node__parse_inclusion_mode("depth:10", &m, NULL, 0));
    CHECK_EQ_INT(m.kind, NODE_INCLUSION_DEPTH);
    CHECK_EQ_U64(m.depth, 10);
    CHECK_OK(node__parse_inclusion_mode("depth:0", &m, NULL, 0));
    CHECK_EQ_U64(m.depth, 0);
    CHECK_OK(node__parse_inclusion_mode("finalized", &m, NULL, 0));
    CHECK_EQ_INT(m.kind, NODE_INCLUSION_FINALIZED);
    CHECK_EQ_U64(m.depth, 0);
    CHECK_OK(node__parse_inclusion_mode("depth:18446744073709551615", &m, NULL, 0));
    CHECK_EQ_U64(m.depth, UINT64_MAX);
    char why[256];
    CHECK_ERR(ERR_INVALID_ARG, node__parse_inclusion_mode("latest", &m, why, sizeof(why)));
    CHECK(strstr(why, "finalized:N") != NULL && strstr(why, "depth:N") != NULL);
    CHECK_ERR(ERR_INVALID_ARG, node__parse_inclusion_mode("finalized:", &m, why, sizeof(why)));
    CHECK(strstr(why, "finalized:N") != NULL);
    CHECK_ERR(ERR_INVALID_ARG, node__parse_inclusion_mode("depth:-1", &m, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_inclusion_mode("depth:1x", &m, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_inclusion_mode("depth:18446744073709551616", &m, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_inclusion_mode("Depth:3", &m, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_inclusion_mode("", &m, NULL, 0));
}

TEST(values, urls)
{
    CHECK_OK(node__parse_url("https://eth-mainnet.g.alchemy.com/v2/YOUR_API_KEY", NODE_URL_HTTP,
                             NULL, 0));
    CHECK_OK(node__parse_url("https://scroll-mainnet-blob-data.s3.us-west-2.amazonaws.com/",
                             NODE_URL_HTTP, NULL, 0));
    CHECK_OK(node__parse_url("http://localhost:8545", NODE_URL_HTTP, NULL, 0));
    CHECK_OK(node__parse_url("http://[::1]:8545/x?y=1#z", NODE_URL_HTTP, NULL, 0));
    CHECK_OK(node__parse_url("HTTPS://user:pw@host.example", NODE_URL_HTTP, NULL, 0));
    CHECK_OK(node__parse_url("wss://seq.example/ws", NODE_URL_HTTP | NODE_URL_WS, NULL, 0));
    char why[256];
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_url("wss://seq.example", NODE_URL_HTTP, why, sizeof(why)));
    CHECK(strstr(why, "scheme") != NULL);
    CHECK_ERR(ERR_INVALID_ARG, node__parse_url("ftp://x", NODE_URL_HTTP, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_url("localhost:8545", NODE_URL_HTTP, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_url("http://", NODE_URL_HTTP, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_url("http://host:99999", NODE_URL_HTTP, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_url("http://host:", NODE_URL_HTTP, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_url("http://a b", NODE_URL_HTTP, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_url("http://h/p q", NODE_URL_HTTP, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_url("http://[zz]:1", NODE_URL_HTTP, NULL, 0));
}

TEST(values, api_lists)
{
    uint32_t m = 0;
    CHECK_OK(node__parse_api_list("admin,debug,eth,net,trace,txpool,web3,rpc,reth,ots,flashbots,"
                                  "miner,mev",
                                  &m, NULL, 0));
    CHECK_EQ_U64(m, (1u << 13) - 1);
    CHECK_OK(node__parse_api_list("eth,net,web3,debug,trace", &m, NULL, 0));
    CHECK_EQ_U64(m, RPC_NS_ETH | RPC_NS_NET | RPC_NS_WEB3 | RPC_NS_DEBUG | RPC_NS_TRACE);
    CHECK_OK(node__parse_api_list("all", &m, NULL, 0));
    CHECK_EQ_U64(m, (1u << 13) - 1);
    CHECK_OK(node__parse_api_list("none", &m, NULL, 0));
    CHECK_EQ_U64(m, 0);
    char why[512];
    CHECK_ERR(ERR_INVALID_ARG, node__parse_api_list("eth,foo", &m, why, sizeof(why)));
    CHECK(strstr(why, "'foo'") != NULL);
    CHECK(strstr(why, "admin") != NULL && strstr(why, "mev") != NULL);
}

TEST(values, aws_kms_key_ids)
{
    CHECK_OK(node__parse_kms_key_id(
        "arn:aws:kms:us-west-2:123456789012:key/12345678-1234-1234-1234-123456789012", NULL, 0));
    CHECK_OK(node__parse_kms_key_id("arn:aws:kms:us-west-2:123456789012:key/YOUR-KEY-ID", NULL, 0));
    CHECK_OK(node__parse_kms_key_id("arn:aws:kms:us-west-2:123456789012:alias/sequencer", NULL, 0));
    CHECK_OK(node__parse_kms_key_id("arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/"
                                    "mrk-1234abcd12ab34cd56ef1234567890ab",
                                    NULL, 0));
    CHECK_OK(node__parse_kms_key_id("12345678-1234-1234-1234-123456789012", NULL, 0));
    CHECK_OK(node__parse_kms_key_id("mrk-1234abcd12ab34cd56ef1234567890ab", NULL, 0));
    CHECK_OK(node__parse_kms_key_id("alias/scroll/sequencer_1", NULL, 0));
    char why[256];
    CHECK_ERR(ERR_INVALID_ARG, node__parse_kms_key_id("hello", why, sizeof(why)));
    CHECK(strstr(why, "arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID") != NULL);
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_kms_key_id("arn:aws:s3:us-west-2:123456789012:key/x", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_kms_key_id("arn:aws:kms:us-west-2:1234:key/abc", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_kms_key_id("arn:aws:kms::123456789012:key/abc", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_kms_key_id("arn:aws:kms:us-west-2:123456789012:key/", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_kms_key_id("arn:aws:kms:us-west-2:123456789012:key/a:b", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_kms_key_id("key/abc", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG,
              node__parse_kms_key_id("12345678-1234-1234-1234-12345678901", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_kms_key_id("alias/", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_kms_key_id("", NULL, 0));
}

TEST(values, ip_sockaddr_enode)
{
    const char *c = NULL;
    CHECK_OK(node__parse_ip("0.0.0.0", &c, NULL, 0));
    CHECK_STR_EQ(c, "0.0.0.0");
    CHECK_OK(node__parse_ip("::1", &c, NULL, 0));
    CHECK_OK(node__parse_ip("localhost", &c, NULL, 0));
    CHECK_STR_EQ(c, "127.0.0.1");
    CHECK_ERR(ERR_INVALID_ARG, node__parse_ip("256.0.0.1", &c, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_ip("example.com", &c, NULL, 0));

    CHECK_OK(node__parse_sockaddr("127.0.0.1:9001", NULL, 0));
    CHECK_OK(node__parse_sockaddr("[::1]:9001", NULL, 0));
    CHECK_OK(node__parse_sockaddr("localhost:9001", NULL, 0));
    CHECK_OK(node__parse_sockaddr(":9001", NULL, 0));
    CHECK_OK(node__parse_sockaddr("9001", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_sockaddr("127.0.0.1", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_sockaddr("127.0.0.1:70000", NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_sockaddr("[::1]9001", NULL, 0));

    char id[129];
    memset(id, 'a', 128);
    id[128] = 0;
    char e[256];
    snprintf(e, sizeof(e), "enode://%s@10.0.0.1:30303", id);
    CHECK_OK(node__parse_enode(e, NULL, 0));
    snprintf(e, sizeof(e), "enode://%s@boot.example.org:30303?discport=30301", id);
    CHECK_OK(node__parse_enode(e, NULL, 0));
    snprintf(e, sizeof(e), "enode://%s@10.0.0.1", id);
    CHECK_ERR(ERR_INVALID_ARG, node__parse_enode(e, NULL, 0));
    snprintf(e, sizeof(e), "enode://%.127s@10.0.0.1:30303", id);
    CHECK_ERR(ERR_INVALID_ARG, node__parse_enode(e, NULL, 0));
    CHECK_ERR(ERR_INVALID_ARG, node__parse_enode("enode://@:1", NULL, 0));
}

TEST(suggest, jaro_reference_values)
{
    /* Classic examples of the Jaro metric. */
    double d = node__jaro("MARTHA", 6, "MARHTA", 6);
    CHECK(d > 0.9444 && d < 0.9445);
    d = node__jaro("DIXON", 5, "DICKSONX", 8);
    CHECK(d > 0.7666 && d < 0.7667);
    CHECK(node__jaro("", 0, "", 0) == 1.0);
    CHECK(node__jaro("abc", 3, "", 0) == 0.0);
    CHECK(node__jaro("abc", 3, "xyz", 3) == 0.0);
    CHECK(node__jaro("same", 4, "same", 4) == 1.0);
}

TEST(suggest, similar_flags)
{
    const char *s = node__suggest_flag("sequencer.blocktime", strlen("sequencer.blocktime"));
    CHECK_STR_EQ(s, "sequencer.block-time");
    s = node__suggest_flag("http.prot", strlen("http.prot"));
    CHECK_STR_EQ(s, "http.port");
    s = node__suggest_flag("signer.keyfile", strlen("signer.keyfile"));
    CHECK_STR_EQ(s, "signer.key-file");
    CHECK(node__suggest_flag("zzzzzzzz", 8) == NULL);
    static const char *const chains[] = { "dev", "scroll-mainnet", "scroll-sepolia" };
    CHECK_STR_EQ(node__suggest("scroll-mainet", 13, chains, 3), "scroll-mainnet");
    CHECK(node__suggest("mainnet-ethereum", 16, chains, 3) == NULL);
}
