#!/usr/bin/python3
"""PyTorch peer of bench/train_bench: the reference training loop for the heads.

Every head is its own nn.Sequential of model-spec §1.3 (Linear, ReLU, Dropout, ...), all
trained by one torch.optim.AdamW on the sum of their MSE losses, each step on a batch
gathered from 200k random unit-norm 1152-wide embeddings: the way one trains the heads
in PyTorch without writing a fused kernel. Median step time after one warm-up step.
  train_peer.py [--variant large|small] [--rows N] [--batch B] [--steps S] [--threads T]
"""
import argparse
import time

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--variant", default="large")
ap.add_argument("--rows", type=int, default=200000)
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--steps", type=int, default=6)
ap.add_argument("--threads", type=int, default=0)
a = ap.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
D, H = 1152, 44
widths, p = ([1024, 512, 256], 0.2) if a.variant == "large" else ([128, 32], 0.1)
rng = np.random.default_rng(1)
x = rng.standard_normal((a.rows, D), dtype=np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
t = rng.standard_normal((a.rows, H), dtype=np.float32)
x, t = torch.from_numpy(x), torch.from_numpy(t)


def head():
    layers, prev = [], D
    for w in widths:
        layers += [torch.nn.Linear(prev, w), torch.nn.ReLU(), torch.nn.Dropout(p)]
        prev = w
    layers.append(torch.nn.Linear(prev, 1))
    return torch.nn.Sequential(*layers)


heads = [head() for _ in range(H)]
opt = torch.optim.AdamW([q for h in heads for q in h.parameters()], lr=1e-4)
times = []
for s in range(a.steps + 1):
    t0 = time.perf_counter()
    idx = torch.from_numpy(rng.integers(0, a.rows, a.batch))
    xb, tb = x[idx], t[idx]
    opt.zero_grad()
    loss = sum(torch.nn.functional.mse_loss(h(xb)[:, 0], tb[:, g]) for g, h in enumerate(heads))
    loss.backward()
    opt.step()
    dt = time.perf_counter() - t0
    if s:
        times.append(dt)
median = float(np.median(times))
print(f"pytorch  {a.variant:5s} rows={a.rows} batch={a.batch} steps={a.steps} "
      f"threads={torch.get_num_threads()}  median step {median:.4f} s  {a.batch / median:.1f} samples/s"
      f"  (torch {torch.__version__})")
