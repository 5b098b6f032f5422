#!/usr/bin/env bash
# Device check: the engine's bf16 path on a CPU with AMX, next to an optimised PyTorch.
# Prepare .devcarry/ with tests/device/run_hf_parity.sh, copy bench/engine_bench and the
# non-glibc libraries it links (ldd) into .devcarry/bin and .devcarry/lib, carry .devcarry.
set -u
export LD_LIBRARY_PATH=$PWD/.devcarry/lib
log=$OUT/amx.log
exec > >(tee -a "$log") 2>&1
python3 - <<'PY'
import transformers, numpy as np
from transformers import SiglipImageProcessor
from PIL import Image
p = SiglipImageProcessor.from_pretrained(".devcarry/model/siglip")
print("processor class:", type(p).__module__, type(p).__name__)
im = Image.open(".devcarry/images/img0.png").convert("RGB")
hf = p(images=[im], return_tensors="np")["pixel_values"][0]
pil = (np.asarray(im.resize((32, 32), Image.BILINEAR)).astype(np.float64) / 255).astype(np.float32)
pil = ((pil - 0.5) / 0.5).transpose(2, 0, 1)
ours = np.load(".devcarry/ours/img0.png.npy")
print("PIL path vs ours:", float(np.abs(pil - ours).max()), " HF v5 processor vs PIL path:", float(np.abs(hf - pil).max()))
PY
ldd .devcarry/bin/engine_bench | grep 'not found'
t0=$(date +%s)
timeout 200 python3 tests/fixtures/make_model.py --config full --variant large --out /tmp/full >/dev/null || echo "make_model failed"
echo "model generated in $(( $(date +%s) - t0 )) s"
export ONEDNN_VERBOSE=0
timeout 120 .devcarry/bin/engine_bench --model /tmp/full --batch 8 --precision bf16 --threads 2 --iters 1
timeout 100 .devcarry/bin/engine_bench --model /tmp/full --batch 1 --precision fp32,bf16 --threads 2 --iters 1
timeout 150 python3 bench/torch_peer.py --model /tmp/full --batch 1 --precision fp32,bf16 --threads 2 --iters 1
echo done
