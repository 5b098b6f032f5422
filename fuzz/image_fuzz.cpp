// libFuzzer harness: image decoding through our wrappers (JPEG, PNG, WebP by content) with
// the EXIF orientation applied, plus the EXIF block finder/parser on its own.
#include <cstddef>
#include <cstdint>
#include <span>

#include "emonet/error.h"
#include "emonet/image.h"
#include "image/decoders.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    emonet::DecodeOptions options;
    options.exif_rotate = true;
    const emonet::Image image = emonet::decode_image_memory(bytes, "fuzz.img", options);
    if (image.channels != 3 ||
        image.pixels.size() != image.row_bytes() * static_cast<std::size_t>(image.height)) {
      __builtin_trap();
    }
  } catch (const emonet::Error&) {
  }
  const auto tiff = emonet::image_detail::find_exif(bytes);
  emonet::image_detail::exif_orientation(tiff);
  // The TIFF parser also sees arbitrary bytes directly (an eXIf chunk holds just that).
  emonet::image_detail::exif_orientation(bytes);
  return 0;
}
