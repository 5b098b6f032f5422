// resize() equals Pillow 9.4's Image.resize pixel for pixel, all six filters, up and down.
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "image_fixtures.h"

namespace emonet {
namespace {

using test::fixture;

TEST(ImageResize, MatchesPillowExactly) {
  const auto& cases = test::manifest()["resize"];
  ASSERT_GE(cases.size(), 60u);
  std::map<std::string, Image> sources;
  for (const auto& c : cases) {
    const std::string src = c["source"];
    if (!sources.count(src)) sources[src] = decode_image_file(fixture(src));
    const std::string label = std::string(c["filter"]) + " " + src + " -> " +
                              std::to_string(int{c["width"]}) + "x" +
                              std::to_string(int{c["height"]});
    SCOPED_TRACE(label);
    const Image out = resize(sources[src], c["width"], c["height"],
                             parse_resample(c["filter"].get<std::string>()));
    EXPECT_TRUE(test::same_pixels(out, read_npy_u8(fixture(c["ref"]))));
  }
}

TEST(ImageResize, SameSizeIsACopy) {
  const Image src = decode_image_file(fixture("png_rgb8.png"));
  EXPECT_EQ(resize(src, src.width, src.height, Resample::kBicubic).pixels, src.pixels);
}

TEST(ImageResize, OtherChannelCountsWork) {
  Image gray{5, 4, 1, std::vector<std::uint8_t>(20, 200)};
  const Image out = resize(gray, 3, 7, Resample::kBilinear);
  EXPECT_EQ(out.channels, 1);
  EXPECT_EQ(out.pixels, std::vector<std::uint8_t>(21, 200));  // a constant stays constant
}

TEST(ImageResize, BadSizesAndNamesAreErrors) {
  const Image src = decode_image_file(fixture("png_rgb8.png"));
  EXPECT_THROW(resize(src, 0, 10, Resample::kBilinear), Error);
  EXPECT_THROW(resize(src, 10, -1, Resample::kBilinear), Error);
  EXPECT_THROW(parse_resample("cubic"), Error);
  EXPECT_THROW(resample_from_pil_code(6), Error);
  EXPECT_EQ(resample_from_pil_code(2), Resample::kBilinear);
  EXPECT_EQ(resample_from_pil_code(3), Resample::kBicubic);
  EXPECT_EQ(parse_resample("nearest"), Resample::kNearest);
}

}  // namespace
}  // namespace emonet
