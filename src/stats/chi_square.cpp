// Chi-square goodness of fit (see include/emonet/stats/chi_square.h).
#include "emonet/stats/chi_square.h"

#include <cmath>
#include <limits>

#include "emonet/error.h"

namespace emonet::stats {
namespace {

constexpr double kEps = 1e-15;
constexpr int kMaxIter = 10000;

// P(a, x) by its power series: x^a e^-x / Gamma(a+1) * sum x^n / ((a+1)...(a+n)).
double gamma_p_series(double a, double x) {
  double term = 1.0 / a, sum = term;
  for (int n = 1; n < kMaxIter; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * kEps) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Q(a, x) by the continued fraction for Gamma(a, x), evaluated with modified Lentz.
double gamma_q_fraction(double a, double x) {
  const double tiny = std::numeric_limits<double>::min() / kEps;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < kMaxIter; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

}  // namespace

double regularized_gamma_p(double a, double x) {
  if (!(a > 0) || x < 0 || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return 0;
  if (std::isinf(x)) return 1;
  return x < a + 1 ? gamma_p_series(a, x) : 1.0 - gamma_q_fraction(a, x);
}

double regularized_gamma_q(double a, double x) {
  if (!(a > 0) || x < 0 || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return 1;
  if (std::isinf(x)) return 0;
  return x < a + 1 ? 1.0 - gamma_p_series(a, x) : gamma_q_fraction(a, x);
}

double chi_square_sf(double x, double df) {
  if (x <= 0) return 1;
  return regularized_gamma_q(df / 2.0, x / 2.0);
}

ChiSquareResult chi_square_gof(std::span<const double> observed, std::span<const double> expected) {
  if (observed.size() != expected.size()) {
    throw Error("observed and expected counts differ in length");
  }
  if (observed.size() < 2) throw Error("a goodness-of-fit test needs at least 2 categories");
  double so = 0, se = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    if (!(expected[i] > 0)) throw Error("expected counts must be positive");
    so += observed[i];
    se += expected[i];
  }
  ChiSquareResult r;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double e = expected[i] * so / se;
    r.statistic += (observed[i] - e) * (observed[i] - e) / e;
  }
  r.df = static_cast<double>(observed.size() - 1);
  r.p_value = chi_square_sf(r.statistic, r.df);
  return r;
}

}  // namespace emonet::stats
