#!/usr/bin/python3
"""Seeds for fuzz/hf_listing_fuzz.cpp: Hub tree listings and auto-converted Parquet listings."""
import json
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = {
    "tree.json": json.dumps([
        {"type": "file", "path": "README.md", "size": 11500},
        {"type": "directory", "path": "data", "size": 0},
        {"type": "file", "path": "data/train-00000-of-00005.parquet", "size": 450000000,
         "lfs": {"oid": "ab" * 32, "size": 450000000, "pointerSize": 135}},
    ]),
    "parquet_object.json": json.dumps({"default": {"train": [
        "https://huggingface.co/api/datasets/laion/emonet-face-big/parquet/default/train/0.parquet"]}}),
    "parquet_list.json": json.dumps([{"dataset": "x", "config": "default", "split": "train",
                                      "url": "https://h/0.parquet", "filename": "0.parquet",
                                      "size": 123}]),
    "broken.json": '[{"type": "file", "path": ',
}
for name, text in seeds.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
