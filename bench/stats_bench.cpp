// Statistics benchmarks. The headline is the HQ notebook's Krippendorff-alpha bootstrap:
// 1,000 resamples of an 8 raters × 2,500 images interval matrix with 4 ratings per image
// (the real HQ layout), per emotion; the notebook repeats it for 40 emotions.
// Peer: bench/stats_bench_reference.py (the krippendorff package's NumPy formulation),
// run in the same session by bench/run_stats_bench.sh.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <numeric>

#include "emonet/stats.h"

namespace emonet::stats {
namespace {

// 8 × 2500, each image rated by 4 of the 8 raters, ratings 0..7 near a per-image truth.
Matrix hq_like_matrix(std::uint64_t seed) {
  Generator rng(seed);
  Matrix m(8, 2500);
  std::vector<std::int64_t> raters(8);
  for (std::size_t u = 0; u < 2500; ++u) {
    const std::int64_t truth = rng.integers(0, 8);
    std::iota(raters.begin(), raters.end(), 0);
    for (int k = 0; k < 4; ++k) {  // partial Fisher–Yates: 4 distinct raters
      const auto j = static_cast<std::size_t>(rng.integers(k, 8));
      std::swap(raters[static_cast<std::size_t>(k)], raters[j]);
      const std::int64_t v = std::clamp<std::int64_t>(truth + rng.integers(-2, 3), 0, 7);
      m(static_cast<std::size_t>(raters[static_cast<std::size_t>(k)]), u) = static_cast<double>(v);
    }
  }
  return m;
}

// One emotion: precompute + 1,000 resamples + CI (what bench hq does per emotion).
void BM_AlphaBootstrapInterval_8x2500_1000(benchmark::State& state) {
  const Matrix m = hq_like_matrix(1);
  for (auto _ : state) {
    Generator rng(42);
    const IntervalAlphaUnits units(m);
    const auto ci = percentile_interval(bootstrap_alpha(rng, units, 1000));
    benchmark::DoNotOptimize(ci);
  }
}
BENCHMARK(BM_AlphaBootstrapInterval_8x2500_1000)->Unit(benchmark::kMillisecond);

// The whole HQ alpha block: 40 emotions sharing one generator.
void BM_AlphaBootstrapInterval_40Emotions(benchmark::State& state) {
  std::vector<Matrix> emotions;
  for (std::uint64_t e = 0; e < 40; ++e) emotions.push_back(hq_like_matrix(100 + e));
  for (auto _ : state) {
    Generator rng(42);
    for (const auto& m : emotions) {
      const IntervalAlphaUnits units(m);
      benchmark::DoNotOptimize(percentile_interval(bootstrap_alpha(rng, units, 1000)));
    }
  }
}
BENCHMARK(BM_AlphaBootstrapInterval_40Emotions)->Unit(benchmark::kMillisecond);

// The general (coincidence-matrix) path on the same data, per single alpha.
void BM_AlphaGeneralInterval_8x2500(benchmark::State& state) {
  const Matrix m = hq_like_matrix(1);
  for (auto _ : state) benchmark::DoNotOptimize(krippendorff_alpha(m, AlphaLevel::interval));
}
BENCHMARK(BM_AlphaGeneralInterval_8x2500)->Unit(benchmark::kMicrosecond);

void BM_GeneratorChoice2500(benchmark::State& state) {
  Generator rng(42);
  std::vector<std::int64_t> idx(2500);
  for (auto _ : state) {
    rng.choice(2500, idx);
    benchmark::DoNotOptimize(idx.data());
  }
}
BENCHMARK(BM_GeneratorChoice2500)->Unit(benchmark::kMicrosecond);

// One pairwise quadratic kappa over ~1,250 shared images (the HQ agreement table does
// a few thousand of these).
void BM_CohenKappaQuadratic_1250(benchmark::State& state) {
  Generator rng(3);
  std::vector<std::int64_t> a(1250), b(1250);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = rng.integers(0, 8);
    b[i] = std::clamp<std::int64_t>(a[i] + rng.integers(-2, 3), -1, 8);
  }
  const std::vector<std::int64_t> labels = {0, 1, 2, 3, 4, 5, 6, 7};
  for (auto _ : state) {
    benchmark::DoNotOptimize(cohen_kappa(a, b, KappaWeights::quadratic, labels));
  }
}
BENCHMARK(BM_CohenKappaQuadratic_1250)->Unit(benchmark::kMicrosecond);

void BM_MannWhitney_320x1120(benchmark::State& state) {
  Generator rng(5);
  std::vector<double> x(320), y(1120);
  for (auto& v : x) v = rng.random();
  for (auto& v : y) v = rng.random() + 0.1;
  for (auto _ : state) benchmark::DoNotOptimize(mann_whitney_u(x, y));
}
BENCHMARK(BM_MannWhitney_320x1120)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace emonet::stats

BENCHMARK_MAIN();
