// Binary classification metrics (scikit-learn semantics, zero_division → 0).
#include "emonet/stats/binary_metrics.h"

#include <limits>
#include <string>
#include <vector>

#include "emonet/error.h"
#include "emonet/stats/correlation.h"
#include "emonet/stats/descriptive.h"

namespace emonet::stats {
namespace {

void check_label(int v, std::size_t i, const char* what) {
  if (v != 0 && v != 1) {
    throw Error(std::string(what) + " value " + std::to_string(v) + " at position " +
                std::to_string(i + 1) + " is not a binary label (0 or 1)");
  }
}

double ratio_or_zero(std::int64_t num, std::int64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

BinaryConfusion binary_confusion(std::span<const int> truth, std::span<const int> predicted) {
  if (truth.size() != predicted.size()) {
    throw Error("binary metrics: truth and predictions have different lengths (" +
                std::to_string(truth.size()) + " and " + std::to_string(predicted.size()) + ")");
  }
  BinaryConfusion c;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    check_label(truth[i], i, "truth");
    check_label(predicted[i], i, "prediction");
    if (truth[i] == 1) {
      ++(predicted[i] == 1 ? c.true_positive : c.false_negative);
    } else {
      ++(predicted[i] == 1 ? c.false_positive : c.true_negative);
    }
  }
  return c;
}

double accuracy(const BinaryConfusion& c) {
  if (c.total() == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(c.true_positive + c.true_negative) / static_cast<double>(c.total());
}

double precision(const BinaryConfusion& c) {
  return ratio_or_zero(c.true_positive, c.true_positive + c.false_positive);
}

double recall(const BinaryConfusion& c) {
  return ratio_or_zero(c.true_positive, c.true_positive + c.false_negative);
}

double f1_score(const BinaryConfusion& c) {
  const double p = precision(c), r = recall(c);
  const double denominator = p + r;
  if (denominator == 0.0) return 0.0;
  return 2.0 * p * r / denominator;
}

double roc_auc(std::span<const int> truth, std::span<const double> scores) {
  if (truth.size() != scores.size()) {
    throw Error("roc_auc: truth and scores have different lengths (" +
                std::to_string(truth.size()) + " and " + std::to_string(scores.size()) + ")");
  }
  std::int64_t positives = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    check_label(truth[i], i, "truth");
    positives += truth[i];
  }
  const auto negatives = static_cast<std::int64_t>(truth.size()) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  // AUC = P(score_pos > score_neg) + ½·P(tie): the rank-sum form of the trapezoid.
  const std::vector<double> ranks = rank_average(scores);
  double positive_rank_sum = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] == 1) positive_rank_sum += ranks[i];
  }
  const auto np = static_cast<double>(positives), nn = static_cast<double>(negatives);
  return (positive_rank_sum - np * (np + 1) / 2) / (np * nn);
}

}  // namespace emonet::stats
