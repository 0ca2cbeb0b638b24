/* The flags of `rollup-node node`: one table, the single source of truth for names, short
 * aliases, value names, defaults (parsed by node_config_init, so the help cannot disagree with
 * the code), help text and grouping. Sources: ROLLUP-NODE.md §1, the user's guide, and reth's
 * conventions for node-wide flags. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "node/node.h"
#include "node/node_int.h"

#define OFF(field) offsetof(node_config_t, field)

/* clang-format off */
const char *const node__group_names[NODE_GROUP_COUNT] = {
    [NODE_GROUP_OPTIONS]    = "Options",
    [NODE_GROUP_NODE]       = "Node",
    [NODE_GROUP_DATADIR]    = "Datadir",
    [NODE_GROUP_NETWORKING] = "Networking",
    [NODE_GROUP_RPC]        = "RPC (HTTP/WS)",
    [NODE_GROUP_BUILDER]    = "Builder",
    [NODE_GROUP_SEQUENCER]  = "Sequencer",
    [NODE_GROUP_SIGNER]     = "Signer (mutually exclusive: choose one)",
    [NODE_GROUP_L1]         = "L1 provider",
    [NODE_GROUP_BLOB]       = "Blob provider",
    [NODE_GROUP_CONSENSUS]  = "Consensus",
    [NODE_GROUP_ENGINE]     = "Chain orchestrator and engine",
    [NODE_GROUP_GPO]        = "Gas price oracle and pool",
    [NODE_GROUP_LOGGING]    = "Logging",
    [NODE_GROUP_DISPLAY]    = "Display",
};

#define G(g) NODE_GROUP_##g
#define K(k) NODE_KIND_##k

const node_flag_t node__flags[] = {
    /* name, short, value name, default, help, group, kind, field, flags */
    { "help", 'h', NULL, NULL, "Print help", G(OPTIONS), K(HELP), 0, 0 },
    { "version", 'V', NULL, NULL, "Print version", G(OPTIONS), K(VERSION), 0, 0 },
    { "check-config", 0, NULL, NULL,
      "Validate the configuration (flags, chain, signer key file), print a one-line summary and "
      "exit 0 without starting the node or touching the datadir",
      G(OPTIONS), K(SWITCH), OFF(check_config), 0 },

    { "chain", 0, "CHAIN_OR_PATH", "dev",
      "The chain this node is running: dev, scroll-mainnet, scroll-sepolia, or the path of a "
      "genesis JSON file",
      G(NODE), K(STRING), OFF(chain_arg), 0 },
    { "test", 0, NULL, NULL,
      "Test mode: no signer is required and signatures are not checked. Development only, never "
      "in production",
      G(NODE), K(SWITCH), OFF(test), 0 },
    { "metrics", 0, "ADDR:PORT", NULL,
      "Serve Prometheus metrics at this address and port (e.g. 127.0.0.1:9001)",
      G(NODE), K(SOCKADDR), OFF(metrics), 0 },

    { "datadir", 'd', "DATA_DIR",
      "$XDG_DATA_HOME/rollup-node/<CHAIN> or $HOME/.local/share/rollup-node/<CHAIN>",
      "The path to the data dir for all rollup-node files and subdirectories",
      G(DATADIR), K(PATH), OFF(datadir_arg), NODE_FLAG_DOC_DEFAULT },
    { "rollup-node-db.path", 0, "DB_PATH", "<DATA_DIR>/db",
      "The database path for the rollup node's own bookkeeping",
      G(DATADIR), K(PATH), OFF(rollup_node_db_path), NODE_FLAG_DOC_DEFAULT },

    { "port", 0, "PORT", "30303", "Network listening port (TCP and UDP)",
      G(NETWORKING), K(PORT), OFF(port), 0 },
    { "bootnodes", 0, "BOOTNODES", NULL,
      "Comma separated enode URLs for P2P discovery bootstrap",
      G(NETWORKING), K(ENODE_LIST), OFF(bootnodes), NODE_FLAG_MULTIPLE },
    { "trusted-peers", 0, "TRUSTED_PEERS", NULL,
      "Comma separated enode URLs of trusted peers for P2P connections",
      G(NETWORKING), K(ENODE_LIST), OFF(trusted_peers), NODE_FLAG_MULTIPLE },
    { "network.bridge", 0, "BOOL", "true",
      "Bridge new blocks from the eth-wire protocol to the scroll-wire protocol",
      G(NETWORKING), K(BOOL), OFF(network_bridge), 0 },
    { "network.scroll-wire", 0, "BOOL", "true", "Enable the scroll-wire protocol",
      G(NETWORKING), K(BOOL), OFF(network_scroll_wire), 0 },
    { "network.sequencer-url", 0, "URL", NULL,
      "URL of the sequencer's RPC to forward transactions to (http(s) or ws(s))",
      G(NETWORKING), K(URL_HTTP_WS), OFF(network_sequencer_url), 0 },
    { "network.valid_signer", 0, "ADDRESS", NULL,
      "The signer address accepted for blocks received from the network",
      G(NETWORKING), K(OPT_ADDR), OFF(network_valid_signer), 0 },

    { "http", 0, NULL, NULL, "Enable the HTTP-RPC server", G(RPC), K(SWITCH), OFF(http), 0 },
    { "http.addr", 0, "HTTP_ADDR", "127.0.0.1", "Http server address to listen on",
      G(RPC), K(IP), OFF(http_addr), 0 },
    { "http.port", 0, "PORT", "8545", "Http server port to listen on",
      G(RPC), K(PORT), OFF(http_port), 0 },
    { "http.api", 0, "HTTP_API", "eth,net,web3",
      "Rpc modules to be configured for the HTTP server, a comma separated list of: admin, debug, "
      "eth, net, trace, txpool, web3, rpc, reth, ots, flashbots, miner, mev (or all)",
      G(RPC), K(API_LIST), OFF(http_api), 0 },
    { "http.corsdomain", 0, "HTTP_CORSDOMAIN", NULL,
      "Http Corsdomain to allow request from (comma separated origins, or *)",
      G(RPC), K(STRING), OFF(http_corsdomain), 0 },
    { "ws", 0, NULL, NULL, "Enable the WS-RPC server", G(RPC), K(SWITCH), OFF(ws), 0 },
    { "ws.addr", 0, "WS_ADDR", "127.0.0.1", "Ws server address to listen on",
      G(RPC), K(IP), OFF(ws_addr), 0 },
    { "ws.port", 0, "PORT", "8546", "Ws server port to listen on",
      G(RPC), K(PORT), OFF(ws_port), 0 },
    { "ws.api", 0, "WS_API", "eth,net,web3",
      "Rpc modules to be configured for the WS server (same names as --http.api)",
      G(RPC), K(API_LIST), OFF(ws_api), 0 },
    { "ws.origins", 0, "WS_ORIGINS", NULL,
      "Origins from which to accept WebSocket requests (comma separated, or *)",
      G(RPC), K(STRING), OFF(ws_origins), 0 },
    { "rpc.eth-proof-window", 0, "RPC_ETH_PROOF_WINDOW", "0",
      "The maximum proof window for historical proof generation: eth_getProof answers for "
      "blocks up to this many blocks behind the tip (0 = the tip only; at most 1209600)",
      G(RPC), K(U64), OFF(rpc_eth_proof_window), 0 },
    { "rpc.rollup-node", 0, "BOOL", "true", "Enable the rollupNode RPC namespace",
      G(RPC), K(BOOL), OFF(rpc_rollup_node), 0 },
    { "rpc.rollup-node-admin", 0, NULL, NULL, "Enable the rollupNodeAdmin RPC namespace",
      G(RPC), K(SWITCH), OFF(rpc_rollup_node_admin), 0 },

    { "builder.gaslimit", 0, "GAS_LIMIT", "20000000", "The gas limit of built blocks",
      G(BUILDER), K(U64), OFF(builder_gaslimit), 0 },

    { "sequencer.enabled", 0, NULL, "false", "Enable sequencer mode",
      G(SEQUENCER), K(SWITCH), OFF(sequencer.enabled), 0 },
    { "sequencer.auto-start", 0, NULL, "false",
      "Automatically start sequencing on node startup (else wait for the rollupNodeAdmin RPC)",
      G(SEQUENCER), K(SWITCH), OFF(sequencer.auto_start), 0 },
    { "sequencer.block-time", 0, "MS", "1000", "Time between blocks in milliseconds",
      G(SEQUENCER), K(MS), OFF(sequencer.block_time_ms), 0 },
    { "sequencer.payload-building-duration", 0, "MS", "800",
      "Time allocated for building each payload in milliseconds",
      G(SEQUENCER), K(MS), OFF(sequencer.payload_building_duration_ms), 0 },
    { "sequencer.allow-empty-blocks", 0, NULL, "false",
      "Allow production of empty blocks when no transactions are available",
      G(SEQUENCER), K(SWITCH), OFF(sequencer.allow_empty_blocks), 0 },
    { "sequencer.fee-recipient", 0, "ADDRESS", "0x5300000000000000000000000000000000000005",
      "Address to receive block rewards and transaction fees (default: the Scroll fee vault)",
      G(SEQUENCER), K(ADDR), OFF(sequencer.fee_recipient), 0 },
    { "sequencer.l1-inclusion-mode", 0, "MODE", "finalized:2",
      "Strategy for including L1 messages: finalized:N (L1 blocks <= finalized - N) or depth:N "
      "(L1 blocks <= head - N)",
      G(SEQUENCER), K(INCLUSION), OFF(sequencer.inclusion), 0 },
    { "sequencer.max-l1-messages", 0, "N", "the chain config's numL1MessagesPerBlock",
      "Override the maximum number of L1 messages per block",
      G(SEQUENCER), K(OPT_U64), OFF(sequencer.max_l1_messages), NODE_FLAG_DOC_DEFAULT },

    { "signer.key-file", 0, "PATH", NULL,
      "Path to the hex-encoded private key file (64 hex digits, optional 0x prefix; surrounding "
      "whitespace is ignored). Keep it chmod 600",
      G(SIGNER), K(PATH), OFF(signer.key_file), 0 },
    { "signer.aws-kms-key-id", 0, "ARN", NULL,
      "AWS KMS key ID or ARN (arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID)",
      G(SIGNER), K(KMS_KEY_ID), OFF(signer.aws_kms_key_id), 0 },

    { "l1.url", 0, "URL", NULL, "The URL of the L1 JSON-RPC endpoint (http or https)",
      G(L1), K(URL_HTTP), OFF(l1.url), 0 },
    { "l1.cups", 0, "N", "10000", "The compute units per second for the L1 provider",
      G(L1), K(U64), OFF(l1.cups), 0 },
    { "l1.max-retries", 0, "N", "10", "The maximum number of retries of an L1 request",
      G(L1), K(U32), OFF(l1.max_retries), 0 },
    { "l1.initial-backoff", 0, "MS", "100", "The initial backoff of L1 retries in milliseconds",
      G(L1), K(MS), OFF(l1.initial_backoff_ms), 0 },
    { "l1.query-range", 0, "BLOCKS", "500", "The block range of one L1 logs query",
      G(L1), K(U64), OFF(l1.query_range), 0 },
    { "l1.cache-max-items", 0, "N", "100", "The maximum number of items in the L1 provider cache",
      G(L1), K(U32), OFF(l1.cache_max_items), 0 },
    { "l1.liveness-threshold", 0, "SECS", "60",
      "Log an error if no new L1 block arrives within this many seconds",
      G(L1), K(SECS), OFF(l1.liveness_threshold_s), 0 },
    { "l1.liveness-check-interval", 0, "SECS", "12",
      "The interval in seconds at which L1 liveness is checked",
      G(L1), K(SECS), OFF(l1.liveness_check_interval_s), 0 },

    { "blob.beacon_node_urls", 0, "URLS", NULL,
      "Beacon node URLs to fetch blobs from (repeatable, comma separated)",
      G(BLOB), K(URL_LIST), OFF(blob.beacon_node_urls), NODE_FLAG_MULTIPLE },
    { "blob.s3_url", 0, "URL", NULL, "The URL of the S3 blob store",
      G(BLOB), K(URL_HTTP), OFF(blob.s3_url), 0 },
    { "blob.anvil_url", 0, "URL", NULL, "The URL of an anvil node serving blobs",
      G(BLOB), K(URL_HTTP), OFF(blob.anvil_url), 0 },
    { "blob.mock", 0, NULL, NULL, "Use the mock blob source (testing)",
      G(BLOB), K(SWITCH), OFF(blob.mock), 0 },
    { "blob.cups", 0, "N", "10000", "The compute units per second for the blob provider",
      G(BLOB), K(U64), OFF(blob.cups), 0 },
    { "blob.max-retries", 0, "N", "10", "The maximum number of retries of a blob request",
      G(BLOB), K(U32), OFF(blob.max_retries), 0 },
    { "blob.initial-backoff", 0, "MS", "100",
      "The initial backoff of blob retries in milliseconds",
      G(BLOB), K(MS), OFF(blob.initial_backoff_ms), 0 },

    { "consensus.algorithm", 0, "ALGORITHM", "system-contract",
      "The consensus algorithm: system-contract (authorized signer from L1, or "
      "--consensus.authorized-signer) or noop (testing)",
      G(CONSENSUS), K(CONSENSUS), OFF(consensus), 0 },
    { "consensus.authorized-signer", 0, "ADDRESS", NULL,
      "A static authorized signer for system-contract consensus instead of reading it from L1",
      G(CONSENSUS), K(OPT_ADDR), OFF(authorized_signer), 0 },

    { "chain.optimistic-sync-trigger", 0, "BLOCKS", "1000",
      "Block gap to the network's head at which optimistic sync is triggered",
      G(ENGINE), K(U64), OFF(optimistic_sync_trigger), 0 },
    { "chain.chain-buffer-size", 0, "N", "2000",
      "The number of block headers kept in the in-memory chain buffer",
      G(ENGINE), K(U64), OFF(chain_buffer_size), 0 },
    { "engine.sync-at-startup", 0, "BOOL", "true",
      "Sync the engine at startup (a bare flag means true)",
      G(ENGINE), K(BOOL_OPT), OFF(engine_sync_at_startup), 0 },

    { "gpo.default-suggest-priority-fee", 0, "WEI", "100",
      "Minimum suggested priority fee (tip) in wei, the floor of eth_maxPriorityFeePerGas",
      G(GPO), K(U64), OFF(gpo_default_suggest_priority_fee), 0 },
    { "require-l1-data-fee-buffer", 0, NULL, "false",
      "Require a transaction sender's balance to cover twice the L1 data fee",
      G(GPO), K(SWITCH), OFF(require_l1_data_fee_buffer), 0 },
    { "txpool.pending-max-count", 0, "COUNT", "10000",
      "Max number of executable (pending) transactions in the pool",
      G(GPO), K(U64), OFF(txpool.pending_max), 0 },
    { "txpool.queued-max-count", 0, "COUNT", "10000",
      "Max number of transactions waiting for a nonce gap to fill (queued)",
      G(GPO), K(U64), OFF(txpool.queued_max), 0 },
    { "txpool.max-account-slots", 0, "SLOTS", "64",
      "Max number of pooled transactions per sender",
      G(GPO), K(U64), OFF(txpool.account_slots), 0 },
    { "txpool.pricebump", 0, "PERCENT", "10",
      "Fee bump in percent a replacement transaction needs (both fee fields)",
      G(GPO), K(U64), OFF(txpool.price_bump), 0 },

    { "log.stdout.format", 0, "FORMAT", "terminal",
      "The format of log lines on stdout: terminal, json or log-fmt",
      G(LOGGING), K(LOG_FORMAT), OFF(log_format), 0 },
    { "log.stdout.filter", 0, "DIRECTIVES", NULL,
      "Log filter in RUST_LOG syntax (e.g. info,scroll=debug,rollup_node::sequencer=trace). "
      "RUST_LOG from the environment applies first and these directives after it, so a target "
      "named in both gets this flag's level; a bare level in either replaces the -v level",
      G(LOGGING), K(LOG_FILTER), OFF(log_filter), 0 },
    { "color", 0, "COLOR", "auto",
      "Whether log lines use ANSI colours: auto (when stdout is a terminal and NO_COLOR is "
      "unset), always or never",
      G(LOGGING), K(COLOR), OFF(color), 0 },

    { "verbosity", 'v', NULL, NULL,
      "Set the minimum log level: -v errors, -vv warnings, -vvv info (the default), -vvvv "
      "debug, -vvvvv traces",
      G(DISPLAY), K(COUNT), OFF(verbosity), NODE_FLAG_MULTIPLE },
    { "quiet", 'q', NULL, NULL, "Silence all log output", G(DISPLAY), K(SWITCH), OFF(quiet), 0 },
};
/* clang-format on */

const size_t node__nflags = RN_ARRAY_LEN(node__flags);

const node_flag_t *node__flag_by_name(const char *name, size_t n)
{
    for (size_t i = 0; i < node__nflags; i++) {
        if (strlen(node__flags[i].name) == n && memcmp(node__flags[i].name, name, n) == 0)
            return &node__flags[i];
    }
    return NULL;
}

const node_flag_t *node__flag_by_short(char c)
{
    for (size_t i = 0; i < node__nflags; i++) {
        if (c && node__flags[i].short_name == c)
            return &node__flags[i];
    }
    return NULL;
}

void node__flag_display(const node_flag_t *f, char *out, size_t out_len)
{
    if (f->value_name)
        snprintf(out, out_len, "--%s <%s>", f->name, f->value_name);
    else
        snprintf(out, out_len, "--%s", f->name);
}

/* ---- help ---- */

enum {
    HELP_INDENT = 10,
    HELP_WIDTH = 100
};

/* Write text word-wrapped at HELP_WIDTH with HELP_INDENT spaces before every line. */
static void write_wrapped(FILE *out, const char *text)
{
    size_t col = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t w = strcspn(p, " ");
        if (w == 0)
            break;
        if (col == 0) {
            fprintf(out, "%*s", HELP_INDENT, "");
            col = HELP_INDENT;
        } else if (col + 1 + w > HELP_WIDTH) {
            fprintf(out, "\n%*s", HELP_INDENT, "");
            col = HELP_INDENT;
        } else {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, w, out);
        col += w;
        p += w;
    }
    fputc('\n', out);
}

static const char *possible_values(node_kind_t k)
{
    switch (k) {
    case NODE_KIND_BOOL:
    case NODE_KIND_BOOL_OPT:
        return "true, false";
    case NODE_KIND_CONSENSUS:
        return "system-contract, noop";
    case NODE_KIND_LOG_FORMAT:
        return "terminal, json, log-fmt";
    case NODE_KIND_COLOR:
        return "auto, always, never";
    default:
        return NULL;
    }
}

static void write_flag(FILE *out, const node_flag_t *f)
{
    if (f->short_name)
        fprintf(out, "  -%c, --%s", f->short_name, f->name);
    else
        fprintf(out, "      --%s", f->name);
    if (f->kind == NODE_KIND_BOOL_OPT)
        fprintf(out, " [<%s>]", f->value_name);
    else if (f->value_name)
        fprintf(out, " <%s>", f->value_name);
    else if (f->kind == NODE_KIND_COUNT)
        fputs("...", out);
    fputc('\n', out);

    char text[1024];
    size_t n = (size_t)snprintf(text, sizeof(text), "%s", f->help);
    /* A switch's default is always "false"; show it only where the guide does. */
    if (f->default_text && n < sizeof(text))
        n += (size_t)snprintf(text + n, sizeof(text) - n, " [default: %s]", f->default_text);
    const char *pv = possible_values(f->kind);
    if (pv && n < sizeof(text))
        snprintf(text + n, sizeof(text) - n, " [possible values: %s]", pv);
    write_wrapped(out, text);
}

void node_help_write(FILE *out)
{
    fputs("Start the Scroll rollup node\n"
          "\n"
          "Usage: rollup-node node [OPTIONS]\n",
          out);
    for (int g = 0; g < NODE_GROUP_COUNT; g++) {
        fprintf(out, "\n%s:\n", node__group_names[g]);
        bool first = true;
        for (size_t i = 0; i < node__nflags; i++) {
            if ((int)node__flags[i].group != g)
                continue;
            if (!first)
                fputc('\n', out);
            first = false;
            write_flag(out, &node__flags[i]);
        }
    }
    fputs("\nEnvironment:\n"
          "  RUST_LOG     log filter (env-filter syntax), e.g. "
          "RUST_LOG=info,scroll=debug,rollup=debug\n"
          "  NO_COLOR     disable colours with --color auto\n"
          "\nExit status:\n"
          "  0  success (--check-config, --help, --version)\n"
          "  1  invalid command line or configuration (one 'error: ' line on stderr)\n"
          "  3  configuration valid, but the node runtime is not in this build yet\n",
          out);
}
