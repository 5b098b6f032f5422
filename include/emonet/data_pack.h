// WebDataset shards (`emonet data pack`): a dataset folder (images + metadata.csv) written
// as `NNNNN.tar` shards plus `index.json`, in the shared format (docs/data-build.md):
// each sample is `<key>.<jpg|png|webp>` (the original bytes, never re-encoded) and
// `<key>.json` (the metadata.csv row as an object, always with `file_name`); the key is
// the 9-digit sample number across the whole pack.
//
// Shards are written with libarchive (POSIX ustar/pax), each to a temporary name and
// renamed when complete; index.json is written last, atomically, so a reader that finds
// index.json finds every shard it lists. A shard is closed before a sample that would take
// it past shard_bytes (a shard always holds at least one sample).
//
// pack_dataset() is not meant to run twice at once on one output folder; otherwise it is
// thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emonet {

struct PackOptions {
  std::string input;   // folder holding metadata.csv (or only images)
  std::string output;  // shards folder (created)
  std::uint64_t shard_bytes = 1ULL << 30;
  bool progress = true;
};

struct PackedShard {
  std::string name;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
  std::string first_key, last_key;
};

struct PackResult {
  std::vector<PackedShard> shards;
  std::uint64_t samples = 0;
};

// "1GB", "500MB", "64KiB", "123" (bytes); decimal units are powers of 1000, binary
// (KiB, MiB, GiB) of 1024. Throws Error naming the option on anything else.
std::uint64_t parse_byte_size(const std::string& text, const std::string& what);

// Without metadata.csv every .jpg/.jpeg/.png/.webp under the folder is packed (sorted by
// path) with {"file_name": path}. A row whose image is missing, not an image type or
// outside the folder throws Error naming metadata.csv, the line and `file_name`.
// Refuses an output folder that already holds an index.json.
PackResult pack_dataset(const PackOptions& options);

}  // namespace emonet
