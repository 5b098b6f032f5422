// Bootstrap helpers reproduce the notebooks' resampling order with default_rng(42).
#include <gtest/gtest.h>

#include "emonet/stats/bootstrap.h"
#include "emonet/stats/descriptive.h"
#include "stats_fixtures.h"

namespace emonet::stats {
namespace {

TEST(Bootstrap, MeanDifferenceResamplesFirstThenSecondLikeTheNotebook) {
  const auto fixture = test::load_fixture("random.json");
  const auto& c = fixture["mean_difference"];
  const auto s1 = test::as_doubles(c["s1"]), s2 = test::as_doubles(c["s2"]);
  Generator rng(42);
  const auto diffs = bootstrap_mean_difference(rng, s1, s2, 1000);
  for (std::size_t i = 0; i < c["first"].size(); ++i) {
    EXPECT_TRUE(test::same_double(diffs[i], c["first"][i].get<double>())) << i;
  }
  const ConfidenceInterval ci = percentile_interval(diffs);
  EXPECT_TRUE(test::same_double(ci.low, c["low"].get<double>()));
  EXPECT_TRUE(test::same_double(ci.high, c["high"].get<double>()));
  EXPECT_EQ(ci.valid, 1000u);
}

TEST(Bootstrap, PercentileIntervalDropsNaN) {
  const std::vector<double> v = {kMissing, 1, 2, 3, kMissing};
  const ConfidenceInterval ci = percentile_interval(v, 0, 100);
  EXPECT_EQ(ci.low, 1);
  EXPECT_EQ(ci.high, 3);
  EXPECT_EQ(ci.valid, 3u);
  EXPECT_EQ(ci.iterations, 5u);
}

TEST(Bootstrap, MeanOfEmptySampleDrawsNothing) {
  Generator a(42), b(42);
  const auto out = bootstrap_mean(a, {}, 10);
  EXPECT_EQ(out.size(), 10u);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_EQ(a.integers(0, 1000), b.integers(0, 1000));
}

}  // namespace
}  // namespace emonet::stats
