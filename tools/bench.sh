#!/usr/bin/env bash
# Runs every built benchmark in target/release (bench_*), one after the other, then the benchmarks
# of the running node against anvil (bench/rpc.sh: JSON-RPC req/s with wrk; bench/intake.mjs:
# transaction intake, inclusion, start-up and RSS; bench/ingest.mjs: the 20 000-transfer burst;
# bench/block.mjs: one block's build time against anvil's). Those need target/release/rollup-node, anvil
# (tests/node_modules, `make deps`), wrk and node; they skip with a message when one is missing.
# BENCH_NODE=0 skips them. Benchmarks print their own method, numbers and ratios; see
# ../shared/docs/BENCHMARKS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
export RN_SHARED_DIR="${RN_SHARED_DIR:-$(cd .. && pwd)/shared}"
status=0
for b in target/release/bench_*; do
  [ -x "$b" ] || continue
  echo "=== $(basename "$b")"
  "$b" || status=1
done

[ "${BENCH_NODE:-1}" = 0 ] && exit $status
export NODE_BIN="${NODE_BIN:-$PWD/target/release/rollup-node}"
anvil=tests/node_modules/.bin/anvil
if [ ! -x "$NODE_BIN" ]; then
  echo "=== node benches skipped: no $NODE_BIN (run 'make')"
elif [ ! -x "$anvil" ]; then
  echo "=== node benches skipped: anvil missing ($anvil; run 'make deps')"
else
  echo "=== rpc (bench/rpc.sh)"
  if ! command -v wrk >/dev/null; then
    echo "rpc bench skipped: wrk missing (apt-get install wrk)"
  else
    bash bench/rpc.sh || status=1
  fi
  echo "=== intake (bench/intake.mjs)"
  if ! command -v node >/dev/null; then
    echo "intake bench skipped: node missing"
  else
    node bench/intake.mjs || status=1
    echo "=== ingest (bench/ingest.mjs)"
    node bench/ingest.mjs || status=1
    echo "=== block (bench/block.mjs)"
    node bench/block.mjs || status=1
  fi
fi
exit $status
