// The annotation UI's static files (HTML templates, CSS, JS) compiled into the binary.
//
// The files live in src/annotate/web/; a CMake step (web/embed_assets.cmake) turns them
// into byte arrays at build time, so the server never reads its UI from disk and a
// deployed binary cannot be served a stale or tampered copy.
//
// Immutable static data: every function is thread-safe.
#pragma once

#include <string_view>
#include <vector>

namespace emonet::annotate {

struct WebAsset {
  std::string_view name;   // file name inside src/annotate/web/, e.g. "app.css"
  std::string_view bytes;  // the file's exact contents
};

// Every embedded file, in the order CMake listed them.
const std::vector<WebAsset>& web_assets();

// The file called `name`, or nullptr.
inline const WebAsset* find_web_asset(std::string_view name) {
  for (const auto& asset : web_assets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

}  // namespace emonet::annotate
