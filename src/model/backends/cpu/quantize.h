// Symmetric int8 quantisation for the int8 path (Precision::int8):
//   weights: per output channel, once at load: w_q[o][i] = round(w[o][i] / s_w[o]),
//            s_w[o] = max_i |w[o][i]| / 127;
//   activations: dynamic, per tensor, at every call: x_q = round(x / s_x),
//            s_x = max |x| / 127 over the whole matmul input.
// A matmul then computes s_x * s_w[o] * (x_q · w_q[o]) in int32 and scales in f32 (oneDNN
// runtime output scales). Values are clamped to [-127, 127] (never -128), so s8 x s8
// products fit VNNI's u8 x s8 kernels after oneDNN's +128 source shift and compensation.
// Stateless; the functions parallelise with OpenMP and may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/backends/cpu/cpu_context.h"

namespace emonet::model::cpu {

// Largest |x| of n elements of type t (f32 or bf16).
float max_abs(const void* src, DType t, std::size_t n);

// Quantises n elements of type t (f32 or bf16) with the dynamic per-tensor scale and
// returns that scale (1 for an all-zero input, whose codes are all zero).
float quantize_s8(const void* src, DType t, std::size_t n, std::int8_t* dst);

// weight: [out, in] f32 row-major -> q [out, in] s8 and scales [out] (1 for a zero row).
void quantize_weights_per_channel(const float* weight, std::int64_t out, std::int64_t in,
                                  std::int8_t* q, float* scales);

}  // namespace emonet::model::cpu
