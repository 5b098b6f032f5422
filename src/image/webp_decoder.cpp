// WebP through libwebp's animation decoder, exactly as Pillow 9.4 (built with WebP
// animation support) decodes every WebP file, still or animated: WebPAnimDecoder with its
// default options (non-premultiplied RGBA canvas, fancy upsampling), first frame only,
// alpha then dropped by convert("RGB") without compositing.
#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>

#include "emonet/error.h"
#include "image/decoders.h"

namespace emonet::image_detail {
namespace {

struct AnimDecoderDeleter {
  void operator()(WebPAnimDecoder* d) const { WebPAnimDecoderDelete(d); }
};

constexpr long long kMaxPixels = 2LL * 89478485LL;  // Pillow's decompression-bomb limit

}  // namespace

Image decode_webp(std::span<const std::uint8_t> bytes, const std::string& name) {
  WebPData data{bytes.data(), bytes.size()};
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options))
    throw Error("cannot decode WebP: libwebp version mismatch", {name, 0, ""});
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  std::unique_ptr<WebPAnimDecoder, AnimDecoderDeleter> dec(WebPAnimDecoderNew(&data, &options));
  if (!dec) throw Error("cannot decode WebP: invalid or truncated file", {name, 0, ""});
  WebPAnimInfo info;
  if (!WebPAnimDecoderGetInfo(dec.get(), &info))
    throw Error("cannot decode WebP: unreadable header", {name, 0, ""});
  if (static_cast<long long>(info.canvas_width) * info.canvas_height > kMaxPixels)
    throw Error("image too large (decompression bomb limit)", {name, 0, ""});
  std::uint8_t* rgba = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(dec.get(), &rgba, &timestamp) || !rgba)
    throw Error("cannot decode WebP: corrupt or truncated image data", {name, 0, ""});

  Image img;
  img.width = static_cast<int>(info.canvas_width);
  img.height = static_cast<int>(info.canvas_height);
  img.channels = 3;
  const std::size_t n = static_cast<std::size_t>(img.width) * img.height;
  img.pixels.resize(n * 3);
  std::uint8_t* o = img.pixels.data();
  for (std::size_t i = 0; i < n; ++i, o += 3, rgba += 4) {
    o[0] = rgba[0];
    o[1] = rgba[1];
    o[2] = rgba[2];
  }
  return img;
}

}  // namespace emonet::image_detail
