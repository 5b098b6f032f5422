// Pearson's chi-square goodness of fit and the functions under it: the regularized
// incomplete gamma functions P(a, x) and Q(a, x) (series for x < a + 1, Lentz continued
// fraction otherwise, to ~1e-14 relative) and the chi-square survival function.
// Checked against scipy.special.gammaincc / scipy.stats.chisquare in tests/unit/datagen.
// Pure functions: thread-safe.
#pragma once

#include <span>

namespace emonet::stats {

double regularized_gamma_p(double a, double x);
double regularized_gamma_q(double a, double x);
// P(X > x) for X ~ chi-square with df degrees of freedom.
double chi_square_sf(double x, double df);

struct ChiSquareResult {
  double statistic = 0;
  double df = 0;
  double p_value = 1;
};
// scipy.stats.chisquare(observed, expected): df = k - 1. `expected` is rescaled to the
// observed total. Throws emonet::Error for fewer than 2 categories, unequal lengths or an
// expected count <= 0.
ChiSquareResult chi_square_gof(std::span<const double> observed, std::span<const double> expected);

}  // namespace emonet::stats
