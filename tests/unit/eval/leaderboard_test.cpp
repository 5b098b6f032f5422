// `emonet bench leaderboard` on the fixture of tests/fixtures/leaderboard_reference.py: the
// image-level bootstrap (CIs of kappa, alpha, Spearman, the paired differences) and the
// validity gate equal the NumPy/SciPy reference; the point estimates equal what `emonet
// bench hq` prints for the same runs; bad runs get clear errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "emonet/files.h"
#include "support/test_paths.h"

namespace emonet::bench {
namespace {

using nlohmann::json;

const std::string kDir = EMONET_LEADERBOARD_FIXTURE;

std::string in(const std::string& f) {
  return "\"" + kDir + "/" + f + "\"";
}

json run_json(const std::string& args) {
  const auto r = test::run_cli("--quiet " + args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

const std::string kRuns = " --run \"A ZS=" + kDir + "/a.jsonl\" --run \"B=" + kDir +
                          "/b.jsonl\" --run \"Random Baseline\"";

const json& board() {
  static const json b =
      run_json("bench leaderboard " + in("hq.csv") + kRuns + " --bootstrap 200 --format json");
  return b;
}

void expect_ci(const json& got, const json& want, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(got["ci_low"].is_number());
  EXPECT_NEAR(got["ci_low"].get<double>(), want[0].get<double>(), 1e-12);
  EXPECT_NEAR(got["ci_high"].get<double>(), want[1].get<double>(), 1e-12);
}

TEST(Leaderboard, BootstrapAndGateMatchTheNumPyReference) {
  const json expected = json::parse(read_file(kDir + "/expected.json"));
  const json& b = board();
  EXPECT_EQ(b["bootstrap"], 200);
  EXPECT_EQ(b["best"], expected["best"]);
  expect_ci(b["anchor"]["kappa"], expected["anchor"]["kappa_ci"], "anchor kappa");
  expect_ci(b["anchor"]["alpha"], expected["anchor"]["alpha_ci"], "anchor alpha");
  ASSERT_EQ(b["runs"].size(), 3u);
  for (const auto& r : b["runs"]) {
    const std::string name = r["name"];
    SCOPED_TRACE(name);
    const auto& x = expected["runs"][name];
    expect_ci(r["kappa"], x["kappa_ci"], "kappa");
    expect_ci(r["alpha"], x["alpha_ci"], "alpha");
    EXPECT_NEAR(r["alpha"]["value"].get<double>(), x["alpha"].get<double>(), 1e-12);
    expect_ci(r["spearman"], x["spearman_ci"], "spearman");
    expect_ci(r["vs_anchor"], x["vs_anchor_ci"], "vs anchor");
    expect_ci(r["vs_best"], x["vs_best_ci"], "vs best");
    EXPECT_NEAR(r["gate_exact"].get<double>(), x["gate_exact"].get<double>(), 1e-12);
    EXPECT_NEAR(r["gate_all"].get<double>(), x["gate_all"].get<double>(), 1e-12);
    EXPECT_EQ(r["exact"], x["exact"]);
    EXPECT_EQ(r["parse_failed"], x["parse_failed"]);
  }
  EXPECT_EQ(b["runs"][0]["name"], "A ZS");  // ranked by kappa
  EXPECT_EQ(b["runs"][0]["source"], "vlm");
  EXPECT_EQ(b["runs"][0]["records"], 40);
  EXPECT_EQ(b["runs"][0]["scored"], 38);
  EXPECT_EQ(b["runs"][1]["source"], "predictions");
  EXPECT_EQ(b["runs"][2]["source"], "hq.csv");
  EXPECT_EQ(b["runs"][2]["scored"], 38);  // two images without a row
}

TEST(Leaderboard, PointEstimatesEqualBenchHq) {
  const json hq =
      run_json("bench hq " + in("hq.csv") + " --predictions " + in("b.jsonl") + " --vlm " +
               in("a.jsonl") + " --name B --name \"A ZS\" --bootstrap 200 --format json");
  const json& b = board();
  std::vector<double> human_averages;
  for (const auto& a : hq["agreement"])
    if (a["human"] == true) human_averages.push_back(a["average_all_emotions"]);
  double sum = 0;
  for (double v : human_averages) sum += v;
  EXPECT_DOUBLE_EQ(b["anchor"]["kappa"]["value"].get<double>(), sum / 4);
  for (const auto& a : hq["alpha"])
    if (a["emotion"] == "mean") {
      EXPECT_EQ(b["anchor"]["alpha"]["value"], a["alpha"]);
    }
  for (const auto& r : b["runs"]) {
    const std::string name = r["name"];
    SCOPED_TRACE(name);
    int found = 0;
    for (const auto& a : hq["agreement"])
      if (a["annotator"] == name) {
        ++found;
        EXPECT_EQ(r["kappa"]["value"], a["average_all_emotions"]);  // bit for bit
        for (std::size_t e = 0; e < b["emotions"].size(); ++e)
          EXPECT_EQ(r["kappa_per_emotion"][e], a[b["emotions"][e].get<std::string>()]);
      }
    for (const auto& s : hq["spearman"])
      if (s["model"] == name) {
        ++found;
        EXPECT_EQ(r["spearman"]["value"], s["mean_rho"]);
      }
    for (const auto& t : hq["annotator_tests"])
      if (t["annotator"] == name) {
        ++found;
        EXPECT_EQ(r["annotator_p"], t["p"]);
        EXPECT_EQ(r["annotator_mean_difference"], t["mean_difference"]);
        EXPECT_EQ(r["could_be_annotator"], t["could_be_annotator"] == "yes");
      }
    EXPECT_EQ(found, 3);
  }
}

TEST(Leaderboard, WritesEveryFormatAndReportsBadRuns) {
  test::TempDir dir;
  const auto r = test::run_cli("--quiet bench leaderboard " + in("hq.csv") + kRuns +
                               " --bootstrap 20 --out " + dir.file("board"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| 1 | A ZS | vlm |"), std::string::npos) << r.out;
  for (const char* f : {"leaderboard.md", "leaderboard.json", "leaderboard.csv", "report.html"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("board/") + f))) << f;
  const std::string csv = read_file(dir.file("board/leaderboard.csv"));
  EXPECT_EQ(csv.rfind("rank,run,source,kappa,", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  const std::string html = read_file(dir.file("board/report.html"));
  EXPECT_NE(html.find("<svg id=\"bars\""), std::string::npos);
  EXPECT_NE(html.find("<svg id=\"heatmap\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained, static

  const auto unknown = test::run_cli("--quiet bench leaderboard " + in("hq.csv") + " --run Nobody");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("Nobody: no model annotator"), std::string::npos) << unknown.err;
  const auto twice = test::run_cli("--quiet bench leaderboard " + in("hq.csv") +
                                   " --run \"Random Baseline\" --run \"Random Baseline\"");
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("given twice"), std::string::npos) << twice.err;
  write_file_atomic(dir.file("bad.jsonl"),
                    "{\"image_path\": \"x.png\", \"status\": \"ok\"}\n[1]\n");
  const auto bad = test::run_cli("--quiet bench leaderboard " + in("hq.csv") +
                                 " --run \"X=" + dir.file("bad.jsonl") + "\"");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("bad.jsonl:2"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace emonet::bench
