// `emonet data fetch`: downloads a published EmoNet-Face set from Hugging Face and lays it
// out as an image folder plus metadata.csv (the shared format, /work/briefs-agreed:
// file_name, prompt, ethnicity, age, gender, emotion, then annotations and any other
// scalar columns the set has).
//
// Steps: list the dataset repository's Parquet files (Hub API /api/datasets/R/tree/REV,
// paginated; when it holds none, the auto-converted Parquet API /api/datasets/R/parquet),
// download each with the shared resumable, size-checked downloader (hf_download.h), with
// bounded retries and backoff for transient failures (5xx, dropped connections, size
// mismatches), then stream the files row group by row group through the Parquet reader,
// writing each image (the HF Image struct's bytes) to DIR/images/ and its row to
// metadata.csv. A rerun skips finished Parquet files and images that are already on disk.
//
// Column mapping (names compared case-insensitively): the image is the first struct
// column with a `bytes` field (HF Image); ethnicity/age/gender are top-level columns or
// fields of a `demographics` struct; the emotion is `emotion` (or a ClassLabel `label`),
// ClassLabel integers turned into names from the file's `huggingface` metadata;
// annotations are `annotations` (or a non-ClassLabel `label`), as text.
//
// Thread-safety: fetch_dataset() is reentrant; don't fetch into one folder twice at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emonet/parquet.h"

namespace emonet::data {

// "hq" -> laion/emonet-face-hq, "binary" -> laion/emonet-face-binary,
// "big" -> laion/emonet-face-big; Error for another name.
std::string dataset_repo(const std::string& set);

struct DataFetchOptions {
  std::string set = "binary";  // hq | binary | big (names the default repo and folder)
  std::string repo;            // empty = dataset_repo(set)
  std::string revision = "main";
  std::string dir;       // empty = ./emonet-face-<set>
  std::string endpoint;  // empty = $HF_ENDPOINT or https://huggingface.co
  std::string token;     // empty = $HF_TOKEN
  long connect_timeout_s = 10;
  int retries = 4;            // extra attempts per request after a transient failure
  double retry_base_s = 1.0;  // backoff base: base * 2^k seconds with jitter
  bool progress = true;
};

struct DataFetchResult {
  std::string dir;
  std::string metadata_csv;
  std::vector<std::string> parquet_files;  // local paths, in processing order
  bool auto_converted = false;             // listed by the /parquet API
  std::uint64_t rows = 0;
  std::uint64_t images_written = 0;    // this run
  std::uint64_t images_skipped = 0;    // already on disk
  std::uint64_t files_downloaded = 0;  // this run (others were complete)
  std::uint64_t retries = 0;           // transient failures retried
};

DataFetchResult fetch_dataset(const DataFetchOptions& options);

// ---- the pieces, exposed for tests and the fuzz harness -----------------------------------

struct RemoteParquet {
  std::string path;        // path in the repository, or a local name for auto-converted ones
  std::string url;         // where to download it
  std::uint64_t size = 0;  // 0 = unknown
};

// Parquet files in a Hub tree listing (a JSON array of {type, path, size, lfs{size}}),
// sorted by path. Throws Error naming `source` for a body that is not such a listing.
std::vector<RemoteParquet> parse_tree_listing(const std::string& body, const std::string& source);
// URLs of an auto-converted Parquet listing ({"config": {"split": ["url", ...]}} or the
// list form [{"config", "split", "url", "size"}]); local paths parquet/<config>/<split>/<n>.
std::vector<RemoteParquet> parse_parquet_listing(const std::string& body,
                                                 const std::string& source);

// Turns the rows of Parquet files into an image folder + metadata.csv (the local part of
// fetch_dataset). Returns rows, images written and skipped.
struct LayoutResult {
  std::uint64_t rows = 0, written = 0, skipped = 0;
};
LayoutResult layout_dataset(const std::vector<std::string>& parquet_files, const std::string& dir,
                            bool progress);

}  // namespace emonet::data
