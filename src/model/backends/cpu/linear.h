// A fully connected layer y = x W^T + b on oneDNN matmul, with an optional fused post-op
// (GELU, ReLU, or adding the result into dst for residual connections).
//
// The weights are given in PyTorch's [out, in] row-major layout (e.g. straight from a
// mapped safetensors file) and packed ONCE at construction into the blocked layout and
// data type oneDNN's fastest kernel wants (format_tag::any, then one reorder) in huge-page
// backed memory, unless the spec asks to borrow them unpacked. Matmul
// primitives are created lazily for each number of rows and cached.
//
// int8 (spec.src == s8): the weights are quantised per output channel at construction
// (quantize.h) and packed as s8; run() takes s8 activations with their per-tensor scale,
// the int32 accumulators are scaled by w_scale[o] (output scales) and src_scale (a binary
// post-op with a run-time operand), then the bias is added (a binary post-op, so it is
// never quantised) and the other post-ops run in f32 before spec.dst is written.
// Not thread-safe: one caller at a time (the Model serialises predict()).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "model/backends/cpu/cpu_context.h"

namespace emonet::model::cpu {

enum class PostOp {
  none,
  gelu_tanh,   // GELU, tanh approximation (PyTorch approximate="tanh")
  gelu_erf,    // exact GELU
  quick_gelu,  // x * sigmoid(1.702 x) (oneDNN swish with alpha 1.702)
  relu,
  residual_add,  // dst = x W^T + b + dst (dst must be f32)
};

struct LinearSpec {
  std::int64_t in = 0, out = 0;
  DType src = DType::f32;  // activations fed in; weights are packed to the same type
                           // (s8: quantised per output channel, see above)
  DType dst = DType::f32;  // output type
  PostOp post_op = PostOp::none;
  std::int64_t typical_rows = 1;  // rows used to let oneDNN pick the weight layout
  // false: use the caller's f32 [out, in] weights in place, unpacked (they must outlive the
  // Linear). For small layers whose packing would cost more memory traffic at load than
  // it saves at run time (the emotion heads).
  bool pack = true;
};

class Linear {
 public:
  Linear() = default;
  // weight: [out, in] f32 row-major; bias: [out] f32 or nullptr.
  Linear(CpuContext& ctx, const LinearSpec& spec, const float* weight, const float* bias);

  // src: [rows, in] of spec.src; dst: [rows, out] of spec.dst. src_scale: the s8 input's
  // dequantisation scale (ignored unless spec.src is s8).
  void run(std::int64_t rows, const void* src, void* dst, float src_scale = 1.f);

  const LinearSpec& spec() const { return spec_; }
  // The kernel oneDNN chose for `rows` rows (e.g. "brg:avx512_core_bf16").
  std::string implementation(std::int64_t rows);

 private:
  dnnl::matmul::primitive_desc make_pd(std::int64_t rows, const dnnl::memory::desc& weights) const;
  dnnl::matmul& primitive(std::int64_t rows);

  CpuContext* ctx_ = nullptr;
  LinearSpec spec_;
  PackedMemory packed_;  // holds weights_' data when packed
  dnnl::memory weights_, bias_;
  std::vector<float> weight_scales_;  // int8: per output channel
  dnnl::memory src_scale_;            // int8: [1, 1], the activation scale of this call
  std::map<std::int64_t, dnnl::matmul> cache_;
};

}  // namespace emonet::model::cpu
