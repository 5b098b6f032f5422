// The published layouts of FER2013, RAF-DB, AffectNet and FACES (and plain class
// folders) read into (image id, class, person) lists; see bench_transfer_dataset.h.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "bench/file_text.h"
#include "emonet/bench_transfer_dataset.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/strings.h"

namespace emonet::bench {
namespace {

namespace fs = std::filesystem;

bool is_image(const fs::path& p) {
  const std::string ext = to_lower(p.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

std::string rel_id(const fs::path& root, const fs::path& file) {
  return file.lexically_relative(root).generic_string();
}

// Dataset class names -> the mappings' vocabulary (anger, contempt, disgust, fear, happy,
// neutral, sad, surprise). Names the table does not know pass through lower-cased.
std::string normalise_class(const std::string& name) {
  static const std::map<std::string, std::string> kSynonyms = {
      {"angry", "anger"},       {"anger", "anger"},       {"contempt", "contempt"},
      {"disgust", "disgust"},   {"disgusted", "disgust"}, {"fear", "fear"},
      {"fearful", "fear"},      {"scared", "fear"},       {"happy", "happy"},
      {"happiness", "happy"},   {"joy", "happy"},         {"neutral", "neutral"},
      {"sad", "sad"},           {"sadness", "sad"},       {"surprise", "surprise"},
      {"surprised", "surprise"}};
  const std::string key = to_lower(std::string(trim(name)));
  auto it = kSynonyms.find(key);
  return it == kSynonyms.end() ? key : it->second;
}

std::set<std::string> mapping_classes(const TransferMapping& m) {
  std::set<std::string> out;
  for (const auto& [head, cls] : m.heads)
    if (cls && !cls->empty()) out.insert(*cls);
  return out;
}

class Builder {
 public:
  Builder(const DatasetOptions& o, const TransferMapping& m)
      : root_(o.images), classes_(mapping_classes(m)) {}

  void add(const std::string& id, const std::string& raw_class, const ErrorContext& where,
           std::string person = {}) {
    const std::string cls = normalise_class(raw_class);
    if (!classes_.count(cls)) {
      std::vector<std::string> known(classes_.begin(), classes_.end());
      throw Error(
          "class '" + raw_class + "' is not a class of the mapping (" + join(known, ", ") + ")",
          where);
    }
    if (!seen_.insert(id).second) throw Error("image listed twice: " + id, where);
    images_.push_back({id, cls, std::move(person)});
  }
  const fs::path& root() const { return root_; }
  std::vector<DatasetImage> take() {
    std::sort(images_.begin(), images_.end(),
              [](const DatasetImage& a, const DatasetImage& b) { return a.id < b.id; });
    return std::move(images_);
  }

 private:
  fs::path root_;
  std::set<std::string> classes_;
  std::set<std::string> seen_;
  std::vector<DatasetImage> images_;
};

std::vector<fs::path> sorted_dirs(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> sorted_images(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && is_image(e.path())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// DIR/<class>/<image>: every sub-folder is a class.
void read_class_folders(const fs::path& dir, Builder& b) {
  for (const auto& cls_dir : sorted_dirs(dir)) {
    const std::string cls = cls_dir.filename().string();
    for (const auto& f : sorted_images(cls_dir))
      b.add(rel_id(b.root(), f), cls, {cls_dir.string(), 0, ""});
  }
}

void read_fer2013(const DatasetOptions& o, Builder& b, long& skipped) {
  bool any = false;
  for (const char* split : {"train", "test"}) {
    const fs::path dir = b.root() / split;
    if (!fs::is_directory(dir)) continue;
    any = true;
    if (!o.split.empty() && o.split != split) {
      for (const auto& cls_dir : sorted_dirs(dir)) skipped += sorted_images(cls_dir).size();
      continue;
    }
    read_class_folders(dir, b);
  }
  if (!any)
    throw Error("not a FER2013 image folder: expected train/<class>/ or test/<class>/",
                {b.root().string(), 0, ""});
}

// RAF-DB's 1..7 labels.
const char* rafdb_class(const std::string& label) {
  static const char* kNames[] = {"surprise", "fear", "disgust", "happy", "sad", "anger", "neutral"};
  if (label.size() != 1 || label[0] < '1' || label[0] > '7') return nullptr;
  return kNames[label[0] - '1'];
}

void read_rafdb(const DatasetOptions& o, Builder& b, long& skipped) {
  const std::string list =
      o.labels.empty() ? (b.root() / "EmoLabel" / "list_patition_label.txt").string() : o.labels;
  if (!fs::is_regular_file(list))
    throw Error("RAF-DB image list not found (give it with --labels)", {list, 0, ""});
  std::istringstream in(read_text(list));
  std::string line;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    std::istringstream fields(line);
    std::string name, label, extra;
    if (!(fields >> name >> label) || (fields >> extra))
      throw Error("expected '<image name> <label 1-7>'", {list, line_no, ""});
    const char* cls = rafdb_class(label);
    if (!cls) throw Error("label '" + label + "' is not 1..7", {list, line_no, "label"});
    if (name.find("..") != std::string::npos || (!name.empty() && name[0] == '/'))
      throw Error("image name must be relative: " + name, {list, line_no, "name"});
    if (!o.split.empty() && !starts_with(name, o.split + "_")) {
      ++skipped;
      continue;
    }
    const fs::path stem = fs::path(name).stem();
    const fs::path candidates[] = {
        b.root() / name, b.root() / "Image" / "original" / name,
        b.root() / "Image" / "aligned" / (stem.string() + "_aligned.jpg")};
    const fs::path* found = nullptr;
    for (const auto& c : candidates) {
      if (fs::is_regular_file(c)) {
        found = &c;
        break;
      }
    }
    if (!found)
      throw Error("image '" + name + "' not found under " + b.root().string() +
                      " (nor Image/original/, Image/aligned/)",
                  {list, line_no, "name"});
    b.add(rel_id(b.root(), *found), cls, {list, line_no, "label"});
  }
}

// AffectNet's official expression indices (its release's folders and CSVs). The
// mapping files' `affectnet_label_index` describes the authors' JSONL label field
// (alphabetical indices), not this numbering, so it is not used here.
std::string affectnet_class(const std::string& index, bool& skip) {
  static const char* kNames[] = {"neutral", "happy",   "sad",   "surprise",
                                 "fear",    "disgust", "anger", "contempt"};
  skip = index == "8" || index == "9" || index == "10";  // none, uncertain, non-face
  if (index.size() == 1 && index[0] >= '0' && index[0] <= '7') return kNames[index[0] - '0'];
  return {};
}

void read_affectnet(const DatasetOptions& o, Builder& b, long& skipped) {
  if (o.labels.empty()) {
    for (const auto& dir : sorted_dirs(b.root())) {
      const std::string index = dir.filename().string();
      bool skip = false;
      const std::string cls = affectnet_class(index, skip);
      const auto files = sorted_images(dir);
      if (skip) {
        skipped += static_cast<long>(files.size());
        continue;
      }
      if (cls.empty())
        throw Error("folder name '" + index + "' is not an AffectNet expression index (0-10)",
                    {dir.string(), 0, ""});
      for (const auto& f : files) b.add(rel_id(b.root(), f), cls, {dir.string(), 0, ""});
    }
    return;
  }
  CsvReader csv = CsvReader::open(o.labels);
  csv.read_header();
  std::optional<std::size_t> path_col;
  for (const char* name : {"subDirectory_filePath", "file_name", "image", "path"}) {
    if ((path_col = csv.find_column(name))) break;
  }
  if (!path_col)
    throw Error("no image column (subDirectory_filePath, file_name, image or path)",
                {o.labels, 1, ""});
  const std::size_t expr_col = csv.column("expression");
  CsvRecord rec;
  while (csv.next(rec)) {
    const std::string& path = rec[*path_col];
    const std::string index(trim(rec[expr_col]));
    const ErrorContext where{o.labels, rec.line, "expression"};
    bool skip = false;
    const std::string cls = affectnet_class(index, skip);
    if (skip) {
      ++skipped;
      continue;
    }
    if (cls.empty()) throw Error("'" + index + "' is not an AffectNet expression (0-10)", where);
    if (path.empty() || path.find("..") != std::string::npos || path[0] == '/')
      throw Error("image path must be relative and non-empty", {o.labels, rec.line, "path"});
    if (!fs::is_regular_file(b.root() / path))
      throw Error("image '" + path + "' not found under " + b.root().string(),
                  {o.labels, rec.line, csv.header()[*path_col]});
    b.add(fs::path(path).lexically_normal().generic_string(), cls, where);
  }
}

// FACES: PPP_A_G_E_S.<ext> (person, age group, gender, expression, picture set).
void read_faces(Builder& b) {
  static const std::map<char, const char*> kExpr = {{'a', "anger"}, {'d', "disgust"}, {'f', "fear"},
                                                    {'h', "happy"}, {'n', "neutral"}, {'s', "sad"}};
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(b.root()))
    if (e.is_regular_file() && is_image(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string name = f.stem().string();
    const auto parts = split(name, '_');
    const ErrorContext where{f.string(), 0, "file name"};
    auto bad = [&](const std::string& why) {
      throw Error(
          "FACES file name must be PERSON_AGE_GENDER_EXPRESSION_SET (e.g. 004_o_m_a_a): " + why,
          where);
    };
    if (parts.size() != 5) bad("found " + std::to_string(parts.size()) + " parts");
    if (parts[0].empty() ||
        !std::all_of(parts[0].begin(), parts[0].end(), [](char c) { return c >= '0' && c <= '9'; }))
      bad("person '" + parts[0] + "' is not a number");
    if (parts[1] != "y" && parts[1] != "m" && parts[1] != "o") bad("age group must be y, m or o");
    if (parts[2] != "m" && parts[2] != "f") bad("gender must be m or f");
    if (parts[3].size() != 1 || !kExpr.count(parts[3][0]))
      bad("expression must be one of a, d, f, h, n, s");
    if (parts[4] != "a" && parts[4] != "b") bad("picture set must be a or b");
    b.add(rel_id(b.root(), f), kExpr.at(parts[3][0]), where, parts[0]);
  }
}

}  // namespace

DatasetLayout parse_dataset_layout(const std::string& name) {
  if (name == "fer2013") return DatasetLayout::fer2013;
  if (name == "rafdb") return DatasetLayout::rafdb;
  if (name == "affectnet") return DatasetLayout::affectnet;
  if (name == "faces") return DatasetLayout::faces;
  if (name == "folders") return DatasetLayout::folders;
  throw Error("unknown layout '" + name + "' (fer2013, rafdb, affectnet, faces, folders)",
              {"", 0, "--layout"});
}

Dataset load_dataset(const DatasetOptions& o, const TransferMapping& mapping) {
  if (!fs::is_directory(o.images)) throw Error("image folder not found", {o.images, 0, "--images"});
  if (!o.split.empty() && o.split != "train" && o.split != "test")
    throw Error("split must be train or test", {"", 0, "--split"});
  Dataset d;
  d.root = o.images;
  d.layout = o.layout;
  Builder b(o, mapping);
  switch (o.layout) {
    case DatasetLayout::fer2013:
      read_fer2013(o, b, d.skipped);
      break;
    case DatasetLayout::rafdb:
      read_rafdb(o, b, d.skipped);
      break;
    case DatasetLayout::affectnet:
      read_affectnet(o, b, d.skipped);
      break;
    case DatasetLayout::faces:
      read_faces(b);
      break;
    case DatasetLayout::folders:
      read_class_folders(b.root(), b);
      break;
  }
  d.images = b.take();
  if (d.images.empty()) throw Error("no images found for this layout", {o.images, 0, ""});
  return d;
}

}  // namespace emonet::bench
