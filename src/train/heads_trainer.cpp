// HeadsTrainer: all heads of one variant trained together (include/emonet/train.h).
//
// Layouts (G heads, B rows, layer l maps in_l -> out_l):
//   parameters  W_l [G, out, in] (each head's PyTorch [out, in]), b_l [G, out], one flat
//               vector, with grads and the AdamW moments in the same layout;
//   activations [B, G * out] row-major, so layer 0 of all heads is ONE GEMM
//               X [B, 1152] x W_0^T [1152, G * 1024] and the deeper layers are one batched
//               matmul each (batch dim G, strided views into the same buffers).
// Backward per layer: dW = dZ^T D_prev, db = column sums of dZ, dD_prev = dZ W, then
// dZ_prev = dD_prev * scale where D_prev > 0 (D = relu(Z) * keep * scale, so D > 0 marks
// exactly the units that passed both the ReLU and dropout). Every oneDNN primitive is
// created once per batch size. Element-wise work and reductions are split over columns
// only, so results do not depend on how OpenMP schedules them.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>

#include "emonet/error.h"
#include "emonet/train.h"

namespace emonet::train {

namespace {

using dnnl::memory;
using dims_t = memory::dims;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A matmul dst = src x wei (+ bias) (relu) with arbitrary strided views, bound to raw
// pointers at execution time.
struct Mm {
  dnnl::matmul prim;
  memory::desc src, wei, dst, bias;
  bool has_bias = false;

  Mm() = default;
  Mm(const dnnl::engine& eng, memory::desc s, memory::desc w, memory::desc d, const memory::desc* b,
     bool relu)
      : src(s), wei(w), dst(d), has_bias(b != nullptr) {
    dnnl::post_ops ops;
    if (relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    if (b) bias = *b;
    auto pd = b ? dnnl::matmul::primitive_desc(dnnl::matmul::desc(s, w, *b, d), attr, eng)
                : dnnl::matmul::primitive_desc(dnnl::matmul::desc(s, w, d), attr, eng);
    prim = dnnl::matmul(pd);
  }

  void run(const dnnl::engine& eng, dnnl::stream& st, const float* s, const float* w,
           const float* b, float* d) {
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(src, eng, const_cast<float*>(s))},
        {DNNL_ARG_WEIGHTS, memory(wei, eng, const_cast<float*>(w))},
        {DNNL_ARG_DST, memory(dst, eng, d)}};
    if (has_bias) args.emplace(DNNL_ARG_BIAS, memory(bias, eng, const_cast<float*>(b)));
    prim.execute(st, args);
  }
};

// Below this many elements an OpenMP region costs more than it saves (each one is a
// barrier, and on a loaded machine a barrier waits for a time slice).
constexpr std::int64_t kParallelMin = 1 << 16;

memory::desc md(dims_t dims, dims_t strides) {
  return memory::desc(dims, memory::data_type::f32, strides);
}

}  // namespace

bool dropout_keeps(std::uint64_t seed, std::uint64_t step, int layer, std::uint64_t index,
                   float p) {
  const std::uint64_t key = splitmix64(seed ^ splitmix64(step * 8 + std::uint64_t(layer)));
  const std::uint64_t u = splitmix64(key + index) >> 40;  // 24 uniform bits
  return u >= std::uint64_t(std::llround(double(p) * 16777216.0));
}

double schedule_lr(std::int64_t t, std::int64_t warmup, std::int64_t total, double lr,
                   double min_lr) {
  if (t < warmup) return lr * double(t + 1) / double(warmup);
  const double span = double(std::max<std::int64_t>(1, total - warmup));
  const double progress = std::min(1.0, double(t - warmup) / span);
  return min_lr + (lr - min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

MlpShape variant_shape(const std::string& variant, int input) {
  if (variant == "large") return {{input, 1024, 512, 256, 1}, {0.2f, 0.2f, 0.2f}};
  if (variant == "small") return {{input, 128, 32, 1}, {0.1f, 0.1f}};
  throw Error("unknown head variant '" + variant + "' (expected large or small)",
              {"", 0, "--variant"});
}

struct HeadsTrainer::Impl {
  MlpShape shape;
  std::int64_t G = 0;
  std::size_t L = 0;  // layers
  AdamW adamw;
  std::uint64_t seed = 0;
  bool dropout = true;
  std::int64_t t = 0;  // steps taken
  std::vector<std::size_t> w_off, b_off;
  std::vector<float> params, grads, m, v;
  std::vector<char> frozen;

  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream st{eng};
  struct Prims {
    std::vector<Mm> fwd, dw, dx;  // per layer (dx[0] unused)
  };
  std::map<std::int64_t, Prims> cache;
  std::vector<std::vector<float>> act;  // D_l per hidden layer, then the output [B, G]
  std::vector<float> dz, dd;

  std::int64_t in(std::size_t l) const { return shape.dims[l]; }
  std::int64_t out(std::size_t l) const { return shape.dims[l + 1]; }

  Prims& prims(std::int64_t B) {
    auto it = cache.find(B);
    if (it != cache.end()) return it->second;
    Prims p;
    for (std::size_t l = 0; l < L; ++l) {
      const std::int64_t I = in(l), O = out(l);
      const bool relu = l + 1 < L;
      if (l == 0) {
        auto bias = md({1, G * O}, {G * O, 1});
        p.fwd.emplace_back(eng, md({B, I}, {I, 1}), md({I, G * O}, {1, I}),
                           md({B, G * O}, {G * O, 1}), &bias, relu);
        p.dw.emplace_back(eng, md({G * O, B}, {1, G * O}), md({B, I}, {I, 1}),
                          md({G * O, I}, {I, 1}), nullptr, false);
        p.dx.emplace_back();
      } else {
        // Bias and ReLU are added by finish_layer(): oneDNN 2.6 runs a batched matmul with
        // a per-batch bias on its slow reference kernel.
        p.fwd.emplace_back(eng, md({G, B, I}, {I, G * I, 1}), md({G, I, O}, {O * I, 1, I}),
                           md({G, B, O}, {O, G * O, 1}), nullptr, false);
        p.dw.emplace_back(eng, md({G, O, B}, {O, 1, G * O}), md({G, B, I}, {I, G * I, 1}),
                          md({G, O, I}, {O * I, I, 1}), nullptr, false);
        p.dx.emplace_back(eng, md({G, B, O}, {O, G * O, 1}), md({G, O, I}, {O * I, I, 1}),
                          md({G, B, I}, {I, G * I, 1}), nullptr, false);
      }
    }
    return cache.emplace(B, std::move(p)).first->second;
  }

  void forward(const float* x, std::int64_t B, bool train) {
    auto& p = prims(B);
    act.resize(L);
    const float* src = x;
    for (std::size_t l = 0; l < L; ++l) {
      auto& a = act[l];
      a.resize(std::size_t(B * G * out(l)));
      p.fwd[l].run(eng, st, src, params.data() + w_off[l], params.data() + b_off[l], a.data());
      const bool hidden = l + 1 < L;
      const bool drop = train && dropout && hidden && shape.dropout[l] > 0.0f;
      if (l > 0 || drop) finish_layer(a.data(), B, l, l > 0, hidden && l > 0, drop);

      src = a.data();
    }
  }

  // Bias (+ ReLU) of the batched layers, then inverted dropout, in one pass over the
  // [B, G * out] activations (column c = g * out + j is the bias index).
  void finish_layer(float* a, std::int64_t B, std::size_t l, bool add_bias, bool relu, bool drop) {
    const std::int64_t cols = G * out(l);
    const float* bias = params.data() + b_off[l];
    const float rate = drop ? shape.dropout[l] : 0.0f;
    const float scale = 1.0f / (1.0f - rate);
    const auto step = std::uint64_t(t);
    const std::uint64_t s = seed;
#pragma omp parallel for schedule(static) if (B * cols > kParallelMin)
    for (std::int64_t b = 0; b < B; ++b) {
      float* row = a + b * cols;
      if (add_bias)
        for (std::int64_t c = 0; c < cols; ++c) row[c] += bias[c];
      if (relu)
        for (std::int64_t c = 0; c < cols; ++c) row[c] = std::max(row[c], 0.0f);
      if (drop)
        for (std::int64_t c = 0; c < cols; ++c)
          row[c] = dropout_keeps(s, step, int(l), std::uint64_t(b * cols + c), rate)
                       ? row[c] * scale
                       : 0.0f;
    }
  }

  // Column sums of a [rows, cols] matrix into dst (serial over rows: deterministic).
  static void column_sums(const float* a, std::int64_t rows, std::int64_t cols, float* dst) {
    constexpr std::int64_t kBlock = 256;
#pragma omp parallel for schedule(static) if (rows * cols > kParallelMin)
    for (std::int64_t c0 = 0; c0 < cols; c0 += kBlock) {
      const std::int64_t c1 = std::min(cols, c0 + kBlock);
      for (std::int64_t c = c0; c < c1; ++c) dst[c] = 0.0f;
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = c0; c < c1; ++c) dst[c] += a[r * cols + c];
    }
  }

  void backward(const float* x, std::int64_t B) {
    auto& p = prims(B);
    for (std::size_t l = L; l-- > 0;) {
      const std::int64_t I = in(l), O = out(l);
      const float* prev = l == 0 ? x : act[l - 1].data();
      p.dw[l].run(eng, st, dz.data(), prev, nullptr, grads.data() + w_off[l]);
      column_sums(dz.data(), B, G * O, grads.data() + b_off[l]);
      if (l == 0) break;
      dd.resize(std::size_t(B * G * I));
      p.dx[l].run(eng, st, dz.data(), params.data() + w_off[l], nullptr, dd.data());
      const float rate = dropout ? shape.dropout[l - 1] : 0.0f;
      const float scale = 1.0f / (1.0f - rate);
      const auto n = std::int64_t(dd.size());
      const float* dprev = act[l - 1].data();
      float* ddd = dd.data();
#pragma omp parallel for schedule(static) if (n > kParallelMin)
      for (std::int64_t i = 0; i < n; ++i) ddd[i] = dprev[i] > 0.0f ? ddd[i] * scale : 0.0f;
      std::swap(dz, dd);
    }
  }

  void adamw_step(double lr) {
    ++t;
    const double bc1 = 1.0 - std::pow(adamw.beta1, double(t));
    const double bc2 = 1.0 - std::pow(adamw.beta2, double(t));
    const float decay = float(1.0 - lr * adamw.weight_decay);
    const float b1 = float(adamw.beta1), b2 = float(adamw.beta2);
    const float step_size = float(lr / bc1), bc2_sqrt = float(std::sqrt(bc2));
    const float eps = float(adamw.eps);
    // Walk every (layer, head) block of weights and biases; frozen heads are skipped.
    struct Block {
      std::size_t offset, size;
    };
    std::vector<Block> blocks;
    for (std::size_t l = 0; l < L; ++l)
      for (std::int64_t g = 0; g < G; ++g) {
        if (frozen[std::size_t(g)]) continue;
        blocks.push_back({w_off[l] + std::size_t(g * out(l) * in(l)), std::size_t(out(l) * in(l))});
        blocks.push_back({b_off[l] + std::size_t(g * out(l)), std::size_t(out(l))});
      }
    const auto nb = std::int64_t(blocks.size());
#pragma omp parallel for schedule(dynamic, 1) if (params.size() > std::size_t(kParallelMin))
    for (std::int64_t k = 0; k < nb; ++k) {
      const auto [o, n] = blocks[std::size_t(k)];
      float *pp = params.data() + o, *gg = grads.data() + o, *mm = m.data() + o, *vv = v.data() + o;
      for (std::size_t i = 0; i < n; ++i) {
        pp[i] *= decay;
        mm[i] = mm[i] * b1 + gg[i] * (1.0f - b1);
        vv[i] = vv[i] * b2 + gg[i] * gg[i] * (1.0f - b2);
        const float denom = std::sqrt(vv[i]) / bc2_sqrt + eps;
        pp[i] -= step_size * (mm[i] / denom);
      }
    }
  }
};

HeadsTrainer::HeadsTrainer(const MlpShape& shape, std::size_t heads, std::uint64_t seed,
                           AdamW adamw)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  if (shape.dims.size() < 2 || shape.dims.back() != 1 ||
      shape.dropout.size() + 2 != shape.dims.size() || heads == 0)
    throw Error("invalid head layout: need input, hidden widths and one output");
  s.shape = shape;
  s.G = std::int64_t(heads);
  s.L = shape.dims.size() - 1;
  s.adamw = adamw;
  s.seed = seed;
  s.frozen.assign(heads, 0);
  std::size_t off = 0;
  for (std::size_t l = 0; l < s.L; ++l) {
    s.w_off.push_back(off);
    off += std::size_t(s.G * s.out(l) * s.in(l));
    s.b_off.push_back(off);
    off += std::size_t(s.G * s.out(l));
  }
  s.params.resize(off);
  s.grads.assign(off, 0.0f);
  s.m.assign(off, 0.0f);
  s.v.assign(off, 0.0f);
  // torch.nn.Linear's default: kaiming_uniform(a = sqrt 5) = U(+-1/sqrt(in)), bias alike.
  for (std::size_t l = 0; l < s.L; ++l) {
    const float bound = 1.0f / std::sqrt(float(s.in(l)));
    const std::uint64_t key = splitmix64(seed ^ (0xa5a5ull + l));
    const auto begin = std::int64_t(s.w_off[l]);
    const auto end = std::int64_t(l + 1 < s.L ? s.w_off[l + 1] : off);
    float* pd = s.params.data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = begin; i < end; ++i) {
      const double u = double(splitmix64(key + std::uint64_t(i)) >> 11) * 0x1.0p-53;
      pd[i] = float((2.0 * u - 1.0) * bound);
    }
  }
}

HeadsTrainer::~HeadsTrainer() = default;

const MlpShape& HeadsTrainer::shape() const {
  return impl_->shape;
}
std::size_t HeadsTrainer::heads() const {
  return std::size_t(impl_->G);
}
std::int64_t HeadsTrainer::steps_taken() const {
  return impl_->t;
}
void HeadsTrainer::set_frozen(std::size_t head, bool frozen) {
  impl_->frozen.at(head) = frozen;
}
void HeadsTrainer::set_dropout(bool enabled) {
  impl_->dropout = enabled;
}

float* HeadsTrainer::weight(std::size_t l, std::size_t g) {
  auto& s = *impl_;
  return s.params.data() + s.w_off.at(l) + g * std::size_t(s.out(l) * s.in(l));
}
float* HeadsTrainer::bias(std::size_t l, std::size_t g) {
  auto& s = *impl_;
  return s.params.data() + s.b_off.at(l) + g * std::size_t(s.out(l));
}
const float* HeadsTrainer::weight(std::size_t l, std::size_t g) const {
  return const_cast<HeadsTrainer*>(this)->weight(l, g);
}
const float* HeadsTrainer::bias(std::size_t l, std::size_t g) const {
  return const_cast<HeadsTrainer*>(this)->bias(l, g);
}

void HeadsTrainer::set_head(std::size_t g, const model::Head& h) {
  auto& s = *impl_;
  if (h.layers.size() != s.L)
    throw Error("head has " + std::to_string(h.layers.size()) + " layers, the variant has " +
                    std::to_string(s.L),
                {h.key, 0, "layers"});
  for (std::size_t l = 0; l < s.L; ++l) {
    const auto& src = h.layers[l];
    if (src.in != s.in(l) || src.out != s.out(l))
      throw Error("layer " + std::to_string(l) + " is [" + std::to_string(src.out) + ", " +
                      std::to_string(src.in) + "], expected [" + std::to_string(s.out(l)) + ", " +
                      std::to_string(s.in(l)) + "]",
                  {h.key, 0, "layers"});
    std::copy(src.weight.begin(), src.weight.end(), weight(l, g));
    std::copy(src.bias.begin(), src.bias.end(), bias(l, g));
  }
}

model::Head HeadsTrainer::head(std::size_t g, std::string key) const {
  const auto& s = *impl_;
  model::Head h;
  h.key = std::move(key);
  for (std::size_t l = 0; l < s.L; ++l) {
    model::Linear lin;
    lin.in = int(s.in(l));
    lin.out = int(s.out(l));
    const float* w = weight(l, g);
    const float* b = bias(l, g);
    lin.weight = model::FloatArray(std::vector<float>(w, w + lin.in * lin.out));
    lin.bias = model::FloatArray(std::vector<float>(b, b + lin.out));
    h.layers.push_back(std::move(lin));
  }
  return h;
}

double HeadsTrainer::step(const float* x, const float* targets, std::int64_t B, double lr) {
  auto& s = *impl_;
  if (B <= 0) throw Error("empty mini-batch");
  s.forward(x, B, true);
  const std::int64_t G = s.G;
  const float* y = s.act.back().data();
  s.dz.assign(std::size_t(B * G), 0.0f);
  double total = 0.0;
  int with_labels = 0;
  for (std::int64_t g = 0; g < G; ++g) {
    std::int64_t n = 0;
    for (std::int64_t b = 0; b < B; ++b) n += !std::isnan(targets[b * G + g]);
    if (n == 0) continue;
    double loss = 0.0;
    for (std::int64_t b = 0; b < B; ++b) {
      const float tgt = targets[b * G + g];
      if (std::isnan(tgt)) continue;
      const float diff = y[b * G + g] - tgt;
      loss += double(diff) * double(diff);
      s.dz[std::size_t(b * G + g)] = 2.0f * diff / float(n);
    }
    total += loss / double(n);
    ++with_labels;
  }
  s.backward(x, B);
  s.adamw_step(lr);
  return with_labels ? total / with_labels : 0.0;
}

void HeadsTrainer::predict(const float* x, std::int64_t B, float* out) {
  auto& s = *impl_;
  if (B <= 0) return;
  s.forward(x, B, false);
  std::copy(s.act.back().begin(), s.act.back().end(), out);
}

std::vector<float> HeadsTrainer::snapshot() const {
  return impl_->params;
}

void HeadsTrainer::restore(const std::vector<float>& state) {
  if (state.size() != impl_->params.size()) throw Error("snapshot of another trainer layout");
  impl_->params = state;
}

}  // namespace emonet::train
