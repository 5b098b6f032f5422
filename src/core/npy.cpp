#include "emonet/npy.h"

#include <cstring>
#include <functional>
#include <numeric>
#include <string_view>

#include "emonet/error.h"
#include "emonet/files.h"

namespace emonet {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

std::size_t product(const std::vector<std::size_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

std::string shape_literal(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// The parsed header dictionary: numpy writes exactly these three keys.
struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  std::size_t data_offset = 0;
};

// Value text following `'key':` in the header dict (up to the matching end).
std::string_view value_after(std::string_view dict, std::string_view key, const std::string& name) {
  const std::string quoted = "'" + std::string(key) + "'";
  auto pos = dict.find(quoted);
  if (pos == std::string_view::npos)
    throw Error("npy header lacks '" + std::string(key) + "'", {name, 0, std::string(key)});
  pos = dict.find(':', pos + quoted.size());
  if (pos == std::string_view::npos)
    throw Error("malformed npy header", {name, 0, std::string(key)});
  ++pos;
  while (pos < dict.size() && dict[pos] == ' ') ++pos;
  return dict.substr(pos);
}

Header parse_header(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kMagicLen + 4 || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    throw Error("not a .npy file (bad magic)", {name, 0, ""});
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, start = 0;
  auto byte = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(bytes[i]));
  };
  if (major == 1) {
    header_len = byte(8) | byte(9) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error("truncated .npy header", {name, 0, ""});
    header_len = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    start = 12;
  } else {
    throw Error("unsupported .npy format version " + std::to_string(major), {name, 0, ""});
  }
  if (bytes.size() < start + header_len) throw Error("truncated .npy header", {name, 0, ""});
  const std::string_view dict(bytes.data() + start, header_len);
  Header h;
  h.data_offset = start + header_len;

  auto descr = value_after(dict, "descr", name);
  if (descr.empty() || descr[0] != '\'') throw Error("malformed descr", {name, 0, "descr"});
  auto end = descr.find('\'', 1);
  if (end == std::string_view::npos) throw Error("malformed descr", {name, 0, "descr"});
  h.descr = std::string(descr.substr(1, end - 1));

  auto fortran = value_after(dict, "fortran_order", name);
  if (fortran.starts_with("True"))
    h.fortran_order = true;
  else if (!fortran.starts_with("False"))
    throw Error("malformed fortran_order", {name, 0, "fortran_order"});

  auto shape = value_after(dict, "shape", name);
  if (shape.empty() || shape[0] != '(') throw Error("malformed shape", {name, 0, "shape"});
  auto close = shape.find(')');
  if (close == std::string_view::npos) throw Error("malformed shape", {name, 0, "shape"});
  std::string_view items = shape.substr(1, close - 1);
  std::size_t i = 0;
  while (i < items.size()) {
    while (i < items.size() && (items[i] == ' ' || items[i] == ',')) ++i;
    if (i >= items.size()) break;
    std::size_t v = 0;
    bool any = false;
    while (i < items.size() && items[i] >= '0' && items[i] <= '9') {
      if (v > (std::size_t{1} << 40)) throw Error("shape too large", {name, 0, "shape"});
      v = v * 10 + static_cast<std::size_t>(items[i] - '0');
      ++i;
      any = true;
    }
    if (!any) throw Error("malformed shape", {name, 0, "shape"});
    h.shape.push_back(v);
  }
  if (h.fortran_order && h.shape.size() > 1)
    throw Error("Fortran-order arrays are not supported", {name, 0, "fortran_order"});
  return h;
}

void check_data_size(const std::string& bytes, const Header& h, std::size_t item,
                     const std::string& name) {
  const std::size_t n = product(h.shape);
  if (n > (bytes.size() / item) + 1 || bytes.size() - h.data_offset < n * item)
    throw Error("truncated .npy data: need " + std::to_string(n * item) + " bytes, have " +
                    std::to_string(bytes.size() - h.data_offset),
                {name, 0, ""});
}

}  // namespace

std::size_t NpyArray::size() const {
  return product(shape);
}

std::string encode_npy(const float* data, const std::vector<std::size_t>& shape) {
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_literal(shape) + ", }";
  // numpy pads the header with spaces so that the data starts on a 64-byte boundary.
  const std::size_t preamble = kMagicLen + 2 + 2;
  std::size_t total = preamble + dict.size() + 1;
  const std::size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  out += dict;
  // The library only targets little-endian machines (x86-64, aarch64), matching '<f4'.
  out.append(reinterpret_cast<const char*>(data), product(shape) * sizeof(float));
  return out;
}

void write_npy(const std::string& path, const float* data, const std::vector<std::size_t>& shape) {
  write_file_atomic(path, encode_npy(data, shape));
}

void write_npy(const std::string& path, const NpyArray& array) {
  if (array.data.size() != array.size())
    throw Error("array data does not match its shape", {path, 0, ""});
  write_npy(path, array.data.data(), array.shape);
}

NpyArray decode_npy(const std::string& bytes, const std::string& name) {
  const Header h = parse_header(bytes, name);
  NpyArray a;
  a.shape = h.shape;
  const std::size_t n = product(h.shape);
  const char* src = bytes.data() + h.data_offset;
  if (h.descr == "<f4") {
    check_data_size(bytes, h, 4, name);
    a.data.resize(n);
    // An empty array (a zero in the shape) has no buffer: memcpy needs non-null pointers.
    if (n != 0) std::memcpy(a.data.data(), src, n * 4);
  } else if (h.descr == "<f8") {
    check_data_size(bytes, h, 8, name);
    a.data.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, src + i * 8, 8);
      a.data[i] = static_cast<float>(d);
    }
  } else {
    throw Error("unsupported dtype '" + h.descr + "' (expected <f4 or <f8)", {name, 0, "descr"});
  }
  return a;
}

NpyArray read_npy(const std::string& path) {
  return decode_npy(read_file(path), path);
}

NpyBytes read_npy_u8(const std::string& path) {
  const std::string bytes = read_file(path);
  const Header h = parse_header(bytes, path);
  if (h.descr != "|u1")
    throw Error("expected dtype |u1, got '" + h.descr + "'", {path, 0, "descr"});
  check_data_size(bytes, h, 1, path);
  NpyBytes b;
  b.shape = h.shape;
  const auto* src = reinterpret_cast<const std::uint8_t*>(bytes.data() + h.data_offset);
  b.data.assign(src, src + product(h.shape));
  return b;
}

}  // namespace emonet
