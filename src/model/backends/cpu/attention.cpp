#include "model/backends/cpu/attention.h"

#include <cmath>

namespace emonet::model::cpu {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

Attention::Attention(CpuContext& ctx, std::int64_t heads, std::int64_t head_dim, DType type)
    : ctx_(&ctx), heads_(heads), head_dim_(head_dim), dt_(type) {}

Attention::Primitives& Attention::primitives(std::int64_t nq, std::int64_t nk, std::int64_t q_ld,
                                             std::int64_t kv_ld) {
  auto key = std::make_tuple(nq, nk, q_ld, kv_ld);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const std::int64_t h = heads_, d = head_dim_;
  Primitives p;
  // Q as [h, nq, d], K^T as [h, d, nk], V as [h, nk, d]: views of the row-major inputs.
  p.q = dnnl::memory::desc({h, nq, d}, to_dnnl(dt_), dims{d, q_ld, 1});
  p.k = dnnl::memory::desc({h, d, nk}, to_dnnl(dt_), dims{d, 1, kv_ld});
  p.v = dnnl::memory::desc({h, nk, d}, to_dnnl(dt_), dims{d, kv_ld, 1});
  p.s = dnnl::memory::desc({h, nq, nk}, dt::f32, tag::abc);
  p.p = dnnl::memory::desc({h, nq, nk}, to_dnnl(dt_), tag::abc);
  // Output [nq, h*d] seen as [h, nq, d].
  p.o = dnnl::memory::desc({h, nq, d}, to_dnnl(dt_), dims{d, h * d, 1});

  dnnl::primitive_attr scale;
  scale.set_output_scales(0, {1.f / std::sqrt(float(d))});
  p.scores = dnnl::matmul(
      dnnl::matmul::primitive_desc(dnnl::matmul::desc(p.q, p.k, p.s), scale, ctx_->engine));
  p.softmax = dnnl::softmax_v2_forward(dnnl::softmax_v2_forward::primitive_desc(
      dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                     dnnl::algorithm::softmax_accurate, p.s, p.p, 2),
      ctx_->engine));
  p.weighted_sum =
      dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(p.p, p.v, p.o), ctx_->engine));
  return cache_.emplace(key, std::move(p)).first->second;
}

void Attention::run(std::int64_t nq, std::int64_t nk, const void* q, std::int64_t q_ld,
                    const void* k, const void* v, std::int64_t kv_ld, void* out) {
  auto& p = primitives(nq, nk, q_ld, kv_ld);
  const std::size_t n = std::size_t(heads_ * nq * nk);
  scores_.resize(n * sizeof(float));
  if (dt_ != DType::f32) probs_.resize(n * dtype_size(dt_));
  void* probs = dt_ == DType::f32 ? scores_.as() : probs_.as();
  auto& eng = ctx_->engine;
  dnnl::memory qm(p.q, eng, const_cast<void*>(q)), km(p.k, eng, const_cast<void*>(k)),
      vm(p.v, eng, const_cast<void*>(v)), sm(p.s, eng, scores_.as()), pm(p.p, eng, probs),
      om(p.o, eng, out);
  p.scores.execute(ctx_->stream, {{DNNL_ARG_SRC, qm}, {DNNL_ARG_WEIGHTS, km}, {DNNL_ARG_DST, sm}});
  p.softmax.execute(ctx_->stream, {{DNNL_ARG_SRC, sm}, {DNNL_ARG_DST, pm}});
  p.weighted_sum.execute(ctx_->stream,
                         {{DNNL_ARG_SRC, pm}, {DNNL_ARG_WEIGHTS, vm}, {DNNL_ARG_DST, om}});
  ctx_->stream.wait();
}

}  // namespace emonet::model::cpu
