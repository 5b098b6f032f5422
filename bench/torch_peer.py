#!/usr/bin/python3
"""PyTorch peer of engine_bench: the same model directory through the plain-torch
reference (tests/fixtures/reference_forward.py), timed the same way.

  torch_peer.py --model DIR [--batch 1,8] [--threads 2] [--precision fp32,bf16] [--iters 3]

bf16 = the tower converted to bfloat16 (module.to(torch.bfloat16), input in bfloat16;
torch 1.13's CPU autocast fails on this model: its MultiheadAttention returns bfloat16
into a float32 LayerNorm). Prints one JSON object per line.
"""
import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import reference_forward  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", default="fp32,bf16")
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--gflop", type=float, default=519.0)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    c, tower, heads, neutral = reference_forward.load_model(a.model)
    load = time.perf_counter() - t0
    size = c["image_size"]
    for prec in a.precision.split(","):
        dtype = torch.bfloat16 if prec == "bf16" else torch.float32
        net = tower if prec == "fp32" else copy.deepcopy(tower).to(dtype)
        for b in (int(x) for x in a.batch.split(",")):
            px = torch.from_numpy(np.random.default_rng(1).uniform(-1, 1, (b, 3, size, size)).astype(np.float32))
            px = px.to(dtype)

            def step():
                with torch.inference_mode():
                    emb = net(px).float().numpy()
                for e in emb:
                    reference_forward.score(e, heads, neutral)

            if a.warmup:
                step()
            times, cpu = [], []
            for _ in range(a.iters):
                s, c = time.perf_counter(), time.process_time()
                step()
                times.append(time.perf_counter() - s)
                cpu.append(time.process_time() - c)
            med = float(np.median(times))
            print(json.dumps({"engine": "pytorch " + torch.__version__, "precision": prec, "batch": b,
                              "threads": a.threads, "load_s": round(load, 3), "median_s": round(med, 4),
                              "images_per_s": round(b / med, 4),
                              "gflop_per_s": round(a.gflop * b / med, 1),
                              "cpu_s_per_image": round(float(np.median(cpu)) / b, 3)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
