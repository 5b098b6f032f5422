// decode_image_file / decode_image_memory: format sniffing by magic bytes, then the
// per-format decoder, then (optionally) the EXIF orientation.
#include <cstring>
#include <filesystem>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/image.h"
#include "image/decoders.h"

namespace emonet {

Image decode_image_memory(std::span<const std::uint8_t> bytes, const std::string& name,
                          const DecodeOptions& options) {
  using namespace image_detail;
  Image img;
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    img = decode_jpeg(bytes, name);
  } else if (bytes.size() >= 8 && std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0) {
    img = decode_png(bytes, name);
  } else if (bytes.size() >= 12 && std::memcmp(bytes.data(), "RIFF", 4) == 0 &&
             std::memcmp(bytes.data() + 8, "WEBP", 4) == 0) {
    img = decode_webp(bytes, name);
  } else if (bytes.empty()) {
    throw Error("empty file is not an image", {name, 0, ""});
  } else {
    throw Error("unsupported image format (expected JPEG, PNG or WebP)", {name, 0, ""});
  }
  if (options.exif_rotate) {
    if (auto orientation = exif_orientation(find_exif(bytes)))
      img = apply_orientation(img, *orientation);
  }
  return img;
}

Image decode_image_file(const std::string& path, const DecodeOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error("is a directory, not an image file", {path, 0, ""});
  const MappedFile file(path);
  return decode_image_memory({file.data(), file.size()}, path, options);
}

}  // namespace emonet
