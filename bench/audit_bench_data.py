#!/usr/bin/python3
"""Writes the `data audit` / `data pack` benchmark set: N small PNGs (64x64 gradients with
a little noise, ~3 KB each) with spec §2.3 labels drawn at random, plus metadata.csv.
Every 1,000th image is a byte copy of the one before (exact duplicates to find).

usage: audit_bench_data.py OUT_DIR [N]   (default 100000; 2 worker processes)
"""
import os
import sys
from multiprocessing import Pool

import numpy as np
from PIL import Image

ETHNICITIES = ["American Indian or Alaska Native", "white caucasian north american",
               "Middle Eastern", "North African", "Asian", "White", "South Asian",
               "white caucasian european", "Hispanic or Latino", "Southeast Asian", "arabic",
               "Native Hawaiian or Other Pacific Islander", "Black or African American", "Indian"]
AGES = ["20", "30", "40", "50", "60", "70", "80"]
GENDERS = ["man", "woman", "non-binary person"]
EMOTIONS = ["Amusement", "Elation", "Contentment", "Anger", "Fear", "Sadness", "Awe", "Pride"]


def write(args):
    out, start, end = args
    for i in range(start, end):
        path = os.path.join(out, "images", f"{i // 1000:03d}", f"{i:06d}.png")
        if i % 1000 == 999:
            prev = os.path.join(out, "images", f"{i // 1000:03d}", f"{i - 1:06d}.png")
            with open(prev, "rb") as f, open(path, "wb") as g:
                g.write(f.read())
            continue
        r = np.random.default_rng(i)
        a, b = r.uniform(0, 255, 3), r.uniform(0, 255, 3)
        t = np.linspace(0, 1, 64)[None, :, None]
        img = (a * (1 - t) + b * t).repeat(64, axis=0) + r.normal(0, 2, (64, 64, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, compress_level=6)


def main():
    out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    for d in range((n + 999) // 1000):
        os.makedirs(os.path.join(out, "images", f"{d:03d}"), exist_ok=True)
    chunks = [(out, s, min(n, s + 1000)) for s in range(0, n, 1000)]
    with Pool(2) as pool:
        pool.map(write, chunks)
    rng = np.random.default_rng(7)
    with open(os.path.join(out, "metadata.csv"), "w") as f:
        f.write("file_name,prompt,ethnicity,age,gender,emotion\n")
        for i in range(n):
            f.write(f"images/{i // 1000:03d}/{i:06d}.png,,{rng.choice(ETHNICITIES)},"
                    f"{rng.choice(AGES)},{rng.choice(GENDERS)},{rng.choice(EMOTIONS)}\n")


if __name__ == "__main__":
    main()
