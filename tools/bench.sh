#!/usr/bin/env bash
# Runs every built benchmark in target/release (bench_*), one after the other.
# Benchmarks print their own method, numbers and ratios; see ../shared/docs/BENCHMARKS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
export RN_SHARED_DIR="${RN_SHARED_DIR:-$(cd .. && pwd)/shared}"
status=0
for b in target/release/bench_*; do
  [ -x "$b" ] || continue
  echo "=== $(basename "$b")"
  "$b" || status=1
done
exit $status
