// The --model route of `emonet bench transfer --images`: the dataset's images through
// model::run_predictions, the same records `emonet predict` writes.
#include <filesystem>
#include <sstream>

#include "emonet/bench_transfer_dataset.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model.h"
#include "emonet/predict.h"

namespace emonet::bench {

std::string predict_dataset(const Dataset& d, const DatasetModelOptions& o, std::ostream& err) {
  model::ModelOptions mo;
  mo.threads = o.threads;
  mo.precision = model::parse_precision(o.precision);
  const auto m = model::Model::load(o.model, mo);
  std::vector<model::PredictInput> inputs;
  inputs.reserve(d.images.size());
  const std::filesystem::path root(d.root);
  for (const auto& img : d.images) {
    // Records carry the image id; the bytes come from the file under the root.
    const std::string file = (root / img.id).string();
    inputs.push_back({img.id, [file] {
                        const std::string bytes = read_file(file);
                        return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
                      }});
  }
  model::PredictOptions po;
  po.batch = o.batch;
  po.progress = o.progress;
  std::ostringstream out;
  const auto summary = model::run_predictions(m, inputs, po, out, err);
  if (summary.failed)
    throw Error(std::to_string(summary.failed) + " of " + std::to_string(summary.images) +
                    " images could not be read or decoded (see above)",
                {d.root, 0, ""});
  return out.str();
}

}  // namespace emonet::bench
