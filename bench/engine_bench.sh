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
echo "# instruction ceiling (bench/cpu_peak): $("$build/bench/cpu_peak" "$threads" 2)"
echo "# model load, 3 fresh processes per precision (load_s):"
for precision in bf16 fp32; do
  for _ in 1 2 3; do
    "$build/bench/engine_bench" --model "$model" --batch 1 --precision "$precision" \
      --threads "$threads" --iters 1 | sed -n 's/.*"precision": "\([a-z0-9]*\)".*"load_s": \([0-9.]*\).*/#   \1 load \2 s/p'
  done
done
for precision in fp32 bf16; do
  echo "# peak memory, $precision, batch 1 (load + one warm-up + one timed batch):"
  /usr/bin/time -v "$build/bench/engine_bench" --model "$model" --batch 1 --precision "$precision" \
    --threads "$threads" --iters 1 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed" | sed 's/^/#   /'
done
"$build/bench/engine_bench" --model "$model" --batch 1,8 --precision fp32,bf16 \
  --threads "$threads" --iters "$iters"
# Debian's torch runs fp32 on netlib BLAS (minutes per image), so its fp32 peer runs at
# batch 1 only, once, after one warm-up; bf16 at both batch sizes.
peer_iters="${PEER_ITERS:-1}"
/usr/bin/python3 bench/torch_peer.py --model "$model" --batch 1,8 --precision bf16 \
  --threads "$threads" --iters "$peer_iters"
/usr/bin/python3 bench/torch_peer.py --model "$model" --batch 1 --precision fp32 \
  --threads "$threads" --iters "$peer_iters"
