// Parquet value and level encodings over bounded byte ranges (internal to the reader).
//
// Each decoder reads from [p, end) and throws through `fail` (which names the file, the
// column and the page's byte offset) when the data ends early or is inconsistent.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "emonet/parquet.h"

namespace emonet::parquet::detail {

using Fail = std::function<void(const std::string&)>;  // must throw

struct Bytes {
  const std::uint8_t* p;
  const std::uint8_t* end;
  std::size_t left() const { return static_cast<std::size_t>(end - p); }
};

// RLE / bit-packed hybrid: appends exactly `count` values of `bit_width` bits.
void decode_rle_hybrid(Bytes in, int bit_width, std::size_t count, std::vector<std::uint32_t>& out,
                       const Fail& fail);

// PLAIN values of a physical type, appended to `out` (consumes from `in`).
void decode_plain(Bytes& in, PhysicalType type, int type_length, std::size_t count, ColumnData& out,
                  const Fail& fail);

// DELTA_BINARY_PACKED: appends `count` values (all if count == SIZE_MAX); advances `in`.
void decode_delta_binary(Bytes& in, std::size_t count, bool is_int32,
                         std::vector<std::int64_t>& out, const Fail& fail);

// DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY.
void decode_delta_length(Bytes& in, std::size_t count, ColumnData& out, const Fail& fail);
void decode_delta_byte_array(Bytes& in, std::size_t count, ColumnData& out, const Fail& fail);

// BYTE_STREAM_SPLIT for FLOAT, DOUBLE, INT32, INT64, FIXED_LEN_BYTE_ARRAY.
void decode_byte_stream_split(Bytes& in, PhysicalType type, int type_length, std::size_t count,
                              ColumnData& out, const Fail& fail);

}  // namespace emonet::parquet::detail
