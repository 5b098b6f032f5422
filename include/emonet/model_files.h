// Model files: reading what users download for Empathic-Insight-Face, without Python.
//
// A model directory has two parts (docs/model-format.md):
//   DIR/siglip/  the files of google/siglip2-so400m-patch16-384: config.json,
//                preprocessor_config.json, model.safetensors (vision AND text weights)
//   DIR/heads/   the files of laion/Empathic-Insight-Face-Large or -Small:
//                model_<key>_best.pth (torch.save of a state dict) for the 44 heads and
//                the neutral-statistics JSON
//
// This header offers one reader per format:
//   SafetensorsFile      mmaps model.safetensors and indexes (a prefix of) its tensors;
//                        nothing is copied, text weights are never touched.
//   load_vision_config   vision sizes from config.json, Hugging Face defaults for the rest.
//   load_torch_state_dict   a .pth zip container read with a restricted unpickler that
//                        accepts only the globals a tensor state dict needs and never
//                        executes anything.
//   load_heads           every head MLP as float32 matrices, in taxonomy order.
//   load_neutral_stats   the neutral means in either published JSON shape.
//   resolve_model_dir    finds and checks all of the above in a model directory.
// Every failure throws emonet::Error naming the file and, where known, the tensor or key.
//
// Thread-safety: all functions are reentrant. SafetensorsFile is immutable after open()
// and safe to share between threads; TensorViews and FloatTensors that borrow from it stay
// valid while it lives (moving it keeps the mapping, so views survive a move).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace emonet {
class MappedFile;
}

namespace emonet::model {

// ---------------------------------------------------------------------------------------
// Tensors

// Element types of safetensors ("F32", "BF16", ...) and PyTorch storages.
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

std::size_t dtype_size(DType dtype);                 // bytes per element
std::string_view dtype_name(DType dtype);            // safetensors spelling: "F32", "BF16" ...
std::optional<DType> parse_dtype(std::string_view);  // inverse of dtype_name

// A typed, shaped, read-only view of tensor bytes that live elsewhere (a mapped file or a
// loaded state dict). Row-major (C-contiguous), little-endian.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;

  std::int64_t numel() const;        // product of shape (1 for a scalar)
  std::string shape_string() const;  // "[1152, 3, 16, 16]"
};

// A tensor as float32: borrows the source bytes when they already are aligned F32,
// otherwise owns a converted copy (F16, BF16, F64 are converted exactly / by rounding).
class FloatTensor {
 public:
  FloatTensor() = default;
  // Move-only: an owned copy is referenced by pointer, which a copy would leave dangling.
  FloatTensor(FloatTensor&&) noexcept = default;
  FloatTensor& operator=(FloatTensor&&) noexcept = default;
  FloatTensor(const FloatTensor&) = delete;
  FloatTensor& operator=(const FloatTensor&) = delete;
  const std::vector<std::int64_t>& shape() const { return shape_; }
  std::span<const float> values() const { return {data_, size_}; }
  const float* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool borrowed() const { return owned_.empty() && size_ > 0; }

 private:
  friend FloatTensor to_float32(const TensorView& view);
  std::vector<std::int64_t> shape_;
  std::vector<float> owned_;
  const float* data_ = nullptr;
  std::size_t size_ = 0;
};

// Throws Error (naming the tensor) for integer/bool dtypes.
FloatTensor to_float32(const TensorView& view);

// Throws Error "tensor 'x' has shape [a, b], expected [c, d]" (with `file` as context).
void require_shape(const TensorView& view, std::span<const std::int64_t> expected,
                   const std::string& file);

// ---------------------------------------------------------------------------------------
// safetensors

class SafetensorsFile {
 public:
  // Maps `path` and parses its JSON header. Only tensors whose name starts with
  // `key_prefix` are indexed (empty = all); the others are skipped without validation
  // beyond JSON syntax, so e.g. "vision_model." never looks at text weights.
  // Every indexed tensor is validated: known dtype, non-negative shape, byte size ==
  // numel * dtype size, data_offsets inside the file and not overlapping the header.
  // Truncated or inconsistent files throw Error naming the file and the tensor.
  static SafetensorsFile open(const std::string& path, std::string_view key_prefix = "");

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  const std::string& path() const;
  bool contains(std::string_view name) const;
  // Unknown name throws Error listing the closest indexed names.
  const TensorView& get(std::string_view name) const;
  // get() plus require_shape().
  const TensorView& get(std::string_view name, std::span<const std::int64_t> shape) const;
  // Indexed names in file (data offset) order.
  std::vector<std::string> names() const;
  std::size_t size() const;  // number of indexed tensors
  // `__metadata__` of the header (string to string), empty if absent.
  const std::map<std::string, std::string>& metadata() const;
  // Number of tensors in the file, indexed or not.
  std::size_t total_tensor_count() const;

 private:
  SafetensorsFile();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------
// config.json and preprocessor_config.json

// The vision tower sizes of a SigLIP checkpoint (transformers SiglipVisionConfig).
struct VisionConfig {
  int hidden_size = 768;
  int intermediate_size = 3072;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int num_channels = 3;
  int image_size = 224;
  int patch_size = 16;
  std::string hidden_act = "gelu_pytorch_tanh";
  double layer_norm_eps = 1e-6;

  int head_dim() const { return hidden_size / num_attention_heads; }
  int grid() const { return image_size / patch_size; }  // patches per side
  int num_patches() const { return grid() * grid(); }   // tokens (no CLS)
};

// Reads `vision_config` of a SiglipModel config.json, or the top level of a
// SiglipVisionModel config (model_type "siglip_vision_model"). Omitted fields keep the
// defaults above. Errors: unreadable JSON, wrong types, non-positive sizes, hidden_size
// not divisible by heads, image_size not divisible by patch_size, an activation other
// than gelu_pytorch_tanh / gelu_new (both tanh-approximated) / gelu (exact), or a NaFlex
// (siglip2) config, which this engine does not support.
VisionConfig load_vision_config(const std::string& config_json_path);

// Every vision tensor a SigLIP checkpoint with `config` must contain, with its shape, in
// forward order (embeddings, layers 0..L-1, post_layernorm, head). Names as in §2.5 of
// the model spec, e.g. "vision_model.encoder.layers.3.mlp.fc1.weight".
struct ExpectedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
};
std::vector<ExpectedTensor> expected_vision_tensors(const VisionConfig& config);

// Checks that `file` holds every expected vision tensor with the right shape and a
// floating dtype; throws one Error listing all missing / mis-shaped tensors.
void check_vision_tensors(const SafetensorsFile& file, const VisionConfig& config);

// ---------------------------------------------------------------------------------------
// .pth (torch.save) state dicts

// One tensor of a state dict, contiguous row-major. A contiguous tensor of a stored
// (uncompressed, as torch.save writes) archive entry is read in place from the mapped
// file, without a copy; other tensors get their own bytes. `owner` keeps `bytes` alive
// (the mapping or the copy), so a StateTensor may outlive the reader.
struct StateTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::span<const std::byte> bytes;  // numel * dtype_size, row-major, little-endian
  std::shared_ptr<const void> owner;
  TensorView view() const;
};

// Reads a torch.save zip container (stored or deflated entries) holding a state dict
// (a dict / OrderedDict of name -> tensor or parameter), with a restricted pickle
// interpreter: only collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch._utils._rebuild_parameter, torch.*Storage and a few harmless builtins are
// accepted; any other global (os.system, builtins.eval, ...) throws Error naming the file
// and the global. Nothing is ever executed. Storage offsets and strides are honoured.
// The entries are returned in the dict's order.
std::vector<StateTensor> load_torch_state_dict(const std::string& path);

// ---------------------------------------------------------------------------------------
// Heads

// Read-only float values that either own their storage or borrow it from a mapped file
// kept alive by a shared owner (head weights are used in place: copying the Large heads'
// 309 MiB cost more than a second of page faults at load).
class FloatArray {
 public:
  FloatArray() = default;
  explicit FloatArray(std::vector<float> values);
  FloatArray(const float* data, std::size_t size, std::shared_ptr<const void> owner)
      : data_(data), size_(size), owner_(std::move(owner)) {}

  const float* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  float operator[](std::size_t i) const { return data_[i]; }
  const float* begin() const { return data_; }
  const float* end() const { return data_ + size_; }

 private:
  const float* data_ = nullptr;
  std::size_t size_ = 0;
  std::shared_ptr<const void> owner_;
};

// One fully connected layer: y = W x + b with W [out][in] row-major.
struct Linear {
  int in = 0;
  int out = 0;
  FloatArray weight;  // out * in
  FloatArray bias;    // out
};

// A head MLP: layers[0] ... layers[n-1] with ReLU between layers, none after the last.
// The last layer has out == 1.
struct Head {
  std::string key;  // taxonomy head key, e.g. "model_elation_best"
  std::vector<Linear> layers;
};

// Reads one head file. Layers are the state dict's `<prefix>.<i>.weight/bias` pairs
// ordered by index i (Large: layers.0/3/6/9, Small: layers.0/3/6); shapes must chain
// (in of layer k+1 == out of layer k) and the last layer must have one output.
Head load_head(const std::string& pth_path, std::string key);

struct HeadLoadOptions {
  // false: all 44 taxonomy heads must be present (missing ones are listed in the Error).
  // true: load whichever taxonomy heads exist (at least one).
  bool allow_subset = false;
};

// Every model_<key>_best.pth in `heads_dir` whose key the taxonomy knows, returned in
// taxonomy order (the 40 emotions, then the 4 extra dimensions). Files with unknown keys
// are ignored. All heads must take the same input size.
std::vector<Head> load_heads(const std::string& heads_dir, HeadLoadOptions options = {});

// "large" (hidden widths 1024, 512, 256), "small" (128, 32) or "custom" (other layouts).
std::string head_variant(const Head& head);

// ---------------------------------------------------------------------------------------
// Neutral statistics

struct NeutralStats {
  enum class Shape { MeanStd, FlatMean };  // Large {key: {mean, std}}, Small {key: mean}
  std::string path;
  Shape shape = Shape::MeanStd;
  // By taxonomy head key ("model_elation_best"); the file's keys may be any name form
  // taxonomy lookup() accepts.
  std::map<std::string, double> mean;
  std::map<std::string, double> std;  // empty for FlatMean

  // Throws Error naming the file if `head_key` has no mean.
  double mean_for(const std::string& head_key) const;
};

NeutralStats load_neutral_stats(const std::string& path);

// The neutral statistics file of a heads folder: the published names first
// (neutral_stats_cache-_human-binary-big-mlps.json,
// EmoNet-Face-Small-average-scores-for-neutral-faces.json), else the one *.json that
// parses as either shape. Throws if none or several candidates are found.
std::string find_neutral_stats(const std::string& heads_dir);

// ---------------------------------------------------------------------------------------
// The model directory

struct ModelFiles {
  std::string dir;                      // DIR
  std::string siglip_dir;               // DIR/siglip
  std::string heads_dir;                // DIR/heads
  std::string config_json;              // DIR/siglip/config.json
  std::string preprocessor_json;        // DIR/siglip/preprocessor_config.json
  std::string safetensors;              // DIR/siglip/model.safetensors
  std::string neutral_json;             // DIR/heads/<neutral stats>.json
  std::vector<std::string> head_files;  // DIR/heads/model_<key>_best.pth, taxonomy order
};

// Checks the layout and returns the paths; one Error lists everything missing.
// With allow_subset, not all 44 heads need to be present.
ModelFiles resolve_model_dir(const std::string& dir, bool allow_subset = false);

// "large" / "small" -> the default download folder (see model_fetch.h); anything else is
// taken as a directory path and returned unchanged.
std::string resolve_model_arg(const std::string& model_arg);

}  // namespace emonet::model
