// model.safetensors: an 8-byte little-endian header length, a JSON header mapping tensor
// names to {dtype, shape, data_offsets} (offsets relative to the end of the header), then
// the raw tensor bytes. The file is mapped, never copied.
#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"

namespace emonet::model {

struct SafetensorsFile::Impl {
  MappedFile file;
  std::vector<TensorView> tensors;  // sorted by data offset
  std::unordered_map<std::string, std::size_t> index;
  std::map<std::string, std::string> metadata;
  std::size_t total = 0;
  explicit Impl(const std::string& path) : file(path) {}
};

namespace {

// Headers of real checkpoints are a few hundred kB; anything near this is corrupt.
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;

std::int64_t checked_dim(const nlohmann::json& d, const std::string& path,
                         const std::string& name) {
  if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
    throw Error("shape entries must be non-negative integers, got " + d.dump(), {path, 0, name});
  return d.get<std::int64_t>();
}

}  // namespace

SafetensorsFile::SafetensorsFile() = default;
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile SafetensorsFile::open(const std::string& path, std::string_view key_prefix) {
  SafetensorsFile st;
  st.impl_ = std::make_unique<Impl>(path);
  Impl& im = *st.impl_;
  const std::uint8_t* base = im.file.data();
  const std::size_t size = im.file.size();
  if (size < 8)
    throw Error("not a safetensors file: " + std::to_string(size) +
                    " bytes, shorter than the 8-byte header length",
                {path, 0, ""});
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | base[i];
  if (header_len > kMaxHeaderBytes || header_len > size - 8)
    throw Error("header length " + std::to_string(header_len) + " exceeds the file size " +
                    std::to_string(size) + " (truncated or not a safetensors file)",
                {path, 0, ""});
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(base + 8, base + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("header is not valid JSON: ") + e.what(), {path, 0, ""});
  }
  if (!header.is_object()) throw Error("header is not a JSON object", {path, 0, ""});

  const std::byte* data = reinterpret_cast<const std::byte*>(base + 8 + header_len);
  const std::uint64_t data_size = size - 8 - header_len;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (!it->is_object()) throw Error("__metadata__ is not an object", {path, 0, name});
      for (auto m = it->begin(); m != it->end(); ++m)
        im.metadata[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
      continue;
    }
    ++im.total;
    if (!starts_with(name, key_prefix)) continue;
    const auto& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") ||
        !e.contains("data_offsets"))
      throw Error("entry must be an object with dtype, shape and data_offsets", {path, 0, name});
    if (!e["dtype"].is_string()) throw Error("dtype is not a string", {path, 0, name});
    const auto dtype = parse_dtype(e["dtype"].get<std::string>());
    if (!dtype)
      throw Error("unsupported dtype '" + e["dtype"].get<std::string>() +
                      "' (expected F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL)",
                  {path, 0, name});
    if (!e["shape"].is_array()) throw Error("shape is not an array", {path, 0, name});
    TensorView v;
    v.name = name;
    v.dtype = *dtype;
    // Reject absurd shapes before multiplying out (no overflow, no huge allocations).
    std::uint64_t numel = 1;
    for (const auto& d : e["shape"]) {
      v.shape.push_back(checked_dim(d, path, name));
      if (__builtin_mul_overflow(numel, static_cast<std::uint64_t>(v.shape.back()), &numel) ||
          numel > (std::uint64_t{1} << 60))
        throw Error("shape " + e["shape"].dump() + " is too large", {path, 0, name});
    }
    const auto& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      throw Error("data_offsets must be two non-negative integers", {path, 0, name});
    const std::uint64_t begin = off[0].get<std::uint64_t>(), end = off[1].get<std::uint64_t>();
    if (begin > end)
      throw Error(
          "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] are reversed",
          {path, 0, name});
    const std::uint64_t expected = numel * dtype_size(v.dtype);
    if (end - begin != expected)
      throw Error("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                      "] span " + std::to_string(end - begin) + " bytes but shape " +
                      v.shape_string() + " of " + std::string(dtype_name(v.dtype)) + " needs " +
                      std::to_string(expected),
                  {path, 0, name});
    if (end > data_size)
      throw Error("data_offsets end " + std::to_string(end) + " lies beyond the " +
                      std::to_string(data_size) + " data bytes of the file (truncated?)",
                  {path, 0, name});
    v.data = data + begin;
    v.nbytes = static_cast<std::size_t>(expected);
    im.tensors.push_back(std::move(v));
  }
  std::sort(im.tensors.begin(), im.tensors.end(),
            [](const TensorView& a, const TensorView& b) { return a.data < b.data; });
  for (std::size_t i = 0; i < im.tensors.size(); ++i) {
    const auto& t = im.tensors[i];
    if (i > 0) {
      const auto& prev = im.tensors[i - 1];
      if (prev.data + prev.nbytes > t.data && t.nbytes > 0 && prev.nbytes > 0)
        throw Error("data overlaps tensor '" + prev.name + "'", {path, 0, t.name});
    }
    im.index.emplace(t.name, i);
  }
  return st;
}

const std::string& SafetensorsFile::path() const {
  return impl_->file.path();
}

bool SafetensorsFile::contains(std::string_view name) const {
  return impl_->index.count(std::string(name)) > 0;
}

const TensorView& SafetensorsFile::get(std::string_view name) const {
  auto it = impl_->index.find(std::string(name));
  if (it != impl_->index.end()) return impl_->tensors[it->second];
  auto close = closest_names(name, names(), 5);
  std::string msg = "no tensor '" + std::string(name) + "'";
  if (!close.empty()) msg += "; closest names: " + join(close, ", ");
  throw Error(msg, {path(), 0, ""});
}

const TensorView& SafetensorsFile::get(std::string_view name,
                                       std::span<const std::int64_t> shape) const {
  const TensorView& v = get(name);
  require_shape(v, shape, path());
  return v;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(impl_->tensors.size());
  for (const auto& t : impl_->tensors) out.push_back(t.name);
  return out;
}

std::size_t SafetensorsFile::size() const {
  return impl_->tensors.size();
}

const std::map<std::string, std::string>& SafetensorsFile::metadata() const {
  return impl_->metadata;
}

std::size_t SafetensorsFile::total_tensor_count() const {
  return impl_->total;
}

}  // namespace emonet::model
