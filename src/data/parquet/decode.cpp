// Parquet encodings (see decode.h). Bit-packing is LSB first, as the format specifies.
#include "data/parquet/decode.h"

#include <cstring>
#include <limits>

namespace emonet::parquet::detail {
namespace {

std::uint64_t read_uleb(Bytes& in, const Fail& fail) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.p >= in.end) fail("varint runs past the end of the page");
    const std::uint8_t b = *in.p++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail("varint longer than 10 bytes");
  return 0;
}

std::int64_t read_zigzag(Bytes& in, const Fail& fail) {
  const std::uint64_t v = read_uleb(in, fail);
  return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Unpacks `n` values of `width` bits (width <= 64) starting at bit 0 of `p`.
template <typename T>
void unpack(const std::uint8_t* p, int width, std::size_t n, T* out) {
  std::size_t bit = 0;
  for (std::size_t k = 0; k < n; ++k) {
    std::uint64_t v = 0;
    int got = 0;
    while (got < width) {
      const std::size_t byte = bit >> 3;
      const int off = static_cast<int>(bit & 7);
      const int take = std::min(8 - off, width - got);
      const std::uint64_t bits = (static_cast<std::uint64_t>(p[byte]) >> off) & ((1u << take) - 1);
      v |= bits << got;
      got += take;
      bit += static_cast<std::size_t>(take);
    }
    out[k] = static_cast<T>(v);
  }
}

void append_bytes(ColumnData& out, const std::uint8_t* p, std::size_t n) {
  if (out.offsets.empty()) out.offsets.push_back(0);
  out.bytes.append(reinterpret_cast<const char*>(p), n);
  out.offsets.push_back(out.bytes.size());
}

}  // namespace

void decode_rle_hybrid(Bytes in, int bit_width, std::size_t count, std::vector<std::uint32_t>& out,
                       const Fail& fail) {
  if (bit_width < 0 || bit_width > 32) fail("bit width " + std::to_string(bit_width) + " over 32");
  const std::size_t target = out.size() + count;
  const std::size_t value_bytes = static_cast<std::size_t>((bit_width + 7) / 8);
  while (out.size() < target) {
    const std::uint64_t header = read_uleb(in, fail);
    if (header & 1) {
      const std::uint64_t groups = header >> 1;
      if (groups == 0 || groups > in.left()) fail("bit-packed run longer than the page");
      const std::size_t bytes =
          static_cast<std::size_t>(groups) * static_cast<std::size_t>(bit_width);
      if (bytes > in.left()) fail("bit-packed run runs past the end of the page");
      const std::size_t n = std::min<std::size_t>(groups * 8, target - out.size());
      const std::size_t at = out.size();
      out.resize(at + n);
      unpack(in.p, bit_width, n, out.data() + at);
      in.p += bytes;
    } else {
      const std::uint64_t run = header >> 1;
      if (run == 0) fail("RLE run of length 0");
      if (value_bytes > in.left()) fail("RLE run value runs past the end of the page");
      std::uint32_t v = 0;
      for (std::size_t b = 0; b < value_bytes; ++b)
        v |= static_cast<std::uint32_t>(in.p[b]) << (8 * b);
      in.p += value_bytes;
      if (bit_width < 32 && (v >> bit_width) != 0) fail("RLE value wider than its bit width");
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(run, target - out.size()));
      out.insert(out.end(), n, v);
    }
  }
}

void decode_plain(Bytes& in, PhysicalType type, int type_length, std::size_t count, ColumnData& out,
                  const Fail& fail) {
  auto need = [&](std::size_t n) {
    if (n > in.left()) fail("PLAIN values run past the end of the page");
  };
  switch (type) {
    case PhysicalType::Boolean: {
      need((count + 7) / 8);
      for (std::size_t k = 0; k < count; ++k) out.ints.push_back((in.p[k >> 3] >> (k & 7)) & 1);
      in.p += (count + 7) / 8;
      return;
    }
    case PhysicalType::Int32: {
      if (count > in.left() / 4) fail("PLAIN values run past the end of the page");
      for (std::size_t k = 0; k < count; ++k) {
        std::int32_t v;
        std::memcpy(&v, in.p + 4 * k, 4);
        out.ints.push_back(v);
      }
      in.p += 4 * count;
      return;
    }
    case PhysicalType::Int64: {
      if (count > in.left() / 8) fail("PLAIN values run past the end of the page");
      const std::size_t at = out.ints.size();
      out.ints.resize(at + count);
      std::memcpy(out.ints.data() + at, in.p, 8 * count);
      in.p += 8 * count;
      return;
    }
    case PhysicalType::Float: {
      if (count > in.left() / 4) fail("PLAIN values run past the end of the page");
      for (std::size_t k = 0; k < count; ++k) {
        float v;
        std::memcpy(&v, in.p + 4 * k, 4);
        out.doubles.push_back(v);
      }
      in.p += 4 * count;
      return;
    }
    case PhysicalType::Double: {
      if (count > in.left() / 8) fail("PLAIN values run past the end of the page");
      const std::size_t at = out.doubles.size();
      out.doubles.resize(at + count);
      std::memcpy(out.doubles.data() + at, in.p, 8 * count);
      in.p += 8 * count;
      return;
    }
    case PhysicalType::ByteArray: {
      for (std::size_t k = 0; k < count; ++k) {
        need(4);
        std::uint32_t n;
        std::memcpy(&n, in.p, 4);
        in.p += 4;
        need(n);
        append_bytes(out, in.p, n);
        in.p += n;
      }
      return;
    }
    case PhysicalType::Int96:
    case PhysicalType::FixedLenByteArray: {
      const std::size_t w =
          type == PhysicalType::Int96 ? 12 : static_cast<std::size_t>(type_length);
      if (w == 0 || count > in.left() / w) fail("PLAIN values run past the end of the page");
      for (std::size_t k = 0; k < count; ++k) append_bytes(out, in.p + w * k, w);
      in.p += w * count;
      return;
    }
  }
  fail("unknown physical type");
}

void decode_delta_binary(Bytes& in, std::size_t count, bool is_int32,
                         std::vector<std::int64_t>& out, const Fail& fail) {
  const std::uint64_t block_size = read_uleb(in, fail);
  const std::uint64_t miniblocks = read_uleb(in, fail);
  const std::uint64_t total = read_uleb(in, fail);
  std::uint64_t value = static_cast<std::uint64_t>(read_zigzag(in, fail));
  if (block_size == 0 || block_size % 128 != 0 || block_size > (1u << 20) || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0)
    fail("invalid DELTA_BINARY_PACKED block header");
  if (count == std::numeric_limits<std::size_t>::max()) {
    if (total > in.left() * 64 + 1) fail("DELTA_BINARY_PACKED count larger than the page allows");
    count = static_cast<std::size_t>(total);
  } else if (total < count) {
    fail("DELTA_BINARY_PACKED holds " + std::to_string(total) + " values, page needs " +
         std::to_string(count));
  }
  auto emit = [&](std::uint64_t v) {
    out.push_back(is_int32 ? static_cast<std::int64_t>(static_cast<std::int32_t>(v))
                           : static_cast<std::int64_t>(v));
  };
  if (count == 0) return;
  emit(value);
  std::size_t done = 1;
  const std::size_t per_mini = static_cast<std::size_t>(block_size / miniblocks);
  std::vector<std::uint64_t> deltas(per_mini);
  // A block is only read while values remain (writers omit trailing blocks).
  while (done < total) {
    const std::uint64_t min_delta = static_cast<std::uint64_t>(read_zigzag(in, fail));
    if (miniblocks > in.left()) fail("DELTA_BINARY_PACKED bit widths run past the end of the page");
    const std::uint8_t* widths = in.p;
    in.p += miniblocks;
    for (std::uint64_t m = 0; m < miniblocks && done < total; ++m) {
      const int w = widths[m];
      if (w > 64) fail("DELTA_BINARY_PACKED bit width over 64");
      // Miniblocks are padded to full size, but a last one cut short after its final
      // needed value is accepted too.
      const std::size_t bytes = per_mini * static_cast<std::size_t>(w) / 8;
      const std::size_t needed =
          std::min<std::size_t>(per_mini, static_cast<std::size_t>(total - done));
      const std::size_t needed_bytes = (needed * static_cast<std::size_t>(w) + 7) / 8;
      if (needed_bytes > in.left())
        fail("DELTA_BINARY_PACKED miniblock runs past the end of the page");
      unpack(in.p, w, needed, deltas.data());
      in.p += std::min(bytes, in.left());
      for (std::size_t k = 0; k < per_mini && done < total; ++k, ++done) {
        value += min_delta + deltas[k];
        if (done < count) emit(value);
      }
    }
  }
}

void decode_delta_length(Bytes& in, std::size_t count, ColumnData& out, const Fail& fail) {
  std::vector<std::int64_t> lengths;
  decode_delta_binary(in, count, true, lengths, fail);
  for (std::size_t k = 0; k < count; ++k) {
    const std::int64_t n = lengths[k];
    if (n < 0 || static_cast<std::uint64_t>(n) > in.left())
      fail("DELTA_LENGTH_BYTE_ARRAY value runs past the end of the page");
    append_bytes(out, in.p, static_cast<std::size_t>(n));
    in.p += n;
  }
}

void decode_delta_byte_array(Bytes& in, std::size_t count, ColumnData& out, const Fail& fail) {
  std::vector<std::int64_t> prefixes;
  decode_delta_binary(in, count, true, prefixes, fail);
  ColumnData suffixes;
  decode_delta_length(in, count, suffixes, fail);
  std::string prev;
  for (std::size_t k = 0; k < count; ++k) {
    const std::int64_t pre = prefixes[k];
    if (pre < 0 || static_cast<std::size_t>(pre) > prev.size())
      fail("DELTA_BYTE_ARRAY prefix longer than the previous value");
    prev.resize(static_cast<std::size_t>(pre));
    prev += suffixes.byte_value(k);
    append_bytes(out, reinterpret_cast<const std::uint8_t*>(prev.data()), prev.size());
  }
}

void decode_byte_stream_split(Bytes& in, PhysicalType type, int type_length, std::size_t count,
                              ColumnData& out, const Fail& fail) {
  std::size_t w = 0;
  switch (type) {
    case PhysicalType::Float:
    case PhysicalType::Int32:
      w = 4;
      break;
    case PhysicalType::Double:
    case PhysicalType::Int64:
      w = 8;
      break;
    case PhysicalType::FixedLenByteArray:
      w = static_cast<std::size_t>(type_length);
      break;
    default:
      fail("BYTE_STREAM_SPLIT is not defined for this physical type");
  }
  if (w == 0 || count > in.left() / w)
    fail("BYTE_STREAM_SPLIT values run past the end of the page");
  std::string joined(w * count, '\0');
  for (std::size_t k = 0; k < count; ++k)
    for (std::size_t b = 0; b < w; ++b) joined[k * w + b] = static_cast<char>(in.p[b * count + k]);
  in.p += w * count;
  Bytes plain{reinterpret_cast<const std::uint8_t*>(joined.data()),
              reinterpret_cast<const std::uint8_t*>(joined.data()) + joined.size()};
  decode_plain(plain, type, type_length, count, out, fail);
}

}  // namespace emonet::parquet::detail
