// Spearman, Pearson, average ranks and Mann–Whitney U against SciPy 1.10.
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "emonet/stats/correlation.h"
#include "emonet/stats/mann_whitney.h"
#include "stats_fixtures.h"

namespace emonet::stats {
namespace {

using test::as_double;
using test::as_doubles;
using test::near_double;

TEST(Correlation, SpearmanPearsonAndRanksMatchScipy) {
  const auto cases = test::load_fixture("correlation.json");
  ASSERT_GT(cases.size(), 100u);
  for (const auto& c : cases) {
    const auto x = as_doubles(c["x"]), y = as_doubles(c["y"]);
    SCOPED_TRACE("n = " + std::to_string(x.size()));
    EXPECT_TRUE(near_double(spearman(x, y), as_double(c["spearman"]), 2e-15));
    if (!c["pearson"].is_null()) {
      EXPECT_TRUE(near_double(pearson(x, y), as_double(c["pearson"]), 2e-15));
    }
    if (!c["ranks_x"].is_null()) {
      EXPECT_EQ(rank_average(x), as_doubles(c["ranks_x"]));
    }
  }
}

TEST(Correlation, ConstantInputIsNaN) {
  const std::vector<double> a = {2, 2, 2}, b = {1, 2, 3};
  EXPECT_TRUE(std::isnan(spearman(a, b)));
  EXPECT_TRUE(std::isnan(pearson(b, a)));
  EXPECT_THROW(spearman(a, std::vector<double>{1, 2}), Error);
}

TEST(MannWhitney, MatchesScipyAutoMethod) {
  const auto cases = test::load_fixture("mannwhitney.json");
  ASSERT_GT(cases.size(), 150u);
  std::size_t exact = 0, asymptotic = 0;
  for (const auto& c : cases) {
    const auto x = as_doubles(c["x"]), y = as_doubles(c["y"]);
    const MannWhitneyResult r = mann_whitney_u(x, y);
    SCOPED_TRACE(c.dump().substr(0, 200));
    EXPECT_TRUE(near_double(r.u1, as_double(c["u"]), 0));
    EXPECT_TRUE(near_double(r.p, as_double(c["p"]), 1e-13));
    ++(r.method == MannWhitneyMethod::exact ? exact : asymptotic);
  }
  EXPECT_GT(exact, 20u);
  EXPECT_GT(asymptotic, 20u);
}

TEST(MannWhitney, NaNPropagates) {
  const std::vector<double> a = {1, std::numeric_limits<double>::quiet_NaN()}, b = {1, 2};
  const auto r = mann_whitney_u(a, b);
  EXPECT_TRUE(std::isnan(r.p));
}

}  // namespace
}  // namespace emonet::stats
