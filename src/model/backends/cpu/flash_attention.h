// Fused multi-head attention, softmax(Q K^T / sqrt(d)) V, flash-attention style: for
// each (image, head) the keys are walked in blocks, the scores of a block are turned into
// probabilities with an online (running max, running sum) softmax and accumulated into
// the output at once, so no [Nq x Nk] score matrix is ever written to memory. Inputs are
// f32 or bf16 (read as bf16, widened in registers), accumulation is f32.
//
// An AVX-512 kernel (flash_attention_avx512.cpp, compiled with AVX-512 flags) runs where
// the CPU has AVX-512F/BW/VL (checked once at run time); a portable scalar kernel runs
// elsewhere. Work is split over batch x heads with OpenMP. Stateless; one call at a time
// per output buffer. (No other engine header is included: the AVX-512 file includes this.)
#pragma once

#include <cstdint>

namespace emonet::model::cpu {

struct FlashAttentionArgs {
  std::int64_t batch = 1, heads = 1, head_dim = 1, nq = 1, nk = 1;
  // Head h of row i of image b starts at base + b * batch_stride + i * ld + h * head_dim
  // (elements). out gets [nq, heads * head_dim] per image.
  const void* q = nullptr;
  std::int64_t q_ld = 0, q_batch_stride = 0;
  const void *k = nullptr, *v = nullptr;
  std::int64_t kv_ld = 0, kv_batch_stride = 0;
  void* out = nullptr;
  std::int64_t out_ld = 0, out_batch_stride = 0;
  bool bf16 = false;  // q, k, v and out are bf16 (else f32)
};

// avx512: f32 FMAs on widened inputs; avx512_bf16: QK^T by vdpbf16ps when the inputs are
// bf16 (the same as avx512 for f32 inputs).
enum class FlashKernel { automatic, scalar, avx512, avx512_bf16 };

// Runs the attention; `kernel` forces one implementation (tests), automatic picks the
// fastest this CPU runs. Throws std::invalid_argument for a kernel this CPU cannot run.
void flash_attention(const FlashAttentionArgs& a, FlashKernel kernel = FlashKernel::automatic);

// True when this CPU runs the AVX-512 kernel / its AVX-512-BF16 variant.
bool flash_attention_has_avx512();
bool flash_attention_has_avx512_bf16();

namespace detail {
// Keys whose scores the AVX-512 kernel holds per query row between softmax updates:
// so400m's 576 tokens, so its attention needs one update per row (4 rows x 576 floats,
// 9 KB of L1). Longer sequences fall back to the online rescaling every 576 keys.
constexpr std::int64_t kFlashSoftmaxKeys = 576;
// Keys per block of the AVX-512 kernel's transposed K (its scratch holds whole blocks).
constexpr std::int64_t kFlashKeysPerBlock = 64;

// The per-(image, head) kernels. scratch holds flash_scratch_floats(a) floats.
std::int64_t flash_scratch_floats(const FlashAttentionArgs& a);
void flash_head_scalar(const FlashAttentionArgs& a, std::int64_t b, std::int64_t h, float* scratch);
void flash_head_avx512(const FlashAttentionArgs& a, std::int64_t b, std::int64_t h, float* scratch,
                       bool dot_bf16);
}  // namespace detail

}  // namespace emonet::model::cpu
