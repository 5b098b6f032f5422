// SafetensorsFile against files written by make_model.py (numpy values as reference).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "emonet/error.h"
#include "emonet/model_files.h"
#include "model_fixtures.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

using test::error_of;
using test::model_fixture;
using ::testing::HasSubstr;

TEST(Safetensors, IndexesOnlyTheRequestedPrefix) {
  const auto ref = test::model_reference("large");
  const auto st =
      SafetensorsFile::open(model_fixture("large/siglip/model.safetensors"), "vision_model.");
  EXPECT_EQ(st.size(), ref["vision_tensor_count"].get<std::size_t>());
  EXPECT_EQ(st.total_tensor_count(), ref["vision_tensor_count"].get<std::size_t>() +
                                         ref["text_tensor_count"].get<std::size_t>());
  EXPECT_FALSE(st.contains("text_model.embeddings.token_embedding.weight"));
  EXPECT_FALSE(st.contains("logit_scale"));
  EXPECT_TRUE(st.contains("vision_model.head.probe"));
  EXPECT_EQ(st.metadata().at("format"), "pt");
  for (const auto& name : st.names()) EXPECT_TRUE(name.rfind("vision_model.", 0) == 0) << name;

  const auto all = SafetensorsFile::open(model_fixture("large/siglip/model.safetensors"));
  EXPECT_EQ(all.size(), all.total_tensor_count());
  EXPECT_TRUE(all.contains("text_model.embeddings.token_embedding.weight"));
}

TEST(Safetensors, ValuesEqualWhatNumpyWrote) {
  const auto ref = test::model_reference("large");
  const auto st =
      SafetensorsFile::open(model_fixture("large/siglip/model.safetensors"), "vision_model.");
  for (const auto& [name, r] : ref["tensors"].items()) {
    SCOPED_TRACE(name);
    const auto& view = st.get(name);
    EXPECT_EQ(view.dtype, DType::F32);
    EXPECT_EQ(view.shape, r["shape"].get<std::vector<std::int64_t>>());
    const FloatTensor t = to_float32(view);
    EXPECT_TRUE(t.borrowed()) << "aligned F32 must be zero-copy";
    ASSERT_EQ(t.size(), static_cast<std::size_t>(view.numel()));
    const auto first = r["first"].get<std::vector<float>>();
    for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(t.values()[i], first[i]);
    EXPECT_EQ(t.values().back(), r["last"].get<float>());
    double sum = 0;
    for (float v : t.values()) sum += v;
    EXPECT_NEAR(sum, r["sum"].get<double>(), 1e-9 * static_cast<double>(t.size()) + 1e-9);
  }
}

TEST(Safetensors, GetWithShapeChecksTheShape) {
  const auto st =
      SafetensorsFile::open(model_fixture("large/siglip/model.safetensors"), "vision_model.");
  const std::int64_t good[] = {64};
  EXPECT_NO_THROW(st.get("vision_model.post_layernorm.weight", good));
  const std::int64_t bad[] = {65};
  const auto msg = error_of([&] { st.get("vision_model.post_layernorm.weight", bad); });
  EXPECT_THAT(msg, HasSubstr("vision_model.post_layernorm.weight"));
  EXPECT_THAT(msg, HasSubstr("[64]"));
  EXPECT_THAT(msg, HasSubstr("[65]"));
}

TEST(Safetensors, UnknownNameListsCloseNames) {
  const auto st =
      SafetensorsFile::open(model_fixture("large/siglip/model.safetensors"), "vision_model.");
  const auto msg = error_of([&] { st.get("vision_model.post_layernorm.weigth"); });
  EXPECT_THAT(msg, HasSubstr("model.safetensors"));
  EXPECT_THAT(msg, HasSubstr("no tensor 'vision_model.post_layernorm.weigth'"));
  EXPECT_THAT(msg, HasSubstr("vision_model.post_layernorm.weight"));
  // Text weights were not indexed, so asking for them is an error too.
  EXPECT_THAT(error_of([&] { st.get("logit_scale"); }), HasSubstr("no tensor"));
}

TEST(Safetensors, ViewsSurviveAMove) {
  auto st = SafetensorsFile::open(model_fixture("large/siglip/model.safetensors"), "vision_model.");
  const TensorView* before = &st.get("vision_model.head.probe");
  const std::byte* data = before->data;
  SafetensorsFile moved = std::move(st);
  EXPECT_EQ(moved.get("vision_model.head.probe").data, data);
}

struct BrokenCase {
  const char* file;
  const char* tensor;  // expected in the message ("" = none)
  const char* words;
};

class BrokenSafetensors : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenSafetensors, IsRefusedWithFileAndTensorNamed) {
  const auto& c = GetParam();
  const std::string path = model_fixture(std::string("broken/") + c.file);
  const auto msg = error_of([&] { SafetensorsFile::open(path, "vision_model."); });
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr(c.tensor));
  EXPECT_THAT(msg, HasSubstr(c.words));
}

INSTANTIATE_TEST_SUITE_P(
    Files, BrokenSafetensors,
    ::testing::Values(
        // model.safetensors keys are sorted, so the last tensor is a vision_model.post_* one
        BrokenCase{"truncated.safetensors", "vision_model.post_layernorm.weight", "truncated"},
        BrokenCase{"bad_header_length.safetensors", "", "header length"},
        BrokenCase{"inconsistent_shape.safetensors", "vision_model.post_layernorm.weight",
                   "needs 260"},
        BrokenCase{"bad_dtype.safetensors", "vision_model.post_layernorm.bias",
                   "unsupported dtype 'Q7'"},
        BrokenCase{"overlapping.safetensors", "vision_model.post_layernorm", "overlaps"}),
    [](const ::testing::TestParamInfo<BrokenCase>& param_info) {
      std::string name = param_info.param.file;
      return name.substr(0, name.find('.'));
    });

TEST(Safetensors, EmptyAndMissingFiles) {
  test::TempDir tmp;
  write_file_atomic(tmp.file("empty.safetensors"), "");
  EXPECT_THAT(error_of([&] { SafetensorsFile::open(tmp.file("empty.safetensors")); }),
              HasSubstr("not a safetensors file"));
  write_file_atomic(tmp.file("json.safetensors"), std::string("\x03\0\0\0\0\0\0\0[1]x", 12));
  EXPECT_THAT(error_of([&] { SafetensorsFile::open(tmp.file("json.safetensors")); }),
              HasSubstr("not a JSON object"));
  EXPECT_THAT(error_of([&] { SafetensorsFile::open(tmp.file("nope.safetensors")); }),
              HasSubstr("cannot open"));
}

TEST(Safetensors, ConvertsHalfAndDoubleToFloat) {
  const auto ref = test::model_reference("broken");
  const auto st = SafetensorsFile::open(model_fixture("broken/mixed.safetensors"));
  const FloatTensor f16 = to_float32(st.get("a.f16"));
  EXPECT_FALSE(f16.borrowed());
  EXPECT_THAT(std::vector<float>(f16.values().begin(), f16.values().end()),
              ::testing::ElementsAreArray(ref["mixed_f16"].get<std::vector<float>>()));
  const FloatTensor f64 = to_float32(st.get("a.f64"));
  EXPECT_EQ(f64.shape(), (std::vector<std::int64_t>{2, 2}));
  EXPECT_THAT(std::vector<float>(f64.values().begin(), f64.values().end()),
              ::testing::ElementsAreArray(ref["mixed_f64"].get<std::vector<float>>()));
  EXPECT_THAT(error_of([&] { to_float32(st.get("a.i64")); }), HasSubstr("I64"));
}

TEST(Tensor, HalfAndBFloat16ConversionIsExact) {
  // Bit patterns and their values by the IEEE 754 definitions.
  const std::uint16_t half_bits[] = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x7bff, 0x7c00, 0x8000};
  const float half_values[] = {
      1.0f, -2.0f, std::ldexp(1.0f, -24), 1023 * std::ldexp(1.0f, -24), 65504.0f, INFINITY, -0.0f};
  TensorView v{
      "h", DType::F16, {7}, reinterpret_cast<const std::byte*>(half_bits), sizeof half_bits};
  const FloatTensor h = to_float32(v);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(h.values()[i], half_values[i]) << i;
  const std::uint16_t bf_bits[] = {0x3f80, 0xc040, 0x7f80};
  TensorView b{"b", DType::BF16, {3}, reinterpret_cast<const std::byte*>(bf_bits), sizeof bf_bits};
  const FloatTensor bf = to_float32(b);
  EXPECT_EQ(bf.values()[0], 1.0f);
  EXPECT_EQ(bf.values()[1], -3.0f);
  EXPECT_EQ(bf.values()[2], INFINITY);
  const std::uint16_t nan_bits[] = {0x7e00};
  TensorView n{"n", DType::F16, {1}, reinterpret_cast<const std::byte*>(nan_bits), 2};
  EXPECT_TRUE(std::isnan(to_float32(n).values()[0]));
}

TEST(Tensor, DTypeNamesRoundTrip) {
  for (auto d : {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32,
                 DType::I16, DType::I8, DType::U8, DType::Bool})
    EXPECT_EQ(parse_dtype(dtype_name(d)), d);
  EXPECT_EQ(parse_dtype("F8"), std::nullopt);
}

}  // namespace
}  // namespace emonet::model
