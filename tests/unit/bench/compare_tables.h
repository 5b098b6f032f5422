// Table-by-table comparison of `emonet bench hq` JSON output with the Python reference's
// (tests/fixtures/hq_reference.py). Rows must come in the same order with the same keys;
// strings, booleans and integers must be equal; numbers must agree to the last digits
// (|a - b| <= 1e-12 relative, or 1e-13 absolute near zero). Krippendorff's alpha and
// SciPy's BLAS-based Spearman cannot be reproduced bit for bit (see docs/bench.md); the
// counts of bit-identical numbers are reported so regressions in exactness are visible.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace emonet::test {

struct CompareStats {
  std::size_t numbers = 0, identical = 0;
  double max_abs = 0.0;
};

inline bool close(double a, double b) {
  if (a == b) return true;
  const double d = std::fabs(a - b);
  return d <= 1e-13 || d <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
}

inline void compare_rows(const std::string& table, const nlohmann::json& ours,
                         const nlohmann::json& theirs, CompareStats& st) {
  ASSERT_TRUE(ours.is_array()) << table;
  ASSERT_TRUE(theirs.is_array()) << table;
  ASSERT_EQ(ours.size(), theirs.size()) << table << ": row count";
  for (std::size_t r = 0; r < ours.size(); ++r) {
    const auto& a = ours[r];
    const auto& b = theirs[r];
    ASSERT_EQ(a.size(), b.size()) << table << " row " << r << ": " << a.dump() << " vs "
                                  << b.dump();
    for (const auto& [key, va] : a.items()) {
      ASSERT_TRUE(b.contains(key)) << table << " row " << r << ": reference lacks " << key;
      const auto& vb = b[key];
      const std::string where =
          table + " row " + std::to_string(r) + " (" +
          a.value("annotator",
                  a.value("emotion", a.value("model", a.value("group1", std::string())))) +
          ") column " + key;
      if (va.is_number_float() || vb.is_number_float()) {
        ASSERT_TRUE(va.is_number() && vb.is_number()) << where << ": " << va << " vs " << vb;
        const double x = va.get<double>(), y = vb.get<double>();
        ++st.numbers;
        st.identical += x == y ? 1 : 0;
        st.max_abs = std::max(st.max_abs, std::fabs(x - y));
        EXPECT_TRUE(close(x, y)) << where << ": " << x << " vs " << y;
      } else {
        EXPECT_EQ(va, vb) << where;
      }
    }
  }
}

inline nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

// Compares every table of the reference with DIR/<table>.json written by --out.
inline void compare_with_reference(const std::string& out_dir, const std::string& reference) {
  const auto ref = load_json(reference);
  for (const char* table : {"agreement", "summary", "pairwise", "groups", "annotator_tests",
                            "alpha", "spearman", "spearman_per_emotion"}) {
    SCOPED_TRACE(table);
    CompareStats st;
    compare_rows(table, load_json(out_dir + "/" + table + ".json"), ref.at(table), st);
    std::printf("  %-22s %5zu numbers, %5zu bit-identical, max |diff| %.3g\n", table, st.numbers,
                st.identical, st.max_abs);
  }
}

}  // namespace emonet::test
