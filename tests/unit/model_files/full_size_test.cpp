// The published sizes: a random-weight so400m-patch16-384 checkpoint and 44 Large heads
// (about 2 GB, written by make_model.py --config full). Slow.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "emonet/model_fetch.h"
#include "emonet/model_files.h"
#include "emonet/taxonomy.h"
#include "model_fixtures.h"

namespace emonet::model {
namespace {

using test::model_fixture;

TEST(FullSize, So400mCheckpointAndLargeHeads) {
  const auto ref = test::model_reference("full_large");
  const ModelFiles m = resolve_model_dir(model_fixture("full_large"));
  const VisionConfig c = load_vision_config(m.config_json);
  EXPECT_EQ(c.hidden_size, 1152);
  EXPECT_EQ(c.num_hidden_layers, 27);
  EXPECT_EQ(c.num_patches(), 576);
  const auto st = SafetensorsFile::open(m.safetensors, "vision_model.");
  check_vision_tensors(st, c);
  std::int64_t params = 0;
  for (const auto& name : st.names()) params += st.get(name).numel();
  EXPECT_EQ(params, ref["vision_params"].get<std::int64_t>());

  const auto heads = load_heads(m.heads_dir);
  ASSERT_EQ(heads.size(), kNumCategories);
  for (const auto& h : heads) {
    EXPECT_EQ(head_variant(h), "large") << h.key;
    ASSERT_EQ(h.layers.size(), 4u);
    EXPECT_EQ(h.layers[0].in, 1152);
  }
  const auto info = describe_model(model_fixture("full_large"));
  EXPECT_EQ(info["heads"]["parameters_per_head"], 1837057);  // model-spec 1.3
  EXPECT_EQ(info["heads"]["variant"], "large");
}

}  // namespace
}  // namespace emonet::model
