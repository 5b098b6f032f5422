// EXIF orientation: locating the EXIF block in JPEG/PNG/WebP files, reading tag 0x0112,
// and the eight transpositions of PIL.ImageOps.exif_transpose.
#include <cstring>

#include "image/decoders.h"

namespace emonet::image_detail {
namespace {

using Bytes = std::span<const std::uint8_t>;

std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[3]} << 24 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0];
}

// Some writers keep the "Exif\0\0" APP1 prefix in PNG/WebP chunks; Pillow strips it.
Bytes strip_exif_prefix(Bytes b) {
  if (b.size() >= 6 && std::memcmp(b.data(), "Exif\0\0", 6) == 0) return b.subspan(6);
  return b;
}

Bytes find_in_jpeg(Bytes f) {
  std::size_t pos = 2;
  while (pos + 4 <= f.size()) {
    if (f[pos] != 0xFF) return {};
    const std::uint8_t marker = f[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return {};  // start of scan / end of image
    const std::size_t len = std::size_t{f[pos + 2]} << 8 | f[pos + 3];
    if (len < 2 || pos + 2 + len > f.size()) return {};
    if (marker == 0xE1 && len >= 8 && std::memcmp(&f[pos + 4], "Exif\0\0", 6) == 0)
      return f.subspan(pos + 10, len - 8);
    pos += 2 + len;
  }
  return {};
}

Bytes find_in_png(Bytes f) {
  std::size_t pos = 8;
  while (pos + 12 <= f.size()) {
    const std::size_t len = be32(&f[pos]);
    if (len > f.size() - pos - 12) return {};
    if (std::memcmp(&f[pos + 4], "eXIf", 4) == 0) return strip_exif_prefix(f.subspan(pos + 8, len));
    // eXIf may legally follow IDAT, so the scan goes on to IEND.
    if (std::memcmp(&f[pos + 4], "IEND", 4) == 0) return {};
    pos += 12 + len;
  }
  return {};
}

Bytes find_in_webp(Bytes f) {
  std::size_t pos = 12;
  while (pos + 8 <= f.size()) {
    const std::size_t len = le32(&f[pos + 4]);
    if (len > f.size() - pos - 8) return {};
    if (std::memcmp(&f[pos], "EXIF", 4) == 0) return strip_exif_prefix(f.subspan(pos + 8, len));
    pos += 8 + len + (len & 1);
  }
  return {};
}

}  // namespace

Bytes find_exif(Bytes f) {
  if (f.size() >= 4 && f[0] == 0xFF && f[1] == 0xD8) return find_in_jpeg(f);
  if (f.size() >= 8 && std::memcmp(f.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return find_in_png(f);
  if (f.size() >= 12 && std::memcmp(f.data(), "RIFF", 4) == 0 &&
      std::memcmp(f.data() + 8, "WEBP", 4) == 0)
    return find_in_webp(f);
  return {};
}

std::optional<int> exif_orientation(Bytes t) {
  if (t.size() < 8) return std::nullopt;
  bool little;
  if (std::memcmp(t.data(), "II*\0", 4) == 0)
    little = true;
  else if (std::memcmp(t.data(), "MM\0*", 4) == 0)
    little = false;
  else
    return std::nullopt;
  auto u16 = [&](std::size_t at) {
    return little ? std::uint32_t{t[at]} | std::uint32_t{t[at + 1]} << 8
                  : std::uint32_t{t[at]} << 8 | std::uint32_t{t[at + 1]};
  };
  auto u32 = [&](std::size_t at) { return little ? le32(&t[at]) : be32(&t[at]); };
  const std::size_t ifd = u32(4);
  if (ifd > t.size() - 2) return std::nullopt;
  const std::size_t count = u16(ifd);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t e = ifd + 2 + i * 12;
    if (e + 12 > t.size()) return std::nullopt;
    if (u16(e) != 0x0112) continue;
    const std::uint32_t type = u16(e + 2);
    std::uint32_t v;
    if (type == 3)
      v = u16(e + 8);  // SHORT
    else if (type == 4)
      v = u32(e + 8);  // LONG (non-standard but seen)
    else
      return std::nullopt;
    if (v >= 1 && v <= 8) return static_cast<int>(v);
    return std::nullopt;
  }
  return std::nullopt;
}

Image apply_orientation(const Image& in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const bool swap = orientation >= 5;
  Image out;
  out.channels = in.channels;
  out.width = swap ? in.height : in.width;
  out.height = swap ? in.width : in.height;
  out.pixels.resize(in.pixels.size());
  const int W = in.width, H = in.height, C = in.channels;
  for (int y = 0; y < out.height; ++y) {
    std::uint8_t* o = out.row(y);
    for (int x = 0; x < out.width; ++x, o += C) {
      int sx, sy;  // source pixel of output (x, y)
      switch (orientation) {
        case 2:
          sx = W - 1 - x;
          sy = y;
          break;  // FLIP_LEFT_RIGHT
        case 3:
          sx = W - 1 - x;
          sy = H - 1 - y;
          break;  // ROTATE_180
        case 4:
          sx = x;
          sy = H - 1 - y;
          break;  // FLIP_TOP_BOTTOM
        case 5:
          sx = y;
          sy = x;
          break;  // TRANSPOSE
        case 6:
          sx = y;
          sy = H - 1 - x;
          break;  // ROTATE_270 (clockwise 90)
        case 7:
          sx = W - 1 - y;
          sy = H - 1 - x;
          break;  // TRANSVERSE
        default:
          sx = W - 1 - y;
          sy = x;
          break;  // 8: ROTATE_90 (counter-clockwise)
      }
      std::memcpy(o, in.row(sy) + static_cast<std::size_t>(sx) * C, C);
    }
  }
  return out;
}

}  // namespace emonet::image_detail
