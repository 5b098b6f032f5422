// Downloading a model directory from Hugging Face, and describing one.
//
// fetch_model() downloads the two repositories a model directory is made of (see
// model_files.h): google/siglip2-so400m-patch16-384 into DIR/siglip and
// laion/Empathic-Insight-Face-Large (or -Small) into DIR/heads, over HTTPS with libcurl.
// Downloads resume from "<file>.part" with an HTTP Range request, are checked against the
// size the server announces, and are renamed into place only when complete. The endpoint
// is $HF_ENDPOINT (default https://huggingface.co) and $HF_TOKEN, when set, is sent as a
// bearer token. Offline, it fails fast (10 s connect timeout, no retries) with an Error
// that explains how to point --model at a directory instead.
//
// describe_model() summarises a model directory for `emonet model info`.
//
// Thread-safety: the functions are reentrant; don't fetch into one directory from two
// processes at once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace emonet::model {

// The Hugging Face repositories of a variant ("large" or "small"; Error otherwise).
struct ModelSource {
  std::string variant;      // "large" / "small"
  std::string siglip_repo;  // "google/siglip2-so400m-patch16-384"
  std::string heads_repo;   // "laion/Empathic-Insight-Face-Large" / "-Small"
};
ModelSource model_source(const std::string& variant);

// $XDG_CACHE_HOME/emonet/<variant>, else ~/.cache/emonet/<variant>.
std::string default_model_dir(const std::string& variant);

struct FetchOptions {
  std::string variant = "large";
  std::string dir;       // empty = default_model_dir(variant)
  std::string endpoint;  // empty = $HF_ENDPOINT or https://huggingface.co
  std::string token;     // empty = $HF_TOKEN (if set)
  long connect_timeout_s = 10;
  bool progress = true;  // draw emonet::Progress bars (only on a TTY anyway)
};

struct FetchedFile {
  std::string repo;
  std::string name;  // file name inside the repo
  std::string path;  // local path
  std::uint64_t size = 0;
  bool downloaded = false;         // false: was already complete
  std::uint64_t resumed_from = 0;  // bytes of an earlier .part reused
};

struct FetchResult {
  std::string dir;
  std::vector<FetchedFile> files;
};

FetchResult fetch_model(const FetchOptions& options);

// Architecture, parameter count (vision tensors present), head variant, files and sizes,
// neutral statistics shape. Throws like resolve_model_dir() when the directory is
// incomplete.
nlohmann::ordered_json describe_model(const std::string& dir);

}  // namespace emonet::model
