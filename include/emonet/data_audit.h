// `emonet data audit`: balance, image quality and per-group model behaviour of a dataset,
// written as report.html (self-contained, SVG plots), audit.json and CSV tables.
//
//   balance   counts per axis (ethnicity, age, gender, emotion, and the FairFace grouping
//             of spec §2.3) and per (ethnicity, age, gender, emotion) cell, against a
//             design.csv or, without one, against uniform over the levels seen; Pearson's
//             χ² goodness of fit (scipy.stats.chisquare) per axis and over the cells; the
//             cells with the largest standardised residuals (O − E) / √E.
//   quality   images that cannot be read or decoded, images where the face detector finds
//             no face or several, exact duplicates (SHA-256 of the encoded bytes) and near
//             duplicates (cosine similarity of L2-normalised model embeddings ≥ threshold).
//   groups    with predictions: the mean score of each emotion per group, with a percentile
//             bootstrap CI; with hq.csv: per-group quadratic κ of a model against the
//             experts (the HQ notebook's κ: truncated ratings, labels 0..7, argument order
//             (model, human), nanmean over humans, then over emotions) with a bootstrap CI;
//             per metric the min/max ratio over groups (Aequitas' disparity, flagged when
//             below 0.8); a permutation test per axis.
//
// Random streams (so tests/fixtures/audit_reference.py reproduces every number):
//   - bootstrap of group k (0-based, groups sorted by name) of axis a (0-based in
//     group_axes() order), scores and κ alike: Generator(seed + 1000·a + k); per iteration
//     idx = choice(n_group, n_group); every emotion's mean is taken over the same idx;
//   - permutation test of axis a: Generator(seed + 1000·a) for the scores, Generator(seed +
//     1000·a + 500) for κ; per permutation the group
//     labels are reordered by argsort of random(n) (stable), i.e. labels[argsort(u)];
//     p = (1 + #{T* ≥ T·(1 − 1e−12)}) / (1 + permutations).
//   Statistics: scores T = Σ_e Σ_g n_g (mean_ge − mean_e)² (between-group sum of squares);
//   κ T = max_g κ_g − min_g κ_g.
//
// Thread safety: every function is pure apart from the files it reads and writes; run_audit
// uses options.threads threads internally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "emonet/image_source.h"

namespace emonet::data {

inline constexpr double kAuditNaN = std::numeric_limits<double>::quiet_NaN();

// Spec §2.3's FairFace-style grouping of the ethnicity labels ("Other" for the rest).
std::string fairface_group(const std::string& ethnicity);
// The grouping axes of the per-group analyses, in order: ethnicity, fairface, age, gender.
const std::vector<std::string>& group_axes();

// One image of the dataset (or one planned row of a design).
struct AuditRow {
  ImageItem item;  // empty file for design rows
  std::string ethnicity, age, gender, emotion;
  // The value of a grouping axis ("fairface" maps the ethnicity); "" = missing.
  std::string axis(const std::string& name) const;
};

// DIR (a folder with metadata.csv, or a plain image folder: no demographics),
// metadata.csv, a WebDataset shard folder or .tar (demographics from each sample's JSON).
// Errors name the file, line and field.
std::vector<AuditRow> load_audit_rows(const std::string& input);
// A design.csv (or any metadata.csv): the planned rows.
std::vector<AuditRow> load_design_rows(const std::string& path);

// ---- balance ----------------------------------------------------------------------------

struct LevelCount {
  std::string level;
  double observed = 0, expected = 0;
  double residual = 0;  // (O − E) / √E; NaN when E = 0
};

struct AxisBalance {
  std::string axis;
  std::vector<LevelCount> levels;                          // sorted by level (ages numerically)
  std::size_t missing = 0;                                 // rows with an empty value
  double chi2 = kAuditNaN, df = kAuditNaN, p = kAuditNaN;  // NaN: fewer than 2 levels
};

struct CellCount {
  std::string ethnicity, age, gender, emotion;
  double observed = 0, expected = 0, residual = 0;
};

struct BalanceReport {
  std::string reference;  // "design" or "uniform"
  std::size_t rows = 0;
  std::vector<AxisBalance> axes;  // ethnicity, age, gender, emotion, fairface
  std::vector<CellCount> cells;   // every cell of the reference grid plus unplanned ones
  double cells_chi2 = kAuditNaN, cells_df = kAuditNaN, cells_p = kAuditNaN;
  std::vector<CellCount> largest;     // up to 20 by |residual|, planned cells only
  std::vector<CellCount> unplanned;   // observed cells the design has no row for
  std::size_t rows_without_cell = 0;  // rows missing one of the four labels
};

// Against `design` when non-null, else uniform over the product of the levels seen.
BalanceReport audit_balance(const std::vector<AuditRow>& rows, const std::vector<AuditRow>* design);

// ---- quality ----------------------------------------------------------------------------

struct QualityOptions {
  bool decode = true;
  bool faces = true;       // run the face detector (implies decode)
  std::string face_model;  // empty = the default Haar cascade
  unsigned threads = 0;    // 0 = hardware concurrency
  bool progress = true;
  std::string embeddings;  // an embeddings .npy (or a folder of them) from `emonet embed`
  double near_dup_threshold = 0.95;
};

struct ImageProblem {
  std::string id, problem, detail;  // problem: unreadable | no_face | several_faces
};

struct DuplicatePair {
  std::string a, b;       // image ids, a before b in listing order
  double similarity = 1;  // 1 for exact duplicates
};

struct QualityReport {
  std::size_t images = 0, unreadable = 0, no_face = 0, several_faces = 0;
  bool faces_checked = false, near_checked = false;
  std::vector<ImageProblem> problems;
  std::vector<std::vector<std::string>> exact_groups;  // ids with identical bytes (≥ 2)
  std::vector<DuplicatePair> near_pairs;  // similarity ≥ threshold, not exact; the 10,000
                                          // most similar (ties: listing order)
  std::size_t near_pairs_total = 0;       // before that cap
  std::size_t embedded = 0;               // images with an embedding
  double threshold = 0.95;
};

QualityReport audit_quality(const std::vector<AuditRow>& rows, const QualityOptions& options);

// ---- per-group model behaviour ----------------------------------------------------------

// Per image, the score of each emotion (NaN = not predicted); emotions are the taxonomy's
// 40 in canonical order that the first record carries.
struct ScoreTable {
  std::vector<std::string> emotions;         // display names
  std::vector<std::vector<double>> per_row;  // [row][emotion], aligned with the rows
  std::size_t matched = 0, unmatched = 0;    // records matched / not matching any row
};
// predictions.jsonl in the authors' layout; records are matched to rows by image id, or
// by the longest '/'-suffix of image_path equal to an id. `score`: raw | mean_subtracted |
// softmax. Face records other than face 0 are skipped. Errors name the file, line, field.
ScoreTable load_scores(const std::string& path, const std::vector<AuditRow>& rows,
                       const std::string& score);

struct Interval {
  double value = kAuditNaN, low = kAuditNaN, high = kAuditNaN;
};

struct GroupMetric {
  std::string axis, group, metric;  // metric: an emotion name, or "kappa"
  std::size_t n = 0;
  Interval estimate;
};

struct Disparity {
  std::string axis, metric;
  std::string max_group, min_group;
  double max = kAuditNaN, min = kAuditNaN;
  double ratio = kAuditNaN;  // min / max; NaN when a value is ≤ 0 or undefined
  bool flagged = false;      // ratio < 0.8
};

struct PermutationTest {
  std::string axis, metric;  // metric: "scores" or "kappa"
  double statistic = kAuditNaN, p = kAuditNaN;
  std::size_t permutations = 0, groups = 0;
};

struct GroupOptions {
  std::size_t bootstrap = 1000;
  std::size_t permutations = 999;
  std::uint64_t seed = 42;
  std::size_t min_group = 2;  // smaller groups get no estimate
  double disparity_threshold = 0.8;
};

struct GroupReport {
  std::vector<std::string> emotions;
  std::vector<GroupMetric> metrics;  // scores and kappa, axis by axis
  std::vector<Disparity> disparities;
  std::vector<PermutationTest> permutations;
  std::string kappa_model;  // the rater compared with the experts; empty = no κ
  std::vector<std::string> kappa_humans;
};

GroupReport audit_scores(const std::vector<AuditRow>& rows, const ScoreTable& scores,
                         const GroupOptions& options);

// κ per group of `model` (an annotator of hq.csv, or "emonet" for `predictions` joined in)
// against every human annotator of hq.csv. hq images are matched to rows by file name.
void audit_kappa(const std::vector<AuditRow>& rows, const std::string& hq_csv,
                 const std::string& predictions, const std::string& score, const std::string& model,
                 const GroupOptions& options, GroupReport& report);

// ---- the whole audit --------------------------------------------------------------------

struct AuditOptions {
  std::string input, out;
  // With a model (directory or large / small) and no quality.embeddings: the images are
  // first embedded into OUT/embeddings (the `emonet embed` cache, resumable) and near
  // duplicates are taken from there.
  std::string model;
  int model_threads = 0;
  std::string design, predictions, hq, hq_model;
  std::string score = "raw";
  QualityOptions quality;
  GroupOptions groups;
};

struct AuditResult {
  BalanceReport balance;
  QualityReport quality;
  std::optional<GroupReport> groups;
  std::vector<std::string> files;  // written, in order
};

AuditResult run_audit(const AuditOptions& options);

// Writers (used by run_audit; public for tests).
void write_audit_json(const std::string& path, const AuditOptions& options,
                      const AuditResult& result);
void write_audit_csvs(const std::string& dir, const AuditResult& result,
                      std::vector<std::string>& files);
std::string audit_html(const AuditOptions& options, const AuditResult& result);

}  // namespace emonet::data
