// write_head_pth: the files load in the engine's reader (exact round trip, published keys)
// and in PyTorch with torch.load + load_state_dict(strict=True), giving the trainer's
// outputs.
#include <gtest/gtest.h>

#include <cmath>

#include "emonet/files.h"
#include "emonet/model_files.h"
#include "emonet/npy.h"
#include "emonet/train.h"
#include "support/test_paths.h"

namespace emonet::train {
namespace {

TEST(HeadPth, RoundTripsThroughTheEngineReaderWithPublishedKeys) {
  test::TempDir t;
  HeadsTrainer tr(variant_shape("large", 40), 2, 5);
  const auto head = tr.head(1, "model_elation_best");
  write_head_pth(t.file("model_elation_best.pth"), head);
  const auto sd = model::load_torch_state_dict(t.file("model_elation_best.pth"));
  std::vector<std::string> names;
  for (const auto& s : sd) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.3.weight",
                                             "layers.3.bias", "layers.6.weight", "layers.6.bias",
                                             "layers.9.weight", "layers.9.bias"}));
  const auto back = model::load_head(t.file("model_elation_best.pth"), "model_elation_best");
  EXPECT_EQ(model::head_variant(back), "large");
  ASSERT_EQ(back.layers.size(), head.layers.size());
  for (std::size_t l = 0; l < head.layers.size(); ++l) {
    ASSERT_EQ(back.layers[l].weight.size(), head.layers[l].weight.size());
    EXPECT_TRUE(std::equal(head.layers[l].weight.begin(), head.layers[l].weight.end(),
                           back.layers[l].weight.begin()));
    EXPECT_TRUE(std::equal(head.layers[l].bias.begin(), head.layers[l].bias.end(),
                           back.layers[l].bias.begin()));
  }
  // Same weights, same bytes (fixed timestamps): reruns are reproducible files.
  write_head_pth(t.file("again.pth"), tr.head(1, "model_elation_best"));
  EXPECT_EQ(read_file(t.file("again.pth")), read_file(t.file("model_elation_best.pth")));
}

TEST(HeadPth, PyTorchLoadsTheStateDictAndAgreesWithTheTrainer) {
  test::TempDir t;
  HeadsTrainer tr(variant_shape("small", 24), 3, 9);
  const std::vector<std::string> keys{"model_amusement_best", "model_anger_best",
                                      "model_elation_best"};  // sorted, as check-pth reads
  for (std::size_t g = 0; g < 3; ++g) write_head_pth(t.file(keys[g] + ".pth"), tr.head(g, keys[g]));
  std::vector<float> x(5 * 24);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.37 * double(i)));
  write_npy(t.file("x.npy"), x.data(), {5, 24});
  const std::string cmd = "/usr/bin/python3 '" +
                          test::source_path("tests/fixtures/train_reference.py") +
                          "' check-pth --heads '" + t.path().string() + "' --x '" +
                          t.file("x.npy") + "' --out '" + t.file("y.npy") + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto y = read_npy(t.file("y.npy"));
  ASSERT_EQ(y.shape, (std::vector<std::size_t>{5, 3}));
  std::vector<float> ours(5 * 3);
  tr.predict(x.data(), 5, ours.data());
  for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_NEAR(ours[i], y.data[i], 1e-5) << i;
}

}  // namespace
}  // namespace emonet::train
