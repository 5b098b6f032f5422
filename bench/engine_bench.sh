#!/usr/bin/env bash
# Model engine benchmark: emonet (oneDNN) vs Debian's PyTorch on the same full-size
# random-weight so400m model, same machine, same run. Writes results to stdout.
#   bench/engine_bench.sh BUILD_DIR [WORK_DIR]
# Needs about 4 GB of disk in WORK_DIR for the model (generated once, then reused).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:?usage: bench/engine_bench.sh BUILD_DIR [WORK_DIR]}"
work="${2:-$build/bench-engine}"
threads="${THREADS:-2}"
iters="${ITERS:-3}"
model="$work/model-full"
if [ ! -f "$model/siglip/model.safetensors" ]; then
  /usr/bin/python3 tests/fixtures/make_model.py --config full --variant large --out "$model" >/dev/null
fi
echo "# $(date -u +%FT%TZ)  $(lscpu | sed -n 's/^Model name: *//p')  $(nproc) cores  threads=$threads"
echo "# peak memory, fp32, batch 1 (load + one warm-up + one timed batch):"
/usr/bin/time -v "$build/bench/engine_bench" --model "$model" --batch 1 --precision fp32 \
  --threads "$threads" --iters 1 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed" | sed 's/^/#   /'
"$build/bench/engine_bench" --model "$model" --batch 1,8 --precision fp32,bf16 \
  --threads "$threads" --iters "$iters"
/usr/bin/python3 bench/torch_peer.py --model "$model" --batch 1,8 --precision fp32,bf16 \
  --threads "$threads" --iters "$iters"
