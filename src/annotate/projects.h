// Building a project's items from a folder of images or a manifest (CSV or JSONL).
//
// Manifest columns / keys (only `image` is required; `path` or `file` are accepted too):
//   image             path relative to the images folder (no "..", not absolute)
//   prompt, ethnicity, age, gender, ...   any other column is kept as item metadata
//   emotion           target emotion (binary: required; any name taxonomy::lookup accepts)
//   contrast_emotion  binary: adds a contrast-batch item (single vote) for this image
//   text              binary: the text shown with the question (default: guide synonyms)
//   sources           compare (JSONL only): {"<source name>": {"Group|Emotion": value}} x2
// Folder mode lists the image files (.jpg .jpeg .png .webp) directly in the folder,
// sorted by name (intensity projects only). Errors name the manifest, line and field.
#pragma once

#include <string>
#include <vector>

#include "annotate/store.h"

namespace emonet::annotate {

struct ProjectSource {
  std::string images_dir;      // folder the images live in (default: the manifest's folder)
  std::string manifest;        // "" = every image in images_dir
  std::string guide;           // optional guide.json path (synonyms)
  bool require_images = true;  // check every image exists (off for imports of answers)
};

// Fills spec.images_dir (absolute) and spec.guide_json; returns the items.
std::vector<NewItem> build_items(ProjectSpec& spec, const ProjectSource& source);

// Rejects absolute paths, "..", empty segments, NUL and backslashes in an image path.
bool safe_relative_path(const std::string& path);

}  // namespace emonet::annotate
