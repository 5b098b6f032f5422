// All emotion heads (small MLPs: Linear, ReLU, ..., Linear -> 1 scalar) on oneDNN.
//
// Each layer's matmul reads the head's own f32 weights in place (the Head vectors are
// moved in and kept), unpacked: packing or stacking the 44 Large heads' 309 MiB would
// touch that much fresh memory again at load, which costs more (about a second on a VM
// where first-touch page faults are slow) than the heads ever cost at run time (160
// MFLOP per image, well under 0.1 % of the backbone). Dropout is inactive at inference.
// Not thread-safe: one forward at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "emonet/model_files.h"
#include "model/backends/cpu/cpu_context.h"
#include "model/backends/cpu/linear.h"

namespace emonet::model {

class HeadStack {
 public:
  HeadStack(cpu::CpuContext& ctx, std::vector<Head> heads);

  // embeddings: [batch, in] f32 (already L2-normalised); raw: [batch, heads] f32.
  void forward(const float* embeddings, std::int64_t batch, float* raw);

  std::size_t size() const { return heads_.size(); }

 private:
  std::vector<Head> heads_;                       // owns the weights the layers read
  std::vector<std::vector<cpu::Linear>> layers_;  // per head, per layer
  std::int64_t widest_ = 0;
  cpu::Buffer a_, b_;
};

}  // namespace emonet::model
