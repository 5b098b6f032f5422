// NumPy .npy files holding float32 arrays (format version 1.0 / 2.0, C order).
//
// write_npy produces what numpy.save writes for a little-endian float32 C-contiguous
// array; read_npy accepts that and also '<f8' (converted to float) so that reference
// outputs saved from numpy in float64 load too. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace emonet {

struct NpyArray {
  std::vector<std::size_t> shape;  // empty = scalar
  std::vector<float> data;         // product(shape) values, C order

  std::size_t size() const;  // product of shape (1 for a scalar)
};

// Serialised bytes of a .npy file for `data` with `shape` (size must match the shape).
std::string encode_npy(const float* data, const std::vector<std::size_t>& shape);

// Writes atomically; throws emonet::Error naming the path on failure.
void write_npy(const std::string& path, const float* data, const std::vector<std::size_t>& shape);
void write_npy(const std::string& path, const NpyArray& array);

// Reads '<f4' or '<f8' C-order arrays; anything else (Fortran order, other dtypes,
// truncated data, malformed header) throws emonet::Error naming the path.
NpyArray read_npy(const std::string& path);
NpyArray decode_npy(const std::string& bytes, const std::string& name);

// Raw uint8 arrays ('|u1'), used by image tests for pixel data.
struct NpyBytes {
  std::vector<std::size_t> shape;
  std::vector<std::uint8_t> data;
};
NpyBytes read_npy_u8(const std::string& path);

}  // namespace emonet
