// probe_image_header: the declared size of a JPEG, PNG or WebP from its header bytes only.
#include <webp/decode.h>
#include <cstring>

#include "emonet/image.h"

namespace emonet {
namespace {

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         p[3];
}
unsigned be16(const std::uint8_t* p) {
  return (unsigned(p[0]) << 8) | p[1];
}

// Walks the marker segments up to the first start-of-frame (SOF0..SOF15 except DHT 0xC4,
// JPG 0xC8 and DAC 0xCC), whose payload holds precision, height, width.
std::optional<ImageHeader> probe_jpeg(std::span<const std::uint8_t> b) {
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) return std::nullopt;
    const std::uint8_t marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte before a marker
      ++i;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // no length field
      i += 2;
      continue;
    }
    const unsigned length = be16(&b[i + 2]);
    if (length < 2) return std::nullopt;
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (i + 9 > b.size()) return std::nullopt;
      return ImageHeader{"jpeg", int(be16(&b[i + 7])), int(be16(&b[i + 5]))};
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // end / scan before a frame
    i += 2 + length;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ImageHeader> probe_image_header(std::span<const std::uint8_t> b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return probe_jpeg(b);
  if (b.size() >= 24 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0 &&
      std::memcmp(b.data() + 12, "IHDR", 4) == 0) {
    const std::uint32_t w = be32(&b[16]), h = be32(&b[20]);
    // PNG limits both to 2^31 - 1; larger values are malformed, not a size.
    if (w > 0x7FFFFFFFu || h > 0x7FFFFFFFu) return std::nullopt;
    return ImageHeader{"png", int(w), int(h)};
  }
  if (b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 &&
      std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
    // WebPGetInfo reads only the VP8/VP8L/VP8X chunk headers (the canvas size for VP8X).
    int w = 0, h = 0;
    if (!WebPGetInfo(b.data(), b.size(), &w, &h)) return std::nullopt;
    return ImageHeader{"webp", w, h};
  }
  return std::nullopt;
}

}  // namespace emonet
