#!/usr/bin/env bash
# Prepares the inputs of hf_parity.py with the built emonet (here, on Debian) into
# .devcarry/, to be carried to a machine that has transformers and run there:
#   tests/device/run_hf_parity.sh prepare build/release
#   (device) python3 tests/device/hf_parity.py .devcarry
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${2:-build/release}/bin/emonet"
carry=.devcarry
rm -rf "$carry" && mkdir -p "$carry/images" "$carry/ours"
/usr/bin/python3 tests/fixtures/make_model.py --config tiny --variant large --out "$carry/model" --seed 7
/usr/bin/python3 - "$carry/images" <<'PY'
import sys, numpy as np
from PIL import Image
rng = np.random.default_rng(3)
out = sys.argv[1]
# Smooth gradients plus noise, odd sizes, RGB/RGBA/L, PNG and JPEG.
for i, (w, h, mode, ext) in enumerate([(97, 61, "RGB", "png"), (640, 480, "RGB", "jpg"),
                                      (33, 200, "RGBA", "png"), (300, 300, "L", "png")]):
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 255 / w), (yy * 255 / h), ((xx + yy) * 127 / (w + h))], -1)
    img = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    im = Image.fromarray(img, "RGB")
    if mode == "RGBA":
        im = im.convert("RGBA")
    elif mode == "L":
        im = im.convert("L")
    im.save(f"{out}/img{i}.{ext}", quality=90) if ext == "jpg" else im.save(f"{out}/img{i}.{ext}")
PY
for f in "$carry"/images/*; do
  "$bin" preprocess "$f" --config "$carry/model/siglip/preprocessor_config.json" --out "$carry/ours/$(basename "$f").npy"
done
"$bin" predict --model "$carry/model" --precision fp32 --embeddings "$carry/ours/embeddings.npy" \
  "$carry"/images/* > "$carry/ours/predictions.jsonl"
du -sh "$carry"
