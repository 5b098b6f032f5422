// WebDataset shards with libarchive (see include/emonet/data_pack.h).
#include "emonet/data_pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/progress.h"
#include "emonet/strings.h"

namespace emonet {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

std::uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  const std::string t(trim(text));
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  const std::string number = t.substr(0, i);
  const std::string unit = to_lower(trim(t.substr(i)));
  static const std::vector<std::pair<std::string, double>> units = {
      {"", 1},      {"b", 1},        {"kb", 1e3},        {"mb", 1e6},           {"gb", 1e9},
      {"tb", 1e12}, {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0}, {"k", 1e3},
      {"m", 1e6},   {"g", 1e9}};
  auto it =
      std::find_if(units.begin(), units.end(), [&](const auto& u) { return u.first == unit; });
  if (number.empty() || it == units.end()) {
    throw Error("'" + text + "' is not a size (e.g. 1GB, 500MB, 64MiB, 1000000)", {"", 0, what});
  }
  const double v = parse_double(number, what) * it->second;
  if (!(v >= 1)) throw Error("size must be at least 1 byte", {"", 0, what});
  return static_cast<std::uint64_t>(v);
}

namespace {

std::string image_ext(const std::string& name) {
  const std::string lower = to_lower(name);
  if (ends_with(lower, ".jpg") || ends_with(lower, ".jpeg")) return "jpg";
  if (ends_with(lower, ".png")) return "png";
  if (ends_with(lower, ".webp")) return "webp";
  return "";
}

bool safe_relative(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  for (const auto& part : split(p, '/')) {
    if (part == ".." || part.empty()) return false;
  }
  return true;
}

struct Sample {
  std::string file_name;
  ojson meta;
  long line = 0;
};

std::vector<Sample> list_samples(const fs::path& root) {
  std::vector<Sample> out;
  const fs::path csv = root / "metadata.csv";
  if (fs::exists(csv)) {
    CsvReader r = CsvReader::open(csv.string());
    const auto header = r.read_header();
    const std::size_t col = r.column("file_name");
    CsvRecord rec;
    while (r.next(rec)) {
      Sample s;
      s.line = rec.line;
      s.file_name = std::string(trim(rec[col]));
      if (!safe_relative(s.file_name)) {
        throw Error("image path must be relative, inside the folder",
                    {csv.string(), rec.line, "file_name"});
      }
      if (image_ext(s.file_name).empty()) {
        throw Error("not a .jpg/.jpeg/.png/.webp image: " + s.file_name,
                    {csv.string(), rec.line, "file_name"});
      }
      if (!fs::is_regular_file(root / s.file_name)) {
        throw Error("image file not found: " + (root / s.file_name).string(),
                    {csv.string(), rec.line, "file_name"});
      }
      s.meta = ojson::object();
      for (std::size_t i = 0; i < header.size(); ++i) s.meta[header[i]] = rec[i];
      s.meta["file_name"] = s.file_name;
      out.push_back(std::move(s));
    }
    return out;
  }
  if (!fs::is_directory(root)) throw Error("not a folder", {root.string(), 0, ""});
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), root).generic_string();
    if (image_ext(rel).empty()) continue;
    out.push_back({rel, ojson{{"file_name", rel}}, 0});
  }
  std::sort(out.begin(), out.end(),
            [](const Sample& a, const Sample& b) { return a.file_name < b.file_name; });
  return out;
}

// One shard being written to "<name>.tmp-<pid>"; commit() renames it into place.
class ShardWriter {
 public:
  ShardWriter(const fs::path& dir, std::string name) : name_(std::move(name)) {
    final_ = dir / name_;
    temp_ = dir / (name_ + ".tmp-" + std::to_string(::getpid()));
    a_ = archive_write_new();
    // pax_restricted: plain ustar headers unless a name or size needs a pax extension.
    if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
        archive_write_open_filename(a_, temp_.c_str()) != ARCHIVE_OK) {
      throw Error(std::string("cannot create shard: ") + archive_error_string(a_),
                  {temp_.string(), 0, ""});
    }
  }
  ~ShardWriter() {
    if (a_) {
      archive_write_free(a_);
      std::error_code ec;
      fs::remove(temp_, ec);
    }
  }
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  void add(const std::string& member, const std::string& data) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    archive_entry_set_pathname(e.get(), member.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_mtime(e.get(), 0, 0);  // reproducible shards
    if (archive_write_header(a_, e.get()) != ARCHIVE_OK ||
        archive_write_data(a_, data.data(), data.size()) != static_cast<la_ssize_t>(data.size())) {
      throw Error(std::string("cannot write shard: ") + archive_error_string(a_),
                  {temp_.string(), 0, member});
    }
  }

  std::uint64_t commit() {
    if (archive_write_close(a_) != ARCHIVE_OK) {
      throw Error(std::string("cannot finish shard: ") + archive_error_string(a_),
                  {temp_.string(), 0, ""});
    }
    archive_write_free(a_);
    a_ = nullptr;
    std::error_code ec;
    fs::rename(temp_, final_, ec);
    if (ec)
      throw Error("cannot rename shard into place: " + ec.message(), {final_.string(), 0, ""});
    return fs::file_size(final_);
  }

 private:
  std::string name_;
  fs::path final_, temp_;
  struct archive* a_ = nullptr;
};

std::string padded(std::uint64_t n, std::size_t width) {
  std::string s = std::to_string(n);
  return std::string(width > s.size() ? width - s.size() : 0, '0') + s;
}

// Bytes a member takes in a tar: 512-byte header plus the data rounded up to 512.
std::uint64_t tar_cost(std::uint64_t size) {
  return 512 + (size + 511) / 512 * 512;
}

}  // namespace

PackResult pack_dataset(const PackOptions& o) {
  const fs::path root = o.input;
  const fs::path out = o.output;
  const auto samples = list_samples(root);
  if (samples.empty()) throw Error("no images to pack", {o.input, 0, ""});
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw Error("cannot create output folder: " + ec.message(), {o.output, 0, ""});
  if (fs::exists(out / "index.json")) {
    throw Error("already holds a pack (index.json); remove it or choose another folder",
                {o.output, 0, ""});
  }

  PackResult result;
  Progress progress("pack", samples.size());
  std::unique_ptr<ShardWriter> shard;
  PackedShard current;
  std::uint64_t shard_used = 0;
  auto close_shard = [&] {
    current.bytes = shard->commit();
    result.shards.push_back(current);
    shard.reset();
  };
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    const std::string key = padded(i, 9);
    std::string image;
    try {
      image = read_file((root / s.file_name).string());
    } catch (const Error& e) {
      throw s.line ? e.with_line(s.line).with_field("file_name") : e;
    }
    const std::string meta = s.meta.dump();
    const std::uint64_t cost = tar_cost(image.size()) + tar_cost(meta.size());
    // 1024 bytes of end-of-archive blocks close every shard.
    if (shard && shard_used + cost + 1024 > o.shard_bytes) close_shard();
    if (!shard) {
      current = PackedShard{};
      current.name = padded(result.shards.size(), 5) + ".tar";
      current.first_key = key;
      shard = std::make_unique<ShardWriter>(out, current.name);
      shard_used = 0;
    }
    shard->add(key + "." + image_ext(s.file_name), image);
    shard->add(key + ".json", meta);
    shard_used += cost;
    current.last_key = key;
    ++current.samples;
    if (o.progress) progress.tick();
  }
  close_shard();
  if (o.progress) progress.finish();
  result.samples = samples.size();

  ojson index;
  index["format"] = "emonet-webdataset-1";
  index["shards"] = ojson::array();
  for (const auto& sh : result.shards) {
    index["shards"].push_back({{"name", sh.name},
                               {"samples", sh.samples},
                               {"bytes", sh.bytes},
                               {"first_key", sh.first_key},
                               {"last_key", sh.last_key}});
  }
  index["samples"] = result.samples;
  write_file_atomic((out / "index.json").string(), index.dump(2) + "\n");
  return result;
}

}  // namespace emonet
