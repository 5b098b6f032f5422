// Live agreement of intensity projects against a published value: Krippendorff (2011),
// "Computing Krippendorff's Alpha-Reliability", the 4 coders x 12 units example with
// missing values, interval alpha = 0.849.
#include <gtest/gtest.h>

#include "annotate/agreement.h"
#include "emonet/taxonomy.h"

namespace emonet::annotate {
namespace {

constexpr int kMissing = -1;

IntensityRatings krippendorff_example() {
  // Rows: coders A-D; columns: units 1-12 (kMissing = no rating).
  const int table[4][12] = {
      {1, 2, 3, 3, 2, 1, 4, 1, 2, kMissing, kMissing, kMissing},
      {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, kMissing, 3},
      {kMissing, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, kMissing},
      {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, kMissing},
  };
  IntensityRatings d;
  d.experts = {"A", "B", "C", "D"};
  for (int u = 0; u < 12; ++u) d.items.push_back(u + 1);
  d.ratings.assign(4, std::vector<std::vector<int>>(12));
  for (int c = 0; c < 4; ++c) {
    for (int u = 0; u < 12; ++u) {
      if (table[c][u] == kMissing) continue;
      // The example's values on the first emotion; the other 39 stay 0.
      d.ratings[c][u].assign(kNumEmotions, 0);
      d.ratings[c][u][0] = table[c][u];
    }
  }
  return d;
}

TEST(IntensityAgreement, PerEmotionAlphaMatchesKrippendorffsWorkedExample) {
  const auto j = intensity_agreement(krippendorff_example(), 50, 42);
  EXPECT_EQ(j["experts"], 4);
  EXPECT_EQ(j["items_with_2plus"], 11);  // unit 12 has a single rating
  ASSERT_EQ(j["per_emotion"].size(), kNumEmotions);
  EXPECT_EQ(j["per_emotion"][0]["emotion"], std::string(emotions()[0].name));
  EXPECT_NEAR(j["per_emotion"][0]["alpha"].get<double>(), 0.849, 5e-4);
  // Emotions nobody rated above 0 have a one-value domain: alpha is undefined.
  EXPECT_TRUE(j["per_emotion"][1]["alpha"].is_null());
  // Overall alpha and kappa come with bootstrap intervals around them.
  for (const char* key : {"alpha", "kappa"}) {
    const auto& e = j[key];
    ASSERT_TRUE(e["value"].is_number()) << key;
    EXPECT_LE(e["ci_low"].get<double>(), e["value"].get<double>() + 1e-12) << key;
    EXPECT_GE(e["ci_high"].get<double>(), e["value"].get<double>() - 1e-12) << key;
  }
}

TEST(IntensityAgreement, IdenticalExpertsAgreePerfectly) {
  IntensityRatings d;
  d.experts = {"a", "b"};
  d.items = {1, 2, 3, 4};
  d.ratings.assign(2, std::vector<std::vector<int>>(4, std::vector<int>(kNumEmotions, 0)));
  for (int r = 0; r < 2; ++r) {
    for (int i = 0; i < 4; ++i) {
      for (std::size_t e = 0; e < kNumEmotions; ++e)
        d.ratings[r][i][e] = static_cast<int>((i + e) % 8);
    }
  }
  const auto j = intensity_agreement(d, 20, 1);
  EXPECT_DOUBLE_EQ(j["alpha"]["value"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["kappa"]["value"].get<double>(), 1.0);
  EXPECT_EQ(j["kappa"]["pairs"], kNumEmotions);
}

}  // namespace
}  // namespace emonet::annotate
