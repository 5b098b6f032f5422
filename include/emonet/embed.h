// The embeddings cache (`emonet embed`): pooled SigLIP embeddings, L2-normalised exactly
// as the model does before its heads, stored per shard as
//   OUT/embeddings-IIIII-of-NNNNN.npy          float32 [rows, hidden]
//   OUT/embeddings-IIIII-of-NNNNN.index.jsonl  first line {"format": "emonet-embeddings-1",
//       "rows", "hidden", "model", "npy_sha256"}, then one {"id", "sha256"} per row in
//       row order (id = image id, sha256 = of the image's encoded bytes).
// Both files are written atomically, the .npy first; the index names the .npy's hash, so
// a job killed between the two renames is detected and that cache is not trusted.
// A rerun reads the existing shard, keeps rows whose id and content hash are unchanged,
// embeds new and changed images, and drops rows of images no longer in the input.
//
// Thread safety: embed_images may run in several threads with one Model (see model.h);
// read_embeddings is pure.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "emonet/image_source.h"
#include "emonet/model.h"

namespace emonet::data {

struct EmbedOptions {
  std::size_t batch = 8;
  bool exif_rotate = false;
  bool progress = true;
};

struct EmbedSummary {
  std::size_t images = 0;    // items of this shard
  std::size_t reused = 0;    // unchanged, taken from the existing cache
  std::size_t embedded = 0;  // new or changed, run through the model
  std::size_t failed = 0;    // unreadable or undecodable (reported on err, not stored)
  std::string npy, index;    // the files written
};

struct EmbeddingShard {
  std::vector<std::string> ids, hashes;  // per row
  std::size_t hidden = 0;
  std::string model;
  std::vector<float> data;  // rows x hidden
};

// SHA-256 hex of bytes (libsodium).
std::string sha256_hex(const std::uint8_t* data, std::size_t size);

EmbedSummary embed_images(const model::Model& model, const std::vector<ImageItem>& items,
                          const Shard& shard, const std::string& out_dir,
                          const EmbedOptions& options, std::ostream& err);

// Reads one shard by its .npy path; throws emonet::Error naming the file when the index
// is missing or malformed or does not match the .npy (rows, hidden, hash).
EmbeddingShard read_embeddings(const std::string& npy_path);
void write_embeddings(const std::string& npy_path, const EmbeddingShard& shard);
std::string embeddings_index_path(const std::string& npy_path);

}  // namespace emonet::data
