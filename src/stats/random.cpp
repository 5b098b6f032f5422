// NumPy-compatible SeedSequence, PCG64 and Generator (integers, choice, random).
//
// Written from the algorithms' definitions (O'Neill's PCG paper, Lemire 2019 "Fast
// Random Integer Generation in an Interval", NumPy's documented SeedSequence hash) and
// checked draw for draw against Debian's NumPy 1.24 by the unit tests.
#include "emonet/stats/random.h"

#include <string>

#include "emonet/error.h"

namespace emonet::stats {
namespace {

// SeedSequence hash constants (NumPy bit_generator.pyx).
constexpr std::uint32_t kInitA = 0x43b0d7e5u;
constexpr std::uint32_t kMultA = 0x931e8875u;
constexpr std::uint32_t kInitB = 0x8b51f9ddu;
constexpr std::uint32_t kMultB = 0x58f38dedu;
constexpr std::uint32_t kMixMultL = 0xca01f9ddu;
constexpr std::uint32_t kMixMultR = 0x4973f715u;
constexpr int kXShift = 16;

std::uint32_t hashmix(std::uint32_t value, std::uint32_t& hash_const) {
  value ^= hash_const;
  hash_const *= kMultA;
  value *= hash_const;
  value ^= value >> kXShift;
  return value;
}

std::uint32_t mix(std::uint32_t x, std::uint32_t y) {
  std::uint32_t result = kMixMultL * x - kMixMultR * y;
  result ^= result >> kXShift;
  return result;
}

}  // namespace

SeedSequence::SeedSequence(std::uint64_t entropy) {
  // The integer as little-endian uint32 words; 0 is one zero word.
  std::vector<std::uint32_t> words;
  if (entropy == 0) words.push_back(0);
  while (entropy > 0) {
    words.push_back(static_cast<std::uint32_t>(entropy & 0xffffffffu));
    entropy >>= 32;
  }
  std::uint32_t hash_const = kInitA;
  for (std::size_t i = 0; i < pool_.size(); ++i) {
    pool_[i] = hashmix(i < words.size() ? words[i] : 0u, hash_const);
  }
  // Mix every word into every other so late entropy affects early words.
  for (std::size_t src = 0; src < pool_.size(); ++src) {
    for (std::size_t dst = 0; dst < pool_.size(); ++dst) {
      if (src != dst) pool_[dst] = mix(pool_[dst], hashmix(pool_[src], hash_const));
    }
  }
  for (std::size_t src = pool_.size(); src < words.size(); ++src) {
    for (std::size_t dst = 0; dst < pool_.size(); ++dst) {
      pool_[dst] = mix(pool_[dst], hashmix(words[src], hash_const));
    }
  }
}

std::vector<std::uint32_t> SeedSequence::generate_state_u32(std::size_t n_words) const {
  std::vector<std::uint32_t> state(n_words);
  std::uint32_t hash_const = kInitB;
  for (std::size_t i = 0; i < n_words; ++i) {
    std::uint32_t v = pool_[i % pool_.size()];
    v ^= hash_const;
    hash_const *= kMultB;
    v *= hash_const;
    v ^= v >> kXShift;
    state[i] = v;
  }
  return state;
}

std::vector<std::uint64_t> SeedSequence::generate_state_u64(std::size_t n_words) const {
  // NumPy draws twice as many uint32 words and views pairs as little-endian uint64.
  const auto words = generate_state_u32(2 * n_words);
  std::vector<std::uint64_t> out(n_words);
  for (std::size_t i = 0; i < n_words; ++i) {
    out[i] = static_cast<std::uint64_t>(words[2 * i]) |
             (static_cast<std::uint64_t>(words[2 * i + 1]) << 32);
  }
  return out;
}

namespace {
// GCC/Clang's 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef unsigned __int128 u128;

// PCG's default 128-bit LCG multiplier.
constexpr u128 kPcgMultiplier =
    (static_cast<u128>(0x2360ed051fc65da4ull) << 64) | 0x4385df649fccf645ull;
}  // namespace

Pcg64::Pcg64(const SeedSequence& seed) {
  const auto words = seed.generate_state_u64(4);
  const uint128 init_state = (static_cast<uint128>(words[0]) << 64) | words[1];
  const uint128 init_seq = (static_cast<uint128>(words[2]) << 64) | words[3];
  // pcg_setseq_128_srandom_r
  state_ = 0;
  increment_ = (init_seq << 1) | 1u;
  state_ = state_ * kPcgMultiplier + increment_;
  state_ += init_state;
  state_ = state_ * kPcgMultiplier + increment_;
}

std::uint64_t Pcg64::next_uint64() {
  state_ = state_ * kPcgMultiplier + increment_;
  // XSL-RR: xor the halves, rotate right by the top 6 bits.
  const auto hi = static_cast<std::uint64_t>(state_ >> 64);
  const auto lo = static_cast<std::uint64_t>(state_);
  const std::uint64_t x = hi ^ lo;
  const unsigned rot = static_cast<unsigned>(state_ >> 122);
  return (x >> rot) | (x << ((64u - rot) & 63u));
}

std::uint32_t Pcg64::next_uint32() {
  if (has_uint32_) {
    has_uint32_ = false;
    return buffered_uint32_;
  }
  const std::uint64_t next = next_uint64();
  has_uint32_ = true;
  buffered_uint32_ = static_cast<std::uint32_t>(next >> 32);
  return static_cast<std::uint32_t>(next & 0xffffffffu);
}

double Pcg64::next_double() {
  return static_cast<double>(next_uint64() >> 11) * (1.0 / 9007199254740992.0);
}

namespace {

// Lemire's bounded integer in [0, range_minus_one] from 32-bit draws.
std::uint32_t bounded_lemire_32(Pcg64& bits, std::uint32_t range_minus_one) {
  const std::uint32_t range = range_minus_one + 1;
  std::uint64_t m = static_cast<std::uint64_t>(bits.next_uint32()) * range;
  auto leftover = static_cast<std::uint32_t>(m & 0xffffffffu);
  if (leftover < range) {
    const std::uint32_t threshold = (0xffffffffu - range_minus_one) % range;
    while (leftover < threshold) {
      m = static_cast<std::uint64_t>(bits.next_uint32()) * range;
      leftover = static_cast<std::uint32_t>(m & 0xffffffffu);
    }
  }
  return static_cast<std::uint32_t>(m >> 32);
}

// The same with 64-bit draws and a 128-bit product.
std::uint64_t bounded_lemire_64(Pcg64& bits, std::uint64_t range_minus_one) {
  const std::uint64_t range = range_minus_one + 1;
  u128 m = static_cast<u128>(bits.next_uint64()) * range;
  auto leftover = static_cast<std::uint64_t>(m);
  if (leftover < range) {
    const std::uint64_t threshold = (~std::uint64_t{0} - range_minus_one) % range;
    while (leftover < threshold) {
      m = static_cast<u128>(bits.next_uint64()) * range;
      leftover = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace

void Generator::integers(std::int64_t low, std::int64_t high, std::span<std::int64_t> out) {
  if (low >= high) {
    throw Error("integers: low (" + std::to_string(low) + ") must be below high (" +
                std::to_string(high) + ")");
  }
  // NumPy's random_bounded_uint64_fill with the inclusive range high - low - 1.
  const std::uint64_t range =
      static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) - 1u;
  const auto offset = static_cast<std::uint64_t>(low);
  auto emit = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  if (range == 0) {
    for (auto& v : out) v = low;
  } else if (range <= 0xffffffffull) {
    if (range == 0xffffffffull) {
      for (auto& v : out) v = emit(offset + bits_.next_uint32());
    } else {
      const auto r32 = static_cast<std::uint32_t>(range);
      for (auto& v : out) v = emit(offset + bounded_lemire_32(bits_, r32));
    }
  } else if (range == ~std::uint64_t{0}) {
    for (auto& v : out) v = emit(offset + bits_.next_uint64());
  } else {
    for (auto& v : out) v = emit(offset + bounded_lemire_64(bits_, range));
  }
}

std::int64_t Generator::integers(std::int64_t low, std::int64_t high) {
  std::int64_t v = 0;
  integers(low, high, std::span<std::int64_t>(&v, 1));
  return v;
}

std::vector<std::int64_t> Generator::integers(std::int64_t low, std::int64_t high,
                                              std::size_t size) {
  std::vector<std::int64_t> out(size);
  integers(low, high, out);
  return out;
}

void Generator::choice(std::int64_t n, std::span<std::int64_t> out) {
  if (out.empty()) return;
  if (n <= 0) throw Error("choice: cannot take a non-empty sample from an empty population");
  integers(0, n, out);
}

std::vector<std::int64_t> Generator::choice(std::int64_t n, std::size_t size) {
  std::vector<std::int64_t> out(size);
  choice(n, out);
  return out;
}

double Generator::random() {
  return bits_.next_double();
}

}  // namespace emonet::stats
