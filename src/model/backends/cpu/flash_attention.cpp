// Dispatch, threading and the portable scalar kernel of the fused attention.
#include "model/backends/cpu/flash_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "model/backends/cpu/cpu_context.h"

namespace emonet::model::cpu {

namespace {

constexpr std::int64_t kKeyBlock = 64;  // keys per online-softmax step

inline float bf16_to_float(std::uint16_t h) {
  const std::uint32_t u = std::uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline float load(const void* base, std::int64_t i, bool bf16) {
  return !bf16 ? static_cast<const float*>(base)[i]
               : bf16_to_float(static_cast<const std::uint16_t*>(base)[i]);
}

inline void store(void* base, std::int64_t i, float x, bool bf16) {
  if (!bf16)
    static_cast<float*>(base)[i] = x;
  else
    static_cast<std::uint16_t*>(base)[i] = float_to_bf16(x);
}

}  // namespace

namespace detail {

std::int64_t flash_scratch_floats(const FlashAttentionArgs& a) {
  const std::int64_t nkp = (a.nk + 15) / 16 * 16, dp = (a.head_dim + 15) / 16 * 16;
  const std::int64_t nkb =  // K^T goes in whole blocks of keys
      (a.nk + kFlashKeysPerBlock - 1) / kFlashKeysPerBlock * kFlashKeysPerBlock;
  // K^T [d, nkb], V [nkp, dp], then 4 query rows, 4 accumulators, 4 rows of probabilities.
  return a.head_dim * nkb + nkp * dp + 4 * dp + 4 * dp + 4 * std::max(kKeyBlock, kFlashSoftmaxKeys);
}

// One query row at a time: scores of a key block, running max m and sum l, output
// accumulator rescaled by exp(m_old - m_new) whenever the max grows.
void flash_head_scalar(const FlashAttentionArgs& a, std::int64_t b, std::int64_t h,
                       float* scratch) {
  const std::int64_t d = a.head_dim, nk = a.nk;
  const float scale = 1.f / std::sqrt(float(d));
  float* q = scratch;
  float* acc = q + d;
  float* p = acc + d;
  const std::int64_t kbase = b * a.kv_batch_stride + h * d;
  for (std::int64_t i = 0; i < a.nq; ++i) {
    const std::int64_t qbase = b * a.q_batch_stride + i * a.q_ld + h * d;
    for (std::int64_t c = 0; c < d; ++c) q[c] = load(a.q, qbase + c, a.bf16) * scale;
    std::fill(acc, acc + d, 0.f);
    float m = -std::numeric_limits<float>::infinity(), l = 0;
    for (std::int64_t j0 = 0; j0 < nk; j0 += kKeyBlock) {
      const std::int64_t n = std::min(kKeyBlock, nk - j0);
      float block_max = -std::numeric_limits<float>::infinity();
      for (std::int64_t j = 0; j < n; ++j) {
        const std::int64_t row = kbase + (j0 + j) * a.kv_ld;
        float s = 0;
        for (std::int64_t c = 0; c < d; ++c) s += q[c] * load(a.k, row + c, a.bf16);
        p[j] = s;
        block_max = std::max(block_max, s);
      }
      const float m_new = std::max(m, block_max);
      const float correction = std::exp(m - m_new);
      l *= correction;
      for (std::int64_t c = 0; c < d; ++c) acc[c] *= correction;
      for (std::int64_t j = 0; j < n; ++j) {
        const float e = std::exp(p[j] - m_new);
        l += e;
        const std::int64_t row = kbase + (j0 + j) * a.kv_ld;
        for (std::int64_t c = 0; c < d; ++c) acc[c] += e * load(a.v, row + c, a.bf16);
      }
      m = m_new;
    }
    const std::int64_t obase = b * a.out_batch_stride + i * a.out_ld + h * d;
    for (std::int64_t c = 0; c < d; ++c) store(a.out, obase + c, acc[c] / l, a.bf16);
  }
}

}  // namespace detail

bool flash_attention_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return has;
}

bool flash_attention_has_avx512_bf16() {
  static const bool has = flash_attention_has_avx512() && __builtin_cpu_supports("avx512bf16");
  return has;
}

void flash_attention(const FlashAttentionArgs& a, FlashKernel kernel) {
  if (kernel == FlashKernel::avx512 && !flash_attention_has_avx512())
    throw std::invalid_argument("this CPU has no AVX-512 for the fused attention kernel");
  if (kernel == FlashKernel::avx512_bf16 && !flash_attention_has_avx512_bf16())
    throw std::invalid_argument("this CPU has no AVX-512-BF16 for the fused attention kernel");
  if (a.nq <= 0 || a.nk <= 0 || a.batch <= 0) return;
  if (kernel == FlashKernel::automatic)
    kernel = flash_attention_has_avx512_bf16() ? FlashKernel::avx512_bf16
             : flash_attention_has_avx512()    ? FlashKernel::avx512
                                               : FlashKernel::scalar;
  const bool vector = kernel != FlashKernel::scalar;
  const bool dot_bf16 = kernel == FlashKernel::avx512_bf16;
  const std::int64_t scratch_floats = detail::flash_scratch_floats(a);
#pragma omp parallel
  {
    // Per thread: this (image, head)'s K^T and V widened to f32, a few rows of state.
    std::vector<float> scratch(std::size_t(scratch_floats) + 16);
    float* s =
        scratch.data() + (16 - reinterpret_cast<std::uintptr_t>(scratch.data()) / 4 % 16) % 16;
#pragma omp for collapse(2) schedule(static)
    for (std::int64_t b = 0; b < a.batch; ++b)
      for (std::int64_t h = 0; h < a.heads; ++h) {
        if (vector)
          detail::flash_head_avx512(a, b, h, s, dot_bf16);
        else
          detail::flash_head_scalar(a, b, h, s);
      }
  }
}

}  // namespace emonet::model::cpu
