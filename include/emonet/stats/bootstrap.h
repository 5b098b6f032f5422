// Percentile bootstrap confidence intervals with the authors' RNG call order.
//
// Every resample draws indices with Generator::choice(n, n) (numpy
// `rng.choice(x, size=len(x), replace=True)`), so a Generator seeded like the notebook
// (default_rng(42)) gives the notebook's resamples. Intervals are numpy percentiles
// (linear) of the non-NaN resampled statistics; resamples whose statistic is NaN or
// failed are dropped, as the notebooks drop them.
// Functions taking a Generator& advance it; they are as thread-safe as the Generator
// (one per thread).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "emonet/stats/alpha.h"
#include "emonet/stats/kappa.h"
#include "emonet/stats/random.h"

namespace emonet::stats {

struct ConfidenceInterval {
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
  std::size_t valid = 0;       // resamples with a non-NaN statistic
  std::size_t iterations = 0;  // resamples drawn
};

// Percentiles `low_pct`/`high_pct` (default 2.5/97.5) of the non-NaN statistics.
ConfidenceInterval percentile_interval(std::span<const double> statistics, double low_pct = 2.5,
                                       double high_pct = 97.5);

// `iterations` times: idx = rng.choice(n, n); statistics[i] = stat(idx).
std::vector<double> bootstrap(Generator& rng, std::size_t n, std::size_t iterations,
                              const std::function<double(std::span<const std::int64_t>)>& stat);

// The notebooks' two-sample bootstrap of a difference of means: per iteration, resample
// sample1 (size n1) THEN sample2 (size n2) with replacement, statistic
// mean(sample1*) − mean(sample2*) (numpy means; nanmean when the samples hold NaN).
std::vector<double> bootstrap_mean_difference(Generator& rng, std::span<const double> sample1,
                                              std::span<const double> sample2,
                                              std::size_t iterations);

// The notebooks' one-sample bootstrap of a mean (Spearman CI): per iteration resample
// the values (size n) and take their mean. An empty sample draws nothing.
std::vector<double> bootstrap_mean(Generator& rng, std::span<const double> sample,
                                   std::size_t iterations);

// Cohen's kappa over resampled items (both raters' rows resampled together).
std::vector<double> bootstrap_kappa(Generator& rng, std::span<const std::int64_t> first,
                                    std::span<const std::int64_t> second, KappaWeights weights,
                                    std::span<const std::int64_t> labels, std::size_t iterations);

// Krippendorff's alpha over resampled units (columns), as the HQ notebook does; the
// interval level uses IntervalAlphaUnits (O(units) per resample).
std::vector<double> bootstrap_alpha(Generator& rng, const Matrix& reliability_data,
                                    AlphaLevel level, std::size_t iterations);
// Same, from precomputed interval summaries (the fast path the HQ benchmark uses).
std::vector<double> bootstrap_alpha(Generator& rng, const IntervalAlphaUnits& units,
                                    std::size_t iterations);

}  // namespace emonet::stats
