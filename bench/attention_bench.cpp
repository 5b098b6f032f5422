// Attention microbenchmark: the fused kernel (cpu::flash_attention) against the unfused
// oneDNN path (cpu::Attention: QK^T matmul, softmax, ·V matmul, one image at a time) on
// one encoder layer's self-attention of so400m (16 heads x 72, 576 tokens), fed the
// tower's packed [tokens, 3*hidden] QKV rows. Prints one JSON line per case (median of
// --iters timed runs after one warm-up, the two kernels alternated).
//
//   attention_bench [--threads 2] [--batch 1,8] [--iters 7]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model/backends/cpu/attention.h"
#include "model/backends/cpu/flash_attention.h"

using namespace emonet::model::cpu;

namespace {

// Medians of `iters` timed runs of a and b, alternated (a, b, a, b, ...) after one warm-up
// of each, so both see the same load on a shared machine.
std::pair<double, double> median_seconds(int iters, const std::function<void()>& a,
                                         const std::function<void()>& b) {
  a();  // warm-up: primitive creation, first touch
  b();
  std::vector<double> ta, tb;
  auto time = [](const std::function<void()>& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (int i = 0; i < iters; ++i) {
    ta.push_back(time(a));
    tb.push_back(time(b));
  }
  std::sort(ta.begin(), ta.end());
  std::sort(tb.begin(), tb.end());
  return {ta[ta.size() / 2], tb[tb.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, iters = 7;
  std::vector<std::int64_t> batches = {1, 8};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--threads")
      threads = std::atoi(argv[i + 1]);
    else if (a == "--iters")
      iters = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--batch") {
      batches.clear();
      for (const char* p = argv[i + 1]; *p;) {
        char* end;
        batches.push_back(std::strtoll(p, &end, 10));
        p = *end ? end + 1 : end;
      }
    } else {
      std::fprintf(stderr, "usage: attention_bench [--threads 2] [--batch 1,8] [--iters 7]\n");
      return 2;
    }
  }
  omp_set_num_threads(threads);
  const std::int64_t heads = 16, d = 72, n = 576, D = heads * d;
  const double gflop = 4.0 * double(n * n * D) * 1e-9;  // per image, QK^T + P·V
  CpuContext ctx;
  for (DType type : {DType::f32, DType::bf16}) {
    const bool bf16 = type == DType::bf16;
    const std::size_t es = bf16 ? 2 : 4;
    Attention unfused(ctx, heads, d, type);
    for (std::int64_t batch : batches) {
      std::vector<float> qkv(std::size_t(batch * n * 3 * D));
      std::mt19937 rng(1);
      std::normal_distribution<float> normal(0.f, 1.f);
      for (auto& x : qkv) x = normal(rng);
      std::vector<char> in(qkv.size() * es), out(std::size_t(batch * n * D) * es);
      if (bf16)
        convert_to_bf16(qkv.data(), reinterpret_cast<std::uint16_t*>(in.data()), qkv.size());
      else
        std::memcpy(in.data(), qkv.data(), in.size());
      auto run_unfused = [&] {
        for (std::int64_t b = 0; b < batch; ++b) {
          const char* base = in.data() + std::size_t(b * n * 3 * D) * es;
          unfused.run(n, n, base, 3 * D, base + D * es, base + 2 * D * es, 3 * D,
                      out.data() + std::size_t(b * n * D) * es);
        }
      };
      FlashAttentionArgs a;
      a.batch = batch, a.heads = heads, a.head_dim = d, a.nq = n, a.nk = n;
      a.q = in.data(), a.q_ld = 3 * D, a.q_batch_stride = n * 3 * D;
      a.k = in.data() + D * es, a.v = in.data() + 2 * D * es, a.kv_ld = 3 * D;
      a.kv_batch_stride = n * 3 * D;
      a.out = out.data(), a.out_ld = D, a.out_batch_stride = n * D;
      a.bf16 = bf16;
      const auto [t_unfused, t_fused] =
          median_seconds(iters, run_unfused, [&] { flash_attention(a); });
      for (auto [name, t] : {std::pair{"unfused_onednn", t_unfused}, {"fused", t_fused}})
        std::printf(
            "{\"kernel\": \"%s\", \"precision\": \"%s\", \"batch\": %lld, \"threads\": %d, "
            "\"ms_per_image_layer\": %.3f, \"gflops\": %.1f, \"model_s_per_image\": %.3f, "
            "\"avx512\": %s}\n",
            name, bf16 ? "bf16" : "fp32", static_cast<long long>(batch), threads,
            1e3 * t / double(batch), gflop * double(batch) / t, 27.0 * t / double(batch),
            flash_attention_has_avx512() ? "true" : "false");
      std::fflush(stdout);
    }
  }
  return 0;
}
