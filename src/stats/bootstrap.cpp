// Percentile bootstrap with the notebooks' resampling order (rng.choice per sample).
#include "emonet/stats/bootstrap.h"

#include <cmath>

#include "emonet/stats/descriptive.h"

namespace emonet::stats {

ConfidenceInterval percentile_interval(std::span<const double> statistics, double low_pct,
                                       double high_pct) {
  ConfidenceInterval ci;
  ci.iterations = statistics.size();
  const std::vector<double> valid = drop_nan(statistics);
  ci.valid = valid.size();
  const double qs[2] = {low_pct, high_pct};
  const auto bounds = percentiles(valid, qs);
  ci.low = bounds[0];
  ci.high = bounds[1];
  return ci;
}

std::vector<double> bootstrap(Generator& rng, std::size_t n, std::size_t iterations,
                              const std::function<double(std::span<const std::int64_t>)>& stat) {
  std::vector<double> out(iterations);
  std::vector<std::int64_t> idx(n);
  for (std::size_t it = 0; it < iterations; ++it) {
    rng.choice(static_cast<std::int64_t>(n), idx);
    out[it] = stat(idx);
  }
  return out;
}

namespace {

bool has_nan(std::span<const double> v) {
  for (double x : v) {
    if (std::isnan(x)) return true;
  }
  return false;
}

// Draws a resample of `sample` into `buffer` (np.choice(sample, len(sample))).
void resample(Generator& rng, std::span<const double> sample, std::vector<std::int64_t>& idx,
              std::vector<double>& buffer) {
  idx.resize(sample.size());
  buffer.resize(sample.size());
  rng.choice(static_cast<std::int64_t>(sample.size()), idx);
  for (std::size_t i = 0; i < idx.size(); ++i) buffer[i] = sample[static_cast<std::size_t>(idx[i])];
}

}  // namespace

std::vector<double> bootstrap_mean_difference(Generator& rng, std::span<const double> sample1,
                                              std::span<const double> sample2,
                                              std::size_t iterations) {
  const bool nan_aware = has_nan(sample1) || has_nan(sample2);
  auto average = [nan_aware](std::span<const double> v) {
    return nan_aware ? nanmean(v) : mean(v);
  };
  std::vector<double> out(iterations);
  std::vector<std::int64_t> idx;
  std::vector<double> r1, r2;
  for (std::size_t it = 0; it < iterations; ++it) {
    resample(rng, sample1, idx, r1);
    resample(rng, sample2, idx, r2);
    out[it] = average(r1) - average(r2);
  }
  return out;
}

std::vector<double> bootstrap_mean(Generator& rng, std::span<const double> sample,
                                   std::size_t iterations) {
  std::vector<double> out(iterations, std::numeric_limits<double>::quiet_NaN());
  if (sample.empty()) return out;
  std::vector<std::int64_t> idx;
  std::vector<double> r;
  for (std::size_t it = 0; it < iterations; ++it) {
    resample(rng, sample, idx, r);
    out[it] = mean(r);
  }
  return out;
}

std::vector<double> bootstrap_kappa(Generator& rng, std::span<const std::int64_t> first,
                                    std::span<const std::int64_t> second, KappaWeights weights,
                                    std::span<const std::int64_t> labels, std::size_t iterations) {
  std::vector<std::int64_t> a(first.size()), b(second.size());
  return bootstrap(rng, first.size(), iterations, [&](std::span<const std::int64_t> idx) {
    for (std::size_t i = 0; i < idx.size(); ++i) {
      a[i] = first[static_cast<std::size_t>(idx[i])];
      b[i] = second[static_cast<std::size_t>(idx[i])];
    }
    const Estimate k =
        labels.empty() ? cohen_kappa(a, b, weights) : cohen_kappa(a, b, weights, labels);
    return k.value;
  });
}

std::vector<double> bootstrap_alpha(Generator& rng, const Matrix& reliability_data,
                                    AlphaLevel level, std::size_t iterations) {
  if (level == AlphaLevel::interval) {
    return bootstrap_alpha(rng, IntervalAlphaUnits(reliability_data), iterations);
  }
  return bootstrap(rng, reliability_data.cols(), iterations,
                   [&](std::span<const std::int64_t> idx) {
                     return krippendorff_alpha(reliability_data.select_columns(idx), level).value;
                   });
}

std::vector<double> bootstrap_alpha(Generator& rng, const IntervalAlphaUnits& units,
                                    std::size_t iterations) {
  return bootstrap(rng, units.units(), iterations,
                   [&](std::span<const std::int64_t> idx) { return units.alpha(idx).value; });
}

}  // namespace emonet::stats
