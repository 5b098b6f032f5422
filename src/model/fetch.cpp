// `emonet model fetch`: downloads the SigLIP2 and head repositories from Hugging Face.
//
// The downloads themselves are hf::download_file() (hf_download.h: ".part" files resumed
// with Range requests, size-checked). Nothing is retried here: offline, the user learns at
// once how to use a model directory instead.
#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "emonet/error.h"
#include "emonet/hf_download.h"
#include "emonet/model_fetch.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::model {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSiglipRepo = "google/siglip2-so400m-patch16-384";
constexpr const char* kSiglipFiles[] = {"config.json", "preprocessor_config.json",
                                        "model.safetensors"};
constexpr const char* kNeutralLarge = "neutral_stats_cache-_human-binary-big-mlps.json";
constexpr const char* kNeutralSmall = "EmoNet-Face-Small-average-scores-for-neutral-faces.json";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string offline_hint(const std::string& endpoint) {
  return "cannot reach " + endpoint +
         ". Without internet, copy a model directory (siglip/ + heads/, see "
         "docs/model-format.md) from a machine that has one and pass `--model DIR`; "
         "set HF_ENDPOINT to use a mirror";
}

struct Remote {
  std::string name;
  std::uint64_t size = 0;  // 0 = unknown
};

// Files to fetch from `repo`. Asks the Hub API (with sizes); when the endpoint has no API
// (HTTP error, e.g. a plain file mirror), falls back to the known file list.
std::vector<Remote> list_repo(const std::string& endpoint, const std::string& repo, bool heads,
                              const std::string& variant, const hf::HttpOptions& o) {
  const std::string url = endpoint + "/api/models/" + repo + "?blobs=true";
  const hf::Response t = hf::get(url, o);
  auto wanted = [&](const std::string& name) {
    if (name.find('/') != std::string::npos) return false;
    if (!heads)
      return std::find(std::begin(kSiglipFiles), std::end(kSiglipFiles), name) !=
             std::end(kSiglipFiles);
    return ends_with(name, ".pth") || ends_with(name, ".json");
  };
  std::vector<Remote> files;
  if (t.status == 200) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(t.body);
    } catch (const nlohmann::json::exception& e) {
      throw Error(std::string("the Hub API answer for ") + repo + " is not JSON: " + e.what());
    }
    if (!j.contains("siblings") || !j["siblings"].is_array())
      throw Error("the Hub API answer for " + repo + " has no file list (siblings)");
    for (const auto& s : j["siblings"]) {
      if (!s.is_object() || !s.contains("rfilename") || !s["rfilename"].is_string()) continue;
      Remote r;
      r.name = s["rfilename"].get<std::string>();
      if (!wanted(r.name)) continue;
      if (s.contains("lfs") && s["lfs"].is_object() && s["lfs"].contains("size") &&
          s["lfs"]["size"].is_number_unsigned())
        r.size = s["lfs"]["size"].get<std::uint64_t>();
      else if (s.contains("size") && s["size"].is_number_unsigned())
        r.size = s["size"].get<std::uint64_t>();
      files.push_back(r);
    }
    return files;
  }
  if (t.status == 401 || t.status == 403) hf::check_status(t, url, "listing " + repo);
  // No API: the files the published repositories are known to hold.
  if (!heads) {
    for (const char* f : kSiglipFiles) files.push_back({f, 0});
  } else {
    for (const auto& c : categories()) files.push_back({std::string(c.head_key) + ".pth", 0});
    files.push_back({variant == "large" ? kNeutralLarge : kNeutralSmall, 0});
  }
  return files;
}

FetchedFile download(const std::string& endpoint, const std::string& repo, const Remote& remote,
                     const fs::path& dest_dir, const hf::HttpOptions& o) {
  FetchedFile f;
  f.repo = repo;
  f.name = remote.name;
  f.path = (dest_dir / remote.name).string();
  const std::string url = endpoint + "/" + repo + "/resolve/main/" + hf::escape_path(remote.name);
  const hf::DownloadResult r =
      hf::download_file(url, f.path, remote.size, o, repo + "/" + remote.name);
  f.size = r.size;
  f.downloaded = r.downloaded;
  f.resumed_from = r.resumed_from;
  return f;
}

}  // namespace

ModelSource model_source(const std::string& variant) {
  if (variant == "large") return {"large", kSiglipRepo, "laion/Empathic-Insight-Face-Large"};
  if (variant == "small") return {"small", kSiglipRepo, "laion/Empathic-Insight-Face-Small"};
  throw Error("unknown model variant '" + variant + "' (expected large or small)");
}

std::string default_model_dir(const std::string& variant) {
  model_source(variant);  // validates the name
  std::string base = env("XDG_CACHE_HOME");
  if (base.empty()) {
    const std::string home = env("HOME");
    if (home.empty()) throw Error("neither XDG_CACHE_HOME nor HOME is set; pass --dir DIR");
    base = home + "/.cache";
  }
  return base + "/emonet/" + variant;
}

FetchResult fetch_model(const FetchOptions& o) {
  hf::global_init();
  const ModelSource src = model_source(o.variant);
  const std::string endpoint = hf::resolve_endpoint(o.endpoint);
  hf::HttpOptions http;
  http.token = hf::resolve_token(o.token);
  http.connect_timeout_s = o.connect_timeout_s;
  http.progress = o.progress;
  http.offline_hint = offline_hint(endpoint);

  FetchResult result;
  result.dir = o.dir.empty() ? default_model_dir(o.variant) : o.dir;
  const struct {
    std::string repo;
    const char* sub;
    bool heads;
  } parts[] = {{src.siglip_repo, "siglip", false}, {src.heads_repo, "heads", true}};
  for (const auto& p : parts) {
    const auto files = list_repo(endpoint, p.repo, p.heads, o.variant, http);
    const fs::path dest_dir = fs::path(result.dir) / p.sub;
    std::error_code ec;
    fs::create_directories(dest_dir, ec);
    if (ec) throw Error("cannot create folder: " + ec.message(), {dest_dir.string(), 0, ""});
    for (const auto& r : files)
      result.files.push_back(download(endpoint, p.repo, r, dest_dir, http));
  }
  resolve_model_dir(result.dir);  // everything a model needs arrived
  return result;
}

}  // namespace emonet::model
