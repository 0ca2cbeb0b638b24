#!/usr/bin/env bash
# bench/rpc.sh — JSON-RPC requests/s of the running node against anvil, in the same run.
#
# Method (../shared/docs/BENCHMARKS.md): both servers run at the same time, each pinned to core
# $SERVER_CPU with taskset; wrk (one thread, a Lua script posting a fixed JSON body) runs pinned to
# core $CLIENT_CPU. For every method and connection count the runs alternate ours/anvil so that
# machine noise hits both alike. Both chains get the same state first: the same small token
# contract (Tok: balanceOf/transfer/totalSupply, solc 0.8.37 -O, evm paris) deployed from the first
# dev account at nonce 0, i.e. at 0x5FbDB2315678afecb367f032d93F642f64180aa3 on both, and eth_call
# is balanceOf(first dev account) on it. Both use a 1G block gas limit and chain id 1337.
# eth_getLogs runs over blocks 1..1000 of both chains, filtered by the address of a tiny emitter
# contract (every call logs one LOG1) deployed from dev account 1 and called LOG_TXS times: anvil
# mines a block per transaction, then empty blocks up to 1 010 (anvil_mine); ours produces a block
# every 10 ms (empty ones allowed) while the same transactions arrive, then sequencing is switched
# off (rollupNodeAdmin) so that every method runs against a chain that no longer grows. Both
# answers are checked to hold the same LOG_TXS logs.
# Every body is checked by hand first (the answer must carry "result"); wrk's non-2xx and socket
# errors are reported per run. The harness ceiling is measured alongside: a fixed-reply C server
# (bench/fixed_reply_server.c, built here with cc) under the same pinning and wrk settings.
#
# Knobs: RPC_RUNS (3), RPC_DUR seconds per run (3), RPC_CONNS ("1 32"),
#        RPC_METHODS ("eth_blockNumber eth_getBalance eth_chainId eth_call eth_getLogs"),
#        NODE_BIN (target/release/rollup-node), ANVIL, CAST, WRK, SERVER_CPU (0), CLIENT_CPU (1).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE_BIN=${NODE_BIN:-$ROOT/target/release/rollup-node}
ANVIL=${ANVIL:-$ROOT/tests/node_modules/.bin/anvil}
CAST=${CAST:-$ROOT/tests/node_modules/.bin/cast}
WRK=${WRK:-$(command -v wrk || true)}
RUNS=${RPC_RUNS:-3}
DUR=${RPC_DUR:-3}
CONNS=${RPC_CONNS:-"1 32"}
METHODS=${RPC_METHODS:-"eth_blockNumber eth_getBalance eth_chainId eth_call eth_getLogs"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
GASLIMIT=1000000000

skip() { echo "rpc bench skipped: $*"; exit 0; }
[ -x "$NODE_BIN" ] || skip "no node binary at $NODE_BIN (run 'make' first)"
[ -x "$ANVIL" ] || skip "anvil not found at $ANVIL (run 'make deps')"
[ -x "$CAST" ] || skip "cast not found at $CAST (run 'make deps')"
[ -n "$WRK" ] && [ -x "$WRK" ] || skip "wrk not found (apt-get install wrk)"
command -v taskset >/dev/null || skip "taskset not found (util-linux)"
command -v curl >/dev/null || skip "curl not found"
[ "$(nproc)" -ge 2 ] || { SERVER_CPU=0; CLIENT_CPU=0; echo "note: one CPU only, server and wrk share it"; }

TMP=$(mktemp -d /tmp/rn-bench-rpc.XXXXXX)
OURS_PID=""
ANVIL_PID=""
cleanup() {
    [ -n "$OURS_PID" ] && kill "$OURS_PID" 2>/dev/null
    [ -n "$ANVIL_PID" ] && kill "$ANVIL_PID" 2>/dev/null
    [ -n "$CEIL_PID" ] && kill "$CEIL_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nobody listens on. The node's listener uses SO_REUSEPORT, so a second process on the same
# port would silently share the connections; check_listener below makes sure that did not happen.
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
check_listener() { # port pid
    local other
    other=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -v "pid=$2," || true)
    if [ -n "$other" ]; then
        echo "ERROR: another process also listens on port $1: $other" >&2
        exit 1
    fi
}
rpc() { # url body
    curl -s --max-time 5 -H 'Content-Type: application/json' -d "$2" "$1"
}
wait_rpc() { # url pid name
    for _ in $(seq 1 500); do
        if rpc "$1" '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' 2>/dev/null |
            grep -q '"result"'; then
            return 0
        fi
        kill -0 "$2" 2>/dev/null || { echo "ERROR: $3 exited during start-up" >&2; exit 1; }
        sleep 0.02
    done
    echo "ERROR: $3 did not answer within 10 s" >&2
    exit 1
}

P1=$(free_port) || { echo "no free port" >&2; exit 1; }
P2=$(free_port) || { echo "no free port" >&2; exit 1; }
[ "$P1" != "$P2" ] || P2=$((P1 + 1))
OURS=http://127.0.0.1:$P1/
ANV=http://127.0.0.1:$P2/
mkdir -p "$TMP/ours"
RUST_LOG=warn,reth::cli=info taskset -c "$SERVER_CPU" "$NODE_BIN" node --chain dev --datadir "$TMP/ours" --test \
    --sequencer.enabled --sequencer.auto-start --sequencer.block-time 10 \
    --sequencer.payload-building-duration 5 --sequencer.allow-empty-blocks --rpc.rollup-node-admin \
    --builder.gaslimit $GASLIMIT --http --http.addr 127.0.0.1 --http.port "$P1" \
    --http.api eth,net,web3,txpool >"$TMP/ours.log" 2>&1 &
OURS_PID=$!
taskset -c "$SERVER_CPU" "$ANVIL" --silent --host 127.0.0.1 --port "$P2" --accounts 20 \
    --chain-id 1337 --gas-limit $GASLIMIT >"$TMP/anvil.log" 2>&1 &
ANVIL_PID=$!
wait_rpc "$OURS" "$OURS_PID" rollup-node
wait_rpc "$ANV" "$ANVIL_PID" anvil
# Harness ceiling: a fixed-reply C server (bench/fixed_reply_server.c), same pinning, same wrk.
CEIL_PID=""
CEIL=""
if command -v cc >/dev/null && cc -O2 -o "$TMP/fixed_reply_server" "$ROOT/bench/fixed_reply_server.c" 2>"$TMP/cc.log"; then
    P3=$(free_port)
    taskset -c "$SERVER_CPU" "$TMP/fixed_reply_server" "$P3" >/dev/null 2>&1 &
    CEIL_PID=$!
    CEIL=http://127.0.0.1:$P3/
    wait_rpc "$CEIL" "$CEIL_PID" fixed_reply_server
else
    echo "note: no C compiler, harness ceiling not measured"
fi
check_listener "$P1" "$OURS_PID"
check_listener "$P2" "$ANVIL_PID"

# Same state on both: deploy Tok from dev account 0 (nonce 0). --async because the node has no
# eth_getTransactionReceipt yet; wait for the code instead.
KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ACC0=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266
TOKEN=0x5FbDB2315678afecb367f032d93F642f64180aa3
TOK_CODE=0x6080604052348015600f57600080fd5b5033600090815260208190526040902069d3c21bcecceda1000000908190556001556101dd806100406000396000f3fe608060405234801561001057600080fd5b50600436106100415760003560e01c806318160ddd1461004657806370a0823114610062578063a9059cbb14610082575b600080fd5b61004f60015481565b6040519081526020015b60405180910390f35b61004f61007036600461011f565b60006020819052908152604090205481565b610095610090366004610141565b6100a5565b6040519015158152602001610059565b336000908152602081905260408120805483919083906100c6908490610181565b90915550506001600160a01b038316600090815260208190526040812080548492906100f3908490610194565b9091555060019150505b92915050565b80356001600160a01b038116811461011a57600080fd5b919050565b60006020828403121561013157600080fd5b61013a82610103565b9392505050565b6000806040838503121561015457600080fd5b61015d83610103565b946020939093013593505050565b634e487b7160e01b600052601160045260246000fd5b818103818111156100fd576100fd61016b565b808201808211156100fd576100fd61016b56fea2646970667358221220802eedfdec9a6d3b962665f00163406b1cbb00b9a8cd50e785055c2412907af564736f6c63430008250033
for url in "$OURS" "$ANV"; do
    if ! out=$("$CAST" send --async --rpc-url "$url" --private-key $KEY0 --create $TOK_CODE 2>&1); then
        echo "ERROR: deploying the token to $url failed: $out" >&2
        exit 1
    fi
done
for url in "$OURS" "$ANV"; do
    ok=0
    for _ in $(seq 1 250); do
        if rpc "$url" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getCode\",\"params\":[\"$TOKEN\",\"latest\"]}" |
            grep -q '"result":"0x60'; then
            ok=1
            break
        fi
        sleep 0.02
    done
    [ $ok = 1 ] || { echo "ERROR: token not deployed on $url within 5 s" >&2; exit 1; }
done

# The log emitter: runtime PUSH32 topic, PUSH1 0, PUSH1 0, LOG1, STOP behind a 12-byte constructor
# that returns it. Deployed from dev account 1 at nonce 0 on both chains.
KEY1=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
EMITTER=0x8464135c8F25Da09e49BC8782676a84730C318bC
TOPIC=ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef
EMITTER_CODE=0x6027600c60003960276000f37f${TOPIC}60006000a100
LOG_TXS=${RPC_LOG_TXS:-100}
for url in "$OURS" "$ANV"; do
    "$CAST" send --async --rpc-url "$url" --private-key $KEY1 --nonce 0 --gas-limit 100000 \
        --create $EMITTER_CODE >/dev/null 2>&1 || { echo "ERROR: deploying the emitter to $url failed" >&2; exit 1; }
done
for url in "$OURS" "$ANV"; do
    for i in $(seq 1 "$LOG_TXS"); do
        "$CAST" send --async --rpc-url "$url" --private-key $KEY1 --nonce "$i" --gas-limit 30000 \
            "$EMITTER" >/dev/null 2>&1 || { echo "ERROR: emitter call $i to $url failed" >&2; exit 1; }
    done
done
head_of() { printf '%d' "$(rpc "$1" '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' | sed 's/.*"result":"\(0x[0-9a-f]*\)".*/\1/')"; }
nonce_of() { printf '%d' "$(rpc "$1" '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":["0x70997970C51812dc3A010C7d01b50e0d17dc79C8","latest"]}' | sed 's/.*"result":"\(0x[0-9a-f]*\)".*/\1/')"; }
for _ in $(seq 1 500); do [ "$(nonce_of "$OURS")" -gt "$LOG_TXS" ] && break; sleep 0.02; done
[ "$(nonce_of "$OURS")" -gt "$LOG_TXS" ] || { echo "ERROR: the emitter calls were not all included by rollup-node" >&2; exit 1; }
for _ in $(seq 1 1500); do [ "$(head_of "$OURS")" -ge 1010 ] && break; sleep 0.02; done
rpc "$OURS" '{"jsonrpc":"2.0","id":1,"method":"rollupNodeAdmin_disableAutomaticSequencing","params":[]}' | grep -q '"result":true' ||
    { echo "ERROR: cannot stop sequencing on rollup-node" >&2; exit 1; }
need=$((1010 - $(head_of "$ANV")))
[ $need -gt 0 ] && rpc "$ANV" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"anvil_mine\",\"params\":[\"$(printf '0x%x' $need)\"]}" >/dev/null
sleep 0.2
echo "  chains: ours head $(head_of "$OURS"), anvil head $(head_of "$ANV"); $LOG_TXS emitter logs on each"

body_of() {
    case $1 in
    eth_blockNumber | eth_chainId) echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":[]}" ;;
    eth_getBalance) echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"$ACC0\",\"latest\"]}" ;;
    eth_call) echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":[{\"to\":\"$TOKEN\",\"data\":\"0x70a08231000000000000000000000000${ACC0#0x}\"},\"latest\"]}" ;;
    eth_getLogs) echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":[{\"fromBlock\":\"0x1\",\"toBlock\":\"0x3e8\",\"address\":\"$EMITTER\"}]}" ;;
    *) echo "unknown method $1" >&2; exit 1 ;;
    esac
}

echo "rpc bench: wrk -t1 pinned to CPU $CLIENT_CPU, servers pinned to CPU $SERVER_CPU;" \
    "$RUNS runs x ${DUR}s per method/conns/server, alternating"
echo "  ours : $NODE_BIN node --chain dev --test --sequencer.* (10 ms blocks, then stopped) --builder.gaslimit $GASLIMIT (RUST_LOG=warn,reth::cli=info) on :$P1"
echo "  anvil: $("$ANVIL" --version | head -1) --silent --accounts 20 --chain-id 1337 --gas-limit $GASLIMIT on :$P2"
echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  state: Tok deployed at $TOKEN on both; eth_call = balanceOf($ACC0); eth_getLogs = blocks 1..1000, address $EMITTER ($LOG_TXS logs)"
for m in $METHODS; do
    b=$(body_of "$m")
    for name in ours anvil; do
        url=$OURS
        [ $name = anvil ] && url=$ANV
        r=$(rpc "$url" "$b")
        echo "  check $m $name -> ${r:0:110}"
        echo "$r" | grep -q '"result"' || { echo "ERROR: $name answered $m without a result" >&2; exit 1; }
        if [ "$m" = eth_getLogs ]; then
            n=$(echo "$r" | grep -o '"logIndex"' | wc -l)
            [ "$n" = "$LOG_TXS" ] || { echo "ERROR: $name returned $n logs over blocks 1..1000, expected $LOG_TXS" >&2; exit 1; }
        fi
    done
done

url_of() { case $1 in ours) echo "$OURS" ;; anvil) echo "$ANV" ;; ceiling) echo "$CEIL" ;; esac; }
# the ceiling server answers anything with a fixed reply: measured once, with the eth_blockNumber body
servers_for() { if [ "$1" = eth_blockNumber ] && [ -n "$CEIL" ]; then echo "ours anvil ceiling"; else echo "ours anvil"; fi; }
# "50%  88.00us" / "1.23ms" / "2.00s" -> microseconds
to_us() { awk -v v="$1" 'BEGIN{ n=v+0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n*1000; else if (v ~ /s$/) print n*1e6; else print n }'; }

RES=$TMP/results
: >"$RES"
for m in $METHODS; do
    export RPC_BODY
    RPC_BODY=$(body_of "$m")
    for c in $CONNS; do
        for name in $(servers_for "$m"); do # warm-up, not recorded
            url=$(url_of $name)
            taskset -c "$CLIENT_CPU" "$WRK" -t1 -c"$c" -d1s -s "$ROOT/bench/rpc.lua" "$url" >/dev/null 2>&1
        done
        for r in $(seq 1 "$RUNS"); do
            for name in $(servers_for "$m"); do
                url=$(url_of $name)
                out=$(taskset -c "$CLIENT_CPU" "$WRK" -t1 -c"$c" -d"${DUR}s" --latency -s "$ROOT/bench/rpc.lua" "$url" 2>&1)
                rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
                p50=$(echo "$out" | awk '$1=="50%" {print $2}')
                errs=$(echo "$out" | awk '/Non-2xx/ {n+=$NF} /Socket errors/ {for(i=4;i<=NF;i+=2) n+=$i} END {print n+0}')
                [ -n "$rps" ] || { echo "ERROR: wrk failed against $name: $out" >&2; exit 1; }
                [ "$errs" = 0 ] || echo "  WARNING: $name $m c=$c run $r: $errs errors: $(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ')"
                echo "$m $c $name $rps $(to_us "$p50") $errs" >>"$RES"
            done
        done
        for name in ours anvil; do
            pid=$OURS_PID
            [ $name = anvil ] && pid=$ANVIL_PID
            kill -0 "$pid" 2>/dev/null || { echo "ERROR: $name died during $m c=$c (a 'Received SIGTERM' line means something else killed it); log:" >&2; tail -20 "$TMP/$name.log" >&2; exit 1; }
        done
    done
done

echo
printf '%-16s %5s | %28s | %28s | %6s | %9s %9s\n' method conns "ours req/s median (min-max)" \
    "anvil req/s median (min-max)" ratio "ours p50" "anvil p50"
for m in $METHODS; do
    for c in $CONNS; do
        med() { sort -n | awk '{v[NR]=$1} END {if (NR==0) {print "0 0 0"; exit} m=(NR%2)? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.0f %.0f %.0f\n", m, v[1], v[NR]}'; }
        line() { # name -> "median min max p50median"
            local rr ll
            rr=$(awk -v m="$m" -v c="$c" -v s="$1" '$1==m && $2==c && $3==s {print $4}' "$RES" | med)
            ll=$(awk -v m="$m" -v c="$c" -v s="$1" '$1==m && $2==c && $3==s {print $5}' "$RES" | med)
            echo "$rr ${ll%% *}"
        }
        read -r om omin omax op <<<"$(line ours)"
        read -r am amin amax ap <<<"$(line anvil)"
        ratio=$(awk -v a="$om" -v b="$am" 'BEGIN{ printf "%.2fx", (b>0)? a/b : 0 }')
        printf '%-16s %5s | %10s (%7s-%7s) | %10s (%7s-%7s) | %6s | %7sus %7sus\n' "$m" "$c" "$om" "$omin" "$omax" \
            "$am" "$amin" "$amax" "$ratio" "$op" "$ap"
        if [ "$(servers_for "$m")" != "ours anvil" ]; then
            read -r cm cmin cmax cp <<<"$(line ceiling)"
            printf '%-16s %5s | harness ceiling (fixed-reply C server): %s req/s (%s-%s), p50 %sus; ours = %s of it\n' \
                "" "$c" "$cm" "$cmin" "$cmax" "$cp" "$(awk -v a="$om" -v b="$cm" 'BEGIN{ printf "%.0f%%", (b>0)? 100*a/b : 0 }')"
        fi
    done
done
echo "(ratio = ours median / anvil median; p50 = median over runs of wrk's 50th-percentile latency)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q -E 'WARN|ERROR' "$TMP/ours.log"; then
    echo "rollup-node warnings/errors during the bench:"
    grep -E 'WARN|ERROR' "$TMP/ours.log" | head -20
fi
