// The shard partition by image id: FNV-1a 64 test vectors, every id in exactly one shard
// for N = 1..17 whatever the order, --shard parsing (I/N, Slurm arrays, Indexed Jobs),
// shard file names.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "emonet/error.h"
#include "emonet/image_source.h"

namespace emonet::data {
namespace {

TEST(Partition, Fnv1a64MatchesThePublishedTestVectors) {
  // From the FNV reference test suite (Fowler/Noll/Vo): offset basis, "a", "foobar".
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

std::vector<ImageItem> make_items(std::size_t n) {
  std::vector<ImageItem> items;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string id = (i % 3 ? "sub/" : "") + std::string("img_") + std::to_string(i) + ".png";
    items.push_back(ImageItem{id, id, id, ""});
  }
  return items;
}

TEST(Partition, EveryImageInExactlyOneShardWhateverTheOrder) {
  auto items = make_items(500);
  auto shuffled = items;
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (std::size_t n = 1; n <= 17; ++n) {
    std::map<std::string, std::size_t> owner, owner_shuffled;
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& it : select_shard(items, {i, n})) {
        EXPECT_TRUE(owner.emplace(it.id, i).second) << it.id << " twice at N=" << n;
      }
      for (const auto& it : select_shard(shuffled, {i, n})) owner_shuffled.emplace(it.id, i);
    }
    EXPECT_EQ(owner.size(), items.size()) << "N=" << n;
    EXPECT_EQ(owner, owner_shuffled) << "N=" << n;
    if (n > 1) {
      // Not degenerate: no shard empty with 500 ids.
      std::vector<std::size_t> sizes(n);
      for (const auto& [id, s] : owner) ++sizes[s];
      EXPECT_GT(*std::min_element(sizes.begin(), sizes.end()), 0u) << "N=" << n;
    }
  }
}

TEST(Partition, SelectKeepsListingOrder) {
  const auto items = make_items(100);
  const auto sel = select_shard(items, {1, 4});
  for (std::size_t i = 1; i < sel.size(); ++i) {
    const auto a = std::find_if(items.begin(), items.end(),
                                [&](const ImageItem& x) { return x.id == sel[i - 1].id; });
    const auto b = std::find_if(items.begin(), items.end(),
                                [&](const ImageItem& x) { return x.id == sel[i].id; });
    EXPECT_LT(a, b);
  }
}

TEST(ShardSpec, ParsesIndexOverCount) {
  const auto s = parse_shard("3/17");
  EXPECT_EQ(s.index, 3u);
  EXPECT_EQ(s.count, 17u);
  for (const char* bad : {"17/17", "1", "a/b", "1/0", "-1/3", "1/3x", "/3"})
    EXPECT_THROW(parse_shard(bad), Error) << bad;
}

TEST(ShardSpec, AutoReadsSlurmArrayVariables) {
  std::map<std::string, std::string> env = {{"SLURM_ARRAY_TASK_ID", "5"},
                                            {"SLURM_ARRAY_TASK_COUNT", "8"}};
  auto get = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto s = parse_shard("auto", std::nullopt, get);
  EXPECT_EQ(s.index, 5u);
  EXPECT_EQ(s.count, 8u);
  env["SLURM_ARRAY_TASK_MIN"] = "1";  // --array=1-8
  s = parse_shard("auto", std::nullopt, get);
  EXPECT_EQ(s.index, 4u);
  env.erase("SLURM_ARRAY_TASK_MIN");
  env["SLURM_ARRAY_TASK_ID"] = "9";
  EXPECT_THROW(parse_shard("auto", std::nullopt, get), Error);
  env["SLURM_ARRAY_TASK_ID"] = "x";
  EXPECT_THROW(parse_shard("auto", std::nullopt, get), Error);
}

TEST(ShardSpec, AutoReadsTheIndexedJobIndexWithACount) {
  std::map<std::string, std::string> env = {{"JOB_COMPLETION_INDEX", "2"}};
  auto get = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  try {
    parse_shard("auto", std::nullopt, get);
    FAIL() << "no count given";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--shard-count"), std::string::npos) << e.what();
  }
  const auto s = parse_shard("auto", 4, get);
  EXPECT_EQ(s.index, 2u);
  EXPECT_EQ(s.count, 4u);
  env.clear();
  EXPECT_THROW(parse_shard("auto", 4, get), Error);
}

TEST(ShardFileNames, RoundTrip) {
  EXPECT_EQ(shard_file_name("predictions", {3, 17}, ".jsonl"), "predictions-00003-of-00017.jsonl");
  const auto n = parse_shard_file_name("embeddings-00002-of-00004.npy");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->stem, "embeddings");
  EXPECT_EQ(n->ext, ".npy");
  EXPECT_EQ(n->shard.index, 2u);
  EXPECT_EQ(n->shard.count, 4u);
  EXPECT_FALSE(parse_shard_file_name("predictions-00003-of-00017.jsonl.tmp-123"));
  EXPECT_FALSE(parse_shard_file_name("predictions.jsonl"));
  EXPECT_FALSE(parse_shard_file_name("p-00005-of-00004.jsonl"));
}

}  // namespace
}  // namespace emonet::data
