#!/usr/bin/env bash
# The inference-service benchmark (issue 11): `emonet serve` with the full-size model on
# loopback at concurrency 1, 4, 16, 64 against offline `emonet predict --batch 8` and the
# PyTorch + Flask peer, all in one run under the shared bench lock. Results: JSON lines on
# stdout and in build/bench/serve/results.jsonl; docs/PERFORMANCE.md has the write-up.
#   bench/serve_bench.sh [MODEL_DIR]      (default /work/models/full/model)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-/work/models/full/model}"
emonet=build/release/bin/emonet
work=build/bench/serve
if [ ! -x "$emonet" ]; then
  echo "serve_bench: build first (scripts/build release)" >&2
  exit 1
fi
# The full-size model may still be being generated: its generator holds this lock.
[ -e /work/models.lock ] && flock /work/models.lock true
mkdir -p "$work"
echo "serve_bench: $(date -u +%FT%TZ) $(uname -n) $(nproc) CPUs, commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
flock /tmp/emonet-bench.lock /usr/bin/python3 bench/serve_bench.py --emonet "$emonet" --model "$model" \
  --work "$work" --peer "${@:2}" | tee "$work/results.jsonl"
