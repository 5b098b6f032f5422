// `emonet bench hq` against the Python reference of the authors' notebook on a synthetic
// 300-image hq.csv (tests/fixtures/make_hq.py, hq_reference.py), plus bad-input handling.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "compare_tables.h"
#include "emonet/bench_hq.h"
#include "emonet/error.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

const std::string kSmall = std::string(BENCH_FIXTURE_DIR) + "/small";

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

const char* kHeader = "image,annotator,human,annotations\n";
// A minimal valid file: two experts and one model on two images.
std::string tiny_hq() {
  return std::string(kHeader) +
         "a.jpg,human-1,True,\"{'Negative High-Energy Emotions|Anger': 3, "
         "'Positive High-Energy Emotions|Elation': 0}\"\n"
         "a.jpg,human-2,True,\"{'Negative High-Energy Emotions|Anger': 2}\"\n"
         "b.jpg,human-1,True,\"{'Negative High-Energy Emotions|Anger': 0, "
         "'Positive High-Energy Emotions|Elation': 5}\"\n"
         "b.jpg,human-2,True,\"{'Positive High-Energy Emotions|Elation': 6}\"\n"
         "a.jpg,Hume Face*,False,\"{'Negative High-Energy Emotions|Anger': 0.5, "
         "'Positive High-Energy Emotions|Elation': 0.25}\"\n"
         "b.jpg,Hume Face*,False,\"{'Negative High-Energy Emotions|Anger': 0.125, "
         "'Positive High-Energy Emotions|Elation': 1.0}\"\n"
         "b.jpg,Hume Face*,False,\"{'Negative High-Energy Emotions|Anger': 0.375, "
         "'Positive High-Energy Emotions|Elation': 0.5}\"\n";
}

TEST(BenchHq, MatchesPythonReferenceOnSyntheticFile) {
  test::TempDir out;
  const auto r = test::run_cli("bench hq " + quoted(kSmall + "/hq.csv") + " --out " +
                               quoted(out.file("hq")) + " --bootstrap 1000 --seed 42");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::compare_with_reference(out.file("hq"), kSmall + "/reference.json");
  // Markdown on stdout names every table.
  for (const char* title :
       {"Agreement with the human experts", "Summary over emotions", "Average pairwise kappa",
        "Group comparisons", "Could each annotator", "Krippendorff's alpha", "Spearman's rho"})
    EXPECT_NE(r.out.find(title), std::string::npos) << title;
  for (const char* f : {"agreement.csv", "alpha.csv", "report.html", "pairwise.json"})
    EXPECT_TRUE(std::filesystem::exists(out.file("hq") + "/" + f)) << f;
}

TEST(BenchHq, JoinedPredictionsMatchPythonReference) {
  test::TempDir out;
  const auto r = test::run_cli("bench hq " + quoted(kSmall + "/hq.csv") + " --predictions " +
                               quoted(kSmall + "/predictions.jsonl") +
                               " --name 'Empathic Insight Face Rebuilt' --score raw --out " +
                               quoted(out.file("hq")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::compare_with_reference(out.file("hq"), kSmall + "/reference_predictions.json");
  EXPECT_NE(r.out.find("Empathic Insight Face Rebuilt"), std::string::npos);
}

TEST(BenchHq, ThreadCountDoesNotChangeResults) {
  const std::string args =
      "bench hq " + quoted(kSmall + "/hq.csv") + " --bootstrap 50 --format json";
  const auto one = test::run_cli(args + " --threads 1");
  const auto two = test::run_cli(args + " --threads 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(one.out, two.out);
}

// The loader splits big files in two halves parsed concurrently; results and error lines
// must not depend on it.
TEST(BenchHq, SplitLoadEqualsSequentialLoad) {
  test::TempDir dir;
  std::ifstream in(kSmall + "/hq.csv");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string big = text;
  const std::string body = text.substr(text.find('\n') + 1);
  // Same rows again under other image names: > 4 MB, so the split path is taken.
  for (int k = 0; big.size() < (5u << 20); ++k) {
    std::string copy = body;
    for (std::size_t p = 0; (p = copy.find("hq_images/", p)) != std::string::npos; p += 10)
      copy.replace(p, 10, "copy" + std::to_string(k) + "/");
    big += copy;
  }
  write(dir.file("big.csv"), big);
  const auto a = bench::load_hq(dir.file("big.csv"), 1);
  const auto b = bench::load_hq(dir.file("big.csv"), 2);
  EXPECT_EQ(a.images, b.images);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.duplicate_rows, b.duplicate_rows);
  ASSERT_EQ(a.ratings.size(), b.ratings.size());
  EXPECT_EQ(0, std::memcmp(a.ratings.data(), b.ratings.data(), a.ratings.size() * sizeof(double)));
  // An error near the end is reported with its file line by the second half's parser.
  const long lines = static_cast<long>(std::count(big.begin(), big.end(), '\n'));
  write(dir.file("bad.csv"),
        big + "x.jpg,human-1,True,\"{'Negative High-Energy Emotions|Angr': 1}\"\n");
  try {
    bench::load_hq(dir.file("bad.csv"), 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().line, lines + 1) << e.what();
  }
}

TEST(BenchHq, ReportHtmlIsSelfContained) {
  test::TempDir out;
  write(out.file("hq.csv"), tiny_hq());
  const auto data = bench::load_hq(out.file("hq.csv"));
  const auto html = bench::hq_report_html(bench::analyze_hq(data, {100, 42, 1}));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("Hume Face*"), std::string::npos);
}

TEST(BenchHq, LoaderAppliesTheNotebookPreprocessing) {
  test::TempDir dir;
  write(dir.file("hq.csv"), tiny_hq());
  const auto d = bench::load_hq(dir.file("hq.csv"));
  ASSERT_EQ(d.emotion_names, (std::vector<std::string>{"Anger", "Elation"}));
  ASSERT_EQ(d.images, (std::vector<std::string>{"a.jpg", "b.jpg"}));
  ASSERT_EQ(d.annotators.size(), 3u);
  EXPECT_EQ(d.annotators[2].name, "Hume Face*");
  EXPECT_FALSE(d.annotators[2].human);
  EXPECT_EQ(d.duplicate_rows, 1u);
  // Missing key -> 0; Hume x 7; duplicates averaged after scaling.
  EXPECT_EQ(d.series(1, 1)[0], 0.0);
  EXPECT_EQ(d.series(0, 2)[0], 3.5);
  EXPECT_EQ(d.series(0, 2)[1], (0.125 * 7 + 0.375 * 7) / 2);
  EXPECT_EQ(d.series(1, 2)[1], (7.0 + 3.5) / 2);
}

struct BadCase {
  const char* name;
  std::string text;
  const char* message;  // expected in the error
};

TEST(BenchHq, BadInputNamesFileAndLine) {
  const std::string row2 = "a.jpg,human-1,True,\"{'Negative High-Energy Emotions|Anger': 3}\"\n";
  const std::vector<BadCase> cases = {
      {"fields", std::string(kHeader) + row2 + "b.jpg,human-2,True\n", ":3:"},
      {"emotion",
       std::string(kHeader) + row2 +
           "b.jpg,human-2,True,\"{'Negative High-Energy Emotions|Angr': 3}\"\n",
       "Anger"},
      {"nan",
       std::string(kHeader) + row2 +
           "b.jpg,human-2,True,\"{'Negative High-Energy Emotions|Anger': nan}\"\n",
       "not a finite number"},
      {"inf",
       std::string(kHeader) + row2 +
           "b.jpg,human-2,True,\"{'Negative High-Energy Emotions|Anger': -inf}\"\n",
       "not a finite number"},
      {"dict", std::string(kHeader) + row2 + "b.jpg,human-2,True,\"{'x': [1]}\"\n", "annotations"},
      {"human",
       std::string(kHeader) + row2 +
           "b.jpg,human-2,yes,\"{'Negative High-Energy Emotions|Anger': 3}\"\n",
       "True or False"},
      {"both",
       std::string(kHeader) + row2 +
           "b.jpg,human-1,False,\"{'Negative High-Energy Emotions|Anger': 3}\"\n",
       "both human and model"},
      {"column", "image,annotator,human\na.jpg,human-1,True\n", "annotations"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    test::TempDir dir;
    write(dir.file("hq.csv"), c.text);
    const auto r = test::run_cli("bench hq " + quoted(dir.file("hq.csv")));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(dir.file("hq.csv")), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    if (std::string(c.name) != "column") {
      EXPECT_NE(r.err.find("hq.csv:3"), std::string::npos) << r.err;
    }
  }
}

TEST(BenchHq, PredictionsMissingImagesAreAnErrorUnlessAllowed) {
  const std::string args = "bench hq " + quoted(kSmall + "/hq.csv") + " --bootstrap 20 " +
                           "--predictions " + quoted(kSmall + "/predictions_missing.jsonl") +
                           " --name 'Mine ZS'";
  const auto bad = test::run_cli(args);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("3 of 300 HQ images have no prediction"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("predictions_missing.jsonl"), std::string::npos) << bad.err;
  const auto ok = test::run_cli(args + " --allow-missing");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("Mine ZS"), std::string::npos);
}

TEST(BenchHq, BadPredictionsNameFileAndLine) {
  test::TempDir dir;
  write(dir.file("hq.csv"), tiny_hq());
  write(dir.file("p.jsonl"), "{\"image_path\": \"x/a.jpg\", \"results\": {}}\n");
  auto r = test::run_cli("bench hq " + quoted(dir.file("hq.csv")) + " --predictions " +
                         quoted(dir.file("p.jsonl")) + " --name M");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("p.jsonl:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("model_anger_best"), std::string::npos) << r.err;

  write(dir.file("p.jsonl"), "{\"image_path\": \"x/not-hq.jpg\", \"results\": {}}\n{oops\n");
  r = test::run_cli("bench hq " + quoted(dir.file("hq.csv")) + " --predictions " +
                    quoted(dir.file("p.jsonl")) + " --name M");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("p.jsonl:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid JSON"), std::string::npos) << r.err;

  r = test::run_cli("bench hq " + quoted(dir.file("hq.csv")) + " --predictions " +
                    quoted(dir.file("p.jsonl")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--name"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace emonet
