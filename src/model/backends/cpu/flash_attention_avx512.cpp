// The AVX-512 kernel of the fused attention (see flash_attention.h). This file alone is
// compiled with -mavx512f/bw/vl (src/model/CMakeLists.txt) and only runs after the run-time
// check in flash_attention(). It includes no C++ library headers: an inline library
// function instantiated here with AVX-512 code could be the copy the linker keeps for
// the whole program and then fault on a CPU without AVX-512.
//
// Per (image, head): K is transposed (in blocks of 64 keys, see key_slot) and V copied
// into scratch once, zero-padded to whole 16-lane vectors, with the rows of Q, K and V
// prefetched ahead of use; then query rows go four at a time. For each block of 64 keys
// the 4x64 scores are 16 accumulators fed by one K^T load per four FMAs; the scores of up
// to kFlashSoftmaxKeys keys (576: all of so400m's tokens) wait in scratch for one
// online-softmax update (max, exp, sum, one rescale of the output accumulators); P·V runs
// over 16-lane slices of the head dimension with the 4 x 5 tile of accumulators in
// registers. On the bf16 path of a CPU with
// AVX-512-BF16 both products use vdpbf16ps (two bf16 products per f32 lane, twice the
// FMA rate): the scores on the bf16 inputs (the same products as oneDNN's bf16 matmul),
// and P·V on the probabilities rounded to bf16 with V kept as bf16 pairs of consecutive
// keys, which is what the unfused bf16 path (softmax, then a bf16 matmul) computes too.
// The softmax itself (max, exp, sums, rescaling) stays f32.
#include <immintrin.h>

#include "model/backends/cpu/flash_attention.h"

namespace emonet::model::cpu::detail {

namespace {

constexpr int kRows = 4;       // query rows per step
constexpr int kBlockVecs = 4;  // 16-key vectors per block of scores (64 keys)
constexpr float kNegInf = -__builtin_inff();

constexpr long kKeysPerBlock = kFlashKeysPerBlock;
static_assert(kKeysPerBlock == 16 * kBlockVecs);  // one block of scores per K^T block
// Softmax updates start on whole blocks of K^T (the scores address blocks by key_slot).
static_assert(kFlashSoftmaxKeys % kKeysPerBlock == 0);

inline __mmask16 tail_mask(long n) {
  return n >= 16 ? __mmask16(0xffff) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1u);
}

// Where K^T keeps element (row c, key j): blocks of 64 keys, each [rows, 64], so the
// scores of one block read one contiguous stretch (the hardware prefetcher follows it)
// instead of `rows` pieces a whole key row apart.
inline long key_slot(long c, long j, long rows) {
  return j / kKeysPerBlock * rows * kKeysPerBlock + c * kKeysPerBlock + j % kKeysPerBlock;
}

// 16 (or fewer, masked) elements at p as f32; missing lanes are 0.
inline __m512 load16(const void* p, long i, bool bf16, __mmask16 m) {
  if (!bf16) return _mm512_maskz_loadu_ps(m, static_cast<const float*>(p) + i);
  const __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const unsigned short*>(p) + i);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// Round-to-nearest-even to bf16, NaN kept quiet: the same as float_to_bf16().
inline void store16(void* p, long i, __m512 x, bool bf16, __mmask16 m) {
  if (!bf16) {
    _mm512_mask_storeu_ps(static_cast<float*>(p) + i, m, x);
    return;
  }
  const __m512i u = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i r =
      _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                                _mm512_set1_epi32(0x7f800000));
  r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
  _mm256_mask_storeu_epi16(static_cast<unsigned short*>(p) + i, m, _mm512_cvtepi32_epi16(r));
}

// 2^t for t <= 0: n = round(t), 2^(t - n) by the degree-6 polynomial of Cephes' exp2f
// on [-1/2, 1/2] (relative error ~2e-7), times 2^n by adding n to the exponent field
// (vscalefps and vrndscaleps cost twice as much here and this runs once per score). t is
// clamped at -125 so the result stays a normal number: ~2e-38, which is 0 next to the
// softmax sum (at least 1); callers zero masked lanes themselves. The softmax works in
// base 2 with log2(e) (and the 1/sqrt(d) of the scores) folded into one multiply-subtract
// per score.
inline __m512 exp2_16(__m512 t) {
  t = _mm512_max_ps(t, _mm512_set1_ps(-125.f));
  const __m512i n = _mm512_cvtps_epi32(t);  // to nearest: the default rounding mode
  const __m512 f = _mm512_sub_ps(t, _mm512_cvtepi32_ps(n));
  __m512 y = _mm512_set1_ps(1.535336188319500e-4f);
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(1.339887440266574e-3f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(9.618437357674640e-3f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(5.550332471162809e-2f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(2.402264791363012e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(6.931472028550421e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(1.f));
  return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(y), _mm512_slli_epi32(n, 23)));
}

inline float exp2_1(float t) {
  return _mm512_cvtss_f32(exp2_16(_mm512_set1_ps(t)));
}

// Asks for the cache lines of `bytes` bytes at p. The rows of Q, K and V are one head's
// slice of the tower's wide [tokens, 3 * hidden] rows, a few lines each, 7 KB apart: the
// hardware prefetchers do not follow them, and without this the kernel waits on memory
// for a fifth of its time at the start of every head and every block of query rows.
inline void prefetch_bytes(const void* p, long bytes) {
  const char* c = static_cast<const char*>(p);
  for (long i = 0; i < bytes; i += 64) _mm_prefetch(c + i, _MM_HINT_T0);
  _mm_prefetch(c + bytes - 1, _MM_HINT_T0);
}

// This head's keys transposed into scratch, 16 keys per gather: with `dot`,
// kt[key_slot(c, j, rows)] holds the bf16 pair (k[j][2c], k[j][2c + 1]) as one 32-bit word (high
// half 0 past d), otherwise k[j][c] widened to f32; keys j >= nk are 0. Every gather reads
// only elements of the head's own row: an odd head's last pair and the widened bf16
// elements read the word that ends at the wanted element and shift it down. Shapes whose
// offsets do not fit the gathers' 32-bit indices (or a head of one element) go one
// element at a time.
inline void transpose_keys(const FlashAttentionArgs& a, long kv0, long nkb, bool dot, float* kt) {
  const long d = a.head_dim, nk = a.nk, ld = a.kv_ld, rows = dot ? (d + 1) / 2 : d;
  auto* kt2 = reinterpret_cast<unsigned*>(kt);
  const auto* k16 = static_cast<const unsigned short*>(a.k) + (a.bf16 ? kv0 : 0);
  const float* k32 = static_cast<const float*>(a.k) + (a.bf16 ? 0 : kv0);
  if (d < 2 || double(nkb) * double(ld) >= 2147483647.0) {
    for (long j = 0; j < nkb; ++j)
      for (long c = 0; c < rows; ++c) {
        const long at = key_slot(c, j, rows);
        if (j >= nk) {
          kt2[at] = 0;
        } else if (!a.bf16) {
          kt[at] = k32[j * ld + c];
        } else if (dot) {
          kt2[at] = k16[j * ld + 2 * c] | (2 * c + 1 < d ? k16[j * ld + 2 * c + 1] : 0u) << 16;
        } else {
          kt2[at] = unsigned(k16[j * ld + c]) << 16;
        }
      }
    return;
  }
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i zero = _mm512_setzero_si512();
  const long es = a.bf16 ? 2 : 4;
  const char* rows0 = static_cast<const char*>(a.k) + kv0 * es;
  for (long j = 0; j < 16 && j < nk; ++j) prefetch_bytes(rows0 + j * ld * es, d * es);
  for (long j0 = 0; j0 < nkb; j0 += 16) {
    const long at = key_slot(0, j0, rows);  // row c of these 16 keys is at + c * 64
    for (long j = j0 + 16; j < j0 + 32 && j < nk; ++j) prefetch_bytes(rows0 + j * ld * es, d * es);
    const __mmask16 live = tail_mask(nk - j0);
    // Element offsets of the 16 keys' rows.
    const __m512i row = _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(int(j0))),
                                           _mm512_set1_epi32(int(ld)));
    if (!a.bf16) {
      for (long c = 0; c < d; ++c)
        _mm512_storeu_ps(kt + at + c * kKeysPerBlock,
                         _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live, row, k32 + c, 4));
    } else if (dot) {
      for (long c = 0; c < d / 2; ++c)
        _mm512_storeu_si512(kt2 + at + c * kKeysPerBlock,
                            _mm512_mask_i32gather_epi32(zero, live, row, k16 + 2 * c, 2));
      if (d % 2)  // (k[d - 1], 0): the word of elements d - 2 and d - 1, shifted down
        _mm512_storeu_si512(
            kt2 + at + (d / 2) * kKeysPerBlock,
            _mm512_srli_epi32(_mm512_mask_i32gather_epi32(zero, live, row, k16 + d - 2, 2), 16));
    } else {
      // Element 0 is the low half of the row's first word, element c > 0 the high half of
      // the word that ends at it.
      const __m512i first = _mm512_mask_i32gather_epi32(zero, live, row, k16, 2);
      _mm512_storeu_si512(kt2 + at, _mm512_slli_epi32(first, 16));
      for (long c = 1; c < d; ++c)
        _mm512_storeu_si512(
            kt2 + at + c * kKeysPerBlock,
            _mm512_and_si512(_mm512_mask_i32gather_epi32(zero, live, row, k16 + c - 1, 2),
                             _mm512_set1_epi32(int(0xffff0000u))));
    }
  }
}

// Scores of kRows query rows against the first NV vectors of 16 keys of one block of K^T.
template <int NV>
inline void scores(const float* qs, long dp, const float* kt, long d,
                   __m512 (&s)[kRows][kBlockVecs]) {
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < NV; ++v) s[r][v] = _mm512_setzero_ps();
  for (long c = 0; c < d; ++c) {
    __m512 k[NV];
    for (int v = 0; v < NV; ++v) k[v] = _mm512_loadu_ps(kt + c * kKeysPerBlock + 16 * v);
    for (int r = 0; r < kRows; ++r) {
      const __m512 q = _mm512_set1_ps(qs[r * dp + c]);
      for (int v = 0; v < NV; ++v) s[r][v] = _mm512_fmadd_ps(q, k[v], s[r][v]);
    }
  }
}

// The same from bf16 pairs with vdpbf16ps (two bf16 products per lane, f32 sum): qp holds
// each row's (q[2c], q[2c+1]) pairs, kt2 one block's key pairs as [pairs, 64]. Not inlined
// into its caller, which is not compiled for AVX-512-BF16; called per block of keys.
template <int NV>
__attribute__((target("avx512f,avx512bf16"), noinline)) void scores_bf16(
    const unsigned* qp, long qp_ld, const unsigned* kt2, long pairs,
    __m512 (&s)[kRows][kBlockVecs]) {
  // Local accumulators, copied out at the end: __m512 may alias anything, so summing into
  // `s` through the reference would store it to memory on every step.
  __m512 acc[kRows][NV];
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (long c = 0; c < pairs; ++c) {
    __m512bh k[NV];
    for (int v = 0; v < NV; ++v)
      k[v] = (__m512bh)_mm512_loadu_si512(kt2 + c * kKeysPerBlock + 16 * v);
    for (int r = 0; r < kRows; ++r) {
      const __m512bh q = (__m512bh)_mm512_set1_epi32(int(qp[r * qp_ld + c]));
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], q, k[v]);
    }
  }
  for (int r = 0; r < kRows; ++r)  // unscaled: the softmax applies 1/sqrt(d)
    for (int v = 0; v < NV; ++v) s[r][v] = acc[r][v];
}

// acc[r][16 * (x0 + x) ...] += sum over the super-block's key pairs m of
// p2[r][m] . v2[pair0 + m][16 * (x0 + x) ...] for NX slices of 16 head columns: every
// accumulator of the kRows x NX tile stays in a register while the keys stream by.
template <int NX>
__attribute__((target("avx512f,avx512bf16"), noinline)) void pv_bf16_slices(
    const unsigned (*p2)[kFlashSoftmaxKeys / 2], long pairs, const unsigned* v2, long dp,
    long pair0, long x0, float* acc) {
  __m512 o[kRows][NX];
  for (int r = 0; r < kRows; ++r)
    for (int x = 0; x < NX; ++x) o[r][x] = _mm512_loadu_ps(acc + r * dp + 16 * (x0 + x));
  for (long m = 0; m < pairs; ++m) {
    __m512bh v[NX];
    for (int x = 0; x < NX; ++x)
      v[x] = (__m512bh)_mm512_loadu_si512(v2 + (pair0 + m) * dp + 16 * (x0 + x));
    for (int r = 0; r < kRows; ++r) {
      const __m512bh p = (__m512bh)_mm512_set1_epi32(int(p2[r][m]));
      for (int x = 0; x < NX; ++x) o[r][x] = _mm512_dpbf16_ps(o[r][x], p, v[x]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int x = 0; x < NX; ++x) _mm512_storeu_ps(acc + r * dp + 16 * (x0 + x), o[r][x]);
}

// acc[r][16 * (x0 + x) ...] += sum over the block's keys j of p[r][j] * vs[j0 + j][...] for
// NX slices of 16 head columns, the f32 form of pv_bf16_slices: per key NX loads of V and
// kRows broadcasts feed kRows x NX FMAs into register accumulators.
template <int NX>
inline void pv_f32_slices(const float* probs, long nj, const float* vs, long dp, long j0, long x0,
                          float* acc) {
  constexpr long ld = kFlashSoftmaxKeys;  // probs row stride
  __m512 o[kRows][NX];
  for (int r = 0; r < kRows; ++r)
    for (int x = 0; x < NX; ++x) o[r][x] = _mm512_loadu_ps(acc + r * dp + 16 * (x0 + x));
  for (long j = 0; j < nj; ++j) {
    __m512 v[NX];
    for (int x = 0; x < NX; ++x) v[x] = _mm512_loadu_ps(vs + (j0 + j) * dp + 16 * (x0 + x));
    for (int r = 0; r < kRows; ++r) {
      const __m512 p = _mm512_set1_ps(probs[r * ld + j]);
      for (int x = 0; x < NX; ++x) o[r][x] = _mm512_fmadd_ps(p, v[x], o[r][x]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int x = 0; x < NX; ++x) _mm512_storeu_ps(acc + r * dp + 16 * (x0 + x), o[r][x]);
}

// The column tile width of the P·V kernels as a type, so one switch picks the template.
template <int N>
struct Slices {
  static constexpr int value = N;
};

// Calls run(Slices<NX>{}, x0) for the dv 16-column slices of a head five at a time (the
// widest tile the registers hold), the last group narrower.
template <typename Run>
inline void in_slice_groups(long dv, Run&& run) {
  for (long x0 = 0; x0 < dv; x0 += 5) {
    switch (dv - x0 < 5 ? dv - x0 : 5) {
      case 1:
        run(Slices<1>{}, x0);
        break;
      case 2:
        run(Slices<2>{}, x0);
        break;
      case 3:
        run(Slices<3>{}, x0);
        break;
      case 4:
        run(Slices<4>{}, x0);
        break;
      default:
        run(Slices<5>{}, x0);
        break;
    }
  }
}

// P·V of nj keys in f32 (dead keys have probability 0).
inline void pv_f32(const float* probs, long nj, const float* vs, long dp, long j0, float* acc) {
  in_slice_groups(dp / 16, [&](auto nx, long x0) {
    pv_f32_slices<decltype(nx)::value>(probs, nj, vs, dp, j0, x0, acc);
  });
}

// P·V of one super-block of nv 16-key vectors on bf16 (one call per softmax update, so
// the accumulators are loaded and stored once per update, not once per 64 keys): probs
// ([kRows, 16 nv] f32 with row stride kFlashSoftmaxKeys, dead keys 0) is rounded to bf16
// pairs (round to nearest even, as float_to_bf16), then the slices of the head go five at
// a time (20 accumulators, 5 V vectors and a broadcast fit 32 registers).
__attribute__((target("avx512f,avx512bf16"), noinline)) void pv_bf16(const float* probs, int nv,
                                                                     const unsigned* v2, long dp,
                                                                     long j0, float* acc) {
  constexpr long ld = kFlashSoftmaxKeys;  // probs row stride
  alignas(64) unsigned p2[kRows][kFlashSoftmaxKeys / 2];
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < nv; v += 2) {
      const __m512 lo = _mm512_loadu_ps(probs + r * ld + 16 * v);
      if (v + 1 < nv) {
        const __m512 hi = _mm512_loadu_ps(probs + r * ld + 16 * (v + 1));
        _mm512_store_si512(&p2[r][8 * v], (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
      } else {
        _mm256_store_si256(reinterpret_cast<__m256i*>(&p2[r][8 * v]),
                           (__m256i)_mm512_cvtneps_pbh(lo));
      }
    }
  const long pairs = 8L * nv;
  in_slice_groups(dp / 16, [&](auto nx, long x0) {
    pv_bf16_slices<decltype(nx)::value>(p2, pairs, v2, dp, j0 / 2, x0, acc);
  });
}

}  // namespace

void flash_head_avx512(const FlashAttentionArgs& a, std::int64_t b, std::int64_t h, float* scratch,
                       bool dot_bf16) {
  const long d = a.head_dim, nk = a.nk, nq = a.nq;
  const long nkp = (nk + 15) / 16 * 16, dp = (d + 15) / 16 * 16;
  const bool bf16 = a.bf16;
  const float scale = 1.f / __builtin_sqrtf(float(d));
  const long nkb = (nk + kKeysPerBlock - 1) / kKeysPerBlock * kKeysPerBlock;
  float* kt = scratch;        // K^T, [nkb / 64][d or pairs][64] (key_slot)
  float* vs = kt + d * nkb;   // [nkp, dp]
  float* qs = vs + nkp * dp;  // [kRows, dp]
  float* acc = qs + kRows * dp;
  float* probs = acc + kRows * dp;  // [kRows, kFlashSoftmaxKeys]

  // Widen this head's K (transposed) and V to f32 once; padding stays zero. With
  // dot_bf16, K^T keeps bf16 pairs for vdpbf16ps instead.
  const bool dot = dot_bf16 && bf16;
  const long pairs = (d + 1) / 2;
  auto* kt2 = reinterpret_cast<unsigned*>(kt);  // dot: bf16 pairs
  auto* qp = reinterpret_cast<unsigned*>(qs);   // [kRows, dp / 2]
  auto* v2 = reinterpret_cast<unsigned*>(vs);   // dot: [nkp / 2, dp] pairs of keys 2i, 2i+1
  const long kv0 = long(b * a.kv_batch_stride + h * d);
  if (dot) {
    const auto* v16 = static_cast<const unsigned short*>(a.v);
    for (long i = 0; i < nkp / 2; ++i) {
      for (long j = 2 * i + 16; j < 2 * i + 18 && j < nk; ++j)
        prefetch_bytes(v16 + kv0 + j * a.kv_ld, 2 * d);
      for (long c0 = 0; c0 < dp; c0 += 16) {
        const long j = 2 * i;
        const __mmask16 m0 = j < nk ? tail_mask(d - c0) : __mmask16(0);
        const __mmask16 m1 = j + 1 < nk ? tail_mask(d - c0) : __mmask16(0);
        const __m512i lo =
            _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m0, v16 + kv0 + j * a.kv_ld + c0));
        const __m512i hi =
            _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m1, v16 + kv0 + (j + 1) * a.kv_ld + c0));
        _mm512_storeu_si512(v2 + i * dp + c0, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
      }
    }
  }
  transpose_keys(a, kv0, nkb, dot, kt);
  const long es = bf16 ? 2 : 4;
  if (!dot)
    for (long j = 0; j < nkp; ++j) {
      if (j + 8 < nk)
        prefetch_bytes(static_cast<const char*>(a.v) + (kv0 + (j + 8) * a.kv_ld) * es, d * es);
      for (long c0 = 0; c0 < dp; c0 += 16) {
        const __mmask16 m = j < nk ? tail_mask(d - c0) : __mmask16(0);
        _mm512_storeu_ps(vs + j * dp + c0, load16(a.v, kv0 + j * a.kv_ld + c0, bf16, m));
      }
    }

  const char* q_bytes = static_cast<const char*>(a.q) + (b * a.q_batch_stride + h * d) * es;
  for (long i = 0; i < kRows && i < nq; ++i) prefetch_bytes(q_bytes + i * a.q_ld * es, d * es);
  for (long i0 = 0; i0 < nq; i0 += kRows) {
    const long rows = nq - i0 < kRows ? nq - i0 : kRows;
    for (long i = i0 + kRows; i < i0 + 2 * kRows && i < nq; ++i)  // the next block's rows
      prefetch_bytes(q_bytes + i * a.q_ld * es, d * es);
    for (int r = 0; r < kRows; ++r) {
      const long q0 = long(b * a.q_batch_stride + (i0 + r) * a.q_ld + h * d);
      for (long c0 = 0; c0 < dp; c0 += 16) {
        const __mmask16 m = r < rows ? tail_mask(d - c0) : __mmask16(0);
        if (!dot)
          _mm512_storeu_ps(qs + r * dp + c0,
                           _mm512_mul_ps(load16(a.q, q0 + c0, bf16, m), _mm512_set1_ps(scale)));
        _mm512_storeu_ps(acc + r * dp + c0, _mm512_setzero_ps());
      }
      if (dot) {  // raw bf16 pairs, zero-padded to dp (the scale is applied to the f32 scores)
        const auto* q16 = static_cast<const unsigned short*>(a.q);
        auto* row = reinterpret_cast<unsigned short*>(qp + r * (dp / 2));
        for (long c0 = 0; c0 < dp; c0 += 16)
          _mm256_storeu_si256(
              reinterpret_cast<__m256i*>(row + c0),
              _mm256_maskz_loadu_epi16(r < rows ? tail_mask(d - c0) : __mmask16(0), q16 + q0 + c0));
      }
    }
    float mx[kRows], sum[kRows];
    for (int r = 0; r < kRows; ++r) mx[r] = kNegInf, sum[r] = 0;

    // Keys go in super-blocks of kFlashSoftmaxKeys: the scores of up to nine 64-key
    // blocks are kept in `probs`, then one softmax update (max, rescale) covers them all.
    // Per 64 keys that would be two horizontal reductions, a scalar exp and a pass over
    // the accumulators for each row, on a serial dependency chain.
    constexpr long kSuper = kFlashSoftmaxKeys;
    // Scores to base-2 exponents: the dot path's scores are unscaled, the f32 path's
    // queries were scaled already.
    const float to_base2 = 1.44269504088896341f * (dot ? scale : 1.f);
    for (long s0 = 0; s0 < nkp; s0 += kSuper) {
      const long s_end = nkp - s0 < kSuper ? nkp : s0 + kSuper;
      __m512 bm[kRows];
      for (int r = 0; r < kRows; ++r) bm[r] = _mm512_set1_ps(kNegInf);
      for (long j0 = s0; j0 < s_end; j0 += 16 * kBlockVecs) {
        const long left = (s_end - j0) / 16;
        const int nv = left < kBlockVecs ? int(left) : kBlockVecs;
        __m512 s[kRows][kBlockVecs];
        if (dot) {
          switch (nv) {
            case 1:
              scores_bf16<1>(qp, dp / 2, kt2 + key_slot(0, j0, pairs), pairs, s);
              break;
            case 2:
              scores_bf16<2>(qp, dp / 2, kt2 + key_slot(0, j0, pairs), pairs, s);
              break;
            case 3:
              scores_bf16<3>(qp, dp / 2, kt2 + key_slot(0, j0, pairs), pairs, s);
              break;
            default:
              scores_bf16<4>(qp, dp / 2, kt2 + key_slot(0, j0, pairs), pairs, s);
              break;
          }
        } else
          switch (nv) {
            case 1:
              scores<1>(qs, dp, kt + key_slot(0, j0, d), d, s);
              break;
            case 2:
              scores<2>(qs, dp, kt + key_slot(0, j0, d), d, s);
              break;
            case 3:
              scores<3>(qs, dp, kt + key_slot(0, j0, d), d, s);
              break;
            default:
              scores<4>(qs, dp, kt + key_slot(0, j0, d), d, s);
              break;
          }
        if (j0 + 16 * nv <= nk) {  // every key of the block is real: no masks
          for (int r = 0; r < kRows; ++r)
            for (int v = 0; v < nv; ++v) {
              bm[r] = _mm512_max_ps(bm[r], s[r][v]);
              _mm512_storeu_ps(probs + r * kSuper + (j0 - s0) + 16 * v, s[r][v]);
            }
        } else {
          for (int r = 0; r < kRows; ++r)
            for (int v = 0; v < nv; ++v) {
              const __mmask16 live = tail_mask(nk - (j0 + 16 * v));
              const __m512 x = _mm512_mask_mov_ps(_mm512_set1_ps(kNegInf), live, s[r][v]);
              bm[r] = _mm512_max_ps(bm[r], x);
              _mm512_storeu_ps(probs + r * kSuper + (j0 - s0) + 16 * v, x);
            }
        }
      }
      const long nsv = (s_end - s0) / 16;  // 16-key vectors in this super-block
      for (int r = 0; r < kRows; ++r) {
        const float m_new = __builtin_fmaxf(mx[r], _mm512_reduce_max_ps(bm[r]));
        const float corr = mx[r] == kNegInf ? 0.f : exp2_1((mx[r] - m_new) * to_base2);
        const __m512 cv2 = _mm512_set1_ps(to_base2), mv = _mm512_set1_ps(m_new * to_base2);
        __m512 ps = _mm512_setzero_ps();
        float* pr = probs + r * kSuper;
        // Whole vectors of real keys first, then the ragged end with its dead keys zeroed
        // (exp2 gives ~2e-38 for them, not 0).
        const long whole = (nk - s0) / 16 < nsv ? (nk - s0) / 16 : nsv;
        for (long v = 0; v < whole; ++v) {
          const __m512 e = exp2_16(_mm512_fmsub_ps(_mm512_loadu_ps(pr + 16 * v), cv2, mv));
          ps = _mm512_add_ps(ps, e);
          _mm512_storeu_ps(pr + 16 * v, e);
        }
        for (long v = whole; v < nsv; ++v) {
          const __mmask16 live = tail_mask(nk - (s0 + 16 * v));
          const __m512 e = _mm512_maskz_mov_ps(
              live, exp2_16(_mm512_fmsub_ps(_mm512_loadu_ps(pr + 16 * v), cv2, mv)));
          ps = _mm512_add_ps(ps, e);
          _mm512_storeu_ps(pr + 16 * v, e);
        }
        sum[r] = sum[r] * corr + _mm512_reduce_add_ps(ps);
        mx[r] = m_new;
        if (s0 == 0) continue;  // acc is still zero
        const __m512 cv = _mm512_set1_ps(corr);
        for (long c0 = 0; c0 < dp; c0 += 16)
          _mm512_storeu_ps(acc + r * dp + c0,
                           _mm512_mul_ps(cv, _mm512_loadu_ps(acc + r * dp + c0)));
      }
      if (dot)
        pv_bf16(probs, int(nsv), v2, dp, s0, acc);
      else
        pv_f32(probs, 16L * nsv, vs, dp, s0, acc);
    }
    for (long r = 0; r < rows; ++r) {
      const __m512 inv = _mm512_set1_ps(1.f / sum[r]);
      const long o0 = long(b * a.out_batch_stride + (i0 + r) * a.out_ld + h * d);
      for (long c0 = 0; c0 < dp; c0 += 16)
        store16(a.out, o0 + c0, _mm512_mul_ps(inv, _mm512_loadu_ps(acc + r * dp + c0)), bf16,
                tail_mask(d - c0));
    }
  }
}

}  // namespace emonet::model::cpu::detail
