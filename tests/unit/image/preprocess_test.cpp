// preprocess() equals the SiglipImageProcessor math (replicated in numpy by
// tests/fixtures/image_reference.py on Pillow's resize) within 1e-6 (in fact exactly).
#include <gtest/gtest.h>

#include <cmath>

#include "emonet/error.h"
#include "image_fixtures.h"

namespace emonet {
namespace {

using test::fixture;

TEST(ImagePreprocess, MatchesSiglipProcessor) {
  const auto& cases = test::manifest()["preprocess"];
  ASSERT_GE(cases.size(), 15u);
  for (const auto& c : cases) {
    const std::string label = std::string(c["image"]) + " with " + std::string(c["config"]);
    SCOPED_TRACE(label);
    const PreprocessConfig cfg = load_preprocess_config(fixture(c["config"]));
    const Image img = decode_image_file(fixture(c["image"]));
    const std::vector<float> got = preprocess(img, cfg);
    const NpyArray ref = read_npy(fixture(c["ref"]));
    const auto [h, w] = cfg.output_size(img.width, img.height);
    ASSERT_EQ(ref.shape, (std::vector<std::size_t>{3, std::size_t(h), std::size_t(w)}));
    ASSERT_EQ(got.size(), ref.data.size());
    double max_diff = 0;
    std::size_t exact = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(double{got[i]} - double{ref.data[i]}));
      exact += got[i] == ref.data[i];
    }
    EXPECT_LE(max_diff, 1e-6);
    EXPECT_EQ(exact, got.size()) << "not bit-identical (max diff " << max_diff << ")";
  }
}

TEST(ImagePreprocess, ConfigDefaultsFollowSiglipImageProcessor) {
  const PreprocessConfig c = parse_preprocess_config("{}", "empty.json");
  EXPECT_EQ(c.width, 224);
  EXPECT_EQ(c.height, 224);
  EXPECT_EQ(c.resample, Resample::kBicubic);
  EXPECT_TRUE(c.do_resize && c.do_rescale && c.do_normalize);
  EXPECT_DOUBLE_EQ(c.rescale_factor, 1.0 / 255.0);
  EXPECT_EQ(c.mean, (std::array<float, 3>{0.5f, 0.5f, 0.5f}));
  // The struct's own defaults are the so400m-patch16-384 settings.
  const PreprocessConfig so400m;
  EXPECT_EQ(so400m.width, 384);
  EXPECT_EQ(so400m.resample, Resample::kBilinear);
}

TEST(ImagePreprocess, SizeForms) {
  EXPECT_EQ(parse_preprocess_config(R"({"size": 256})", "a").output_size(10, 20),
            (std::array<int, 2>{256, 256}));
  const auto se = parse_preprocess_config(R"({"size": {"shortest_edge": 100}})", "b");
  EXPECT_EQ(se.output_size(300, 200), (std::array<int, 2>{100, 150}));
  EXPECT_EQ(se.output_size(200, 301), (std::array<int, 2>{150, 100}));
  const auto mean1 =
      parse_preprocess_config(R"({"image_mean": 0.25, "image_std": [1, 2, 4]})", "c");
  EXPECT_EQ(mean1.mean, (std::array<float, 3>{0.25f, 0.25f, 0.25f}));
  EXPECT_EQ(mean1.std, (std::array<float, 3>{1.f, 2.f, 4.f}));
}

TEST(ImagePreprocess, BadConfigsNameFileAndField) {
  auto field_of = [](const std::string& text) {
    try {
      parse_preprocess_config(text, "pp.json");
    } catch (const Error& e) {
      EXPECT_EQ(e.context().file, "pp.json");
      return e.context().field;
    }
    return std::string("<no error>");
  };
  EXPECT_EQ(field_of(R"({"resample": 7})"), "resample");
  EXPECT_EQ(field_of(R"({"resample": "bilinear"})"), "resample");
  EXPECT_EQ(field_of(R"({"size": {"height": 0, "width": 3}})"), "size.height");
  EXPECT_EQ(field_of(R"({"size": "big"})"), "size");
  EXPECT_EQ(field_of(R"({"image_mean": [0.5, 0.5]})"), "image_mean");
  EXPECT_EQ(field_of(R"({"image_std": [0.5, 0, 0.5]})"), "image_std");
  EXPECT_EQ(field_of(R"({"do_resize": "yes"})"), "do_resize");
  EXPECT_EQ(field_of(R"({"rescale_factor": "x"})"), "rescale_factor");
  EXPECT_EQ(field_of("{not json"), "");
}

}  // namespace
}  // namespace emonet
