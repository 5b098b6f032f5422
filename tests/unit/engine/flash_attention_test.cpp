// The fused attention kernels (scalar and AVX-512) against PyTorch on random inputs
// (tests/fixtures/attention_fixtures.py: batch > 1, head sizes and token counts off the
// 16-lane grid, the one-query MAP shape) and against the unfused oneDNN path
// (cpu::Attention) on the tower's packed, strided QKV layout, in f32 and bf16.
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "emonet/npy.h"
#include "model/backends/cpu/attention.h"
#include "model/backends/cpu/flash_attention.h"

namespace emonet::model::cpu {
namespace {

const std::string kDir = EMONET_ATTENTION_FIXTURES;
const char* kCases[] = {"b1_h4_d16_q16_k16",  "b3_h3_d20_q37_k37", "b2_h2_d72_q1_k130",
                        "b2_h16_d72_q70_k70", "b1_h2_d72_q6_k577", "b2_h3_d19_q9_k83",
                        "b1_h2_d1_q5_k20"};

std::vector<FlashKernel> kernels() {
  std::vector<FlashKernel> k = {FlashKernel::scalar, FlashKernel::automatic};
  if (flash_attention_has_avx512()) k.push_back(FlashKernel::avx512);
  if (flash_attention_has_avx512_bf16()) k.push_back(FlashKernel::avx512_bf16);
  return k;
}

std::vector<std::uint16_t> to_bf16(const std::vector<float>& x) {
  std::vector<std::uint16_t> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = float_to_bf16(x[i]);
  return out;
}
float from_bf16(std::uint16_t h) {
  const std::uint32_t u = std::uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

struct Case {
  NpyArray q, k, v, out, out_bf16;
  std::int64_t batch = 0, heads = 0, d = 0, nq = 0, nk = 0;
};

Case load_case(const std::string& name) {
  Case c;
  c.q = read_npy(kDir + "/" + name + "_q.npy");
  c.k = read_npy(kDir + "/" + name + "_k.npy");
  c.v = read_npy(kDir + "/" + name + "_v.npy");
  c.out = read_npy(kDir + "/" + name + "_out.npy");
  c.out_bf16 = read_npy(kDir + "/" + name + "_out_bf16.npy");
  long b, h, d, q, k;
  EXPECT_EQ(std::sscanf(name.c_str(), "b%ld_h%ld_d%ld_q%ld_k%ld", &b, &h, &d, &q, &k), 5);
  c.batch = b, c.heads = h, c.d = d, c.nq = q, c.nk = k;
  return c;
}

FlashAttentionArgs dense_args(const Case& c, const void* q, const void* k, const void* v, void* out,
                              bool bf16) {
  const std::int64_t hd = c.heads * c.d;
  FlashAttentionArgs a;
  a.batch = c.batch, a.heads = c.heads, a.head_dim = c.d, a.nq = c.nq, a.nk = c.nk;
  a.q = q, a.q_ld = hd, a.q_batch_stride = c.nq * hd;
  a.k = k, a.v = v, a.kv_ld = hd, a.kv_batch_stride = c.nk * hd;
  a.out = out, a.out_ld = hd, a.out_batch_stride = c.nq * hd;
  a.bf16 = bf16;
  return a;
}

TEST(FlashAttention, Fp32MatchesPyTorch) {
  for (const char* name : kCases) {
    const auto c = load_case(name);
    for (auto kernel : kernels()) {
      std::vector<float> out(c.out.data.size(), NAN);
      flash_attention(
          dense_args(c, c.q.data.data(), c.k.data.data(), c.v.data.data(), out.data(), false),
          kernel);
      for (std::size_t i = 0; i < out.size(); ++i)
        ASSERT_NEAR(out[i], c.out.data[i], 2e-5) << name << " kernel " << int(kernel) << " " << i;
    }
  }
}

TEST(FlashAttention, Bf16MatchesPyTorchOnTheRoundedInputs) {
  for (const char* name : kCases) {
    const auto c = load_case(name);
    const auto q = to_bf16(c.q.data), k = to_bf16(c.k.data), v = to_bf16(c.v.data);
    float v_max = 0;
    for (auto x : v) v_max = std::max(v_max, std::fabs(from_bf16(x)));
    for (auto kernel : kernels()) {
      std::vector<std::uint16_t> out(c.out.data.size());
      flash_attention(dense_args(c, q.data(), k.data(), v.data(), out.data(), true), kernel);
      // f32 accumulation: the bf16 rounding of the output (2^-9 relative) remains. The
      // AVX-512-BF16 kernel also rounds each probability to bf16 before P.V, which moves
      // sum_j p_j v_j by at most 2^-9 sum_j p_j |v_j| <= 2^-9 max|v| (the p_j sum to 1).
      const bool p_in_bf16 =
          kernel == FlashKernel::avx512_bf16 ||
          (kernel == FlashKernel::automatic && flash_attention_has_avx512_bf16());
      const double p_bound = p_in_bf16 ? v_max / 512 : 0;
      for (std::size_t i = 0; i < out.size(); ++i) {
        const float ref = c.out_bf16.data[i];
        ASSERT_NEAR(from_bf16(out[i]), ref, 1e-5 + std::fabs(ref) / 256 + p_bound)
            << name << " kernel " << int(kernel) << " " << i;
      }
    }
  }
}

// The tower's layout: each image's rows are [N, 3 * heads * d] with Q, K, V side by side.
void compare_with_unfused(DType type, double tol) {
  // 300 tokens: not a whole number of 64-key blocks or 16-key vectors.
  const std::int64_t batch = 2, heads = 4, d = 24, n = 300, D = heads * d;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 1.5f);
  std::vector<float> qkv(std::size_t(batch * n * 3 * D));
  for (auto& x : qkv) x = normal(rng);
  const bool bf16 = type == DType::bf16;
  const std::size_t es = bf16 ? 2 : 4;
  std::vector<char> in(qkv.size() * es), fused(std::size_t(batch * n * D) * es),
      unfused(fused.size());
  if (bf16)
    convert_to_bf16(qkv.data(), reinterpret_cast<std::uint16_t*>(in.data()), qkv.size());
  else
    std::memcpy(in.data(), qkv.data(), in.size());

  CpuContext ctx;
  Attention reference(ctx, heads, d, type);
  for (std::int64_t b = 0; b < batch; ++b) {
    const char* base = in.data() + std::size_t(b * n * 3 * D) * es;
    reference.run(n, n, base, 3 * D, base + D * es, base + 2 * D * es, 3 * D,
                  unfused.data() + std::size_t(b * n * D) * es);
  }
  auto value = [&](const std::vector<char>& buf, std::size_t i) {
    return bf16 ? from_bf16(reinterpret_cast<const std::uint16_t*>(buf.data())[i])
                : reinterpret_cast<const float*>(buf.data())[i];
  };
  for (auto kernel : kernels()) {
    FlashAttentionArgs a;
    a.batch = batch, a.heads = heads, a.head_dim = d, a.nq = n, a.nk = n;
    a.q = in.data(), a.q_ld = 3 * D, a.q_batch_stride = n * 3 * D;
    a.k = in.data() + D * es, a.v = in.data() + 2 * D * es, a.kv_ld = 3 * D;
    a.kv_batch_stride = n * 3 * D;
    a.out = fused.data(), a.out_ld = D, a.out_batch_stride = n * D;
    a.bf16 = bf16;
    flash_attention(a, kernel);
    for (std::size_t i = 0; i < std::size_t(batch * n * D); ++i)
      // Plus one bf16 step of the output: two f32 results a hair apart can round to
      // neighbouring bf16 values.
      ASSERT_NEAR(value(fused, i), value(unfused, i),
                  tol + (bf16 ? std::fabs(value(unfused, i)) / 128 : 0.0))
          << "kernel " << int(kernel) << " " << i;
  }
}

TEST(FlashAttention, Fp32MatchesTheUnfusedOnednnPath) {
  compare_with_unfused(DType::f32, 2e-5);
}

TEST(FlashAttention, Bf16MatchesTheUnfusedOnednnPath) {
  // The unfused path rounds the probabilities to bf16 before ·V; the fused one keeps them
  // f32, so the two differ by a few bf16 steps of the output.
  compare_with_unfused(DType::bf16, 3e-2);
}

TEST(FlashAttention, ForcingAKernelTheCpuLacksIsAnError) {
  if (flash_attention_has_avx512_bf16()) GTEST_SKIP() << "this CPU runs every kernel";
  FlashAttentionArgs a;
  EXPECT_THROW(flash_attention(a, FlashKernel::avx512_bf16), std::invalid_argument);
}

}  // namespace
}  // namespace emonet::model::cpu
