// The taxonomy against the authors' own files: guide.json order and groups, the 40
// emotion names of binary.csv and the 44 head keys of ferd.jsonl.
#include "emonet/taxonomy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

TEST(Taxonomy, SizesAndOrder) {
  EXPECT_EQ(categories().size(), 44u);
  EXPECT_EQ(emotions().size(), 40u);
  EXPECT_EQ(extra_dimensions().size(), 4u);
  EXPECT_EQ(groups().size(), 7u);
  for (std::size_t i = 0; i < categories().size(); ++i) EXPECT_EQ(categories()[i].index, i);
  EXPECT_EQ(emotions().front().name, "Amusement");
  EXPECT_EQ(emotions().back().name, "Jealousy & Envy");
}

TEST(Taxonomy, KeysFollowTheAuthorsRules) {
  for (const auto& c : categories()) {
    EXPECT_EQ(c.hq_key, std::string(c.group) + "|" + std::string(c.name));
    // head key = "model_" + lower(name) with '/' and ' ' -> '_' + "_best" (& kept).
    std::string stem;
    for (char ch : c.name) {
      if (ch == '/' || ch == ' ')
        stem += '_';
      else
        stem += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    EXPECT_EQ(c.head_key, "model_" + stem + "_best") << c.name;
  }
  EXPECT_EQ(lookup("Jealousy & Envy").head_key, "model_jealousy_&_envy_best");
}

TEST(Taxonomy, MatchesGuideJsonOrderAndGroups) {
  REQUIRE_REFERENCE(path, "guide.json");
  auto j = nlohmann::ordered_json::parse(read_file(path));
  std::vector<std::string> labels;
  for (const auto& [name, syn] : j["options"]["labels"].items()) labels.push_back(name);
  ASSERT_EQ(labels.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(emotions()[i].name, labels[i]);

  std::vector<std::string> group_names;
  for (const auto& [group, members] : j["options"]["buttons"].items()) {
    group_names.push_back(group);
    auto ours = group_members(group);
    ASSERT_EQ(ours.size(), members.size()) << group;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      EXPECT_EQ(ours[i]->name, members[i].get<std::string>());
      EXPECT_EQ(ours[i]->group, group);
    }
  }
  ASSERT_EQ(group_names.size(), 7u);
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(groups()[i], group_names[i]);
}

TEST(Taxonomy, LoadGuideReadsSynonymsForEveryEmotion) {
  REQUIRE_REFERENCE(path, "guide.json");
  Guide g = load_guide(path);
  EXPECT_EQ(g.synonyms.size(), 40u);
  std::size_t total = 0;
  for (const auto& [idx, syn] : g.synonyms) total += syn.size();
  EXPECT_EQ(total, 250u);  // spec §1.3
  EXPECT_EQ(g.synonyms.at(lookup("Amusement").index).size(), 9u);
  EXPECT_EQ(g.buttons.size(), 7u);
}

TEST(Taxonomy, AllFortyBinaryCsvNamesResolve) {
  REQUIRE_REFERENCE(path, "binary.csv");
  CsvReader r = CsvReader::open(path);
  r.read_header();
  const std::size_t col = r.column("emotion");
  std::set<std::string> names;
  CsvRecord rec;
  while (r.next(rec)) names.insert(rec[col]);
  ASSERT_EQ(names.size(), 40u);
  std::set<std::size_t> indices;
  for (const auto& n : names) {
    const Category& c = lookup(n);
    EXPECT_FALSE(c.is_extra());
    indices.insert(c.index);
  }
  EXPECT_EQ(indices.size(), 40u);  // Hopelessness is Helplessness, the rest are exact
  EXPECT_EQ(lookup("Hopelessness").name, "Helplessness");
}

TEST(Taxonomy, AllFortyFourFerdHeadKeysResolve) {
  REQUIRE_REFERENCE(path, "ferd.jsonl");
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  std::set<std::size_t> indices;
  for (const auto& [key, v] : j["results"].items()) {
    const Category& c = lookup(key);
    EXPECT_EQ(c.head_key, key);
    EXPECT_EQ(c.is_extra(), v["softmax"].is_null()) << key;
    indices.insert(c.index);
  }
  EXPECT_EQ(indices.size(), 44u);
}

TEST(Taxonomy, LookupAcceptsEveryNameFormExactly) {
  const Category& c = lookup("Negative Low-Energy Emotions|Jealousy & Envy");
  EXPECT_EQ(&lookup("Jealousy & Envy"), &c);
  EXPECT_EQ(&lookup("model_jealousy_&_envy_best"), &c);
  EXPECT_EQ(&lookup("jealousy_&_envy"), &c);
  EXPECT_EQ(lookup("Extra Dimensions|Valence").name, "Valence");
  EXPECT_EQ(find_category("ANGER"), nullptr);  // exact: case matters
  EXPECT_EQ(find_category(" Anger"), nullptr);
}

TEST(Taxonomy, UnknownNameListsClosestValidNames) {
  try {
    lookup("Hapiness");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown emotion 'Hapiness'"), std::string::npos);
    EXPECT_NE(msg.find("closest valid names"), std::string::npos);
  }
  try {
    lookup("Contentmnt");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("closest valid names: Contentment"), std::string::npos) << msg;
  }
}

TEST(Taxonomy, GuideWithUnknownEmotionIsRefusedWithTheKey) {
  test::TempDir dir;
  const std::string p = dir.file("guide.json");
  std::ofstream(p) << R"({"options": {"labels": {"Amusement": ["fun"], "Joyy": ["x"]}}})";
  try {
    load_guide(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.context().file, p);
    EXPECT_EQ(e.context().field, "options.labels.Joyy");
  }
  std::ofstream(p) << R"({"options": {"labels": {}, "buttons": {"Longing & Lust": ["Anger"]}}})";
  EXPECT_THROW(load_guide(p), Error);
}

TEST(TaxonomyCli, JsonListsFortyFourEntriesWithAllFields) {
  auto r = test::run_cli("taxonomy --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 44u);
  for (const auto& e : j) {
    for (const char* f : {"name", "group", "hq_key", "head_key", "aliases", "description"})
      EXPECT_TRUE(e.contains(f)) << f;
  }
  EXPECT_EQ(j[35]["aliases"][0], "Hopelessness");
}

TEST(TaxonomyCli, GuideAddsSynonymsAndBadGuideFails) {
  REQUIRE_REFERENCE(path, "guide.json");
  auto r = test::run_cli("taxonomy --format csv --guide '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lighthearted fun"), std::string::npos);
  auto bad = test::run_cli("taxonomy --guide /etc/hostname");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("/etc/hostname"), std::string::npos);
}

}  // namespace
}  // namespace emonet
