#include "model/backends/cpu/cpu_context.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <new>

namespace emonet::model::cpu {

bool cpu_has_native_bf16() {
  // oneDNN reports the best ISA it will dispatch to; bf16 matmuls run natively from
  // avx512_core_bf16 upwards (AMX included).
  auto isa = dnnl::get_effective_cpu_isa();
  switch (isa) {
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx:
      return true;
    default:
      return false;
  }
}

std::string cpu_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx512_mic:
      return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops:
      return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    default:
      return "generic";
  }
}

void convert_to_bf16(const float* src, std::uint16_t* dst, std::size_t n) {
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) dst[i] = float_to_bf16(src[i]);
}

void Buffer::Free::operator()(void* p) const {
  std::free(p);
}

void Buffer::resize(std::size_t bytes) {
  if (bytes <= bytes_ && data_) return;
  std::size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!p) throw std::bad_alloc();
  data_.reset(p);
  bytes_ = bytes;
}

PackedMemory::PackedMemory(std::size_t bytes) {
  constexpr std::size_t huge = std::size_t(2) << 20;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t length = (bytes == 0 ? 1 : bytes + page - 1) / page * page;
  // Over-allocate by one huge page, then trim both ends so the mapping starts on a 2 MiB
  // boundary: only aligned 2 MiB ranges can be backed by huge pages.
  void* raw =
      ::mmap(nullptr, length + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const auto aligned = (start + huge - 1) / huge * huge;
  if (aligned > start) ::munmap(raw, aligned - start);
  const std::size_t tail = (start + length + huge) - (aligned + length);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + length), tail);
  data_ = reinterpret_cast<void*>(aligned);
  bytes_ = length;
#ifdef MADV_HUGEPAGE
  ::madvise(data_, bytes_, MADV_HUGEPAGE);  // advice only: THP may be off
#endif
}

PackedMemory::PackedMemory(PackedMemory&& other) noexcept
    : data_(other.data_), bytes_(other.bytes_) {
  other.data_ = nullptr;
  other.bytes_ = 0;
}

PackedMemory& PackedMemory::operator=(PackedMemory&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, bytes_);
    data_ = other.data_;
    bytes_ = other.bytes_;
    other.data_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

PackedMemory::~PackedMemory() {
  if (data_) ::munmap(data_, bytes_);
}

void release_mapped_pages(const void* data, std::size_t bytes) {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<std::uintptr_t>(data);
  auto end = begin + bytes;
  begin = (begin + page - 1) / page * page;  // only whole pages inside the tensor
  end = end / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace emonet::model::cpu
