// NumPy-exact descriptive statistics: sum, mean, nanmean, median, nanmedian, std, and the
// default (linear) percentile.
//
// "Exact" means the same floating-point operations in the same order as NumPy 1.24, so
// results are bit-identical to the reference notebook: sums use NumPy's pairwise
// summation (8-way unrolled blocks of up to 128 values, split in halves above that);
// nanmean sums the array with NaN replaced by 0 (so the pairwise blocks are those of the
// full array); the median of an even count is (a + b) / 2; percentile interpolation is
// NumPy's `_lerp` (from below when the fraction is < 0.5, from above otherwise).
//
// Empty input and all-NaN input give NaN where NumPy gives NaN with a RuntimeWarning.
// NumPy raises for np.percentile([]); here it is NaN too (documented difference).
// All functions are pure and thread-safe.
#pragma once

#include <span>
#include <vector>

namespace emonet::stats {

// np.add.reduce on a contiguous float64 array (pairwise summation).
double numpy_sum(std::span<const double> values);

// np.mean: numpy_sum / n. NaN for an empty span; NaN propagates.
double mean(std::span<const double> values);

// np.nanmean: NaN values are ignored; NaN if none is left.
double nanmean(std::span<const double> values);

// np.median: NaN if empty or if any value is NaN.
double median(std::span<const double> values);

// np.nanmedian: median of the non-NaN values; NaN if none.
double nanmedian(std::span<const double> values);

// np.var / np.std with `ddof` (default 1, i.e. the sample standard deviation, as the
// notebooks use). NaN when n − ddof <= 0 or any value is NaN.
double variance(std::span<const double> values, int ddof = 1);
double stddev(std::span<const double> values, int ddof = 1);

// np.percentile(values, q) with the default method 'linear' (q in [0, 100]; the virtual
// index is (n − 1) · (q / 100)). NaN if empty or if any value is NaN. Throws
// emonet::Error for q outside [0, 100].
double percentile(std::span<const double> values, double q);

// Several percentiles of the same values, sorting once. Same semantics as percentile().
std::vector<double> percentiles(std::span<const double> values, std::span<const double> qs);

// The values with NaN removed (order kept): what the notebooks' `x[~np.isnan(x)]` does.
std::vector<double> drop_nan(std::span<const double> values);

}  // namespace emonet::stats
