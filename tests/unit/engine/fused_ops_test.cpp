// The fused matmul post-ops (bias + GELU-tanh, bias + residual add) and the single-pass
// layer norm against the unfused path computed step by step, in f32 and bf16, at one
// image's rows and at several images' (batch > 1: the rows of every image in one matmul
// must give what each image gives alone).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "model/backends/cpu/layer_norm.h"
#include "model/backends/cpu/linear.h"

namespace emonet::model::cpu {
namespace {

std::vector<float> random_vector(std::size_t n, unsigned seed, float scale = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<std::uint16_t> to_bf16(const std::vector<float>& x) {
  std::vector<std::uint16_t> out(x.size());
  convert_to_bf16(x.data(), out.data(), x.size());
  return out;
}

float round_bf16(float x) {
  return bf16_to_float(float_to_bf16(x));
}

// PyTorch's gelu(approximate="tanh").
double gelu_tanh(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

constexpr std::int64_t kIn = 96, kOut = 80, kRowsPerImage = 37;

struct Layer {
  std::vector<float> w = random_vector(std::size_t(kIn * kOut), 1, 0.1f);
  std::vector<float> b = random_vector(std::size_t(kOut), 2, 0.5f);
};

// The unfused reference: x W^T + b in double, then the post-op, step by step.
std::vector<double> unfused(const Layer& l, const std::vector<float>& x, std::int64_t rows,
                            PostOp op, const std::vector<float>& residual) {
  std::vector<double> y(std::size_t(rows * kOut));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t o = 0; o < kOut; ++o) {
      double s = l.b[std::size_t(o)];
      for (std::int64_t i = 0; i < kIn; ++i)
        s += double(x[std::size_t(r * kIn + i)]) * l.w[std::size_t(o * kIn + i)];
      if (op == PostOp::gelu_tanh) s = gelu_tanh(s);
      if (op == PostOp::residual_add) s += residual[std::size_t(r * kOut + o)];
      y[std::size_t(r * kOut + o)] = s;
    }
  return y;
}

void check_fused(DType type, PostOp op, double tol) {
  CpuContext ctx;
  Layer l;
  const DType dst = op == PostOp::residual_add ? DType::f32 : type;
  Linear fused(ctx, LinearSpec{kIn, kOut, type, dst, op, kRowsPerImage}, l.w.data(), l.b.data());
  for (std::int64_t images : {1, 3}) {
    const std::int64_t rows = images * kRowsPerImage;
    auto x = random_vector(std::size_t(rows * kIn), 3);
    if (type == DType::bf16)
      for (auto& v : x) v = round_bf16(v);  // the reference sees what the matmul sees
    const auto residual = random_vector(std::size_t(rows * kOut), 4);
    const auto ref = unfused(l, x, rows, op, residual);
    std::vector<float> out_f32 = residual;
    std::vector<std::uint16_t> out_bf16(std::size_t(rows * kOut));
    const auto xb = to_bf16(x);
    const void* src = type == DType::bf16 ? static_cast<const void*>(xb.data()) : x.data();
    void* out = dst == DType::bf16 ? static_cast<void*>(out_bf16.data()) : out_f32.data();
    fused.run(rows, src, out);
    for (std::size_t i = 0; i < ref.size(); ++i) {
      const double got = dst == DType::bf16 ? bf16_to_float(out_bf16[i]) : out_f32[i];
      ASSERT_NEAR(got, ref[i], tol * (1 + std::fabs(ref[i])))
          << "images " << images << " element " << i;
    }
  }
}

TEST(FusedOps, GeluTanhPostOpMatchesUnfusedF32) {
  check_fused(DType::f32, PostOp::gelu_tanh, 1e-5);
}
TEST(FusedOps, ResidualAddPostOpMatchesUnfusedF32) {
  check_fused(DType::f32, PostOp::residual_add, 1e-5);
}
TEST(FusedOps, BiasOnlyMatchesUnfusedF32) {
  check_fused(DType::f32, PostOp::none, 1e-5);
}
// bf16 weights (rounded at packing, 2^-9 relative each) and a bf16 output: a few bf16 steps.
TEST(FusedOps, GeluTanhPostOpMatchesUnfusedBf16) {
  check_fused(DType::bf16, PostOp::gelu_tanh, 2e-2);
}
TEST(FusedOps, ResidualAddPostOpMatchesUnfusedBf16) {
  check_fused(DType::bf16, PostOp::residual_add, 2e-2);
}

TEST(FusedOps, BatchedRowsGiveEachImagesOwnRows) {
  CpuContext ctx;
  Layer l;
  Linear fused(ctx, LinearSpec{kIn, kOut, DType::f32, DType::f32, PostOp::gelu_tanh, kRowsPerImage},
               l.w.data(), l.b.data());
  const std::int64_t images = 4, rows = images * kRowsPerImage;
  const auto x = random_vector(std::size_t(rows * kIn), 5);
  std::vector<float> all(std::size_t(rows * kOut)), one(std::size_t(kRowsPerImage * kOut));
  fused.run(rows, x.data(), all.data());
  for (std::int64_t b = 0; b < images; ++b) {
    fused.run(kRowsPerImage, x.data() + b * kRowsPerImage * kIn, one.data());
    for (std::size_t i = 0; i < one.size(); ++i)
      ASSERT_NEAR(all[std::size_t(b * kRowsPerImage * kOut) + i], one[i],
                  1e-6 * (1 + std::fabs(one[i])));
  }
}

// The layer norm's single pass against the two-pass double formula of nn.LayerNorm.
void check_layer_norm(DType out_type, double tol) {
  const std::int64_t width = 1152, rows = 3 * 5;
  LayerNormParams p;
  p.gamma = random_vector(std::size_t(width), 6);
  p.beta = random_vector(std::size_t(width), 7);
  p.eps = 1e-6f;
  auto x = random_vector(std::size_t(rows * width), 8, 3.f);
  for (std::int64_t i = 0; i < width; ++i) x[std::size_t(i)] += 40.f;  // a large-mean row
  std::vector<float> y(x.size());
  std::vector<std::uint16_t> yb(x.size());
  layer_norm(p, x.data(), rows, out_type == DType::f32 ? static_cast<void*>(y.data()) : yb.data(),
             out_type);
  for (std::int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (std::int64_t i = 0; i < width; ++i) mean += x[std::size_t(r * width + i)];
    mean /= double(width);
    for (std::int64_t i = 0; i < width; ++i) {
      const double d = x[std::size_t(r * width + i)] - mean;
      var += d * d;
    }
    var /= double(width);
    for (std::int64_t i = 0; i < width; ++i) {
      const std::size_t k = std::size_t(r * width + i);
      const double ref =
          (x[k] - mean) / std::sqrt(var + p.eps) * p.gamma[std::size_t(i)] + p.beta[std::size_t(i)];
      const double got = out_type == DType::f32 ? y[k] : bf16_to_float(yb[k]);
      ASSERT_NEAR(got, ref, tol * (1 + std::fabs(ref))) << "row " << r << " column " << i;
    }
  }
}

TEST(FusedOps, LayerNormMatchesTwoPassDoubleF32) {
  check_layer_norm(DType::f32, 2e-5);
}
TEST(FusedOps, LayerNormMatchesTwoPassDoubleBf16) {
  check_layer_norm(DType::bf16, 1.0 / 256);
}

TEST(FusedOps, LayerNormInPlaceF32) {
  LayerNormParams p;
  p.gamma.assign(64, 1.f);
  p.beta.assign(64, 0.f);
  auto x = random_vector(64 * 2, 9);
  std::vector<float> copy = x, y(x.size());
  layer_norm(p, copy.data(), 2, y.data(), DType::f32);
  layer_norm(p, x.data(), 2, x.data(), DType::f32);
  EXPECT_EQ(x, y);
}

}  // namespace
}  // namespace emonet::model::cpu
