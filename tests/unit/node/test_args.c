/* Command-line parsing, defaults and validation of `rollup-node node` (args.c, validate.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "node/node.h"
#include "node/node_int.h"
#include "rpc/rpc.h"

static err_t parse(node_config_t *cfg, node_action_t *action, char *diag, size_t dl, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"node";
    va_list ap;
    va_start(ap, dl);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    node_config_init(cfg);
    return node_args_parse(cfg, action, argc, argv, diag, dl);
}

#define PARSE(cfg, ...) parse((cfg), &action, diag, sizeof(diag), __VA_ARGS__, (const char *)NULL)

TEST(args, defaults_match_the_documentation)
{
    node_config_t c;
    node_config_init(&c);
    CHECK_STR_EQ(c.chain_arg, "dev");
    CHECK(!c.test && !c.http && !c.ws && !c.sequencer.enabled && !c.sequencer.auto_start);
    CHECK_STR_EQ(c.http_addr, "127.0.0.1");
    CHECK_EQ_U64(c.http_port, 8545);
    CHECK_EQ_U64(c.http_api, RPC_NS_ETH | RPC_NS_NET | RPC_NS_WEB3);
    CHECK_STR_EQ(c.ws_addr, "127.0.0.1");
    CHECK_EQ_U64(c.ws_port, 8546);
    CHECK_EQ_U64(c.port, 30303);
    CHECK_EQ_U64(c.builder_gaslimit, 20000000);
    CHECK_EQ_U64(c.sequencer.block_time_ms, 1000);
    CHECK_EQ_U64(c.sequencer.payload_building_duration_ms, 800);
    CHECK(!c.sequencer.allow_empty_blocks);
    CHECK_EQ_U64(c.sequencer.fee_recipient.b[0], 0x53);
    CHECK_EQ_U64(c.sequencer.fee_recipient.b[19], 0x05);
    CHECK_EQ_INT(c.sequencer.inclusion.kind, NODE_INCLUSION_FINALIZED);
    CHECK_EQ_U64(c.sequencer.inclusion.depth, 2);
    CHECK(!c.sequencer.max_l1_messages.set);
    CHECK(c.rpc_rollup_node && !c.rpc_rollup_node_admin);
    CHECK(c.network_bridge && c.network_scroll_wire && c.engine_sync_at_startup);
    CHECK_EQ_U64(c.l1.cups, 10000);
    CHECK_EQ_U64(c.l1.max_retries, 10);
    CHECK_EQ_U64(c.l1.initial_backoff_ms, 100);
    CHECK_EQ_U64(c.l1.query_range, 500);
    CHECK_EQ_U64(c.l1.cache_max_items, 100);
    CHECK_EQ_U64(c.l1.liveness_threshold_s, 60);
    CHECK_EQ_U64(c.l1.liveness_check_interval_s, 12);
    CHECK_EQ_U64(c.blob.cups, 10000);
    CHECK_EQ_U64(c.blob.max_retries, 10);
    CHECK_EQ_U64(c.blob.initial_backoff_ms, 100);
    CHECK_EQ_INT(c.consensus, NODE_CONSENSUS_SYSTEM_CONTRACT);
    CHECK_EQ_U64(c.optimistic_sync_trigger, 1000);
    CHECK_EQ_U64(c.chain_buffer_size, 2000);
    CHECK_EQ_U64(c.gpo_default_suggest_priority_fee, 100);
    CHECK(!c.require_l1_data_fee_buffer);
    CHECK_EQ_INT(c.log_format, LOG_FORMAT_TERMINAL);
    CHECK_EQ_INT(c.color, NODE_COLOR_AUTO);
    node_config_deinit(&c);
}

TEST(args, flag_table_is_consistent)
{
    for (size_t i = 0; i < node__nflags; i++) {
        const node_flag_t *f = &node__flags[i];
        CHECK(f->name && f->name[0] && f->help && f->help[0]);
        CHECK(node__flag_by_name(f->name, strlen(f->name)) == f);
        if (f->short_name)
            CHECK(node__flag_by_short(f->short_name) == f);
        CHECK(f->group < NODE_GROUP_COUNT);
    }
    for (int g = 0; g < NODE_GROUP_COUNT; g++) {
        bool any = false;
        for (size_t i = 0; i < node__nflags; i++)
            any |= (int)node__flags[i].group == g;
        CHECK(any);
    }
}

TEST(args, the_guide_dev_command_line)
{
    node_config_t c;
    node_action_t action;
    char diag[NODE_DIAG_MAX];
    CHECK_OK(PARSE(&c, "--chain", "dev", "--datadir", "./data/sequencer", "--test",
                   "--sequencer.enabled", "--sequencer.auto-start", "--sequencer.block-time",
                   "1000", "--http", "--http.addr", "0.0.0.0", "--http.port", "8545", "--http.api",
                   "admin,debug,eth,net,trace,txpool,web3,rpc,reth,ots,flashbots,miner,mev"));
    CHECK_EQ_INT(action, NODE_ACTION_RUN);
    CHECK(c.test && c.sequencer.enabled && c.sequencer.auto_start && c.http);
    CHECK_STR_EQ(c.datadir_arg, "./data/sequencer");
    CHECK_STR_EQ(c.http_addr, "0.0.0.0");
    CHECK_EQ_U64(c.http_api, (1u << 13) - 1);
    CHECK_OK(node_config_validate(&c, diag, sizeof(diag)));
    CHECK_STR_EQ(c.chain->name, "dev");
    CHECK_EQ_U64(c.chain->chain_id, 1337);
    CHECK_STR_EQ(c.datadir, "./data/sequencer");
    CHECK_EQ_INT(c.signer.kind, NODE_SIGNER_NONE);
    CHECK(c.sequencer.max_l1_messages.set);
    CHECK_EQ_U64(c.sequencer.max_l1_messages.v, c.chain->num_l1_messages_per_block);
    node_config_deinit(&c);
}

TEST(args, value_syntaxes)
{
    node_config_t c;
    node_action_t action;
    char diag[NODE_DIAG_MAX];
    CHECK_OK(PARSE(&c, "--http.port=9000", "-d/x", "-vvv", "--engine.sync-at-startup", "false",
                   "--network.bridge=false", "--sequencer.max-l1-messages", "7"));
    CHECK_EQ_U64(c.http_port, 9000);
    CHECK_STR_EQ(c.datadir_arg, "/x");
    CHECK_EQ_U64(c.verbosity, 3);
    CHECK(!c.engine_sync_at_startup && !c.network_bridge);
    CHECK(c.sequencer.max_l1_messages.set);
    CHECK_EQ_U64(c.sequencer.max_l1_messages.v, 7);
    node_config_deinit(&c);

    CHECK_OK(PARSE(&c, "-d", "/y", "-v", "-v", "--engine.sync-at-startup", "--test"));
    CHECK_STR_EQ(c.datadir_arg, "/y");
    CHECK_EQ_U64(c.verbosity, 2);
    CHECK(c.engine_sync_at_startup && c.test);
    node_config_deinit(&c);

    CHECK_OK(PARSE(&c, "-d=/z", "-qv"));
    CHECK_STR_EQ(c.datadir_arg, "/z");
    CHECK(c.quiet);
    CHECK_EQ_U64(c.verbosity, 1);
    node_config_deinit(&c);
}

TEST(args, list_flags_accumulate)
{
    node_config_t c;
    node_action_t action;
    char diag[NODE_DIAG_MAX];
    char id[129];
    memset(id, 'b', 128);
    id[128] = 0;
    char e1[200], e2[400];
    snprintf(e1, sizeof(e1), "enode://%s@10.0.0.1:30303", id);
    snprintf(e2, sizeof(e2), "enode://%s@10.0.0.2:30303, enode://%s@10.0.0.3:30303", id, id);
    CHECK_OK(PARSE(&c, "--bootnodes", e1, "--bootnodes", e2, "--blob.beacon_node_urls",
                   "http://a:5052,http://b:5052"));
    CHECK_EQ_U64(c.bootnodes.n, 3);
    char e3[200];
    snprintf(e3, sizeof(e3), "enode://%s@10.0.0.3:30303", id);
    CHECK_STR_EQ(c.bootnodes.v[2], e3);
    CHECK_EQ_U64(c.blob.beacon_node_urls.n, 2);
    node_config_deinit(&c);
}

static void expect_usage(const char *want, node_config_t *c, err_t e, const char *diag)
{
    if (e != ERR_CLI_USAGE || !strstr(diag, want))
        harness_fail(__FILE__, __LINE__, "want ERR_CLI_USAGE with '%s', got %d '%s'", want, e,
                     diag);
    node_config_deinit(c);
}

TEST(args, usage_errors)
{
    node_config_t c;
    node_action_t action;
    char diag[NODE_DIAG_MAX];
    err_t e = PARSE(&c, "--sequencer.blocktime", "1000");
    expect_usage("unexpected argument '--sequencer.blocktime' found; tip: a similar argument "
                 "exists: '--sequencer.block-time'",
                 &c, e, diag);
    e = PARSE(&c, "--http.port", "1", "--http.port", "2");
    expect_usage("the argument '--http.port <PORT>' cannot be used multiple times", &c, e, diag);
    e = PARSE(&c, "--test", "--test");
    expect_usage("the argument '--test' cannot be used multiple times", &c, e, diag);
    e = PARSE(&c, "--test=true");
    expect_usage("unexpected value 'true' for '--test' found", &c, e, diag);
    e = PARSE(&c, "--http.port");
    expect_usage("a value is required for '--http.port <PORT>'", &c, e, diag);
    e = PARSE(&c, "--datadir", "--test");
    expect_usage("a value is required for '--datadir <DATA_DIR>'", &c, e, diag);
    e = PARSE(&c, "--chain=");
    expect_usage("a value is required for '--chain <CHAIN_OR_PATH>'", &c, e, diag);
    e = PARSE(&c, "extra");
    expect_usage("unexpected argument 'extra' found", &c, e, diag);
    e = PARSE(&c, "--", "--test");
    expect_usage("unexpected argument '--test' found", &c, e, diag);
    e = PARSE(&c, "-x");
    expect_usage("unexpected argument '-x' found", &c, e, diag);
    e = PARSE(&c, "--sequencer.l1-inclusion-mode", "latest");
    expect_usage("invalid value 'latest' for '--sequencer.l1-inclusion-mode <MODE>': valid forms "
                 "are finalized:N",
                 &c, e, diag);
    e = PARSE(&c, "--sequencer.fee-recipient", "0x1234");
    expect_usage("invalid value '0x1234' for '--sequencer.fee-recipient <ADDRESS>'", &c, e, diag);
    e = PARSE(&c, "--http.port", "65536");
    expect_usage("invalid value '65536' for '--http.port <PORT>'", &c, e, diag);
    e = PARSE(&c, "--rpc.rollup-node", "yes");
    expect_usage("invalid value 'yes' for '--rpc.rollup-node <BOOL>': expected true or false", &c,
                 e, diag);
    e = PARSE(&c, "--consensus.algorithm", "poa");
    expect_usage("possible values: system-contract, noop", &c, e, diag);
    e = PARSE(&c, "--l1.url", "localhost:8545");
    expect_usage("invalid value 'localhost:8545' for '--l1.url <URL>'", &c, e, diag);
    e = PARSE(&c, "--log.stdout.filter", "rollup=loud");
    expect_usage("unknown level 'loud'", &c, e, diag);
    e = PARSE(&c, "--signer.aws-kms-key-id", "my-key");
    expect_usage("invalid value 'my-key' for '--signer.aws-kms-key-id <ARN>'", &c, e, diag);
    e = PARSE(&c, "--l1.max-retries", "4294967296");
    expect_usage("number too large", &c, e, diag);
}

TEST(args, help_and_version_actions)
{
    node_config_t c;
    node_action_t action;
    char diag[NODE_DIAG_MAX];
    CHECK_OK(PARSE(&c, "--help"));
    CHECK_EQ_INT(action, NODE_ACTION_HELP);
    node_config_deinit(&c);
    CHECK_OK(PARSE(&c, "--test", "-h", "--no-such-flag"));
    CHECK_EQ_INT(action, NODE_ACTION_HELP);
    node_config_deinit(&c);
    CHECK_OK(PARSE(&c, "-V"));
    CHECK_EQ_INT(action, NODE_ACTION_VERSION);
    node_config_deinit(&c);
}

TEST(args, help_lists_every_flag_with_defaults)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    node_help_write(f);
    fclose(f);
    for (size_t i = 0; i < node__nflags; i++) {
        char want[96];
        snprintf(want, sizeof(want), "--%s", node__flags[i].name);
        if (!strstr(text, want))
            harness_fail(__FILE__, __LINE__, "help lacks %s", want);
    }
    CHECK(strstr(text, "      --sequencer.block-time <MS>\n          Time between blocks in "
                       "milliseconds [default: 1000]\n") != NULL);
    CHECK(strstr(text, "[default: finalized:2]") != NULL);
    CHECK(strstr(text, "[default: 0x5300000000000000000000000000000000000005]") != NULL);
    CHECK(strstr(text, "  -d, --datadir <DATA_DIR>") != NULL);
    CHECK(strstr(text, "\nSequencer:\n") != NULL && strstr(text, "\nL1 provider:\n") != NULL);
    free(text);
}

static err_t validate(node_config_t *c, char *diag, size_t dl, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"node";
    for (; *args && argc < 31; args++)
        argv[argc++] = (char *)*args;
    node_action_t action;
    node_config_init(c);
    TRY(node_args_parse(c, &action, argc, argv, diag, dl));
    return node_config_validate(c, diag, dl);
}

static void expect_invalid(err_t want, const char *text, const char *const *args)
{
    node_config_t c;
    char diag[NODE_DIAG_MAX] = "";
    err_t e = validate(&c, diag, sizeof(diag), args);
    if (e != want || !strstr(diag, text))
        harness_fail(__FILE__, __LINE__, "want %d with '%s', got %d '%s'", want, text, e, diag);
    node_config_deinit(&c);
}

static void expect_valid(const char *const *args)
{
    node_config_t c;
    char diag[NODE_DIAG_MAX] = "";
    err_t e = validate(&c, diag, sizeof(diag), args);
    if (e != ERR_OK)
        harness_fail(__FILE__, __LINE__, "want OK, got %d '%s'", e, diag);
    node_config_deinit(&c);
}

TEST(validate, signer_and_consensus_rules)
{
    static const char *const no_signer[] = { "--sequencer.enabled", "--l1.url", "http://l1:8545",
                                             NULL };
    expect_invalid(ERR_CONFIG_INVALID,
                   "Either signer key file or AWS KMS key ID is required when sequencer is enabled",
                   no_signer);
    static const char *const two[] = { "--signer.key-file", "/k",     "--signer.aws-kms-key-id",
                                       "alias/x",           "--test", NULL };
    expect_invalid(ERR_CONFIG_INVALID, "cannot specify more than one signer key source", two);
    static const char *const no_l1[] = { "--chain", "scroll-sepolia", NULL };
    expect_invalid(ERR_CONFIG_INVALID,
                   "System contract consensus requires either an authorized signer", no_l1);
    static const char *const test_mode[] = { "--sequencer.enabled", "--test", NULL };
    expect_valid(test_mode);
    static const char *const noop[] = { "--sequencer.enabled", "--consensus.algorithm", "noop",
                                        NULL };
    expect_valid(noop);
    static const char *const static_signer[] = { "--consensus.authorized-signer",
                                                 "0x687E0E85AD67ff71aC134CF61b65905b58Ab43b2",
                                                 NULL };
    expect_valid(static_signer);
    static const char *const kms[] = { "--chain",
                                       "scroll-mainnet",
                                       "--l1.url",
                                       "https://l1.example",
                                       "--sequencer.enabled",
                                       "--signer.aws-kms-key-id",
                                       "arn:aws:kms:us-west-2:123456789012:key/YOUR-KEY-ID",
                                       NULL };
    expect_valid(kms);
    static const char *const missing_key[] = { "--test", "--signer.key-file",
                                               "/nonexistent/sequencer.key", NULL };
    expect_invalid(ERR_KEYFILE_INVALID, "cannot read signer key file /nonexistent/sequencer.key",
                   missing_key);
}

TEST(validate, chains)
{
    static const char *const typo[] = { "--test", "--chain", "scroll-mainet", NULL };
    expect_invalid(ERR_CONFIG_INVALID,
                   "unknown chain 'scroll-mainet': expected dev, scroll-mainnet, scroll-sepolia or "
                   "the path of a readable genesis JSON file; tip: a similar chain exists: "
                   "'scroll-mainnet'",
                   typo);
    static const char *const missing[] = { "--test", "--chain", "/nonexistent/genesis.json", NULL };
    expect_invalid(ERR_CONFIG_INVALID, "unknown chain '/nonexistent/genesis.json'", missing);

    char tmpl[] = "/tmp/rn-test-genesis-XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    CHECK(write(fd, "{not json", 9) == 9);
    close(fd);
    static const char *bad[] = { "--test", "--chain", NULL, NULL };
    bad[2] = tmpl;
    expect_invalid(ERR_CONFIG_INVALID, "invalid chain genesis file", bad);
    unlink(tmpl);

    /* A custom genesis from the shared fixtures: its datadir is named by chain id. */
    const char *gen = test_shared_path("fixtures/scroll/genesis/l2reth-genesis-e2e.json");
    node_config_t c;
    char diag[NODE_DIAG_MAX];
    static const char *custom[] = { "--test", "--chain", NULL, NULL };
    custom[2] = gen;
    setenv("XDG_DATA_HOME", "/xdg", 1);
    CHECK_OK(validate(&c, diag, sizeof(diag), custom));
    char want[64];
    snprintf(want, sizeof(want), "/xdg/rollup-node/%" PRIu64, c.chain->chain_id);
    CHECK_STR_EQ(c.datadir, want);
    node_config_deinit(&c);
    unsetenv("XDG_DATA_HOME");
}

TEST(validate, default_datadir)
{
    node_config_t c;
    char diag[NODE_DIAG_MAX];
    static const char *const args[] = { "--test", "--chain", "scroll-sepolia", NULL };
    char *home0 = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("XDG_DATA_HOME", "/data/xdg", 1);
    CHECK_OK(validate(&c, diag, sizeof(diag), args));
    CHECK_STR_EQ(c.datadir, "/data/xdg/rollup-node/scroll-sepolia");
    node_config_deinit(&c);
    /* A relative XDG_DATA_HOME is ignored (XDG base directory spec). */
    setenv("XDG_DATA_HOME", "relative", 1);
    setenv("HOME", "/home/op", 1);
    CHECK_OK(validate(&c, diag, sizeof(diag), args));
    CHECK_STR_EQ(c.datadir, "/home/op/.local/share/rollup-node/scroll-sepolia");
    node_config_deinit(&c);
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    CHECK_ERR(ERR_CONFIG_INVALID, validate(&c, diag, sizeof(diag), args));
    node_config_deinit(&c);
    if (home0)
        setenv("HOME", home0, 1);
    free(home0);
    CHECK(strstr(diag, "--datadir") != NULL);
}

TEST(validate, payload_longer_than_block_is_a_warning)
{
    node_config_t c;
    char diag[NODE_DIAG_MAX];
    static const char *const args[] = { "--test", "--sequencer.enabled", "--sequencer.block-time",
                                        "500", NULL };
    CHECK_OK(validate(&c, diag, sizeof(diag), args));
    CHECK(c.warn_payload_exceeds_block);
    node_config_deinit(&c);
    static const char *const ok[] = { "--test", "--sequencer.enabled", NULL };
    CHECK_OK(validate(&c, diag, sizeof(diag), ok));
    CHECK(!c.warn_payload_exceeds_block);
    node_config_deinit(&c);
}
