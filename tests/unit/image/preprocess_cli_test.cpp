// `emonet preprocess` writes the same tensor as the library (and so as the reference).
#include <gtest/gtest.h>

#include "image_fixtures.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

using test::fixture;

TEST(PreprocessCli, WritesTheSiglipTensor) {
  test::TempDir tmp;
  const std::string out = tmp.file("x.npy");
  const auto r = test::run_cli("preprocess '" + fixture("portrait_1024.jpg") + "' --out '" + out +
                               "' --config '" + fixture("cfg_siglip2_384.json") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const NpyArray got = read_npy(out);
  const NpyArray ref = read_npy(fixture("pre_portrait_1024_jpg_cfg_siglip2_384.npy"));
  EXPECT_EQ(got.shape, (std::vector<std::size_t>{3, 384, 384}));
  EXPECT_EQ(got.data, ref.data);
}

TEST(PreprocessCli, DefaultsAreSo400mAndOptionsOverride) {
  test::TempDir tmp;
  const std::string out = tmp.file("y.npy");
  auto r = test::run_cli("preprocess '" + fixture("portrait_1024.jpg") + "' -o '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_npy(out).data,
            read_npy(fixture("pre_portrait_1024_jpg_cfg_siglip2_384.npy")).data);
  r = test::run_cli("preprocess '" + fixture("png_rgb8.png") + "' -o '" + out +
                    "' --size 20 --resample bicubic --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"shape\":[3,20,20]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bicubic"), std::string::npos) << r.out;
}

TEST(PreprocessCli, CorruptImageFailsNamingIt) {
  test::TempDir tmp;
  const std::string bad = tmp.file("broken.jpg");
  write_file_atomic(bad, std::string("\xFF\xD8\xFF\xE0garbage", 11));
  const auto r = test::run_cli("preprocess '" + bad + "' --out '" + tmp.file("z.npy") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.file("z.npy")));
}

}  // namespace
}  // namespace emonet
