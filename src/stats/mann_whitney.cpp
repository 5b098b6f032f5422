// Two-sided Mann–Whitney U test (scipy.stats.mannwhitneyu, SciPy 1.10, method='auto').
#include "emonet/stats/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "emonet/stats/correlation.h"
#include "emonet/stats/descriptive.h"

namespace emonet::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Standard normal survival function Φ(−z), computed like Cephes' ndtr (which SciPy's
// norm.sf uses): erf near 0, erfc in the tails.
double normal_sf(double z) {
  const double x = -z * M_SQRT1_2;
  const double ax = std::fabs(x);
  if (ax < M_SQRT1_2) return 0.5 + 0.5 * std::erf(x);
  const double y = 0.5 * std::erfc(ax);
  return x > 0 ? 1.0 - y : y;
}

// Number of arrangements of m and n items for each U = 0..m·n: the coefficients of the
// Gaussian binomial [m+n choose m](q), built as Π_{i=1..m} (1 − q^{n+i}) / (1 − q^i).
std::vector<double> u_frequencies(std::size_t m, std::size_t n) {
  const std::size_t top = m * n;
  std::vector<double> c(top + 1, 0.0);
  c[0] = 1.0;
  for (std::size_t i = 1; i <= m; ++i) {
    const std::size_t a = n + i;
    for (std::size_t k = top; k >= a; --k) {
      c[k] -= c[k - a];
      if (k == a) break;
    }
    for (std::size_t k = i; k <= top; ++k) c[k] += c[k - i];
  }
  return c;
}

// P(U' >= u) under H0 via symmetry: the CDF at m·n − u.
double exact_sf(double u, std::size_t m, std::size_t n) {
  const std::size_t small = std::min(m, n), large = std::max(m, n);
  const std::vector<double> freq = u_frequencies(small, large);
  const double total = numpy_sum(freq);
  const auto mn = static_cast<long long>(m * n);
  auto k = static_cast<long long>(u);
  const long long kc = mn - k;
  // SciPy sums pmf from the left up to the smaller of k and its complement.
  auto cdf = [&](long long upto) {
    double s = 0;
    for (long long j = 0; j <= upto; ++j) s += freq[static_cast<std::size_t>(j)] / total;
    return s;
  };
  if (k < kc) return 1.0 - cdf(k) + freq[static_cast<std::size_t>(k)] / total;
  return cdf(kc);
}

}  // namespace

MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y,
                                 MannWhitneyMethod method) {
  MannWhitneyResult result;
  const std::size_t n1 = x.size(), n2 = y.size();
  auto has_nan = [](std::span<const double> v) {
    return std::any_of(v.begin(), v.end(), [](double a) { return std::isnan(a); });
  };
  if (n1 == 0 || n2 == 0 || has_nan(x) || has_nan(y)) {
    result.u1 = kNaN;
    result.p = kNaN;
    return result;
  }
  std::vector<double> pooled(x.begin(), x.end());
  pooled.insert(pooled.end(), y.begin(), y.end());
  const std::vector<double> ranks = rank_average(pooled);
  const double r1 = numpy_sum(std::span<const double>(ranks).first(n1));
  const auto dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2);
  const double u1 = r1 - dn1 * (dn1 + 1) / 2;
  const double u2 = dn1 * dn2 - u1;
  const double u = std::max(u1, u2);
  result.u1 = u1;

  // Tie groups of the pooled sample (sizes t).
  std::vector<double> sorted = pooled;
  std::sort(sorted.begin(), sorted.end());
  double tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    const auto t = static_cast<double>(j - i);
    ties |= j - i > 1;
    tie_term += t * t * t - t;
    i = j;
  }

  if (method == MannWhitneyMethod::automatic) {
    method = (n1 > 8 && n2 > 8) || ties ? MannWhitneyMethod::asymptotic : MannWhitneyMethod::exact;
  }
  result.method = method;
  double p;
  if (method == MannWhitneyMethod::exact) {
    p = exact_sf(u, n1, n2);
  } else {
    const double mu = dn1 * dn2 / 2;
    const double n = dn1 + dn2;
    const double s = std::sqrt(dn1 * dn2 / 12 * ((n + 1) - tie_term / (n * (n - 1))));
    double numerator = u - mu;
    numerator -= 0.5;
    const double z = numerator / s;
    p = normal_sf(z);
  }
  p *= 2;
  result.p = std::clamp(p, 0.0, 1.0);
  return result;
}

}  // namespace emonet::stats
