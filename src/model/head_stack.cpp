#include "model/head_stack.h"

#include <cstring>

#include "emonet/error.h"

namespace emonet::model {

using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

HeadStack::HeadStack(cpu::CpuContext& ctx, const std::vector<Head>& heads) : ctx_(&ctx) {
  if (heads.empty()) throw Error("no emotion heads to evaluate");
  count_ = heads.size();
  const auto& ref = heads.front();
  if (ref.layers.empty() || ref.layers.back().out != 1)
    throw Error("head must end in a layer with one output", {ref.key, 0, "layers"});
  for (const auto& h : heads) {
    bool same = h.layers.size() == ref.layers.size();
    for (std::size_t i = 0; same && i < h.layers.size(); ++i)
      same = h.layers[i].in == ref.layers[i].in && h.layers[i].out == ref.layers[i].out;
    if (!same)
      throw Error("head layer sizes differ from those of " + ref.key, {h.key, 0, "layers"});
  }
  const auto H = std::int64_t(count_);
  // First layers of all heads stacked: [H*out0, in] rows, one matmul with ReLU.
  const auto& l0 = ref.layers.front();
  const std::int64_t in0 = l0.in, out0 = l0.out;
  std::vector<float> w(std::size_t(H * out0 * in0)), b(std::size_t(H * out0));
  for (std::int64_t h = 0; h < H; ++h) {
    const auto& src = heads[std::size_t(h)].layers.front();
    std::memcpy(w.data() + h * out0 * in0, src.weight.data(), src.weight.size() * 4);
    std::memcpy(b.data() + h * out0, src.bias.data(), src.bias.size() * 4);
  }
  const bool single = ref.layers.size() == 1;
  first_ = cpu::Linear(ctx,
                       cpu::LinearSpec{in0, H * out0, cpu::DType::f32, cpu::DType::f32,
                                       single ? cpu::PostOp::none : cpu::PostOp::relu, 8},
                       w.data(), b.data());
  // Later layers: weights [H, in, out] viewed from the stacked PyTorch [H, out, in].
  for (std::size_t i = 1; i < ref.layers.size(); ++i) {
    Stage s;
    s.in = ref.layers[i].in;
    s.out = ref.layers[i].out;
    s.weights = dnnl::memory(
        dnnl::memory::desc({H, s.in, s.out}, dt::f32, dims{s.in * s.out, 1, s.in}), ctx.engine);
    s.bias =
        dnnl::memory(dnnl::memory::desc({H, 1, s.out}, dt::f32, dims{s.out, s.out, 1}), ctx.engine);
    auto* wp = static_cast<float*>(s.weights.get_data_handle());
    auto* bp = static_cast<float*>(s.bias.get_data_handle());
    for (std::int64_t h = 0; h < H; ++h) {
      const auto& l = heads[std::size_t(h)].layers[i];
      std::memcpy(wp + h * s.in * s.out, l.weight.data(), l.weight.size() * 4);
      std::memcpy(bp + h * s.out, l.bias.data(), l.bias.size() * 4);
    }
    stages_.push_back(std::move(s));
  }
}

HeadStack::Stage::Compiled& HeadStack::stage_primitive(std::size_t i, std::int64_t batch) {
  auto& s = stages_[i];
  auto it = s.cache.find(batch);
  if (it != s.cache.end()) return it->second;
  const auto H = std::int64_t(count_);
  // Stage 0 reads the stacked first-layer output [batch, H*in] as [H, batch, in].
  dnnl::memory::desc src =
      i == 0 ? dnnl::memory::desc({H, batch, s.in}, dt::f32, dims{s.in, H * s.in, 1})
             : dnnl::memory::desc({H, batch, s.in}, dt::f32, dims{batch * s.in, s.in, 1});
  dnnl::memory::desc dst({H, batch, s.out}, dt::f32, dims{batch * s.out, s.out, 1});
  dnnl::primitive_attr attr;
  if (i + 1 < stages_.size()) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0, 0);
    attr.set_post_ops(ops);
  }
  dnnl::matmul mm(dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(src, s.weights.get_desc(), s.bias.get_desc(), dst), attr, ctx_->engine));
  return s.cache.emplace(batch, Stage::Compiled{std::move(mm), src, dst}).first->second;
}

void HeadStack::forward(const float* embeddings, std::int64_t batch, float* raw) {
  const auto H = std::int64_t(count_);
  std::int64_t width = first_.spec().out;
  a_.resize(std::size_t(batch * width) * 4);
  first_.run(batch, embeddings, a_.as());
  cpu::Buffer* cur = &a_;
  cpu::Buffer* next = &b_;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    auto& c = stage_primitive(i, batch);
    auto& s = stages_[i];
    next->resize(std::size_t(H * batch * s.out) * 4);
    dnnl::memory src(c.src, ctx_->engine, cur->as());
    dnnl::memory dst(c.dst, ctx_->engine, next->as());
    c.matmul.execute(ctx_->stream, {{DNNL_ARG_SRC, src},
                                    {DNNL_ARG_WEIGHTS, s.weights},
                                    {DNNL_ARG_BIAS, s.bias},
                                    {DNNL_ARG_DST, dst}});
    std::swap(cur, next);
  }
  ctx_->stream.wait();
  const float* out = cur->as<float>();
  // With later stages the result is [H, batch, 1]; a single-layer head gives [batch, H].
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      raw[b * H + h] = stages_.empty() ? out[b * H + h] : out[h * batch + b];
}

}  // namespace emonet::model
