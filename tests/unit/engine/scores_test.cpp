// The arithmetic after the networks, checked against the authors' own output: LAION's
// ferd.jsonl stores raw, mean_subtracted and softmax for 44 heads per image; recomputing
// mean_subtracted and the softmax over the 40 emotions from raw must give their values.
// Their softmax is torch.softmax over a float32 tensor (checked with Debian's torch: it
// reproduces ferd.jsonl bit for bit); ours is computed in double, so the two differ by
// float32 rounding: at most 1.2e-7 absolute on this file (checked with numpy in float64).
// The tolerance 2e-7 (under two float32 ulps near 1) still catches a
// softmax over the wrong set of heads or over raw instead of mean-subtracted scores.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "emonet/taxonomy.h"
#include "model/scores.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

TEST(Scores, ReproduceTheAuthorsSoftmaxOnFerd) {
  REQUIRE_REFERENCE(path, "ferd.jsonl");
  std::ifstream in(path);
  std::string line;
  std::size_t records = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    std::vector<const Category*> cats;
    std::vector<double> means;
    std::vector<float> raw;
    std::vector<nlohmann::json> stored;
    for (const auto& [key, v] : j["results"].items()) {
      cats.push_back(&lookup(key));
      raw.push_back(float(v["raw"].get<double>()));
      means.push_back(v["raw"].get<double>() - v["mean_subtracted"].get<double>());
      stored.push_back(v);
    }
    ASSERT_EQ(cats.size(), 44u);
    const auto scores = score_heads(cats, means, raw);
    for (std::size_t h = 0; h < scores.size(); ++h) {
      EXPECT_NEAR(scores[h].mean_subtracted, stored[h]["mean_subtracted"].get<double>(), 1e-12);
      if (stored[h]["softmax"].is_null()) {
        EXPECT_FALSE(scores[h].softmax.has_value()) << cats[h]->head_key;
        EXPECT_TRUE(cats[h]->is_extra());
      } else {
        ASSERT_TRUE(scores[h].softmax.has_value()) << cats[h]->head_key;
        EXPECT_NEAR(*scores[h].softmax, stored[h]["softmax"].get<double>(), 2e-7)
            << j["image_path"] << " " << cats[h]->head_key;
      }
    }
    ++records;
  }
  EXPECT_GT(records, 100u);
}

TEST(Scores, L2NormaliseGivesUnitLengthAndKeepsZero) {
  const float a[2] = {3.f, 4.f};
  float out[2];
  l2_normalise(a, 2, out);
  EXPECT_FLOAT_EQ(out[0], 0.6f);
  EXPECT_FLOAT_EQ(out[1], 0.8f);
  const float z[3] = {0.f, 0.f, 0.f};
  float zout[3] = {1.f, 1.f, 1.f};
  l2_normalise(z, 3, zout);
  for (float v : zout) {
    EXPECT_EQ(v, 0.f);
  }
}

TEST(Scores, SoftmaxCoversTheFortyEmotionsOnly) {
  std::vector<const Category*> cats;
  std::vector<double> means;
  std::vector<float> raw;
  for (const auto& c : categories()) {
    cats.push_back(&c);
    means.push_back(0.5);
    raw.push_back(float(c.index % 7));
  }
  const auto s = score_heads(cats, means, raw);
  double sum = 0;
  for (const auto& h : s) {
    EXPECT_EQ(h.softmax.has_value(), !h.category->is_extra());
    if (h.softmax) sum += *h.softmax;
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  // Ratios of softmax values are exp of differences of the mean-subtracted scores.
  EXPECT_NEAR(*s[1].softmax / *s[0].softmax, std::exp(1.0), 1e-12);
}

}  // namespace
}  // namespace emonet::model
