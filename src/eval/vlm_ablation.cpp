// --ablate-image for `emonet eval vlm`: the perception floor. `grey` replaces every image by
// a uniform grey PNG of its own size (RGB 128,128,128), `shuffle` sends image i the bytes of
// image i+1 (cyclically), so a model that scores its priors is exposed by unchanged
// ratings. The prompt and file name stay those of the original image.
#include <zlib.h>

#include "emonet/error.h"
#include "emonet/eval.h"
#include "emonet/image.h"

namespace emonet::eval {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 255);
}

void chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  put_u32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                                static_cast<uInt>(body.size()))));
}

}  // namespace

VlmAblation parse_vlm_ablation(std::string_view name) {
  if (name.empty() || name == "none") return VlmAblation::kNone;
  if (name == "grey" || name == "gray") return VlmAblation::kGrey;
  if (name == "shuffle") return VlmAblation::kShuffle;
  throw Error("unknown --ablate-image '" + std::string(name) + "' (valid: grey, shuffle)");
}

std::string grey_png(int width, int height) {
  if (width <= 0 || height <= 0) throw Error("grey image needs a positive size");
  // Each row: filter byte 0, then RGB triples of 128.
  const std::size_t row = 1 + 3 * static_cast<std::size_t>(width);
  std::string raw(row * static_cast<std::size_t>(height), static_cast<char>(128));
  for (int y = 0; y < height; ++y) raw[static_cast<std::size_t>(y) * row] = 0;
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string z(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                9) != Z_OK)
    throw Error("cannot compress the grey image");
  z.resize(size);
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_u32(ihdr, static_cast<std::uint32_t>(width));
  put_u32(ihdr, static_cast<std::uint32_t>(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, no filter, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

std::string grey_like(const std::string& image_bytes, const std::string& name) {
  const auto img = decode_image_memory(
      {reinterpret_cast<const std::uint8_t*>(image_bytes.data()), image_bytes.size()}, name);
  return grey_png(img.width, img.height);
}

}  // namespace emonet::eval
