// Transfer evaluation of EmoNet-Face predictions on a coarse 8-class dataset (FER, AffectNet):
// spec §5.3, the authors' eval/eval.ipynb rule.
//
// A mapping assigns each model head ("model_<stem>_best") a coarse class or null
// (unmapped). For every image, the mapped heads' `mean_subtracted` scores go through a
// plain softmax (exp(s) / sum exp(s), no max shift, in the record's head order); the image
// counts as correct iff any head mapped to the ground-truth class has probability greater
// than 1.5 / n_mapped (n_mapped = non-null entries of the mapping). An image without ground
// truth or without mapped heads counts as incorrect. Ground truth comes from the file name
// (text after the last '_', extension dropped, lower-cased, "surprised" -> "surprise") or
// from a record field, translated through the mapping file's `<name>_label_index` when
// the file has one.
//
// Everything here is a pure function of its inputs; thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace emonet::bench {

struct TransferMapping {
  std::string source;  // "file.json:name"
  std::string name;
  // head key -> class; std::nullopt for an explicitly unmapped head (JSON null).
  std::map<std::string, std::optional<std::string>> heads;
  // Raw label value (as text) -> class, from "<name>_label_index"; empty if absent.
  std::map<std::string, std::string> label_index;
  std::size_t mapped() const;
};

// Loads "FILE.json" or "FILE.json:NAME". A file holding several named mappings needs NAME
// (the error lists them). Unknown head keys and non-string classes throw emonet::Error.
TransferMapping load_transfer_mapping(const std::string& spec);

struct TransferClassResult {
  std::string cls;
  long images = 0;
  long correct = 0;
  double accuracy() const { return images ? double(correct) / double(images) : 0.0; }
};

struct TransferReport {
  std::string source;
  std::string mapping;
  long images = 0;
  long correct = 0;
  long without_ground_truth = 0;  // counted as incorrect, as the authors do
  std::size_t mapped = 0;
  std::size_t total = 0;
  double cutoff = 0.0;
  std::vector<TransferClassResult> classes;  // sorted by class name
  double accuracy() const { return images ? double(correct) / double(images) : 0.0; }
};

// Evaluates a predictions JSONL (one {"image_path", "results": {head: {"mean_subtracted":
// ...}}} per line). `label_field` empty = ground truth from the image file name.
TransferReport evaluate_transfer(const std::string& jsonl_path, const TransferMapping& mapping,
                                 const std::string& label_field = "");

// Ground truth from an image path the way eval.ipynb derives it for FERD.
std::string class_from_file_name(const std::string& image_path);

std::string transfer_markdown(const TransferReport& report);
std::string transfer_json(const TransferReport& report);
std::string transfer_csv(const TransferReport& report);

}  // namespace emonet::bench
