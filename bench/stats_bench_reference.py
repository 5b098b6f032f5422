#!/usr/bin/python3
"""NumPy peer for bench/stats_bench.cpp: the HQ notebook's alpha bootstrap.

Krippendorff's alpha (interval) in the `krippendorff` package's vectorised formulation
(value counts per unit -> per-unit coincidence matrices -> sum), 1,000 resamples of an
8 x 2,500 matrix with 4 ratings per image, resampled with np.random.default_rng(42)
exactly as the notebook does. Prints the median wall time of one emotion (1,000
resamples) over --repeat runs. The package itself is not installable here (no PyPI).
"""
import argparse
import statistics
import time

import numpy as np


def alpha_interval(data):
    values = data[~np.isnan(data)]
    domain = np.unique(values)
    if len(domain) <= 1:
        raise ValueError("There has to be more than one value in the domain.")
    counts = (data.T[..., np.newaxis] == domain[np.newaxis, np.newaxis, :]).sum(axis=1)
    pairable = np.maximum(counts.sum(axis=1), 2)
    diagonals = counts[:, np.newaxis, :] * np.eye(len(domain))[np.newaxis, ...]
    unnormalised = counts[..., np.newaxis] * counts[:, np.newaxis, :] - diagonals
    o = np.divide(unnormalised, (pairable - 1).reshape((-1, 1, 1)), dtype=np.float64).sum(axis=0)
    n_v = o.sum(axis=0)
    e = (np.outer(n_v, n_v) - np.diagflat(n_v)) / (n_v.sum() - 1)
    d = (domain[:, np.newaxis] - domain[np.newaxis, :]) ** 2
    return 1 - (o * d).sum() / (e * d).sum()


def hq_like_matrix(rng):
    m = np.full((8, 2500), np.nan)
    truth = rng.integers(0, 8, 2500)
    for u in range(2500):
        who = rng.choice(8, 4, replace=False)
        m[who, u] = np.clip(truth[u] + rng.integers(-2, 3, 4), 0, 7)
    return m


def one_emotion(m, rng, iterations):
    alphas = []
    for _ in range(iterations):
        idx = rng.choice(m.shape[1], size=m.shape[1], replace=True)
        try:
            alphas.append(alpha_interval(m[:, idx]))
        except ValueError:
            pass
    alphas = np.array(alphas)
    alphas = alphas[~np.isnan(alphas)]
    return np.percentile(alphas, 2.5), np.percentile(alphas, 97.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=1000)
    args = ap.parse_args()
    m = hq_like_matrix(np.random.default_rng(1))
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        one_emotion(m, np.random.default_rng(42), args.iterations)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"numpy alpha bootstrap 8x2500 x {args.iterations}: median {med * 1000:.1f} ms "
          f"over {args.repeat} runs; x40 emotions = {med * 40:.1f} s")


if __name__ == "__main__":
    main()
