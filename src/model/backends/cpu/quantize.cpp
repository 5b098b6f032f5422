#include "model/backends/cpu/quantize.h"

#include <algorithm>
#include <cmath>

namespace emonet::model::cpu {

namespace {

inline std::int8_t code(float x, float inv_scale) {
  // nearbyint rounds half to even in the default mode, like oneDNN's own quantisation.
  const float r = std::nearbyint(x * inv_scale);
  return std::int8_t(std::clamp(r, -127.f, 127.f));
}

}  // namespace

float max_abs(const void* src, DType t, std::size_t n) {
  float m = 0;
  if (t == DType::f32) {
    const float* x = static_cast<const float*>(src);
#pragma omp parallel for simd reduction(max : m) schedule(static)
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  } else {
    // |bf16| is the bit pattern without its sign; its f32 value keeps the order.
    const std::uint16_t* x = static_cast<const std::uint16_t*>(src);
    std::uint16_t bits = 0;
#pragma omp parallel for simd reduction(max : bits) schedule(static)
    for (std::size_t i = 0; i < n; ++i) bits = std::max(bits, std::uint16_t(x[i] & 0x7fffu));
    m = bf16_to_float(bits);
  }
  return m;
}

float quantize_s8(const void* src, DType t, std::size_t n, std::int8_t* dst) {
  const float m = max_abs(src, t, n);
  const float scale = m > 0 && std::isfinite(m) ? m / 127.f : 1.f;
  const float inv = 1.f / scale;
  if (t == DType::f32) {
    const float* x = static_cast<const float*>(src);
#pragma omp parallel for simd schedule(static)
    for (std::size_t i = 0; i < n; ++i) dst[i] = code(x[i], inv);
  } else {
    const std::uint16_t* x = static_cast<const std::uint16_t*>(src);
#pragma omp parallel for simd schedule(static)
    for (std::size_t i = 0; i < n; ++i) dst[i] = code(bf16_to_float(x[i]), inv);
  }
  return scale;
}

void quantize_weights_per_channel(const float* weight, std::int64_t out, std::int64_t in,
                                  std::int8_t* q, float* scales) {
#pragma omp parallel for schedule(static)
  for (std::int64_t o = 0; o < out; ++o) {
    const float* row = weight + o * in;
    float m = 0;
    for (std::int64_t i = 0; i < in; ++i) m = std::max(m, std::fabs(row[i]));
    const float scale = m > 0 ? m / 127.f : 1.f;
    const float inv = 1.f / scale;
    for (std::int64_t i = 0; i < in; ++i) q[o * in + i] = code(row[i], inv);
    scales[o] = scale;
  }
}

}  // namespace emonet::model::cpu
