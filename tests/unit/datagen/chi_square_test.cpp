// Chi-square goodness of fit and the regularized incomplete gamma functions against
// SciPy, computed at test time by Debian's /usr/bin/python3.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <vector>

#include "emonet/stats/chi_square.h"
#include "support/test_paths.h"

namespace emonet::test {
namespace {

// Runs a Python snippet and returns the numbers it prints, one per line.
std::vector<double> python_numbers(const std::string& code) {
  TempDir tmp;
  std::ofstream(tmp.file("ref.py")) << code;
  const std::string cmd =
      "/usr/bin/python3 '" + tmp.file("ref.py") + "' > '" + tmp.file("out") + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::vector<double> v;
  std::ifstream in(tmp.file("out"));
  for (double x; in >> x;) v.push_back(x);
  return v;
}

TEST(ChiSquare, IncompleteGammaMatchesScipy) {
  const std::vector<std::pair<double, double>> cases = {
      {0.5, 0.1},   {0.5, 3.0},    {1.0, 1.0},     {2.5, 0.7},       {5.0, 5.5},  {10.0, 3.0},
      {10.0, 25.0}, {100.0, 90.0}, {100.0, 140.0}, {1000.0, 1100.0}, {3.0, 1e-8}, {7.5, 60.0}};
  std::string code = "from scipy.special import gammaincc, gammainc\n";
  for (const auto& [a, x] : cases) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "print(repr(gammaincc(%.17g, %.17g)))\nprint(repr(gammainc(%.17g, %.17g)))\n", a,
                  x, a, x);
    code += buf;
  }
  const auto ref = python_numbers(code);
  ASSERT_EQ(ref.size(), 2 * cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto [a, x] = cases[i];
    const double q = stats::regularized_gamma_q(a, x), p = stats::regularized_gamma_p(a, x);
    EXPECT_NEAR(q, ref[2 * i], 1e-12 + 1e-10 * ref[2 * i]) << a << " " << x;
    EXPECT_NEAR(p, ref[2 * i + 1], 1e-12 + 1e-10 * ref[2 * i + 1]) << a << " " << x;
  }
}

TEST(ChiSquare, GoodnessOfFitMatchesScipyChisquare) {
  const std::vector<double> obs = {71, 72, 72, 70, 80, 60, 72, 71, 73, 72, 72, 71, 72, 102};
  std::vector<double> exp(obs.size(), 1.0);  // uniform, rescaled to the total
  const std::vector<double> obs2 = {10, 20, 30, 40};
  const std::vector<double> exp2 = {25, 25, 20, 30};
  const auto ref = python_numbers(
      "from scipy.stats import chisquare\nimport numpy as np\n"
      "o=[71,72,72,70,80,60,72,71,73,72,72,71,72,102]\n"
      "r=chisquare(o)\nprint(repr(r.statistic));print(repr(r.pvalue))\n"
      "o2=np.array([10,20,30,40.]);e2=np.array([25,25,20,30.]);e2=e2*o2.sum()/e2.sum()\n"
      "r=chisquare(o2,e2)\nprint(repr(r.statistic));print(repr(r.pvalue))\n");
  ASSERT_EQ(ref.size(), 4u);
  const auto r = stats::chi_square_gof(obs, exp);
  EXPECT_NEAR(r.statistic, ref[0], 1e-10);
  EXPECT_NEAR(r.p_value, ref[1], 1e-12 + 1e-9 * ref[1]);
  EXPECT_EQ(r.df, 13);
  const auto r2 = stats::chi_square_gof(obs2, exp2);
  EXPECT_NEAR(r2.statistic, ref[2], 1e-10);
  EXPECT_NEAR(r2.p_value, ref[3], 1e-12 + 1e-9 * ref[3]);
  EXPECT_THROW(stats::chi_square_gof(std::vector<double>{1}, std::vector<double>{1}),
               std::exception);
  EXPECT_THROW(stats::chi_square_gof(obs2, std::vector<double>{1, 0, 1, 1}), std::exception);
}

}  // namespace
}  // namespace emonet::test
