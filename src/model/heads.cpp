// Head MLPs from model_<key>_best.pth: Linear layers found by their state-dict indices.
#include <filesystem>
#include <map>
#include <memory>

#include "emonet/error.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::model {

FloatArray::FloatArray(std::vector<float> values) {
  auto owned = std::make_shared<const std::vector<float>>(std::move(values));
  data_ = owned->data();
  size_ = owned->size();
  owner_ = std::move(owned);
}

namespace {

// f32 tensors are borrowed in place (to_float32 does not copy aligned f32 data); other
// dtypes are converted into an own array.
FloatArray float_array(const StateTensor& t) {
  FloatTensor f = to_float32(t.view());
  if (f.borrowed()) return FloatArray(f.data(), f.size(), t.owner);
  return FloatArray(std::vector<float>(f.values().begin(), f.values().end()));
}

}  // namespace

Head load_head(const std::string& pth_path, std::string key) {
  const auto state = load_torch_state_dict(pth_path);
  // "<prefix>.<index>.<weight|bias>" -> layer index; the prefix must be the same for all.
  struct Pair {
    const StateTensor* weight = nullptr;
    const StateTensor* bias = nullptr;
  };
  std::map<long long, Pair> by_index;
  std::string prefix;
  bool prefix_set = false;
  std::vector<std::string> unexpected;
  for (const auto& t : state) {
    const auto parts = split(t.name, '.');
    const std::size_t n = parts.size();
    bool ok = n >= 2 && (parts[n - 1] == "weight" || parts[n - 1] == "bias") &&
              !parts[n - 2].empty() &&
              parts[n - 2].find_first_not_of("0123456789") == std::string::npos &&
              parts[n - 2].size() < 9;
    if (ok) {
      const std::string p = join(std::vector<std::string>(parts.begin(), parts.end() - 2), ".");
      if (prefix_set && p != prefix) ok = false;
      prefix = p;
      prefix_set = true;
    }
    if (!ok) {
      unexpected.push_back(t.name);
      continue;
    }
    auto& pair = by_index[std::stoll(parts[n - 2])];
    (parts[n - 1] == "weight" ? pair.weight : pair.bias) = &t;
  }
  if (!unexpected.empty())
    throw Error("unexpected state dict entries for a Linear/ReLU head: " + join(unexpected, ", "),
                {pth_path, 0, ""});
  if (by_index.empty()) throw Error("state dict has no Linear layers", {pth_path, 0, ""});

  Head head;
  head.key = std::move(key);
  for (const auto& [index, pair] : by_index) {
    const std::string layer = (prefix.empty() ? "" : prefix + ".") + std::to_string(index);
    if (!pair.weight || !pair.bias)
      throw Error(
          "layer has a " + std::string(pair.weight ? "weight but no bias" : "bias but no weight"),
          {pth_path, 0, layer});
    const auto& w = *pair.weight;
    const auto& b = *pair.bias;
    if (w.shape.size() != 2 || b.shape.size() != 1 || b.shape[0] != w.shape[0] || w.shape[0] <= 0 ||
        w.shape[1] <= 0)
      throw Error("Linear weight " + w.view().shape_string() + " and bias " +
                      b.view().shape_string() + " do not form a layer",
                  {pth_path, 0, layer});
    Linear lin;
    lin.out = static_cast<int>(w.shape[0]);
    lin.in = static_cast<int>(w.shape[1]);
    if (!head.layers.empty() && head.layers.back().out != lin.in)
      throw Error("layer takes " + std::to_string(lin.in) +
                      " inputs but the previous layer gives " +
                      std::to_string(head.layers.back().out),
                  {pth_path, 0, layer + ".weight"});
    try {
      lin.weight = float_array(w);
      lin.bias = float_array(b);
    } catch (const Error& e) {
      throw e.with_file(pth_path);
    }
    head.layers.push_back(std::move(lin));
  }
  if (head.layers.back().out != 1)
    throw Error("the last layer has " + std::to_string(head.layers.back().out) +
                    " outputs; a head must end in one",
                {pth_path, 0, ""});
  return head;
}

std::vector<Head> load_heads(const std::string& heads_dir, HeadLoadOptions options) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(heads_dir)) throw Error("heads folder does not exist", {heads_dir, 0, ""});
  std::vector<Head> heads;
  std::vector<std::string> missing;
  for (const auto& c : categories()) {
    const std::string file = (fs::path(heads_dir) / (std::string(c.head_key) + ".pth")).string();
    if (!fs::exists(file)) {
      missing.push_back(std::string(c.head_key) + ".pth");
      continue;
    }
    heads.push_back(load_head(file, std::string(c.head_key)));
  }
  if (heads.empty()) throw Error("no head files (model_<key>_best.pth) found", {heads_dir, 0, ""});
  if (!missing.empty() && !options.allow_subset)
    throw Error(std::to_string(missing.size()) + " of " + std::to_string(kNumCategories) +
                    " head files are missing: " + join(missing, ", "),
                {heads_dir, 0, ""});
  for (const auto& h : heads)
    if (h.layers.front().in != heads.front().layers.front().in)
      throw Error("head " + h.key + " takes " + std::to_string(h.layers.front().in) +
                      " inputs but " + heads.front().key + " takes " +
                      std::to_string(heads.front().layers.front().in),
                  {heads_dir, 0, h.key});
  return heads;
}

std::string head_variant(const Head& head) {
  std::vector<int> widths;
  for (std::size_t i = 0; i + 1 < head.layers.size(); ++i) widths.push_back(head.layers[i].out);
  if (widths == std::vector<int>{1024, 512, 256}) return "large";
  if (widths == std::vector<int>{128, 32}) return "small";
  return "custom";
}

}  // namespace emonet::model
