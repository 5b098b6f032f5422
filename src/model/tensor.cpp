// Element types, tensor views and conversion to float32.
#include <bit>
#include <cstring>

#include "emonet/error.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"

namespace emonet::model {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8},   {DType::F32, "F32", 4}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},   {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::Bool, "BOOL", 1},
};

const DTypeInfo& info(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d;
  throw Error("unknown dtype value " + std::to_string(static_cast<int>(dtype)));
}

// IEEE 754 binary16 -> binary32, exact for every input (subnormals, infinities, NaN).
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal: normalise the mantissa.
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

template <typename T>
T load_le(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;  // the project targets little-endian machines (x86-64, aarch64)
}

}  // namespace

std::size_t dtype_size(DType dtype) {
  return info(dtype).size;
}

std::string_view dtype_name(DType dtype) {
  return info(dtype).name;
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& d : kDTypes)
    if (d.name == name) return d.dtype;
  return std::nullopt;
}

std::int64_t TensorView::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string TensorView::shape_string() const {
  std::vector<std::string> parts;
  for (auto d : shape) parts.push_back(std::to_string(d));
  return "[" + join(parts, ", ") + "]";
}

FloatTensor to_float32(const TensorView& view) {
  FloatTensor t;
  t.shape_ = view.shape;
  const auto n = static_cast<std::size_t>(view.numel());
  if (view.nbytes != n * dtype_size(view.dtype))
    throw Error("tensor holds " + std::to_string(view.nbytes) + " bytes, expected " +
                    std::to_string(n * dtype_size(view.dtype)) + " for " + view.shape_string() +
                    " " + std::string(dtype_name(view.dtype)),
                {"", 0, view.name});
  t.size_ = n;
  if (n == 0) return t;
  const std::byte* src = view.data;
  switch (view.dtype) {
    case DType::F32:
      if (reinterpret_cast<std::uintptr_t>(src) % alignof(float) == 0) {
        t.data_ = reinterpret_cast<const float*>(src);
        return t;
      }
      t.owned_.resize(n);
      std::memcpy(t.owned_.data(), src, n * sizeof(float));
      break;
    case DType::F16:
      t.owned_.resize(n);
      for (std::size_t i = 0; i < n; ++i)
        t.owned_[i] = half_to_float(load_le<std::uint16_t>(src + 2 * i));
      break;
    case DType::BF16:
      t.owned_.resize(n);
      for (std::size_t i = 0; i < n; ++i)
        t.owned_[i] = std::bit_cast<float>(
            static_cast<std::uint32_t>(load_le<std::uint16_t>(src + 2 * i)) << 16);
      break;
    case DType::F64:
      t.owned_.resize(n);
      for (std::size_t i = 0; i < n; ++i)
        t.owned_[i] = static_cast<float>(load_le<double>(src + 8 * i));
      break;
    default:
      throw Error("tensor has dtype " + std::string(dtype_name(view.dtype)) +
                      "; a floating-point tensor (F32, F16, BF16, F64) is required",
                  {"", 0, view.name});
  }
  t.data_ = t.owned_.data();
  return t;
}

void require_shape(const TensorView& view, std::span<const std::int64_t> expected,
                   const std::string& file) {
  if (std::equal(view.shape.begin(), view.shape.end(), expected.begin(), expected.end())) return;
  TensorView want;
  want.shape.assign(expected.begin(), expected.end());
  throw Error("tensor has shape " + view.shape_string() + ", expected " + want.shape_string(),
              {file, 0, view.name});
}

}  // namespace emonet::model
