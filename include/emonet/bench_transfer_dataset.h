// Transfer evaluation on real-photograph datasets in their published folder layouts:
// which image has which expression (and, where the layout says so, which person), the
// model's top-1 class through a coarse mapping, accuracy and macro-F1 with bootstrap CIs.
//
// Layouts (`--layout`), each read from an image folder DIR:
//   fer2013    DIR/{train,test}/<class>/*.png|jpg (Kaggle's image release; folder names
//              angry, disgust, fear, happy, neutral, sad, surprise);
//   rafdb      an image list "name label" per line, labels 1..7 (1 surprise, 2 fear,
//              3 disgust, 4 happy, 5 sad, 6 anger, 7 neutral), default
//              DIR/EmoLabel/list_patition_label.txt; an image is DIR/<name>,
//              DIR/Image/original/<name> or DIR/Image/aligned/<stem>_aligned.jpg; the
//              split is the name's prefix (train_/test_);
//   affectnet  DIR/<index>/*.jpg (one folder per expression index) or, with a labels CSV,
//              its `subDirectory_filePath` (or file_name/image/path) and `expression`
//              columns; indices 0 neutral, 1 happy, 2 sad, 3 surprise, 4 fear, 5 disgust,
//              6 anger, 7 contempt (the official numbering, not the alphabetical one of
//              the mapping files' `affectnet_label_index`); 8..10 (none, uncertain, no
//              face) are skipped and counted;
//   faces      MPI FACES file names PPP_A_G_E_S.jpg: person id, age group (y/m/o),
//              gender (m/f), expression (a anger, d disgust, f fear, h happy, n neutral,
//              s sad), picture set (a/b); the only layout with persons;
//   folders    DIR/<class>/* for any class names of the mapping.
// Class names are normalised to the mapping's vocabulary (angry -> anger, happiness ->
// happy, sadness -> sad, surprised -> surprise, ...); a class the mapping lacks is an
// error naming where it came from.
//
// Scoring: an image's predicted class is the class of its highest-scoring mapped head
// (`mean_subtracted`; a tie goes to the head key that sorts first); accuracy = share of images
// whose predicted class is the true one; macro-F1 = unweighted mean of per-class F1 over
// the classes that occur as truth or prediction (scikit-learn's f1_score(average='macro',
// zero_division=0)). The authors' softmax-threshold rule (bench_transfer.h) is reported
// beside them. Bootstrap: `iterations` resamples drawn with NumPy's default_rng(seed)
// `choice(n, n)` over images, or over persons (every image of a drawn person, in person
// order) with group_by_person; 95% percentile intervals (NumPy linear percentiles).
//
// Pure functions of their inputs (the model run aside); thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "emonet/bench_transfer.h"

namespace emonet::bench {

enum class DatasetLayout { fer2013, rafdb, affectnet, faces, folders };
DatasetLayout parse_dataset_layout(const std::string& name);  // throws emonet::Error

struct DatasetOptions {
  DatasetLayout layout = DatasetLayout::folders;
  std::string images;  // DIR
  std::string labels;  // rafdb list file / affectnet CSV; empty = layout default
  std::string split;   // fer2013/rafdb: "train", "test" or "" (all)
};

struct DatasetImage {
  std::string id;      // path relative to DIR, forward slashes
  std::string cls;     // the mapping's class name
  std::string person;  // faces only; empty otherwise
};

struct Dataset {
  std::string root;
  DatasetLayout layout = DatasetLayout::folders;
  std::vector<DatasetImage> images;  // sorted by id
  long skipped = 0;                  // affectnet 8..10 rows, files of other splits
  bool has_persons() const { return layout == DatasetLayout::faces; }
};

// Reads the layout; throws emonet::Error naming the file (and line) for a malformed list,
// CSV, file name or class, an image that is missing, or a folder without images.
Dataset load_dataset(const DatasetOptions& options, const TransferMapping& mapping);

struct RateCi {
  double value = 0.0;
  double low = 0.0;
  double high = 0.0;
};

struct DatasetClassResult {
  std::string cls;
  long support = 0;    // true images of the class
  long predicted = 0;  // images predicted as the class
  long correct = 0;
  double precision = 0.0, recall = 0.0, f1 = 0.0;
};

struct DatasetTransferReport {
  std::string dataset;   // root folder
  std::string layout;    // layout name
  std::string mapping;   // "file.json:name"
  std::string group_by;  // "image" or "person"
  long images = 0;
  long units = 0;    // bootstrap units: images or persons
  long skipped = 0;  // from the layout (see Dataset::skipped)
  std::size_t iterations = 0;
  std::uint64_t seed = 0;
  RateCi accuracy, macro_f1;
  double rule_accuracy = 0.0;  // the authors' rule (any mapped head above 1.5 / n_mapped)
  std::vector<DatasetClassResult> classes;  // sorted by class name
  // confusion[truth][predicted] = images
  std::map<std::string, std::map<std::string, long>> confusion;
};

struct TransferEvalOptions {
  bool group_by_person = false;
  std::size_t iterations = 1000;
  std::uint64_t seed = 42;
};

// Scores `predictions_jsonl` (the authors' layout, as `emonet predict DIR` writes it;
// image_path relative to DIR or under it) against the dataset. Every dataset image needs
// a record (the error names the first missing one); records of other files are ignored.
DatasetTransferReport evaluate_dataset_transfer(const Dataset& dataset,
                                                const std::string& predictions_jsonl,
                                                const TransferMapping& mapping,
                                                const TransferEvalOptions& options);

// The same, reading the records from text already in memory (the --model route).
DatasetTransferReport evaluate_dataset_transfer_text(const Dataset& dataset,
                                                     const std::string& jsonl_text,
                                                     const std::string& source_name,
                                                     const TransferMapping& mapping,
                                                     const TransferEvalOptions& options);

// Runs the model over every dataset image (model::run_predictions, jsonl records with
// image_path = the image id) and returns the JSONL text; failures are reported on `err`
// and make it throw, so no image silently drops out of the evaluation.
struct DatasetModelOptions {
  std::string model = "large";  // folder or name, as `emonet predict --model`
  std::size_t batch = 8;
  int threads = 0;
  std::string precision = "auto";
  bool progress = true;
};
std::string predict_dataset(const Dataset& dataset, const DatasetModelOptions& options,
                            std::ostream& err);

std::string dataset_transfer_markdown(const DatasetTransferReport& report);
std::string dataset_transfer_json(const DatasetTransferReport& report);
std::string dataset_transfer_csv(const DatasetTransferReport& report);

}  // namespace emonet::bench
