// Krippendorff's alpha with the `krippendorff` package's coincidence-matrix formulation.
//
// The package builds an N × V table of value counts and sums per-unit V × V coincidence
// matrices. Here each unit only visits the values it actually holds (a unit touches at
// most m_u² cells), which gives the same per-cell sums in the same unit order, so the
// result follows the package's floating-point path while staying fast for large value
// domains.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "emonet/error.h"
#include "emonet/stats/alpha.h"
#include "emonet/stats/descriptive.h"

namespace emonet::stats {

AlphaLevel parse_alpha_level(const std::string& name) {
  if (name == "nominal") return AlphaLevel::nominal;
  if (name == "ordinal") return AlphaLevel::ordinal;
  if (name == "interval") return AlphaLevel::interval;
  if (name == "ratio") return AlphaLevel::ratio;
  throw Error("unknown level of measurement '" + name +
              "' (expected nominal, ordinal, interval or ratio)");
}

const char* to_string(AlphaLevel level) {
  switch (level) {
    case AlphaLevel::nominal:
      return "nominal";
    case AlphaLevel::ordinal:
      return "ordinal";
    case AlphaLevel::interval:
      return "interval";
    case AlphaLevel::ratio:
      return "ratio";
  }
  return "unknown";
}

namespace {

constexpr const char* kDomainTooSmall = "there has to be more than one value in the domain";
constexpr const char* kNothingPairable = "no unit has values from two or more raters";
constexpr const char* kNoExpectedDisagreement =
    "all pairable values are identical (expected disagreement is zero)";

std::vector<double> found_domain(const Matrix& data) {
  std::vector<double> domain = drop_nan(data.values());
  std::sort(domain.begin(), domain.end());
  domain.erase(std::unique(domain.begin(), domain.end()), domain.end());
  return domain;
}

// δ² between domain values c (index i) and k (index j).
double distance(AlphaLevel level, std::span<const double> domain, std::span<const double> n_v,
                const std::vector<double>& prefix, std::size_t i, std::size_t j) {
  const double c = domain[i], k = domain[j];
  switch (level) {
    case AlphaLevel::nominal:
      return c != k ? 1.0 : 0.0;
    case AlphaLevel::interval:
      return (c - k) * (c - k);
    case AlphaLevel::ratio: {
      if (c + k == 0) return 0.0;
      const double r = (c - k) / (c + k);
      return r * r;
    }
    case AlphaLevel::ordinal: {
      std::size_t lo = std::min(i, j), hi = std::max(i, j);
      // np.sum(n_v[lo:hi + 1]) (pairwise); prefix sums for very large domains.
      const double span_sum =
          prefix.empty() ? numpy_sum(n_v.subspan(lo, hi - lo + 1)) : prefix[hi + 1] - prefix[lo];
      const double d = span_sum - (n_v[lo] + n_v[hi]) / 2;
      return d * d;
    }
  }
  return 0.0;
}

}  // namespace

Estimate krippendorff_alpha(const Matrix& reliability_data, AlphaLevel level) {
  const std::vector<double> domain = found_domain(reliability_data);
  return krippendorff_alpha(reliability_data, level, domain);
}

Estimate krippendorff_alpha(const Matrix& data, AlphaLevel level,
                            std::span<const double> value_domain) {
  // Explicit domains: sorted copy for lookup, but distances follow the given order.
  std::vector<double> domain(value_domain.begin(), value_domain.end());
  const std::size_t v_count = domain.size();
  std::vector<std::pair<double, std::size_t>> lookup(v_count);
  for (std::size_t i = 0; i < v_count; ++i) lookup[i] = {domain[i], i};
  std::sort(lookup.begin(), lookup.end());
  auto index_of = [&](double x) -> std::size_t {
    auto it = std::lower_bound(lookup.begin(), lookup.end(), std::make_pair(x, std::size_t{0}));
    if (it == lookup.end() || it->first != x) {
      throw Error("krippendorff_alpha: the reliability data contains the value " +
                  std::to_string(x) + ", which is not in the value domain");
    }
    return it->second;
  };

  // Per unit: distinct value indices with their counts (validates the domain first, as
  // the package asserts before anything else).
  const std::size_t raters = data.rows(), units = data.cols();
  std::vector<std::vector<std::pair<std::size_t, double>>> unit_counts(units);
  bool any_pairable = false;
  for (std::size_t u = 0; u < units; ++u) {
    auto& counts = unit_counts[u];
    for (std::size_t r = 0; r < raters; ++r) {
      const double x = data(r, u);
      if (std::isnan(x)) continue;
      const std::size_t idx = index_of(x);
      auto it = std::find_if(counts.begin(), counts.end(),
                             [idx](const auto& p) { return p.first == idx; });
      if (it == counts.end()) {
        counts.emplace_back(idx, 1.0);
      } else {
        it->second += 1.0;
      }
    }
    double m = 0;
    for (const auto& p : counts) m += p.second;
    any_pairable |= m >= 2;
  }
  if (v_count <= 1) return Estimate::rejected_because(kDomainTooSmall);
  if (!any_pairable) return Estimate::rejected_because(kNothingPairable);

  // Coincidences o_ck, summed over units in order.
  std::vector<double> o(v_count * v_count, 0.0);
  for (const auto& counts : unit_counts) {
    double m = 0;
    for (const auto& p : counts) m += p.second;
    if (m < 2) continue;  // a single value forms no pair: its matrix is all zero
    const double divisor = m - 1;
    for (const auto& [c, nc] : counts) {
      for (const auto& [k, nk] : counts) {
        const double unnormalized = c == k ? nc * nk - nc : nc * nk;
        o[c * v_count + k] += unnormalized / divisor;
      }
    }
  }
  // n_v = o.sum(axis=0): column sums accumulated row by row.
  std::vector<double> n_v(v_count, 0.0);
  for (std::size_t c = 0; c < v_count; ++c) {
    for (std::size_t k = 0; k < v_count; ++k) n_v[k] += o[c * v_count + k];
  }
  const double n = numpy_sum(n_v);

  std::vector<double> prefix;
  if (level == AlphaLevel::ordinal && v_count > 256) {
    prefix.assign(v_count + 1, 0.0);
    for (std::size_t i = 0; i < v_count; ++i) prefix[i + 1] = prefix[i] + n_v[i];
  }
  std::vector<double> od(v_count * v_count), ed(v_count * v_count);
  for (std::size_t c = 0; c < v_count; ++c) {
    for (std::size_t k = 0; k < v_count; ++k) {
      const double d = distance(level, domain, n_v, prefix, c, k);
      const double e = (c == k ? n_v[c] * n_v[k] - n_v[c] : n_v[c] * n_v[k]) / (n - 1);
      od[c * v_count + k] = o[c * v_count + k] * d;
      ed[c * v_count + k] = e * d;
    }
  }
  const double observed = numpy_sum(od);
  const double expected = numpy_sum(ed);
  if (expected == 0.0) return Estimate::undefined_because(kNoExpectedDisagreement);
  return Estimate::of(1.0 - observed / expected);
}

IntervalAlphaUnits::IntervalAlphaUnits(const Matrix& data) {
  const std::size_t raters = data.rows(), units = data.cols();
  // Shift every value by the smallest one: n·T2 − T1² is shift-invariant, and a shift
  // keeps integer ratings integer while avoiding cancellation for offset data.
  double shift = std::numeric_limits<double>::infinity();
  for (double x : data.values()) {
    if (!std::isnan(x)) shift = std::min(shift, x);
  }
  if (!std::isfinite(shift)) shift = 0;
  sums_.assign(units, UnitSums{0, 0, 0, 0});
  min_.assign(units, std::numeric_limits<double>::infinity());
  max_.assign(units, -std::numeric_limits<double>::infinity());
  std::vector<double> values;
  for (std::size_t u = 0; u < units; ++u) {
    values.clear();
    for (std::size_t r = 0; r < raters; ++r) {
      const double x = data(r, u);
      if (std::isnan(x)) continue;
      values.push_back(x);
      min_[u] = std::min(min_[u], x);
      max_[u] = std::max(max_[u], x);
    }
    const std::size_t m = values.size();
    if (m < 2) continue;  // counts only towards the value domain
    UnitSums& s = sums_[u];
    s.count = static_cast<double>(m);
    double pair_sum = 0;  // Σ_{i<j} (x_i − x_j)², exact zero for a constant unit
    for (std::size_t i = 0; i < m; ++i) {
      const double xi = values[i] - shift;
      s.sum += xi;
      s.sum_sq += xi * xi;
      for (std::size_t j = i + 1; j < m; ++j) {
        const double d = values[i] - values[j];
        pair_sum += d * d;
      }
    }
    s.observed = pair_sum / static_cast<double>(m - 1);
  }
}

Estimate IntervalAlphaUnits::alpha() const {
  return checked({}, true);
}

Estimate IntervalAlphaUnits::alpha(std::span<const std::int64_t> unit_indices) const {
  // Four independent accumulator sets break the floating-point add dependency chain
  // (the loop is latency-bound otherwise). For integer ratings every partial sum is an
  // exact integer, so the order cannot change the result.
  double acc[4][4] = {};
  const UnitSums* sums = sums_.data();
  const std::size_t size = unit_indices.size();
  std::size_t i = 0;
  for (; i + 4 <= size; i += 4) {
    for (std::size_t lane = 0; lane < 4; ++lane) {
      const UnitSums& s = sums[unit_indices[i + lane]];
      acc[lane][0] += s.count;
      acc[lane][1] += s.sum;
      acc[lane][2] += s.sum_sq;
      acc[lane][3] += s.observed;
    }
  }
  for (; i < size; ++i) {
    const UnitSums& s = sums[unit_indices[i]];
    acc[0][0] += s.count;
    acc[0][1] += s.sum;
    acc[0][2] += s.sum_sq;
    acc[0][3] += s.observed;
  }
  const double n = (acc[0][0] + acc[1][0]) + (acc[2][0] + acc[3][0]);
  const double t1 = (acc[0][1] + acc[1][1]) + (acc[2][1] + acc[3][1]);
  const double t2 = (acc[0][2] + acc[1][2]) + (acc[2][2] + acc[3][2]);
  const double observed = (acc[0][3] + acc[1][3]) + (acc[2][3] + acc[3][3]);
  // n·T2 − T1² = n·Σ(x − x̄)² is zero exactly when every pairable value is the same; a
  // clearly positive value rules out all degenerate cases (two distinct values exist).
  const double expected = n * t2 - t1 * t1;
  if (n > 0 && expected > 1e-9 * n * t2) return finish(n, t1, t2, observed);
  return checked(unit_indices, false);
}

Estimate IntervalAlphaUnits::checked(std::span<const std::int64_t> unit_indices,
                                     bool all_units) const {
  double n = 0, t1 = 0, t2 = 0, observed = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  double pair_lo = lo, pair_hi = hi;
  const std::size_t count = all_units ? units() : unit_indices.size();
  for (std::size_t i = 0; i < count; ++i) {
    const auto u = all_units ? i : static_cast<std::size_t>(unit_indices[i]);
    lo = std::min(lo, min_[u]);
    hi = std::max(hi, max_[u]);
    const UnitSums& s = sums_[u];
    if (s.count == 0) continue;
    pair_lo = std::min(pair_lo, min_[u]);
    pair_hi = std::max(pair_hi, max_[u]);
    n += s.count;
    t1 += s.sum;
    t2 += s.sum_sq;
    observed += s.observed;
  }
  if (!(lo < hi)) return Estimate::rejected_because(kDomainTooSmall);
  if (n == 0) return Estimate::rejected_because(kNothingPairable);
  if (!(pair_lo < pair_hi)) return Estimate::undefined_because(kNoExpectedDisagreement);
  return finish(n, t1, t2, observed);
}

Estimate IntervalAlphaUnits::finish(double n, double t1, double t2, double observed) {
  const double expected = n * t2 - t1 * t1;
  return Estimate::of(1.0 - (n - 1) * observed / expected);
}

}  // namespace emonet::stats
