// write_head_pth: a head as torch.save writes a state dict (PyTorch >= 1.6 zip container).
//
// The archive holds archive/data.pkl (a protocol-2 pickle of an OrderedDict whose values
// are torch._utils._rebuild_tensor_v2 calls on persistent storage ids), one raw
// little-endian storage per tensor at archive/data/<n>, archive/byteorder and
// archive/version. Entries are stored (uncompressed) with their data 64-byte aligned, as
// torch does, so the engine's loader reads the weights in place. Timestamps are fixed, so
// equal weights give byte-identical files.
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/train.h"

namespace emonet::train {

namespace {

void put16(std::string& s, std::uint32_t v) {
  s.push_back(char(v & 0xff));
  s.push_back(char((v >> 8) & 0xff));
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}

class Pickle {
 public:
  Pickle() { out_ = "\x80\x02"; }
  void global(const std::string& module, const std::string& name) {
    out_ += 'c' + module + '\n' + name + '\n';
  }
  void str(const std::string& s) {
    out_ += 'X';
    put32(out_, std::uint32_t(s.size()));
    out_ += s;
  }
  void integer(std::int64_t v) {
    if (v < INT32_MIN || v > INT32_MAX) throw Error("tensor dimension too large for the pickle");
    out_ += 'J';
    put32(out_, std::uint32_t(std::int32_t(v)));
  }
  void op(char c) { out_ += c; }
  std::string finish() { return out_ + '.'; }

 private:
  std::string out_;
};

struct ZipWriter {
  struct Entry {
    std::string name;
    std::uint32_t crc = 0, size = 0, offset = 0;
  };
  std::string bytes;
  std::vector<Entry> entries;

  void add(const std::string& name, const std::string& data) {
    if (bytes.size() + data.size() > 0xffffffffull)
      throw Error("head file over 4 GiB: not supported");
    Entry e{
        name,
        std::uint32_t(::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), uInt(data.size()))),
        std::uint32_t(data.size()), std::uint32_t(bytes.size())};
    // Pad with an extra field so the data starts on a 64-byte boundary.
    const std::size_t header = 30 + name.size() + 4;
    const std::size_t pad = (64 - (bytes.size() + header) % 64) % 64;
    put32(bytes, 0x04034b50);
    put16(bytes, 20);    // version needed
    put16(bytes, 0);     // flags
    put16(bytes, 0);     // stored
    put16(bytes, 0);     // time
    put16(bytes, 0x21);  // date 1980-01-01
    put32(bytes, e.crc);
    put32(bytes, e.size);  // compressed
    put32(bytes, e.size);
    put16(bytes, std::uint32_t(name.size()));
    put16(bytes, std::uint32_t(4 + pad));
    bytes += name;
    put16(bytes, 0x4246);  // "FB": the padding field id torch uses
    put16(bytes, std::uint32_t(pad));
    bytes.append(pad, 'Z');
    bytes += data;
    entries.push_back(std::move(e));
  }

  std::string finish() {
    const auto cd_offset = std::uint32_t(bytes.size());
    for (const auto& e : entries) {
      put32(bytes, 0x02014b50);
      put16(bytes, 0x031e);  // made by: unix, 3.0
      put16(bytes, 20);
      put16(bytes, 0);
      put16(bytes, 0);
      put16(bytes, 0);
      put16(bytes, 0x21);
      put32(bytes, e.crc);
      put32(bytes, e.size);
      put32(bytes, e.size);
      put16(bytes, std::uint32_t(e.name.size()));
      put16(bytes, 0);  // extra
      put16(bytes, 0);  // comment
      put16(bytes, 0);  // disk
      put16(bytes, 0);  // internal attributes
      put32(bytes, 0);  // external attributes
      put32(bytes, e.offset);
      bytes += e.name;
    }
    const auto cd_size = std::uint32_t(bytes.size() - cd_offset);
    put32(bytes, 0x06054b50);
    put16(bytes, 0);
    put16(bytes, 0);
    put16(bytes, std::uint32_t(entries.size()));
    put16(bytes, std::uint32_t(entries.size()));
    put32(bytes, cd_size);
    put32(bytes, cd_offset);
    put16(bytes, 0);
    return std::move(bytes);
  }
};

}  // namespace

void write_head_pth(const std::string& path, const model::Head& head) {
  if (head.layers.empty()) throw Error("head has no layers", {path, 0, head.key});
  Pickle p;
  p.global("collections", "OrderedDict");
  p.op(')');
  p.op('R');
  p.op('(');
  std::vector<std::string> storages;
  auto tensor = [&](const std::string& name, const model::FloatArray& values,
                    std::vector<std::int64_t> shape) {
    const std::string key = std::to_string(storages.size());
    p.str(name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    p.op('(');  // persistent id: ('storage', FloatStorage, key, 'cpu', numel)
    p.str("storage");
    p.global("torch", "FloatStorage");
    p.str(key);
    p.str("cpu");
    p.integer(std::int64_t(values.size()));
    p.op('t');
    p.op('Q');
    p.integer(0);  // storage offset
    p.op('(');
    for (auto d : shape) p.integer(d);
    p.op('t');
    p.op('(');  // contiguous strides
    std::int64_t stride = 1;
    std::vector<std::int64_t> strides(shape.size());
    for (std::size_t i = shape.size(); i-- > 0;) {
      strides[i] = stride;
      stride *= shape[i];
    }
    for (auto s : strides) p.integer(s);
    p.op('t');
    p.op('\x89');  // requires_grad False
    p.global("collections", "OrderedDict");
    p.op(')');
    p.op('R');  // backward hooks
    p.op('t');
    p.op('R');
    storages.emplace_back(reinterpret_cast<const char*>(values.data()),
                          values.size() * sizeof(float));
  };
  for (std::size_t i = 0; i < head.layers.size(); ++i) {
    const auto& l = head.layers[i];
    if (l.weight.size() != std::size_t(l.in) * std::size_t(l.out) ||
        l.bias.size() != std::size_t(l.out))
      throw Error("layer " + std::to_string(i) + " has inconsistent sizes", {path, 0, head.key});
    // Sequential(Linear, ReLU, Dropout, ...): Linear k is module 3k.
    const std::string prefix = "layers." + std::to_string(3 * i);
    tensor(prefix + ".weight", l.weight, {l.out, l.in});
    tensor(prefix + ".bias", l.bias, {l.out});
  }
  p.op('u');
  ZipWriter zip;
  zip.add("archive/data.pkl", p.finish());
  zip.add("archive/byteorder", "little");
  for (std::size_t i = 0; i < storages.size(); ++i)
    zip.add("archive/data/" + std::to_string(i), storages[i]);
  zip.add("archive/version", "3\n");
  write_file_atomic(path, zip.finish());
}

}  // namespace emonet::train
