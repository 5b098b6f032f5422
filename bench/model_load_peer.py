#!/usr/bin/python3
"""Peer for model_load_bench: torch.load of the same 44 head files (Debian's PyTorch).
  model_load_peer.py --model DIR [--iters N]"""
import argparse
import glob
import os
import resource
import statistics
import time

import torch


def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--iters", type=int, default=5)
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.model, "heads", "model_*_best.pth")))
    wall, cpus = [], []
    for _ in range(args.iters):
        t0, c0 = time.perf_counter(), cpu()
        heads = [torch.load(f, map_location="cpu") for f in files]
        cpus.append(cpu() - c0)
        wall.append(time.perf_counter() - t0)
    print(f"torch   {'44 heads (torch.load)':34s} wall {statistics.median(wall):8.3f} s  "
          f"cpu {statistics.median(cpus):8.3f} s  ({len(heads)})")


if __name__ == "__main__":
    main()
