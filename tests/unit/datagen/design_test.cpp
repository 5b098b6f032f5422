// `emonet data design`: exact quotas and margins, determinism under a seed, template and
// axes errors naming the field, and a manifest that `annotate create-project` accepts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "emonet/csv.h"
#include "emonet/data_design.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "support/test_paths.h"

namespace emonet::test {
namespace {

namespace fs = std::filesystem;

std::string cell(const DesignRow& r) {
  return r.ethnicity + "|" + r.age + "|" + r.gender + "|" + r.emotion;
}

TEST(DataDesign, PerCellFillsEveryCellExactly) {
  DesignOptions o;
  o.per_cell = 2;
  o.seed = 3;
  const auto rows = make_design(o);
  ASSERT_EQ(rows.size(), 14u * 7 * 3 * 40 * 2);
  std::map<std::string, int> counts;
  std::set<std::string> ids;
  for (const auto& r : rows) {
    ++counts[cell(r)];
    ids.insert(r.id);
    EXPECT_EQ(r.file_name, "images/" + r.id + ".png");
  }
  EXPECT_EQ(counts.size(), 14u * 7 * 3 * 40);
  for (const auto& [k, n] : counts) EXPECT_EQ(n, 2) << k;
  EXPECT_EQ(ids.size(), rows.size());
  EXPECT_EQ(rows.front().id, "000000");
  // Two replicates of one cell get different seeds.
  EXPECT_EQ(cell(rows[0]), cell(rows[1]));
  EXPECT_NE(rows[0].seed, rows[1].seed);
}

// With --total, every axis' margins differ by at most one and cells by at most one.
void expect_balanced(const DesignOptions& o) {
  const auto rows = make_design(o);
  ASSERT_EQ(rows.size(), o.total);
  std::array<std::map<std::string, std::size_t>, 4> margins;
  std::map<std::string, std::size_t> cells;
  for (const auto& r : rows) {
    ++margins[0][r.ethnicity];
    ++margins[1][r.age];
    ++margins[2][r.gender];
    ++margins[3][r.emotion];
    ++cells[cell(r)];
  }
  const std::array<std::size_t, 4> sizes = {o.axes.ethnicities.size(), o.axes.ages.size(),
                                            o.axes.genders.size(),
                                            o.emotions.empty() ? 40 : o.emotions.size()};
  const std::size_t grid = sizes[0] * sizes[1] * sizes[2] * sizes[3];
  for (std::size_t i = 0; i < 4; ++i) {
    const std::size_t lo = o.total / sizes[i];
    for (const auto& [k, n] : margins[i]) {
      EXPECT_TRUE(n == lo || n == lo + 1) << "total " << o.total << " axis " << i << " " << k;
    }
    if (o.total >= sizes[i]) {
      EXPECT_EQ(margins[i].size(), sizes[i]);
    }
  }
  for (const auto& [k, n] : cells) {
    EXPECT_TRUE(n == o.total / grid || n == o.total / grid + 1) << k;
  }
}

TEST(DataDesign, TotalGivesExactMargins) {
  for (std::size_t total : {1u, 7u, 100u, 1000u, 5003u, 11759u, 11760u, 20000u}) {
    DesignOptions o;
    o.total = total;
    o.seed = 11;
    expect_balanced(o);
  }
  // Axes whose sizes share factors with each other and with the emotion count.
  DesignOptions o;
  o.axes = {{"a", "b", "c", "d", "e", "f"}, {"20", "40", "60", "80"}, {"man", "woman"}};
  o.emotions = parse_emotion_list("Amusement,Anger,Fear,Pride,Shame,Doubt");
  for (std::size_t total : {5u, 50u, 143u, 287u, 500u}) {
    o.total = total;
    expect_balanced(o);
  }
}

TEST(DataDesign, SameSeedSameDesignOtherSeedOtherSeeds) {
  DesignOptions o;
  o.total = 777;
  o.seed = 5;
  const auto a = make_design(o), b = make_design(o);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(cell(a[i]), cell(b[i]));
    EXPECT_EQ(a[i].seed, b[i].seed);
  }
  o.seed = 6;
  const auto c = make_design(o);
  std::multiset<std::string> ca, cc;
  for (const auto& r : a) ca.insert(cell(r));
  for (const auto& r : c) cc.insert(cell(r));
  EXPECT_NE(ca, cc);  // the extra rows land in other cells
  // A cell's row seed depends only on the master seed, the cell and the replicate.
  DesignOptions p;
  p.per_cell = 1;
  p.seed = 5;
  p.emotions = parse_emotion_list("Anger");
  DesignOptions q = p;
  q.emotions = parse_emotion_list("Anger,Fear");
  const auto rp = make_design(p), rq = make_design(q);
  EXPECT_EQ(rp[0].seed, rq[0].seed);
  EXPECT_EQ(cell(rp[0]), cell(rq[0]));
}

TEST(DataDesign, PromptFromTheBinaryTemplateAndGuideSynonyms) {
  EXPECT_EQ(read_file(source_path("templates/binary-v1.txt")), binary_prompt_template() + "\n");
  REQUIRE_REFERENCE(guide_path, "guide.json");
  const Guide guide = load_guide(guide_path);
  DesignOptions o;
  o.per_cell = 1;
  o.emotions = parse_emotion_list("Amusement");
  o.guide = &guide;
  const auto rows = make_design(o);
  const std::string syn =
      "lighthearted fun, amusement, mirth, joviality, laughter, playfulness, silliness, "
      "jesting, delight";
  EXPECT_EQ(rows[0].prompt,
            "a focused close-up photo of a American Indian or Alaska Native man of 20 years with "
            "soft smooth skin who seems to genuinely experience " +
                syn + ". Strong facial expression of " + syn + ". No wrinkles");
  o.guide = nullptr;
  o.template_text = "{{x}} {emotion}/{synonyms} {age}\n";
  EXPECT_EQ(make_design(o)[0].prompt, "{x} Amusement/amusement 20");
}

TEST(DataDesign, TemplateAndAxesErrorsNameTheField) {
  try {
    PromptTemplate("line one\nhello {ethnicty}", "my.txt");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().field, "ethnicty");
    EXPECT_EQ(e.context().line, 2);
    EXPECT_NE(std::string(e.what()).find("my.txt:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PromptTemplate("open {age", "t"), Error);
  EXPECT_THROW(PromptTemplate("close }", "t"), Error);
  EXPECT_THROW(parse_emotion_list("Amusement,Valence"), Error);
  EXPECT_THROW(parse_emotion_list("Anger,anger"), Error);
  TempDir tmp;
  std::ofstream(tmp.file("a.json")) << R"({"ethnicity": ["x"], "age": [], "gender": ["y"]})";
  try {
    load_axes(tmp.file("a.json"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().field, "age");
  }
  std::ofstream(tmp.file("b.json")) << R"({"ethnicity": ["x"], "age": [20, 30], "gender": ["y"]})";
  EXPECT_EQ(load_axes(tmp.file("b.json")).ages, (std::vector<std::string>{"20", "30"}));
  DesignOptions o;
  EXPECT_THROW(make_design(o), Error);  // neither per-cell nor total
}

TEST(DataDesignCli, ManifestIsAcceptedByAnnotateCreateProject) {
  TempDir tmp;
  std::ofstream(tmp.file("axes.json"))
      << R"({"ethnicity": ["Asian", "Indian"], "age": [20, 80], "gender": ["woman"]})";
  auto r = run_cli("--quiet data design --per-cell 1 --emotions Anger,Fear --seed 9 --axes '" +
                   tmp.file("axes.json") + "' -o '" + tmp.file("design.csv") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CsvReader reader = CsvReader::open(tmp.file("design.csv"));
  EXPECT_EQ(reader.read_header(),
            (std::vector<std::string>{"id", "file_name", "prompt", "ethnicity", "age", "gender",
                                      "emotion", "seed"}));
  CsvRecord rec;
  std::size_t n = 0;
  fs::create_directories(tmp.path() / "images");
  while (reader.next(rec)) {
    ++n;
    // The images a generator would write (annotate checks that they exist).
    std::ofstream(tmp.file(rec[1]), std::ios::binary) << "\x89PNG";
  }
  EXPECT_EQ(n, 8u);
  auto p = run_cli("--quiet annotate create-project d --db '" + tmp.file("a.sqlite") +
                   "' --protocol binary --manifest '" + tmp.file("design.csv") + "' --format json");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(nlohmann::json::parse(p.out)["items"], 8);

  auto bad = run_cli("data design --per-cell 1 --emotions Angr -o '" + tmp.file("x.csv") + "'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("Anger"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(tmp.file("x.csv")));
}

}  // namespace
}  // namespace emonet::test
