// Layer normalisation over the last dimension, y = (x - mean) / sqrt(var + eps) * g + b,
// computed in f32 (statistics accumulated in double) and written as f32 or bf16, so the
// bf16 path feeds its matmuls directly while the residual stream stays f32.
// Stateless; safe to call from any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "model/backends/cpu/cpu_context.h"

namespace emonet::model::cpu {

struct LayerNormParams {
  std::vector<float> gamma, beta;
  float eps = 1e-6f;
};

// x: [rows, width] f32; y: [rows, width] of type `out` (may alias x when out is f32).
void layer_norm(const LayerNormParams& p, const float* x, std::int64_t rows, void* y, DType out);

}  // namespace emonet::model::cpu
