/* src/rpc/rpc.h — JSON-RPC 2.0 over HTTP/1.1 (keep-alive, batches, CORS) on worker threads.
 *
 * The server owns its sockets and threads; method handlers are registered in a table before
 * start and run on the worker threads, concurrently, so they must only read shared state through
 * thread-safe means (an LMDB read transaction, the txpool's mutex). Namespaces
 * (eth, net, web3, ...) are enabled per listener; a method of a disabled namespace answers
 * -32601 like reth. Limits on body size, batch length, response size and connections give clear
 * errors, never a crash. */
#ifndef RN_RPC_RPC_H
#define RN_RPC_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* JSON-RPC error codes (JSON-RPC 2.0 and EIP-1474). */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_SERVER_ERROR = -32000, /**< geth's generic code for tx-pool and state errors */
    RPC_LIMIT_EXCEEDED = -32005,
    RPC_EXECUTION_REVERTED = 3,
};

enum {
    RPC_MAX_BODY_BYTES = 15u << 20,      /**< request body limit (reth default 15 MiB) */
    RPC_MAX_HEADER_BYTES = 16u << 10,    /**< request line + headers */
    RPC_MAX_BATCH = 1000,                /**< requests per batch */
    RPC_MAX_RESPONSE_BYTES = 160u << 20, /**< response limit (reth default 160 MiB) */
    RPC_MAX_CONNECTIONS = 500,           /**< open connections per server */
};

/** Namespaces a listener can enable (bit flags). ORDER RPC_NS. */
typedef enum rpc_ns {
    RPC_NS_ADMIN = 1u << 0,
    RPC_NS_DEBUG = 1u << 1,
    RPC_NS_ETH = 1u << 2,
    RPC_NS_NET = 1u << 3,
    RPC_NS_TRACE = 1u << 4,
    RPC_NS_TXPOOL = 1u << 5,
    RPC_NS_WEB3 = 1u << 6,
    RPC_NS_RPC = 1u << 7,
    RPC_NS_RETH = 1u << 8,
    RPC_NS_OTS = 1u << 9,
    RPC_NS_FLASHBOTS = 1u << 10,
    RPC_NS_MINER = 1u << 11,
    RPC_NS_MEV = 1u << 12,
    RPC_NS_ROLLUP_NODE = 1u << 13,
    RPC_NS_ROLLUP_NODE_ADMIN = 1u << 14,
} rpc_ns_t;

/** Parse a comma list like "eth,net,web3" into flags; unknown name → ERR_INVALID_ARG and the
 *  offending name copied to bad (if non-NULL). */
RN_NODISCARD err_t rpc_ns_parse(const char *list, uint32_t *out, char *bad, size_t bad_len);
/** Name of one namespace flag ("eth"). */
const char *rpc_ns_name(uint32_t ns);

/** The outcome of a handler: a result, or an error with code, message and optional data. */
typedef struct rpc_reply {
    json_t *result; /**< owned; set on success (json_null() for null) */
    int code;       /**< error code when result == NULL */
    char message[256];
    json_t *data; /**< owned; optional error data (e.g. revert bytes) */
    /** Instead of result: the result already as JSON text (rn_malloc'd, owned). For large answers
     *  written straight from the store (eth_getLogs), skipping the json_t tree. */
    uint8_t *raw;
    size_t raw_len;
} rpc_reply_t;

/** Set an error reply with a printf-style message. */
void rpc_reply_error(rpc_reply_t *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A method handler: params is the request's "params" (an array, or NULL when absent). */
typedef void (*rpc_handler_fn)(void *ctx, const json_t *params, rpc_reply_t *reply);

typedef struct rpc_method {
    const char *name; /**< full name, e.g. "eth_blockNumber" */
    uint32_t ns;      /**< rpc_ns_t flag the method belongs to */
    rpc_handler_fn fn;
} rpc_method_t;

typedef struct rpc_registry rpc_registry_t;

rpc_registry_t *rpc_registry_new(void *ctx);
void rpc_registry_free(rpc_registry_t *r);
/** Add a method (name copied by pointer: use string literals). Duplicate → ERR_INVALID_ARG. */
RN_NODISCARD err_t rpc_registry_add(rpc_registry_t *r, const rpc_method_t *m);
/** Names of registered methods whose namespace is in ns_mask (for rpc_modules). */
size_t rpc_registry_count(const rpc_registry_t *r);

/**
 * Handle one HTTP body: a single request or a batch. The response JSON (possibly empty for a
 * batch of notifications) is appended to out. Never fails: malformed input becomes a JSON-RPC
 * error object. Thread-safe (handlers permitting).
 */
void rpc_handle_body(const rpc_registry_t *r, uint32_t ns_enabled, const char *body, size_t n,
                     buf_t *out);

/** What the node's namespace handlers read; the registry's ctx points at one. Fields are set
 *  before the server starts and only read afterwards (or read through their own locks). */
struct db;

/** eth_call / eth_estimateGas arguments (a transaction object without a signature). */
typedef struct rpc_call_args {
    bool has_from, has_to, has_gas, has_gas_price, has_max_fee, has_max_priority_fee, has_nonce;
    addr_t from, to;
    uint64_t gas, nonce;
    u256_t gas_price, max_fee, max_priority_fee, value;
    buf_t data;
    uint64_t block; /**< state after this block; UINT64_MAX = the head */
} rpc_call_args_t;

/** What only the running node can do, supplied by it (any may be NULL: -32601 for the method). */
typedef struct rpc_node_ops {
    /** eth_sendRawTransaction: 0 with *hash, or a JSON-RPC code with msg. */
    int (*send_raw_tx)(void *ud, bview_t raw, hash_t *hash, char *msg, size_t msg_len);
    /** eth_gasPrice: base fee of the next block plus the suggested tip; eth_maxPriorityFeePerGas.
     */
    void (*fees)(void *ud, u256_t *gas_price, u256_t *tip);
    /** rollupNodeAdmin_enable/disableAutomaticSequencing: true when the state changed. */
    bool (*set_sequencing)(void *ud, bool on);
    /** txpool_status. */
    void (*pool_counts)(void *ud, size_t *pending, size_t *queued);
    /** The next nonce of a sender counting its gap-free pooled transactions. */
    uint64_t (*pool_next_nonce)(void *ud, const addr_t *sender, uint64_t state_nonce);
    /** A pooled transaction's bytes (rn_free them), or NULL. */
    uint8_t *(*pool_raw)(void *ud, const hash_t *tx_hash, size_t *len);
    /** Visit every pooled transaction: its bytes, sender, and pending (else queued). */
    void (*pool_visit)(void *ud,
                       void (*fn)(void *vud, bview_t raw, const addr_t *sender, bool pending),
                       void *vud);
} rpc_node_ops_t;

typedef struct rpc_ctx {
    struct db *db; /**< the node's database; handlers read it in read transactions */
    uint64_t chain_id;
    uint32_t ns_enabled;                 /**< for rpc_modules */
    uint64_t (*peer_count)(void *ud);    /**< NULL = 0 peers */
    const rpc_node_ops_t *node;          /**< NULL outside a running node (tests) */
    const struct rpc_registry *registry; /**< the registry serving this ctx (filters, subs) */
    const struct chain_spec *spec;       /**< the chain (calls, traces); NULL: not served */
    uint64_t proof_window; /**< eth_getProof serves blocks this far behind the head (reth's
                            *   --rpc.eth-proof-window; 0 = the head only) */
    void *ud;
} rpc_ctx_t;

/** "rollup-node/v0.1.0/linux-x86_64/gcc-12.2.0", the web3_clientVersion answer. */
const char *rpc_client_version(void);

/** Register every method this build implements (the registry's ctx must be an rpc_ctx_t). */
void rpc_register_all(rpc_registry_t *reg);
/** Register the methods served through rpc_ctx_t.node (sendRawTransaction, call, gas price,
 *  txpool_status, rollupNodeAdmin sequencing). */
void rpc_register_node(rpc_registry_t *reg);

struct block;
struct header;
struct chain_receipts;

/** Notify subscriptions and filters of a new head block and its logs (any thread; cheap when
 *  nobody listens). */
void rpc_publish_block(const rpc_registry_t *reg, const struct block *b, const hash_t *hash,
                       const struct chain_receipts *rs);
/** Notify newPendingTransactions subscriptions and pending-transaction filters. */
void rpc_publish_pending_tx(const rpc_registry_t *reg, const hash_t *tx_hash);
/** A header as JSON-RPC returns it (newHeads, eth_getBlockBy* without the body fields). */
json_t *rpc_header_json(const struct header *h, const hash_t *hash);

typedef struct rpc_server rpc_server_t;

typedef struct rpc_server_config {
    const char *addr;    /**< "127.0.0.1", "0.0.0.0", "::", "localhost" */
    uint16_t port;       /**< 0 picks a free port (see rpc_server_port) */
    uint32_t ns_enabled; /**< namespaces served */
    const char *cors;    /**< --http.corsdomain value, or NULL: no CORS headers */
    unsigned threads;    /**< worker threads (0 = number of CPUs) */
} rpc_server_config_t;

/**
 * Bind and start serving on worker threads. ERR_IO with diag (e.g. "address 0.0.0.0:8545 is
 * already in use") when the socket cannot be bound.
 */
RN_NODISCARD err_t rpc_server_start(rpc_server_t **out, const rpc_server_config_t *cfg,
                                    const rpc_registry_t *reg, char *diag, size_t diag_len);
/** The bound port (useful with port 0). */
uint16_t rpc_server_port(const rpc_server_t *s);
/** The number of worker threads; the open connections each holds go to per_worker[0..n). */
unsigned rpc_server_conn_counts(const rpc_server_t *s, int *per_worker, unsigned n);
/** Stop accepting, close connections, join workers, free. NULL is a no-op. */
void rpc_server_stop(rpc_server_t *s);

#endif
