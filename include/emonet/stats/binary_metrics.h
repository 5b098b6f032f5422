// Binary classification metrics with scikit-learn 1.2 semantics.
//
// Labels are 0/1 (positive class 1); any other value throws emonet::Error.
// precision/recall/F1 use sklearn's zero_division behaviour: a 0/0 ratio is 0 (sklearn
// warns and returns 0.0). F1 is computed as sklearn does, 2·p·r / (p + r) (0 when
// p + r = 0). roc_auc equals sklearn.metrics.roc_auc_score for binary labels: ties in
// the scores count one half (the trapezoid over the ROC curve); NaN when only one
// class is present in `truth` (sklearn raises ValueError). Pure and thread-safe.
#pragma once

#include <cstdint>
#include <span>

namespace emonet::stats {

struct BinaryConfusion {
  std::int64_t true_positive = 0;
  std::int64_t false_positive = 0;
  std::int64_t true_negative = 0;
  std::int64_t false_negative = 0;
  std::int64_t total() const {
    return true_positive + false_positive + true_negative + false_negative;
  }
};

BinaryConfusion binary_confusion(std::span<const int> truth, std::span<const int> predicted);

double accuracy(const BinaryConfusion& c);   // NaN when total = 0
double precision(const BinaryConfusion& c);  // tp / (tp + fp), 0 when 0/0
double recall(const BinaryConfusion& c);     // tp / (tp + fn), 0 when 0/0
double f1_score(const BinaryConfusion& c);   // 2·p·r / (p + r), 0 when p + r = 0

double roc_auc(std::span<const int> truth, std::span<const double> scores);

}  // namespace emonet::stats
