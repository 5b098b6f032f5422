// Krippendorff's alpha: the published worked examples (Krippendorff 2011, as reproduced
// by the `krippendorff` package's doctests), an independent NumPy implementation of the
// 2011 definitions on random and degenerate data, and the interval fast path.
#include <gtest/gtest.h>

#include <cmath>

#include "emonet/error.h"
#include "emonet/stats/alpha.h"
#include "emonet/stats/bootstrap.h"
#include "stats_fixtures.h"

namespace emonet::stats {
namespace {

using test::as_double;
using test::as_doubles;
using test::load_fixture;
using test::near_double;

constexpr double M = kMissing;

Matrix k2011_3x15() {
  return Matrix::from_rows({{M, M, M, M, M, 3, 4, 1, 2, 1, 1, 3, 3, M, 3},
                            {1, M, 2, 1, 3, 3, 4, 3, M, M, M, M, M, M, M},
                            {M, M, 2, 1, 3, 4, 4, M, 2, 1, 1, 3, 3, M, 4}});
}

Matrix k2011_4x12() {
  return Matrix::from_rows({{1, 2, 3, 3, 2, 1, 4, 1, 2, M, M, M},
                            {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, M, 3},
                            {M, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, M},
                            {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, M}});
}

double rounded(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

TEST(KrippendorffAlpha, PublishedThreeCodersFifteenUnits) {
  EXPECT_EQ(rounded(krippendorff_alpha(k2011_3x15(), AlphaLevel::nominal).value, 6), 0.691358);
  EXPECT_EQ(rounded(krippendorff_alpha(k2011_3x15(), AlphaLevel::interval).value, 6), 0.810845);
}

TEST(KrippendorffAlpha, PublishedFourCodersTwelveUnits) {
  const Matrix d = k2011_4x12();
  EXPECT_EQ(rounded(krippendorff_alpha(d, AlphaLevel::nominal).value, 3), 0.743);
  EXPECT_EQ(rounded(krippendorff_alpha(d, AlphaLevel::ordinal).value, 3), 0.815);
  EXPECT_EQ(rounded(krippendorff_alpha(d, AlphaLevel::interval).value, 3), 0.849);
  EXPECT_EQ(rounded(krippendorff_alpha(d, AlphaLevel::ratio).value, 3), 0.797);
}

TEST(KrippendorffAlpha, DefaultLevelIsInterval) {
  EXPECT_EQ(krippendorff_alpha(k2011_4x12()).value,
            krippendorff_alpha(k2011_4x12(), AlphaLevel::interval).value);
}

TEST(KrippendorffAlpha, MatchesIndependentReferenceOnRandomAndDegenerateData) {
  const auto fixture = load_fixture("alpha.json");
  const auto& cases = fixture["cases"];
  ASSERT_GT(cases.size(), 200u);
  std::size_t rejected = 0, undefined = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    std::vector<std::vector<double>> rows;
    for (const auto& r : c["data"]) rows.push_back(as_doubles(r));
    const Matrix data = Matrix::from_rows(rows);
    const AlphaLevel level = parse_alpha_level(c["level"].get<std::string>());
    const Estimate a = krippendorff_alpha(data, level);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.dump().substr(0, 300));
    if (c.contains("raises")) {
      ++rejected;
      EXPECT_EQ(a.status, Status::rejected);
    } else {
      const double expected = as_double(c["expected"]);
      EXPECT_TRUE(near_double(a.value, expected, 1e-12));
      if (std::isnan(expected)) {
        ++undefined;
        EXPECT_EQ(a.status, Status::undefined);
      }
    }
    if (level == AlphaLevel::interval) {
      // The per-unit fast path agrees, including the degenerate statuses.
      const Estimate fast = IntervalAlphaUnits(data).alpha();
      EXPECT_EQ(fast.status, a.status);
      EXPECT_TRUE(near_double(fast.value, a.value, 1e-12));
    }
  }
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(undefined, 0u);
}

TEST(KrippendorffAlpha, IntervalBootstrapMatchesNumpyResamplingWithSeed42) {
  const auto fixture = load_fixture("alpha.json");
  const auto& b = fixture["bootstrap"];
  std::vector<std::vector<double>> rows;
  for (const auto& r : b["data"]) rows.push_back(as_doubles(r));
  const Matrix data = Matrix::from_rows(rows);
  const IntervalAlphaUnits units(data);
  EXPECT_TRUE(near_double(units.alpha().value, b["expected_alpha"].get<double>(), 1e-13));
  Generator rng(42);
  const auto stats = bootstrap_alpha(rng, units, b["iterations"].get<std::size_t>());
  const ConfidenceInterval ci = percentile_interval(stats);
  EXPECT_EQ(ci.valid, b["valid"].get<std::size_t>());
  EXPECT_TRUE(near_double(ci.low, b["ci_low"].get<double>(), 1e-13));
  EXPECT_TRUE(near_double(ci.high, b["ci_high"].get<double>(), 1e-13));
  // The general path resamples the same columns and agrees.
  Generator rng2(42);
  const auto general = bootstrap_alpha(rng2, data, AlphaLevel::interval, 5);
  Generator rng3(42);
  for (double v : general) {
    const auto idx = rng3.choice(static_cast<std::int64_t>(data.cols()), data.cols());
    EXPECT_TRUE(near_double(
        v, krippendorff_alpha(data.select_columns(idx), AlphaLevel::interval).value, 1e-12));
  }
}

TEST(KrippendorffAlpha, FastPathOnResampledIndicesEqualsMatrixResample) {
  const Matrix d = k2011_4x12();
  const IntervalAlphaUnits units(d);
  const std::vector<std::int64_t> idx = {0, 0, 3, 5, 5, 9, 11, 2, 1, 6, 6, 10};
  EXPECT_TRUE(near_double(units.alpha(idx).value,
                          krippendorff_alpha(d.select_columns(idx), AlphaLevel::interval).value,
                          1e-14));
  // Only unit 10 (one value) and unit 11 (one value): nothing pairable.
  const std::vector<std::int64_t> lonely = {11, 11};
  EXPECT_EQ(units.alpha(lonely).status, Status::rejected);
}

TEST(KrippendorffAlpha, ValueDomainMustCoverTheData) {
  const std::vector<double> domain = {1, 2, 3};
  EXPECT_THROW(krippendorff_alpha(k2011_4x12(), AlphaLevel::nominal, domain), Error);
  const std::vector<double> wide = {1, 2, 3, 4, 5};
  EXPECT_EQ(krippendorff_alpha(k2011_4x12(), AlphaLevel::nominal, wide).value,
            krippendorff_alpha(k2011_4x12(), AlphaLevel::nominal).value);
}

TEST(KrippendorffAlpha, LevelNamesParse) {
  EXPECT_EQ(parse_alpha_level("ratio"), AlphaLevel::ratio);
  EXPECT_THROW(parse_alpha_level("cardinal"), Error);
}

}  // namespace
}  // namespace emonet::stats
