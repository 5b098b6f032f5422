// Batch prediction over image files: what `emonet predict` does, as a library call.
//
// collect_images() expands files and directories (walked recursively for .jpg, .jpeg,
// .png, .webp, sorted by path). run_predictions() decodes, optionally finds faces,
// preprocesses and scores the images in batches with a loaded Model and writes one record
// per image (per face with `faces`) as it goes:
//   jsonl  the authors' layout, one object per line:
//          {"image_path": P, ["face": i, "box": {x, y, width, height, score},]
//           "results": {"model_<key>_best": {"raw", "mean_subtracted", "softmax"}}}
//          (softmax null for the 4 extra dimensions), so their scripts read it;
//   csv    one row per record: image_path[, face, box_*], then <key>_raw,
//          <key>_mean_subtracted, <key>_softmax for each head;
//   table  the top-K emotions per record, readable.
// An image that cannot be read or decoded is reported on `err` with its path and the run
// goes on; the summary counts the failures so the caller can exit non-zero.
//
// Thread safety: run_predictions may be called from several threads with the same Model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "emonet/image.h"
#include "emonet/model.h"

namespace emonet::model {

enum class OutputFormat { jsonl, csv, table };
OutputFormat parse_output_format(const std::string& name);  // throws emonet::Error

struct PredictOptions {
  std::size_t batch = 8;  // images (or faces) per forward pass
  OutputFormat format = OutputFormat::jsonl;
  std::size_t top_k = 5;  // table format: emotions shown per record
  bool faces = false;     // score each detected face instead of the whole image
  FaceDetectorOptions face_detector;
  double face_margin = 0.2;    // crop margin around each face box (fraction of its size)
  bool exif_rotate = false;    // apply EXIF orientation (the reference pipeline does not)
  std::string embeddings_npy;  // if set: [records, hidden] float32 pooled embeddings
  bool progress = true;        // progress bar on stderr (shown only on a terminal)
};

struct PredictSummary {
  std::size_t images = 0;   // inputs attempted
  std::size_t records = 0;  // records written (images, or faces)
  std::size_t failed = 0;   // inputs that could not be read or decoded
  std::size_t no_face = 0;  // with faces: images in which no face was found
};

// Files as given, directories expanded; throws emonet::Error for a path that does not
// exist or a directory holding no images.
std::vector<std::string> collect_images(const std::vector<std::string>& inputs);

PredictSummary run_predictions(const Model& model, const std::vector<std::string>& images,
                               const PredictOptions& options, std::ostream& out, std::ostream& err);

// One input of the general form: `path` is what the records show as image_path; `read`,
// when set, supplies the encoded bytes (e.g. a member of a WebDataset tar, see
// image_source.h), otherwise the file at `path` is decoded. An Error thrown by `read`
// counts as a failed image.
struct PredictInput {
  std::string path;
  std::function<std::vector<std::uint8_t>()> read;
};
PredictSummary run_predictions(const Model& model, const std::vector<PredictInput>& inputs,
                               const PredictOptions& options, std::ostream& out, std::ostream& err);

// One record in the authors' JSON layout (no trailing newline).
std::string prediction_json(const std::string& image_path, const Prediction& prediction,
                            const std::optional<FaceBox>& face = std::nullopt,
                            std::size_t face_index = 0);

}  // namespace emonet::model
