// `emonet bench transfer` on the authors' FERD predictions with their mapping (spec §6.1:
// 119/152 = 0.7829 and the per-class values), the label-field route, and bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "emonet/bench_transfer.h"
#include "emonet/error.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

TEST(BenchTransfer, FerdMatchesThePublishedTable) {
  REQUIRE_REFERENCE(ferd, "ferd.jsonl");
  REQUIRE_REFERENCE(mappings, "transfer_mappings.json");
  const auto m = bench::load_transfer_mapping(mappings + ":ferd");
  const auto r = bench::evaluate_transfer(ferd, m);
  EXPECT_EQ(r.images, 152);
  EXPECT_EQ(r.correct, 119);
  EXPECT_EQ(r.mapped, 40u);
  EXPECT_EQ(r.total, 40u);
  EXPECT_DOUBLE_EQ(r.cutoff, 0.0375);
  // Spec §6.1: correct out of 19 per class.
  const std::vector<std::pair<std::string, long>> want = {
      {"anger", 14}, {"contempt", 6}, {"disgust", 15}, {"fear", 19},
      {"happy", 19}, {"neutral", 16}, {"sad", 15},     {"surprise", 15}};
  ASSERT_EQ(r.classes.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(r.classes[i].cls, want[i].first);
    EXPECT_EQ(r.classes[i].images, 19);
    EXPECT_EQ(r.classes[i].correct, want[i].second) << want[i].first;
  }
  const auto cli = test::run_cli("bench transfer '" + ferd + "' --mapping '" + mappings + ":ferd'");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  for (const char* row :
       {"| Anger | 0.7368 |", "| Contempt | 0.3158 |", "| Disgust | 0.7895 |", "| Fear | 1.0000 |",
        "| Happy | 1.0000 |", "| Neutral | 0.8421 |", "| Sad | 0.7895 |", "| Surprise | 0.7895 |",
        "**0.7829**", "| Mapped / Total | 40 / 40 |"})
    EXPECT_NE(cli.out.find(row), std::string::npos) << row;
}

TEST(BenchTransfer, FileNameRule) {
  EXPECT_EQ(bench::class_from_file_name("ferd_images/0000_Happy.jpg"), "happy");
  EXPECT_EQ(bench::class_from_file_name("x/0012_Surprised.png"), "surprise");
  EXPECT_EQ(bench::class_from_file_name("plain.jpg"), "plain");
}

// The AffectNet route: integer labels through "<name>_label_index", null = unmapped head.
TEST(BenchTransfer, LabelFieldThroughLabelIndex) {
  REQUIRE_REFERENCE(ferd, "ferd.jsonl");
  test::TempDir dir;
  // Relabel the FERD records with AffectNet-style integers (alphabetical index).
  const std::vector<std::string> names = {"anger", "contempt", "disgust", "fear",
                                          "happy", "neutral",  "sad",     "surprise"};
  std::ifstream in(ferd);
  std::ofstream out(dir.file("p.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    auto rec = nlohmann::json::parse(line);
    const auto cls = bench::class_from_file_name(rec["image_path"].get<std::string>());
    rec["label"] = std::find(names.begin(), names.end(), cls) - names.begin();
    rec["image_path"] = "anonymous.jpg";
    out << rec.dump() << "\n";
  }
  out.close();
  REQUIRE_REFERENCE(mappings, "transfer_mappings.json");
  auto root = nlohmann::json::parse(std::ifstream(mappings));
  nlohmann::json mine;
  mine["mine"] = root["ferd"];
  mine["mine_label_index"] = root["affectnet_label_index"];
  std::ofstream(dir.file("m.json")) << mine.dump();
  const auto m = bench::load_transfer_mapping(dir.file("m.json"));
  EXPECT_EQ(m.name, "mine");
  const auto r = bench::evaluate_transfer(dir.file("p.jsonl"), m, "label");
  EXPECT_EQ(r.correct, 119);

  // Unmapping a head changes n_mapped and the cutoff (1.5 / 39).
  mine["mine"]["model_fear_best"] = nullptr;
  std::ofstream(dir.file("m2.json")) << mine.dump();
  const auto m2 = bench::load_transfer_mapping(dir.file("m2.json") + ":mine");
  EXPECT_EQ(m2.mapped(), 39u);
  const auto r2 = bench::evaluate_transfer(dir.file("p.jsonl"), m2, "label");
  EXPECT_EQ(r2.total, 40u);
  EXPECT_DOUBLE_EQ(r2.cutoff, 1.5 / 39);
}

TEST(BenchTransfer, BadInputNamesFileAndLine) {
  REQUIRE_REFERENCE(ferd, "ferd.jsonl");
  REQUIRE_REFERENCE(mappings, "transfer_mappings.json");
  test::TempDir dir;
  std::string first;
  std::getline(std::ifstream(ferd), first);
  std::ofstream(dir.file("bad.jsonl")) << first << "\n{not json\n";
  auto r = test::run_cli("bench transfer '" + dir.file("bad.jsonl") + "' --mapping '" + mappings +
                         ":ferd'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.jsonl:2"), std::string::npos) << r.err;

  auto rec = nlohmann::json::parse(first);
  rec["results"]["model_anger_best"].erase("mean_subtracted");
  std::ofstream(dir.file("bad2.jsonl")) << rec.dump() << "\n";
  r = test::run_cli("bench transfer '" + dir.file("bad2.jsonl") + "' --mapping '" + mappings +
                    ":ferd'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad2.jsonl:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("model_anger_best"), std::string::npos) << r.err;

  r = test::run_cli("bench transfer '" + ferd + "' --mapping '" + mappings + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("(affectnet, ferd)"), std::string::npos) << r.err;
  r = test::run_cli("bench transfer '" + ferd + "' --mapping '" + mappings + ":nope'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no mapping named 'nope'"), std::string::npos) << r.err;

  std::ofstream(dir.file("m.json")) << R"({"model_angr_best": "anger"})";
  r = test::run_cli("bench transfer '" + ferd + "' --mapping '" + dir.file("m.json") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("model_angr_best"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("m.json"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace emonet
