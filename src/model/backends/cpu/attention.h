// Multi-head scaled dot-product attention, softmax(Q K^T / sqrt(d)) V, without masking,
// on oneDNN: two batched matmuls over the heads that read Q, K and V in place through
// strides (head h is columns [h*d, (h+1)*d) of a row), with oneDNN's softmax between.
//
// One image per call, so the score matrix stays [heads, Nq, Nk] whatever the batch size.
// Primitives are cached per shape. Not thread-safe (one caller at a time).
#pragma once

#include <cstdint>
#include <map>
#include <tuple>

#include "model/backends/cpu/cpu_context.h"

namespace emonet::model::cpu {

class Attention {
 public:
  Attention() = default;
  // dt: type of Q, K, V and of the output; scores and softmax are computed in f32.
  Attention(CpuContext& ctx, std::int64_t heads, std::int64_t head_dim, DType dt);

  // q: nq rows with row stride q_ld elements; k, v: nk rows with row stride kv_ld;
  // out: [nq, heads*head_dim] dense.
  void run(std::int64_t nq, std::int64_t nk, const void* q, std::int64_t q_ld, const void* k,
           const void* v, std::int64_t kv_ld, void* out);

 private:
  struct Primitives {
    dnnl::matmul scores, weighted_sum;
    dnnl::softmax_v2_forward softmax;
    dnnl::memory::desc q, k, v, s, p, o;
  };
  Primitives& primitives(std::int64_t nq, std::int64_t nk, std::int64_t q_ld, std::int64_t kv_ld);

  CpuContext* ctx_ = nullptr;
  std::int64_t heads_ = 0, head_dim_ = 0;
  DType dt_ = DType::f32;
  Buffer scores_, probs_;
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>, Primitives> cache_;
};

}  // namespace emonet::model::cpu
