#include "model/backends/cpu/linear.h"

#include <cstring>
#include <stdexcept>

#include "model/backends/cpu/quantize.h"

namespace emonet::model::cpu {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

Linear::Linear(CpuContext& ctx, const LinearSpec& spec, const float* weight, const float* bias)
    : ctx_(&ctx), spec_(spec) {
  // PyTorch's [out, in] row-major is oneDNN's [in, out] ("K x N") with tag ba.
  dnnl::memory::desc source_desc({spec.in, spec.out}, dt::f32, tag::ba);
  dnnl::memory::desc any_desc({spec.in, spec.out}, to_dnnl(spec.src), tag::any);
  if (spec.src == DType::s8) {
    if (!spec.pack) throw std::invalid_argument("an int8 Linear packs its weights");
    std::vector<std::int8_t> q(std::size_t(spec.in * spec.out));
    weight_scales_.resize(std::size_t(spec.out));
    quantize_weights_per_channel(weight, spec.out, spec.in, q.data(), weight_scales_.data());
    auto pd = make_pd(spec.typical_rows, any_desc);
    packed_ = PackedMemory(pd.weights_desc().get_size());
    weights_ = dnnl::memory(pd.weights_desc(), ctx.engine, packed_.data());
    // The reorder into the kernel's layout also writes the s8 x s8 compensation terms
    // oneDNN keeps next to the packed weights.
    dnnl::memory source({{spec.in, spec.out}, dt::s8, tag::ba}, ctx.engine, q.data());
    dnnl::reorder(source, weights_).execute(ctx.stream, source, weights_);
    src_scale_ = dnnl::memory({{1, 1}, dt::f32, tag::ab}, ctx.engine);
    ctx.stream.wait();
  } else if (spec.pack) {
    auto pd = make_pd(spec.typical_rows, any_desc);
    packed_ = PackedMemory(pd.weights_desc().get_size());
    weights_ = dnnl::memory(pd.weights_desc(), ctx.engine, packed_.data());
    dnnl::memory source(source_desc, ctx.engine, const_cast<float*>(weight));
    dnnl::reorder(source, weights_).execute(ctx.stream, source, weights_);
  } else {
    if (spec.src != DType::f32)
      throw std::invalid_argument("an unpacked Linear takes f32 activations");
    weights_ = dnnl::memory(source_desc, ctx.engine, const_cast<float*>(weight));
  }
  dnnl::memory::desc bias_desc({1, spec.out}, dt::f32, tag::ab);
  bias_ = dnnl::memory(bias_desc, ctx.engine);
  auto* b = static_cast<float*>(bias_.get_data_handle());
  if (bias)
    std::memcpy(b, bias, sizeof(float) * std::size_t(spec.out));
  else
    std::memset(b, 0, sizeof(float) * std::size_t(spec.out));
  ctx.stream.wait();
}

dnnl::matmul::primitive_desc Linear::make_pd(std::int64_t rows,
                                             const dnnl::memory::desc& weights) const {
  dnnl::memory::desc src({rows, spec_.in}, to_dnnl(spec_.src), tag::ab);
  dnnl::memory::desc bias({1, spec_.out}, dt::f32, tag::ab);
  dnnl::memory::desc dst({rows, spec_.out}, to_dnnl(spec_.dst), tag::ab);
  dnnl::primitive_attr attr;
  dnnl::post_ops ops;
  const bool int8 = spec_.src == DType::s8;
  if (int8) {
    // The weights' per-channel scales are fixed: output scales on dst's dimension 1. The
    // activation scale changes with every input, so it is a binary post-op whose [1, 1]
    // operand is given at execution (oneDNN 2.6's brgemm kernels take no run-time output
    // scales: DNNL_RUNTIME_F32_VAL falls back to the reference kernel). Then the bias.
    attr.set_output_scales(1 << 1, weight_scales_);
    ops.append_binary(dnnl::algorithm::binary_mul, dnnl::memory::desc({1, 1}, dt::f32, tag::ab));
    ops.append_binary(dnnl::algorithm::binary_add, bias);
  }
  switch (spec_.post_op) {
    case PostOp::none:
      break;
    case PostOp::gelu_tanh:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_tanh, 0, 0);
      break;
    case PostOp::gelu_erf:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0, 0);
      break;
    case PostOp::quick_gelu:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_swish, 1.702f, 0);
      break;
    case PostOp::relu:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0, 0);
      break;
    case PostOp::residual_add:
      ops.append_sum(1.f);
      break;
  }
  attr.set_post_ops(ops);
  if (int8)
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), attr, ctx_->engine);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, bias, dst), attr,
                                      ctx_->engine);
}

dnnl::matmul& Linear::primitive(std::int64_t rows) {
  auto it = cache_.find(rows);
  if (it == cache_.end())
    it = cache_.emplace(rows, dnnl::matmul(make_pd(rows, weights_.get_desc()))).first;
  return it->second;
}

void Linear::run(std::int64_t rows, const void* src, void* dst, float src_scale) {
  auto& mm = primitive(rows);
  dnnl::memory s({{rows, spec_.in}, to_dnnl(spec_.src), tag::ab}, ctx_->engine,
                 const_cast<void*>(src));
  dnnl::memory d({{rows, spec_.out}, to_dnnl(spec_.dst), tag::ab}, ctx_->engine, dst);
  if (spec_.src == DType::s8) {
    *static_cast<float*>(src_scale_.get_data_handle()) = src_scale;
    mm.execute(ctx_->stream, {{DNNL_ARG_SRC, s},
                              {DNNL_ARG_WEIGHTS, weights_},
                              {DNNL_ARG_DST, d},
                              {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, src_scale_},
                              {DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, bias_}});
  } else {
    mm.execute(ctx_->stream, {{DNNL_ARG_SRC, s},
                              {DNNL_ARG_WEIGHTS, weights_},
                              {DNNL_ARG_BIAS, bias_},
                              {DNNL_ARG_DST, d}});
  }
  ctx_->stream.wait();
}

std::string Linear::implementation(std::int64_t rows) {
  return make_pd(rows, weights_.get_desc()).impl_info_str();
}

}  // namespace emonet::model::cpu
