#!/usr/bin/python3
"""Image preprocessing: emonet (C++) vs Pillow + numpy, same JPEG, same machine, same run.

Usage: /usr/bin/python3 bench/image_bench_compare.py BUILD_DIR [REPEATS]

Writes a 1024x1024 photo-like JPEG (quality 92, 4:2:0), times the reference pipeline
  Image.open(f).convert("RGB") -> resize((384, 384), BILINEAR) -> float64 * (1/255) ->
  float32 -> (x - 0.5) / 0.5 -> CHW
(what SiglipImageProcessor does), then runs BUILD_DIR/bench/image_bench on the same file and
prints medians of both with the ratio. Times are CPU time of the process (Python:
time.process_time; Google Benchmark: cpu_time), which stays meaningful on a shared,
overloaded machine; wall-clock medians are printed too.
"""
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

build = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 30

rng = np.random.default_rng(1)
y, x = np.mgrid[0:1024, 0:1024].astype(np.float64)
img = np.dstack([128 + 100 * np.sin(x / 170) * np.cos(y / 256), (x + y) / 8,
                 128 + 60 * np.sin((x * x + y * y) / 5000)]) + rng.normal(0, 12, (1024, 1024, 3))
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "bench_1024.jpg")
Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=92, subsampling=2)
data = open(path, "rb").read()
mean = np.array([0.5] * 3, dtype=np.float32)
std = np.array([0.5] * 3, dtype=np.float32)


def decode():
    return Image.open(io.BytesIO(data)).convert("RGB")


def resize(im):
    return im.resize((384, 384), Image.BILINEAR)


def normalise(im):
    a = (np.asarray(im).astype(np.float64) * (1 / 255)).astype(np.float32)
    return ((a - mean) / std).transpose(2, 0, 1).copy()


def timed(fn):
    fn()
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c) * 1e3)
        wall.append((time.perf_counter() - w) * 1e3)
    return statistics.median(cpu), statistics.median(wall)


decoded = decode()
resized = resize(decoded)
py = {
    "decode": timed(decode),
    "resize_bilinear": timed(lambda: resize(decoded)),
    "resize_bicubic": timed(lambda: decoded.resize((384, 384), Image.BICUBIC)),
    "resize_normalise": timed(lambda: normalise(resize(decoded))),
    "decode_preprocess": timed(lambda: normalise(resize(decode()))),
}

env = dict(os.environ, EMONET_BENCH_IMAGE=path)
out = subprocess.run([os.path.join(build, "bench", "image_bench"), "--benchmark_format=json",
                      f"--benchmark_repetitions={max(5, repeats // 3)}",
                      "--benchmark_report_aggregates_only=true"],
                     env=env, check=True, capture_output=True, text=True).stdout
cpp = {}
names = {"BM_DecodeJpeg_median": "decode", "BM_Resize/2_median": "resize_bilinear",
         "BM_Resize/3_median": "resize_bicubic", "BM_ResizeNormalise_median": "resize_normalise",
         "BM_DecodePreprocess_median": "decode_preprocess"}
for b in json.loads(out)["benchmarks"]:
    if b["name"] in names:
        cpp[names[b["name"]]] = (b["cpu_time"], b["real_time"])  # ms (Unit kMillisecond)

print("| step (1024x1024 JPEG -> 384x384) | emonet CPU ms | Pillow+numpy CPU ms | speed-up "
      "| emonet wall ms | Pillow+numpy wall ms |")
print("|---|---:|---:|---:|---:|---:|")
for k in py:
    print(f"| {k} | {cpp[k][0]:.2f} | {py[k][0]:.2f} | {py[k][0] / cpp[k][0]:.2f}x "
          f"| {cpp[k][1]:.2f} | {py[k][1]:.2f} |")
