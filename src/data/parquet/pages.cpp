// Reading one column chunk: page headers, decompression, levels and values.
#include <snappy-c.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "data/parquet/decode.h"
#include "data/parquet/reader_impl.h"
#include "data/parquet/thrift.h"
#include "emonet/error.h"

namespace emonet::parquet::detail {
namespace {

// Larger pages than this are treated as corrupt (writers use ~1 MiB pages): keeps a
// hostile header from asking for gigabytes.
constexpr std::size_t kMaxPageBytes = std::size_t{1} << 30;
constexpr std::size_t kMaxPageValues = std::size_t{1} << 26;

struct PageHeader {
  int type = -1;
  std::int64_t uncompressed = -1;
  std::int64_t compressed = -1;
  // data page v1 / v2 / dictionary
  std::int64_t num_values = -1;
  int encoding = 0;
  int def_encoding = 3;
  int rep_encoding = 3;
  std::int64_t def_bytes = 0;  // v2
  std::int64_t rep_bytes = 0;  // v2
  bool is_compressed = true;   // v2
};

void read_sub(ThriftReader& r, PageHeader& h, int which) {
  int last = 0, id;
  std::uint8_t t;
  while (r.field(id, t, last)) {
    auto num = [&] { return t == kBoolTrue || t == kBoolFalse ? 0 : r.zigzag(); };
    if (which == 5) {  // DataPageHeader
      if (id == 1)
        h.num_values = num();
      else if (id == 2)
        h.encoding = static_cast<int>(num());
      else if (id == 3)
        h.def_encoding = static_cast<int>(num());
      else if (id == 4)
        h.rep_encoding = static_cast<int>(num());
      else
        r.skip(t);
    } else if (which == 7) {  // DictionaryPageHeader
      if (id == 1)
        h.num_values = num();
      else if (id == 2)
        h.encoding = static_cast<int>(num());
      else
        r.skip(t);
    } else {  // DataPageHeaderV2
      if (id == 1)
        h.num_values = num();
      else if (id == 4)
        h.encoding = static_cast<int>(num());
      else if (id == 5)
        h.def_bytes = num();
      else if (id == 6)
        h.rep_bytes = num();
      else if (id == 7)
        h.is_compressed = r.bool_value(t);
      else
        r.skip(t);
    }
  }
}

PageHeader read_page_header(ThriftReader& r) {
  PageHeader h;
  int last = 0, id;
  std::uint8_t t;
  while (r.field(id, t, last)) {
    if (id == 1)
      h.type = static_cast<int>(r.zigzag());
    else if (id == 2)
      h.uncompressed = r.zigzag();
    else if (id == 3)
      h.compressed = r.zigzag();
    else if ((id == 5 || id == 7 || id == 8) && t == kStruct)
      read_sub(r, h, id);
    else
      r.skip(t);
  }
  if (h.compressed < 0 || h.uncompressed < 0) r.fail("page header without valid sizes");
  if (static_cast<std::uint64_t>(h.uncompressed) > kMaxPageBytes)
    r.fail("page claims " + std::to_string(h.uncompressed) + " uncompressed bytes");
  return h;
}

// The page body, decompressed into `out` (a scratch buffer that only grows, so pages after
// the largest one cost no allocation or zero-filling) or, uncompressed, read in place from
// the mapping.
Bytes decompress(int codec, const std::uint8_t* src, std::size_t n, std::size_t expected,
                 std::string& out, const Fail& fail) {
  if (codec == 0) {
    if (n != expected) fail("uncompressed page size differs from its compressed size");
    return Bytes{src, src + n};
  }
  if (out.size() < expected) out.resize(expected);
  const auto* view = reinterpret_cast<const std::uint8_t*>(out.data());
  switch (codec) {
    case 1: {
      std::size_t len = 0;
      if (snappy_uncompressed_length(reinterpret_cast<const char*>(src), n, &len) != SNAPPY_OK ||
          len != expected)
        fail("Snappy page has a bad length header");
      std::size_t got = expected;
      if (snappy_uncompress(reinterpret_cast<const char*>(src), n, out.data(), &got) != SNAPPY_OK ||
          got != expected)
        fail("Snappy page does not decompress");
      return Bytes{view, view + expected};
    }
    case 2: {
      z_stream z{};
      if (inflateInit2(&z, 15 + 32) != Z_OK) fail("zlib init failed");
      z.next_in = const_cast<Bytef*>(src);
      z.avail_in = static_cast<uInt>(std::min<std::size_t>(n, std::numeric_limits<uInt>::max()));
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(expected);
      const int rc = inflate(&z, Z_FINISH);
      const std::size_t got = expected - z.avail_out;
      inflateEnd(&z);
      if (rc != Z_STREAM_END || got != expected) fail("gzip page does not decompress to its size");
      return Bytes{view, view + expected};
    }
    case 6: {
      const std::size_t got = ZSTD_decompress(out.data(), expected, src, n);
      if (ZSTD_isError(got) || got != expected)
        fail(std::string("Zstandard page does not decompress to its size") +
             (ZSTD_isError(got) ? std::string(": ") + ZSTD_getErrorName(got) : ""));
      return Bytes{view, view + expected};
    }
    default:
      break;
  }
  fail("codec " + std::string(codec_name(codec)) + " is not supported");
  return Bytes{};
}

int bit_width(int max_level) {
  int w = 0;
  while ((1 << w) <= max_level) ++w;
  return w;
}

void decode_levels(Bytes in, int max_level, std::size_t count, std::vector<std::int16_t>& out,
                   const Fail& fail) {
  std::vector<std::uint32_t> tmp;
  tmp.reserve(count);
  decode_rle_hybrid(in, bit_width(max_level), count, tmp, fail);
  for (std::uint32_t v : tmp) {
    if (v > static_cast<std::uint32_t>(max_level)) fail("level above the column's maximum");
    out.push_back(static_cast<std::int16_t>(v));
  }
}

// v1 levels: a 4-byte length then the RLE hybrid data.
Bytes take_v1_levels(Bytes& in, int encoding, const Fail& fail) {
  if (encoding != 3)
    fail("level encoding " + std::string(encoding_name(encoding)) + " is not supported");
  if (in.left() < 4) fail("levels length runs past the end of the page");
  std::uint32_t n;
  std::memcpy(&n, in.p, 4);
  in.p += 4;
  if (n > in.left()) fail("levels run past the end of the page");
  Bytes lv{in.p, in.p + n};
  in.p += n;
  return lv;
}

void decode_values(Bytes in, const PageHeader& h, const ColumnDescriptor& col, std::size_t count,
                   const ColumnData* dict, ColumnData& out, const Fail& fail) {
  switch (h.encoding) {
    case 0:
      decode_plain(in, col.type, col.type_length, count, out, fail);
      return;
    case 2:
    case 8: {
      if (!dict) fail("dictionary-encoded page without a dictionary page");
      if (count == 0) return;
      if (in.left() < 1) fail("dictionary indices run past the end of the page");
      const int w = *in.p++;
      std::vector<std::uint32_t> idx;
      idx.reserve(count);
      decode_rle_hybrid(in, w, count, idx, fail);
      const std::size_t n = dict->num_values();
      for (std::uint32_t i : idx) {
        if (i >= n)
          fail("dictionary index " + std::to_string(i) + " >= dictionary size " +
               std::to_string(n));
        if (!dict->offsets.empty()) {
          const auto v = dict->byte_value(i);
          if (out.offsets.empty()) out.offsets.push_back(0);
          out.bytes.append(v);
          out.offsets.push_back(out.bytes.size());
        } else if (!dict->doubles.empty()) {
          out.doubles.push_back(dict->doubles[i]);
        } else {
          out.ints.push_back(dict->ints[i]);
        }
      }
      return;
    }
    case 3: {
      if (col.type != PhysicalType::Boolean) fail("RLE values are only defined for BOOLEAN");
      Bytes lv = take_v1_levels(in, 3, fail);
      std::vector<std::uint32_t> bits;
      decode_rle_hybrid(lv, 1, count, bits, fail);
      for (auto b : bits) out.ints.push_back(b);
      return;
    }
    case 5: {
      if (col.type != PhysicalType::Int32 && col.type != PhysicalType::Int64)
        fail("DELTA_BINARY_PACKED is only defined for INT32/INT64");
      decode_delta_binary(in, count, col.type == PhysicalType::Int32, out.ints, fail);
      return;
    }
    case 6:
      if (col.type != PhysicalType::ByteArray) fail("DELTA_LENGTH_BYTE_ARRAY needs BYTE_ARRAY");
      decode_delta_length(in, count, out, fail);
      return;
    case 7:
      if (col.type != PhysicalType::ByteArray && col.type != PhysicalType::FixedLenByteArray)
        fail("DELTA_BYTE_ARRAY needs a byte array column");
      decode_delta_byte_array(in, count, out, fail);
      return;
    case 9:
      decode_byte_stream_split(in, col.type, col.type_length, count, out, fail);
      return;
    default:
      fail("value encoding " + std::string(encoding_name(h.encoding)) + " is not supported");
  }
}

}  // namespace

ColumnData read_column_chunk(const std::uint8_t* data, std::size_t size, const std::string& file,
                             const FileMetadata& meta, std::size_t rg, std::size_t ci) {
  if (rg >= meta.row_groups.size())
    throw Error("row group " + std::to_string(rg) + " out of range", {file, 0, ""});
  if (ci >= meta.columns.size())
    throw Error("column " + std::to_string(ci) + " out of range", {file, 0, ""});
  const ColumnDescriptor& col = meta.columns[ci];
  const ColumnChunkInfo& cc = meta.row_groups[rg].columns[ci];
  std::size_t page_offset = 0;
  auto fail_at = [&](std::size_t off, const std::string& m) {
    throw Error("row group " + std::to_string(rg) + ", page at byte offset " + std::to_string(off) +
                    ": " + m,
                ErrorContext{file, 0, col.path});
  };
  const Fail fail = [&](const std::string& m) { fail_at(page_offset, m); };

  std::int64_t start = cc.data_page_offset;
  if (cc.dictionary_page_offset > 0 && cc.dictionary_page_offset < start)
    start = cc.dictionary_page_offset;
  if (start < 4 || static_cast<std::uint64_t>(start) >= size)
    fail_at(static_cast<std::size_t>(std::max<std::int64_t>(start, 0)),
            "column chunk starts outside the file");
  std::size_t end = size;
  if (cc.total_compressed_size > 0 && static_cast<std::uint64_t>(cc.total_compressed_size) <=
                                          size - static_cast<std::size_t>(start))
    end = static_cast<std::size_t>(start) + static_cast<std::size_t>(cc.total_compressed_size);
  if (cc.num_values < 0) fail_at(static_cast<std::size_t>(start), "negative num_values");
#ifdef MADV_POPULATE_READ
  {
    // Map the chunk's pages in one call rather than one page fault per 4 KiB (a large
    // share of the decode time on big chunks); failure (older kernels) changes nothing.
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const auto from = reinterpret_cast<std::uintptr_t>(data + start) / page * page;
    const auto to = reinterpret_cast<std::uintptr_t>(data + end);
    ::madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_READ);
  }
#endif

  ColumnData out;
  out.type = col.type;
  std::optional<ColumnData> dict;
  // Per thread, kept between column chunks (see decompress()), but not when a huge page
  // made it huge.
  thread_local std::string buf;
  struct Trim {
    ~Trim() {
      if (buf.capacity() > (64u << 20)) std::string().swap(buf);
    }
  } trim;
  if (col.type == PhysicalType::ByteArray && cc.total_uncompressed_size > 0) {
    // The values' bytes in one allocation instead of a doubling series (each a copy and
    // fresh pages); bounded by the chunk's real size so a lying footer cannot reserve much.
    const std::uint64_t chunk = end - static_cast<std::size_t>(start);
    out.bytes.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(
        {static_cast<std::uint64_t>(cc.total_uncompressed_size), 32 * chunk, 1ull << 30})));
  }
  std::size_t pos = static_cast<std::size_t>(start);
  const auto total = static_cast<std::uint64_t>(cc.num_values);
  while (out.num_entries < total) {
    page_offset = pos;
    if (pos >= end)
      fail("column chunk ends after " + std::to_string(out.num_entries) + " of " +
           std::to_string(total) + " values");
    ThriftReader r(data + pos, end - pos, pos, file, "column '" + col.path + "' page header");
    const PageHeader h = read_page_header(r);
    const std::size_t body = pos + r.position();
    if (static_cast<std::uint64_t>(h.compressed) > end - body)
      fail("page body runs past the end of the column chunk");
    const std::uint8_t* src = data + body;
    const std::size_t n = static_cast<std::size_t>(h.compressed);
    pos = body + n;
    if (h.type == 2) {  // dictionary
      if (dict) fail("second dictionary page");
      if (h.num_values < 0 || static_cast<std::uint64_t>(h.num_values) > kMaxPageValues)
        fail("bad dictionary size");
      Bytes in = decompress(cc.codec, src, n, static_cast<std::size_t>(h.uncompressed), buf, fail);
      dict.emplace();
      dict->type = col.type;
      if (h.encoding != 0 && h.encoding != 2) fail("dictionary page encoding must be PLAIN");
      decode_plain(in, col.type, col.type_length, static_cast<std::size_t>(h.num_values), *dict,
                   fail);
      if (col.type == PhysicalType::ByteArray && dict->offsets.empty()) dict->offsets.push_back(0);
      continue;
    }
    if (h.type != 0 && h.type != 3) continue;  // index pages and unknown types are skipped
    if (h.num_values < 0 || static_cast<std::uint64_t>(h.num_values) > kMaxPageValues)
      fail("page claims " + std::to_string(h.num_values) + " values");
    const auto count = static_cast<std::size_t>(h.num_values);
    if (count > total - out.num_entries) fail("pages hold more values than the column chunk");
    const std::size_t def_at = out.def_levels.size();
    Bytes values{};
    if (h.type == 0) {
      Bytes in = decompress(cc.codec, src, n, static_cast<std::size_t>(h.uncompressed), buf, fail);
      if (col.max_rep > 0)
        decode_levels(take_v1_levels(in, h.rep_encoding, fail), col.max_rep, count, out.rep_levels,
                      fail);
      if (col.max_def > 0)
        decode_levels(take_v1_levels(in, h.def_encoding, fail), col.max_def, count, out.def_levels,
                      fail);
      values = in;
    } else {
      if (h.rep_bytes < 0 || h.def_bytes < 0 ||
          static_cast<std::uint64_t>(h.rep_bytes) + static_cast<std::uint64_t>(h.def_bytes) > n)
        fail("v2 level lengths run past the page");
      const auto rb = static_cast<std::size_t>(h.rep_bytes),
                 db = static_cast<std::size_t>(h.def_bytes);
      if (col.max_rep > 0)
        decode_levels(Bytes{src, src + rb}, col.max_rep, count, out.rep_levels, fail);
      if (col.max_def > 0)
        decode_levels(Bytes{src + rb, src + rb + db}, col.max_def, count, out.def_levels, fail);
      const std::size_t lv = rb + db;
      if (static_cast<std::uint64_t>(h.uncompressed) < lv) fail("v2 page smaller than its levels");
      values = h.is_compressed
                   ? decompress(cc.codec, src + lv, n - lv,
                                static_cast<std::size_t>(h.uncompressed) - lv, buf, fail)
                   : Bytes{src + lv, src + n};
    }
    std::size_t present = count;
    if (col.max_def > 0)
      present = static_cast<std::size_t>(
          std::count(out.def_levels.begin() + static_cast<std::ptrdiff_t>(def_at),
                     out.def_levels.end(), col.max_def));
    if (col.max_rep > 0 && out.num_entries == 0 && count > 0 && out.rep_levels[0] != 0)
      fail("first repetition level of a column chunk is not 0");
    decode_values(values, h, col, present, dict ? &*dict : nullptr, out, fail);
    out.num_entries += count;
  }
  if ((col.type == PhysicalType::ByteArray || col.type == PhysicalType::FixedLenByteArray ||
       col.type == PhysicalType::Int96) &&
      out.offsets.empty())
    out.offsets.push_back(0);
  return out;
}

}  // namespace emonet::parquet::detail
