// config.json / preprocessor_config.json readers and the expected vision tensor list.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model_files.h"
#include "model_fixtures.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

using test::error_of;
using test::model_fixture;
using ::testing::HasSubstr;

VisionConfig config_from(const std::string& json) {
  test::TempDir tmp;
  write_file_atomic(tmp.file("config.json"), json);
  return load_vision_config(tmp.file("config.json"));
}

std::string config_error(const std::string& json) {
  return error_of([&] { config_from(json); });
}

TEST(VisionConfig, ReadsTheFixtureAndAppliesDefaultsForOmittedFields) {
  const auto ref = test::model_reference("large");
  // Like the published file, the fixture leaves hidden_act and layer_norm_eps out.
  const auto raw = nlohmann::json::parse(read_file(model_fixture("large/siglip/config.json")));
  ASSERT_FALSE(raw["vision_config"].contains("hidden_act"));
  ASSERT_FALSE(raw["vision_config"].contains("layer_norm_eps"));
  const VisionConfig c = load_vision_config(model_fixture("large/siglip/config.json"));
  EXPECT_EQ(c.hidden_size, ref["vision"]["hidden_size"].get<int>());
  EXPECT_EQ(c.intermediate_size, ref["vision"]["intermediate_size"].get<int>());
  EXPECT_EQ(c.num_hidden_layers, ref["vision"]["num_hidden_layers"].get<int>());
  EXPECT_EQ(c.num_attention_heads, ref["vision"]["num_attention_heads"].get<int>());
  EXPECT_EQ(c.image_size, ref["vision"]["image_size"].get<int>());
  EXPECT_EQ(c.patch_size, ref["vision"]["patch_size"].get<int>());
  EXPECT_EQ(c.num_channels, 3);
  EXPECT_EQ(c.hidden_act, "gelu_pytorch_tanh");
  EXPECT_EQ(c.layer_norm_eps, 1e-6);
  EXPECT_EQ(c.num_patches(), (c.image_size / c.patch_size) * (c.image_size / c.patch_size));
}

TEST(VisionConfig, ExplicitKeysAreRead) {
  const VisionConfig c = load_vision_config(model_fixture("large_params/siglip/config.json"));
  EXPECT_EQ(c.hidden_act, "gelu_pytorch_tanh");
  EXPECT_EQ(c.layer_norm_eps, 1e-6);
  const VisionConfig e = config_from(
      R"({"model_type": "siglip", "vision_config": {"hidden_act": "gelu", "layer_norm_eps": 1e-5}})");
  EXPECT_EQ(e.hidden_act, "gelu");
  EXPECT_EQ(e.layer_norm_eps, 1e-5);
}

TEST(VisionConfig, HuggingFaceDefaultsForAnEmptyConfig) {
  // transformers SiglipVisionConfig() defaults.
  for (const char* json :
       {R"({"model_type": "siglip"})", R"({"model_type": "siglip", "vision_config": {}})",
        R"({"model_type": "siglip_vision_model"})"}) {
    SCOPED_TRACE(json);
    const VisionConfig c = config_from(json);
    EXPECT_EQ(c.hidden_size, 768);
    EXPECT_EQ(c.intermediate_size, 3072);
    EXPECT_EQ(c.num_hidden_layers, 12);
    EXPECT_EQ(c.num_attention_heads, 12);
    EXPECT_EQ(c.num_channels, 3);
    EXPECT_EQ(c.image_size, 224);
    EXPECT_EQ(c.patch_size, 16);
    EXPECT_EQ(c.hidden_act, "gelu_pytorch_tanh");
    EXPECT_EQ(c.layer_norm_eps, 1e-6);
  }
}

TEST(VisionConfig, VisionModelConfigAtTopLevel) {
  const VisionConfig c = config_from(
      R"({"model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 4304,
          "num_hidden_layers": 27, "num_attention_heads": 16, "image_size": 384, "patch_size": 16})");
  EXPECT_EQ(c.hidden_size, 1152);
  EXPECT_EQ(c.head_dim(), 72);
  EXPECT_EQ(c.num_patches(), 576);
}

TEST(VisionConfig, BadConfigsNameTheField) {
  EXPECT_THAT(config_error(R"({"model_type": "siglip2", "vision_config": {}})"),
              HasSubstr("NaFlex"));
  EXPECT_THAT(config_error(R"({"model_type": "siglip", "vision_config": {"num_patches": 256}})"),
              HasSubstr("NaFlex"));
  EXPECT_THAT(config_error(R"({"model_type": "siglip", "vision_config": {"hidden_act": "silu"}})"),
              HasSubstr("vision_config.hidden_act"));
  EXPECT_THAT(config_error(R"({"model_type": "siglip", "vision_config": {"hidden_size": "big"}})"),
              HasSubstr("vision_config.hidden_size"));
  EXPECT_THAT(config_error(R"({"model_type": "siglip", "vision_config": {"hidden_size": 100}})"),
              HasSubstr("not divisible by num_attention_heads"));
  EXPECT_THAT(config_error(R"({"model_type": "siglip", "vision_config": {"patch_size": 15}})"),
              HasSubstr("not divisible by patch_size"));
  EXPECT_THAT(config_error(R"({"model_type": "siglip", "vision_config": {"layer_norm_eps": -1}})"),
              HasSubstr("layer_norm_eps"));
  EXPECT_THAT(config_error(R"({"model_type": "bert"})"), HasSubstr("SiglipModel"));
  EXPECT_THAT(config_error("{oops"), HasSubstr("not valid JSON"));
}

TEST(ExpectedVisionTensors, MatchTheCheckpointTorchWrote) {
  const auto ref = test::model_reference("large");
  const VisionConfig c = load_vision_config(model_fixture("large/siglip/config.json"));
  const auto expected = expected_vision_tensors(c);
  const auto st =
      SafetensorsFile::open(model_fixture("large/siglip/model.safetensors"), "vision_model.");
  EXPECT_EQ(expected.size(), st.size());
  std::int64_t params = 0;
  for (const auto& e : expected) {
    ASSERT_TRUE(st.contains(e.name)) << e.name;
    EXPECT_EQ(st.get(e.name).shape, e.shape) << e.name;
    std::int64_t n = 1;
    for (auto d : e.shape) n *= d;
    params += n;
  }
  EXPECT_EQ(params, ref["vision_params"].get<std::int64_t>());
  EXPECT_NO_THROW(check_vision_tensors(st, c));
}

TEST(ExpectedVisionTensors, WrongOrMissingTensorsAreListed) {
  const VisionConfig c = load_vision_config(model_fixture("broken/config.json"));
  const auto wrong =
      SafetensorsFile::open(model_fixture("broken/wrong_shape.safetensors"), "vision_model.");
  const auto msg = error_of([&] { check_vision_tensors(wrong, c); });
  EXPECT_THAT(msg, HasSubstr("vision_model.encoder.layers.1.mlp.fc1.weight has shape [64, 128]"));
  EXPECT_THAT(msg, HasSubstr("[128, 64]"));
  const auto missing =
      SafetensorsFile::open(model_fixture("broken/missing_tensor.safetensors"), "vision_model.");
  EXPECT_THAT(error_of([&] { check_vision_tensors(missing, c); }),
              HasSubstr("missing vision_model.head.attention.in_proj_bias"));
}

}  // namespace
}  // namespace emonet::model
