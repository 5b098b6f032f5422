// Average ranks (scipy.stats.rankdata), Pearson (scipy.stats.pearsonr) and Spearman
// (scipy.stats.spearmanr: numpy.corrcoef of the ranks).
#include "emonet/stats/correlation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "emonet/error.h"
#include "emonet/stats/descriptive.h"

namespace emonet::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_pair(std::span<const double> x, std::span<const double> y, const char* what) {
  if (x.size() != y.size()) {
    throw Error(std::string(what) + ": the samples have different lengths (" +
                std::to_string(x.size()) + " and " + std::to_string(y.size()) + ")");
  }
}

bool constant(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
}

bool any_nan(std::span<const double> v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}

double dot(std::span<const double> a, std::span<const double> b) {
  std::vector<double> products(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) products[i] = a[i] * b[i];
  return numpy_sum(products);
}

}  // namespace

std::vector<double> rank_average(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && values[order[j]] == values[order[i]]) ++j;
    // Positions i..j-1 (0-based) share the mean of ranks i+1..j.
    const double r = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) ranks[order[k]] = r;
    i = j;
  }
  return ranks;
}

double pearson(std::span<const double> x, std::span<const double> y) {
  check_pair(x, y, "pearson");
  const std::size_t n = x.size();
  if (n < 2 || any_nan(x) || any_nan(y) || constant(x) || constant(y)) return kNaN;
  const double xmean = mean(x), ymean = mean(y);
  std::vector<double> xm(n), ym(n);
  for (std::size_t i = 0; i < n; ++i) {
    xm[i] = x[i] - xmean;
    ym[i] = y[i] - ymean;
  }
  const double nx = std::sqrt(dot(xm, xm)), ny = std::sqrt(dot(ym, ym));
  for (std::size_t i = 0; i < n; ++i) {
    xm[i] /= nx;
    ym[i] /= ny;
  }
  return std::clamp(dot(xm, ym), -1.0, 1.0);
}

double spearman(std::span<const double> x, std::span<const double> y) {
  check_pair(x, y, "spearman");
  const std::size_t n = x.size();
  if (n < 2 || any_nan(x) || any_nan(y) || constant(x) || constant(y)) return kNaN;
  const std::vector<double> rx = rank_average(x), ry = rank_average(y);
  // numpy.corrcoef: covariance with factor 1/(n−1), then divided by each stddev.
  const double mx = mean(rx), my = mean(ry);
  std::vector<double> dx(n), dy(n);
  for (std::size_t i = 0; i < n; ++i) {
    dx[i] = rx[i] - mx;
    dy[i] = ry[i] - my;
  }
  const double factor = 1.0 / static_cast<double>(n - 1);
  const double cxx = dot(dx, dx) * factor, cyy = dot(dy, dy) * factor;
  const double cxy = dot(dx, dy) * factor;
  const double r = cxy / std::sqrt(cyy) / std::sqrt(cxx);
  return std::clamp(r, -1.0, 1.0);
}

}  // namespace emonet::stats
