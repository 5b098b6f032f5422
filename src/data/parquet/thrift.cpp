// Thrift compact protocol primitives (see thrift.h).
#include "data/parquet/thrift.h"

#include <cstring>

#include "emonet/error.h"

namespace emonet::parquet::detail {

void ThriftReader::fail(const std::string& message) const {
  throw Error(what_ + " at byte offset " + std::to_string(base_ + pos_) + ": " + message,
              ErrorContext{file_, 0, ""});
}

std::uint8_t ThriftReader::byte() {
  if (pos_ >= size_) fail("unexpected end of data");
  return data_[pos_++];
}

std::uint64_t ThriftReader::varint() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    const std::uint8_t b = byte();
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail("varint longer than 10 bytes");
}

std::int32_t ThriftReader::i32() {
  const std::int64_t v = zigzag();
  if (v < INT32_MIN || v > INT32_MAX) fail("i32 out of range");
  return static_cast<std::int32_t>(v);
}

double ThriftReader::dbl() {
  if (size_ - pos_ < 8) fail("unexpected end of data in double");
  double d;
  std::memcpy(&d, data_ + pos_, 8);
  pos_ += 8;
  return d;
}

std::string ThriftReader::binary() {
  const std::uint64_t n = varint();
  if (n > size_ - pos_) fail("binary of " + std::to_string(n) + " bytes runs past the end");
  std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n;
  return s;
}

bool ThriftReader::field(int& id, std::uint8_t& type, int& last_id) {
  const std::uint8_t b = byte();
  if (b == 0) return false;
  type = b & 0x0f;
  const int delta = b >> 4;
  if (delta != 0) {
    id = last_id + delta;
  } else {
    const std::int64_t v = zigzag();
    if (v < INT16_MIN || v > INT16_MAX) fail("field id out of range");
    id = static_cast<int>(v);
  }
  if (type > kStruct) fail("unknown compact type " + std::to_string(type));
  last_id = id;
  return true;
}

std::size_t ThriftReader::list_header(std::uint8_t& elem_type) {
  const std::uint8_t b = byte();
  elem_type = b & 0x0f;
  std::uint64_t n = b >> 4;
  if (n == 15) n = varint();
  // Every element takes at least one byte: more elements than bytes left is corrupt.
  if (n > size_ - pos_) fail("list of " + std::to_string(n) + " elements is longer than the data");
  return static_cast<std::size_t>(n);
}

void ThriftReader::skip(std::uint8_t type, int depth) {
  if (depth > 32) fail("nesting deeper than 32");
  switch (type) {
    case kBoolTrue:
    case kBoolFalse:
      return;
    case kByte:
      byte();
      return;
    case kI16:
    case kI32:
    case kI64:
      varint();
      return;
    case kDouble:
      dbl();
      return;
    case kBinary: {
      const std::uint64_t n = varint();
      if (n > size_ - pos_) fail("binary runs past the end");
      pos_ += n;
      return;
    }
    case kList:
    case kSet: {
      std::uint8_t et;
      const std::size_t n = list_header(et);
      for (std::size_t k = 0; k < n; ++k) {
        if (et == kBoolTrue || et == kBoolFalse)
          byte();
        else
          skip(et, depth + 1);
      }
      return;
    }
    case kMap: {
      const std::uint64_t n = varint();
      if (n == 0) return;
      if (n > size_ - pos_) fail("map longer than the data");
      const std::uint8_t kv = byte();
      for (std::uint64_t k = 0; k < n; ++k) {
        skip(kv >> 4, depth + 1);
        skip(kv & 0x0f, depth + 1);
      }
      return;
    }
    case kStruct: {
      int last = 0, id;
      std::uint8_t t;
      while (field(id, t, last)) skip(t, depth + 1);
      return;
    }
    default:
      fail("cannot skip compact type " + std::to_string(type));
  }
}

}  // namespace emonet::parquet::detail
