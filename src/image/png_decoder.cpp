// PNG through libpng, converted to RGB with Pillow 9.4's rules (PngImagePlugin modes +
// Image.convert("RGB")):
//   - 8-bit RGB/RGBA/gray/gray+alpha: alpha dropped without compositing, gray replicated;
//   - 16-bit RGB, RGBA and gray+alpha: the most significant byte of each sample (Pillow's
//     "RGB;16B"/"RGBA;16B"/"LA;16B" unpackers), which is libpng's png_set_strip_16;
//   - 16-bit gray: Pillow opens it as mode "I" (32-bit integers) and convert("RGB")
//     clamps each value to 255 (i2rgb), so any value >= 255 becomes white;
//   - 1/2/4-bit gray: scaled to 0..255 (x255, x85, x17), as Pillow's "1", "L;2", "L;4";
//   - palette: indices looked up in a 256-entry table that starts as a gray ramp and is
//     overwritten by PLTE, like Pillow's ImagingPaletteNew + putpalette, so indices
//     beyond a short palette give gray (i, i, i) as in Pillow;
//   - tRNS, gamma, ICC profiles and sBIT are ignored, as convert("RGB") ignores them.
// libpng errors longjmp back to decode_into() (see jpeg_decoder.cpp for why).
#include <png.h>

#include <array>
#include <csetjmp>
#include <cstring>
#include <vector>

#include "emonet/error.h"
#include "image/decoders.h"

namespace emonet::image_detail {
namespace {

struct Reader {
  std::span<const std::uint8_t> bytes;
  std::size_t pos = 0;
  char message[256] = {};
};

extern "C" void read_bytes(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (r->bytes.size() - r->pos < n) png_error(png, "image file is truncated");
  std::memcpy(out, r->bytes.data() + r->pos, n);
  r->pos += n;
}

extern "C" void on_error(png_structp png, png_const_charp msg) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  std::strncpy(r->message, msg, sizeof r->message - 1);
  png_longjmp(png, 1);
}

extern "C" void on_warning(png_structp, png_const_charp) {}

struct Layout {
  int width = 0;
  int height = 0;
  int color_type = 0;
  int bit_depth = 0;  // after transformations: 8, or 16 for 16-bit gray only
  std::array<std::uint8_t, 256 * 3> palette{};
};

// Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS * 2 raises an error).
constexpr long long kMaxPixels = 2LL * 89478485LL;

bool decode_into(png_structp png, png_infop info, std::vector<std::uint8_t>& raw,
                 std::vector<png_bytep>& rows, Layout& out, Reader& reader) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, &reader, read_bytes);
  png_set_check_for_invalid_index(png, -1);
  png_read_info(png, info);
  png_uint_32 w = 0, h = 0;
  int depth = 0, color = 0, interlace = 0;
  png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, nullptr, nullptr);
  if (static_cast<long long>(w) * h > kMaxPixels) {
    std::strncpy(reader.message, "image too large (decompression bomb limit)",
                 sizeof reader.message - 1);
    return false;
  }
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  out.color_type = color;
  out.bit_depth = 8;
  if (color == PNG_COLOR_TYPE_PALETTE) {
    if (depth < 8) png_set_packing(png);
    for (int i = 0; i < 256; ++i)
      out.palette[i * 3] = out.palette[i * 3 + 1] = out.palette[i * 3 + 2] =
          static_cast<std::uint8_t>(i);
    png_colorp plte = nullptr;
    int n = 0;
    if (png_get_PLTE(png, info, &plte, &n) & PNG_INFO_PLTE) {
      for (int i = 0; i < n && i < 256; ++i) {
        out.palette[i * 3] = plte[i].red;
        out.palette[i * 3 + 1] = plte[i].green;
        out.palette[i * 3 + 2] = plte[i].blue;
      }
    }
  } else if (color == PNG_COLOR_TYPE_GRAY) {
    if (depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) out.bit_depth = 16;
  } else {
    if (depth == 16) png_set_strip_16(png);
    if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const std::size_t stride = png_get_rowbytes(png, info);
  raw.resize(stride * h);
  rows.resize(h);
  for (png_uint_32 y = 0; y < h; ++y) rows[y] = raw.data() + stride * y;
  png_read_image(png, rows.data());
  // Chunks after the image data are not needed; like Pillow, a missing IEND is tolerated.
  return true;
}

}  // namespace

Image decode_png(std::span<const std::uint8_t> bytes, const std::string& name) {
  Reader reader;
  reader.bytes = bytes;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_error, on_warning);
  if (!png) throw Error("cannot decode PNG: out of memory", {name, 0, ""});
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    throw Error("cannot decode PNG: out of memory", {name, 0, ""});
  }
  std::vector<std::uint8_t> raw;
  std::vector<png_bytep> rows;
  Layout layout;
  const bool ok = decode_into(png, info, raw, rows, layout, reader);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) throw Error(std::string("cannot decode PNG: ") + reader.message, {name, 0, ""});

  Image img;
  img.width = layout.width;
  img.height = layout.height;
  img.channels = 3;
  const std::size_t n = static_cast<std::size_t>(img.width) * img.height;
  std::uint8_t* o;
  switch (layout.color_type) {
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_RGB_ALPHA:
      img.pixels = std::move(raw);
      break;
    case PNG_COLOR_TYPE_PALETTE:
      img.pixels.resize(n * 3);
      o = img.pixels.data();
      for (std::size_t i = 0; i < n; ++i, o += 3) std::memcpy(o, &layout.palette[raw[i] * 3], 3);
      break;
    default:  // gray, gray + alpha (alpha already stripped)
      img.pixels.resize(n * 3);
      o = img.pixels.data();
      if (layout.bit_depth == 16) {
        for (std::size_t i = 0; i < n; ++i, o += 3) {
          const int v = raw[2 * i] << 8 | raw[2 * i + 1];
          o[0] = o[1] = o[2] = static_cast<std::uint8_t>(v > 255 ? 255 : v);
        }
      } else {
        for (std::size_t i = 0; i < n; ++i, o += 3) o[0] = o[1] = o[2] = raw[i];
      }
  }
  return img;
}

}  // namespace emonet::image_detail
