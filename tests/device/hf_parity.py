#!/usr/bin/env python3
"""Checks our pipeline against the real Hugging Face implementation (transformers).

Debian 12 has no `transformers`, so the regular tests compare the C++ engine with our own
plain-torch reference (tests/fixtures/reference_forward.py). This script closes the loop
on a machine that does have transformers (run it with tests/device/run_hf_parity.sh):

  1. SiglipImageProcessor (the slow, PIL-based one the authors' Colab uses) on the
     images in CARRY/images vs the tensors `emonet preprocess` wrote (CARRY/ours/*.npy);
  2. SiglipVisionModel.from_pretrained(CARRY/model/siglip) -> pooler_output on our pixel
     tensors vs the embeddings `emonet predict --embeddings` wrote;
  3. the heads loaded with torch.load on the L2-normalised HF embedding vs our raw,
     mean_subtracted and softmax values in CARRY/ours/predictions.jsonl;
  4. the so400m-patch16-384 vision config built by transformers: parameter count.

Prints one line per check and exits non-zero if any check fails.
"""
import glob
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from transformers import SiglipImageProcessor, SiglipVisionConfig, SiglipVisionModel

carry = sys.argv[1]
failures = 0


def report(name, ok, detail):
    global failures
    failures += 0 if ok else 1
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


import transformers

print("transformers", transformers.__version__, "torch", torch.__version__)

# 1. preprocessing
proc = SiglipImageProcessor.from_pretrained(os.path.join(carry, "model", "siglip"))
images = sorted(glob.glob(os.path.join(carry, "images", "*")))
worst = 0.0
for path in images:
    hf = proc(images=[Image.open(path).convert("RGB")], return_tensors="np")["pixel_values"][0]
    ours = np.load(os.path.join(carry, "ours", os.path.basename(path) + ".npy"))
    diff = float(np.abs(hf.astype(np.float64) - ours).max())
    worst = max(worst, diff)
    report(f"preprocess {os.path.basename(path)}", diff <= 1e-6, f"max |diff| = {diff:.3g}")

# 2. vision tower
model = SiglipVisionModel.from_pretrained(os.path.join(carry, "model", "siglip")).eval()
pixels = np.stack([np.load(os.path.join(carry, "ours", os.path.basename(p) + ".npy")) for p in images])
with torch.no_grad():
    pooled = model(pixel_values=torch.from_numpy(pixels)).pooler_output.numpy()
ours_emb = np.load(os.path.join(carry, "ours", "embeddings.npy"))
diff = float(np.abs(pooled - ours_emb).max())
report("pooler_output vs emonet --embeddings", diff <= 2e-4, f"max |diff| = {diff:.3g}")

# 3. heads on the HF embedding
heads_dir = os.path.join(carry, "model", "heads")
neutral = None
for j in glob.glob(os.path.join(heads_dir, "*.json")):
    with open(j) as f:
        d = json.load(f)
    neutral = {k: (v["mean"] if isinstance(v, dict) else v) for k, v in d.items()}
emb = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
with open(os.path.join(carry, "ours", "predictions.jsonl")) as f:
    preds = [json.loads(line) for line in f]
by_name = {os.path.basename(p["image_path"]): p for p in preds}
worst_raw = 0.0
worst_soft = 0.0
extras = ("valence", "arousal", "dominance", "vulnerability")
for i, path in enumerate(images):
    raw = {}
    for pth in sorted(glob.glob(os.path.join(heads_dir, "model_*_best.pth"))):
        key = os.path.basename(pth)[:-4]
        sd = torch.load(pth, map_location="cpu", weights_only=True)
        idx = sorted({int(k.split(".")[1]) for k in sd})
        x = torch.from_numpy(emb[i : i + 1])
        for n, li in enumerate(idx):
            x = x @ sd[f"layers.{li}.weight"].T + sd[f"layers.{li}.bias"]
            if n + 1 < len(idx):
                x = torch.relu(x)
        raw[key] = float(x[0, 0])
    ms = {k: v - neutral.get(k, neutral.get(k.replace("model_", "").replace("_best", ""), 0.0)) for k, v in raw.items()}
    emo = [k for k in ms if not any(e in k for e in extras)]
    z = np.exp(np.array([ms[k] for k in emo], dtype=np.float64))
    soft = dict(zip(emo, z / z.sum()))
    ours = by_name[os.path.basename(path)]["results"]
    for k in raw:
        worst_raw = max(worst_raw, abs(raw[k] - ours[k]["raw"]))
        worst_raw = max(worst_raw, abs(ms[k] - ours[k]["mean_subtracted"]))
        if k in soft:
            worst_soft = max(worst_soft, abs(soft[k] - ours[k]["softmax"]))
        elif ours[k]["softmax"] is not None:
            worst_soft = float("inf")
report("heads raw/mean_subtracted vs emonet predict", worst_raw <= 2e-4, f"max |diff| = {worst_raw:.3g}")
report("softmax over 40 vs emonet predict", worst_soft <= 1e-5, f"max |diff| = {worst_soft:.3g}")

# 4. the real architecture's size
cfg = SiglipVisionConfig(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
                         num_attention_heads=16, image_size=384, patch_size=16)
with torch.device("meta"):
    full = SiglipVisionModel(cfg)
n = sum(p.numel() for p in full.parameters())
report("so400m-patch16-384 vision parameters", n == 428256704, f"{n:,} (emonet model info: 428,256,704)")

sys.exit(1 if failures else 0)
