// `emonet bench binary` on the authors' binary.csv: every count against an independent
// derivation with Python's csv module (tests/fixtures/binary_reference.py), a few rows
// against the numbers printed in the spec (§4, §5.2), and bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "emonet/bench_binary.h"
#include "emonet/error.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

nlohmann::json expected() {
  std::ifstream in(std::string(BENCH_FIXTURE_DIR) + "/binary_expected.json");
  return nlohmann::json::parse(in);
}

TEST(BenchBinary, EqualsIndependentDerivationOnAuthorsFile) {
  REQUIRE_REFERENCE(path, "binary.csv");
  const auto r = bench::analyze_binary(path);
  const auto want = expected();
  EXPECT_EQ(r.rows, want["rows"].get<long>());
  EXPECT_EQ(r.images, want["images"].get<long>());
  EXPECT_EQ(r.pairs, want["pairs"].get<long>());
  EXPECT_EQ(r.multi_vote_pairs, want["multi_vote_pairs"].get<long>());
  ASSERT_EQ(r.table.size(), want["per_emotion"].size());
  for (std::size_t i = 0; i < r.table.size(); ++i) {
    const auto& w = want["per_emotion"][i];
    const auto& row = r.table[i];
    SCOPED_TRACE(row.emotion);
    EXPECT_EQ(row.emotion, w["emotion"].get<std::string>());
    EXPECT_EQ(row.pairs, w["n"].get<long>());
    EXPECT_EQ(row.agree, w["agree"].get<long>());
    EXPECT_EQ(row.partial, w["partial"].get<long>());
    EXPECT_EQ(row.disagree, w["disagree"].get<long>());
    EXPECT_EQ(row.other, w["other"].get<long>());
    EXPECT_EQ(row.two_votes, w["two_votes"].get<long>());
    EXPECT_EQ(row.three_votes, w["three_votes"].get<long>());
  }
  ASSERT_EQ(r.outcomes.size(), want["outcomes"].size());
  for (std::size_t i = 0; i < r.outcomes.size(); ++i) {
    EXPECT_EQ(r.outcomes[i].votes, want["outcomes"][i]["votes"].get<int>());
    EXPECT_EQ(r.outcomes[i].yes, want["outcomes"][i]["yes"].get<int>());
    EXPECT_EQ(r.outcomes[i].pairs, want["outcomes"][i]["pairs"].get<long>());
  }
}

TEST(BenchBinary, MarkdownEqualsTheSpecsPrintedRows) {
  REQUIRE_REFERENCE(path, "binary.csv");
  const auto r = test::run_cli("bench binary '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Spec §5.2 (first, middle and last rows, incl. the binary.csv spelling Hopelessness).
  for (const char* row :
       {"| Elation | 456 | 0.9868 | 0.0066 | 0.0066 | 1% | 99% |",
        "| Hopelessness | 359 | 0.3426 | 0.2061 | 0.4513 | 45% | 55% |",
        "| Anger | 107 | 0.1495 | 0.1402 | 0.7103 | 71% | 29% |",
        "| Sexual Lust | 94 | 0.0106 | 0.1170 | 0.8723 | 87% | 13% |",
        "Total groups with more than 1 vote: 14670",
        // Spec §4 outcome table.
        "| 1 vote, No | 22291 |", "| 1 vote, Yes | 3037 |", "| 2 votes, 1\u20131 | 3652 |",
        "| 3 votes, 2 Yes 1 No | 1943 |", "| 3 votes, 3 Yes | 9075 |"})
    EXPECT_NE(r.out.find(row), std::string::npos) << row;
  EXPECT_NE(r.out.find("65686 rows, 19999 images, 39998"), std::string::npos);
  EXPECT_LT(r.out.find("| Elation |"), r.out.find("| Contentment |"));
  EXPECT_LT(r.out.find("| Pain |"), r.out.find("| Sexual Lust |"));
}

TEST(BenchBinary, JsonAndCsvFormats) {
  REQUIRE_REFERENCE(path, "binary.csv");
  const auto j = test::run_cli("bench binary '" + path + "' --format json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["multi_vote_pairs"], 14670);
  EXPECT_EQ(doc["per_emotion"][0]["emotion"], "Elation");
  const auto c = test::run_cli("bench binary '" + path + "' --format csv");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out.rfind("emotion,n,agree,partial,disagree", 0), 0u);
  EXPECT_NE(c.out.find("Elation,456,450,3,3,0,3,453,0.9868"), std::string::npos);
}

TEST(BenchBinary, BadInputNamesFileAndLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"path,annotator,value,emotion\n1,human-1,True,Anger\n2,human-1,Maybe,Anger\n",
       ":3: field 'value'"},
      {"path,annotator,value,emotion\n1,human-1,True,Angr\n", "Anger"},
      {"path,annotator,value,emotion\n1,human-1,True,Valence\n", "not one of the 40 emotions"},
      {"path,annotator,value,emotion\n1,human-1,True\n", ":2:"},
      {"path,annotator,emotion\n1,human-1,Anger\n", "value"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    test::TempDir dir;
    std::ofstream(dir.file("b.csv")) << c.text;
    const auto r = test::run_cli("bench binary '" + dir.file("b.csv") + "'");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(dir.file("b.csv")), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace emonet
