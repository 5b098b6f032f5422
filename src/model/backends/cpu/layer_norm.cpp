#include "model/backends/cpu/layer_norm.h"

#include <cmath>

namespace emonet::model::cpu {

void layer_norm(const LayerNormParams& p, const float* x, std::int64_t rows, void* y, DType out) {
  const std::int64_t width = std::int64_t(p.gamma.size());
  const float* g = p.gamma.data();
  const float* b = p.beta.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * width;
    double sum = 0;
    for (std::int64_t i = 0; i < width; ++i) sum += row[i];
    const double mean = sum / double(width);
    double sq = 0;
    for (std::int64_t i = 0; i < width; ++i) sq += (row[i] - mean) * (row[i] - mean);
    const float m = float(mean);
    const float inv = float(1.0 / std::sqrt(sq / double(width) + double(p.eps)));
    if (out == DType::f32) {
      float* dst = static_cast<float*>(y) + r * width;
      for (std::int64_t i = 0; i < width; ++i) dst[i] = (row[i] - m) * inv * g[i] + b[i];
    } else {
      std::uint16_t* dst = static_cast<std::uint16_t*>(y) + r * width;
      for (std::int64_t i = 0; i < width; ++i)
        dst[i] = float_to_bf16((row[i] - m) * inv * g[i] + b[i]);
    }
  }
}

}  // namespace emonet::model::cpu
