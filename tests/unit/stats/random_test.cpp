// The NumPy-compatible generator against Debian's NumPy 1.24: SeedSequence states, the
// first thousands of default_rng(seed).integers(0, n) draws for ranges below and above
// 2^32, a mixed sequence of calls (the buffered 32-bit half), and choice().
#include <gtest/gtest.h>

#include <string>

#include "emonet/error.h"
#include "emonet/stats/random.h"
#include "stats_fixtures.h"

namespace emonet::stats {
namespace {

std::uint64_t u64(const nlohmann::json& j) {
  return std::stoull(j.get<std::string>());
}
std::int64_t i64(const nlohmann::json& j) {
  return std::stoll(j.get<std::string>());
}

TEST(NumpyRandom, SeedSequenceStatesMatch) {
  const auto fixture = test::load_fixture("random.json");
  ASSERT_TRUE(fixture.contains("seed_state"));
  for (const auto& [seed, states] : fixture["seed_state"].items()) {
    const SeedSequence ss(std::stoull(seed));
    const auto u32 = ss.generate_state_u32(8);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(u32[i], states["u32"][i].get<std::uint32_t>());
    const auto w64 = ss.generate_state_u64(4);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(w64[i], u64(states["u64"][i])) << seed;
  }
}

TEST(NumpyRandom, IntegersMatchDefaultRngForManySeedsAndRanges) {
  const auto fixture = test::load_fixture("random.json");
  ASSERT_GT(fixture["integers"].size(), 100u);
  for (const auto& c : fixture["integers"]) {
    Generator rng(u64(c["seed"]));
    const std::int64_t low = i64(c["low"]);
    const std::int64_t high = i64(c["high"]);
    const auto draws = rng.integers(low, high, c["draws"].size());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < draws.size(); ++i) mismatches += draws[i] != i64(c["draws"][i]);
    EXPECT_EQ(mismatches, 0u) << "seed " << c["seed"] << " range [" << low << ", " << high << ")";
  }
}

TEST(NumpyRandom, MixedCallSequenceKeepsNumpysBufferedHalf) {
  const auto fixture = test::load_fixture("random.json");
  Generator rng(42);
  for (const auto& step : fixture["mixed"]) {
    const std::string op = step["op"];
    const std::size_t size = step["size"];
    if (op == "random") {
      for (std::size_t i = 0; i < size; ++i)
        EXPECT_EQ(rng.random(), step["values"][i].get<double>());
    } else {
      const auto got = op == "choice" ? rng.choice(i64(step["high"]), size)
                                      : rng.integers(0, i64(step["high"]), size);
      for (std::size_t i = 0; i < size; ++i) EXPECT_EQ(got[i], i64(step["values"][i])) << op;
    }
  }
}

TEST(NumpyRandom, FortiethAlphaBootstrapResampleMatches) {
  const auto fixture = test::load_fixture("random.json");
  Generator rng(42);
  std::vector<std::int64_t> idx(2500);
  for (int i = 0; i < 40; ++i) rng.choice(2500, idx);
  const auto expected = test::as_ints(fixture["choice_2500"]);
  EXPECT_EQ(idx, expected);
}

TEST(NumpyRandom, BadArgumentsThrow) {
  Generator rng(1);
  EXPECT_THROW(rng.integers(5, 5), Error);
  EXPECT_THROW(rng.choice(0, 3), Error);
  EXPECT_TRUE(rng.choice(0, 0).empty());
}

}  // namespace
}  // namespace emonet::stats
