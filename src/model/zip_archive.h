// A read-only ZIP archive reader, just enough for torch.save containers: the central
// directory (including ZIP64), stored and deflated entries, CRC-32 checked on read.
//
// Internal to src/model. Every malformed structure throws emonet::Error naming the archive
// (and entry). Immutable after construction; safe to read from several threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "emonet/files.h"

namespace emonet::model {

class ZipArchive {
 public:
  struct Entry {
    std::string name;
    std::uint16_t method = 0;  // 0 stored, 8 deflate
    std::uint16_t flags = 0;
    std::uint32_t crc32 = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t size = 0;
    std::uint64_t local_header_offset = 0;
  };

  // Maps the file and reads its central directory.
  explicit ZipArchive(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;
  // The entry's uncompressed bytes, CRC-checked.
  std::string read(const Entry& entry) const;
  // A stored (uncompressed) entry's bytes in place in the mapped archive, CRC-checked,
  // valid while the archive lives; throws Error for any other method (use read()).
  std::string_view stored_view(const Entry& entry) const;

 private:
  std::uint64_t data_offset(const Entry& entry) const;  // checked start of the entry's data
  void check_crc(const Entry& entry, std::string_view data) const;

  MappedFile file_;
  std::vector<Entry> entries_;
};

// True when the file starts with a ZIP local file header ("PK\3\4").
bool looks_like_zip(const std::string& path);

}  // namespace emonet::model
