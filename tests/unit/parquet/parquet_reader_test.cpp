// The Parquet reader against files written by DuckDB and hyparquet-writer (generate.mjs):
// every row of every row group equals what the generator wrote; truncated and corrupted
// copies raise emonet::Error naming the offset, never crash.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/parquet.h"

namespace fs = std::filesystem;
using emonet::parquet::ParquetFile;

namespace {

const fs::path kDir = EMONET_PARQUET_FIXTURES;

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kDir))
    if (e.path().extension() == ".parquet") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Reads every row of a file as parsed JSON values.
std::vector<nlohmann::json> all_rows(const ParquetFile& f) {
  std::vector<nlohmann::json> out;
  for (std::size_t g = 0; g < f.metadata().row_groups.size(); ++g)
    for (const auto& row : f.read_rows(g))
      out.push_back(nlohmann::json::parse(emonet::parquet::to_json(row)));
  return out;
}

TEST(ParquetReader, EveryFixtureMatchesItsWriterValueForValue) {
  const auto names = fixture_names();
  ASSERT_GE(names.size(), 10u);
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    ParquetFile f((kDir / (name + ".parquet")).string());
    std::ifstream in(kDir / (name + ".json"));
    const auto expected = nlohmann::json::parse(in);
    ASSERT_EQ(f.metadata().num_rows, static_cast<std::int64_t>(expected.size()));
    const auto rows = all_rows(f);
    ASSERT_EQ(rows.size(), expected.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      ASSERT_EQ(rows[r], expected[r]) << "row " << r;
    }
  }
}

TEST(ParquetReader, CoversCodecsEncodingsPagesAndRowGroups) {
  std::set<std::string> codecs, encodings;
  for (const auto& name : fixture_names()) {
    ParquetFile f((kDir / (name + ".parquet")).string());
    if (name.rfind("duck_", 0) == 0 || name.rfind("hyparquet_", 0) == 0) {
      EXPECT_GE(f.metadata().row_groups.size(), 2u) << name;
    }
    for (const auto& g : f.metadata().row_groups)
      for (const auto& c : g.columns) {
        codecs.insert(std::string(emonet::parquet::codec_name(c.codec)));
        for (int e : c.encodings) encodings.insert(std::string(emonet::parquet::encoding_name(e)));
      }
  }
  for (const char* c : {"UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"})
    EXPECT_TRUE(codecs.count(c)) << c;
  for (const char* e : {"PLAIN", "RLE", "RLE_DICTIONARY", "DELTA_BINARY_PACKED",
                        "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "BYTE_STREAM_SPLIT"})
    EXPECT_TRUE(encodings.count(e)) << e;
}

TEST(ParquetReader, HuggingFaceImageStructAndClassLabels) {
  ParquetFile f((kDir / "hf_like.parquet").string());
  const auto& m = f.metadata();
  EXPECT_GE(m.find_column("image.bytes"), 0);
  EXPECT_GE(m.find_column("image.path"), 0);
  const auto labels = emonet::parquet::class_labels(m);
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].first, "label");
  EXPECT_EQ(labels[0].second,
            (std::vector<std::string>{"Amusement", "Anger", "Awe", "Contentment"}));
}

// Every truncation point and many single-byte corruptions either decode or raise Error.
TEST(ParquetReader, TruncatedAndCorruptFilesRaiseErrorsNotCrashes) {
  const std::string path = (kDir / "duck_snappy_v1.parquet").string();
  const std::string bytes = emonet::read_file(path);
  const fs::path tmp = fs::path(EMONET_BINARY_DIR) / "parquet_corrupt.parquet";
  auto try_read = [&](const std::string& data) {
    emonet::write_file_atomic(tmp.string(), data);
    try {
      ParquetFile f(tmp.string());
      for (std::size_t g = 0; g < f.metadata().row_groups.size(); ++g) f.read_rows(g);
      return std::string();
    } catch (const emonet::Error& e) {
      return std::string(e.what());
    }
  };
  const std::string cut = try_read(bytes.substr(0, bytes.size() - 100));
  EXPECT_NE(cut.find("byte offset"), std::string::npos) << cut;
  for (std::size_t n = 0; n < bytes.size(); n += bytes.size() / 40 + 1)
    try_read(bytes.substr(0, n));
  std::uint32_t state = 7;
  int errors = 0;
  for (int k = 0; k < 120; ++k) {
    state = state * 1664525u + 1013904223u;
    std::string bad = bytes;
    const std::size_t at = 4 + state % (bytes.size() - 8);
    bad[at] = static_cast<char>(bad[at] ^ (1 + (state >> 24) % 255));
    if (!try_read(bad).empty()) ++errors;
  }
  EXPECT_GT(errors, 0);
  // A corrupt page names the column.
  ParquetFile good(path);
  const auto& cc = good.metadata().row_groups[0].columns[good.metadata().find_column("u")];
  std::string bad = bytes;
  const auto page = static_cast<std::size_t>(
      cc.dictionary_page_offset > 0 ? cc.dictionary_page_offset : cc.data_page_offset);
  for (std::size_t k = page + 30; k < page + 60; ++k) bad[k] = '\xff';
  const std::string msg = try_read(bad);
  EXPECT_NE(msg.find("'u'"), std::string::npos) << msg;
  fs::remove(tmp);
}

}  // namespace

namespace {

// `emonet data info --format json` margins equal the counts in the generator's rows.
TEST(DataInfoCli, MarginsMatchTheGeneratorsRows) {
  const std::string cmd = std::string(EMONET_CLI_PATH) + " data info --format json " +
                          (kDir / "hf_like.parquet").string();
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << text;
  const auto j = nlohmann::json::parse(text);
  std::ifstream in(kDir / "hf_like.json");
  const auto rows = nlohmann::json::parse(in);
  EXPECT_EQ(j["rows"], rows.size());
  const std::vector<std::string> emotions = {"Amusement", "Anger", "Awe", "Contentment"};
  std::map<std::string, std::int64_t> gender, label;
  for (const auto& r : rows) {
    ++gender[r["gender"].get<std::string>()];
    ++label[emotions.at(r["label"].get<std::size_t>())];
  }
  EXPECT_EQ(j["margins"]["gender"].get<decltype(gender)>(), gender);
  EXPECT_EQ(j["margins"]["label"].get<decltype(label)>(), label);
}

}  // namespace
