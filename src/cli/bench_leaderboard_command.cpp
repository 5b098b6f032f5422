// `emonet bench leaderboard`: argument handling only; the scoring lives in
// src/bench/leaderboard*.cpp (emonet/leaderboard.h).
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "emonet/leaderboard.h"

namespace emonet::cli {
namespace {

struct Options {
  std::string file, out, format = "markdown";
  std::vector<std::string> runs;
  bench::LeaderboardOptions board;
};

int run(const Options& o) {
  std::vector<bench::LeaderboardRun> runs;
  for (const auto& r : o.runs) runs.push_back(bench::parse_leaderboard_run(r));
  const auto board = bench::run_leaderboard(o.file, runs, o.board);
  if (!o.out.empty()) bench::write_leaderboard(board, o.out);
  std::cout << (o.format == "json"  ? bench::leaderboard_json(board)
                : o.format == "csv" ? bench::leaderboard_csv(board)
                                    : bench::leaderboard_markdown(board));
  return 0;
}

// Registered as "bench leaderboard" so that it sorts after bench_command.cpp's "bench",
// which creates the parent; shared_parent() then finds it.
RunFn setup(CLI::App& app, const GlobalOptions&) {
  auto o = std::make_shared<Options>();
  auto* bench = shared_parent(app, "bench", "EmoNet-Face analyses: binary, transfer, hq");
  auto* cmd = bench->add_subcommand(
      "leaderboard",
      "Score runs (emonet predict / eval vlm JSONL, hq.csv's own models) side by side against "
      "the HQ experts, with image-bootstrap CIs");
  cmd->add_option("file", o->file, "hq.csv")->required()->check(CLI::ExistingFile);
  cmd->add_option("--run", o->runs,
                  "NAME=FILE (a predictions or eval vlm JSONL) or NAME (a model annotator of "
                  "hq.csv); repeatable")
      ->required();
  cmd->add_option("--out", o->out, "Write leaderboard.md/.json/.csv and report.html here");
  cmd->add_option("--format", o->format, "Printed table")
      ->check(CLI::IsMember({"markdown", "json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--bootstrap", o->board.bootstrap, "Image-level bootstrap resamples")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--seed", o->board.seed, "Seed of the resampling stream")->capture_default_str();
  cmd->add_option("--threads", o->board.threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--score", o->board.score, "Score of emonet predict files")
      ->check(CLI::IsMember({"raw", "mean_subtracted"}))
      ->capture_default_str();
  cmd->add_flag("--allow-missing", o->board.allow_missing,
                "Runs need not cover every HQ image (missing ones are not scored)");
  set_examples(*cmd, {"emonet bench leaderboard hq.csv --run \"Qwen yesno=qwen.jsonl\" --run "
                      "\"GPT-4o ZS=gpt4o.jsonl\" --run \"Hume Face*\" --out board/"});
  return [o, cmd]() -> int { return cmd->parsed() ? run(*o) : 2; };
}

EMONET_REGISTER_COMMAND("bench leaderboard", setup);

}  // namespace
}  // namespace emonet::cli
