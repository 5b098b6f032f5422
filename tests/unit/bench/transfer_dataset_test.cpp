// `emonet bench transfer --images` on tiny generated datasets in each published layout
// (tests/fixtures/transfer_datasets.py): accuracy, macro-F1 and their bootstrap CIs equal
// the NumPy/scikit-learn values; malformed layouts fail naming the file; the --model route
// gives exactly what `emonet predict` + the predictions route give.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "emonet/bench_transfer_dataset.h"
#include "emonet/error.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

using nlohmann::json;
const std::string kDir = BENCH_TRANSFER_FIXTURES;

json expected() {
  std::ifstream in(kDir + "/expected.json");
  return json::parse(in);
}

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

std::string args_of(const json& c) {
  std::string out;
  for (const auto& a : c["args"]) out += " " + quoted(a.get<std::string>());
  return out;
}

TEST(BenchTransferDataset, EveryLayoutMatchesNumpyAndSklearn) {
  const json all = expected();
  ASSERT_GE(all["cases"].size(), 6u);
  for (const auto& [name, c] : all["cases"].items()) {
    SCOPED_TRACE(name);
    const std::string data = c["data"].get<std::string>();
    const auto r =
        test::run_cli("bench transfer " + quoted(kDir + "/" + data + ".jsonl") + " --images " +
                      quoted(kDir + "/" + data) + " --layout " + c["layout"].get<std::string>() +
                      args_of(c) + " --mapping " + quoted(kDir + "/mapping.json:tiny") +
                      " --bootstrap " + std::to_string(c["iterations"].get<int>()) + " --seed " +
                      std::to_string(c["seed"].get<int>()) + " --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json got = json::parse(r.out);
    EXPECT_EQ(got["images"], c["images"]);
    EXPECT_EQ(got["units"], c["units"]);
    EXPECT_EQ(got["skipped"], c["skipped"]);
    EXPECT_EQ(got["group_by"], c["group_by"]);
    EXPECT_NEAR(got["accuracy"]["value"].get<double>(), c["accuracy"].get<double>(), 1e-12);
    EXPECT_NEAR(got["macro_f1"]["value"].get<double>(), c["macro_f1"].get<double>(), 1e-12);
    EXPECT_NEAR(got["accuracy"]["low"].get<double>(), c["accuracy_ci"][0].get<double>(), 1e-12);
    EXPECT_NEAR(got["accuracy"]["high"].get<double>(), c["accuracy_ci"][1].get<double>(), 1e-12);
    EXPECT_NEAR(got["macro_f1"]["low"].get<double>(), c["macro_f1_ci"][0].get<double>(), 1e-12);
    EXPECT_NEAR(got["macro_f1"]["high"].get<double>(), c["macro_f1_ci"][1].get<double>(), 1e-12);
    EXPECT_NEAR(got["rule_accuracy"].get<double>(), c["rule_accuracy"].get<double>(), 1e-12);
  }
}

TEST(BenchTransferDataset, MarkdownAndCsvCarryTheSameNumbers) {
  const json c = expected()["cases"]["faces"];
  const std::string base = "bench transfer " + quoted(kDir + "/faces.jsonl") + " --images " +
                           quoted(kDir + "/faces") + " --layout faces --group-by person " +
                           "--mapping " + quoted(kDir + "/mapping.json:tiny") +
                           " --bootstrap 200 --seed 7";
  const auto md = test::run_cli(base);
  ASSERT_EQ(md.exit_code, 0) << md.err;
  char acc[64];
  std::snprintf(acc, sizeof acc, "| Accuracy (top-1) | **%.4f** | [%.4f, %.4f] |",
                c["accuracy"].get<double>(), c["accuracy_ci"][0].get<double>(),
                c["accuracy_ci"][1].get<double>());
  EXPECT_NE(md.out.find(acc), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("by person (7 units)"), std::string::npos) << md.out;
  const auto csv = test::run_cli(base + " --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  char f1[64];
  std::snprintf(f1, sizeof f1, "macro_f1,84,,,,,,%.6f,", c["macro_f1"].get<double>());
  EXPECT_NE(csv.out.find(f1), std::string::npos) << csv.out;
}

TEST(BenchTransferDataset, MalformedLayoutsNameTheFile) {
  const json all = expected();
  for (const auto& [name, b] : all["bad"].items()) {
    SCOPED_TRACE(name);
    // Predictions are never reached: the layout is read first.
    const auto r = test::run_cli("bench transfer " + quoted(kDir + "/folders.jsonl") +
                                 " --images " + quoted(kDir + "/bad/" + name) + " --layout " +
                                 b["layout"].get<std::string>() + args_of(b) + " --mapping " +
                                 quoted(kDir + "/mapping.json:tiny"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(b["file"].get<std::string>()), std::string::npos) << r.err;
  }
}

TEST(BenchTransferDataset, WrongInputsAreClearErrors) {
  const std::string mapping = " --mapping " + quoted(kDir + "/mapping.json:tiny");
  // Persons only exist in the faces layout.
  auto r = test::run_cli("bench transfer " + quoted(kDir + "/folders.jsonl") + " --images " +
                         quoted(kDir + "/folders") + " --group-by person" + mapping);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--group-by"), std::string::npos) << r.err;
  // Predictions of another dataset: the first image without a record is named.
  r = test::run_cli("bench transfer " + quoted(kDir + "/rafdb.jsonl") + " --images " +
                    quoted(kDir + "/folders") + mapping);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no prediction for image Happiness/0.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rafdb.jsonl"), std::string::npos) << r.err;
  // Neither predictions nor --model.
  r = test::run_cli("bench transfer --images " + quoted(kDir + "/folders") + mapping);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
}

// The library on its own: class names normalised, persons parsed from FACES names.
TEST(BenchTransferDataset, LoadsPersonsAndClasses) {
  const auto m = bench::load_transfer_mapping(kDir + "/mapping.json:tiny");
  bench::DatasetOptions o;
  o.layout = bench::DatasetLayout::faces;
  o.images = kDir + "/faces";
  const auto d = bench::load_dataset(o, m);
  ASSERT_EQ(d.images.size(), 84u);
  EXPECT_EQ(d.images[0].id, "004_o_m_a_a.jpg");
  EXPECT_EQ(d.images[0].person, "004");
  EXPECT_EQ(d.images[0].cls, "anger");
  o.layout = bench::DatasetLayout::folders;
  o.images = kDir + "/folders";
  const auto f = bench::load_dataset(o, m);
  EXPECT_EQ(f.images.front().cls, "happy");    // "Happiness"
  EXPECT_EQ(f.images.back().cls, "surprise");  // "surprised"
}

// --model runs the engine over the folder; the result equals predict + the JSONL route.
TEST(BenchTransferDataset, ModelRouteEqualsPredictThenScore) {
  const std::string model = BENCH_TRANSFER_MODEL;
  ASSERT_TRUE(std::filesystem::is_directory(model + "/model"))
      << "tiny engine fixture missing (CTest fixture engine_tiny): " << model;
  test::TempDir tmp;
  const std::string common = " --images " + quoted(kDir + "/folders") + " --mapping " +
                             quoted(kDir + "/mapping.json:tiny") + " --format json";
  const auto pred = test::run_cli("-q predict --model " + quoted(model + "/model") +
                                  " --threads 1 --precision fp32 " + quoted(kDir + "/folders") +
                                  " --out " + quoted(tmp.file("p.jsonl")));
  ASSERT_EQ(pred.exit_code, 0) << pred.err;
  const auto via_jsonl = test::run_cli("bench transfer " + quoted(tmp.file("p.jsonl")) + common);
  ASSERT_EQ(via_jsonl.exit_code, 0) << via_jsonl.err;
  const auto via_model = test::run_cli("-q bench transfer --model " + quoted(model + "/model") +
                                       " --threads 1 --precision fp32" + common);
  ASSERT_EQ(via_model.exit_code, 0) << via_model.err;
  const json a = json::parse(via_jsonl.out), b = json::parse(via_model.out);
  EXPECT_EQ(a["images"], 15);
  EXPECT_EQ(a["accuracy"], b["accuracy"]);
  EXPECT_EQ(a["macro_f1"], b["macro_f1"]);
  EXPECT_EQ(a["confusion"], b["confusion"]);
}

}  // namespace
}  // namespace emonet
