// torch.save containers (PyTorch >= 1.6): a zip archive "<name>/data.pkl" (the pickled
// state dict, with storages as persistent ids), "<name>/data/<key>" (raw little-endian
// storage bytes), "<name>/byteorder" and "<name>/version".
#include <cstring>
#include <map>
#include <memory>
#include <span>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model_files.h"
#include "emonet/strings.h"
#include "restricted_unpickler.h"
#include "zip_archive.h"

namespace emonet::model {
namespace {

using pickle::Value;

// A storage's bytes: in place in the mapped archive (stored entry) or inflated.
struct Storage {
  std::string_view bytes;
  std::shared_ptr<const void> owner;
};

// The strided view `t` of `storage` in row-major order: in place when it already is,
// else copied. Sets out.bytes and out.owner.
void gather(const pickle::TensorRef& t, const Storage& stored, const std::string& path,
            const std::string& name, StateTensor& tensor) {
  const std::string_view storage = stored.bytes;
  const std::size_t es = dtype_size(t.storage.dtype);
  const ErrorContext where{path, 0, name};
  if (storage.size() % es != 0)
    throw Error("storage '" + t.storage.key + "' has " + std::to_string(storage.size()) +
                    " bytes, not a multiple of the element size " + std::to_string(es),
                where);
  const auto storage_elems = static_cast<std::int64_t>(storage.size() / es);
  std::int64_t numel = 1, last = t.offset;
  for (std::size_t d = 0; d < t.shape.size(); ++d) {
    std::int64_t span = 0;
    if (__builtin_mul_overflow(numel, t.shape[d], &numel) ||
        (t.shape[d] > 0 && __builtin_mul_overflow(t.shape[d] - 1, t.stride[d], &span)) ||
        __builtin_add_overflow(last, span, &last))
      throw Error("tensor size/stride overflow", where);
  }
  if (numel == 0) return;
  if (last >= storage_elems)
    throw Error("tensor view (offset " + std::to_string(t.offset) + ") reaches element " +
                    std::to_string(last) + " of a storage with " + std::to_string(storage_elems) +
                    " elements (file truncated or corrupt)",
                where);
  const auto* src = reinterpret_cast<const std::byte*>(storage.data());
  // Fast path: already row-major.
  bool contiguous = true;
  std::int64_t expect = 1;
  for (std::size_t d = t.shape.size(); d-- > 0;) {
    if (t.shape[d] != 1 && t.stride[d] != expect) contiguous = false;
    expect *= t.shape[d];
  }
  const std::size_t nbytes = static_cast<std::size_t>(numel) * es;
  if (contiguous) {
    tensor.bytes = std::span(src + static_cast<std::size_t>(t.offset) * es, nbytes);
    tensor.owner = stored.owner;
    return;
  }
  auto copy = std::make_shared<std::vector<std::byte>>(nbytes);
  std::vector<std::byte>& out = *copy;
  std::vector<std::int64_t> index(t.shape.size(), 0);
  for (std::int64_t i = 0; i < numel; ++i) {
    std::int64_t element = t.offset;
    for (std::size_t d = 0; d < index.size(); ++d) element += index[d] * t.stride[d];
    std::memcpy(out.data() + static_cast<std::size_t>(i) * es,
                src + static_cast<std::size_t>(element) * es, es);
    for (std::size_t d = index.size(); d-- > 0;) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  tensor.bytes = std::span<const std::byte>(out.data(), out.size());
  tensor.owner = std::move(copy);
}

const Value& find_state_dict(const Value& root, const std::string& path) {
  if (root.kind != Value::Kind::Dict)
    throw Error("file holds a " + pickle::describe(root) + ", not a state dict", {path, 0, ""});
  // Tolerate the common {"state_dict": {...}} wrapper around the plain state dict.
  bool has_tensor = false;
  for (const auto& [k, v] : root.entries) has_tensor |= v->kind == Value::Kind::Tensor;
  if (!has_tensor) {
    for (const auto& [k, v] : root.entries)
      if (k->kind == Value::Kind::String && (k->s == "state_dict" || k->s == "model") &&
          v->kind == Value::Kind::Dict)
        return *v;
  }
  return root;
}

}  // namespace

TensorView StateTensor::view() const {
  TensorView v;
  v.name = name;
  v.dtype = dtype;
  v.shape = shape;
  v.data = bytes.data();
  v.nbytes = bytes.size();
  return v;
}

std::vector<StateTensor> load_torch_state_dict(const std::string& path) {
  if (!looks_like_zip(path)) {
    const MappedFile f(path);
    if (f.size() >= 2 && f.data()[0] == 0x80)
      throw Error(
          "legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization="
          "False) is not supported; re-save it with a current PyTorch: "
          "torch.save(torch.load(f), f)",
          {path, 0, ""});
    throw Error("not a torch.save file (no zip container)", {path, 0, ""});
  }
  // Shared: tensors of stored entries point into its mapping and keep it alive.
  const auto archive = std::make_shared<const ZipArchive>(path);
  const ZipArchive& zip = *archive;
  const ZipArchive::Entry* pkl = nullptr;
  for (const auto& e : zip.entries()) {
    if (e.name == "data.pkl" || ends_with(e.name, "/data.pkl")) {
      if (pkl) throw Error("archive holds more than one data.pkl", {path, 0, e.name});
      pkl = &e;
    }
  }
  if (!pkl) throw Error("archive has no data.pkl: not a torch.save file", {path, 0, ""});
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - std::strlen("data.pkl"));
  if (const auto* bo = zip.find(prefix + "byteorder")) {
    const std::string order(trim(zip.read(*bo)));
    if (order != "little")
      throw Error("byte order '" + order + "' is not supported (little-endian only)",
                  {path, 0, bo->name});
  }

  const std::string program = zip.read(*pkl);
  const pickle::Unpickled result = pickle::unpickle(program, path);
  const Value& dict = find_state_dict(*result.root, path);

  std::map<std::string, Storage> storages;  // key -> bytes, read once even if shared
  std::vector<StateTensor> out;
  for (const auto& [k, v] : dict.entries) {
    if (k->kind != Value::Kind::String)
      throw Error("state dict key is a " + pickle::describe(*k) + ", not a string", {path, 0, ""});
    if (v->kind != Value::Kind::Tensor)
      throw Error("state dict value is a " + pickle::describe(*v) + ", not a tensor",
                  {path, 0, k->s});
    const auto& ref = v->tensor;
    auto it = storages.find(ref.storage.key);
    if (it == storages.end()) {
      const auto* entry = zip.find(prefix + "data/" + ref.storage.key);
      if (!entry)
        throw Error("storage '" + ref.storage.key + "' is missing from the archive",
                    {path, 0, k->s});
      Storage st;
      if (entry->method == 0) {
        st.bytes = zip.stored_view(*entry);
        st.owner = archive;
      } else {
        auto inflated = std::make_shared<const std::string>(zip.read(*entry));
        st.bytes = *inflated;
        st.owner = std::move(inflated);
      }
      it = storages.emplace(ref.storage.key, std::move(st)).first;
    }
    StateTensor t;
    t.name = k->s;
    t.dtype = ref.storage.dtype;
    t.shape = ref.shape;
    gather(ref, it->second, path, k->s, t);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace emonet::model
