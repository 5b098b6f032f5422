#!/usr/bin/python3
"""The `data audit` benchmark's peer: the same image pass in Python (Pillow decode to RGB,
SHA-256 of the bytes, exact-duplicate groups, per-axis counts from metadata.csv) with 2
worker processes, so the C++ audit (2 threads) is compared with what a notebook would do.

usage: audit_peer.py DATA_DIR
"""
import csv
import hashlib
import os
import sys
from collections import Counter, defaultdict
from multiprocessing import Pool

from PIL import Image


def check(path):
    with open(path, "rb") as f:
        data = f.read()
    h = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(path) as im:
            im.convert("RGB").load()
        ok = True
    except Exception:
        ok = False
    return h, ok


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "metadata.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    margins = {a: Counter(r[a] for r in rows) for a in ("ethnicity", "age", "gender", "emotion")}
    paths = [os.path.join(root, r["file_name"]) for r in rows]
    with Pool(2) as pool:
        results = pool.map(check, paths, chunksize=256)
    groups = defaultdict(list)
    for p, (h, ok) in zip(paths, results):
        groups[h].append(p)
    dups = sum(1 for g in groups.values() if len(g) > 1)
    bad = sum(1 for _, ok in results if not ok)
    print(f"{len(rows)} images, {bad} unreadable, {dups} duplicate groups, "
          f"{len(margins['ethnicity'])} ethnicities")


if __name__ == "__main__":
    main()
