#include "model/backends/cpu/layer_norm.h"

#include <cmath>

namespace emonet::model::cpu {

namespace {

// One row in two passes over L1-resident data (statistics, then the normalised output,
// optionally rounded to bf16). Cloned for AVX-512 and chosen at load time (ifunc): the
// library is otherwise built for baseline x86-64, where this would run 2 lanes wide.
// The sums are double (8 lanes on AVX-512); `omp simd` lets them be reassociated.
__attribute__((target_clones("avx512f", "default"))) void norm_row(const float* row,
                                                                   std::int64_t width,
                                                                   const float* g, const float* b,
                                                                   float eps, float* out_f32,
                                                                   std::uint16_t* out_bf16) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < width; ++i) sum += row[i];
  const double mean = sum / double(width);
  double sq = 0;
#pragma omp simd reduction(+ : sq)
  for (std::int64_t i = 0; i < width; ++i) sq += (row[i] - mean) * (row[i] - mean);
  const float m = float(mean);
  const float inv = float(1.0 / std::sqrt(sq / double(width) + double(eps)));
  if (out_f32) {
#pragma omp simd
    for (std::int64_t i = 0; i < width; ++i) out_f32[i] = (row[i] - m) * inv * g[i] + b[i];
  } else {
#pragma omp simd
    for (std::int64_t i = 0; i < width; ++i)
      out_bf16[i] = float_to_bf16((row[i] - m) * inv * g[i] + b[i]);
  }
}

}  // namespace

void layer_norm(const LayerNormParams& p, const float* x, std::int64_t rows, void* y, DType out) {
  const std::int64_t width = std::int64_t(p.gamma.size());
  const float* g = p.gamma.data();
  const float* b = p.beta.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    if (out == DType::f32)
      norm_row(x + r * width, width, g, b, p.eps, static_cast<float*>(y) + r * width, nullptr);
    else
      norm_row(x + r * width, width, g, b, p.eps, nullptr,
               static_cast<std::uint16_t*>(y) + r * width);
  }
}

}  // namespace emonet::model::cpu
