// NumPy-exact sums, means, medians, standard deviations and percentiles (bit for bit).
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "emonet/stats/descriptive.h"
#include "emonet/stats/matrix.h"
#include "stats_fixtures.h"

namespace emonet::stats {
namespace {

using test::as_double;
using test::as_doubles;
using test::same_double;

TEST(Descriptive, MatchesNumpyBitForBit) {
  const auto fixture = test::load_fixture("descriptive.json");
  const auto qs = as_doubles(fixture["qs"]);
  ASSERT_GT(fixture["cases"].size(), 40u);
  for (const auto& c : fixture["cases"]) {
    const auto x = as_doubles(c["values"]);
    const auto with_nan = as_doubles(c["with_nan"]);
    SCOPED_TRACE("n = " + std::to_string(x.size()));
    EXPECT_TRUE(same_double(numpy_sum(x), as_double(c["sum"])));
    EXPECT_TRUE(same_double(mean(x), as_double(c["mean"])));
    EXPECT_TRUE(same_double(median(x), as_double(c["median"])));
    EXPECT_TRUE(same_double(stddev(x), as_double(c["std1"])));
    EXPECT_TRUE(same_double(stddev(x, 0), as_double(c["std0"])));
    EXPECT_TRUE(same_double(nanmean(with_nan), as_double(c["nanmean"])));
    EXPECT_TRUE(same_double(nanmedian(with_nan), as_double(c["nanmedian"])));
    const auto expected = as_doubles(c["percentiles"]);
    const auto all = percentiles(x, qs);
    for (std::size_t i = 0; i < qs.size(); ++i) {
      EXPECT_TRUE(same_double(percentile(x, qs[i]), expected[i])) << "q = " << qs[i];
      EXPECT_TRUE(same_double(all[i], expected[i])) << "q = " << qs[i];
    }
  }
}

TEST(Descriptive, NanPropagatesWhereNumpyPropagates) {
  const std::vector<double> v = {1, kMissing, 3};
  EXPECT_TRUE(std::isnan(mean(v)));
  EXPECT_TRUE(std::isnan(median(v)));
  EXPECT_TRUE(std::isnan(percentile(v, 50)));
  EXPECT_EQ(nanmean(v), 2.0);
  EXPECT_EQ(nanmedian(v), 2.0);
  EXPECT_EQ(drop_nan(v), (std::vector<double>{1, 3}));
}

TEST(Descriptive, PercentileOutsideRangeThrows) {
  const std::vector<double> v = {1, 2};
  EXPECT_THROW(percentile(v, 101), Error);
  EXPECT_THROW(percentile(v, -1), Error);
}

}  // namespace
}  // namespace emonet::stats
