#!/usr/bin/env bash
# Runs the statistics benchmark and its NumPy peer in one session (same machine, same
# load), for docs/PERFORMANCE.md "## Statistics".
#   bench/run_stats_bench.sh [build/release]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
cmake --build "$build" --target stats_bench >/dev/null
date -u +"%Y-%m-%d %H:%M UTC"; nproc; grep -m1 "model name" /proc/cpuinfo || true
"$build/bench/stats_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
/usr/bin/python3 bench/stats_bench_reference.py --repeat 3
