// Heads training throughput: HeadsTrainer (all 44 heads in one batched oneDNN pass) on
// 200k cached-size random embeddings (1152 wide, unit norm) with random targets and
// mini-batches drawn as `emonet train heads` draws them. Short runs: a few steps after
// one warm-up step (primitive creation, first touch); the median step time gives
// samples/s. bench/train_bench.sh runs bench/train_peer.py (PyTorch) in the same run.
//   train_bench [--mode batched|per-head] [--variant large|small] [--rows N] [--batch B] [--steps
//   S] [--threads T]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "emonet/train.h"

int main(int argc, char** argv) {
  std::string variant = "large";
  std::size_t rows = 200000, batch = 256, steps = 6;
  std::string mode = "batched";
  int threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--variant")
      variant = v;
    else if (a == "--rows")
      rows = std::stoul(v);
    else if (a == "--batch")
      batch = std::stoul(v);
    else if (a == "--steps")
      steps = std::stoul(v);
    else if (a == "--threads")
      threads = std::stoi(v);
    else if (a == "--mode")
      mode = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (threads > 0) omp_set_num_threads(threads);
  const std::size_t D = 1152, H = emonet::train::kHeads;
  std::mt19937_64 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> x(rows * D), t(rows * H);
  for (std::size_t r = 0; r < rows; ++r) {
    float norm = 0;
    for (std::size_t j = 0; j < D; ++j) norm += (x[r * D + j] = nd(rng)) * x[r * D + j];
    for (std::size_t j = 0; j < D; ++j) x[r * D + j] /= std::sqrt(norm);
    for (std::size_t g = 0; g < H; ++g) t[r * H + g] = nd(rng);
  }
  // batched: all heads in one trainer (what `emonet train heads` runs); per-head: one
  // trainer per head on the same oneDNN kernels, i.e. the PyTorch loop's structure.
  const auto shape = emonet::train::variant_shape(variant);
  std::vector<std::unique_ptr<emonet::train::HeadsTrainer>> trainers;
  if (mode == "batched")
    trainers.push_back(std::make_unique<emonet::train::HeadsTrainer>(shape, H, 1));
  else
    for (std::size_t g = 0; g < H; ++g)
      trainers.push_back(std::make_unique<emonet::train::HeadsTrainer>(shape, 1, g));
  std::vector<float> xb(batch * D), tb(batch * H), tg(batch);
  std::uniform_int_distribution<std::size_t> pick(0, rows - 1);
  std::vector<double> times;
  for (std::size_t s = 0; s <= steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < batch; ++i) {  // gathering the batch is part of a step
      const std::size_t r = pick(rng);
      std::copy_n(x.data() + r * D, D, xb.data() + i * D);
      std::copy_n(t.data() + r * H, H, tb.data() + i * H);
    }
    if (trainers.size() == 1) {
      trainers[0]->step(xb.data(), tb.data(), std::int64_t(batch), 1e-4);
    } else {
      for (std::size_t g = 0; g < H; ++g) {
        for (std::size_t i = 0; i < batch; ++i) tg[i] = tb[i * H + g];
        trainers[g]->step(xb.data(), tg.data(), std::int64_t(batch), 1e-4);
      }
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > 0) times.push_back(dt);  // step 0 warms up
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  std::printf(
      "emonet %-8s %-5s rows=%zu batch=%zu steps=%zu threads=%d  median step %.4f s  %.1f "
      "samples/s\n",
      mode.c_str(), variant.c_str(), rows, batch, steps, omp_get_max_threads(), median,
      double(batch) / median);
  return 0;
}
