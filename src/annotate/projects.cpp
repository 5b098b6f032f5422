// Project items from folders and manifests (see projects.h).
#include "annotate/projects.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::annotate {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

bool is_image_name(const std::string& name) {
  const std::string lower = to_lower(name);
  return ends_with(lower, ".jpg") || ends_with(lower, ".jpeg") || ends_with(lower, ".png") ||
         ends_with(lower, ".webp");
}

// One manifest row as strings plus the optional compare sources.
struct ManifestRow {
  long line = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  json sources;
  const std::string* get(const std::string& name) const {
    for (const auto& [k, v] : fields) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

std::vector<ManifestRow> read_manifest(const std::string& path) {
  std::vector<ManifestRow> rows;
  if (ends_with(to_lower(path), ".jsonl")) {
    const std::string text = read_file(path);
    long line = 0;
    for (const auto& raw : split(text, '\n')) {
      ++line;
      if (trim(raw).empty()) continue;
      json j = json::parse(raw, nullptr, false);
      if (!j.is_object()) throw Error("not a JSON object", {path, line, ""});
      ManifestRow row;
      row.line = line;
      for (const auto& [k, v] : j.items()) {
        if (k == "sources") {
          row.sources = v;
        } else if (v.is_string()) {
          row.fields.emplace_back(k, v.get<std::string>());
        } else if (v.is_number() || v.is_boolean()) {
          row.fields.emplace_back(k, v.dump());
        } else if (!v.is_null()) {
          throw Error("value must be a string or number", {path, line, k});
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }
  CsvReader reader = CsvReader::open(path);
  const auto header = reader.read_header();
  CsvRecord rec;
  while (reader.next(rec)) {
    ManifestRow row;
    row.line = rec.line;
    for (std::size_t i = 0; i < header.size(); ++i) row.fields.emplace_back(header[i], rec[i]);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string emotion_name(const std::string& value, const std::string& file, long line,
                         const std::string& column) {
  try {
    const Category& c = lookup(trim(value));
    if (c.is_extra()) throw Error("'" + value + "' is not one of the 40 emotions");
    return std::string(c.name);
  } catch (const Error& e) {
    throw Error(e.message(), {file, line, column});
  }
}

}  // namespace

bool safe_relative_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string::npos ||
      path.find('\0') != std::string::npos) {
    return false;
  }
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

std::vector<NewItem> build_items(ProjectSpec& spec, const ProjectSource& source) {
  if (spec.overlap < 1 || spec.overlap > 100) {
    throw Error("overlap must be between 1 and 100", {"", 0, "overlap"});
  }
  if (spec.lease_seconds < 1) throw Error("lease must be at least 1 second", {"", 0, "lease"});
  std::string dir = source.images_dir;
  if (dir.empty() && !source.manifest.empty()) {
    dir = fs::absolute(source.manifest).parent_path().string();
  }
  if (dir.empty()) throw Error("give an images folder or a manifest", {"", 0, "images"});
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) throw Error("cannot resolve images folder", {dir, 0, ""});
  if (source.require_images && !fs::is_directory(canonical)) {
    throw Error("images folder does not exist", {dir, 0, ""});
  }
  spec.images_dir = canonical.string();
  if (!source.guide.empty()) {
    load_guide(source.guide);  // validates; throws naming the file
    spec.guide_json = read_file(source.guide);
  }

  std::vector<NewItem> items;
  auto base_item = [&](const std::string& image) {
    NewItem it;
    it.image = image;
    it.metadata = "{}";
    it.profiles = "{}";
    it.target_votes = spec.overlap;
    it.max_parallel = spec.overlap;
    return it;
  };

  if (source.manifest.empty()) {
    if (spec.protocol != Protocol::intensity) {
      throw Error(std::string(protocol_name(spec.protocol)) +
                      " projects need a manifest (emotion per image / candidate profiles)",
                  {"", 0, "manifest"});
    }
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(canonical)) {
      if (entry.is_regular_file() && is_image_name(entry.path().filename().string())) {
        names.push_back(entry.path().filename().string());
      }
    }
    std::sort(names.begin(), names.end());
    if (names.empty()) throw Error("no .jpg/.jpeg/.png/.webp images in the folder", {dir, 0, ""});
    for (const auto& n : names) items.push_back(base_item(n));
    return items;
  }

  const std::string& mf = source.manifest;
  for (const auto& row : read_manifest(mf)) {
    const std::string* image = row.get("image");
    if (!image) image = row.get("path");
    if (!image) image = row.get("file");
    if (!image) image = row.get("file_name");  // metadata.csv / design.csv (shared format)
    if (!image) {
      throw Error("missing image column (image, path, file or file_name)", {mf, row.line, "image"});
    }
    const std::string path(trim(*image));
    if (!safe_relative_path(path)) {
      throw Error("image path must be relative, inside the images folder", {mf, row.line, "image"});
    }
    if (source.require_images && !fs::is_regular_file(canonical / path)) {
      throw Error("image file not found: " + (canonical / path).string(), {mf, row.line, "image"});
    }
    NewItem it = base_item(path);
    json meta = json::object();
    for (const auto& [k, v] : row.fields) {
      if (k != "image" && k != "path" && k != "file" && k != "file_name" && k != "text") {
        meta[k] = v;
      }
    }
    it.metadata = meta.dump();
    if (spec.protocol == Protocol::binary) {
      const std::string* emotion = row.get("emotion");
      if (!emotion) emotion = row.get("target_emotion");
      if (!emotion || trim(*emotion).empty()) {
        throw Error("binary projects need the emotion to ask about", {mf, row.line, "emotion"});
      }
      it.emotion = emotion_name(*emotion, mf, row.line, "emotion");
      it.role = "target";
      if (const std::string* t = row.get("text")) it.text = *t;
      // Sequential vote: one expert at a time, up to 3 (a No ends it).
      it.target_votes = 3;
      it.max_parallel = 1;
      items.push_back(it);
      if (const std::string* contrast = row.get("contrast_emotion");
          contrast && !trim(*contrast).empty()) {
        NewItem c = it;
        c.emotion = emotion_name(*contrast, mf, row.line, "contrast_emotion");
        c.role = "contrast";
        c.text.clear();
        c.target_votes = 1;
        items.push_back(std::move(c));
      }
    } else if (spec.protocol == Protocol::compare) {
      if (!row.sources.is_object() || row.sources.size() != 2) {
        throw Error("compare items need \"sources\": an object with exactly two profiles",
                    {mf, row.line, "sources"});
      }
      json sources = json::array();
      for (const auto& [name, ratings] : row.sources.items()) {
        if (!ratings.is_object()) throw Error("profile must be an object", {mf, row.line, name});
        json clean = json::object();
        for (const auto& [key, value] : ratings.items()) {
          const Category* c = find_category(key);
          if (!c || c->is_extra())
            throw Error("unknown emotion '" + key + "'", {mf, row.line, name});
          if (!value.is_number()) throw Error("rating must be a number", {mf, row.line, key});
          clean[std::string(c->hq_key)] = value;
        }
        sources.push_back({{"name", name}, {"ratings", clean}});
      }
      it.profiles = json{{"sources", sources}}.dump();
      items.push_back(std::move(it));
    } else {
      items.push_back(std::move(it));
    }
  }
  if (items.empty()) throw Error("the manifest lists no images", {mf, 0, ""});
  return items;
}

}  // namespace emonet::annotate
