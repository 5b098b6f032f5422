// NumPy 1.24-exact sum, mean, nanmean, median, nanmedian, var/std and percentile.
#include "emonet/stats/descriptive.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "emonet/error.h"

namespace emonet::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// NumPy's pairwise summation (the float add loop): below 8 values a plain loop; up to
// 128 values eight interleaved accumulators combined as a tree; above that the range is
// split at a multiple of 8 near the middle and both halves summed recursively.
double pairwise(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = a[k];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int k = 0; k < 8; ++k) r[k] += a[i + k];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

bool any_nan(std::span<const double> v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}

// Median of a NaN-free, non-empty vector (modified in place).
double median_in_place(std::vector<double>& v) {
  const std::size_t n = v.size();
  const std::size_t mid = n / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  // np.median averages the two middle values with np.mean: (a + b) / 2.
  return (lower + upper) / 2.0;
}

// NumPy's _lerp: interpolate from below for t < 0.5 and from above otherwise.
double lerp(double a, double b, double t) {
  const double diff = b - a;
  if (t >= 0.5) return b - diff * (1.0 - t);
  return a + diff * t;
}

void check_q(double q) {
  if (!(q >= 0.0 && q <= 100.0)) {
    throw Error("percentile must be between 0 and 100, got " + std::to_string(q));
  }
}

// np.percentile on sorted, NaN-free, non-empty values ('linear').
double percentile_sorted(const std::vector<double>& sorted, double q) {
  const double quantile = q / 100.0;
  const std::size_t n = sorted.size();
  const double virtual_index = static_cast<double>(n - 1) * quantile;
  if (virtual_index >= static_cast<double>(n - 1)) return sorted[n - 1];
  if (virtual_index < 0) return sorted[0];
  const double previous_index = std::floor(virtual_index);
  const auto below = static_cast<std::size_t>(previous_index);
  const double gamma = virtual_index - previous_index;
  return lerp(sorted[below], sorted[below + 1], gamma);
}

}  // namespace

double numpy_sum(std::span<const double> values) {
  return pairwise(values.data(), values.size());
}

double mean(std::span<const double> values) {
  if (values.empty()) return kNaN;
  return numpy_sum(values) / static_cast<double>(values.size());
}

double nanmean(std::span<const double> values) {
  // np.nanmean replaces NaN by 0 and sums the whole array, then divides by the count.
  std::vector<double> zeroed(values.begin(), values.end());
  std::size_t count = 0;
  for (double& v : zeroed) {
    if (std::isnan(v)) {
      v = 0.0;
    } else {
      ++count;
    }
  }
  if (count == 0) return kNaN;
  return numpy_sum(zeroed) / static_cast<double>(count);
}

double median(std::span<const double> values) {
  if (values.empty() || any_nan(values)) return kNaN;
  std::vector<double> v(values.begin(), values.end());
  return median_in_place(v);
}

double nanmedian(std::span<const double> values) {
  std::vector<double> v = drop_nan(values);
  if (v.empty()) return kNaN;
  return median_in_place(v);
}

double variance(std::span<const double> values, int ddof) {
  const auto n = static_cast<double>(values.size());
  if (values.empty() || n - ddof <= 0 || any_nan(values)) return kNaN;
  const double m = numpy_sum(values) / n;
  std::vector<double> sq(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double d = values[i] - m;
    sq[i] = d * d;
  }
  return numpy_sum(sq) / (n - ddof);
}

double stddev(std::span<const double> values, int ddof) {
  return std::sqrt(variance(values, ddof));
}

double percentile(std::span<const double> values, double q) {
  check_q(q);
  if (values.empty() || any_nan(values)) return kNaN;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return percentile_sorted(sorted, q);
}

std::vector<double> percentiles(std::span<const double> values, std::span<const double> qs) {
  for (double q : qs) check_q(q);
  std::vector<double> out(qs.size(), kNaN);
  if (values.empty() || any_nan(values)) return out;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < qs.size(); ++i) out[i] = percentile_sorted(sorted, qs[i]);
  return out;
}

std::vector<double> drop_nan(std::span<const double> values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values) {
    if (!std::isnan(v)) out.push_back(v);
  }
  return out;
}

}  // namespace emonet::stats
