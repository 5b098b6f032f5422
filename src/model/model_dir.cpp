// The model directory layout: DIR/siglip (SigLIP2 files) + DIR/heads (head files).
#include <filesystem>

#include "emonet/error.h"
#include "emonet/model_fetch.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::model {

ModelFiles resolve_model_dir(const std::string& dir, bool allow_subset) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir))
    throw Error(
        "model directory does not exist (download one with `emonet model fetch "
        "large|small`, or give --model DIR with siglip/ and heads/ folders)",
        {dir, 0, ""});
  ModelFiles m;
  m.dir = dir;
  m.siglip_dir = (fs::path(dir) / "siglip").string();
  m.heads_dir = (fs::path(dir) / "heads").string();
  m.config_json = (fs::path(m.siglip_dir) / "config.json").string();
  m.preprocessor_json = (fs::path(m.siglip_dir) / "preprocessor_config.json").string();
  m.safetensors = (fs::path(m.siglip_dir) / "model.safetensors").string();

  std::vector<std::string> missing;
  for (const auto* f : {&m.config_json, &m.preprocessor_json, &m.safetensors})
    if (!fs::is_regular_file(*f)) missing.push_back(*f);
  if (!fs::is_directory(m.heads_dir)) {
    missing.push_back(m.heads_dir + "/ (the head files model_<key>_best.pth)");
  } else {
    std::vector<std::string> missing_heads;
    for (const auto& c : categories()) {
      const std::string f = (fs::path(m.heads_dir) / (std::string(c.head_key) + ".pth")).string();
      if (fs::is_regular_file(f))
        m.head_files.push_back(f);
      else
        missing_heads.push_back(std::string(c.head_key) + ".pth");
    }
    if (m.head_files.empty() || (!allow_subset && !missing_heads.empty()))
      missing.push_back(std::to_string(missing_heads.size()) + " head file(s) in " + m.heads_dir +
                        ": " + join(missing_heads, ", "));
    try {
      m.neutral_json = find_neutral_stats(m.heads_dir);
    } catch (const Error& e) {
      missing.push_back(e.message());
    }
  }
  if (!missing.empty())
    throw Error("incomplete model directory; missing: " + join(missing, "; "), {dir, 0, ""});
  return m;
}

std::string resolve_model_arg(const std::string& model_arg) {
  if (model_arg == "large" || model_arg == "small") return default_model_dir(model_arg);
  return model_arg;
}

}  // namespace emonet::model
