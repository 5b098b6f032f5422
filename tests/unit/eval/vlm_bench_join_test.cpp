// `emonet bench hq --vlm`: an `emonet eval vlm` JSONL joins as a model annotator. The
// expected numbers come from the same ratings given as an authors'-layout predictions
// file (raw scores, the failed image left out with --allow-missing): both must agree.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "emonet/files.h"
#include "emonet/taxonomy.h"
#include "support/test_paths.h"

namespace emonet::eval {
namespace {

using nlohmann::json;

std::string run(const std::string& args) {
  const auto r = test::run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(VlmBenchJoin, VlmRunScoresLikeTheSamePredictions) {
  test::TempDir dir;
  const std::string anger = "Negative High-Energy Emotions|Anger";
  const std::string elation = "Positive High-Energy Emotions|Elation";
  std::string hq = "image,annotator,human,annotations\n";
  const int h1[4][2] = {{3, 0}, {0, 6}, {5, 1}, {1, 2}},
            h2[4][2] = {{2, 1}, {1, 5}, {4, 0}, {0, 3}};
  for (int i = 0; i < 4; ++i) {
    const std::string img = "dir/i" + std::to_string(i) + ".png";
    for (const auto& [who, r] : {std::pair{"human-1", h1[i]}, std::pair{"human-2", h2[i]}})
      hq += img + "," + who + ",True,\"{'" + anger + "': " + std::to_string(r[0]) + ", '" +
            elation + "': " + std::to_string(r[1]) + "}\"\n";
  }
  write_file_atomic(dir.file("hq.csv"), hq);

  std::string vlm, preds;
  for (int i = 0; i < 4; ++i) {
    json ann = json::object(), results = json::object();
    for (const auto& c : emotions()) {
      const int v = c.hq_key == anger ? (i + 1) % 6 : c.hq_key == elation ? 6 - i : 0;
      ann[std::string(c.hq_key)] = v;
      results[std::string(c.head_key)] = {{"raw", v}, {"mean_subtracted", v}};
    }
    const std::string path = "i" + std::to_string(i) + ".png";
    const bool failed = i == 2;
    json rec = {{"image_path", path},
                {"model", "m"},
                {"protocol", "zs-v1"},
                {"status", failed ? "parse_failed" : "ok"},
                {"attempts", failed ? 20 : 1}};
    if (!failed) rec["annotations"] = ann;
    vlm += rec.dump() + "\n";
    if (!failed) preds += json{{"image_path", path}, {"results", results}}.dump() + "\n";
  }
  write_file_atomic(dir.file("vlm.jsonl"), vlm);
  write_file_atomic(dir.file("preds.jsonl"), preds);
  const std::string base =
      "--quiet bench hq " + dir.file("hq.csv") + " --bootstrap 20 --format json";
  const auto a = json::parse(run(base + " --vlm " + dir.file("vlm.jsonl") + " --name \"V ZS\""));
  const auto b = json::parse(run(base + " --predictions " + dir.file("preds.jsonl") +
                                 " --score raw --allow-missing --name \"V ZS\""));
  EXPECT_EQ(a, b);
  EXPECT_NE(a.dump().find("V ZS"), std::string::npos);
}

}  // namespace
}  // namespace emonet::eval
