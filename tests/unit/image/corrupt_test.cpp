// Bad files give emonet::Error naming the file, never a crash.
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "image_fixtures.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

using test::fixture;

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void expect_error_naming(const std::string& bytes, const std::string& name) {
  try {
    decode_image_memory(as_bytes(bytes), name);
    ADD_FAILURE() << "no error for " << name;
  } catch (const Error& e) {
    EXPECT_EQ(e.context().file, name);
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST(ImageCorrupt, TruncatedFilesAreErrors) {
  for (const char* name :
       {"jpeg_q95_444.jpg", "jpeg_progressive.jpg", "png_rgb8.png", "png_rgb16.png",
        "png_palette8.png", "webp_lossy.webp", "webp_lossless.webp", "portrait_1024.jpg"}) {
    const std::string bytes = read_file(fixture(name));
    for (double keep : {0.05, 0.3, 0.6, 0.9}) {
      SCOPED_TRACE(std::string(name) + " keep " + std::to_string(keep));
      expect_error_naming(bytes.substr(0, static_cast<std::size_t>(bytes.size() * keep)),
                          std::string(name) + ".truncated");
    }
  }
}

TEST(ImageCorrupt, GarbageAfterTheSignatureIsAnError) {
  std::string jpeg = "\xFF\xD8\xFF";
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string webp = std::string("RIFF\x10\0\0\0WEBP", 12);
  for (int i = 0; i < 200; ++i) {
    const char c = static_cast<char>((i * 73 + 11) & 0xff);
    jpeg += c;
    png += c;
    webp += c;
  }
  expect_error_naming(jpeg, "garbage.jpg");
  expect_error_naming(png, "garbage.png");
  expect_error_naming(webp, "garbage.webp");
}

TEST(ImageCorrupt, FlippedBytesNeverCrash) {
  // Corrupted entropy-coded data may still decode (to garbage) in libjpeg, as in Pillow;
  // the contract is: an Image of the right size or an Error, nothing else.
  for (const char* name : {"jpeg_q75_420.jpg", "png_rgba8.png", "webp_lossy_alpha.webp"}) {
    const std::string good = read_file(fixture(name));
    for (std::size_t step = 7; step < good.size(); step += good.size() / 23 + 1) {
      std::string bad = good;
      bad[step] = static_cast<char>(bad[step] ^ 0x5a);
      try {
        const Image img = decode_image_memory(as_bytes(bad), name);
        EXPECT_EQ(img.pixels.size(), img.row_bytes() * img.height);
      } catch (const Error& e) {
        EXPECT_EQ(e.context().file, name);
      }
    }
  }
}

TEST(ImageCorrupt, EmptyUnknownAndMissingFiles) {
  expect_error_naming("", "empty.png");
  expect_error_naming("GIF89a......", "anim.gif");
  expect_error_naming("just some text\n", "notes.txt");
  try {
    decode_image_file("/nonexistent/dir/face.jpg");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/face.jpg"), std::string::npos);
  }
  test::TempDir tmp;
  EXPECT_THROW(decode_image_file(tmp.path().string()), Error);
}

}  // namespace
}  // namespace emonet
