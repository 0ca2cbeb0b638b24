-- wrk script for bench/rpc.sh: POSTs one fixed JSON-RPC body (from $RPC_BODY) on every request.
-- The body is static (no request() function), so wrk does not drop a first generated request.
wrk.method = "POST"
wrk.body = os.getenv("RPC_BODY") or '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
wrk.headers["Content-Type"] = "application/json"
