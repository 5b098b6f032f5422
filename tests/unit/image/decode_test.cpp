// Decoded pixels equal Pillow's Image.open(f).convert("RGB") for every fixture image.
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "image_fixtures.h"

namespace emonet {
namespace {

using test::fixture;
using test::manifest;

TEST(ImageDecode, MatchesPillowExactly) {
  const auto& cases = manifest()["decode"];
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    const std::string name = c["image"];
    SCOPED_TRACE(name);
    const Image img = decode_image_file(fixture(name));
    EXPECT_EQ(img.channels, 3);
    EXPECT_TRUE(test::same_pixels(img, read_npy_u8(fixture(c["ref"]))));
  }
}

TEST(ImageDecode, FileEndingsAcceptedOrRejectedAsPillowDoes) {
  const auto& cases = manifest()["endings"];
  ASSERT_GE(cases.size(), 5u);
  for (const auto& c : cases) {
    const std::string name = c["image"];
    SCOPED_TRACE(name);
    if (c.contains("ref")) {
      EXPECT_TRUE(
          test::same_pixels(decode_image_file(fixture(name)), read_npy_u8(fixture(c["ref"]))));
    } else {
      EXPECT_THROW(decode_image_file(fixture(name)), Error) << "Pillow: " << c["pillow_error"];
    }
  }
}

TEST(ImageDecode, MemoryAndFileAgree) {
  const std::string path = fixture("jpeg_q75_420.jpg");
  const std::string bytes = read_file(path);
  const Image a = decode_image_file(path);
  const Image b = decode_image_memory(
      {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, "mem");
  EXPECT_EQ(a.pixels, b.pixels);
}

TEST(ImageDecode, ExifOrientationIgnoredByDefaultAppliedOnRequest) {
  const auto& cases = manifest()["exif"];
  ASSERT_EQ(cases.size(), 24u);
  for (const auto& c : cases) {
    const std::string name = c["image"];
    SCOPED_TRACE(name);
    EXPECT_TRUE(
        test::same_pixels(decode_image_file(fixture(name)), read_npy_u8(fixture(c["ref"]))));
    DecodeOptions rotate;
    rotate.exif_rotate = true;
    EXPECT_TRUE(test::same_pixels(decode_image_file(fixture(name), rotate),
                                  read_npy_u8(fixture(c["rotated_ref"]))));
  }
}

}  // namespace
}  // namespace emonet
