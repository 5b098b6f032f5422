// `emonet merge`: joins the per-shard outputs of `emonet predict --shard` and
// `emonet embed --shard` into one, after checking the set is whole.
//
// Inputs are shard files or folders holding them, named <stem>-IIIII-of-NNNNN<ext>
// (shard_file_name in image_source.h; temporaries "*.tmp-<pid>" are ignored). All must
// share one stem, extension and N; every shard 0..N-1 must be present (the error lists
// the missing file names) and no image may appear in two shards or twice in one (the
// error names the image and both files).
//   predictions (.jsonl): records sorted by image_path (byte order; a face record's
//     position within its image kept), written atomically to `out`;
//   embeddings (.npy + .index.jsonl): rows sorted by image id, written as the one-shard
//     cache OUT/embeddings-00000-of-00001.npy (+ index), so readers take either form.
//
// Thread safety: pure apart from the files it reads and writes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace emonet::data {

struct MergeSummary {
  std::string kind;  // "predictions" or "embeddings"
  std::size_t shards = 0, records = 0;
  std::string written;  // the output file
};

MergeSummary merge_shards(const std::vector<std::string>& inputs, const std::string& out);

}  // namespace emonet::data
