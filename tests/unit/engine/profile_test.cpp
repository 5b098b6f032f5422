// The per-operator profile (ModelOptions::profile) on the tiny model: off by default, the
// classes' times add up to the forward passes' wall time, and the FLOPs counted per class
// equal the analytic count of the tiny architecture (tests/fixtures/make_model.py, "tiny":
// hidden 64, MLP 128, 2 layers, 32x32 images in 8x8 patches, Large heads 48-32-16-1).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "emonet/files.h"
#include "emonet/npy.h"
#include "engine_test_util.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

const std::string kDir = EMONET_ENGINE_FIXTURES;

const OpClassProfile& cls(const ForwardProfile& p, const std::string& name) {
  for (const auto& c : p.classes)
    if (c.name == name) return c;
  throw std::runtime_error("no class " + name);
}

ForwardProfile profile_of(Precision precision, std::size_t batches) {
  const auto m = Model::load(kDir + "/model", {1, precision, false, true});
  const auto px = read_npy(kDir + "/pixels.npy");
  for (std::size_t i = 0; i < batches; ++i) m.predict_pixels(px.data, px.shape[0]);
  return m.profile();
}

TEST(EngineProfile, OffByDefaultReadsNoTimers) {
  const auto m = Model::load(kDir + "/model", {1, Precision::fp32, false});
  const auto px = read_npy(kDir + "/pixels.npy");
  m.predict_pixels(px.data, px.shape[0]);
  const auto p = m.profile();
  EXPECT_EQ(p.forwards, 0u);
  EXPECT_EQ(p.total_seconds, 0);
  ASSERT_EQ(p.classes.size(), 7u);
  for (const auto& c : p.classes) EXPECT_EQ(c.seconds, 0) << c.name;
}

TEST(EngineProfile, FlopsEqualTheAnalyticCountOfTheTinyModel) {
  const auto p = profile_of(Precision::fp32, 2);
  const double B = 2 * 8;  // two passes of eight images
  const double S = 32, P = 8, D = 64, I = 128, L = 2, N = (S / P) * (S / P);
  const double tower_mm = 2 * N * (3 * P * P) * D                           // patch embedding
                          + L * (2 * N * D * 3 * D + 2 * N * D * D          // qkv, out_proj
                                 + 2 * N * D * I + 2 * N * I * D)           // fc1, fc2
                          + 2 * N * D * 2 * D + 2 * D * D + 2 * D * I * 2;  // MAP head
  const double attention = L * 4 * N * N * D + 4 * N * D;  // QK^T + P·V, layers and probe
  const double heads = 44 * 2 * (D * 48 + 48 * 32 + 32 * 16 + 16 * 1);
  EXPECT_EQ(p.forwards, 2u);
  EXPECT_EQ(p.images, 16u);
  EXPECT_DOUBLE_EQ(cls(p, "matmul").flop, B * tower_mm);
  EXPECT_DOUBLE_EQ(cls(p, "attention").flop, B * attention);
  EXPECT_DOUBLE_EQ(cls(p, "heads").flop, B * heads);
  for (const char* name : {"norm", "activation", "conversion", "other"})
    EXPECT_EQ(cls(p, name).flop, 0) << name;
}

TEST(EngineProfile, ClassesAddUpToTheTotal) {
  for (auto precision : {Precision::fp32, Precision::bf16}) {
    // The timers cover every operator back to back, so the only time outside them is loop
    // bookkeeping; a preemption there on a loaded machine can open a gap, so a few tries.
    bool ok = false;
    double sum = 0, total = 0;
    for (int attempt = 0; attempt < 5 && !ok; ++attempt) {
      const auto p = profile_of(precision, 3);
      sum = 0;
      for (const auto& c : p.classes) sum += c.seconds;
      total = p.total_seconds;
      ok = total > 0 && sum <= total && sum >= 0.9 * total;
      for (const char* name : {"matmul", "attention", "norm", "conversion", "heads", "other"})
        EXPECT_GT(cls(p, name).seconds, 0) << name;
    }
    EXPECT_TRUE(ok) << precision_name(precision) << ": classes " << sum << " s of " << total
                    << " s";
  }
}

TEST(EngineProfile, TableAndJsonNameEveryClassAndTheKernels) {
  const auto p = profile_of(Precision::fp32, 1);
  const std::string table = format_profile(p, "qkv gemm:jit");
  const auto j = nlohmann::json::parse(profile_json(p, "qkv gemm:jit"));
  for (const char* name :
       {"matmul", "attention", "norm", "activation", "conversion", "heads", "other"}) {
    EXPECT_NE(table.find(name), std::string::npos) << table;
    EXPECT_TRUE(j["classes"].contains(name)) << j.dump();
  }
  EXPECT_NE(table.find("qkv gemm:jit"), std::string::npos);
  EXPECT_EQ(j["kernels"], "qkv gemm:jit");
  EXPECT_EQ(j["images"], 8);
  EXPECT_GT(j["classes"]["matmul"]["gflops"].get<double>(), 0);
}

TEST(EngineProfile, PredictProfileFlagPrintsItToStderr) {
  test::TempDir tmp;
  const auto json = tmp.file("profile.json");
  const auto r = test::run_cli("-q predict --model '" + kDir +
                               "/model' --threads 1 --profile --profile-json '" + json + "' '" +
                               kDir + "/images'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("GFLOP/s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("oneDNN kernels: qkv "), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(read_file(json));
  EXPECT_EQ(j["images"], 3);
}

}  // namespace
}  // namespace emonet::model
