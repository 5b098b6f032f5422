#include "model/head_stack.h"

#include <algorithm>

#include "emonet/error.h"

namespace emonet::model {

HeadStack::HeadStack(cpu::CpuContext& ctx, std::vector<Head> heads) : heads_(std::move(heads)) {
  if (heads_.empty()) throw Error("no emotion heads to evaluate");
  layers_.reserve(heads_.size());
  for (const auto& h : heads_) {
    if (h.layers.empty() || h.layers.back().out != 1)
      throw Error("head must end in a layer with one output", {h.key, 0, "layers"});
    std::vector<cpu::Linear> layers;
    for (std::size_t i = 0; i < h.layers.size(); ++i) {
      const auto& l = h.layers[i];
      if (i > 0 && l.in != h.layers[i - 1].out)
        throw Error("layer " + std::to_string(i) + " does not take the previous layer's outputs",
                    {h.key, 0, "layers"});
      const bool last = i + 1 == h.layers.size();
      cpu::LinearSpec spec{l.in,
                           l.out,
                           cpu::DType::f32,
                           cpu::DType::f32,
                           last ? cpu::PostOp::none : cpu::PostOp::relu,
                           1};
      spec.pack = false;
      layers.emplace_back(ctx, spec, l.weight.data(), l.bias.data());
      widest_ = std::max<std::int64_t>(widest_, l.out);
    }
    layers_.push_back(std::move(layers));
  }
}

void HeadStack::forward(const float* embeddings, std::int64_t batch, float* raw) {
  const auto H = std::int64_t(heads_.size());
  a_.resize(std::size_t(batch * widest_) * sizeof(float));
  b_.resize(std::size_t(batch * widest_) * sizeof(float));
  for (std::int64_t h = 0; h < H; ++h) {
    const void* in = embeddings;
    cpu::Buffer* out = &a_;
    for (auto& layer : layers_[std::size_t(h)]) {
      layer.run(batch, in, out->as());
      in = out->as();
      out = out == &a_ ? &b_ : &a_;
    }
    const float* result = static_cast<const float*>(in);  // [batch, 1]
    for (std::int64_t b = 0; b < batch; ++b) raw[b * H + h] = result[b];
  }
}

}  // namespace emonet::model
