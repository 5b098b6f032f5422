// The neutral-face statistics shipped with the heads: Large {key: {"mean", "std"}},
// Small {key: mean}. Keys are normalised to taxonomy head keys.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::model {
namespace {

constexpr const char* kPublishedNames[] = {
    "neutral_stats_cache-_human-binary-big-mlps.json",
    "EmoNet-Face-Small-average-scores-for-neutral-faces.json",
};

double finite_number(const nlohmann::json& v, const std::string& path, const std::string& field) {
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    throw Error("must be a finite number, got " + v.dump(), {path, 0, field});
  return v.get<double>();
}

}  // namespace

NeutralStats load_neutral_stats(const std::string& path) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("not valid JSON: ") + e.what(), {path, 0, ""});
  }
  if (!root.is_object() || root.empty())
    throw Error(
        "neutral statistics must be a non-empty JSON object {key: mean} or "
        "{key: {\"mean\": m, \"std\": s}}",
        {path, 0, ""});
  NeutralStats s;
  s.path = path;
  s.shape =
      root.begin()->is_object() ? NeutralStats::Shape::MeanStd : NeutralStats::Shape::FlatMean;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const Category* c = find_category(it.key());
    if (!c) {
      const auto close = closest_names(it.key(), all_category_names(), 3);
      throw Error("unknown emotion key; closest valid names: " + join(close, ", "),
                  {path, 0, it.key()});
    }
    const std::string key(c->head_key);
    if (s.mean.count(key)) throw Error("duplicate entry for " + key, {path, 0, it.key()});
    if (s.shape == NeutralStats::Shape::MeanStd) {
      if (!it->is_object() || !it->contains("mean"))
        throw Error("expected {\"mean\": m, \"std\": s} like the other entries, got " + it->dump(),
                    {path, 0, it.key()});
      s.mean[key] = finite_number((*it)["mean"], path, it.key() + ".mean");
      if (it->contains("std")) s.std[key] = finite_number((*it)["std"], path, it.key() + ".std");
    } else {
      s.mean[key] = finite_number(*it, path, it.key());
    }
  }
  return s;
}

double NeutralStats::mean_for(const std::string& head_key) const {
  auto it = mean.find(head_key);
  if (it == mean.end()) throw Error("no neutral mean for " + head_key, {path, 0, head_key});
  return it->second;
}

std::string find_neutral_stats(const std::string& heads_dir) {
  namespace fs = std::filesystem;
  for (const char* name : kPublishedNames) {
    const fs::path p = fs::path(heads_dir) / name;
    if (fs::exists(p)) return p.string();
  }
  std::vector<std::string> candidates;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(heads_dir, ec)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    try {
      load_neutral_stats(e.path().string());
      candidates.push_back(e.path().string());
    } catch (const Error&) {
      // Some other JSON file (e.g. a config); not a neutral statistics file.
    }
  }
  if (ec) throw Error("cannot list folder: " + ec.message(), {heads_dir, 0, ""});
  if (candidates.size() == 1) return candidates.front();
  if (candidates.empty())
    throw Error(std::string("no neutral statistics JSON found (expected ") + kPublishedNames[0] +
                    " or " + kPublishedNames[1] + ")",
                {heads_dir, 0, ""});
  std::sort(candidates.begin(), candidates.end());
  throw Error("several JSON files look like neutral statistics: " + join(candidates, ", "),
              {heads_dir, 0, ""});
}

}  // namespace emonet::model
