// Neutral statistics in both published shapes, and where they are found.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model_files.h"
#include "model_fixtures.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

using test::error_of;
using test::model_fixture;
using ::testing::HasSubstr;

TEST(NeutralStats, LargeShapeMeanAndStd) {
  const std::string path =
      model_fixture("large/heads/neutral_stats_cache-_human-binary-big-mlps.json");
  const auto raw = nlohmann::json::parse(read_file(path));
  const NeutralStats s = load_neutral_stats(path);
  EXPECT_EQ(s.shape, NeutralStats::Shape::MeanStd);
  EXPECT_EQ(s.mean.size(), 44u);
  EXPECT_EQ(s.std.size(), 44u);
  for (const auto& [key, v] : raw.items()) {
    EXPECT_EQ(s.mean_for(key), v["mean"].get<double>()) << key;
    EXPECT_EQ(s.std.at(key), v["std"].get<double>()) << key;
  }
}

TEST(NeutralStats, SmallShapeFlatMeans) {
  const std::string path =
      model_fixture("small_views/heads/EmoNet-Face-Small-average-scores-for-neutral-faces.json");
  const auto raw = nlohmann::json::parse(read_file(path));
  const NeutralStats s = load_neutral_stats(path);
  EXPECT_EQ(s.shape, NeutralStats::Shape::FlatMean);
  EXPECT_TRUE(s.std.empty());
  EXPECT_EQ(s.mean.size(), 44u);
  for (const auto& [key, v] : raw.items()) EXPECT_EQ(s.mean_for(key), v.get<double>()) << key;
}

TEST(NeutralStats, AnyTaxonomyNameFormIsAKey) {
  const NeutralStats s = load_neutral_stats(model_fixture("broken/neutral_other_keys.json"));
  EXPECT_EQ(s.mean_for("model_elation_best"), 0.25);
  EXPECT_EQ(s.mean_for("model_jealousy_&_envy_best"), 1.0);
  EXPECT_EQ(s.mean_for("model_helplessness_best"), 0.5);  // "Hopelessness" in binary.csv
  EXPECT_THAT(error_of([&] { s.mean_for("model_fear_best"); }), HasSubstr("no neutral mean"));
}

TEST(NeutralStats, MalformedFilesNameTheKey) {
  EXPECT_THAT(
      error_of([&] { load_neutral_stats(model_fixture("broken/neutral_unknown_key.json")); }),
      HasSubstr("field 'elation_extra': unknown emotion key"));
  EXPECT_THAT(
      error_of([&] { load_neutral_stats(model_fixture("broken/neutral_mixed_shapes.json")); }),
      HasSubstr("field 'model_fear_best'"));
  EXPECT_THAT(error_of([&] { load_neutral_stats(model_fixture("broken/neutral_bad_value.json")); }),
              HasSubstr("model_elation_best.mean"));
  EXPECT_THAT(
      error_of([&] { load_neutral_stats(model_fixture("large/siglip/model.safetensors")); }),
      HasSubstr("not valid JSON"));
}

TEST(NeutralStats, FoundByPublishedNameOrByShape) {
  EXPECT_EQ(find_neutral_stats(model_fixture("large/heads")),
            model_fixture("large/heads/neutral_stats_cache-_human-binary-big-mlps.json"));
  test::TempDir tmp;
  EXPECT_THAT(error_of([&] { find_neutral_stats(tmp.path().string()); }),
              HasSubstr("no neutral statistics JSON"));
  write_file_atomic(tmp.file("config.json"), R"({"hidden_size": 3})");  // not neutral stats
  write_file_atomic(tmp.file("my_means.json"), R"({"model_fear_best": 0.5})");
  EXPECT_EQ(find_neutral_stats(tmp.path().string()), tmp.file("my_means.json"));
  write_file_atomic(tmp.file("other_means.json"), R"({"Fear": 0.5})");
  EXPECT_THAT(error_of([&] { find_neutral_stats(tmp.path().string()); }),
              HasSubstr("several JSON files"));
}

}  // namespace
}  // namespace emonet::model
