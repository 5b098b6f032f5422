// Image inputs: a folder (recursive, ids relative), its manifest, and the same images as
// WebDataset shards (written by Python's tarfile) list the same ids and the same bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/image_source.h"
#include "support/test_paths.h"

namespace emonet::data {
namespace {

const std::string kFix = EMONET_SCALE_OUT_FIXTURES;

std::vector<std::string> ids(const std::vector<ImageItem>& items) {
  std::vector<std::string> out;
  for (const auto& it : items) out.push_back(it.id);
  return out;
}

TEST(ImageInputs, FolderManifestAndShardsAgree) {
  const auto folder = list_images({kFix + "/images"});
  const auto manifest = list_images({kFix + "/images/metadata.csv"});
  const auto shards = list_images({kFix + "/shards"});
  ASSERT_EQ(folder.size(), 40u);
  auto a = ids(folder), b = ids(manifest), c = ids(shards);
  std::sort(b.begin(), b.end());
  std::sort(c.begin(), c.end());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_NE(std::find(a.begin(), a.end(), "sub/deeper/img_0002.png"), a.end());
  EXPECT_EQ(folder[0].display, kFix + "/images/img_0000.png");
  EXPECT_EQ(manifest[0].display, "img_0000.png");

  ImageReader reader;
  std::map<std::string, std::vector<std::uint8_t>> bytes;
  for (const auto& it : folder) bytes[it.id] = reader.read(it);
  for (const auto& it : shards) EXPECT_EQ(reader.read(it), bytes[it.id]) << it.id;
  for (const auto& it : manifest) EXPECT_EQ(reader.read(it), bytes[it.id]) << it.id;
  // Out-of-order reads from a tar still work (the reader starts the tar over).
  EXPECT_EQ(reader.read(shards[1]), bytes[shards[1].id]);
  EXPECT_EQ(reader.read(shards[0]), bytes[shards[0].id]);
}

TEST(ImageInputs, OneTarAndSingleFiles) {
  const auto one = list_images({kFix + "/shards/00001.tar", kFix + "/images/img_0000.png"});
  ASSERT_EQ(one.size(), 16u);
  EXPECT_EQ(one.back().id, kFix.substr(0) + "/images/img_0000.png");
}

TEST(ImageInputs, BadInputsNameTheFile) {
  test::TempDir t;
  EXPECT_THROW(list_images({t.file("missing")}), Error);
  write_file_atomic(t.file("m.csv"), "name\nx.png\n");
  try {
    list_images({t.file("m.csv")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("file_name"), std::string::npos) << e.what();
  }
  write_file_atomic(t.file("evil.csv"), "file_name\n../etc/passwd\n");
  EXPECT_THROW(list_images({t.file("evil.csv")}), Error);
  write_file_atomic(t.file("bad.tar"), std::string(700, 'x'));
  try {
    list_images({t.file("bad.tar")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.tar"), std::string::npos) << e.what();
  }
  std::filesystem::create_directories(t.file("sh"));
  write_file_atomic(t.file("sh/index.json"), R"({"format": "other", "shards": []})");
  EXPECT_THROW(list_images({t.file("sh")}), Error);
  write_file_atomic(t.file("sh/index.json"),
                    R"({"format": "emonet-webdataset-1", "shards": [{"name": "../x.tar"}]})");
  EXPECT_THROW(list_images({t.file("sh")}), Error);
}

}  // namespace
}  // namespace emonet::data
