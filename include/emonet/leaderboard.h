// `emonet bench leaderboard`: any number of runs scored side by side against the HQ
// experts of an hq.csv file. A run is `emonet predict` JSONL, `emonet eval vlm` JSONL or
// one of hq.csv's own model annotators; all are joined into one HqData (bench_hq.h) and
// analyze_hq() gives the point estimates, so every leaderboard number that `emonet bench
// hq` also prints is the same number.
//
// Per run: mean quadratic kappa vs the humans, Spearman's rho vs the per-image human
// median, the "could be an annotator" test (from analyze_hq), Krippendorff's interval
// alpha of the human panel with the run added, the paired differences run - human anchor
// and run - best run, parse failures by status, and the validity gate (kappa on the
// replies that named exactly the asked set vs on every scored reply).
//
// Image-level bootstrap: `bootstrap` resamples of the images, idx = choice(I, I) from one
// NumPy-compatible default_rng(seed) stream, drawn in order; every statistic of every run
// is recomputed on the same resamples (so the differences are paired). On a resample the
// kappas are quadratic-weighted on ratings truncated to integers and clipped to 0..7 (an
// 8x8 confusion matrix weighted by how often each image was drawn); the mean is a nanmean
// over humans, then over emotions. CIs are the 2.5 / 97.5 percentiles of the non-NaN
// resample values. tests/fixtures/leaderboard_reference.py recomputes them with NumPy.
//
// Pure functions; run_leaderboard uses options.threads worker threads internally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "emonet/bench_hq.h"

namespace emonet::bench {

struct LeaderboardRun {
  std::string name;
  std::string file;  // empty: hq.csv's own annotator called `name`
};
// "NAME=FILE" or "NAME" (an hq.csv annotator); throws Error on an empty name.
LeaderboardRun parse_leaderboard_run(const std::string& spec);

struct LeaderboardOptions {
  std::size_t bootstrap = 1000;
  std::uint64_t seed = 42;
  unsigned threads = 0;
  bool allow_missing = false;             // runs need not cover every HQ image
  std::string score = "mean_subtracted";  // of `emonet predict` files
};

struct Interval {
  double value = kNaN, low = kNaN, high = kNaN;
};

struct LeaderboardRow {
  std::string name, source;  // source: "hq.csv", "predictions" or "vlm"
  Interval kappa, alpha, spearman;
  Interval vs_anchor, vs_best;            // kappa differences, paired over resamples
  std::vector<double> kappa_per_emotion;  // HqData emotion order
  double annotator_p = kNaN, annotator_difference = kNaN;
  bool could_be_annotator = false;
  std::size_t records = 0, scored = 0;  // images with a record / with ratings
  std::size_t parse_failed = 0, http_error = 0, budget_exhausted = 0, other_failed = 0;
  // Validity gate: replies naming exactly the asked keys (vlm: status ok without
  // unknown_keys, out_of_range or per-emotion failures; other sources: every scored image).
  std::size_t exact = 0;
  double gate_exact = kNaN, gate_all = kNaN;  // mean kappa on those / on every scored image
};

struct Leaderboard {
  std::string source;
  std::size_t images = 0, humans = 0, bootstrap = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> emotions;
  Interval anchor_kappa;  // human-human: mean over humans of their kappa vs the others
  Interval anchor_alpha;  // the humans' own alpha (value: bench hq's alpha "mean" row)
  std::vector<double> anchor_per_emotion;
  std::string best;                  // the run with the highest kappa
  std::vector<LeaderboardRow> rows;  // by kappa, descending
};

Leaderboard run_leaderboard(const std::string& hq_csv, const std::vector<LeaderboardRun>& runs,
                            const LeaderboardOptions& options = {});

std::string leaderboard_markdown(const Leaderboard& board);
std::string leaderboard_json(const Leaderboard& board);
std::string leaderboard_csv(const Leaderboard& board);
std::string leaderboard_html(const Leaderboard& board);  // self-contained, inline SVG
// DIR/leaderboard.md, .json, .csv and DIR/report.html.
void write_leaderboard(const Leaderboard& board, const std::string& dir);

}  // namespace emonet::bench
