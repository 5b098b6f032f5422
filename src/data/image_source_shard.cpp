// The shard partition by image id, --shard parsing, shard file names, atomic outputs.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "emonet/error.h"
#include "emonet/image_source.h"

namespace emonet::data {

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::size_t shard_of(std::string_view id, std::size_t count) {
  return count == 0 ? 0 : std::size_t(fnv1a64(id) % count);
}

namespace {

std::optional<std::size_t> to_size(std::string_view s) {
  std::size_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::size_t env_number(const std::function<const char*(const char*)>& getenv, const char* name) {
  const char* v = getenv(name);
  const auto n = v ? to_size(v) : std::nullopt;
  if (!n)
    throw Error(std::string("--shard auto: ") + name + " is " +
                    (v ? "not a number: '" + std::string(v) + "'" : std::string("not set")),
                {"", 0, "shard"});
  return *n;
}

}  // namespace

Shard parse_shard(const std::string& spec, std::optional<std::size_t> count,
                  const std::function<const char*(const char*)>& getenv_in) {
  const std::function<const char*(const char*)> getenv =
      getenv_in ? getenv_in : [](const char* n) -> const char* { return std::getenv(n); };
  Shard s;
  if (spec == "auto") {
    if (getenv("SLURM_ARRAY_TASK_ID")) {
      s.index = env_number(getenv, "SLURM_ARRAY_TASK_ID");
      if (getenv("SLURM_ARRAY_TASK_MIN")) {
        const auto min = env_number(getenv, "SLURM_ARRAY_TASK_MIN");
        if (min > s.index) throw Error("SLURM_ARRAY_TASK_ID below SLURM_ARRAY_TASK_MIN", {});
        s.index -= min;
      }
      s.count = count ? *count : env_number(getenv, "SLURM_ARRAY_TASK_COUNT");
    } else if (getenv("JOB_COMPLETION_INDEX")) {
      s.index = env_number(getenv, "JOB_COMPLETION_INDEX");
      if (!count)
        throw Error("--shard auto with JOB_COMPLETION_INDEX needs --shard-count N",
                    {"", 0, "shard"});
      s.count = *count;
    } else {
      throw Error(
          "--shard auto: neither SLURM_ARRAY_TASK_ID (Slurm job array) nor "
          "JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set",
          {"", 0, "shard"});
    }
  } else {
    const auto slash = spec.find('/');
    const auto i = slash == std::string::npos ? std::nullopt : to_size(spec.substr(0, slash));
    const auto n = slash == std::string::npos ? std::nullopt : to_size(spec.substr(slash + 1));
    if (!i || !n) throw Error("expected I/N or auto, got '" + spec + "'", {"", 0, "shard"});
    s.index = *i;
    s.count = count ? *count : *n;
  }
  if (s.count == 0) throw Error("shard count must be at least 1", {"", 0, "shard"});
  if (s.index >= s.count)
    throw Error("shard index " + std::to_string(s.index) + " is not below the count " +
                    std::to_string(s.count) + " (indices are 0-based)",
                {"", 0, "shard"});
  return s;
}

std::vector<ImageItem> select_shard(const std::vector<ImageItem>& items, const Shard& shard) {
  std::vector<ImageItem> out;
  for (const auto& it : items)
    if (shard_of(it.id, shard.count) == shard.index) out.push_back(it);
  return out;
}

std::string shard_file_name(const std::string& stem, const Shard& shard, const std::string& ext) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "-%05zu-of-%05zu", shard.index, shard.count);
  return stem + buf + ext;
}

std::optional<ShardFileName> parse_shard_file_name(const std::string& name) {
  // <stem>-IIIII-of-NNNNN<ext>: find the last "-of-" with digits on both sides.
  const auto of = name.rfind("-of-");
  if (of == std::string::npos || of < 6) return std::nullopt;
  auto digits_end = of + 4;
  while (digits_end < name.size() && std::isdigit(static_cast<unsigned char>(name[digits_end])))
    ++digits_end;
  auto digits_start = of;
  while (digits_start > 0 && std::isdigit(static_cast<unsigned char>(name[digits_start - 1])))
    --digits_start;
  if (digits_start == of || digits_end == of + 4 || digits_start == 0 ||
      name[digits_start - 1] != '-')
    return std::nullopt;
  const auto i = to_size(std::string_view(name).substr(digits_start, of - digits_start));
  const auto n = to_size(std::string_view(name).substr(of + 4, digits_end - of - 4));
  const std::string ext = name.substr(digits_end);
  if (!i || !n || *n == 0 || *i >= *n || ext.find(".tmp-") != std::string::npos)
    return std::nullopt;
  return ShardFileName{name.substr(0, digits_start - 1), ext, Shard{*i, *n}};
}

struct AtomicFile::Impl {
  std::string path, tmp;
  std::ofstream out;
  bool committed = false;
};

AtomicFile::AtomicFile(std::string path) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  impl_->tmp = impl_->path + ".tmp-" + std::to_string(::getpid());
  impl_->out.open(impl_->tmp, std::ios::binary | std::ios::trunc);
  if (!impl_->out)
    throw Error(std::string("cannot write file: ") + std::strerror(errno), {impl_->tmp, 0, ""});
}

AtomicFile::~AtomicFile() {
  if (!impl_->committed) {
    impl_->out.close();
    std::remove(impl_->tmp.c_str());
  }
}

std::ostream& AtomicFile::stream() {
  return impl_->out;
}

void AtomicFile::commit() {
  impl_->out.flush();
  const bool ok = bool(impl_->out);
  impl_->out.close();
  if (!ok) throw Error("write failed (disk full?)", {impl_->path, 0, ""});
  if (std::rename(impl_->tmp.c_str(), impl_->path.c_str()) != 0)
    throw Error(std::string("cannot rename into place: ") + std::strerror(errno),
                {impl_->path, 0, ""});
  impl_->committed = true;
}

}  // namespace emonet::data
