// The oneDNN CPU engine, its stream and the small utilities every CPU op shares
// (data types, bf16 conversion, aligned buffers, ISA detection).
//
// A CpuContext is used by one thread at a time: the Model serialises predict() calls,
// so the single stream and the primitive caches need no locking of their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

namespace emonet::model::cpu {

// Element type of an activation or weight tensor as the matmuls see it. s8: symmetric
// int8 (the int8 path's quantised matmul inputs, see quantize.h).
enum class DType { f32, bf16, s8 };

inline dnnl::memory::data_type to_dnnl(DType t) {
  switch (t) {
    case DType::f32:
      return dnnl::memory::data_type::f32;
    case DType::bf16:
      return dnnl::memory::data_type::bf16;
    case DType::s8:
      return dnnl::memory::data_type::s8;
  }
  return dnnl::memory::data_type::undef;
}
inline std::size_t dtype_size(DType t) {
  return t == DType::f32 ? 4 : t == DType::bf16 ? 2 : 1;
}

struct CpuContext {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

// True when oneDNN dispatches bf16 matmuls to native bf16 instructions on this CPU
// (AVX-512-BF16 or AMX); otherwise bf16 would be emulated and slower than fp32.
bool cpu_has_native_bf16();
// oneDNN's name for the instruction set it uses ("avx512_core_bf16", ...).
std::string cpu_isa_name();

// Round-to-nearest-even float -> bfloat16 (the conversion oneDNN and PyTorch use).
inline std::uint16_t float_to_bf16(float f) {
  std::uint32_t u;
  static_assert(sizeof(u) == sizeof(f));
  __builtin_memcpy(&u, &f, sizeof(u));
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) return std::uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return std::uint16_t(u >> 16);
}
void convert_to_bf16(const float* src, std::uint16_t* dst, std::size_t n);
inline float bf16_to_float(std::uint16_t h) {
  const std::uint32_t u = std::uint32_t(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, sizeof(f));
  return f;
}

// A 64-byte aligned, uninitialised heap buffer (activations, packed small weights).
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t bytes) { resize(bytes); }
  void resize(std::size_t bytes);
  template <class T = void>
  T* as() const {
    return static_cast<T*>(data_.get());
  }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> data_;
  std::size_t bytes_ = 0;
};

// Memory for weights packed once at load (hundreds of MiB): an anonymous mapping whose
// 2 MiB-aligned part asks for transparent huge pages. Filling 1.6 GB through 4 KiB pages
// costs ~400k page faults, which dominated model load (several seconds on a VM), and
// huge pages also cut TLB misses when the matmuls stream the weights. Falls back to
// ordinary pages where THP is disabled. Movable; the address never changes.
class PackedMemory {
 public:
  PackedMemory() = default;
  explicit PackedMemory(std::size_t bytes);
  PackedMemory(PackedMemory&& other) noexcept;
  PackedMemory& operator=(PackedMemory&& other) noexcept;
  PackedMemory(const PackedMemory&) = delete;
  PackedMemory& operator=(const PackedMemory&) = delete;
  ~PackedMemory();

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;  // length of the mapping
};

// Tells the kernel it may drop the resident pages of a read-only file mapping (the
// weights after they were packed), so the mapped and the packed copy do not both count
// towards memory for the whole load. Pages come back from the file if touched again.
void release_mapped_pages(const void* data, std::size_t bytes);

}  // namespace emonet::model::cpu
