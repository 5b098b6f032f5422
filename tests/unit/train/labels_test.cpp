// Label readers of `emonet train heads`: every supported file, the authors' binary.csv,
// and malformed input rejected with the file, line and field named.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/taxonomy.h"
#include "emonet/train.h"
#include "support/test_paths.h"

namespace emonet::train {
namespace {

std::size_t idx(const char* name) {
  return lookup(name).index;
}

float target(const LabelSet& s, const std::string& id, const char* name) {
  for (std::size_t i = 0; i < s.ids.size(); ++i)
    if (s.ids[i] == id) return s.targets[i * kHeads + idx(name)];
  ADD_FAILURE() << "no image " << id;
  return 0;
}

std::string write(const test::TempDir& t, const std::string& name, const std::string& text) {
  write_file_atomic(t.file(name), text);
  return t.file(name);
}

// The message of the Error read_labels throws, or "" when it does not throw.
std::string error_of(const std::string& path) {
  try {
    read_labels(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Labels, MultiShotJsonlWithRatingsObjectsAndVlmRecords) {
  test::TempDir t;
  const auto p = write(
      t, "big.jsonl",
      R"({"image_path": "a.png", "emotions": {"Amusement": 3, "Elation": {"rating": 5, "reasoning": "smile"}}, "extra_dimensions": {"Valence": -2, "Arousal": 4}}
{"file_name": "b.png", "annotations": {"Negative High-Energy Emotions|Anger": 6}}
{"image_path": "c.png", "status": "parse_failed"}
)");
  const auto s = read_labels(p);
  EXPECT_EQ(s.format, "jsonl");
  ASSERT_EQ(s.ids.size(), 2u);
  EXPECT_EQ(target(s, "a.png", "Amusement"), 3.0f);
  EXPECT_EQ(target(s, "a.png", "Elation"), 5.0f);
  EXPECT_EQ(target(s, "a.png", "Valence"), -2.0f);
  EXPECT_TRUE(std::isnan(target(s, "a.png", "Anger")));
  EXPECT_EQ(target(s, "b.png", "Anger"), 6.0f);
  EXPECT_EQ(s.labelled(idx("Anger")), 1u);
}

TEST(Labels, MetadataScoreColumnsAndAnnotations) {
  test::TempDir t;
  const auto p = write(t, "metadata.csv",
                       "file_name,prompt,Amusement,model_anger_best,annotations\n"
                       "x/1.png,hi,2.5,,\n"
                       "x/2.png,,0,7,\"{'Positive Low-Energy Emotions|Contentment': 4}\"\n");
  const auto s = read_labels(p);
  EXPECT_EQ(s.format, "metadata.csv");
  EXPECT_EQ(target(s, "x/1.png", "Amusement"), 2.5f);
  EXPECT_TRUE(std::isnan(target(s, "x/1.png", "Anger")));
  EXPECT_EQ(target(s, "x/2.png", "Anger"), 7.0f);
  EXPECT_EQ(target(s, "x/2.png", "Contentment"), 4.0f);
}

TEST(Labels, BinaryYesShareOnTheAuthorsFile) {
  REQUIRE_REFERENCE(path, "binary.csv");
  const auto s = read_labels(path);
  EXPECT_EQ(s.format, "binary.csv");
  EXPECT_EQ(s.ids.size(), 19999u);  // spec §5.2: 19,999 images
  // Independently: count True rows and votes per (path, emotion) with a plain scan.
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> votes;
  while (std::getline(in, line)) {
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    auto& [y, n] = votes[{line.substr(0, c1), line.substr(c3 + 1)}];
    y += line.substr(c2 + 1, c3 - c2 - 1) == "True";
    ++n;
  }
  std::size_t pairs = 0;
  for (const auto& [key, yn] : votes) {
    const float got = target(s, key.first, key.second.c_str());
    ASSERT_FLOAT_EQ(got, float(yn.first) / float(yn.second)) << key.first << " " << key.second;
    ++pairs;
    if (pairs > 300) break;  // the join above is quadratic; a few hundred pairs suffice
  }
  std::size_t labelled = 0;
  for (std::size_t h = 0; h < kHeads; ++h) labelled += s.labelled(h);
  EXPECT_EQ(labelled, votes.size());
}

TEST(Labels, HqMeansOfHumansOnly) {
  test::TempDir t;
  const auto p = write(t, "hq.csv",
                       "image,annotator,annotations,human\n"
                       "i1.png,human-1,\"{'Positive High-Energy Emotions|Amusement': 2}\",True\n"
                       "i1.png,human-2,\"{'Positive High-Energy Emotions|Amusement': 5}\",True\n"
                       "i1.png,gpt,\"{'Positive High-Energy Emotions|Amusement': 7}\",False\n");
  const auto s = read_labels(p);
  EXPECT_EQ(s.format, "hq.csv");
  EXPECT_FLOAT_EQ(target(s, "i1.png", "Amusement"), 3.5f);
}

TEST(Labels, MalformedInputNamesFileLineAndField) {
  test::TempDir t;
  auto e = error_of(write(t, "a.jsonl",
                          "{\"image_path\": \"a\", \"emotions\": {\"Amusement\": 1}}\n"
                          "{\"image_path\": \"b\", \"emotions\": {\"Amusment\": 1}}\n"));
  EXPECT_NE(e.find("a.jsonl:2"), std::string::npos) << e;
  EXPECT_NE(e.find("emotions.Amusment"), std::string::npos) << e;
  e = error_of(
      write(t, "b.jsonl", "{\"image_path\": \"a\", \"emotions\": {\"Anger\": \"high\"}}\n"));
  EXPECT_NE(e.find("b.jsonl:1"), std::string::npos) << e;
  EXPECT_NE(e.find("emotions.Anger"), std::string::npos) << e;
  e = error_of(write(t, "c.jsonl",
                     "{\"image_path\": \"a\", \"emotions\": {\"Anger\": 1}}\n"
                     "{\"image_path\": \"a\", \"emotions\": {\"Anger\": 2}}\n"));
  EXPECT_NE(e.find("c.jsonl:2"), std::string::npos) << e;
  EXPECT_NE(e.find("twice"), std::string::npos) << e;
  e = error_of(write(t, "d.jsonl", "not json\n"));
  EXPECT_NE(e.find("d.jsonl:1"), std::string::npos) << e;
  e = error_of(write(t, "metadata.csv", "file_name,Anger\nx.png,1\ny.png,lots\n"));
  EXPECT_NE(e.find("metadata.csv:3"), std::string::npos) << e;
  EXPECT_NE(e.find("Anger"), std::string::npos) << e;
  e = error_of(
      write(t, "binary.csv", "path,annotator,value,emotion\n1,h,True,Anger\n2,h,maybe,Anger\n"));
  EXPECT_NE(e.find("binary.csv:3"), std::string::npos) << e;
  EXPECT_NE(e.find("value"), std::string::npos) << e;
  e = error_of(write(t, "b2.csv", "path,annotator,value,emotion\n1,h,True,Angst\n"));
  EXPECT_NE(e.find("b2.csv:2"), std::string::npos) << e;
  EXPECT_NE(e.find("emotion"), std::string::npos) << e;
  e = error_of(write(t, "other.csv", "a,b\n1,2\n"));
  EXPECT_NE(e.find("other.csv"), std::string::npos) << e;
}

}  // namespace
}  // namespace emonet::train
