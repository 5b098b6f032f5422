// The oneDNN engine against the plain-PyTorch reference (tests/fixtures/reference_forward.py)
// on the tiny random-weight model: fp32 parity, bf16 closeness, batch-size invariance,
// concurrent use, and the whole image pipeline on PNG files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "emonet/error.h"
#include "emonet/image.h"
#include "engine_test_util.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

const std::string kDir = EMONET_ENGINE_FIXTURES;

const Model& fp32_model() {
  static const Model m = Model::load(kDir + "/model", {1, Precision::fp32, false});
  return m;
}

NpyArray pixels() {
  return read_npy(kDir + "/pixels.npy");
}
std::size_t image_floats(const Model& m) {
  return std::size_t(3 * m.info().image_size * m.info().image_size);
}

// Scores `count` images starting at `first` of pixels.npy in one batch.
std::vector<Prediction> run(const Model& m, const NpyArray& px, std::size_t first,
                            std::size_t count) {
  const std::size_t n = image_floats(m);
  return m.predict_pixels(std::span(px.data.data() + first * n, count * n), count, true);
}

void expect_matches_reference(const std::vector<Prediction>& preds, const std::string& ref_dir,
                              const Model& m, double raw_tol, double embedding_tol) {
  const auto ref = test::read_reference(ref_dir + "/predictions.jsonl");
  const auto emb = read_npy(ref_dir + "/embeddings.npy");
  ASSERT_EQ(preds.size(), ref.size());
  const auto hidden = std::size_t(m.info().hidden);
  for (std::size_t i = 0; i < preds.size(); ++i) {
    const auto& p = preds[i];
    ASSERT_EQ(p.heads.size(), 44u);
    ASSERT_EQ(p.embedding.size(), hidden);
    for (std::size_t k = 0; k < hidden; ++k) {
      ASSERT_NEAR(p.embedding[k], emb.data[i * hidden + k], embedding_tol)
          << "image " << i << " dim " << k;
    }
    for (const auto& s : p.heads) {
      const auto& r = ref[i].at(std::string(s.category->head_key));
      EXPECT_NEAR(s.raw, r.raw, raw_tol) << s.category->head_key << " image " << i;
      EXPECT_NEAR(s.mean_subtracted, r.mean_subtracted, raw_tol) << s.category->head_key;
      EXPECT_EQ(s.softmax.has_value(), !std::isnan(r.softmax)) << s.category->head_key;
      if (s.softmax) {
        EXPECT_NEAR(*s.softmax, r.softmax, 1e-5) << s.category->head_key;
      }
    }
  }
}

TEST(EngineParity, Fp32MatchesPyTorchWithinTwoTenThousandths) {
  const auto& m = fp32_model();
  const auto px = pixels();
  expect_matches_reference(run(m, px, 0, px.shape[0]), kDir + "/ref", m, 2e-4, 1e-4);
}

TEST(EngineParity, SmallHeadLayoutMatchesPyTorch) {
  const auto m = Model::load(kDir + "/model_small", {1, Precision::fp32, false});
  EXPECT_EQ(m.info().head_count, 44u);
  const auto px = pixels();
  expect_matches_reference(run(m, px, 0, px.shape[0]), kDir + "/ref_small", m, 2e-4, 1e-4);
}

TEST(EngineParity, Bf16StaysCloseToPyTorch) {
  const auto m = Model::load(kDir + "/model", {1, Precision::bf16, false});
  EXPECT_EQ(m.info().precision, Precision::bf16);
  const auto px = pixels();
  const auto preds = run(m, px, 0, px.shape[0]);
  const auto ref = test::read_reference(kDir + "/ref/predictions.jsonl");
  const auto emb = read_npy(kDir + "/ref/embeddings.npy");
  const auto hidden = std::size_t(m.info().hidden);
  for (std::size_t i = 0; i < preds.size(); ++i) {
    EXPECT_GE(test::cosine(preds[i].embedding.data(), emb.data.data() + i * hidden, hidden), 0.999);
    EXPECT_LE(test::max_raw_difference(preds[i], ref[i]), 0.15);
  }
}

TEST(EngineParity, BatchSizesGiveTheResultsOfBatchOne) {
  const auto& m = fp32_model();
  const auto px = pixels();
  ASSERT_EQ(px.shape[0], 8u);
  std::vector<Prediction> single;
  for (std::size_t i = 0; i < 8; ++i) single.push_back(run(m, px, i, 1)[0]);
  for (std::size_t batch : {3u, 8u}) {
    for (std::size_t first = 0; first < 8; first += batch) {
      const std::size_t count = std::min<std::size_t>(batch, 8 - first);
      const auto preds = run(m, px, first, count);
      for (std::size_t j = 0; j < count; ++j)
        for (std::size_t h = 0; h < 44; ++h)
          EXPECT_NEAR(preds[j].heads[h].raw, single[first + j].heads[h].raw, 2e-6)
              << "batch " << batch << " image " << first + j;
    }
  }
}

TEST(EngineParity, ConcurrentPredictCallsMatchSequentialOnes) {
  const auto& m = fp32_model();
  const auto px = pixels();
  const auto expected_a = run(m, px, 0, 4), expected_b = run(m, px, 4, 4);
  std::vector<Prediction> a, b;
  std::thread ta([&] {
    for (int r = 0; r < 3; ++r) a = run(m, px, 0, 4);
  });
  std::thread tb([&] {
    for (int r = 0; r < 3; ++r) b = run(m, px, 4, 4);
  });
  ta.join();
  tb.join();
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t h = 0; h < 44; ++h) {
      EXPECT_EQ(a[i].heads[h].raw, expected_a[i].heads[h].raw);
      EXPECT_EQ(b[i].heads[h].raw, expected_b[i].heads[h].raw);
    }
}

TEST(EngineParity, ImageFilesMatchThePilPipeline) {
  const auto& m = fp32_model();
  std::vector<Image> images;
  for (const char* name : {"a_rgb.png", "b_gray.png", "c_rgba.png"})
    images.push_back(decode_image_file(kDir + "/images/" + name));
  const auto preds = m.predict(images, true);
  expect_matches_reference(preds, kDir + "/ref_images", m, 2e-4, 1e-4);
}

TEST(EngineParity, AutoPrecisionFollowsTheCpu) {
  const auto m = Model::load(kDir + "/model", {1, Precision::automatic, false});
  EXPECT_EQ(m.info().precision, cpu_supports_bf16() ? Precision::bf16 : Precision::fp32);
  EXPECT_FALSE(m.info().cpu_isa.empty());
}

TEST(EngineParity, WrongPixelCountIsAnError) {
  const auto& m = fp32_model();
  std::vector<float> px(10);
  EXPECT_THROW(m.predict_pixels(px, 1), Error);
}

TEST(EngineParity, MissingCachedModelSaysHowToFetchIt) {
  test::TempDir home;
  ::setenv("HOME", home.path().c_str(), 1);
  ::setenv("XDG_CACHE_HOME", (home.path() / ".cache").c_str(), 1);
  try {
    Model::load("small");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("emonet model fetch small"), std::string::npos)
        << e.what();
  }
}

TEST(EngineParity, PrecisionNamesRoundTrip) {
  for (auto p : {Precision::fp32, Precision::bf16, Precision::automatic})
    EXPECT_EQ(parse_precision(precision_name(p)), p);
  EXPECT_THROW(parse_precision("fp16"), Error);
}

}  // namespace
}  // namespace emonet::model
