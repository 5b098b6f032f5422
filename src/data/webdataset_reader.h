// Reading WebDataset tars (emonet-webdataset-1, see /work/shared formats) with libarchive:
// the samples of a tar (key, image member, the JSON's file_name) and one member's bytes.
// A TarCursor keeps one tar open and walks it forward; not thread-safe.
#pragma once

#include <archive.h>

#include <cstdint>
#include <string>
#include <vector>

namespace emonet::data::detail {

struct TarSample {
  std::string key;        // member name up to the first dot of its basename
  std::string image;      // the .jpg/.jpeg/.png/.webp member
  std::string file_name;  // from <key>.json
};

// Every sample of `tar` in member order; throws emonet::Error naming the tar (and key)
// for a malformed archive, a sample without image or JSON, or JSON without file_name.
std::vector<TarSample> list_tar_samples(const std::string& tar);

// The tar names listed by DIR/index.json, as paths; throws for a malformed index.
std::vector<std::string> shard_folder_tars(const std::string& dir);
bool is_shard_folder(const std::string& dir);

class TarCursor {
 public:
  TarCursor() = default;
  ~TarCursor();
  TarCursor(const TarCursor&) = delete;
  TarCursor& operator=(const TarCursor&) = delete;
  // Bytes of `member` of `tar`: continues forward from the last member read, and starts
  // over from the beginning once if the member lies behind.
  std::vector<std::uint8_t> read(const std::string& tar, const std::string& member);

 private:
  bool scan_to(const std::string& member, std::vector<std::uint8_t>& out);
  void open(const std::string& tar);
  void close();
  archive* a_ = nullptr;
  std::string tar_;
};

}  // namespace emonet::data::detail
