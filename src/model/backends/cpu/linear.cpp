#include "model/backends/cpu/linear.h"

#include <cstring>
#include <stdexcept>

namespace emonet::model::cpu {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

Linear::Linear(CpuContext& ctx, const LinearSpec& spec, const float* weight, const float* bias)
    : ctx_(&ctx), spec_(spec) {
  // PyTorch's [out, in] row-major is oneDNN's [in, out] ("K x N") with tag ba.
  dnnl::memory::desc source_desc({spec.in, spec.out}, dt::f32, tag::ba);
  dnnl::memory::desc any_desc({spec.in, spec.out}, to_dnnl(spec.src), tag::any);
  if (spec.pack) {
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
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, bias, dst), attr,
                                      ctx_->engine);
}

dnnl::matmul& Linear::primitive(std::int64_t rows) {
  auto it = cache_.find(rows);
  if (it == cache_.end())
    it = cache_.emplace(rows, dnnl::matmul(make_pd(rows, weights_.get_desc()))).first;
  return it->second;
}

void Linear::run(std::int64_t rows, const void* src, void* dst) {
  auto& mm = primitive(rows);
  dnnl::memory s({{rows, spec_.in}, to_dnnl(spec_.src), tag::ab}, ctx_->engine,
                 const_cast<void*>(src));
  dnnl::memory d({{rows, spec_.out}, to_dnnl(spec_.dst), tag::ab}, ctx_->engine, dst);
  mm.execute(
      ctx_->stream,
      {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_BIAS, bias_}, {DNNL_ARG_DST, d}});
  ctx_->stream.wait();
}

std::string Linear::implementation(std::int64_t rows) {
  return make_pd(rows, weights_.get_desc()).impl_info_str();
}

}  // namespace emonet::model::cpu
