// The int8 path's pieces: symmetric per-tensor activation and per-channel weight
// quantisation, and the s8 x s8 matmul with runtime scales, bias and post-ops against the
// f32 matmul, at one image's rows and at several images'.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "model/backends/cpu/linear.h"
#include "model/backends/cpu/quantize.h"

namespace emonet::model::cpu {
namespace {

std::vector<float> random_vector(std::size_t n, unsigned seed, float scale = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(Int8, ActivationCodesAreWithinHalfAStep) {
  const auto x = random_vector(1000, 1, 2.f);
  std::vector<std::int8_t> q(x.size());
  const float scale = quantize_s8(x.data(), DType::f32, x.size(), q.data());
  float m = 0;
  for (float v : x) m = std::max(m, std::fabs(v));
  EXPECT_FLOAT_EQ(scale, m / 127.f);
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_GE(q[i], -127);
    ASSERT_LE(std::fabs(q[i] * scale - x[i]), 0.5f * scale * (1 + 1e-5f)) << i;
  }
  std::vector<std::uint16_t> xb(x.size());
  convert_to_bf16(x.data(), xb.data(), x.size());
  std::vector<std::int8_t> qb(x.size());
  const float sb = quantize_s8(xb.data(), DType::bf16, x.size(), qb.data());
  EXPECT_NEAR(sb, scale, scale / 128);
}

TEST(Int8, AllZeroInputQuantisesToZero) {
  std::vector<float> x(33, 0.f);
  std::vector<std::int8_t> q(x.size(), 5);
  EXPECT_EQ(quantize_s8(x.data(), DType::f32, x.size(), q.data()), 1.f);
  for (auto v : q) EXPECT_EQ(v, 0);
}

TEST(Int8, WeightsArePerOutputChannel) {
  const std::int64_t out = 3, in = 50;
  auto w = random_vector(std::size_t(out * in), 2);
  for (std::int64_t i = 0; i < in; ++i) w[std::size_t(2 * in + i)] *= 100.f;  // one big row
  std::vector<std::int8_t> q(w.size());
  std::vector<float> s(static_cast<std::size_t>(out));
  quantize_weights_per_channel(w.data(), out, in, q.data(), s.data());
  EXPECT_GT(s[2], 50 * s[0]);
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t i = 0; i < in; ++i) {
      const std::size_t k = std::size_t(o * in + i);
      ASSERT_LE(std::fabs(q[k] * s[std::size_t(o)] - w[k]), 0.5f * s[std::size_t(o)] * 1.0001f);
    }
}

// s8 x s8 against f32. Rounding x (steps of max|x|/127, about 4 sigma / 127 here) and w to
// their grids adds an error of about 1 % of the output's spread (rms); the largest of a
// few thousand outputs is 3-4 times that. A misplaced bias or a wrong scale is far larger.
void check_int8_linear(PostOp op) {
  const std::int64_t in = 128, out = 72, per_image = 29;
  CpuContext ctx;
  const auto w = random_vector(std::size_t(in * out), 3, 0.1f);
  const auto b = random_vector(std::size_t(out), 4, 0.5f);
  Linear ref(ctx, LinearSpec{in, out, DType::f32, DType::f32, op, per_image}, w.data(), b.data());
  Linear q8(ctx, LinearSpec{in, out, DType::s8, DType::f32, op, per_image}, w.data(), b.data());
  for (std::int64_t images : {1, 4}) {
    const std::int64_t rows = images * per_image;
    const auto x = random_vector(std::size_t(rows * in), 5);
    const auto residual = random_vector(std::size_t(rows * out), 6);
    std::vector<float> want = residual, got = residual;
    ref.run(rows, x.data(), want.data());
    std::vector<std::int8_t> xq(x.size());
    const float scale = quantize_s8(x.data(), DType::f32, x.size(), xq.data());
    q8.run(rows, xq.data(), got.data(), scale);
    double sq = 0, err = 0, worst = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
      const double d = std::fabs(double(got[i]) - want[i]);
      sq += double(want[i]) * want[i];
      err += d * d;
      worst = std::max(worst, d);
    }
    const double rms = std::sqrt(sq / double(want.size()));
    const double rms_err = std::sqrt(err / double(want.size()));
    EXPECT_LT(rms_err, 0.02 * rms) << "images " << images << " rms " << rms;
    EXPECT_LT(worst, 0.08 * rms) << "images " << images << " rms " << rms;
  }
}

TEST(Int8, MatmulWithBiasMatchesF32) {
  check_int8_linear(PostOp::none);
}
TEST(Int8, MatmulWithGeluMatchesF32) {
  check_int8_linear(PostOp::gelu_tanh);
}
TEST(Int8, MatmulWithResidualAddMatchesF32) {
  check_int8_linear(PostOp::residual_add);
}

TEST(Int8, KernelIsAnInt8Kernel) {
  CpuContext ctx;
  const auto w = random_vector(64 * 64, 7);
  Linear q8(ctx, LinearSpec{64, 64, DType::s8, DType::f32, PostOp::none, 16}, w.data(), nullptr);
  const std::string impl = q8.implementation(16);
  EXPECT_EQ(impl.find("ref"), std::string::npos) << impl;
  std::printf("int8 matmul kernel: %s\n", impl.c_str());
}

}  // namespace
}  // namespace emonet::model::cpu
