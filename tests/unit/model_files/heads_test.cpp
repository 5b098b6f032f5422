// Head MLPs: layer order from the state-dict keys, values equal to torch's outputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "emonet/model_files.h"
#include "emonet/taxonomy.h"
#include "model_fixtures.h"

namespace emonet::model {
namespace {

using test::error_of;
using test::model_fixture;
using ::testing::HasSubstr;

// Linear, ReLU, ..., Linear in double precision.
double run_head(const Head& h, const std::vector<float>& input) {
  std::vector<double> x(input.begin(), input.end());
  for (std::size_t l = 0; l < h.layers.size(); ++l) {
    const Linear& lin = h.layers[l];
    std::vector<double> y(static_cast<std::size_t>(lin.out));
    for (int o = 0; o < lin.out; ++o) {
      double acc = lin.bias[static_cast<std::size_t>(o)];
      for (int i = 0; i < lin.in; ++i)
        acc += static_cast<double>(
                   lin.weight[static_cast<std::size_t>(o) * static_cast<std::size_t>(lin.in) +
                              static_cast<std::size_t>(i)]) *
               x[static_cast<std::size_t>(i)];
      y[static_cast<std::size_t>(o)] = (l + 1 < h.layers.size() && acc < 0) ? 0.0 : acc;
    }
    x = std::move(y);
  }
  return x.at(0);
}

TEST(Heads, AllFortyFourInTaxonomyOrderGiveTorchsOutputs) {
  for (const char* folder : {"large", "small_views", "large_params"}) {
    SCOPED_TRACE(folder);
    const auto ref = test::model_reference(folder);
    const auto heads = load_heads(model_fixture(std::string(folder) + "/heads"));
    ASSERT_EQ(heads.size(), kNumCategories);
    const auto probe = ref["probe_embedding"].get<std::vector<float>>();
    const auto widths = ref["head_widths"].get<std::vector<int>>();
    for (std::size_t i = 0; i < heads.size(); ++i) {
      const Head& h = heads[i];
      EXPECT_EQ(h.key, categories()[i].head_key);
      ASSERT_EQ(h.layers.size(), widths.size() + 1) << h.key;
      for (std::size_t l = 0; l < widths.size(); ++l) EXPECT_EQ(h.layers[l].out, widths[l]);
      EXPECT_EQ(h.layers.front().in, ref["vision"]["hidden_size"].get<int>());
      EXPECT_EQ(h.layers.back().out, 1);
      const double expected = ref["heads"][h.key]["output_on_probe"].get<double>();
      EXPECT_NEAR(run_head(h, probe), expected, 1e-5 * (1 + std::abs(expected))) << h.key;
    }
  }
}

TEST(Heads, VariantFromLayerWidths) {
  Head h;
  for (int w : {1024, 512, 256, 1}) h.layers.push_back({8, w, {}, {}});
  EXPECT_EQ(head_variant(h), "large");
  h.layers.clear();
  for (int w : {128, 32, 1}) h.layers.push_back({8, w, {}, {}});
  EXPECT_EQ(head_variant(h), "small");
  const auto tiny = load_heads(model_fixture("large/heads"));
  EXPECT_EQ(head_variant(tiny.front()), "custom");
}

TEST(Heads, MissingHeadsAreListedUnlessASubsetIsAllowed) {
  const std::string dir = model_fixture("missing/heads");
  const auto msg = error_of([&] { load_heads(dir); });
  EXPECT_THAT(msg, HasSubstr("2 of 44 head files are missing"));
  EXPECT_THAT(msg, HasSubstr("model_valence_best.pth"));
  EXPECT_THAT(msg, HasSubstr("model_awe_best.pth"));
  const auto heads = load_heads(dir, {.allow_subset = true});
  EXPECT_EQ(heads.size(), 42u);
  for (const auto& h : heads) {
    EXPECT_NE(h.key, "model_valence_best");
    EXPECT_NE(h.key, "model_awe_best");
  }
  EXPECT_THAT(error_of([&] { load_heads(model_fixture("large/siglip")); }),
              HasSubstr("no head files"));
  EXPECT_THAT(error_of([&] { load_heads(model_fixture("no-such-folder")); }),
              HasSubstr("does not exist"));
}

TEST(Heads, LayersThatDoNotChainAreRefused) {
  const std::string path = model_fixture("broken/mismatched_head.pth");
  const auto msg = error_of([&] { load_head(path, "model_elation_best"); });
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr("layers.3"));
  EXPECT_THAT(msg, HasSubstr("takes 9 inputs but the previous layer gives 8"));
}

TEST(Heads, HalfPrecisionHeadIsConverted) {
  const auto h = load_head(model_fixture("broken/half_head.pth"), "model_elation_best");
  ASSERT_EQ(h.layers.size(), 2u);
  EXPECT_EQ(h.layers[0].out, 8);
  EXPECT_EQ(h.layers[1].in, 8);
}

}  // namespace
}  // namespace emonet::model
