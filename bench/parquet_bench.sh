#!/usr/bin/env bash
# Parquet decode: emonet's reader against DuckDB (single-threaded) on the same generated
# 1 GB shard, in one session, for docs/PERFORMANCE.md "## Parquet decode".
#   bench/parquet_bench.sh [build/release] [MB]
# Needs tests/unit/parquet/node_modules (cd tests/unit/parquet && npm ci). The shard is
# generated once into /tmp (kept for reruns). Runs under flock /tmp/emonet-bench.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
mb="${2:-1024}"
iters="${EMONET_BENCH_ITERS:-5}"
file="/tmp/emonet-parquet-bench-${mb}MB.parquet"
cmake --build "$build" --target parquet_bench >/dev/null
[ -f "$file" ] || node bench/parquet_bench.mjs tests/unit/parquet generate "$file" "$mb"
exec flock /tmp/emonet-bench.lock bash -c '
  set -euo pipefail
  date -u +"%Y-%m-%d %H:%M UTC"; nproc; grep -m1 "model name" /proc/cpuinfo || true
  echo "load before: $(cut -d" " -f1-3 /proc/loadavg)"
  echo "emonet decode:   $("$0"/bench/parquet_bench "$1" "$2")"
  echo "emonet rows:     $("$0"/bench/parquet_bench "$1" "$2" --rows)"
  echo "duckdb threads=1: $(node bench/parquet_bench.mjs tests/unit/parquet read "$1" "$2")"
  echo "load after: $(cut -d" " -f1-3 /proc/loadavg)"
' "$build" "$file" "$iters"
