// Cohen's kappa (scikit-learn `cohen_kappa_score` semantics) and Fleiss' kappa.
//
// cohen_kappa reproduces sklearn 1.2 exactly, including its floating-point operation
// order, so results are bit-identical to
//   sklearn.metrics.cohen_kappa_score(first, second, labels=..., weights=...):
// - Label set: the explicit `labels` (in the given order) or, without them, the sorted
//   union of the values seen in either rater.
// - With labels, every item where either value is not in the label set is dropped
//   silently. If `first` (sklearn's y1 / y_true) shares no value with the labels sklearn
//   raises ValueError; here the result is Status::rejected. (The notebook's try/except
//   turns that into NaN, so the argument order matters: keep the authors' order.)
// - Weights are built from label *indices* (not values): none 1 − [i == j], linear
//   |i − j|, quadratic (i − j)².
// - O = confusion counts (int64), E[i][j] = colsum(O)[i] · rowsum(O)[j] / Σ O (float64),
//   κ = 1 − Σ W·O / Σ W·E, the sums in NumPy's pairwise order over the flattened
//   label × label matrix. A zero denominator (e.g. both raters constant, or no item left)
//   gives Status::undefined, as sklearn returns NaN.
// - Kappa is not bitwise symmetric: swapping the raters may change the last bit.
// Inputs of different lengths throw emonet::Error (sklearn raises too). Pure, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "emonet/stats/estimate.h"
#include "emonet/stats/matrix.h"

namespace emonet::stats {

enum class KappaWeights { none, linear, quadratic };

// "none" | "linear" | "quadratic" (throws emonet::Error listing the choices otherwise).
KappaWeights parse_kappa_weights(const std::string& name);
const char* to_string(KappaWeights weights);

// Labels inferred from the data (sorted union of both raters' values).
Estimate cohen_kappa(std::span<const std::int64_t> first, std::span<const std::int64_t> second,
                     KappaWeights weights = KappaWeights::none);

// Explicit label set (order defines the weight indices, as in sklearn). An empty label
// list is rejected (sklearn: "'labels' should contains at least one label").
Estimate cohen_kappa(std::span<const std::int64_t> first, std::span<const std::int64_t> second,
                     KappaWeights weights, std::span<const std::int64_t> labels);

// Fleiss' kappa from a subjects × categories table of counts (statsmodels
// `fleiss_kappa(table, method='fleiss')`): every subject must have the same total
// number of ratings, else emonet::Error. Undefined (NaN) when the chance agreement is 1
// (every rating in one category) or when there is only one rating per subject.
Estimate fleiss_kappa(const Matrix& counts);

// Helper: subjects × categories count table from a subjects × raters matrix of category
// values (NaN = missing), categories = the sorted distinct values; returns the table and
// fills `categories` when non-null (statsmodels `aggregate_raters`).
Matrix aggregate_raters(const Matrix& subjects_by_raters,
                        std::vector<double>* categories = nullptr);

}  // namespace emonet::stats
