#include "model/scores.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace emonet::model {

void l2_normalise(const float* a, std::size_t n, float* out) {
  double sq = 0;
  for (std::size_t i = 0; i < n; ++i) sq += double(a[i]) * double(a[i]);
  // numpy computes the norm in float32 and divides float32 by it; so do we.
  float norm = float(std::sqrt(sq));
  if (norm == 0.f) norm = 1.f;
  norm = std::max(norm, std::numeric_limits<float>::min());
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] / norm;
}

std::vector<HeadScore> score_heads(std::span<const Category* const> categories,
                                   std::span<const double> neutral_means,
                                   std::span<const float> raw) {
  std::vector<HeadScore> scores(categories.size());
  double top = -std::numeric_limits<double>::infinity();
  for (std::size_t h = 0; h < categories.size(); ++h) {
    auto& s = scores[h];
    s.category = categories[h];
    s.raw = raw[h];
    s.mean_subtracted = double(raw[h]) - neutral_means[h];
    if (!s.category->is_extra()) top = std::max(top, s.mean_subtracted);
  }
  double sum = 0;
  for (auto& s : scores)
    if (!s.category->is_extra()) sum += std::exp(s.mean_subtracted - top);
  for (auto& s : scores)
    if (!s.category->is_extra()) s.softmax = std::exp(s.mean_subtracted - top) / sum;
  return scores;
}

}  // namespace emonet::model
