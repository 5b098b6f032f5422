// Image inputs for batch work (`emonet predict`, `emonet embed`): one listing for every
// way images arrive, each image with a stable id, plus the shard partition by id.
//
// An input is one of
//   - an image file (.jpg/.jpeg/.png/.webp, or any file named explicitly): id = the path
//     as given (forward slashes);
//   - a folder, walked recursively for image files: id = path relative to the folder;
//   - a manifest (a .csv file with a `file_name` column, e.g. metadata.csv): id =
//     file_name, the image read from the manifest's folder;
//   - a WebDataset shard (.tar) or a shard folder holding index.json (format
//     "emonet-webdataset-1", docs in /work/shared formats): id = the sample's JSON
//     file_name; the image member's bytes are read straight from the tar.
// Listing order is stable: folders sorted by id, manifests in row order, shards in
// index/member order.
//
// Shards: shard_of(id, N) = FNV-1a 64 of the id's UTF-8 bytes modulo N, so N shards
// cover every image exactly once whatever order the listing comes in.
//
// Thread safety: the free functions are pure (parse_shard reads the environment).
// An ImageReader keeps an open tar between calls: use one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emonet/predict.h"

namespace emonet::data {

struct ImageItem {
  std::string id;       // stable image id (what --shard hashes, what outputs are keyed by)
  std::string display;  // what outputs print as image_path: the file path for files and
                        // folders (as before), the id for manifests and shards
  std::string file;     // the image file, or the tar holding it
  std::string member;   // member name inside `file` when it is a tar; empty otherwise
};

// Lists every input in order; throws emonet::Error naming the input for a missing path,
// a folder without images, a manifest without file_name, a malformed tar or index.json.
std::vector<ImageItem> list_images(const std::vector<std::string>& inputs);

// Reads image bytes; sequential reads of one tar's members cost one pass over the tar.
class ImageReader {
 public:
  ImageReader();
  ~ImageReader();
  ImageReader(const ImageReader&) = delete;
  ImageReader& operator=(const ImageReader&) = delete;
  // Throws emonet::Error naming the file (and member) when it cannot be read.
  std::vector<std::uint8_t> read(const ImageItem& item);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The items as `emonet predict` inputs (image_path = display), all reading through one
// shared ImageReader, so the result must be consumed by one thread.
std::vector<model::PredictInput> to_predict_inputs(const std::vector<ImageItem>& items);

// ---- shards -----------------------------------------------------------------------------

struct Shard {
  std::size_t index = 0;  // 0-based
  std::size_t count = 1;
};

std::uint64_t fnv1a64(std::string_view bytes);
std::size_t shard_of(std::string_view id, std::size_t count);

// "I/N" (0 <= I < N), or "auto": SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN when
// set) with SLURM_ARRAY_TASK_COUNT, else JOB_COMPLETION_INDEX (Kubernetes Indexed Job)
// with `count` required. `count`, when given, overrides the environment's count.
// `getenv` is injectable for tests. Throws emonet::Error saying what is missing.
Shard parse_shard(const std::string& spec, std::optional<std::size_t> count = std::nullopt,
                  const std::function<const char*(const char*)>& getenv = nullptr);

// The items of `shard`, in listing order.
std::vector<ImageItem> select_shard(const std::vector<ImageItem>& items, const Shard& shard);

// "<stem>-IIIII-of-NNNNN<ext>" (5 digits, as pack names its tars), e.g.
// shard_file_name("predictions", {3, 17}, ".jsonl") = "predictions-00003-of-00017.jsonl".
std::string shard_file_name(const std::string& stem, const Shard& shard, const std::string& ext);

// Parses a name made by shard_file_name back; nullopt when it is not one.
struct ShardFileName {
  std::string stem, ext;
  Shard shard;
};
std::optional<ShardFileName> parse_shard_file_name(const std::string& name);

// A file written under a temporary name ("<path>.tmp-<pid>") and renamed into place by
// commit(), so a killed job never leaves a partial file under the final name. The
// destructor removes the temporary when commit() was not reached.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws emonet::Error if it cannot be created
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  std::ostream& stream();
  void commit();  // flushes, checks for write errors, renames; throws emonet::Error

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emonet::data
