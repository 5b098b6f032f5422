// The EmoNet-Face HQ benchmark: every analysis of the authors' statistics/analysis-hq.ipynb
// (spec §5.1) on an hq.csv file, optionally with extra model annotators joined from
// prediction JSONL files, reproducing the notebook's numbers to the digit.
//
// Loading (load_hq) applies the notebook's preprocessing: "Hume Face*" values × 7, the
// emotion list is the first row's dict keys without "Extra Dimensions|…", a missing key
// rates 0, duplicate rows of one (annotator, image) are averaged (pandas pivot_table
// mean), images are ordered by name (the pivot's index order) and annotators by first
// appearance in the file.
//
// Analysis (analyze_hq) computes, with the notebook's exact rules (quadratic-weighted
// kappa on astype(int)-truncated ratings with labels 0..7, argument order (model, human),
// nanmean aggregation, NumPy-compatible RNG streams with the notebook's call order):
//   agreement table, summary table, average pairwise kappa matrix, group comparisons
//   (Mann–Whitney + bootstrap CI of the mean difference), the "could be an annotator"
//   test, Krippendorff's interval alpha per emotion with bootstrap CI (+ mean/median
//   rows) and Spearman's rho against the per-image human median with bootstrap CI.
// Where the notebook would crash or print nothing (a model name that fits no group, a
// group with fewer than two values) the result is documented in docs/bench.md.
//
// All functions are pure; analyze_hq may use several threads internally (options.threads)
// but is itself safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace emonet::bench {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct HqAnnotator {
  std::string name;
  bool human = false;
};

// hq.csv after the notebook's preprocessing.
struct HqData {
  std::string source;
  std::vector<HqAnnotator> annotators;     // order of first appearance in the file
  std::vector<std::string> images;         // sorted by name
  std::vector<std::string> emotion_keys;   // "Group|Emotion", first row's key order
  std::vector<std::string> emotion_names;  // display names, same order
  // ratings[(e * annotators + a) * images + i]; NaN = not rated.
  std::vector<double> ratings;
  std::size_t rows = 0;            // data rows read
  std::size_t duplicate_rows = 0;  // rows averaged into an earlier (annotator, image)

  std::size_t num_emotions() const { return emotion_keys.size(); }
  const double* series(std::size_t e, std::size_t a) const {
    return ratings.data() + (e * annotators.size() + a) * images.size();
  }
  double* series(std::size_t e, std::size_t a) {
    return ratings.data() + (e * annotators.size() + a) * images.size();
  }
};

// Reads hq.csv (columns image, annotator, annotations and optionally human). Malformed
// rows, unknown emotion keys, non-finite values and inconsistent `human` flags throw
// emonet::Error naming the file and line.
// `threads` (0 = all cores): big files are parsed in two halves concurrently.
HqData load_hq(const std::string& path, unsigned threads = 0);

// An extra model annotator from a predictions JSONL in the authors' layout
// ({"image_path": ..., "results": {"model_<x>_best": {"raw", "mean_subtracted", ...}}}).
struct HqPredictions {
  std::string path;
  std::string name;                       // annotator name (decides its group, see docs)
  std::string score = "mean_subtracted";  // "raw" or "mean_subtracted"
};

// Joins predictions as a model annotator, matching images by file name (the part after
// the last '/'). Every HQ image must be predicted unless allow_missing (then missing ones
// are NaN, like a model's missing rows in hq.csv). Lines in the `emonet eval vlm` layout
// ({"image_path", "status", "annotations": {"Group|Emotion": 0-7}}) are read too: images
// whose status is not "ok" and emotions absent from "annotations" are NaN. Throws emonet::Error on
// malformed lines, duplicate images, a name already in use or missing images.
void join_predictions(HqData& data, const HqPredictions& predictions, bool allow_missing = false);

struct HqOptions {
  std::size_t bootstrap = 1000;  // resamples per CI
  std::uint64_t seed = 42;       // every default_rng of the notebook
  unsigned threads = 0;          // 0 = hardware concurrency
};

// The notebook's group names, in its order.
const std::vector<std::string>& hq_group_order();
// Group of an annotator by the notebook's name rules; "" when none applies.
std::string hq_group_of(const HqAnnotator& annotator);

struct AgreementRow {
  std::string annotator;
  bool human = false;
  std::string group;
  std::vector<double> per_emotion;  // mean kappa vs humans, emotion order of HqData
  double average = kNaN;            // mean over emotions (NaN skipped)
};

struct SummaryRow {
  std::string annotator;
  double mean = kNaN, std = kNaN, median = kNaN;
  std::string top_emotion;  // display name; empty when every value is NaN
  double top_value = kNaN;
};

struct PairwiseMatrix {
  std::vector<std::string> annotators;  // humans sorted by name, then models sorted
  std::vector<double> values;           // row-major, NaN where no pair was computed
};

struct GroupComparison {
  std::string group1, group2;
  std::size_t n1 = 0, n2 = 0;
  double u = kNaN, p = kNaN, mean_difference = kNaN, ci_low = kNaN, ci_high = kNaN;
};

struct AnnotatorTest {
  std::string annotator;
  bool human = false;
  std::size_t n_self = 0, n_reference = 0;
  double mean_difference = kNaN, ci_low = kNaN, ci_high = kNaN, p = kNaN;
  bool could_be_annotator = false;
};

struct AlphaRow {
  std::string emotion;  // display name, or "mean" / "median"
  double alpha = kNaN, ci_low = kNaN, ci_high = kNaN;
  std::size_t annotators = 0, images = 0;  // 0 for the mean/median rows
};

struct SpearmanRow {
  std::string model;
  std::string group;
  double mean_rho = kNaN, ci_low = kNaN, ci_high = kNaN;
  std::size_t emotions = 0;  // emotions with a defined rho
};

struct HqReport {
  std::string source;
  std::size_t images = 0, humans = 0, models = 0, rows = 0, duplicate_rows = 0;
  std::size_t bootstrap = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> emotions;    // display names, HqData order
  std::vector<AgreementRow> agreement;  // sorted by average, descending
  std::vector<SummaryRow> summary;      // sorted by mean, descending
  PairwiseMatrix pairwise;
  std::vector<GroupComparison> groups;         // group pairs in the notebook's order
  std::vector<AnnotatorTest> annotator_tests;  // sorted by mean difference, descending
  std::vector<AlphaRow> alpha;                 // sorted by alpha, descending (incl. mean/median)
  std::vector<SpearmanRow> spearman;           // sorted by mean rho, descending
  // Per model (spearman order) and emotion: rho, NaN where undefined.
  std::vector<std::vector<double>> spearman_per_emotion;
};

HqReport analyze_hq(const HqData& data, const HqOptions& options = {});

// Renderings. Markdown: every table with 4 decimals. write_hq_outputs: DIR/<table>.csv and
// DIR/<table>.json with full precision (shortest round-trip decimals) and DIR/report.html
// (self-contained, inline SVG charts).
std::string hq_markdown(const HqReport& report);
// Every table in one JSON object (the --format json view), keyed by table name.
std::string hq_json(const HqReport& report);
void write_hq_outputs(const HqReport& report, const std::string& dir);
std::string hq_report_html(const HqReport& report);

}  // namespace emonet::bench
