// `emonet embed`: embeddings equal predict's (L2-normalised), a rerun skips unchanged
// images and re-embeds changed ones by content hash, shards merge to the unsharded cache.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "emonet/embed.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/npy.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

namespace fs = std::filesystem;
const std::string kFix = EMONET_SCALE_OUT_FIXTURES;
const std::string kModel = std::string(EMONET_ENGINE_FIXTURES) + "/model";

test::CommandResult embed(const std::string& args) {
  return test::run_cli("embed --model '" + kModel + "' --threads 1 --batch 1 " + args);
}

TEST(Embed, EqualsPredictsNormalisedEmbeddings) {
  test::TempDir t;
  const auto p = test::run_cli("-q predict --model '" + kModel +
                               "' --precision fp32 --threads 1 --batch 1 --embeddings '" +
                               t.file("pred.npy") + "' '" + kFix + "/images/metadata.csv'");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto e =
      embed("--precision fp32 --out '" + t.file("emb") + "' '" + kFix + "/images/metadata.csv'");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto pred = read_npy(t.file("pred.npy"));
  const auto cache = data::read_embeddings(t.file("emb/embeddings-00000-of-00001.npy"));
  ASSERT_EQ(cache.ids.size(), 40u);
  ASSERT_EQ(pred.shape[0], 40u);
  const std::size_t h = cache.hidden;
  ASSERT_EQ(pred.shape[1], h);
  for (std::size_t r = 0; r < 40; ++r) {
    double sq = 0;
    for (std::size_t k = 0; k < h; ++k) sq += double(pred.data[r * h + k]) * pred.data[r * h + k];
    const double norm = std::sqrt(sq);
    for (std::size_t k = 0; k < h; ++k)
      ASSERT_NEAR(cache.data[r * h + k], pred.data[r * h + k] / norm, 1e-6) << r << " " << k;
  }
  EXPECT_EQ(cache.ids[0], "img_0000.png");
  EXPECT_EQ(cache.hashes[0].size(), 64u);
}

TEST(Embed, RerunSkipsUnchangedAndReembedsChangedImages) {
  test::TempDir t;
  fs::copy(kFix + "/images", t.file("images"), fs::copy_options::recursive);
  const std::string args = "--out '" + t.file("emb") + "' '" + t.file("images") + "'";
  auto r = embed(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("40 embedded, 0 unchanged"), std::string::npos) << r.err;
  const auto first = data::read_embeddings(t.file("emb/embeddings-00000-of-00001.npy"));
  r = embed(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("0 embedded, 40 unchanged"), std::string::npos) << r.err;
  // Change one image's content (another image's bytes), add one, remove one.
  fs::copy_file(t.file("images/img_0006.png"), t.file("images/img_0000.png"),
                fs::copy_options::overwrite_existing);
  fs::copy_file(t.file("images/img_0012.png"), t.file("images/new.png"));
  fs::remove(t.file("images/sub/img_0001.jpg"));
  r = embed(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("2 embedded, 38 unchanged"), std::string::npos) << r.err;
  const auto second = data::read_embeddings(t.file("emb/embeddings-00000-of-00001.npy"));
  ASSERT_EQ(second.ids.size(), 40u);
  const std::size_t h = second.hidden;
  auto row = [&](const data::EmbeddingShard& s, const std::string& id) {
    const auto i = std::size_t(std::find(s.ids.begin(), s.ids.end(), id) - s.ids.begin());
    EXPECT_LT(i, s.ids.size()) << id;
    return std::vector<float>(s.data.begin() + i * h, s.data.begin() + (i + 1) * h);
  };
  EXPECT_EQ(row(second, "img_0000.png"), row(first, "img_0006.png"));
  EXPECT_EQ(row(second, "new.png"), row(first, "img_0012.png"));
  EXPECT_EQ(std::find(second.ids.begin(), second.ids.end(), "sub/img_0001.jpg"), second.ids.end());
}

TEST(Embed, DamagedIndexIsNotTrusted) {
  test::TempDir t;
  const std::string args = "--out '" + t.file("emb") + "' '" + kFix + "/shards'";
  ASSERT_EQ(embed(args).exit_code, 0);
  // As if killed between the two renames: the .npy is new, the index is old.
  const std::string npy = t.file("emb/embeddings-00000-of-00001.npy");
  auto bytes = read_file(npy);
  bytes[bytes.size() - 1] ^= 1;
  write_file_atomic(npy, bytes);
  EXPECT_THROW(data::read_embeddings(npy), Error);
  const auto r = embed(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ignoring the existing cache"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("40 embedded"), std::string::npos) << r.err;
}

TEST(Embed, ShardsMergeToTheUnshardedCache) {
  test::TempDir t;
  ASSERT_EQ(embed("--out '" + t.file("one") + "' '" + kFix + "/shards'").exit_code, 0);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(embed("--shard " + std::to_string(i) + "/3 --out '" + t.file("parts") + "' '" + kFix +
                    "/shards'")
                  .exit_code,
              0);
  const auto m =
      test::run_cli("-q merge --out '" + t.file("merged") + "' '" + t.file("parts") + "'");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const auto one = data::read_embeddings(t.file("one/embeddings-00000-of-00001.npy"));
  const auto merged = data::read_embeddings(t.file("merged/embeddings-00000-of-00001.npy"));
  // The unsharded cache is in listing order, the merge sorted by id: compare by id.
  ASSERT_EQ(merged.ids.size(), one.ids.size());
  EXPECT_TRUE(std::is_sorted(merged.ids.begin(), merged.ids.end()));
  const std::size_t h = one.hidden;
  for (std::size_t i = 0; i < one.ids.size(); ++i) {
    const auto j = std::size_t(std::find(merged.ids.begin(), merged.ids.end(), one.ids[i]) -
                               merged.ids.begin());
    ASSERT_LT(j, merged.ids.size());
    EXPECT_EQ(merged.hashes[j], one.hashes[i]);
    for (std::size_t k = 0; k < h; ++k) ASSERT_EQ(merged.data[j * h + k], one.data[i * h + k]);
  }
  fs::remove(t.file("parts/embeddings-00001-of-00003.npy"));
  const auto gap = test::run_cli("-q merge --out '" + t.file("m2") + "' '" + t.file("parts") + "'");
  EXPECT_NE(gap.exit_code, 0);
  EXPECT_NE(gap.err.find("embeddings-00001-of-00003.npy"), std::string::npos) << gap.err;
}

}  // namespace
}  // namespace emonet
