#!/usr/bin/env bash
# Heads training throughput: emonet's batched trainer vs the PyTorch reference loop, same
# machine, same run, same shapes (200k random cached-size embeddings, batch 256), under
# the benchmark lock.   bench/train_bench.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:?usage: bench/train_bench.sh BUILD_DIR}"
threads="${THREADS:-$(nproc)}"
run() {
  echo "# $(date -u +%FT%TZ)  $(lscpu | sed -n 's/^Model name: *//p')  $(nproc) cores  load $(cut -d' ' -f1-3 /proc/loadavg)"
  for v in large small; do
    steps=6 peer_steps=1  # Debian's torch multiplies on a generic BLAS: ~1 GFLOP/s
    [ "$v" = small ] && steps=40 peer_steps=4
    for mode in batched per-head; do
      "$build/bench/train_bench" --mode "$mode" --variant "$v" --steps "$steps" --threads "$threads"
    done
    /usr/bin/python3 bench/train_peer.py --variant "$v" --steps "$peer_steps" --threads "$threads"
  done
  echo "# end load $(cut -d' ' -f1-3 /proc/loadavg)"
}
export -f run
export build threads
flock /tmp/emonet-bench.lock bash -c run
