// `emonet data fetch`, the local half (see data_fetch.h): Parquet rows -> images/ +
// metadata.csv, one row group in memory at a time.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "emonet/csv.h"
#include "emonet/data_fetch.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/progress.h"
#include "emonet/strings.h"

namespace emonet::data {
namespace fs = std::filesystem;
namespace pq = emonet::parquet;

namespace {

const pq::Value* find_ci(const pq::Value& row, std::string_view name) {
  const std::string want = to_lower(name);
  for (const auto& f : row.fields)
    if (to_lower(f.first) == want) return &f.second;
  return nullptr;
}

// Which top-level columns play which role; decided from the first file's schema.
struct Mapping {
  std::string image;         // struct column with a `bytes` field
  std::string demographics;  // struct holding ethnicity/age/gender, or empty
  std::string emotion, annotations;
  std::vector<std::string> extras;  // other top-level columns, written as they are
};

Mapping map_columns(const pq::FileMetadata& m, const std::string& file) {
  Mapping map;
  std::set<std::string> class_label_cols;
  for (const auto& [col, names] : pq::class_labels(m)) class_label_cols.insert(to_lower(col));
  const auto& root = m.schema.at(0);
  std::vector<std::string> names;
  for (int c : root.children) names.push_back(m.schema.at(static_cast<std::size_t>(c)).name);
  auto has_bytes_child = [&](int node) {
    for (int c : m.schema.at(static_cast<std::size_t>(node)).children)
      if (m.schema.at(static_cast<std::size_t>(c)).name == "bytes") return true;
    return false;
  };
  for (int c : root.children) {
    const auto& n = m.schema.at(static_cast<std::size_t>(c));
    const std::string lower = to_lower(n.name);
    if (!n.is_leaf && has_bytes_child(c) && map.image.empty()) {
      map.image = n.name;
    } else if (!n.is_leaf && lower == "demographics") {
      map.demographics = n.name;
    } else if (lower == "emotion" || lower == "target_emotion" ||
               (lower == "label" && class_label_cols.count(lower))) {
      if (map.emotion.empty())
        map.emotion = n.name;
      else
        map.extras.push_back(n.name);
    } else if (lower == "annotations" || lower == "label") {
      if (map.annotations.empty())
        map.annotations = n.name;
      else
        map.extras.push_back(n.name);
    } else if (lower != "prompt" && lower != "ethnicity" && lower != "age" && lower != "gender" &&
               lower != "file_name") {
      map.extras.push_back(n.name);
    }
  }
  if (map.image.empty())
    throw Error("no image column (a struct with a `bytes` field, the HF Image feature) among: " +
                    join(names, ", "),
                {file, 0, ""});
  return map;
}

std::string number_text(double d) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

// A value as CSV text; ClassLabel integers become their names.
std::string text_of(const pq::Value* v, const std::vector<std::string>* names) {
  if (!v) return "";
  switch (v->kind) {
    case pq::Value::Kind::Null:
      return "";
    case pq::Value::Kind::Bool:
      return v->b ? "true" : "false";
    case pq::Value::Kind::Int:
      if (names && v->i >= 0 && static_cast<std::size_t>(v->i) < names->size())
        return (*names)[static_cast<std::size_t>(v->i)];
      return std::to_string(v->i);
    case pq::Value::Kind::Double:
      return number_text(v->d);
    case pq::Value::Kind::String:
    case pq::Value::Kind::Bytes:
      return v->s;
    default:
      return pq::to_json(*v);
  }
}

std::string extension_for(std::string_view bytes) {
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8)
    return ".jpg";
  if (bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return ".png";
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP")
    return ".webp";
  if (bytes.substr(0, 3) == "GIF") return ".gif";
  return ".bin";
}

// A file name from the Image struct's `path` (its last component, made safe), or the row
// number; the extension follows the bytes so readers pick the right decoder.
std::string image_name(const std::string& hf_path, std::uint64_t row, std::string_view bytes) {
  std::string base = hf_path.substr(hf_path.find_last_of("/\\") + 1);
  for (char& ch : base)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_'))
      ch = '_';
  const std::string ext = extension_for(bytes);
  if (base.empty() || base.front() == '.') {
    char num[32];
    std::snprintf(num, sizeof num, "%09llu", static_cast<unsigned long long>(row));
    return num + ext;
  }
  const auto dot = base.rfind('.');
  const std::string stem = dot == std::string::npos ? base : base.substr(0, dot);
  return stem + ext;
}

std::uint64_t size_or_max(const fs::path& p) {
  std::error_code ec;
  const auto s = fs::file_size(p, ec);
  return ec ? ~0ull : s;
}

}  // namespace

LayoutResult layout_dataset(const std::vector<std::string>& parquet_files, const std::string& dir,
                            bool progress) {
  LayoutResult out;
  if (parquet_files.empty()) throw Error("no Parquet files to lay out");
  const fs::path images = fs::path(dir) / "images";
  std::error_code ec;
  fs::create_directories(images, ec);
  if (ec) throw Error("cannot create folder: " + ec.message(), {images.string(), 0, ""});

  std::vector<pq::ParquetFile> files;
  std::uint64_t total = 0;
  for (const auto& p : parquet_files) {
    files.emplace_back(p);
    total +=
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, files.back().metadata().num_rows));
  }
  const Mapping map = map_columns(files.front().metadata(), parquet_files.front());

  const std::string csv_path = (fs::path(dir) / "metadata.csv").string();
  const std::string part = csv_path + ".part";
  std::ofstream csv(part, std::ios::binary);
  if (!csv) throw Error("cannot write", {part, 0, ""});
  CsvWriter writer(csv);
  std::vector<std::string> header = {"file_name", "prompt", "ethnicity",
                                     "age",       "gender", "emotion"};
  if (!map.annotations.empty()) header.push_back("annotations");
  for (const auto& e : map.extras) header.push_back(e);
  writer.write_row(header);

  std::optional<Progress> bar;
  if (progress) bar.emplace("rows", total);
  std::set<std::string> used;
  std::uint64_t without_image = 0;
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    const auto& f = files[fi];
    const auto labels = pq::class_labels(f.metadata());
    auto names_for = [&](const std::string& col) -> const std::vector<std::string>* {
      for (const auto& [c, n] : labels)
        if (to_lower(c) == to_lower(col)) return &n;
      return nullptr;
    };
    for (std::size_t g = 0; g < f.metadata().row_groups.size(); ++g) {
      for (const pq::Value& row : f.read_rows(g)) {
        const std::uint64_t index = out.rows++;
        if (bar) bar->tick();
        const pq::Value* img = find_ci(row, map.image);
        const pq::Value* bytes = img ? img->field("bytes") : nullptr;
        if (!bytes || bytes->kind != pq::Value::Kind::Bytes || bytes->s.empty()) {
          ++without_image;  // nothing to show an annotator or a model
          continue;
        }
        std::string name = image_name(text_of(img->field("path"), nullptr), index, bytes->s);
        if (!used.insert(name).second) {
          char num[32];
          std::snprintf(num, sizeof num, "%09llu_", static_cast<unsigned long long>(index));
          name = num + name;
          used.insert(name);
        }
        const fs::path dest = images / name;
        if (size_or_max(dest) == bytes->s.size()) {
          ++out.skipped;
        } else {
          write_file_atomic(dest.string(), bytes->s);
          ++out.written;
        }
        const pq::Value* demo = map.demographics.empty() ? nullptr : find_ci(row, map.demographics);
        auto demographic = [&](const char* key) {
          const pq::Value* v = find_ci(row, key);
          if ((!v || v->kind == pq::Value::Kind::Null) && demo) v = find_ci(*demo, key);
          return text_of(v, names_for(key));
        };
        std::vector<std::string> fields = {
            "images/" + name,
            text_of(find_ci(row, "prompt"), nullptr),
            demographic("ethnicity"),
            demographic("age"),
            demographic("gender"),
            map.emotion.empty() ? "" : text_of(find_ci(row, map.emotion), names_for(map.emotion))};
        if (!map.annotations.empty())
          fields.push_back(text_of(find_ci(row, map.annotations), names_for(map.annotations)));
        for (const auto& e : map.extras) fields.push_back(text_of(find_ci(row, e), names_for(e)));
        writer.write_row(fields);
      }
    }
  }
  if (bar) bar->finish();
  csv.close();
  if (!csv) throw Error("writing failed (disk full?)", {part, 0, ""});
  fs::rename(part, csv_path);
  if (without_image)
    std::cerr << "emonet: " << without_image << " row(s) without image bytes were left out\n";
  return out;
}

}  // namespace emonet::data
