// probe_image_header: the declared size of encoded files without decoding them (PNG, JPEG
// and WebP files written by Pillow in the fixtures; a hand-built JPEG segment chain).
#include <gtest/gtest.h>

#include "emonet/files.h"
#include "emonet/image.h"
#include "serve_test_util.h"

namespace emonet {
namespace {

std::vector<std::uint8_t> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

TEST(ProbeImageHeader, AgreesWithTheDecoderOnTheFixtureImages) {
  for (const char* name : test::kImages) {
    const auto b = bytes(test::slurp(test::tiny_image(name)));
    const auto h = probe_image_header(b);
    ASSERT_TRUE(h) << name;
    const Image img = decode_image_memory(b, name);
    EXPECT_EQ(h->format, "png");
    EXPECT_EQ(h->width, img.width) << name;
    EXPECT_EQ(h->height, img.height) << name;
  }
}

TEST(ProbeImageHeader, AgreesWithTheDecoderOnJpegAndWebpFiles) {
  // Written by Pillow in tests/fixtures/image_reference.py (the image tests' fixtures).
  for (const char* name :
       {"jpeg_odd_420.jpg", "jpeg_progressive.jpg", "jpeg_cmyk.jpg", "exif_6.jpg",
        "webp_lossy.webp", "webp_lossless.webp", "webp_lossy_alpha.webp", "webp_odd.webp"}) {
    const auto b = bytes(test::slurp(test::kImageFixtures + "/" + name));
    const auto h = probe_image_header(b);
    ASSERT_TRUE(h) << name;
    const Image img = decode_image_memory(b, name);
    EXPECT_EQ(h->width, img.width) << name;
    EXPECT_EQ(h->height, img.height) << name;
    EXPECT_EQ(h->format, std::string_view(name).ends_with(".jpg") ? "jpeg" : "webp");
  }
}

TEST(ProbeImageHeader, ReadsAJpegFrameHeaderPastOtherSegments) {
  // SOI, an APP0 segment, a DQT-sized filler, then SOF0 declaring 640 x 480.
  std::string j = "\xFF\xD8";
  j += std::string("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  j += std::string("\xFF\xDB\x00\x04\x00\x00", 6);
  j += std::string("\xFF\xC0\x00\x11\x08\x01\xE0\x02\x80\x03", 10);
  const auto h = probe_image_header(bytes(j));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->format, "jpeg");
  EXPECT_EQ(h->width, 640);
  EXPECT_EQ(h->height, 480);
}

TEST(ProbeImageHeader, RejectsWhatIsNotAnImageHeader) {
  EXPECT_FALSE(probe_image_header(bytes("")));
  EXPECT_FALSE(probe_image_header(bytes("GIF89a")));
  EXPECT_FALSE(probe_image_header(bytes("\xFF\xD8\xFF")));
  EXPECT_FALSE(probe_image_header(bytes(std::string("\x89PNG\r\n\x1a\n", 8))));
  EXPECT_FALSE(probe_image_header(bytes("RIFF\x10\x00\x00\x00WEBPVP8 ")));
}

}  // namespace
}  // namespace emonet
