// Helpers for the image tests: the Pillow reference folder written by
// tests/fixtures/image_reference.py, its manifest, and pixel comparisons.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "emonet/files.h"
#include "emonet/image.h"
#include "emonet/npy.h"

namespace emonet::test {

inline std::string fixture(const std::string& name) {
  return std::string(EMONET_IMAGE_FIXTURES) + "/" + name;
}

inline const nlohmann::json& manifest() {
  static const nlohmann::json m = nlohmann::json::parse(read_file(fixture("manifest.json")));
  return m;
}

// Exact comparison of an image with a Pillow uint8 HWC array; reports the first
// mismatching pixel and the number of differing samples.
inline ::testing::AssertionResult same_pixels(const Image& img, const NpyBytes& ref) {
  if (ref.shape.size() != 3 || static_cast<int>(ref.shape[0]) != img.height ||
      static_cast<int>(ref.shape[1]) != img.width || static_cast<int>(ref.shape[2]) != img.channels)
    return ::testing::AssertionFailure()
           << "size " << img.width << "x" << img.height << "x" << img.channels
           << " differs from reference " << ref.shape[1] << "x" << ref.shape[0] << "x"
           << (ref.shape.size() > 2 ? ref.shape[2] : 0);
  std::size_t diffs = 0, first = 0;
  int max_diff = 0;
  for (std::size_t i = 0; i < ref.data.size(); ++i) {
    const int d = std::abs(int{img.pixels[i]} - int{ref.data[i]});
    if (d) {
      if (!diffs) first = i;
      ++diffs;
      max_diff = std::max(max_diff, d);
    }
  }
  if (!diffs) return ::testing::AssertionSuccess();
  const std::size_t px = first / img.channels;
  return ::testing::AssertionFailure()
         << diffs << " samples differ (max " << max_diff << "); first at x=" << px % img.width
         << " y=" << px / img.width << " channel " << first % img.channels << ": "
         << int{img.pixels[first]} << " vs Pillow " << int{ref.data[first]};
}

}  // namespace emonet::test
