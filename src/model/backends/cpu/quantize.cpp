#include "model/backends/cpu/quantize.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace emonet::model::cpu {

namespace {

inline std::int8_t code(float x, float inv_scale) {
  // nearbyint rounds half to even in the default mode, like oneDNN's own quantisation.
  const float r = std::nearbyint(x * inv_scale);
  return std::int8_t(std::clamp(r, -127.f, 127.f));
}

// The per-chunk loops, cloned for AVX-512 and chosen at load time (ifunc): the library
// is otherwise built for baseline x86-64, where they would run 4 lanes wide. They sit
// outside the OpenMP regions because GCC does not carry target_clones into the outlined
// parallel bodies.
__attribute__((target_clones("avx512f", "default"))) float chunk_max_f32(const float* x,
                                                                         std::size_t n) {
  float m = 0;
#pragma omp simd reduction(max : m)
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

// |bf16| is the bit pattern without its sign, and its f32 value keeps the order.
__attribute__((target_clones("avx512f", "default"))) std::uint32_t chunk_max_bf16(
    const std::uint16_t* x, std::size_t n) {
  std::uint32_t m = 0;
#pragma omp simd reduction(max : m)
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::uint32_t(x[i] & 0x7fffu));
  return m;
}

__attribute__((target_clones("avx512f", "default"))) void chunk_code_f32(const float* x,
                                                                         std::size_t n, float inv,
                                                                         std::int8_t* dst) {
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i) dst[i] = code(x[i], inv);
}

__attribute__((target_clones("avx512f", "default"))) void chunk_code_bf16(const std::uint16_t* x,
                                                                          std::size_t n, float inv,
                                                                          std::int8_t* dst) {
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i) dst[i] = code(bf16_to_float(x[i]), inv);
}

// Runs f(begin, count) over [0, n) in one static chunk per OpenMP thread.
template <class F>
void for_chunks(std::size_t n, F&& f) {
#pragma omp parallel
  {
    const std::size_t t = std::size_t(omp_get_thread_num());
    const std::size_t T = std::size_t(omp_get_num_threads());
    const std::size_t begin = n * t / T, end = n * (t + 1) / T;
    if (end > begin) f(begin, end - begin);
  }
}

}  // namespace

float max_abs(const void* src, DType t, std::size_t n) {
  std::vector<float> partial(std::size_t(omp_get_max_threads()), 0.f);
  for_chunks(n, [&](std::size_t begin, std::size_t count) {
    const std::size_t slot = std::size_t(omp_get_thread_num());
    partial[slot] = t == DType::f32 ? chunk_max_f32(static_cast<const float*>(src) + begin, count)
                                    : bf16_to_float(std::uint16_t(chunk_max_bf16(
                                          static_cast<const std::uint16_t*>(src) + begin, count)));
  });
  return *std::max_element(partial.begin(), partial.end());
}

float quantize_s8(const void* src, DType t, std::size_t n, std::int8_t* dst) {
  const float m = max_abs(src, t, n);
  const float scale = m > 0 && std::isfinite(m) ? m / 127.f : 1.f;
  const float inv = 1.f / scale;
  for_chunks(n, [&](std::size_t begin, std::size_t count) {
    if (t == DType::f32)
      chunk_code_f32(static_cast<const float*>(src) + begin, count, inv, dst + begin);
    else
      chunk_code_bf16(static_cast<const std::uint16_t*>(src) + begin, count, inv, dst + begin);
  });
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
