// The model directory layout and `emonet model info`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "emonet/error.h"
#include "emonet/model_fetch.h"
#include "emonet/model_files.h"
#include "model_fixtures.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::model_fixture;
using ::testing::HasSubstr;

TEST(ModelDir, ResolvesEveryFile) {
  const ModelFiles m = resolve_model_dir(model_fixture("large"));
  EXPECT_EQ(m.config_json, model_fixture("large/siglip/config.json"));
  EXPECT_EQ(m.preprocessor_json, model_fixture("large/siglip/preprocessor_config.json"));
  EXPECT_EQ(m.safetensors, model_fixture("large/siglip/model.safetensors"));
  EXPECT_EQ(m.neutral_json,
            model_fixture("large/heads/neutral_stats_cache-_human-binary-big-mlps.json"));
  ASSERT_EQ(m.head_files.size(), 44u);
  EXPECT_EQ(m.head_files.front(), model_fixture("large/heads/model_amusement_best.pth"));
}

TEST(ModelDir, ListsEverythingMissing) {
  test::TempDir tmp;
  fs::create_directories(tmp.path() / "siglip");
  fs::copy_file(model_fixture("large/siglip/config.json"), tmp.path() / "siglip/config.json");
  const auto msg = error_of([&] { resolve_model_dir(tmp.path().string()); });
  EXPECT_THAT(msg, HasSubstr("preprocessor_config.json"));
  EXPECT_THAT(msg, HasSubstr("model.safetensors"));
  EXPECT_THAT(msg, HasSubstr("heads/"));
  EXPECT_THAT(error_of([&] { resolve_model_dir(tmp.file("nothing")); }),
              HasSubstr("emonet model fetch"));

  const auto missing = error_of([&] { resolve_model_dir(model_fixture("missing")); });
  EXPECT_THAT(missing, HasSubstr("2 head file(s)"));
  EXPECT_THAT(missing, HasSubstr("model_valence_best.pth"));
  EXPECT_EQ(resolve_model_dir(model_fixture("missing"), true).head_files.size(), 42u);
}

TEST(ModelDir, VariantNamesMapToTheCache) {
  ::setenv("XDG_CACHE_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(resolve_model_arg("large"), "/tmp/xdg-test/emonet/large");
  EXPECT_EQ(resolve_model_arg("small"), "/tmp/xdg-test/emonet/small");
  EXPECT_EQ(resolve_model_arg("models/mine"), "models/mine");
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(default_model_dir("small"), "/home/someone/.cache/emonet/small");
  EXPECT_THAT(error_of([] { default_model_dir("medium"); }), HasSubstr("unknown model variant"));
}

TEST(ModelInfoCli, JsonDescribesArchitectureWeightsHeadsAndFiles) {
  const auto ref = test::model_reference("large");
  const auto r = test::run_cli("model info '" + model_fixture("large") + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["architecture"]["hidden_size"], ref["vision"]["hidden_size"]);
  EXPECT_EQ(info["architecture"]["num_hidden_layers"], ref["vision"]["num_hidden_layers"]);
  EXPECT_EQ(info["architecture"]["hidden_act"], "gelu_pytorch_tanh");
  EXPECT_EQ(info["vision_weights"]["parameters"], ref["vision_params"]);
  EXPECT_EQ(info["vision_weights"]["tensors"], ref["vision_tensor_count"]);
  EXPECT_EQ(info["vision_weights"]["other_tensors_skipped"], ref["text_tensor_count"]);
  EXPECT_EQ(info["heads"]["count"], 44);
  EXPECT_EQ(info["heads"]["layers"], "64->48, 48->32, 32->16, 16->1");
  EXPECT_EQ(info["heads"]["parameters_per_head"],
            64 * 48 + 48 + 48 * 32 + 32 + 32 * 16 + 16 + 16 + 1);
  EXPECT_EQ(info["neutral_stats"]["shape"], "{key: {mean, std}}");
  EXPECT_EQ(info["files"].size(), 48u);  // 3 siglip files, neutral json, 44 heads
  EXPECT_EQ(info["files"][2]["bytes"],
            fs::file_size(model_fixture("large/siglip/model.safetensors")));

  const auto small = test::run_cli("model info '" + model_fixture("small_views") + "'");
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_THAT(small.out, HasSubstr("{key: mean}"));
  EXPECT_THAT(small.out, HasSubstr("heads            44"));
  EXPECT_THAT(small.out, HasSubstr("EmoNet-Face-Small-average-scores-for-neutral-faces.json"));
}

TEST(ModelInfoCli, BrokenDirectoryExitsNonZeroWithTheReason) {
  const auto r = test::run_cli("model info /nonexistent/model");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("emonet: error: /nonexistent/model"));
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
}

}  // namespace
}  // namespace emonet::model
