// Internal: the per-format decoders behind decode_image_memory, and EXIF helpers.
//
// Each decoder returns RGB8 pixels equal to Pillow 9.4's Image.open(...).convert("RGB")
// and throws emonet::Error (with the file name) on any failure. All are reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "emonet/image.h"

namespace emonet::image_detail {

Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& name);
Image decode_png(std::span<const std::uint8_t> bytes, const std::string& name);
Image decode_webp(std::span<const std::uint8_t> bytes, const std::string& name);

// The raw EXIF block (a TIFF structure: "II*\0" or "MM\0*" ...) stored in a JPEG APP1
// segment, a PNG eXIf chunk or a WebP EXIF chunk; empty when the file has none.
std::span<const std::uint8_t> find_exif(std::span<const std::uint8_t> file);

// The Orientation tag (0x0112) of an EXIF block, if present and in 1..8.
std::optional<int> exif_orientation(std::span<const std::uint8_t> tiff);

// Applies an EXIF orientation (1..8) as PIL.ImageOps.exif_transpose does.
Image apply_orientation(const Image& image, int orientation);

}  // namespace emonet::image_detail
