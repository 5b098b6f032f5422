// `emonet model info`: what a model directory holds, read from the files themselves.
#include <filesystem>

#include "emonet/error.h"
#include "emonet/image.h"
#include "emonet/model_fetch.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::model {

nlohmann::ordered_json describe_model(const std::string& dir) {
  namespace fs = std::filesystem;
  const ModelFiles files = resolve_model_dir(dir, /*allow_subset=*/true);
  nlohmann::ordered_json out;
  out["dir"] = dir;

  const VisionConfig c = load_vision_config(files.config_json);
  auto& a = out["architecture"];
  a["hidden_size"] = c.hidden_size;
  a["intermediate_size"] = c.intermediate_size;
  a["num_hidden_layers"] = c.num_hidden_layers;
  a["num_attention_heads"] = c.num_attention_heads;
  a["head_dim"] = c.head_dim();
  a["num_channels"] = c.num_channels;
  a["image_size"] = c.image_size;
  a["patch_size"] = c.patch_size;
  a["num_patches"] = c.num_patches();
  a["hidden_act"] = c.hidden_act;
  a["layer_norm_eps"] = c.layer_norm_eps;

  // One preprocessing config type for the whole project: the image module's.
  const ::emonet::PreprocessConfig pp = ::emonet::load_preprocess_config(files.preprocessor_json);
  auto& p = out["preprocess"];
  p["size"] = {pp.height, pp.width};
  p["resample"] = std::string(::emonet::resample_name(pp.resample));
  p["rescale_factor"] = pp.rescale_factor;
  p["image_mean"] = pp.mean;
  p["image_std"] = pp.std;

  const auto st = SafetensorsFile::open(files.safetensors, "vision_model.");
  check_vision_tensors(st, c);
  std::int64_t params = 0;
  std::uint64_t bytes = 0;
  std::map<std::string, std::size_t> dtypes;
  for (const auto& name : st.names()) {
    const auto& v = st.get(name);
    params += v.numel();
    bytes += v.nbytes;
    ++dtypes[std::string(dtype_name(v.dtype))];
  }
  auto& w = out["vision_weights"];
  w["tensors"] = st.size();
  w["parameters"] = params;
  w["bytes"] = bytes;
  w["dtypes"] = dtypes;
  w["other_tensors_skipped"] = st.total_tensor_count() - st.size();

  const auto heads = load_heads(files.heads_dir, {.allow_subset = true});
  auto& h = out["heads"];
  h["count"] = heads.size();
  h["variant"] = head_variant(heads.front());
  std::vector<std::string> layout;
  std::int64_t head_params = 0;
  for (const auto& l : heads.front().layers) {
    layout.push_back(std::to_string(l.in) + "->" + std::to_string(l.out));
    head_params += static_cast<std::int64_t>(l.weight.size() + l.bias.size());
  }
  h["layers"] = join(layout, ", ");
  h["parameters_per_head"] = head_params;
  h["parameters_total"] = head_params * static_cast<std::int64_t>(heads.size());
  std::vector<std::string> keys;
  for (const auto& hd : heads) keys.push_back(hd.key);
  if (heads.size() < kNumCategories) h["present"] = keys;

  const NeutralStats ns = load_neutral_stats(files.neutral_json);
  auto& n = out["neutral_stats"];
  n["file"] = fs::path(files.neutral_json).filename().string();
  n["shape"] = ns.shape == NeutralStats::Shape::MeanStd ? "{key: {mean, std}}" : "{key: mean}";
  n["entries"] = ns.mean.size();

  auto& f = out["files"];
  f = nlohmann::ordered_json::array();
  std::vector<std::string> all = {files.config_json, files.preprocessor_json, files.safetensors,
                                  files.neutral_json};
  all.insert(all.end(), files.head_files.begin(), files.head_files.end());
  std::uint64_t total = 0;
  for (const auto& path : all) {
    const auto size = fs::file_size(path);
    total += size;
    f.push_back({{"path", fs::relative(path, dir).string()}, {"bytes", size}});
  }
  out["total_bytes"] = total;
  return out;
}

}  // namespace emonet::model
