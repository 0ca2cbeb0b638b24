/* src/node/config.h — the node's configuration: every value of `rollup-node node [flags]`
 * (ROLLUP-NODE.md §1 and the user's guide), parsed and validated, ready for the modules that use
 * it. The flag table in flags.c is the single source of truth for names, defaults and help.
 *
 * Lifetime: filled by node_args_parse and node_config_validate (node.h), read-only afterwards
 * ("the frozen config", STYLE.md 2.6), released with node_config_deinit. String fields borrow from
 * argv (which lives as long as the process) or from static defaults unless marked "owned". */
#ifndef RN_NODE_CONFIG_H
#define RN_NODE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "chain/chain.h"

enum {
    NODE_MAX_LIST = 256,       /**< values of one list flag (--bootnodes, ...) */
    NODE_KEYFILE_MAX = 4096,   /**< a key file larger than this is refused unread */
    NODE_MAX_VALUE_LEN = 4096, /**< longest accepted flag value */
};

/** Where the sequencer takes L1 messages from (ROLLUP-NODE.md §2, "Inclusion modes"). */
typedef enum node_inclusion_kind {
    NODE_INCLUSION_FINALIZED = 0, /**< `finalized:N`: L1 block number <= finalized - N */
    NODE_INCLUSION_DEPTH = 1,     /**< `depth:N`: L1 block number <= head - N */
} node_inclusion_kind_t;

typedef struct node_inclusion_mode {
    node_inclusion_kind_t kind;
    uint64_t depth; /**< N */
} node_inclusion_mode_t;

typedef enum node_consensus {
    NODE_CONSENSUS_SYSTEM_CONTRACT = 0, /**< authorized signer from L1's system contract */
    NODE_CONSENSUS_NOOP = 1,            /**< accept every block (testing) */
} node_consensus_t;

typedef enum node_signer_kind {
    NODE_SIGNER_NONE = 0,
    NODE_SIGNER_KEY_FILE = 1,
    NODE_SIGNER_AWS_KMS = 2,
} node_signer_kind_t;

typedef enum node_color {
    NODE_COLOR_AUTO = 0, /**< colour iff stdout is a TTY and NO_COLOR is unset */
    NODE_COLOR_ALWAYS = 1,
    NODE_COLOR_NEVER = 2,
} node_color_t;

/** An address flag that may be absent. */
typedef struct node_opt_addr {
    bool set;
    addr_t v;
} node_opt_addr_t;

/** A number flag that may be absent. */
typedef struct node_opt_u64 {
    bool set;
    uint64_t v;
} node_opt_u64_t;

/** Values of a repeatable / comma-separated flag; items are owned. */
typedef struct node_str_list {
    char **v;
    size_t n;
} node_str_list_t;

typedef struct node_config {
    /* ---- node ---- */
    const char *chain_arg; /**< --chain as given: dev, scroll-mainnet, scroll-sepolia or a path */
    chain_spec_t *chain;   /**< owned; loaded by node_config_validate */
    bool test;             /**< --test: no signer required, no signature checks */
    const char *metrics;   /**< --metrics ADDR:PORT, NULL = off */
    bool check_config;     /**< --check-config: validate, print a summary, exit 0 */

    /* ---- datadir ---- */
    const char *datadir_arg;         /**< -d/--datadir as given, NULL = default */
    char *datadir;                   /**< owned; resolved by node_config_validate */
    const char *rollup_node_db_path; /**< --rollup-node-db.path, NULL = under the datadir */

    /* ---- logging / display ---- */
    unsigned verbosity; /**< count of -v; 0 = not given (INFO) */
    bool quiet;
    log_format_t log_format;
    const char *log_filter; /**< --log.stdout.filter (RUST_LOG syntax), NULL = none */
    node_color_t color;

    /* ---- RPC ---- */
    bool http;
    const char *http_addr; /**< IP literal ("localhost" is stored as 127.0.0.1) */
    uint16_t http_port;
    uint32_t http_api; /**< rpc_ns_t bits */
    const char *http_corsdomain;
    bool ws;
    const char *ws_addr;
    uint16_t ws_port;
    uint32_t ws_api;
    const char *ws_origins;
    uint64_t rpc_eth_proof_window; /**< --rpc.eth-proof-window (blocks) */
    bool rpc_rollup_node;          /**< rollupNode namespace */
    bool rpc_rollup_node_admin;    /**< rollupNodeAdmin namespace */

    /* ---- networking ---- */
    uint16_t port; /**< p2p TCP/UDP port */
    node_str_list_t bootnodes;
    node_str_list_t trusted_peers;
    bool network_bridge;
    bool network_scroll_wire;
    const char *network_sequencer_url;
    node_opt_addr_t network_valid_signer;

    /* ---- block building ---- */
    uint64_t builder_gaslimit;

    /* ---- sequencer ---- */
    struct {
        bool enabled;
        bool auto_start;
        uint64_t block_time_ms;
        uint64_t payload_building_duration_ms;
        bool allow_empty_blocks;
        addr_t fee_recipient;
        node_inclusion_mode_t inclusion;
        node_opt_u64_t max_l1_messages; /**< after validation always set (chain default) */
    } sequencer;

    /* ---- signer ---- */
    struct {
        const char *key_file;       /**< --signer.key-file */
        const char *aws_kms_key_id; /**< --signer.aws-kms-key-id */
        node_signer_kind_t kind;    /**< set by node_config_validate */
        bool has_key;               /**< key holds the key file's secret */
        uint8_t key[32];            /**< secret; wiped by node_config_deinit; never logged */
        addr_t address;             /**< address of key (when has_key) */
    } signer;

    /* ---- L1 ---- */
    struct {
        const char *url;
        uint64_t cups;
        uint64_t max_retries;
        uint64_t initial_backoff_ms;
        uint64_t query_range;
        uint64_t cache_max_items;
        uint64_t liveness_threshold_s;
        uint64_t liveness_check_interval_s;
    } l1;

    /* ---- blobs ---- */
    struct {
        node_str_list_t beacon_node_urls;
        const char *s3_url;
        const char *anvil_url;
        bool mock;
        uint64_t cups;
        uint64_t max_retries;
        uint64_t initial_backoff_ms;
    } blob;

    /* ---- consensus ---- */
    node_consensus_t consensus;
    node_opt_addr_t authorized_signer;

    /* ---- chain orchestrator / engine ---- */
    uint64_t optimistic_sync_trigger;
    uint64_t chain_buffer_size;
    bool engine_sync_at_startup;

    /* ---- gas price oracle / pool ---- */
    uint64_t gpo_default_suggest_priority_fee;
    bool require_l1_data_fee_buffer;

    struct {
        uint64_t pending_max;   /**< --txpool.pending-max-count */
        uint64_t queued_max;    /**< --txpool.queued-max-count */
        uint64_t account_slots; /**< --txpool.max-account-slots */
        uint64_t price_bump;    /**< --txpool.pricebump (percent) */
    } txpool;

    /* ---- findings of validation that are warnings, logged once the logger runs ---- */
    bool warn_key_file_mode;         /**< key file readable by group or others */
    bool warn_payload_exceeds_block; /**< payload-building-duration > block-time */
} node_config_t;

#endif
