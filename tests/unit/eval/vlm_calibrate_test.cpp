// `--calibrate hq.csv` of the yes/no protocol: P(yes) mapped to 0-7 by quantile
// calibration against the experts' marginal, as an oracle (fit on every image) and held
// out (fit on the even-hash half, score the other), both equal to the NumPy reference of
// tests/fixtures/vlm_calibration_reference.py; the pure mapping on hand-checked values.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "emonet/eval.h"
#include "emonet/files.h"
#include "support/test_paths.h"
#include "vlm_stand_in.h"

namespace emonet::eval {
namespace {

using namespace test_stand_in;  // NOLINT: the stand-in is this file's vocabulary
using nlohmann::json;

const std::string kDir = EMONET_EVAL_CALIBRATION_REFERENCE;

TEST(VlmCalibrate, QuantileMapping) {
  // Experts: 50 % zeros, 25 % threes, 25 % sevens.
  const std::array<double, 8> cdf = {0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 0.75, 1.0};
  const std::vector<double> fit = {0.1, 0.2, 0.3, 0.4};
  EXPECT_EQ(quantile_calibrate(fit, cdf, {0.1, 0.2, 0.3, 0.4, 0.05, 0.99}),
            (std::vector<int>{0, 0, 3, 7, 0, 7}));
  EXPECT_TRUE(in_calibration_half("dir/x.png") == in_calibration_half("x.png"));
}

std::map<std::string, json> run(StandIn& s, const test::TempDir& dir, CalibrationSplit split) {
  const json cases = json::parse(read_file(kDir + "/cases.json"));
  std::filesystem::create_directories(dir.path() / "imgs");
  for (const auto& [tag, c] : cases.items()) {
    s.yes_no_cases(tag, c.get<std::vector<json>>());
    write_file_atomic(dir.file("imgs/" + tag + ".png"), tag);
  }
  VlmOptions o;
  o.endpoint = s.url();
  o.model = "stand-in-vlm";
  o.protocol = VlmProtocol::kYesNo;
  o.out_path = dir.file("out.jsonl");
  o.cache_path = dir.file("cache.sqlite");
  o.progress = false;
  o.concurrency = 8;
  o.calibrate_hq = kDir + "/hq.csv";
  o.calibration_split = split;
  const auto sum = run_vlm_eval(collect_vlm_images({dir.file("imgs")}), o);
  EXPECT_EQ(sum.ok, 24u);
  std::map<std::string, json> out;
  std::ifstream in(o.out_path);
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    out[j["image_path"].get<std::string>().substr(0, 6)] = j;
  }
  return out;
}

TEST(VlmCalibrate, OracleAndHeldOutMatchTheNumPyReference) {
  const json expected = json::parse(read_file(kDir + "/expected.json"));
  test::TempDir dir;
  StandIn s;
  const auto oracle = run(s, dir, CalibrationSplit::kOracle);
  ASSERT_EQ(oracle.size(), 24u);
  for (const auto& [tag, rec] : oracle) {
    SCOPED_TRACE(tag);
    EXPECT_EQ(rec["mapping"], "quantile-oracle");
    EXPECT_EQ(rec["annotations"], expected["oracle"][tag]);  // only hq.csv's emotions
    for (const auto& [key, p] : expected["p_yes"][tag].items())
      EXPECT_NEAR(rec["p_yes"][key].get<double>(), p.get<double>(), 1e-12);
    EXPECT_EQ(rec["p_yes"].size(), 40u);
  }
  const int sent = s.total();
  const auto held = run(s, dir, CalibrationSplit::kHeldOut);  // from the cache
  EXPECT_EQ(s.total(), sent);
  int scored = 0;
  for (const auto& [tag, rec] : held) {
    SCOPED_TRACE(tag);
    EXPECT_EQ(rec["mapping"], "quantile-heldout");
    if (expected["fit_half"][tag] == true) {
      EXPECT_EQ(rec["calibration"], "fit");
      EXPECT_TRUE(rec["annotations"].empty());
    } else {
      ++scored;
      EXPECT_EQ(rec["calibration"], "scored");
      EXPECT_EQ(rec["annotations"], expected["heldout"][tag]);
    }
  }
  EXPECT_EQ(scored, 12);
}

}  // namespace
}  // namespace emonet::eval
