#!/usr/bin/env bash
# Model file loading: emonet's readers vs torch.load on the same full-size random-weight
# model (so400m checkpoint + 44 Large heads), same machine, same run.
#   bench/model_load_bench.sh BUILD_DIR [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:?usage: bench/model_load_bench.sh BUILD_DIR [WORK_DIR]}"
work="${2:-$build/bench-model-load}"
iters="${ITERS:-5}"
model="$work/model-full"
if [ ! -f "$model/siglip/model.safetensors" ]; then
  /usr/bin/python3 tests/fixtures/make_model.py --config full --variant large --out "$model" >/dev/null
fi
echo "# $(date -u +%FT%TZ)  $(lscpu | sed -n 's/^Model name: *//p')  $(nproc) cores  iters=$iters (medians)"
"$build/bench/model_load_bench" --model "$model" --iters "$iters"
/usr/bin/python3 bench/model_load_peer.py --model "$model" --iters "$iters"
