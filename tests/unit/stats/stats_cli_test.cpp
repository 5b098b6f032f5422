// `emonet stats kappa|alpha` end to end: values and bootstrap CIs equal to what sklearn /
// the NumPy reference compute with default_rng(42), exit codes, and error messages that
// name the file, line and column.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/stats/rating_files.h"
#include "stats_fixtures.h"
#include "support/test_paths.h"

namespace emonet::stats {
namespace {

using emonet::test::run_cli;
using test::fixture_path;

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

TEST(StatsCli, KappaJsonMatchesSklearnIncludingBootstrapCi) {
  const auto expected = test::load_fixture("cli.json");
  const auto r = run_cli("stats kappa " + quoted(fixture_path("kappa_pairs.csv")) +
                         " --columns alice,bob --weights quadratic --labels 0..7"
                         " --bootstrap 200 --seed 42 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(test::same_double(j["value"], expected["kappa_quadratic_0_7"]));
  EXPECT_EQ(j["skipped_rows"], expected["kappa_skipped"]);
  EXPECT_EQ(j["items"], 146);
  EXPECT_TRUE(test::same_double(j["bootstrap"]["ci_low"], expected["kappa_ci"][0]));
  EXPECT_TRUE(test::same_double(j["bootstrap"]["ci_high"], expected["kappa_ci"][1]));
}

TEST(StatsCli, KappaDefaultsToFirstTwoColumnsAndNoWeights) {
  // The first two columns are item,alice: item names are not numbers.
  const auto r = run_cli("stats kappa " + quoted(fixture_path("kappa_pairs.csv")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("kappa_pairs.csv:2: field 'item': not a number: 'img0' (column 1)"),
            std::string::npos)
      << r.err;
  const auto ok = run_cli("stats kappa " + quoted(fixture_path("kappa_pairs.csv")) +
                          " --columns alice,bob --format json");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(test::same_double(nlohmann::json::parse(ok.out)["value"],
                                test::load_fixture("cli.json")["kappa_none"]));
}

TEST(StatsCli, AlphaOrdinalWithBootstrapMatchesReference) {
  const auto expected = test::load_fixture("cli.json");
  const auto r = run_cli("stats alpha " + quoted(fixture_path("alpha_k2011.csv")) +
                         " --level ordinal --bootstrap 300 --seed 42 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(test::near_double(j["value"], expected["alpha_ordinal"], 1e-14));
  EXPECT_EQ(j["raters"], 4);
  EXPECT_EQ(j["rater_names"][3], "D");
  EXPECT_TRUE(test::near_double(j["bootstrap"]["ci_low"], expected["alpha_ordinal_ci"][0], 1e-13));
  EXPECT_TRUE(test::near_double(j["bootstrap"]["ci_high"], expected["alpha_ordinal_ci"][1], 1e-13));
}

TEST(StatsCli, AlphaTextOutputNamesTheCoefficient) {
  const auto r =
      run_cli("stats alpha " + quoted(fixture_path("alpha_k2011.csv")) + " --level ratio");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Krippendorff's alpha, ratio level"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("alpha: 0.79"), std::string::npos) << r.out;
}

struct BadInput {
  const char* args;
  const char* message;
};

TEST(StatsCli, BadInputExitsNonZeroNamingFileLineAndColumn) {
  const BadInput cases[] = {
      {"alpha alpha_bad_cell.csv",
       "alpha_bad_cell.csv:3: field 'u2': not a number: 'x' (column 3)"},
      {"alpha alpha_ragged.csv", "alpha_ragged.csv:3: expected 4 fields, found 3"},
      {"alpha alpha_one_rater.csv", "alpha needs at least 2 raters (rows), found 1"},
      {"kappa kappa_fraction.csv",
       "kappa_fraction.csv:4: field 'b': kappa needs integer categories"},
      {"kappa kappa_pairs.csv --columns alice,carol", "missing column 'carol'"},
      {"kappa kappa_pairs.csv --columns alice,bob --labels 9..12",
       "at least one label specified must be in the first rater"},
      {"kappa kappa_pairs.csv --columns alice,bob --labels seven", "--labels"},
  };
  for (const auto& c : cases) {
    std::string args = c.args;
    const auto space = args.find(' ', args.find(' ') + 1);
    const std::string file = args.substr(args.find(' ') + 1, space - args.find(' ') - 1);
    const std::string cmd = "stats " + args.substr(0, args.find(' ')) + " " +
                            quoted(fixture_path(file)) +
                            (space == std::string::npos ? "" : args.substr(space));
    const auto r = run_cli(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << cmd << "\n" << r.err;
    EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
  }
}

TEST(StatsCli, MissingFileAndUnknownLevelAreUsageErrors) {
  EXPECT_NE(run_cli("stats alpha /nonexistent/table.csv").exit_code, 0);
  EXPECT_NE(run_cli("stats alpha " + quoted(fixture_path("alpha_k2011.csv")) + " --level cardinal")
                .exit_code,
            0);
}

TEST(RatingFiles, HeaderDecidesWhetherTheFirstColumnNamesRaters) {
  emonet::test::TempDir dir;
  { std::ofstream(dir.file("plain.csv")) << "u1,u2,u3\n1,2,\n1,NA,3\n"; }
  const auto plain = read_reliability_table(dir.file("plain.csv"));
  EXPECT_EQ(plain.units.size(), 3u);
  EXPECT_EQ(plain.raters[0], "line 2");
  EXPECT_TRUE(std::isnan(plain.data(0, 2)));
  EXPECT_TRUE(std::isnan(plain.data(1, 1)));
  { std::ofstream(dir.file("named.csv")) << ",u1,u2\nann,1,2\nbob,2,2\n"; }
  const auto named = read_reliability_table(dir.file("named.csv"));
  EXPECT_EQ(named.units, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(named.raters, (std::vector<std::string>{"ann", "bob"}));
  { std::ofstream(dir.file("inf.csv")) << "rater,u1\na,inf\nb,1\n"; }
  EXPECT_THROW(read_reliability_table(dir.file("inf.csv")), Error);
}

TEST(RatingFiles, LabelLists) {
  EXPECT_EQ(parse_label_list("0..3"), (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(parse_label_list("2,0,1"), (std::vector<std::int64_t>{2, 0, 1}));
  EXPECT_THROW(parse_label_list("3..1"), Error);
  EXPECT_THROW(parse_label_list("a,b"), Error);
}

}  // namespace
}  // namespace emonet::stats
