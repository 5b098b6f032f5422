// Listing image inputs (files, folders, manifests, WebDataset shards) and reading bytes.
#include "emonet/image_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/webdataset_reader.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"

namespace emonet::data {

namespace fs = std::filesystem;

namespace {

std::string lower_ext(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

bool is_image_name(const fs::path& p) {
  const auto ext = lower_ext(p);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

void add_folder(const std::string& in, std::vector<ImageItem>& out) {
  std::vector<ImageItem> found;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(in, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && is_image_name(it->path())) {
      const std::string path = it->path().string();
      found.push_back(
          ImageItem{it->path().lexically_relative(in).generic_string(), path, path, ""});
    }
  if (ec) throw Error("cannot list directory: " + ec.message(), {in, 0, ""});
  if (found.empty()) throw Error("no .jpg, .jpeg, .png or .webp images in directory", {in, 0, ""});
  std::sort(found.begin(), found.end(),
            [](const ImageItem& a, const ImageItem& b) { return a.id < b.id; });
  out.insert(out.end(), found.begin(), found.end());
}

void add_manifest(const std::string& in, std::vector<ImageItem>& out) {
  auto csv = CsvReader::open(in);
  csv.read_header();
  const auto col = csv.column("file_name");
  const fs::path root = fs::path(in).parent_path();
  CsvRecord r;
  while (csv.next(r)) {
    const std::string& name = r[col];
    if (name.empty()) throw Error("empty file_name", {in, r.line, "file_name"});
    const fs::path rel(name);
    if (rel.is_absolute() || std::find(rel.begin(), rel.end(), "..") != rel.end())
      throw Error("file_name must be a relative path inside the folder: '" + name + "'",
                  {in, r.line, "file_name"});
    out.push_back(ImageItem{name, name, (root / rel).string(), ""});
  }
}

void add_tar(const std::string& tar, std::vector<ImageItem>& out) {
  for (auto& s : detail::list_tar_samples(tar))
    out.push_back(ImageItem{s.file_name, s.file_name, tar, s.image});
}

}  // namespace

std::vector<ImageItem> list_images(const std::vector<std::string>& inputs) {
  std::vector<ImageItem> items;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      if (detail::is_shard_folder(in)) {
        for (const auto& tar : detail::shard_folder_tars(in)) add_tar(tar, items);
      } else {
        add_folder(in, items);
      }
    } else if (fs::exists(in, ec)) {
      const auto ext = lower_ext(in);
      if (ext == ".csv") {
        add_manifest(in, items);
      } else if (ext == ".tar") {
        add_tar(in, items);
      } else {
        const std::string id = fs::path(in).generic_string();
        items.push_back(ImageItem{id, in, in, ""});
      }
    } else {
      throw Error("no such file or directory", {in, 0, ""});
    }
  }
  return items;
}

struct ImageReader::Impl {
  detail::TarCursor cursor;
};

ImageReader::ImageReader() : impl_(std::make_unique<Impl>()) {}
ImageReader::~ImageReader() = default;

std::vector<std::uint8_t> ImageReader::read(const ImageItem& item) {
  if (!item.member.empty()) return impl_->cursor.read(item.file, item.member);
  const std::string s = read_file(item.file);
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

std::vector<model::PredictInput> to_predict_inputs(const std::vector<ImageItem>& items) {
  auto reader = std::make_shared<ImageReader>();
  std::vector<model::PredictInput> out;
  out.reserve(items.size());
  for (const auto& it : items) {
    if (it.member.empty() && it.display == it.file)
      out.push_back(model::PredictInput{it.display, {}});
    else
      out.push_back(model::PredictInput{it.display, [reader, it] { return reader->read(it); }});
  }
  return out;
}

}  // namespace emonet::data
