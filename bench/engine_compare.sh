#!/usr/bin/env bash
# Engine benchmark of issue 15: emonet fp32 / bf16 / int8 at batch 1 and 8 on the full-size
# random-weight model, with this machine's instruction ceiling (bench/cpu_peak) before and
# after, and the peers in the same run: ONNX Runtime (npm onnxruntime-node, CPU EP, fp32)
# on an ONNX export of the same model (bench/onnx_export.py) and PyTorch
# (bench/torch_peer.py). Also int8's accuracy against fp32 (bench/precision_accuracy) and
# one steady forward's per-operator profile per configuration. Writes to stdout.
#   flock /tmp/emonet-bench.lock bench/engine_compare.sh BUILD_DIR MODEL_DIR [WORK_DIR]
# Env: THREADS (2), ITERS (2: engine_bench reports the slower of two timed runs), ORT_ITERS (ITERS), PEER_ITERS (1), TORCH_BATCH (1,8), TORCH_FP32 (1: also PyTorch fp32 at batch 1,
# minutes per image on Debian's netlib-BLAS torch), ACCURACY_RANDOM (12 extra inputs),
# ACCURACY_IMAGES (a folder of image files scored too).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:?usage: bench/engine_compare.sh BUILD_DIR MODEL_DIR [WORK_DIR]}"
model="${2:?usage: bench/engine_compare.sh BUILD_DIR MODEL_DIR [WORK_DIR]}"
work="${3:-$build/bench-engine}"
threads="${THREADS:-2}" iters="${ITERS:-2}" peer_iters="${PEER_ITERS:-1}"
mkdir -p "$work"
onnx="$work/onnx/model.onnx"
if [ ! -f "$onnx" ]; then
  mkdir -p "$work/onnx"
  /usr/bin/python3 bench/onnx_export.py --model "$model" --out "$onnx" 2>&1 | grep -v Warning | tail -2
fi
if [ ! -d bench/ort/node_modules/onnxruntime-node ]; then
  # The CPU binaries ship inside the npm package; its install script only fetches GPU ones.
  (cd bench/ort && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
fi
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(date -u +%FT%TZ)  $(lscpu | sed -n 's/^Model name: *//p')  $(nproc) cores  threads=$threads  load $(load)"
echo "# ceiling before (bench/cpu_peak): $("$build/bench/cpu_peak" "$threads" 2)"
"$build/bench/engine_bench" --model "$model" --batch 1,8 --precision fp32,bf16,int8 \
  --threads "$threads" --iters "$iters" --profile 1
echo "# load $(load)"
onnx_abs="$(realpath "$onnx")"
(cd bench/ort && node ort_peer.mjs --model "$onnx_abs" \
  --batch 1,8 --threads "$threads" --iters "${ORT_ITERS:-$iters}")
echo "# load $(load)"
/usr/bin/python3 bench/torch_peer.py --model "$model" --batch "${TORCH_BATCH:-1,8}" --precision bf16 \
  --threads "$threads" --iters "$peer_iters"
if [ "${TORCH_FP32:-1}" = 1 ]; then
  /usr/bin/python3 bench/torch_peer.py --model "$model" --batch 1 --precision fp32 \
    --threads "$threads" --iters 1 --warmup 0
fi
echo "# ceiling after (bench/cpu_peak): $("$build/bench/cpu_peak" "$threads" 2)  load $(load)"
images="${ACCURACY_IMAGES:-}"
args=(--model "$model" --precision int8 --random "${ACCURACY_RANDOM:-12}" --threads "$threads")
[ -f "$(dirname "$model")/pixels.npy" ] && args+=(--pixels "$(dirname "$model")/pixels.npy")
[ -n "$images" ] && [ -d "$images" ] && args+=(--images "$images")
"$build/bench/precision_accuracy" "${args[@]}"
echo "# $(date -u +%FT%TZ) done, load $(load)"
