// Training the emotion heads (`emonet train heads`) from cached embeddings (embed.h).
//
// Three parts:
//   read_labels    targets per image id and taxonomy head from the label files the
//                  project knows: Big-style multi-shot JSONL (`emotions` /
//                  `extra_dimensions`, or `annotations` keyed "Group|Emotion"),
//                  metadata.csv score columns, Binary's binary.csv (yes share per image
//                  and emotion) and hq.csv (mean of the human annotators).
//   HeadsTrainer   every head MLP of one variant trained together in one batched pass on
//                  oneDNN matmuls with a hand-written backward pass, AdamW, inverted
//                  dropout with counter-based masks (so a reference can rebuild them).
//   train_heads    the whole job: join labels to embeddings, split by id hash, epochs of
//                  mini-batches with warmup + cosine learning rate, early stopping on the
//                  validation loss, then the published model layout (write_head_pth).
// Every malformed input throws emonet::Error naming file, line and field.
//
// Thread safety: read_labels, write_head_pth and train_heads are reentrant. A HeadsTrainer
// is used by one thread at a time (it parallelises internally with OpenMP and oneDNN);
// its results depend only on its inputs and the thread count.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "emonet/model_files.h"

namespace emonet::train {

inline constexpr std::size_t kHeads = 44;  // the 40 emotions + 4 extra dimensions

// ---------------------------------------------------------------------------------------
// Labels

enum class LabelFormat { Auto, Jsonl, MetadataCsv, BinaryCsv, HqCsv };

struct LabelSet {
  std::string source;
  std::string format;            // "jsonl", "metadata.csv", "binary.csv", "hq.csv"
  std::vector<std::string> ids;  // image ids, in first-appearance order
  // targets[i * kHeads + c]: the target of image i for taxonomy category c (index order
  // of taxonomy::categories()); NaN where the file has no label.
  std::vector<float> targets;
  std::size_t labelled(std::size_t head) const;  // images with a label for `head`
};

// Auto picks by content: .jsonl/.json -> Jsonl; a CSV with `path,annotator,value,emotion`
// -> BinaryCsv; with `annotations` and `annotator` -> HqCsv; with `file_name` ->
// MetadataCsv. Duplicate image ids in JSONL or metadata.csv are errors.
LabelSet read_labels(const std::string& path, LabelFormat format = LabelFormat::Auto);

// ---------------------------------------------------------------------------------------
// The batched trainer

struct MlpShape {
  std::vector<int> dims;       // {1152, 1024, 512, 256, 1} (Large) or {1152, 128, 32, 1}
  std::vector<float> dropout;  // per hidden layer (dims.size() - 2 entries)
};
// "large" / "small" as in model-spec §1.3, for `input` embedding width.
MlpShape variant_shape(const std::string& variant, int input = 1152);

struct AdamW {  // torch.optim.AdamW's defaults except the learning rate
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
};

// warmup steps rising linearly to `lr` ((t + 1) / warmup), then cosine decay to
// min_lr at step `total` (t is the 0-based step about to be taken).
double schedule_lr(std::int64_t t, std::int64_t warmup, std::int64_t total, double lr,
                   double min_lr = 0.0);

// Whether dropout keeps element `index` of hidden layer `layer` at optimiser step `step`
// (a counter-based hash: splitmix64, see docs/train.md, reproduced by the fixtures).
// `index` is b * (heads * width) + head * width + unit within the batch.
bool dropout_keeps(std::uint64_t seed, std::uint64_t step, int layer, std::uint64_t index, float p);

class HeadsTrainer {
 public:
  // `heads` MLPs of `shape`, initialised as torch.nn.Linear does (uniform +-1/sqrt(in)
  // for weights and biases) from `seed`.
  HeadsTrainer(const MlpShape& shape, std::size_t heads, std::uint64_t seed, AdamW adamw = {});
  ~HeadsTrainer();
  HeadsTrainer(const HeadsTrainer&) = delete;
  HeadsTrainer& operator=(const HeadsTrainer&) = delete;

  const MlpShape& shape() const;
  std::size_t heads() const;
  // Layer l's weight of head g, [out, in] row-major, and its bias [out] (mutable: used to
  // load initial weights).
  float* weight(std::size_t layer, std::size_t head);
  float* bias(std::size_t layer, std::size_t head);
  const float* weight(std::size_t layer, std::size_t head) const;
  const float* bias(std::size_t layer, std::size_t head) const;
  // Copies a loaded head's layers into head g; throws Error when its layout differs.
  void set_head(std::size_t head, const model::Head& source);
  model::Head head(std::size_t g, std::string key) const;  // an owning copy
  // A frozen head is neither updated nor decayed (heads without any label).
  void set_frozen(std::size_t head, bool frozen);
  void set_dropout(bool enabled);  // default on (train mode)

  // One AdamW step on a mini-batch: x [rows, in], targets [rows, heads] (NaN = no label).
  // Each head's loss is its masked mean squared error over the batch (0 when it has no
  // label in the batch); the gradient is that of their sum, exactly as training every
  // head on its own. Returns the mean loss over heads with labels in the batch.
  double step(const float* x, const float* targets, std::int64_t rows, double lr);
  std::int64_t steps_taken() const;

  // Inference (no dropout): raw outputs [rows, heads].
  void predict(const float* x, std::int64_t rows, float* out);

  // The whole parameter state (weights, biases), for keeping the best epoch.
  std::vector<float> snapshot() const;
  void restore(const std::vector<float>& state);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------
// Output files

// Writes `head` as torch.save would (zip container, archive/data.pkl + archive/data/N
// + version + byteorder) with keys layers.0/3/6/9 (Large) or 0/3/6 (Small); loadable by
// torch.load + load_state_dict and by model::load_head. Atomic (temp file + rename).
void write_head_pth(const std::string& path, const model::Head& head);

// ---------------------------------------------------------------------------------------
// The job

struct TrainOptions {
  std::string embeddings;  // cache folder (or one .npy) from `emonet embed`
  std::string labels;
  LabelFormat label_format = LabelFormat::Auto;
  std::string variant = "large";
  std::vector<int> hidden;  // optional: other hidden widths (dropout as the variant's)
  std::string out;          // output model folder (OUT/heads/..., OUT/siglip link)
  std::string init;         // optional: model folder or heads folder to start from
  std::string neutral;      // embeddings (folder or .npy) of neutral faces, required
  std::string siglip;       // optional: SigLIP folder to link as OUT/siglip
  std::uint64_t seed = 0;
  int epochs = 20;
  std::int64_t batch = 256;
  double lr = 1e-3, min_lr = 0.0, weight_decay = 0.01;
  double warmup = 0.05;       // share of all steps spent warming up
  double val_fraction = 0.1;  // share of image ids held out
  int patience = 3;           // epochs without validation improvement before stopping
  bool dropout = true;
  bool progress = true;
};

struct EpochStats {
  int epoch = 0;
  double train_loss = 0, val_loss = 0, val_pearson = 0;  // val_pearson: mean over heads
  double lr = 0;
};

struct TrainSummary {
  std::size_t images = 0, train = 0, val = 0, unmatched_labels = 0;
  std::vector<std::string> trained_heads, frozen_heads;  // taxonomy head keys
  std::vector<EpochStats> epochs;
  int best_epoch = 0;
  std::string heads_dir, neutral_json;
};

// Rows of embedding shards (a folder of embeddings-*.npy, or one .npy), in shard order.
struct Embeddings {
  std::vector<std::string> ids;
  std::size_t hidden = 0;
  std::string model;  // the model folder recorded by `emonet embed`
  std::vector<float> data;
};
Embeddings load_embeddings(const std::string& path);

// `log` receives one line per epoch (the CLI passes stderr).
TrainSummary train_heads(const TrainOptions& options, std::ostream& log);

// For each label id, its row in `embedding_ids`: the exact id, else the unique embedding
// whose id has the same stem (binary.csv says "00012" for "00012.png"); SIZE_MAX if none.
std::vector<std::size_t> join_ids(const std::vector<std::string>& label_ids,
                                  const std::vector<std::string>& embedding_ids);

// ---------------------------------------------------------------------------------------
// `emonet train report`: heads against the experts

struct ReportOptions {
  std::vector<std::string> heads;  // model or heads folders to compare
  std::string published;           // optional: the published heads (named "published")
  std::string embeddings;          // embeddings of the Binary and / or HQ images
  std::string binary, hq;          // expert files (at least one)
  std::size_t bootstrap = 1000;
  std::uint64_t seed = 42;
};

struct ReportRow {
  std::string name;  // folder name ("published" for --published)
  // Binary: per-emotion ROC AUC of the score against the experts' majority (pairs with a
  // majority only), averaged over emotions with both outcomes; pairs scored.
  double binary_auc = std::nan(""), binary_pearson = std::nan("");
  std::size_t binary_pairs = 0;
  // HQ: the heads as an annotator in the authors' analysis (mean-subtracted scores):
  // mean quadratic kappa against the humans, Spearman rho against the human median.
  double hq_kappa = std::nan(""), hq_rho = std::nan(""), hq_rho_low = std::nan(""),
         hq_rho_high = std::nan("");
};

struct Report {
  std::vector<ReportRow> rows;
  // The experts' own numbers: share of unanimous multi-vote Binary pairs, and the humans'
  // mean kappa against each other in HQ.
  double binary_expert_unanimous = std::nan(""), hq_human_kappa = std::nan("");
  std::size_t binary_multi_vote_pairs = 0, hq_images = 0;
  std::string markdown() const;
};

Report train_report(const ReportOptions& options, std::ostream& log);

}  // namespace emonet::train
