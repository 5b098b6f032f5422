// WebDataset tars through libarchive: listing samples and reading members.
#include "data/webdataset_reader.h"

#include <archive_entry.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/files.h"

namespace emonet::data::detail {

namespace fs = std::filesystem;

namespace {

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

archive* open_tar(const std::string& tar) {
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, tar.c_str(), 64 * 1024) != ARCHIVE_OK) {
    const std::string msg = archive_error_string(a) ? archive_error_string(a) : "cannot open";
    archive_read_free(a);
    throw Error("cannot open tar: " + msg, {tar, 0, ""});
  }
  return a;
}

std::vector<std::uint8_t> read_data(archive* a, const std::string& tar, const std::string& name) {
  std::vector<std::uint8_t> out;
  std::uint8_t buf[64 * 1024];
  for (;;) {
    const auto n = archive_read_data(a, buf, sizeof buf);
    if (n < 0)
      throw Error(std::string("cannot read member: ") + archive_error_string(a), {tar, 0, name});
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

bool is_image_ext(std::string ext) {
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "webp";
}

}  // namespace

std::vector<TarSample> list_tar_samples(const std::string& tar) {
  std::unique_ptr<archive, ArchiveCloser> a(open_tar(tar));
  std::vector<TarSample> samples;
  std::map<std::string, std::size_t> by_key;
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    const std::string name = archive_entry_pathname(e);
    const auto slash = name.rfind('/');
    const auto dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
    if (dot == std::string::npos) continue;  // not a sample member
    const std::string key = name.substr(0, dot), ext = name.substr(dot + 1);
    auto [it, fresh] = by_key.emplace(key, samples.size());
    if (fresh) samples.push_back(TarSample{key, "", ""});
    TarSample& s = samples[it->second];
    if (ext == "json") {
      const auto bytes = read_data(a.get(), tar, name);
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
      } catch (const nlohmann::json::exception& ex) {
        throw Error(std::string("malformed JSON: ") + ex.what(), {tar, 0, name});
      }
      if (!j.is_object() || !j.contains("file_name") || !j["file_name"].is_string() ||
          j["file_name"].get<std::string>().empty())
        throw Error("sample JSON has no file_name string", {tar, 0, name});
      s.file_name = j["file_name"].get<std::string>();
    } else if (is_image_ext(ext)) {
      if (!s.image.empty()) throw Error("sample has two images", {tar, 0, name});
      s.image = name;
    }
  }
  if (rc != ARCHIVE_EOF)
    throw Error(std::string("malformed tar: ") + archive_error_string(a.get()), {tar, 0, ""});
  for (const auto& s : samples) {
    if (s.image.empty()) throw Error("sample has no .jpg/.png/.webp member", {tar, 0, s.key});
    if (s.file_name.empty()) throw Error("sample has no .json member", {tar, 0, s.key});
  }
  return samples;
}

bool is_shard_folder(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "index.json", ec);
}

std::vector<std::string> shard_folder_tars(const std::string& dir) {
  const std::string index = (fs::path(dir) / "index.json").string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(index));
  } catch (const nlohmann::json::exception& ex) {
    throw Error(std::string("malformed JSON: ") + ex.what(), {index, 0, ""});
  }
  if (!j.is_object() || j.value("format", "") != "emonet-webdataset-1")
    throw Error("not an emonet-webdataset-1 index", {index, 0, "format"});
  if (!j.contains("shards") || !j["shards"].is_array())
    throw Error("no shards array", {index, 0, "shards"});
  std::vector<std::string> tars;
  for (const auto& s : j["shards"]) {
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string())
      throw Error("shard entry without a name", {index, 0, "shards"});
    const std::string name = s["name"].get<std::string>();
    if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos)
      throw Error("shard name must be a plain file name: '" + name + "'", {index, 0, "shards"});
    tars.push_back((fs::path(dir) / name).string());
  }
  return tars;
}

TarCursor::~TarCursor() {
  close();
}

void TarCursor::close() {
  if (a_) archive_read_free(a_);
  a_ = nullptr;
  tar_.clear();
}

void TarCursor::open(const std::string& tar) {
  close();
  a_ = open_tar(tar);
  tar_ = tar;
}

bool TarCursor::scan_to(const std::string& member, std::vector<std::uint8_t>& out) {
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a_, &e)) == ARCHIVE_OK) {
    if (member == archive_entry_pathname(e)) {
      out = read_data(a_, tar_, member);
      return true;
    }
  }
  if (rc != ARCHIVE_EOF)
    throw Error(std::string("malformed tar: ") + archive_error_string(a_), {tar_, 0, member});
  return false;
}

std::vector<std::uint8_t> TarCursor::read(const std::string& tar, const std::string& member) {
  std::vector<std::uint8_t> out;
  if (tar_ == tar && a_ && scan_to(member, out)) return out;
  open(tar);
  try {
    if (scan_to(member, out)) return out;
  } catch (const Error&) {
    close();
    throw;
  }
  close();
  throw Error("no such member in tar", {tar, 0, member});
}

}  // namespace emonet::data::detail
