// Cohen's kappa with scikit-learn 1.2's cohen_kappa_score semantics and operation order.
#include <algorithm>
#include <string>
#include <unordered_map>

#include "emonet/error.h"
#include "emonet/stats/descriptive.h"
#include "emonet/stats/kappa.h"

namespace emonet::stats {

KappaWeights parse_kappa_weights(const std::string& name) {
  if (name == "none") return KappaWeights::none;
  if (name == "linear") return KappaWeights::linear;
  if (name == "quadratic") return KappaWeights::quadratic;
  throw Error("unknown kappa weights '" + name + "' (expected none, linear or quadratic)");
}

const char* to_string(KappaWeights weights) {
  switch (weights) {
    case KappaWeights::none:
      return "none";
    case KappaWeights::linear:
      return "linear";
    case KappaWeights::quadratic:
      return "quadratic";
  }
  return "unknown";
}

namespace {

void check_lengths(std::size_t a, std::size_t b) {
  if (a != b) {
    throw Error("cohen_kappa: the raters have different numbers of items (" + std::to_string(a) +
                " and " + std::to_string(b) + ")");
  }
}

// κ from label indices (−1 = not in the label set) over k labels.
Estimate kappa_from_indices(const std::vector<int>& first, const std::vector<int>& second,
                            std::size_t k, KappaWeights weights) {
  // Confusion counts (int64 in sklearn), rows = first rater, columns = second.
  std::vector<std::int64_t> confusion(k * k, 0);
  for (std::size_t i = 0; i < first.size(); ++i) {
    if (first[i] < 0 || second[i] < 0) continue;  // outside the labels: dropped
    ++confusion[static_cast<std::size_t>(first[i]) * k + static_cast<std::size_t>(second[i])];
  }
  std::vector<std::int64_t> col_sum(k, 0), row_sum(k, 0);
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      col_sum[j] += confusion[i * k + j];
      row_sum[i] += confusion[i * k + j];
    }
  }
  std::int64_t total = 0;
  for (auto s : col_sum) total += s;

  auto weight = [weights](std::size_t i, std::size_t j) -> std::int64_t {
    const auto d = static_cast<std::int64_t>(i) - static_cast<std::int64_t>(j);
    switch (weights) {
      case KappaWeights::none:
        return i == j ? 0 : 1;
      case KappaWeights::linear:
        return d < 0 ? -d : d;
      case KappaWeights::quadratic:
        return d * d;
    }
    return 0;
  };

  // Numerator: integer (exact) as in sklearn, where W and O are both int64.
  std::int64_t observed = 0;
  // Denominator: E = outer(colsum, rowsum) / total in float64, then W·E summed with
  // NumPy's pairwise order over the flattened matrix.
  std::vector<double> weighted_expected(k * k);
  const auto total_d = static_cast<double>(total);
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      const std::int64_t w = weight(i, j);
      observed += w * confusion[i * k + j];
      const double expected = static_cast<double>(col_sum[i] * row_sum[j]) / total_d;
      weighted_expected[i * k + j] = static_cast<double>(w) * expected;
    }
  }
  const double expected_sum = numpy_sum(weighted_expected);
  if (total == 0) return Estimate::undefined_because("no item has both values in the label set");
  if (expected_sum == 0.0) {
    return Estimate::undefined_because("expected disagreement is zero (e.g. both raters constant)");
  }
  return Estimate::of(1.0 - static_cast<double>(observed) / expected_sum);
}

}  // namespace

Estimate cohen_kappa(std::span<const std::int64_t> first, std::span<const std::int64_t> second,
                     KappaWeights weights) {
  check_lengths(first.size(), second.size());
  std::vector<std::int64_t> labels(first.begin(), first.end());
  labels.insert(labels.end(), second.begin(), second.end());
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (labels.empty()) {
    // sklearn's unique_labels/type_of_target cannot classify empty input and raises.
    return Estimate::rejected_because("no ratings");
  }
  return cohen_kappa(first, second, weights, labels);
}

Estimate cohen_kappa(std::span<const std::int64_t> first, std::span<const std::int64_t> second,
                     KappaWeights weights, std::span<const std::int64_t> labels) {
  check_lengths(first.size(), second.size());
  if (labels.empty()) return Estimate::rejected_because("the label list is empty");
  const std::size_t k = labels.size();

  // Fast path for the common label set 0..k-1 (a table lookup instead of a hash map).
  bool consecutive = true;
  for (std::size_t i = 0; i < k; ++i) consecutive &= labels[i] == static_cast<std::int64_t>(i);
  std::unordered_map<std::int64_t, int> index_of;
  if (!consecutive) {
    // sklearn builds {label: index} with later duplicates overwriting earlier ones.
    for (std::size_t i = 0; i < k; ++i) index_of[labels[i]] = static_cast<int>(i);
  }
  auto to_index = [&](std::int64_t v) -> int {
    if (consecutive) return (v >= 0 && v < static_cast<std::int64_t>(k)) ? static_cast<int>(v) : -1;
    auto it = index_of.find(v);
    return it == index_of.end() ? -1 : it->second;
  };

  if (first.empty()) {
    // sklearn returns an all-zero confusion matrix for empty input with labels: 0/0.
    return Estimate::undefined_because("no items");
  }
  std::vector<int> a(first.size()), b(second.size());
  bool first_has_label = false;
  for (std::size_t i = 0; i < first.size(); ++i) {
    a[i] = to_index(first[i]);
    b[i] = to_index(second[i]);
    first_has_label |= a[i] >= 0;
  }
  if (!first_has_label) {
    return Estimate::rejected_because("at least one label specified must be in the first rater");
  }
  return kappa_from_indices(a, b, k, weights);
}

}  // namespace emonet::stats
