// `emonet predict --shard` + `emonet merge` on the tiny model: the merged shards equal a
// single run (over a folder, its manifest and its WebDataset shards), a killed shard
// leaves no file under its final name, merge names missing shards and overlaps.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "emonet/files.h"
#include "support/test_paths.h"

extern char** environ;

namespace emonet {
namespace {

namespace fs = std::filesystem;
const std::string kFix = EMONET_SCALE_OUT_FIXTURES;
const std::string kModel = std::string(EMONET_ENGINE_FIXTURES) + "/model";

std::string predict(const std::string& args) {
  return "-q predict --model '" + kModel + "' --threads 1 --batch 1 " + args;
}

std::vector<std::string> sorted_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) out.push_back(l);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ShardedPredict, MergedShardsEqualOneRunForEveryInputKind) {
  for (const std::string input : {"/shards", "/images/metadata.csv"}) {
    test::TempDir t;
    const auto whole = test::run_cli(predict("'" + kFix + input + "'"));
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    for (int i = 0; i < 3; ++i) {
      const auto r = test::run_cli(predict("--shard " + std::to_string(i) + "/3 --out '" +
                                           t.file("parts") + "/' '" + kFix + input + "'"));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    EXPECT_TRUE(fs::exists(t.file("parts/predictions-00002-of-00003.jsonl")));
    const auto m =
        test::run_cli("-q merge --out '" + t.file("all.jsonl") + "' '" + t.file("parts") + "'");
    ASSERT_EQ(m.exit_code, 0) << m.err;
    const auto merged = read_file(t.file("all.jsonl"));
    EXPECT_EQ(sorted_lines(merged), sorted_lines(whole.out)) << input;
    // merge sorts by image_path, so its output is already in that order.
    auto lines = sorted_lines(merged);
    EXPECT_EQ(merged.substr(0, lines[0].size()), lines[0]);
    EXPECT_EQ(sorted_lines(whole.out).size(), 40u);
  }
}

TEST(ShardedPredict, ShardsCoverTheFolderOnce) {
  test::TempDir t;
  std::size_t total = 0;
  for (int i = 0; i < 4; ++i) {
    const auto r = test::run_cli(
        predict("--shard " + std::to_string(i) + "/4 --format csv '" + kFix + "/images'"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    total += sorted_lines(r.out).size() - 1;  // header
  }
  EXPECT_EQ(total, 40u);
}

TEST(ShardedPredict, AutoShardFromSlurmVariables) {
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  ::unsetenv("JOB_COMPLETION_INDEX");
  const auto a = test::run_cli(predict("--shard auto '" + kFix + "/shards'"));
  EXPECT_NE(a.exit_code, 0);
  EXPECT_NE(a.err.find("SLURM_ARRAY_TASK_ID"), std::string::npos) << a.err;
  const auto b = test::run_cli(predict("--shard 1/2 '" + kFix + "/shards'"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ::setenv("SLURM_ARRAY_TASK_ID", "1", 1);
  ::setenv("SLURM_ARRAY_TASK_COUNT", "2", 1);
  const auto c = test::run_cli(predict("--shard auto '" + kFix + "/shards'"));
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  ::unsetenv("SLURM_ARRAY_TASK_COUNT");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(sorted_lines(c.out), sorted_lines(b.out));
  ::setenv("JOB_COMPLETION_INDEX", "1", 1);
  const auto d = test::run_cli(predict("--shard auto --shard-count 2 '" + kFix + "/shards'"));
  ::unsetenv("JOB_COMPLETION_INDEX");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(sorted_lines(d.out), sorted_lines(b.out));
}

TEST(ShardedPredict, KilledShardLeavesNoPartialFile) {
  test::TempDir t;
  // A FIFO as the last input: predict scores the images before it, then blocks opening
  // it, so the kill lands mid-run deterministically.
  const std::string fifo = t.file("zz_blocks.png");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string out = t.file("predictions-00000-of-00002.jsonl");
  std::vector<std::string> args = {test::cli_path(),
                                   "-q",
                                   "predict",
                                   "--model",
                                   kModel,
                                   "--threads",
                                   "1",
                                   "--batch",
                                   "1",
                                   "--out",
                                   out,
                                   kFix + "/images/img_0000.png",
                                   fifo};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  const std::string tmp = out + ".tmp-" + std::to_string(pid);
  bool partial = false;
  for (int i = 0; i < 1200 && !partial; ++i) {  // up to 60 s on a loaded machine
    std::error_code ec;
    partial = fs::exists(tmp, ec) && fs::file_size(tmp, ec) > 0;
    if (!partial) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(partial) << "the first record never reached " << tmp;
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(fs::exists(out)) << "a killed shard left its final file";
  // merge ignores the temporary and names the shards that are missing.
  const auto m =
      test::run_cli("-q merge --out '" + t.file("all.jsonl") + "' '" + t.path().string() + "'");
  EXPECT_NE(m.exit_code, 0);
  EXPECT_NE(m.err.find("no shard files"), std::string::npos) << m.err;
}

TEST(Merge, NamesMissingShards) {
  test::TempDir t;
  for (int i : {0, 2}) {
    const auto r = test::run_cli(predict("--shard " + std::to_string(i) + "/5 --out '" +
                                         t.file("p") + "/' '" + kFix + "/shards'"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto m =
      test::run_cli("-q merge --out '" + t.file("all.jsonl") + "' '" + t.file("p") + "'");
  EXPECT_NE(m.exit_code, 0);
  for (const char* name : {"predictions-00001-of-00005.jsonl", "predictions-00003-of-00005.jsonl",
                           "predictions-00004-of-00005.jsonl"})
    EXPECT_NE(m.err.find(name), std::string::npos) << m.err;
  EXPECT_EQ(m.err.find("predictions-00000-of-00005.jsonl"), std::string::npos) << m.err;
  EXPECT_FALSE(fs::exists(t.file("all.jsonl")));
}

TEST(Merge, DetectsOverlapsAndMixedSets) {
  test::TempDir t;
  // The same shard 0/2 written twice under both shard names: every image overlaps.
  const auto r = test::run_cli(predict("--shard 0/2 '" + kFix + "/shards'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::create_directories(t.file("p"));
  write_file_atomic(t.file("p/predictions-00000-of-00002.jsonl"), r.out);
  write_file_atomic(t.file("p/predictions-00001-of-00002.jsonl"), r.out);
  auto m = test::run_cli("-q merge --out '" + t.file("all.jsonl") + "' '" + t.file("p") + "'");
  EXPECT_NE(m.exit_code, 0);
  EXPECT_NE(m.err.find("appears twice"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("predictions-00001-of-00002.jsonl"), std::string::npos) << m.err;
  write_file_atomic(t.file("p/predictions-00001-of-00003.jsonl"), r.out);
  m = test::run_cli("-q merge --out '" + t.file("all.jsonl") + "' '" + t.file("p") + "'");
  EXPECT_NE(m.exit_code, 0);
  EXPECT_NE(m.err.find("different sets"), std::string::npos) << m.err;
}

}  // namespace
}  // namespace emonet
