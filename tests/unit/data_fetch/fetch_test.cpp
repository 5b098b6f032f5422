// `emonet data fetch` against a stand-in Hugging Face Hub (fake_hf_datasets.h) serving the
// DuckDB-written repositories of generate_sets.mjs, with faults; the result is checked row
// for row against the generator's own record (expected.json) and fed to the readers that
// `predict` and `annotate create-project --manifest` use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "emonet/csv.h"
#include "emonet/data_fetch.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/image_source.h"
#include "fake_hf_datasets.h"
#include "support/test_paths.h"

namespace emonet::data {
namespace {

namespace fs = std::filesystem;
using test::FakeHfDatasets;
using ::testing::HasSubstr;

const std::string kFixtures = EMONET_DATA_FETCH_FIXTURES;

std::map<std::string, std::string> repos() {
  return {{"laion/emonet-face-binary", kFixtures + "/binary"},
          {"laion/emonet-face-big", kFixtures + "/big"}};
}

nlohmann::json expected(const std::string& set) {
  return nlohmann::json::parse(read_file(kFixtures + "/expected.json"))[set];
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

DataFetchOptions options(const FakeHfDatasets& hub, const std::string& set,
                         const std::string& dir) {
  DataFetchOptions o;
  o.set = set;
  o.dir = dir;
  o.endpoint = hub.endpoint();
  o.progress = false;
  o.retry_base_s = 0.01;  // the backoff schedule, compressed for the test
  return o;
}

// metadata.csv as header -> value maps, in row order.
std::vector<std::map<std::string, std::string>> read_metadata(const std::string& path) {
  CsvReader r = CsvReader::open(path);
  const auto header = r.read_header();
  std::vector<std::map<std::string, std::string>> rows;
  CsvRecord rec;
  while (r.next(rec)) {
    std::map<std::string, std::string> m;
    for (std::size_t i = 0; i < header.size(); ++i) m[header[i]] = rec[i];
    rows.push_back(std::move(m));
  }
  return rows;
}

// Every generated row (those with an image) is in metadata.csv, in order, with its image.
void expect_matches(const std::string& dir, const nlohmann::json& want,
                    const std::vector<std::string>& extra_columns) {
  const auto rows = read_metadata(dir + "/metadata.csv");
  ASSERT_EQ(rows.size(), want.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& got = rows[i];
    const auto& w = want[i];
    SCOPED_TRACE("row " + std::to_string(i));
    if (w["path"].is_string())
      EXPECT_EQ(got.at("file_name"), "images/" + w["path"].get<std::string>());
    else
      EXPECT_THAT(got.at("file_name"), ::testing::MatchesRegex("images/[0-9]{9}\\.png"));
    for (const char* k : {"prompt", "ethnicity", "age", "gender", "emotion", "annotations"})
      EXPECT_EQ(got.at(k), w[k].get<std::string>()) << k;
    for (const auto& k : extra_columns) EXPECT_EQ(got.at(k), w[k].get<std::string>()) << k;
    EXPECT_EQ(read_file(dir + "/" + got.at("file_name")), from_hex(w["hex"]));
  }
  for (const auto& e : fs::recursive_directory_iterator(dir))
    EXPECT_EQ(e.path().string().find(".part"), std::string::npos) << e.path();
}

TEST(DataFetch, BinarySurvivesServerErrorsADroppedConnectionAndATruncatedFile) {
  FakeHfDatasets hub(repos());
  hub.fail_with_500("/tree/", 1);
  hub.fail_with_500("train-00000-of-00002.parquet", 1);
  hub.drop_once("train-00001-of-00002.parquet");
  hub.truncate("train-00000-of-00002.parquet", 1);
  test::TempDir tmp;
  const auto r = fetch_dataset(options(hub, "binary", tmp.file("binary")));
  EXPECT_FALSE(r.auto_converted);
  ASSERT_EQ(r.parquet_files.size(), 2u);
  EXPECT_EQ(r.files_downloaded, 2u);
  EXPECT_EQ(r.retries, 4u);  // 500 on the listing and a file, the drop, the truncation
  expect_matches(tmp.file("binary"), expected("binary"), {"yes_votes"});
  EXPECT_EQ(r.images_written, expected("binary").size());
  // The dropped file was resumed from where the connection broke, not fetched again.
  const auto log = hub.log();
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const std::string& l) {
    return l.find("train-00001-of-00002.parquet bytes=") != std::string::npos;
  }));
  // The listing was read page by page (one entry per page: README + 2 files).
  EXPECT_EQ(
      std::count_if(log.begin(), log.end(),
                    [](const std::string& l) { return l.find("/tree/main") != std::string::npos; }),
      4);
}

TEST(DataFetch, ARerunSkipsFinishedFilesAndImages) {
  FakeHfDatasets hub(repos());
  test::TempDir tmp;
  const std::string dir = tmp.file("binary");
  fetch_dataset(options(hub, "binary", dir));
  const auto rows = read_metadata(dir + "/metadata.csv");
  fs::remove(dir + "/" + rows[3].at("file_name"));  // as if killed before writing it
  const auto again = fetch_dataset(options(hub, "binary", dir));
  EXPECT_EQ(again.files_downloaded, 0u);
  EXPECT_EQ(again.images_written, 1u);
  EXPECT_EQ(again.images_skipped, rows.size() - 1);
  expect_matches(dir, expected("binary"), {"yes_votes"});
}

TEST(DataFetch, APersistentlyTruncatedFileIsAnErrorAndNothingIsKept) {
  FakeHfDatasets hub(repos());
  hub.truncate("train-00001-of-00002.parquet", 100);
  test::TempDir tmp;
  auto o = options(hub, "binary", tmp.file("binary"));
  o.retries = 2;
  try {
    fetch_dataset(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("size mismatch"));
    EXPECT_THAT(e.what(), HasSubstr("train-00001-of-00002.parquet"));
  }
  EXPECT_FALSE(fs::exists(tmp.file("binary/parquet/data/train-00001-of-00002.parquet")));
  EXPECT_FALSE(fs::exists(tmp.file("binary/parquet/data/train-00001-of-00002.parquet.part")));
  EXPECT_FALSE(fs::exists(tmp.file("binary/metadata.csv")));
}

TEST(DataFetch, ARepositoryWithoutParquetUsesTheAutoConvertedFiles) {
  FakeHfDatasets hub(repos());
  test::TempDir tmp;
  const auto r = fetch_dataset(options(hub, "big", tmp.file("big")));
  EXPECT_TRUE(r.auto_converted);
  ASSERT_EQ(r.parquet_files.size(), 1u);
  EXPECT_THAT(r.parquet_files[0], HasSubstr("parquet/default/train/0.parquet"));
  expect_matches(tmp.file("big"), expected("big"), {"split"});
}

TEST(DataFetch, AMissingRepositoryIsAClearErrorWithoutRetries) {
  FakeHfDatasets hub(repos());
  test::TempDir tmp;
  auto o = options(hub, "hq", tmp.file("hq"));
  try {
    fetch_dataset(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("404"));
    EXPECT_THAT(e.what(), HasSubstr("laion/emonet-face-hq"));
  }
  EXPECT_EQ(hub.log().size(), 1u);
}

TEST(DataFetch, ListingParsersRejectMalformedBodies) {
  EXPECT_THROW(parse_tree_listing("{\"not\": \"an array\"}", "t"), Error);
  EXPECT_THROW(parse_tree_listing("[{\"type\":\"file\",\"path\":\"../x.parquet\"}]", "t"), Error);
  EXPECT_THROW(parse_parquet_listing("{\"default\": {\"train\": [1]}}", "p"), Error);
  EXPECT_THROW(parse_parquet_listing("{\"../x\": {\"train\": [\"u\"]}}", "p"), Error);
  // Found by fuzz/hf_listing_fuzz.cpp: a split that is not a string (nlohmann's
  // type_error escaped before).
  EXPECT_THROW(parse_parquet_listing(R"([{"url": "http://h/0.parquet", "split": 23}])", "p"),
               Error);
  EXPECT_THROW(parse_parquet_listing(R"([{"url": "http://h/0.parquet", "config": []}])", "p"),
               Error);
  const auto list = parse_parquet_listing(
      R"([{"config":"default","split":"test","url":"http://h/0.parquet","size":12}])", "p");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].path, "parquet/default/test/0.parquet");
  EXPECT_EQ(list[0].size, 12u);
}

// The fetched folder is a manifest that `emonet predict` (list_images + ImageReader) and
// `emonet annotate create-project --manifest` (a binary project: emotion names checked
// against the taxonomy) take as it is.
TEST(DataFetch, TheFetchedSetFeedsPredictAndAnnotateInputs) {
  FakeHfDatasets hub(repos());
  test::TempDir tmp;
  const std::string dir = tmp.file("binary");
  fetch_dataset(options(hub, "binary", dir));
  const auto items = list_images({dir + "/metadata.csv"});
  const auto want = expected("binary");
  ASSERT_EQ(items.size(), want.size());
  ImageReader reader;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto bytes = reader.read(items[i]);
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), from_hex(want[i]["hex"]));
  }
  const auto r = test::run_cli("annotate create-project fetched --db '" + tmp.file("a.db") +
                               "' --protocol binary --manifest '" + dir + "/metadata.csv'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr(std::to_string(want.size())));
}

TEST(DataFetch, CliPrintsTheUseRestrictionsAndHonoursHfEndpoint) {
  FakeHfDatasets hub(repos());
  test::TempDir tmp;
  const std::string cmd = "HF_ENDPOINT=" + hub.endpoint() + " '" + test::cli_path() +
                          "' data fetch binary --dir '" + tmp.file("b") + "' --format json >'" +
                          tmp.file("out") + "' 2>'" + tmp.file("err") + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(tmp.file("err"));
  EXPECT_THAT(read_file(tmp.file("err")), HasSubstr("surveillance"));
  const auto j = nlohmann::json::parse(read_file(tmp.file("out")));
  EXPECT_EQ(j["rows"], 115);
  EXPECT_EQ(j["images_written"], expected("binary").size());
  EXPECT_TRUE(fs::exists(tmp.file("b/metadata.csv")));
}

}  // namespace
}  // namespace emonet::data
