// Thrift compact protocol reading, bounds-checked, for the Parquet footer and page headers.
//
// Only what Parquet's parquet.thrift needs: structs of fields with i16 deltas, varint
// integers, binaries, lists, and skipping of fields this reader does not use. Every read
// checks the remaining length; a malformed buffer raises emonet::Error with the absolute
// byte offset. Thread-safety: a reader is a cursor owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace emonet::parquet::detail {

enum CompactType : std::uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

class ThriftReader {
 public:
  // `base` is the absolute file offset of data[0], used in error messages.
  ThriftReader(const std::uint8_t* data, std::size_t size, std::size_t base,
               const std::string& file, std::string what)
      : data_(data), size_(size), base_(base), file_(file), what_(std::move(what)) {}

  std::size_t position() const { return pos_; }
  std::size_t offset() const { return base_ + pos_; }

  std::uint64_t varint();
  std::int64_t zigzag() {
    const std::uint64_t v = varint();
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  std::int32_t i32();
  std::int64_t i64() { return zigzag(); }
  std::string binary();
  double dbl();
  std::uint8_t byte();

  // Reads a field header; returns false at the struct's stop byte. `last_id` carries the
  // previous field id (0 at struct start) for the delta encoding.
  bool field(int& id, std::uint8_t& type, int& last_id);
  // List/set header: element type and count (count checked against the bytes left).
  std::size_t list_header(std::uint8_t& elem_type);
  bool bool_value(std::uint8_t type) const { return type == kBoolTrue; }

  // Skips a value of the given type (nested to a bounded depth).
  void skip(std::uint8_t type, int depth = 0);

  [[noreturn]] void fail(const std::string& message) const;

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::size_t base_;
  const std::string& file_;
  std::string what_;
};

}  // namespace emonet::parquet::detail
