// .npy reading and writing (numpy's format; the image tests also read numpy-written files).
#include "emonet/npy.h"

#include <gtest/gtest.h>

#include "emonet/error.h"
#include "emonet/files.h"
#include "support/test_paths.h"

namespace emonet {
namespace {

TEST(Npy, RoundTripKeepsShapeAndValues) {
  test::TempDir tmp;
  const std::vector<float> v = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7.0f};
  write_npy(tmp.file("a.npy"), v.data(), {2, 3});
  const NpyArray a = read_npy(tmp.file("a.npy"));
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.data, v);
  write_npy(tmp.file("b.npy"), v.data(), {6});
  EXPECT_EQ(read_npy(tmp.file("b.npy")).shape, (std::vector<std::size_t>{6}));
}

TEST(Npy, HeaderIsWhatNumpyWrites) {
  const float x[3] = {0, 0, 0};
  const std::string bytes = encode_npy(x, {3});
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ((bytes.size() - 12) % 64, 0u);  // data 64-byte aligned
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"),
            std::string::npos);
}

TEST(Npy, MalformedFilesAreErrorsNamingTheFile) {
  const float x[4] = {1, 2, 3, 4};
  const std::string good = encode_npy(x, {4});
  EXPECT_THROW(decode_npy(good.substr(0, good.size() - 1), "t.npy"), Error);
  EXPECT_THROW(decode_npy("not numpy", "t.npy"), Error);
  std::string wrong = good;
  wrong.replace(wrong.find("<f4"), 3, "<i4");
  try {
    decode_npy(wrong, "t.npy");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.context().file, "t.npy");
    EXPECT_EQ(e.context().field, "descr");
  }
}

// Found by fuzz/npy_fuzz: an empty float32 array (numpy writes shape (0, 3) for
// np.zeros((0, 3), np.float32)) copied zero bytes into a null buffer (UBSan).
TEST(Npy, EmptyArrayDecodes) {
  const float unused[1] = {0};
  const std::string bytes = encode_npy(unused, {0, 3});
  ASSERT_NE(bytes.find("'shape': (0, 3)"), std::string::npos);
  const NpyArray a = decode_npy(bytes, "empty.npy");
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{0, 3}));
  EXPECT_TRUE(a.data.empty());
  // The fuzzer's input: the same header followed by stray bytes after the (empty) data.
  const NpyArray b = decode_npy(bytes + std::string(16, '\x40'), "empty.npy");
  EXPECT_TRUE(b.data.empty());
}

}  // namespace
}  // namespace emonet
