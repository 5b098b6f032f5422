// The full-size so400m-patch16-384 architecture (random weights, published formats)
// against the PyTorch reference: fp32 raw outputs within 2e-4, bf16 and int8 close. Label
// `slow`.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine_test_util.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

const std::string kDir = EMONET_ENGINE_FIXTURES;

void check(Precision precision, double raw_tol, double min_cosine) {
  const auto m = Model::load(kDir + "/model", {2, precision, false});
  EXPECT_EQ(m.info().hidden, 1152);
  EXPECT_EQ(m.info().layers, 27);
  const auto px = read_npy(kDir + "/pixels.npy");
  const auto preds = m.predict_pixels(px.data, px.shape[0], true);
  const auto ref = test::read_reference(kDir + "/ref/predictions.jsonl");
  const auto emb = read_npy(kDir + "/ref/embeddings.npy");
  ASSERT_EQ(preds.size(), ref.size());
  for (std::size_t i = 0; i < preds.size(); ++i) {
    EXPECT_GE(test::cosine(preds[i].embedding.data(), emb.data.data() + i * 1152, 1152),
              min_cosine);
    EXPECT_LE(test::max_raw_difference(preds[i], ref[i]), raw_tol) << "image " << i;
  }
}

TEST(FullModel, Fp32MatchesPyTorchWithinTwoTenThousandths) {
  check(Precision::fp32, 2e-4, 0.99999);
}

TEST(FullModel, Bf16StaysCloseToPyTorch) {
  check(Precision::bf16, 0.15, 0.999);
}

// docs/model.md: int8 within 1.05e-4 of fp32 on this model (measured); 1e-3 leaves room.
TEST(FullModel, Int8StaysWithinTheDocumentedBound) {
  check(Precision::int8, 1e-3, 0.999);
}

}  // namespace
}  // namespace emonet::model
