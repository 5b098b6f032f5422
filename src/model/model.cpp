// Model: loads the model directory into the oneDNN vision tower and head stack, and turns
// their outputs into the authors' per-head scores (L2 norm, neutral means, softmax).
#include "emonet/model.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>

#include "emonet/error.h"
#include "emonet/model_files.h"
#include "model/backends/cpu/cpu_context.h"
#include "model/head_stack.h"
#include "model/profile.h"
#include "model/scores.h"
#include "model/vision_tower.h"

namespace emonet::model {

std::string_view precision_name(Precision p) {
  switch (p) {
    case Precision::fp32:
      return "fp32";
    case Precision::bf16:
      return "bf16";
    case Precision::int8:
      return "int8";
    case Precision::automatic:
      return "auto";
  }
  return "fp32";
}

Precision parse_precision(std::string_view name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "bf16") return Precision::bf16;
  if (name == "int8") return Precision::int8;
  if (name == "auto") return Precision::automatic;
  throw Error("unknown precision '" + std::string(name) + "' (use fp32, bf16, int8 or auto)",
              {"", 0, "precision"});
}

namespace {
TowerPrecision tower_precision(Precision p) {
  switch (p) {
    case Precision::bf16:
      return TowerPrecision::bf16;
    case Precision::int8:
      return TowerPrecision::int8;
    default:
      return TowerPrecision::fp32;
  }
}
}  // namespace

bool cpu_supports_bf16() {
  return cpu::cpu_has_native_bf16();
}

namespace {

Activation parse_activation(const std::string& act, const std::string& file) {
  if (act == "gelu_pytorch_tanh" || act == "gelu_new" || act == "gelu_fast")
    return Activation::gelu_tanh;
  if (act == "gelu") return Activation::gelu_erf;
  if (act == "quick_gelu") return Activation::quick_gelu;
  if (act == "relu") return Activation::relu;
  throw Error("unsupported activation '" + act + "'", {file, 0, "vision_config.hidden_act"});
}

// "large"/"small" resolve to the download cache; a missing cache gets a helpful message.
std::string resolve_dir(const std::string& arg) {
  const std::string dir = resolve_model_arg(arg);
  if ((arg == "large" || arg == "small") && !std::filesystem::exists(dir))
    throw Error("model '" + arg + "' is not downloaded (looked in " + dir +
                "); run `emonet model fetch " + arg +
                "` first, or pass --model DIR with a model directory (DIR/siglip, DIR/heads)");
  return dir;
}

}  // namespace

struct Model::Impl {
  ModelInfo info;
  ::emonet::PreprocessConfig preprocess;
  std::vector<const Category*> categories;  // per head, taxonomy order
  std::vector<double> neutral_means;        // per head
  cpu::CpuContext ctx;
  std::unique_ptr<VisionTower> tower;
  std::unique_ptr<HeadStack> heads;
  double head_flop_per_image = 0;  // 2 * in * out summed over every head layer
  ProfileAccumulator profile;      // guarded by mutex
  mutable std::mutex mutex;        // serialises forward passes (buffers and stream are shared)

  std::vector<Prediction> run(const float* pixels, std::size_t count, bool with_embeddings);
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::string& dir_or_name, const ModelOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  const ModelFiles files = resolve_model_dir(resolve_dir(dir_or_name), options.allow_missing_heads);
  const VisionConfig vc = load_vision_config(files.config_json);
  impl->preprocess = ::emonet::load_preprocess_config(files.preprocessor_json);
  if (impl->preprocess.shortest_edge > 0 || impl->preprocess.width != vc.image_size ||
      impl->preprocess.height != vc.image_size)
    throw Error("preprocessing must produce " + std::to_string(vc.image_size) + "x" +
                    std::to_string(vc.image_size) + " images for this vision tower",
                {files.preprocessor_json, 0, "size"});

  auto& info = impl->info;
  info.dir = files.dir;
  info.image_size = vc.image_size;
  info.patch_size = vc.patch_size;
  info.hidden = vc.hidden_size;
  info.layers = vc.num_hidden_layers;
  info.attention_heads = vc.num_attention_heads;
  info.intermediate = vc.intermediate_size;
  info.hidden_act = vc.hidden_act;
  info.layer_norm_eps = vc.layer_norm_eps;
  info.cpu_isa = cpu::cpu_isa_name();
  info.threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  info.precision = options.precision;
  impl->profile = ProfileAccumulator(options.profile);
  if (info.precision == Precision::automatic)
    info.precision = cpu::cpu_has_native_bf16() ? Precision::bf16 : Precision::fp32;
  omp_set_num_threads(info.threads);

  VisionDims dims;
  dims.image_size = vc.image_size;
  dims.patch_size = vc.patch_size;
  dims.channels = vc.num_channels;
  dims.hidden = vc.hidden_size;
  dims.layers = vc.num_hidden_layers;
  dims.heads = vc.num_attention_heads;
  dims.intermediate = vc.intermediate_size;
  dims.layer_norm_eps = float(vc.layer_norm_eps);
  dims.activation = parse_activation(vc.hidden_act, files.config_json);

  {
    // Heads first (their weights are used in place, see head_stack.h), then the tower.
    std::vector<Head> heads =
        load_heads(files.heads_dir, HeadLoadOptions{options.allow_missing_heads});
    const NeutralStats neutral = load_neutral_stats(files.neutral_json);
    for (const auto& h : heads) {
      if (h.layers.empty() || h.layers.front().in != vc.hidden_size)
        throw Error("head takes " + std::to_string(h.layers.empty() ? 0 : h.layers.front().in) +
                        " inputs but the vision tower gives " + std::to_string(vc.hidden_size),
                    {files.heads_dir + "/" + h.key + ".pth", 0, "layers.0.weight"});
      impl->categories.push_back(&lookup(h.key));
      impl->neutral_means.push_back(neutral.mean_for(h.key));
    }
    info.head_variant = head_variant(heads.front());
    info.head_count = heads.size();
    for (const auto& h : heads)
      for (const auto& l : h.layers)
        impl->head_flop_per_image += 2.0 * double(l.in) * double(l.out);
    impl->heads = std::make_unique<HeadStack>(impl->ctx, std::move(heads));
  }
  {
    // The mapping lives only while the weights are packed; then it is unmapped.
    const SafetensorsFile weights = SafetensorsFile::open(files.safetensors, "vision_model.");
    check_vision_tensors(weights, vc);
    std::deque<FloatTensor> converted;  // keeps non-f32 tensors' f32 copies alive while packing
    TensorLookup tensor = [&](const std::string& name, const std::vector<std::int64_t>& shape) {
      const TensorView& view = weights.get(name, shape);
      converted.push_back(to_float32(view));
      return converted.back().data();
    };
    impl->tower =
        std::make_unique<VisionTower>(impl->ctx, dims, tensor, tower_precision(info.precision));
  }

  info.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Model(std::move(impl));
}

std::vector<Prediction> Model::Impl::run(const float* pixels, std::size_t count,
                                         bool with_embeddings) {
  const auto n = std::int64_t(count);
  const std::int64_t D = info.hidden;
  const std::size_t H = categories.size();
  std::vector<float> pooled(count * std::size_t(D)), normalised(pooled.size()), raw(count * H);
  {
    std::lock_guard<std::mutex> lock(mutex);
    // OpenMP's thread count is per calling thread, so set it for whichever thread this is.
    omp_set_num_threads(info.threads);
    const auto start = std::chrono::steady_clock::now();
    tower->forward(pixels, n, pooled.data(), &profile);
    {
      ScopedOp op(&profile, OpClass::norm);
      for (std::size_t i = 0; i < count; ++i)
        l2_normalise(pooled.data() + i * std::size_t(D), std::size_t(D),
                     normalised.data() + i * std::size_t(D));
    }
    {
      ScopedOp op(&profile, OpClass::heads, head_flop_per_image * double(count));
      heads->forward(normalised.data(), n, raw.data());
    }
    if (profile.enabled())
      profile.add_forward(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), count);
  }
  std::vector<Prediction> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    out[i].heads = score_heads(categories, neutral_means, std::span(raw.data() + i * H, H));
    if (with_embeddings)
      out[i].embedding.assign(pooled.begin() + std::ptrdiff_t(i * std::size_t(D)),
                              pooled.begin() + std::ptrdiff_t((i + 1) * std::size_t(D)));
  }
  return out;
}

std::vector<Prediction> Model::predict_pixels(std::span<const float> pixels, std::size_t count,
                                              bool with_embeddings) const {
  const std::size_t per_image = std::size_t(3 * impl_->info.image_size * impl_->info.image_size);
  if (pixels.size() != count * per_image)
    throw Error("expected " + std::to_string(count) + " images of 3x" +
                std::to_string(impl_->info.image_size) + "x" +
                std::to_string(impl_->info.image_size) + " floats, got " +
                std::to_string(pixels.size()) + " floats");
  if (count == 0) return {};
  return impl_->run(pixels.data(), count, with_embeddings);
}

std::vector<Prediction> Model::predict(std::span<const Image> images, bool with_embeddings) const {
  const std::size_t per_image = std::size_t(3 * impl_->info.image_size * impl_->info.image_size);
  std::vector<float> pixels(images.size() * per_image);
  for (std::size_t i = 0; i < images.size(); ++i)
    preprocess_into(images[i], impl_->preprocess, pixels.data() + i * per_image);
  return predict_pixels(pixels, images.size(), with_embeddings);
}

const ModelInfo& Model::info() const {
  return impl_->info;
}
const ::emonet::PreprocessConfig& Model::preprocess_config() const {
  return impl_->preprocess;
}

std::string Model::kernels(std::size_t batch) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->tower->kernels(std::int64_t(batch));
}

ForwardProfile Model::profile() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->profile.snapshot();
}

}  // namespace emonet::model
