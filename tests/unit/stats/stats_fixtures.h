// Helpers for the stats tests: reading the JSON that tests/fixtures/stats_reference.py
// writes (NaN as null) and comparing doubles bit for bit.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace emonet::stats::test {

inline std::string fixture_path(const std::string& name) {
  return std::string(EMONET_STATS_FIXTURES) + "/" + name;
}

inline nlohmann::json load_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) {
    ADD_FAILURE() << "missing fixture " << fixture_path(name)
                  << " (run ctest so that stats.generate_reference runs first)";
    return nlohmann::json::array();
  }
  return nlohmann::json::parse(in);
}

inline double as_double(const nlohmann::json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

inline std::vector<double> as_doubles(const nlohmann::json& j) {
  std::vector<double> out;
  for (const auto& v : j) out.push_back(as_double(v));
  return out;
}

inline std::vector<std::int64_t> as_ints(const nlohmann::json& j) {
  std::vector<std::int64_t> out;
  for (const auto& v : j) out.push_back(v.get<std::int64_t>());
  return out;
}

// Bitwise equality, or both NaN. +0 and −0 count as equal: NumPy's sort and median do not
// keep the sign of zero consistently (np.median([-0.0]) is +0.0) and nothing depends on it.
inline ::testing::AssertionResult same_double(double actual, double expected) {
  if (std::isnan(actual) && std::isnan(expected)) return ::testing::AssertionSuccess();
  if (actual == 0.0 && expected == 0.0) return ::testing::AssertionSuccess();
  std::uint64_t a, e;
  std::memcpy(&a, &actual, 8);
  std::memcpy(&e, &expected, 8);
  if (a == e) return ::testing::AssertionSuccess();
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.17g vs expected %.17g (diff %.3g)", actual, expected,
                actual - expected);
  return ::testing::AssertionFailure() << buf;
}

// |actual − expected| <= tol · max(1, |expected|), or both NaN.
inline ::testing::AssertionResult near_double(double actual, double expected, double tol) {
  if (std::isnan(actual) && std::isnan(expected)) return ::testing::AssertionSuccess();
  if (std::fabs(actual - expected) <= tol * std::max(1.0, std::fabs(expected))) {
    return ::testing::AssertionSuccess();
  }
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.17g vs expected %.17g (diff %.3g)", actual, expected,
                actual - expected);
  return ::testing::AssertionFailure() << buf;
}

}  // namespace emonet::stats::test
