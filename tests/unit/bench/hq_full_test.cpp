// `emonet bench hq` on a real-size synthetic hq.csv (2,500 images, 8 experts, 14 models,
// ~44,800 rows, 1,000-resample CIs) against the Python reference. Label `slow`: the
// reference needs minutes.
#include <gtest/gtest.h>

#include "compare_tables.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

TEST(BenchHqFull, MatchesPythonReferenceAtRealSize) {
  const std::string dir = std::string(BENCH_FIXTURE_DIR) + "/full";
  test::TempDir out;
  const auto r = test::run_cli("bench hq '" + dir + "/hq.csv' --out '" + out.file("hq") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::compare_with_reference(out.file("hq"), dir + "/reference.json");
}

}  // namespace
}  // namespace emonet
