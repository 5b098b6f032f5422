// `data audit` inputs: the FairFace grouping of spec §2.3, uniform balance, WebDataset
// shards, and malformed inputs reported with file, line and field; the CLI end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "emonet/data_audit.h"
#include "emonet/data_pack.h"
#include "emonet/error.h"
#include "support/test_paths.h"

namespace emonet::test {
namespace {

namespace fs = std::filesystem;
const std::string kFixtures = EMONET_AUDIT_FIXTURES;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// The message of the emonet::Error `f` throws ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DataAuditInputs, FairFaceGroupingOfSpec) {
  EXPECT_EQ(data::fairface_group("white caucasian north american"), "White");
  EXPECT_EQ(data::fairface_group("White"), "White");
  EXPECT_EQ(data::fairface_group("Asian"), "East Asian");
  EXPECT_EQ(data::fairface_group("South Asian"), "Indian");
  EXPECT_EQ(data::fairface_group("North African"), "Middle Eastern");
  EXPECT_EQ(data::fairface_group("arabic"), "Middle Eastern");
  EXPECT_EQ(data::fairface_group("Native Hawaiian or Other Pacific Islander"), "AI/AN-NHPI");
  EXPECT_EQ(data::fairface_group("Martian"), "Other");
  EXPECT_EQ(data::fairface_group(""), "");
}

TEST(DataAuditInputs, UniformReferenceOverTheLevelsSeen) {
  std::vector<data::AuditRow> rows;
  for (int i = 0; i < 6; ++i)
    rows.push_back({{}, i < 4 ? "Asian" : "White", "20", i % 2 ? "man" : "woman", "Awe"});
  const auto b = data::audit_balance(rows, nullptr);
  EXPECT_EQ(b.reference, "uniform");
  EXPECT_EQ(b.axes[0].levels[0].expected, 3.0);
  // scipy.stats.chisquare([4, 2]) = 0.6667, p = 0.4142
  EXPECT_NEAR(b.axes[0].chi2, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(b.axes[0].p, 0.41421617824252493, 1e-12);
  EXPECT_TRUE(std::isnan(b.axes[1].chi2)) << "one age level: no test";
  EXPECT_EQ(b.cells.size(), 4u);  // 2 ethnicities × 1 × 2 genders × 1
}

TEST(DataAuditInputs, ShardsCarryTheLabelsOfEachSample) {
  TempDir tmp;
  PackOptions p;
  p.input = kFixtures + "/data";
  p.output = tmp.file("shards");
  p.shard_bytes = 100000;
  p.progress = false;
  pack_dataset(p);
  const auto packed = data::load_audit_rows(tmp.file("shards"));
  const auto folder = data::load_audit_rows(kFixtures + "/data");
  ASSERT_EQ(packed.size(), folder.size());
  for (std::size_t i = 0; i < packed.size(); ++i) {
    EXPECT_EQ(packed[i].item.id, folder[i].item.id);
    EXPECT_EQ(packed[i].ethnicity, folder[i].ethnicity);
    EXPECT_EQ(packed[i].age, folder[i].age);
    EXPECT_EQ(packed[i].gender, folder[i].gender);
    EXPECT_EQ(packed[i].emotion, folder[i].emotion);
  }
  data::QualityOptions q;
  q.faces = false;
  q.progress = false;
  const auto a = data::audit_quality(packed, q), b = data::audit_quality(folder, q);
  EXPECT_EQ(a.unreadable, b.unreadable);
  EXPECT_EQ(a.exact_groups, b.exact_groups);
}

TEST(DataAuditInputs, MalformedInputsNameFileLineAndField) {
  TempDir tmp;
  write(tmp.path() / "d/metadata.csv", "file_name,ethnicity\n\"a.png,Asian\n");
  EXPECT_NE(error_of([&] { data::load_audit_rows(tmp.file("d")); }).find("metadata.csv:2"),
            std::string::npos);

  write(tmp.path() / "design.csv", "ethnicity,age,gender\nAsian,20,man\n");
  const auto e1 = error_of([&] { data::load_design_rows(tmp.file("design.csv")); });
  EXPECT_NE(e1.find("design.csv"), std::string::npos) << e1;
  EXPECT_NE(e1.find("emotion"), std::string::npos) << e1;

  write(tmp.path() / "design2.csv",
        "ethnicity,age,gender,emotion\nAsian,20,man,Awe\nAsian,,man,Awe\n");
  const auto e2 = error_of([&] { data::load_design_rows(tmp.file("design2.csv")); });
  EXPECT_NE(e2.find("design2.csv:3"), std::string::npos) << e2;
  EXPECT_NE(e2.find("age"), std::string::npos) << e2;

  const auto rows = data::load_audit_rows(kFixtures + "/data");
  const std::string good =
      R"({"image_path": "images/0000.png", "results": {"model_awe_best": {"raw": 1.0}}})";
  write(tmp.path() / "p1.jsonl", good + "\n{not json\n");
  const auto e3 = error_of([&] { data::load_scores(tmp.file("p1.jsonl"), rows, "raw"); });
  EXPECT_NE(e3.find("p1.jsonl:2"), std::string::npos) << e3;

  write(tmp.path() / "p2.jsonl",
        good + "\n" +
            R"({"image_path": "images/0001.png", "results": {"model_awe_best": {"raw": "x"}}})" +
            "\n");
  const auto e4 = error_of([&] { data::load_scores(tmp.file("p2.jsonl"), rows, "raw"); });
  EXPECT_NE(e4.find("p2.jsonl:2"), std::string::npos) << e4;
  EXPECT_NE(e4.find("results.model_awe_best.raw"), std::string::npos) << e4;

  write(tmp.path() / "p3.jsonl", good + "\n" + good + "\n");
  const auto e5 = error_of([&] { data::load_scores(tmp.file("p3.jsonl"), rows, "raw"); });
  EXPECT_NE(e5.find("predicted twice"), std::string::npos) << e5;

  data::GroupReport rep;
  const auto e6 = error_of(
      [&] { data::audit_kappa(rows, kFixtures + "/data/hq.csv", "", "raw", "Nobody", {}, rep); });
  EXPECT_NE(e6.find("no annotator named 'Nobody'"), std::string::npos) << e6;
}

TEST(DataAuditInputs, CliWritesTheReportAndFailsOnBadInput) {
  TempDir tmp;
  const std::string d = kFixtures + "/data";
  auto r = run_cli("--quiet data audit '" + d + "' --no-faces --design '" + d +
                   "/design.csv' --predictions '" + d + "/predictions.jsonl' --bootstrap 50 " +
                   "--permutations 19 --out '" + tmp.file("rep") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(tmp.file("rep/report.html")));
  EXPECT_TRUE(fs::exists(tmp.file("rep/groups.csv")));
  // Predictions joined to hq.csv as the κ model ("emonet").
  r = run_cli("--quiet data audit '" + d + "/metadata.csv' --no-faces --predictions '" + d +
              "/predictions.jsonl' --hq '" + d + "/hq.csv' --bootstrap 20 --permutations 9 " +
              "--out '" + tmp.file("rep2") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  write(tmp.path() / "bad.jsonl", "{\"image_path\": 3}\n");
  r = run_cli("data audit '" + d + "' --no-faces --predictions '" + tmp.file("bad.jsonl") +
              "' --out '" + tmp.file("rep3") + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad.jsonl:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("image_path"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp.file("rep3/report.html")));
}

TEST(DataAuditInputs, ModelEmbedsTheImagesForNearDuplicates) {
  TempDir tmp;
  data::AuditOptions o;
  o.input = kFixtures + "/data/metadata.csv";
  o.out = tmp.file("rep");
  o.model = std::string(EMONET_ENGINE_FIXTURES) + "/model";
  o.model_threads = 2;
  o.quality.faces = false;
  o.quality.progress = false;
  o.quality.near_dup_threshold = 0.99;
  const auto r = data::run_audit(o);
  EXPECT_TRUE(r.quality.near_checked);
  // Every readable image is embedded (the unreadable one is reported, not stored).
  EXPECT_EQ(r.quality.embedded, r.quality.images - r.quality.unreadable);
  EXPECT_TRUE(fs::exists(tmp.file("rep/embeddings/embeddings-00000-of-00001.npy")));
  for (const auto& p : r.quality.near_pairs) EXPECT_GE(p.similarity, 0.99);
}

}  // namespace
}  // namespace emonet::test
