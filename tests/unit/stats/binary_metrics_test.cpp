// Binary metrics against scikit-learn (zero_division=0, ROC-AUC with tied scores).
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "emonet/stats/binary_metrics.h"
#include "stats_fixtures.h"

namespace emonet::stats {
namespace {

std::vector<int> ints(const nlohmann::json& j) {
  return j.get<std::vector<int>>();
}

TEST(BinaryMetrics, MatchSklearn) {
  const auto cases = test::load_fixture("binary.json");
  ASSERT_GT(cases.size(), 100u);
  std::size_t undefined_auc = 0;
  for (const auto& c : cases) {
    const auto truth = ints(c["truth"]), pred = ints(c["pred"]);
    const BinaryConfusion m = binary_confusion(truth, pred);
    EXPECT_TRUE(test::same_double(accuracy(m), c["accuracy"].get<double>()));
    EXPECT_TRUE(test::same_double(precision(m), c["precision"].get<double>()));
    EXPECT_TRUE(test::same_double(recall(m), c["recall"].get<double>()));
    EXPECT_TRUE(test::near_double(f1_score(m), c["f1"].get<double>(), 1e-15));
    const double auc = roc_auc(truth, test::as_doubles(c["scores"]));
    undefined_auc += std::isnan(auc);
    EXPECT_TRUE(test::near_double(auc, test::as_double(c["roc_auc"]), 1e-14));
  }
  EXPECT_GT(undefined_auc, 0u);
}

TEST(BinaryMetrics, NonBinaryLabelsThrow) {
  const std::vector<int> t = {0, 2}, p = {0, 1};
  EXPECT_THROW(binary_confusion(t, p), Error);
}

}  // namespace
}  // namespace emonet::stats
