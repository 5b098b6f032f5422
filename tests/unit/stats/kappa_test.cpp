// Cohen's kappa against sklearn.metrics.cohen_kappa_score (bit for bit) and Fleiss' kappa
// against a NumPy implementation of Fleiss (1971).
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "emonet/stats/kappa.h"
#include "stats_fixtures.h"

namespace emonet::stats {
namespace {

using test::as_double;
using test::as_ints;
using test::load_fixture;
using test::same_double;

TEST(CohenKappa, MatchesSklearnBitForBitOnRandomAndDegenerateCases) {
  const auto cases = load_fixture("kappa.json");
  ASSERT_GT(cases.size(), 900u);
  std::size_t raised = 0, undefined = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const auto first = as_ints(c["first"]);
    const auto second = as_ints(c["second"]);
    const KappaWeights w = parse_kappa_weights(c["weights"].get<std::string>());
    const Estimate k = c["labels"].is_null() ? cohen_kappa(first, second, w)
                                             : cohen_kappa(first, second, w, as_ints(c["labels"]));
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.dump().substr(0, 300));
    if (c.contains("raises")) {
      ++raised;
      EXPECT_EQ(k.status, Status::rejected);
      EXPECT_TRUE(std::isnan(k.value));
    } else {
      const double expected = as_double(c["expected"]);
      EXPECT_TRUE(same_double(k.value, expected));
      if (std::isnan(expected)) {
        ++undefined;
        EXPECT_EQ(k.status, Status::undefined);
      } else {
        EXPECT_EQ(k.status, Status::ok);
      }
    }
  }
  EXPECT_GT(raised, 0u);
  EXPECT_GT(undefined, 0u);
}

TEST(CohenKappa, FirstRaterWithoutAnyLabelIsRejectedButSecondIsNot) {
  const std::vector<std::int64_t> out = {8, 9, 9}, in = {1, 2, 3};
  const std::vector<std::int64_t> labels = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(cohen_kappa(out, in, KappaWeights::quadratic, labels).status, Status::rejected);
  EXPECT_EQ(cohen_kappa(in, out, KappaWeights::quadratic, labels).status, Status::undefined);
}

TEST(CohenKappa, DifferentLengthsThrow) {
  const std::vector<std::int64_t> a = {1, 2}, b = {1};
  EXPECT_THROW(cohen_kappa(a, b), Error);
}

TEST(CohenKappa, WeightNamesParse) {
  EXPECT_EQ(parse_kappa_weights("quadratic"), KappaWeights::quadratic);
  EXPECT_THROW(parse_kappa_weights("cubic"), Error);
}

TEST(FleissKappa, MatchesFleiss1971Formula) {
  const auto cases = load_fixture("fleiss.json");
  ASSERT_GT(cases.size(), 10u);
  for (const auto& c : cases) {
    std::vector<std::vector<double>> rows;
    for (const auto& r : c["table"]) rows.push_back(test::as_doubles(r));
    const Estimate k = fleiss_kappa(Matrix::from_rows(rows));
    EXPECT_TRUE(test::near_double(k.value, as_double(c["expected"]), 1e-13)) << c.dump();
  }
}

TEST(FleissKappa, UnequalRaterCountsThrow) {
  EXPECT_THROW(fleiss_kappa(Matrix::from_rows({{1, 2}, {1, 1}})), Error);
}

TEST(FleissKappa, AggregateRatersCountsCategories) {
  std::vector<double> cats;
  const Matrix t = aggregate_raters(Matrix::from_rows({{1, 2, 2}, {3, kMissing, 1}}), &cats);
  EXPECT_EQ(cats, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(t(0, 1), 2);
  EXPECT_EQ(t(1, 0), 1);
  EXPECT_EQ(t(1, 2), 1);
}

}  // namespace
}  // namespace emonet::stats
