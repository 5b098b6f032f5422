// Small file helpers: read a whole file, write a file atomically, map a file read-only.
//
// All functions throw emonet::Error naming the path on failure. MappedFile is immutable
// after construction and safe to share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace emonet {

std::string read_file(const std::string& path);

// Writes to "<path>.tmp-<pid>" then renames, so readers never see a half-written file.
void write_file_atomic(const std::string& path, std::string_view contents);

// Read-only memory map of a whole file (weights are mapped, never copied).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace emonet
