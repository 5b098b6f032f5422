// The batched trainer against PyTorch (tests/fixtures/train_reference.py): the same
// initial weights, batches, learning-rate schedule and dropout masks give the same
// per-step losses and final weights.
//
// Tolerances: losses within 1e-4 relative; final weights within 2e-5 absolute (the
// weights are O(0.1); oneDNN and PyTorch sum the GEMMs in different orders, so float32
// rounding differs by ~1e-7 per step and Adam's normalised updates carry that forward).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "emonet/npy.h"
#include "emonet/train.h"

namespace emonet::train {
namespace {

const std::string kFix = EMONET_TRAIN_FIXTURES;

void run_case(const std::string& name) {
  const std::string d = kFix + "/" + name;
  std::ifstream in(d + "/config.json");
  ASSERT_TRUE(in) << d << "/config.json missing (fixture train_reference)";
  const auto cfg = nlohmann::json::parse(in);
  MlpShape shape{cfg["dims"].get<std::vector<int>>(), cfg["dropout"].get<std::vector<float>>()};
  const auto heads = cfg["heads"].get<std::size_t>();
  HeadsTrainer tr(shape, heads, cfg["seed"].get<std::uint64_t>(),
                  AdamW{0.9, 0.999, 1e-8, cfg["weight_decay"].get<double>()});
  const std::size_t L = shape.dims.size() - 1;
  for (std::size_t l = 0; l < L; ++l) {
    const auto w = read_npy(d + "/w" + std::to_string(l) + ".npy");
    const auto b = read_npy(d + "/b" + std::to_string(l) + ".npy");
    const std::size_t wn = w.size() / heads, bn = b.size() / heads;
    for (std::size_t g = 0; g < heads; ++g) {
      std::copy_n(w.data.data() + g * wn, wn, tr.weight(l, g));
      std::copy_n(b.data.data() + g * bn, bn, tr.bias(l, g));
    }
  }
  const auto x = read_npy(d + "/x.npy"), t = read_npy(d + "/t.npy");
  const auto batches = read_npy(d + "/batches.npy"), losses = read_npy(d + "/losses.npy");
  const std::size_t D = x.shape[1], steps = batches.shape[0], B = batches.shape[1];
  const auto lr = cfg["lr"].get<double>();
  const auto warmup = cfg["warmup"].get<std::int64_t>(), total = cfg["total"].get<std::int64_t>();
  std::vector<float> xb(B * D), tb(B * heads);
  for (std::size_t s = 0; s < steps; ++s) {
    for (std::size_t i = 0; i < B; ++i) {
      const auto r = std::size_t(batches.data[s * B + i]);
      std::copy_n(x.data.data() + r * D, D, xb.data() + i * D);
      std::copy_n(t.data.data() + r * heads, heads, tb.data() + i * heads);
    }
    const double loss = tr.step(xb.data(), tb.data(), std::int64_t(B),
                                schedule_lr(std::int64_t(s), warmup, total, lr));
    EXPECT_NEAR(loss, losses.data[s], 1e-4 * std::abs(losses.data[s])) << name << " step " << s;
  }
  for (std::size_t l = 0; l < L; ++l) {
    const auto w = read_npy(d + "/final_w" + std::to_string(l) + ".npy");
    const auto b = read_npy(d + "/final_b" + std::to_string(l) + ".npy");
    const std::size_t wn = w.size() / heads, bn = b.size() / heads;
    double worst = 0, moved = 0;
    const auto w0 = read_npy(d + "/w" + std::to_string(l) + ".npy");
    for (std::size_t g = 0; g < heads; ++g) {
      for (std::size_t i = 0; i < wn; ++i) {
        worst = std::max(worst, double(std::abs(tr.weight(l, g)[i] - w.data[g * wn + i])));
        moved = std::max(moved, double(std::abs(w.data[g * wn + i] - w0.data[g * wn + i])));
      }
      for (std::size_t i = 0; i < bn; ++i)
        worst = std::max(worst, double(std::abs(tr.bias(l, g)[i] - b.data[g * bn + i])));
    }
    EXPECT_LT(worst, 2e-5) << name << " layer " << l;
    EXPECT_GT(moved, 1e-3) << name << " layer " << l << ": training did not move the weights";
  }
}

TEST(TrainReference, LargeLayoutWithDropoutAndMissingLabelsMatchesPyTorch) {
  run_case("large_dropout");
}

TEST(TrainReference, SmallLayoutWithoutDropoutMatchesPyTorch) {
  run_case("small_plain");
}

TEST(TrainReference, ScheduleWarmsUpThenDecaysToMinimum) {
  EXPECT_DOUBLE_EQ(schedule_lr(0, 4, 20, 1.0), 0.25);
  EXPECT_DOUBLE_EQ(schedule_lr(3, 4, 20, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(schedule_lr(4, 4, 20, 1.0), 1.0);
  EXPECT_NEAR(schedule_lr(12, 4, 20, 1.0, 0.1), 0.55, 1e-12);  // half way: the mean
  EXPECT_NEAR(schedule_lr(20, 4, 20, 1.0, 0.1), 0.1, 1e-12);
}

TEST(TrainReference, DropoutDropsItsRate) {
  std::size_t kept = 0;
  const std::size_t n = 200000;
  for (std::size_t i = 0; i < n; ++i) kept += dropout_keeps(3, 5, 1, i, 0.2f);
  EXPECT_NEAR(double(kept) / double(n), 0.8, 0.005);
}

}  // namespace
}  // namespace emonet::train
