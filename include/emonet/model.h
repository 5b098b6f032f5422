// emonet::model::Model — Empathic-Insight-Face on the CPU: load once, predict many.
//
// A Model is the SigLIP vision tower (google/siglip2-so400m-patch16-384 or any
// fixed-resolution SigLIP checkpoint) plus the 44 Empathic-Insight-Face heads (40 emotions
// and 4 extra dimensions), run on oneDNN. For each image it computes, exactly as the
// authors' pipeline does:
//   pixels -> vision tower -> pooled embedding (transformers' pooler_output)
//          -> L2 normalisation (a / max(|a|, tiny), zero norm -> 1)
//          -> every head MLP -> raw score
//          -> mean_subtracted = raw - neutral mean of that head
//          -> softmax over the 40 emotions' mean_subtracted (extras: no softmax).
//
//   auto model = emonet::model::Model::load("large");          // or a directory
//   auto img = emonet::decode_image_file("face.jpg");
//   auto preds = model.predict(std::span(&img, 1));
//   for (const auto& h : preds[0].heads)
//     if (h.softmax) std::printf("%s %.3f\n", std::string(h.category->name).c_str(), *h.softmax);
//
// Model directory: DIR/siglip/ (config.json, preprocessor_config.json, model.safetensors)
// and DIR/heads/ (model_<key>_best.pth, neutral statistics JSON); see model_files.h.
// "large" / "small" name the download cache (~/.cache/emonet/<name>, `emonet model fetch`).
//
// Precision: fp32 is the reference path (raw outputs within 2e-4 of PyTorch). bf16 packs
// the matmul weights to bfloat16 and feeds the matmuls bf16 activations, while layer
// norms, softmax and the residual stream stay f32; it needs a CPU with AVX-512-BF16 or
// AMX to be worthwhile. int8 quantises the encoder matmuls (per-channel s8 weights, dynamic
// per-tensor s8 activations; AVX-512-VNNI / AMX-INT8 through oneDNN) and keeps the rest as
// bf16 does (f32 on CPUs without native bf16); its accuracy against fp32 is stated in
// docs/model.md. `automatic` (the default) picks bf16 on bf16-capable CPUs and fp32 elsewhere.
//
// Thread safety: a loaded Model is immutable from the caller's view and predict() may be
// called from any number of threads at once. Preprocessing runs concurrently; the forward
// pass itself is serialised by an internal mutex (it already uses `threads` cores through
// oneDNN's OpenMP runtime, so running two at once would only compete for the same cores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "emonet/image.h"
#include "emonet/taxonomy.h"

namespace emonet::model {

enum class Precision { fp32, bf16, automatic, int8 };

// "fp32" | "bf16" | "int8" | "auto"; parse throws emonet::Error for anything else.
std::string_view precision_name(Precision p);
Precision parse_precision(std::string_view name);
// True when this CPU runs bf16 matmuls natively (what Precision::automatic checks).
bool cpu_supports_bf16();

struct ModelOptions {
  int threads = 0;                             // 0 = every core the process may use
  Precision precision = Precision::automatic;  // bf16 on AVX-512-BF16/AMX CPUs, else fp32
  bool allow_missing_heads = false;            // false: all 44 head files must be present
  // Time every operator of the forward pass (see profile()); off: no timers are read.
  bool profile = false;
};

// One head's output for one image.
struct HeadScore {
  const Category* category = nullptr;  // taxonomy entry: head_key, name, is_extra() ...
  float raw = 0;                       // the head MLP's output
  double mean_subtracted = 0;          // raw - neutral mean
  std::optional<double> softmax;       // over the 40 emotions; nullopt for the 4 extras
};

struct Prediction {
  // The pooled SigLIP embedding (pooler_output, before L2 normalisation), `hidden` floats;
  // empty unless requested.
  std::vector<float> embedding;
  std::vector<HeadScore> heads;  // taxonomy order (emotions, then extra dimensions)
};

struct ModelInfo {
  std::string dir;  // the resolved model directory
  std::int64_t image_size = 0, patch_size = 0, hidden = 0, layers = 0, attention_heads = 0,
               intermediate = 0;
  std::string hidden_act;
  double layer_norm_eps = 0;
  std::string head_variant;  // "large", "small" or "custom"
  std::size_t head_count = 0;
  Precision precision = Precision::fp32;  // the one in use (never automatic)
  std::string cpu_isa;                    // oneDNN's dispatch ISA, e.g. "avx512_core_bf16"
  int threads = 0;
  double load_seconds = 0;
};

// Where the forward passes' time went, per operator class, summed since load
// (ModelOptions::profile). Classes: matmul (every oneDNN matmul of the vision tower, with
// its fused bias/GELU/residual post-ops), attention (QK^T, softmax, ·V), norm (layer
// norms, the embedding's L2 normalisation), activation (activations not fused into a
// matmul), conversion (layout/dtype conversions: im2col of the pixels), heads (the 44 head
// MLPs), other (position-embedding add).
struct OpClassProfile {
  std::string name;
  double seconds = 0;
  double flop = 0;  // 0 where FLOPs are not counted (memory-bound classes)
};
struct ForwardProfile {
  std::vector<OpClassProfile> classes;  // always all seven, in the order above
  double total_seconds = 0;             // wall time of the forward passes themselves
  std::size_t forwards = 0, images = 0;
};
// A table of `p` for people (stderr of `emonet predict --profile`), then `kernels`.
std::string format_profile(const ForwardProfile& p, const std::string& kernels);
// The same as one JSON object (classes with seconds, flop, gflops; totals; kernels).
std::string profile_json(const ForwardProfile& p, const std::string& kernels);

class Model {
 public:
  // Loads and packs everything; throws emonet::Error naming the file at fault. For
  // "large"/"small" missing from the cache, the message says how to fetch them.
  static Model load(const std::string& dir_or_name, const ModelOptions& options = {});

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  // Preprocesses (resize, rescale, normalise per preprocessor_config.json) and scores the
  // images as one batch. The result has one Prediction per image, in order.
  std::vector<Prediction> predict(std::span<const Image> images,
                                  bool with_embeddings = false) const;

  // Scores already preprocessed CHW float32 tensors: `count` images of
  // 3 x image_size x image_size floats each, back to back.
  std::vector<Prediction> predict_pixels(std::span<const float> pixels, std::size_t count,
                                         bool with_embeddings = false) const;

  const ModelInfo& info() const;
  const ::emonet::PreprocessConfig& preprocess_config() const;
  // oneDNN kernels chosen for the big matmuls at `batch` images (diagnostics).
  std::string kernels(std::size_t batch) const;
  // The per-operator profile so far; all zero unless loaded with options.profile.
  ForwardProfile profile() const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace emonet::model
