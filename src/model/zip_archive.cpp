#include "zip_archive.h"

#include <zlib.h>

#include <cstring>

#include "emonet/error.h"

namespace emonet::model {
namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kEndOfCentralDir = 0x06054b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint32_t kZip64EndOfCentralDir = 0x06064b50;

// Bounds-checked little-endian reads from the mapped archive.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size, const std::string& path)
      : data_(data), size_(size), path_(path) {}
  void need(std::uint64_t offset, std::uint64_t n, const char* what) const {
    if (offset > size_ || n > size_ - offset)
      throw Error(std::string("truncated or corrupt zip archive: ") + what + " at offset " +
                      std::to_string(offset) + " runs past the end of the file (" +
                      std::to_string(size_) + " bytes)",
                  {path_, 0, ""});
  }
  std::uint64_t le(std::uint64_t offset, int bytes) const {
    need(offset, static_cast<std::uint64_t>(bytes), "field");
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | data_[offset + static_cast<unsigned>(i)];
    return v;
  }
  std::uint16_t u16(std::uint64_t o) const { return static_cast<std::uint16_t>(le(o, 2)); }
  std::uint32_t u32(std::uint64_t o) const { return static_cast<std::uint32_t>(le(o, 4)); }
  std::uint64_t u64(std::uint64_t o) const { return le(o, 8); }
  const std::uint8_t* at(std::uint64_t o) const { return data_ + o; }
  std::size_t size() const { return size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  const std::string& path_;
};

}  // namespace

bool looks_like_zip(const std::string& path) {
  MappedFile f(path);
  return f.size() >= 4 && std::memcmp(f.data(), "PK\x03\x04", 4) == 0;
}

ZipArchive::ZipArchive(const std::string& path) : file_(path) {
  const Reader r(file_.data(), file_.size(), file_.path());
  if (file_.size() < 22)
    throw Error("not a zip archive (" + std::to_string(file_.size()) + " bytes)", {path, 0, ""});
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  std::uint64_t eocd = 0;
  bool found = false;
  const std::uint64_t lowest = file_.size() > 22 + 65535 ? file_.size() - 22 - 65535 : 0;
  for (std::uint64_t o = file_.size() - 22 + 1; o-- > lowest;) {
    if (r.u32(o) == kEndOfCentralDir) {
      eocd = o;
      found = true;
      break;
    }
  }
  if (!found)
    throw Error("no zip end-of-central-directory record (file truncated or not a zip archive)",
                {path, 0, ""});
  std::uint64_t count = r.u16(eocd + 10);
  std::uint64_t cd_size = r.u32(eocd + 12);
  std::uint64_t cd_offset = r.u32(eocd + 16);
  if (eocd >= 20 && r.u32(eocd - 20) == kZip64Locator) {
    const std::uint64_t z64 = r.u64(eocd - 20 + 8);
    if (r.u32(z64) != kZip64EndOfCentralDir)
      throw Error("corrupt ZIP64 end-of-central-directory record", {path, 0, ""});
    count = r.u64(z64 + 32);
    cd_size = r.u64(z64 + 40);
    cd_offset = r.u64(z64 + 48);
  }
  r.need(cd_offset, cd_size, "central directory");
  if (count > cd_size / 46 + 1)
    throw Error("corrupt zip central directory: " + std::to_string(count) + " entries in " +
                    std::to_string(cd_size) + " bytes",
                {path, 0, ""});
  std::uint64_t o = cd_offset;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (r.u32(o) != kCentralHeader)
      throw Error("corrupt zip central directory entry " + std::to_string(i), {path, 0, ""});
    Entry e;
    e.flags = r.u16(o + 8);
    e.method = r.u16(o + 10);
    e.crc32 = r.u32(o + 16);
    e.compressed_size = r.u32(o + 20);
    e.size = r.u32(o + 24);
    const std::uint16_t name_len = r.u16(o + 28), extra_len = r.u16(o + 30),
                        comment_len = r.u16(o + 32);
    e.local_header_offset = r.u32(o + 42);
    r.need(o + 46, static_cast<std::uint64_t>(name_len) + extra_len + comment_len,
           "central directory entry");
    e.name.assign(reinterpret_cast<const char*>(r.at(o + 46)), name_len);
    // ZIP64 extended information: present fields replace the 0xffffffff placeholders,
    // in the order size, compressed size, local header offset.
    std::uint64_t x = o + 46 + name_len;
    const std::uint64_t x_end = x + extra_len;
    while (x + 4 <= x_end) {
      const std::uint16_t id = r.u16(x), len = r.u16(x + 2);
      if (x + 4 + len > x_end) break;
      if (id == 0x0001) {
        std::uint64_t p = x + 4;
        auto next = [&](std::uint64_t& field) {
          if (field == 0xffffffffu && p + 8 <= x + 4 + len) {
            field = r.u64(p);
            p += 8;
          }
        };
        next(e.size);
        next(e.compressed_size);
        next(e.local_header_offset);
      }
      x += 4 + static_cast<std::uint64_t>(len);
    }
    entries_.push_back(std::move(e));
    o += 46 + static_cast<std::uint64_t>(name_len) + extra_len + comment_len;
  }
}

const ZipArchive::Entry* ZipArchive::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::uint64_t ZipArchive::data_offset(const Entry& e) const {
  const Reader r(file_.data(), file_.size(), file_.path());
  const ErrorContext where{file_.path(), 0, e.name};
  if (e.flags & 1u) throw Error("encrypted zip entries are not supported", where);
  if (r.u32(e.local_header_offset) != kLocalHeader)
    throw Error("corrupt zip: no local header at offset " + std::to_string(e.local_header_offset),
                where);
  const std::uint64_t offset = e.local_header_offset + 30 + r.u16(e.local_header_offset + 26) +
                               r.u16(e.local_header_offset + 28);
  r.need(offset, e.compressed_size, "entry data");
  return offset;
}

void ZipArchive::check_crc(const Entry& e, std::string_view data) const {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  std::uint64_t done = 0;
  while (done < data.size()) {
    const auto chunk = static_cast<uInt>(std::min<std::uint64_t>(data.size() - done, 1u << 30));
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data.data() + done), chunk);
    done += chunk;
  }
  if (static_cast<std::uint32_t>(crc) != e.crc32)
    throw Error("CRC-32 mismatch (file corrupt)", {file_.path(), 0, e.name});
}

std::string_view ZipArchive::stored_view(const Entry& e) const {
  const ErrorContext where{file_.path(), 0, e.name};
  if (e.method != 0) throw Error("entry is compressed, not stored", where);
  const std::uint64_t offset = data_offset(e);
  if (e.compressed_size != e.size)
    throw Error("stored entry has different compressed and uncompressed sizes", where);
  const std::string_view data(reinterpret_cast<const char*>(file_.data()) + offset, e.size);
  check_crc(e, data);
  return data;
}

std::string ZipArchive::read(const Entry& e) const {
  if (e.method == 0) return std::string(stored_view(e));
  const Reader r(file_.data(), file_.size(), file_.path());
  const ErrorContext where{file_.path(), 0, e.name};
  const std::uint64_t data_offset = this->data_offset(e);
  std::string out;
  if (e.method == 8) {
    if (e.size > (std::uint64_t{1} << 34))
      throw Error("deflated entry claims " + std::to_string(e.size) + " bytes", where);
    out.resize(e.size);
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw Error("zlib initialisation failed", where);
    std::uint64_t in_left = e.compressed_size, out_done = 0;
    const std::uint8_t* in = r.at(data_offset);
    int rc = Z_OK;
    while (rc == Z_OK) {
      const auto in_chunk = static_cast<uInt>(std::min<std::uint64_t>(in_left, 1u << 30));
      const auto out_chunk =
          static_cast<uInt>(std::min<std::uint64_t>(e.size - out_done, 1u << 30));
      zs.next_in = const_cast<Bytef*>(in);
      zs.avail_in = in_chunk;
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_done);
      zs.avail_out = out_chunk;
      rc = inflate(&zs, Z_NO_FLUSH);
      const std::uint64_t used = in_chunk - zs.avail_in, made = out_chunk - zs.avail_out;
      in += used;
      in_left -= used;
      out_done += made;
      if (rc == Z_OK && used == 0 && made == 0) rc = Z_BUF_ERROR;
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || out_done != e.size)
      throw Error("corrupt deflate data (zlib status " + std::to_string(rc) + ")", where);
  } else {
    throw Error("unsupported zip compression method " + std::to_string(e.method), where);
  }
  check_crc(e, out);
  return out;
}

}  // namespace emonet::model
