// All emotion heads (small MLPs: Linear, ReLU, ..., Linear -> 1 scalar) evaluated
// together as matrix products on oneDNN: the first layers of every head are stacked into
// one [embedding -> heads*width] matmul, and each later layer runs as one batched matmul
// over the heads (a block-diagonal product). Dropout is inactive at inference.
//
// Every head must have the same layer sizes. f32 throughout (the heads cost well under
// 0.1 % of the backbone). Not thread-safe: one forward at a time.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "emonet/model_files.h"
#include "model/backends/cpu/cpu_context.h"
#include "model/backends/cpu/linear.h"

namespace emonet::model {

class HeadStack {
 public:
  HeadStack(cpu::CpuContext& ctx, const std::vector<Head>& heads);

  // embeddings: [batch, in] f32 (already L2-normalised); raw: [batch, heads] f32.
  void forward(const float* embeddings, std::int64_t batch, float* raw);

  std::size_t size() const { return count_; }

 private:
  struct Stage {
    std::int64_t in = 0, out = 0;
    dnnl::memory weights, bias;
    struct Compiled {
      dnnl::matmul matmul;
      dnnl::memory::desc src, dst;
    };
    std::map<std::int64_t, Compiled> cache;  // per batch size
  };
  Stage::Compiled& stage_primitive(std::size_t s, std::int64_t batch);

  cpu::CpuContext* ctx_;
  std::size_t count_ = 0;
  cpu::Linear first_;
  std::vector<Stage> stages_;
  cpu::Buffer a_, b_;
};

}  // namespace emonet::model
