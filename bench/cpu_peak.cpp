// The arithmetic ceiling of this CPU for the engine's two precisions: how many GFLOP/s
// N threads reach issuing nothing but independent AVX-512 FMAs (fp32) or AVX-512-BF16
// dot products (vdpbf16ps, bf16 inputs, f32 accumulation), no memory traffic. A matmul
// can only approach these figures, so they bound what any engine can do here (the
// PERFORMANCE.md engine section compares the measured GFLOP/s with them). Also the rate
// at which fresh memory can be first touched (page faults + zeroing; very slow on some
// VMs), with 4 KiB pages and with transparent huge pages: the floor of packing weights.
//
//   cpu_peak [threads=2] [seconds per test=1]
#include <immintrin.h>
#include <omp.h>

#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr int kChains = 12;  // independent accumulators: more than latency x ports
constexpr long kSteps = 100000;

// Sum of every lane of every accumulator (stored, not _mm512_reduce_add_ps, whose GCC 12
// header trips -Wuninitialized).
__attribute__((target("avx512f"))) float lane_sum(const __m512* acc) {
  alignas(64) float lanes[16];
  float sum = 0;
  for (int j = 0; j < kChains; ++j) {
    _mm512_store_ps(lanes, acc[j]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

// Each kernel runs kSteps steps of kChains independent instructions and returns a value
// depending on every accumulator (so nothing is optimised away). All AVX-512 code lives
// inside these target-attributed functions; main() only calls them after a CPU check.
__attribute__((target("avx512f"))) float fma_steps() {
  __m512 acc[kChains];
  for (auto& a : acc) a = _mm512_setzero_ps();
  const __m512 x = _mm512_set1_ps(1e-9f), y = _mm512_set1_ps(1.f);
  for (long i = 0; i < kSteps; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(x, y, acc[j]);
  }
  return lane_sum(acc);
}

__attribute__((target("avx512f,avx512bf16"))) float bf16_steps() {
  __m512 acc[kChains];
  for (auto& a : acc) a = _mm512_setzero_ps();
  const __m512bh one = (__m512bh)_mm512_set1_epi16(0x3f80);  // 1.0 in bfloat16
  for (long i = 0; i < kSteps; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_dpbf16_ps(acc[j], one, one);
  }
  return lane_sum(acc);
}

double gflops(int threads, double seconds, double flop_per_instruction, float (*kernel)()) {
  long long calls = 0;
  float sink = 0;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
#pragma omp parallel num_threads(threads) reduction(+ : calls, sink)
  while (elapsed() < seconds) {
    sink += kernel();
    ++calls;
  }
  const double t = elapsed();
  if (sink == 1.2345f) std::printf(" ");
  return double(calls) * kSteps * kChains * flop_per_instruction / t / 1e9;
}

// MB/s of writing one byte per 4 KiB into a fresh 256 MiB anonymous mapping.
double first_touch_mb_per_s(bool huge) {
  const std::size_t bytes = std::size_t(256) << 20;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  if (huge) ::madvise(p, bytes, MADV_HUGEPAGE);
  auto* c = static_cast<volatile char*>(p);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < bytes; i += 4096) c[i] = 1;
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::munmap(p, bytes);
  return double(bytes) / 1e6 / t;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 1.0;
  if (!__builtin_cpu_supports("avx512f")) {
    std::printf("{\"error\": \"no AVX-512 on this CPU\"}\n");
    return 1;
  }
  // fp32: 16 lanes x 2 FLOP per FMA; bf16: 32 pairs x 2 FLOP per vdpbf16ps.
  const double fp32 = gflops(threads, seconds, 16.0 * 2, fma_steps);
  std::printf("{\"threads\": %d, \"fp32_fma_gflops\": %.0f", threads, fp32);
  if (__builtin_cpu_supports("avx512bf16"))
    std::printf(", \"bf16_dot_gflops\": %.0f", gflops(threads, seconds, 32.0 * 2, bf16_steps));
  std::printf(", \"first_touch_MBps_4k\": %.0f, \"first_touch_MBps_thp\": %.0f}\n",
              first_touch_mb_per_s(false), first_touch_mb_per_s(true));
}
