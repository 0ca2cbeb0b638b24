/* src/rpc/rpc_int.h — private to the rpc module: the subscription hub shared by the JSON-RPC
 * layer (eth_subscribe, filters) and the server (delivery to WebSocket connections). */
#ifndef RN_RPC_RPC_INT_H
#define RN_RPC_RPC_INT_H

#include "rpc/rpc.h"

typedef struct rpc_hub rpc_hub_t;

/** Where a WebSocket subscription's notifications go: the server pushes the text to the
 *  connection `conn_id` of worker `worker` (any thread may call push). */
typedef struct rpc_sink {
    void (*push)(void *worker, uint64_t conn_id, char *text /* rn_malloc'd; the callee owns it */);
    void *worker;
    uint64_t conn_id;
} rpc_sink_t;

rpc_hub_t *rpc__hub_new(void);
void rpc__hub_free(rpc_hub_t *h);
rpc_hub_t *rpc__registry_hub(const rpc_registry_t *r);

/** The WebSocket connection whose message is being handled on this thread (NULL over HTTP). */
extern _Thread_local const rpc_sink_t *rpc__current_sink;

/** A connection closed: drop its subscriptions. */
void rpc__hub_drop_conn(rpc_hub_t *h, void *worker, uint64_t conn_id);

/** Append the compact JSON text of v (json_dumpb's JSON_COMPACT | JSON_ENCODE_ANY output, in
 *  one pass: json_write.c). On error out is unchanged. */
RN_NODISCARD err_t rpc__json_write(buf_t *out, const json_t *v);

/** Parse JSON text (any value) as json_loadb(…, JSON_DECODE_ANY) does, in one pass
 *  (json_read.c). NULL on error with a message and the byte offset where it was found. */
json_t *rpc__json_read(const char *text, size_t n, const char **err, size_t *err_pos);

/** Method groups registered by rpc_register_node. */
void rpc__register_subs(rpc_registry_t *reg);
void rpc__register_eth_fees(rpc_registry_t *reg);
void rpc__register_eth_call(rpc_registry_t *reg);
void rpc__register_debug(rpc_registry_t *reg);
void rpc__register_eth_proof(rpc_registry_t *reg);
void rpc__register_txpool(rpc_registry_t *reg);
void rpc__register_misc(rpc_registry_t *reg);

#endif
