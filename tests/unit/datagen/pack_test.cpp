// `emonet data pack`: shards read back by Python's tarfile, byte for byte; size limits,
// errors naming the metadata line, refusal to overwrite a pack.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "emonet/data_pack.h"
#include "emonet/error.h"
#include "support/test_paths.h"

namespace emonet::test {
namespace {

namespace fs = std::filesystem;

// A dataset folder: random bytes as images (pack never decodes), nested paths, UTF-8 and
// quoted CSV fields, one image over the shard limit on its own.
void write_dataset(const fs::path& dir, int n) {
  fs::create_directories(dir / "images" / "sub");
  std::mt19937 rng(7);
  std::ofstream csv(dir / "metadata.csv");
  csv << "file_name,prompt,ethnicity,age,gender,emotion,seed\n";
  const char* exts[] = {".jpg", ".png", ".webp", ".jpeg"};
  for (int i = 0; i < n; ++i) {
    const std::string name =
        std::string(i % 3 ? "images/" : "images/sub/") + "img " + std::to_string(i) + exts[i % 4];
    std::size_t size = 1 + rng() % 20000;
    if (i == 5) size = 300000;  // larger than a shard
    std::string bytes(size, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    std::ofstream(dir / name, std::ios::binary) << bytes;
    csv << name << ",\"a \"\"quoted\"\", multi\nline prompt é\",Asian,30,woman,Amusement," << i
        << "\n";
  }
}

TEST(DataPack, PythonTarfileReadsEverySampleByteIdentical) {
  TempDir tmp;
  write_dataset(tmp.path() / "ds", 40);
  auto r = run_cli("--quiet data pack '" + tmp.file("ds") + "' --shard-size 100KB -o '" +
                   tmp.file("shards") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string check = "/usr/bin/python3 '" + source_path("tests/unit/datagen/check_pack.py") +
                            "' '" + tmp.file("ds") + "' '" + tmp.file("shards") + "' 100000";
  EXPECT_EQ(std::system(check.c_str()), 0);
  EXPECT_TRUE(fs::exists(tmp.path() / "shards" / "00003.tar"));  // several shards

  // A second pack into the same folder is refused; nothing there changes.
  auto again = run_cli("data pack '" + tmp.file("ds") + "' -o '" + tmp.file("shards") + "'");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("index.json"), std::string::npos) << again.err;
  EXPECT_EQ(std::system(check.c_str()), 0);
}

TEST(DataPack, FolderWithoutMetadataPacksEveryImage) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "ds" / "a");
  std::ofstream(tmp.path() / "ds" / "a" / "x.png", std::ios::binary) << "png bytes";
  std::ofstream(tmp.path() / "ds" / "b.jpg", std::ios::binary) << "jpg bytes";
  std::ofstream(tmp.path() / "ds" / "notes.txt") << "skipped";
  PackOptions o;
  o.input = tmp.file("ds");
  o.output = tmp.file("out");
  o.progress = false;
  const auto r = pack_dataset(o);
  ASSERT_EQ(r.samples, 2u);
  ASSERT_EQ(r.shards.size(), 1u);
  EXPECT_EQ(r.shards[0].first_key, "000000000");
  EXPECT_EQ(r.shards[0].last_key, "000000001");
  // Sorted by path: a/x.png first. Read back with Python.
  const std::string py =
      "/usr/bin/python3 -c \"import tarfile,json,sys; t=tarfile.open(sys.argv[1]);"
      "n=t.getnames(); assert n==['000000000.png','000000000.json',"
      "'000000001.jpg','000000001.json'], n;"
      "assert json.load(t.extractfile(n[1]))=={'file_name':'a/x.png'};"
      "assert t.extractfile(n[2]).read()==b'jpg bytes'\" '" +
      tmp.file("out/00000.tar") + "'";
  EXPECT_EQ(std::system(py.c_str()), 0);
}

TEST(DataPack, ErrorsNameTheMetadataLine) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "ds");
  std::ofstream(tmp.path() / "ds" / "a.png") << "x";
  std::ofstream(tmp.path() / "ds" / "metadata.csv")
      << "file_name,emotion\na.png,Anger\nmissing.png,Fear\n";
  PackOptions o;
  o.input = tmp.file("ds");
  o.output = tmp.file("out");
  o.progress = false;
  try {
    pack_dataset(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().line, 3);
    EXPECT_EQ(e.context().field, "file_name");
  }
  EXPECT_FALSE(fs::exists(tmp.path() / "out" / "index.json"));
  std::ofstream(tmp.path() / "ds" / "metadata.csv") << "file_name\n../a.png\n";
  EXPECT_THROW(pack_dataset(o), Error);
  EXPECT_EQ(parse_byte_size("1GB", "s"), 1000000000u);
  EXPECT_EQ(parse_byte_size("64MiB", "s"), 64u << 20);
  EXPECT_EQ(parse_byte_size("1.5kb", "s"), 1500u);
  EXPECT_THROW(parse_byte_size("12 parsecs", "shard-size"), Error);
  EXPECT_THROW(parse_byte_size("", "shard-size"), Error);
}

}  // namespace
}  // namespace emonet::test
