// JPEG through libjpeg-turbo with the settings of Pillow 9.4's JpegDecode.c: the library
// defaults (ISLOW integer DCT, fancy upsampling, block smoothing for progressive files),
// out_color_space RGB / GRAYSCALE / CMYK by component count, CMYK read as Adobe-inverted
// ("CMYK;I") and converted with Pillow's cmyk2rgb. Truncated data, including a missing
// EOI marker, is an error, as in Pillow ("image file is truncated"); other libjpeg
// warnings (e.g. extraneous bytes before a marker) are ignored, as Pillow ignores them.
//
// libjpeg reports fatal errors through error_exit, which must not return. Throwing a C++
// exception through the C library's frames is undefined, so error_exit longjmps back to
// decode_into(), whose frame holds only trivially destructible objects.
// jpeglib.h needs size_t and FILE declared before it.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include <cstring>
#include <vector>

#include "emonet/error.h"
#include "image/decoders.h"

namespace emonet::image_detail {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  bool eof_is_fatal;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void fatal_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

extern "C" void emit_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (level == -1 && err->pub.msg_code == JWRN_JPEG_EOF && err->eof_is_fatal) {
    std::snprintf(err->message, sizeof err->message, "image file is truncated");
    std::longjmp(err->jump, 1);
  }
}

// Pillow's MULDIV255: a * b / 255 rounded, in integers.
inline int muldiv255(int a, int b) {
  const int tmp = a * b + 128;
  return ((tmp >> 8) + tmp) >> 8;
}

inline std::uint8_t clip8(int v) {
  return static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

constexpr long long kMaxPixels = 2LL * 89478485LL;  // Pillow's decompression-bomb limit

struct Decoded {
  int width = 0;
  int height = 0;
  int components = 0;
};

// Decodes into `raw` (components bytes per pixel). Returns false with err.message set on
// failure. Only trivially destructible locals live in this frame (see file comment).
// `cinfo` lives in the caller so that no object of this frame changes between setjmp
// and longjmp.
bool decode_into(std::span<const std::uint8_t> bytes, jpeg_decompress_struct& cinfo,
                 std::vector<std::uint8_t>& raw, Decoded& out, ErrorManager& err) {
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = fatal_error;
  err.pub.emit_message = emit_message;
  err.eof_is_fatal = true;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (static_cast<long long>(cinfo.image_width) * cinfo.image_height > kMaxPixels) {
    std::snprintf(err.message, sizeof err.message, "image too large (decompression bomb limit)");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  switch (cinfo.num_components) {
    case 1:
      cinfo.out_color_space = JCS_GRAYSCALE;
      break;
    case 3:
      cinfo.out_color_space = JCS_RGB;
      break;
    case 4:
      cinfo.out_color_space = JCS_CMYK;
      break;
    default:
      std::snprintf(err.message, sizeof err.message, "cannot handle %d-component JPEG",
                    cinfo.num_components);
      jpeg_destroy_decompress(&cinfo);
      return false;
  }
  jpeg_start_decompress(&cinfo);
  out.width = static_cast<int>(cinfo.output_width);
  out.height = static_cast<int>(cinfo.output_height);
  out.components = cinfo.output_components;
  const std::size_t stride = static_cast<std::size_t>(out.width) * out.components;
  raw.resize(stride * out.height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = raw.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  // Reads up to the EOI marker: Pillow reports a file that ends before it (even when
  // every pixel was decoded) as truncated, and so does this decoder.
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& name) {
  std::vector<std::uint8_t> raw;
  Decoded d;
  ErrorManager err;
  jpeg_decompress_struct cinfo;
  if (!decode_into(bytes, cinfo, raw, d, err))
    throw Error(std::string("cannot decode JPEG: ") + err.message, {name, 0, ""});

  Image img;
  img.width = d.width;
  img.height = d.height;
  img.channels = 3;
  const std::size_t n = static_cast<std::size_t>(d.width) * d.height;
  if (d.components == 3) {
    img.pixels = std::move(raw);
    return img;
  }
  img.pixels.resize(n * 3);
  std::uint8_t* o = img.pixels.data();
  if (d.components == 1) {
    for (std::size_t i = 0; i < n; ++i, o += 3) o[0] = o[1] = o[2] = raw[i];
  } else {
    for (std::size_t i = 0; i < n; ++i, o += 3) {
      const std::uint8_t* p = &raw[i * 4];
      // "CMYK;I": Pillow assumes Adobe's inverted CMYK and flips every byte on unpack.
      const int c = 255 - p[0], m = 255 - p[1], y = 255 - p[2], k = 255 - p[3];
      const int nk = 255 - k;
      o[0] = clip8(nk - muldiv255(c, nk));
      o[1] = clip8(nk - muldiv255(m, nk));
      o[2] = clip8(nk - muldiv255(y, nk));
    }
  }
  return img;
}

}  // namespace emonet::image_detail
