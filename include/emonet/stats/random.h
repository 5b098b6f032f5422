// A NumPy-compatible random generator: np.random.default_rng(seed) bit for bit.
//
// SeedSequence(seed) → PCG64 (128-bit LCG, XSL-RR output) → Generator, reproducing
// NumPy 1.24's streams so bootstrap confidence intervals with seed 42 equal the
// authors' to the digit:
// - SeedSequence: NumPy's entropy-pool hash (pool of 4 uint32 words) and
//   generate_state(); only non-negative integer entropy without spawn keys is supported
//   (that is what default_rng(int) uses).
// - Pcg64: seeded from generate_state(4, uint64) (state = words 0:1, increment = words
//   2:3, high word first) like numpy.random.PCG64; next_uint32() hands out the low half
//   of a 64-bit output first and keeps the high half for the next call, exactly like
//   NumPy's buffered `next_uint32` (the buffer is part of the state).
// - Generator::integers(low, high) (int64 dtype, high exclusive): Lemire's
//   nearly-divisionless bounded method on next_uint32 when high − low − 1 < 2³² − 1,
//   on next_uint64 (128-bit product) for wider ranges, a raw next_uint32 / next_uint64
//   for the full 32/64-bit range, and no draw at all when high − low == 1.
// - Generator::choice(n, size) (replace=True, no p) = integers(0, n, size).
// - Generator::random() = (next_uint64 >> 11) · 2⁻⁵³.
// Verified against Debian's NumPy 1.24 in tests/unit/stats (random_test.cpp).
// Not thread-safe: one Generator per thread (a stream is sequential by definition).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace emonet::stats {

class SeedSequence {
 public:
  explicit SeedSequence(std::uint64_t entropy);

  // numpy SeedSequence.generate_state(n_words, np.uint32 / np.uint64).
  std::vector<std::uint32_t> generate_state_u32(std::size_t n_words) const;
  std::vector<std::uint64_t> generate_state_u64(std::size_t n_words) const;

  const std::array<std::uint32_t, 4>& pool() const { return pool_; }

 private:
  std::array<std::uint32_t, 4> pool_{};
};

class Pcg64 {
 public:
  explicit Pcg64(const SeedSequence& seed);
  explicit Pcg64(std::uint64_t seed) : Pcg64(SeedSequence(seed)) {}

  std::uint64_t next_uint64();
  std::uint32_t next_uint32();
  double next_double();

 private:
  __extension__ typedef unsigned __int128 uint128;
  uint128 state_ = 0;
  uint128 increment_ = 0;
  bool has_uint32_ = false;
  std::uint32_t buffered_uint32_ = 0;
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : bits_(seed) {}
  explicit Generator(const SeedSequence& seed) : bits_(seed) {}

  // One integer in [low, high). Throws emonet::Error if low >= high.
  std::int64_t integers(std::int64_t low, std::int64_t high);
  // Fills `out` with integers in [low, high) (numpy `integers(low, high, size=len(out))`).
  void integers(std::int64_t low, std::int64_t high, std::span<std::int64_t> out);
  std::vector<std::int64_t> integers(std::int64_t low, std::int64_t high, std::size_t size);

  // numpy `choice(n, size, replace=True)`: indices in [0, n). Throws if n <= 0 and size > 0.
  void choice(std::int64_t n, std::span<std::int64_t> out);
  std::vector<std::int64_t> choice(std::int64_t n, std::size_t size);

  // numpy `random()`: a double in [0, 1).
  double random();

  Pcg64& bit_generator() { return bits_; }

 private:
  Pcg64 bits_;
};

// np.random.default_rng(seed).
inline Generator default_rng(std::uint64_t seed) {
  return Generator(seed);
}

}  // namespace emonet::stats
