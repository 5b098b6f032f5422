// The SigLIP vision tower (fixed-resolution checkpoints) on the oneDNN CPU backend:
// patch embedding, learned position embedding, pre-LN encoder blocks, post-LN and the
// multi-head attention pooling ("MAP") head; it turns preprocessed pixels into the
// pooled embedding (transformers' `pooler_output` / `get_image_features`).
//
// Weights are packed at construction and the source tensors released; forward() keeps
// its activations in members, so one VisionTower runs one forward at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/backends/cpu/cpu_context.h"
#include "model/backends/cpu/flash_attention.h"
#include "model/backends/cpu/layer_norm.h"
#include "model/backends/cpu/linear.h"
#include "model/profile.h"

namespace emonet::model {

// The MLP activation (config.json hidden_act).
enum class Activation { gelu_tanh, gelu_erf, quick_gelu, relu };

// Architecture sizes (from config.json's vision_config).
struct VisionDims {
  std::int64_t image_size = 384, patch_size = 16, channels = 3;
  std::int64_t hidden = 1152, layers = 27, heads = 16, intermediate = 4304;
  float layer_norm_eps = 1e-6f;
  Activation activation = Activation::gelu_tanh;

  std::int64_t grid() const { return image_size / patch_size; }
  std::int64_t tokens() const { return grid() * grid(); }
  std::int64_t head_dim() const { return hidden / heads; }
};

// Gives the f32 data of a vision weight by its Hugging Face name (e.g.
// "vision_model.post_layernorm.weight"), checking it has exactly `shape`; throws
// emonet::Error naming the tensor when it is missing or shaped differently.
using TensorLookup =
    std::function<const float*(const std::string& name, const std::vector<std::int64_t>& shape)>;

// Numeric path of the tower. int8: the four encoder matmuls of every block (QKV, attention
// out-projection, fc1, fc2) run on s8 x s8 with per-channel weight and dynamic per-tensor
// activation scales (quantize.h); everything else — patch embedding (f32), layer norms,
// attention, the residual stream (f32), the MAP head — runs as on the bf16 path where the
// CPU has native bf16, else as on fp32.
enum class TowerPrecision { fp32, bf16, int8 };

class VisionTower {
 public:
  VisionTower(cpu::CpuContext& ctx, const VisionDims& dims, const TensorLookup& lookup,
              TowerPrecision precision);

  // pixels: [batch, channels, image_size, image_size] f32; pooled: [batch, hidden] f32.
  // With `profile`, each operator's time and FLOPs are added to it.
  void forward(const float* pixels, std::int64_t batch, float* pooled,
               ProfileAccumulator* profile = nullptr);

  const VisionDims& dims() const { return dims_; }
  bool bf16() const { return act_ == cpu::DType::bf16; }
  TowerPrecision precision() const { return precision_; }
  // oneDNN kernel names of the big matmuls at `batch` images (for logs and benchmarks).
  std::string kernels(std::int64_t batch);

 private:
  struct Block {
    cpu::LayerNormParams ln1, ln2;
    cpu::Linear qkv, out_proj, fc1, fc2;
  };
  void patch_embed(const float* pixels, std::int64_t batch, ProfileAccumulator* profile);
  // Runs `l` on `rows` rows, timed as a matmul of 2*rows*in*out FLOPs.
  static void matmul(cpu::Linear& l, std::int64_t rows, const void* src, void* dst,
                     ProfileAccumulator* profile, float src_scale = 1.f);
  // An encoder matmul on activations of type act_: quantised first (timed as conversion)
  // when `l` takes s8, else run directly.
  void encoder_matmul(cpu::Linear& l, std::int64_t rows, const void* src, void* dst,
                      ProfileAccumulator* profile);
  // Self-attention of every image (or the MAP probe's, with nq = 1), fused (see
  // flash_attention.h), timed as attention.
  void attend(std::int64_t batch, std::int64_t nq, const void* q, std::int64_t q_ld,
              std::int64_t q_image_stride, const void* k, const void* v, std::int64_t kv_ld,
              void* out, ProfileAccumulator* profile);

  cpu::CpuContext* ctx_;
  VisionDims dims_;
  TowerPrecision precision_;
  cpu::DType act_;  // activations between the matmuls (f32 or bf16)
  cpu::DType mm_;   // what the encoder matmuls take (act_, or s8 on the int8 path)
  cpu::Linear patch_;
  std::vector<float> position_;  // [tokens, hidden]
  std::vector<Block> blocks_;
  cpu::LayerNormParams post_ln_, head_ln_;
  cpu::Buffer probe_query_;  // probe projected by the head's Q weights, [hidden] of act_
  cpu::Linear head_kv_, head_out_, head_fc1_, head_fc2_;
  // Activations, reused between calls.
  cpu::Buffer patches_, x_, normed_, qkv_, attn_, mid_, queries_, pooled_attn_, quantized_;
};

}  // namespace emonet::model
