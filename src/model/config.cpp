// config.json (SigLIP vision sizes), preprocessor_config.json (image preprocessing) and the
// list of vision tensors a checkpoint of a given config must contain.
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"

namespace emonet::model {
namespace {

nlohmann::json parse_json_file(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("not valid JSON: ") + e.what(), {path, 0, ""});
  }
}

// Reads obj[key] into `out` when present and not null; wrong types are an Error.
void read_positive_int(const nlohmann::json& obj, const char* key, int& out,
                       const std::string& path, const std::string& where) {
  if (!obj.contains(key) || obj[key].is_null()) return;
  const auto& v = obj[key];
  if (!v.is_number_integer() || v.get<long long>() <= 0 || v.get<long long>() > 1'000'000)
    throw Error("must be a positive integer, got " + v.dump(), {path, 0, where + key});
  out = static_cast<int>(v.get<long long>());
}

double read_positive_number(const nlohmann::json& v, const std::string& path,
                            const std::string& field) {
  if (!v.is_number() || !(v.get<double>() > 0))
    throw Error("must be a positive number, got " + v.dump(), {path, 0, field});
  return v.get<double>();
}

}  // namespace

VisionConfig load_vision_config(const std::string& path) {
  const nlohmann::json root = parse_json_file(path);
  if (!root.is_object()) throw Error("config is not a JSON object", {path, 0, ""});
  const std::string model_type =
      root.contains("model_type") && root["model_type"].is_string() ? root["model_type"] : "";
  if (starts_with(model_type, "siglip2"))
    throw Error("model_type '" + model_type +
                    "' is a NaFlex SigLIP2 checkpoint; only the fixed-resolution "
                    "checkpoints (model_type 'siglip', e.g. google/siglip2-so400m-patch16-384) "
                    "are supported",
                {path, 0, "model_type"});
  // A SiglipModel keeps the vision sizes in vision_config; a SiglipVisionModel at the top.
  nlohmann::json vision = nlohmann::json::object();
  std::string where;
  if (root.contains("vision_config") && !root["vision_config"].is_null()) {
    vision = root["vision_config"];
    where = "vision_config.";
    if (!vision.is_object()) throw Error("must be an object", {path, 0, "vision_config"});
  } else if (model_type == "siglip_vision_model" || root.contains("hidden_size")) {
    vision = root;
  } else if (model_type != "siglip") {
    throw Error(
        "neither a SiglipModel config (with vision_config) nor a SiglipVisionModel "
        "config (model_type 'siglip_vision_model')",
        {path, 0, ""});
  }
  if (vision.contains("num_patches"))
    throw Error("vision_config has num_patches: a NaFlex checkpoint, which is not supported",
                {path, 0, where + "num_patches"});

  VisionConfig c;
  read_positive_int(vision, "hidden_size", c.hidden_size, path, where);
  read_positive_int(vision, "intermediate_size", c.intermediate_size, path, where);
  read_positive_int(vision, "num_hidden_layers", c.num_hidden_layers, path, where);
  read_positive_int(vision, "num_attention_heads", c.num_attention_heads, path, where);
  read_positive_int(vision, "num_channels", c.num_channels, path, where);
  read_positive_int(vision, "image_size", c.image_size, path, where);
  read_positive_int(vision, "patch_size", c.patch_size, path, where);
  if (vision.contains("hidden_act") && !vision["hidden_act"].is_null()) {
    if (!vision["hidden_act"].is_string())
      throw Error("must be a string", {path, 0, where + "hidden_act"});
    c.hidden_act = vision["hidden_act"].get<std::string>();
  }
  if (vision.contains("layer_norm_eps") && !vision["layer_norm_eps"].is_null())
    c.layer_norm_eps =
        read_positive_number(vision["layer_norm_eps"], path, where + "layer_norm_eps");

  if (c.hidden_act != "gelu_pytorch_tanh" && c.hidden_act != "gelu_new" && c.hidden_act != "gelu")
    throw Error("unsupported activation '" + c.hidden_act +
                    "' (supported: gelu_pytorch_tanh, gelu_new, gelu)",
                {path, 0, where + "hidden_act"});
  if (c.hidden_size % c.num_attention_heads != 0)
    throw Error("hidden_size " + std::to_string(c.hidden_size) +
                    " is not divisible by num_attention_heads " +
                    std::to_string(c.num_attention_heads),
                {path, 0, where + "num_attention_heads"});
  if (c.image_size % c.patch_size != 0)
    throw Error("image_size " + std::to_string(c.image_size) + " is not divisible by patch_size " +
                    std::to_string(c.patch_size),
                {path, 0, where + "patch_size"});
  return c;
}

std::vector<ExpectedTensor> expected_vision_tensors(const VisionConfig& c) {
  const std::int64_t d = c.hidden_size, inter = c.intermediate_size, p = c.patch_size;
  std::vector<ExpectedTensor> t;
  auto add = [&](std::string name, std::vector<std::int64_t> shape) {
    t.push_back({std::move(name), std::move(shape)});
  };
  auto linear = [&](const std::string& prefix, std::int64_t out, std::int64_t in) {
    add(prefix + ".weight", {out, in});
    add(prefix + ".bias", {out});
  };
  auto layer_norm = [&](const std::string& prefix) {
    add(prefix + ".weight", {d});
    add(prefix + ".bias", {d});
  };
  add("vision_model.embeddings.patch_embedding.weight", {d, c.num_channels, p, p});
  add("vision_model.embeddings.patch_embedding.bias", {d});
  add("vision_model.embeddings.position_embedding.weight", {c.num_patches(), d});
  for (int i = 0; i < c.num_hidden_layers; ++i) {
    const std::string l = "vision_model.encoder.layers." + std::to_string(i) + ".";
    layer_norm(l + "layer_norm1");
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"})
      linear(l + "self_attn." + proj, d, d);
    layer_norm(l + "layer_norm2");
    linear(l + "mlp.fc1", inter, d);
    linear(l + "mlp.fc2", d, inter);
  }
  layer_norm("vision_model.post_layernorm");
  add("vision_model.head.probe", {1, 1, d});
  add("vision_model.head.attention.in_proj_weight", {3 * d, d});
  add("vision_model.head.attention.in_proj_bias", {3 * d});
  linear("vision_model.head.attention.out_proj", d, d);
  layer_norm("vision_model.head.layernorm");
  linear("vision_model.head.mlp.fc1", inter, d);
  linear("vision_model.head.mlp.fc2", d, inter);
  return t;
}

void check_vision_tensors(const SafetensorsFile& file, const VisionConfig& config) {
  std::vector<std::string> problems;
  for (const auto& e : expected_vision_tensors(config)) {
    if (!file.contains(e.name)) {
      problems.push_back("missing " + e.name);
      continue;
    }
    const TensorView& v = file.get(e.name);
    if (v.shape != e.shape) {
      TensorView want;
      want.shape = e.shape;
      problems.push_back(e.name + " has shape " + v.shape_string() + ", config.json implies " +
                         want.shape_string());
    } else if (v.dtype != DType::F32 && v.dtype != DType::F16 && v.dtype != DType::BF16 &&
               v.dtype != DType::F64) {
      problems.push_back(e.name + " has non-floating dtype " + std::string(dtype_name(v.dtype)));
    }
  }
  if (problems.empty()) return;
  const std::size_t shown = std::min<std::size_t>(problems.size(), 10);
  std::string msg =
      std::to_string(problems.size()) +
      " vision tensor(s) do not match the architecture in config.json: " +
      join(std::vector<std::string>(problems.begin(), problems.begin() + shown), "; ");
  if (shown < problems.size()) msg += "; ...";
  throw Error(msg, {file.path(), 0, ""});
}

}  // namespace emonet::model
